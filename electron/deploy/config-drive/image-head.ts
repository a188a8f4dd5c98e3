import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { Image } from '../../../shared/deploy';

/**
 * The first `bytes` bytes of an image as they land on the disk (a gzip image decompressed as a stream, stopping once
 * enough is read), or all of them when the image is smaller.
 */
export async function readImageHead(image: Pick<Image, 'path' | 'format'>, bytes: number): Promise<Uint8Array> {
  const source = createReadStream(image.path, image.format === 'raw' ? { start: 0, end: bytes - 1 } : {});
  const stream = image.format === 'gzip' ? source.pipe(createGunzip()) : source;
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer);
      total += (chunk as Buffer).length;
      if (total >= bytes) break;
    }
  } finally {
    source.destroy();
    stream.destroy();
  }
  return new Uint8Array(Buffer.concat(chunks).subarray(0, bytes));
}
