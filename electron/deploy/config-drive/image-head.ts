import type { Image } from '../../../shared/deploy';
import { openImageSource } from '../images/image-source';

/**
 * The first `bytes` bytes of an image as they land on the disk, whatever its format (compressed formats decompressed as
 * a stream, qcow2 read through its tables, holes as zeros), stopping once enough is read; all of them when the image
 * is smaller.
 */
export async function readImageHead(image: Pick<Image, 'path'>, bytes: number): Promise<Uint8Array> {
  const source = await openImageSource(image.path);
  const head = new Uint8Array(bytes);
  let filled = 0;
  for await (const piece of source.virtual()) {
    if (filled >= bytes) break;
    if (Buffer.isBuffer(piece)) {
      const take = Math.min(piece.length, bytes - filled);
      head.set(piece.subarray(0, take), filled);
      filled += take;
    } else {
      filled += Math.min(piece.hole, bytes - filled);
    }
  }
  return head.subarray(0, filled);
}
