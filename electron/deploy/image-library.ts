import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { z } from 'zod';
import { imageSchema, type BootMode, type Image } from '../../shared/deploy';
import { UserFacingError } from '../lib/user-facing-error';
import { readJsonFile, writeFileAtomic } from '../lib/atomic-file';

const libraryFileSchema = z.object({ version: z.literal(1), images: z.array(imageSchema) });

export const IMAGES_FILE = 'images.json';

/** Reads the first bytes to tell what kind of image a file is; only raw and gzip-compressed raw can be streamed. */
export async function detectImageFormat(file: string): Promise<'raw' | 'gzip'> {
  const handle = await fs.open(file, 'r');
  try {
    const head = Buffer.alloc(4);
    await handle.read(head, 0, 4, 0);
    if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
    if (head.toString('latin1') === 'QFI\xfb') {
      throw new UserFacingError(
        'image-qcow2',
        `${path.basename(file)} is a qcow2 image; convert it to raw first: qemu-img convert -O raw ${path.basename(file)} image.raw`,
      );
    }
    return 'raw';
  } finally {
    await handle.close();
  }
}

/** Size and sha256 of the bytes that will land on the disk, reading the file once; progress counts file bytes read. */
export async function measureImage(
  file: string,
  format: 'raw' | 'gzip',
  onProgress: (read: number, total: number) => void = () => undefined,
): Promise<{ size: number; rawSize: number; rawSha256: string }> {
  const { size } = await fs.stat(file);
  const hash = createHash('sha256');
  let read = 0;
  let rawSize = 0;
  let lastReport = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      read += chunk.length;
      if (read - lastReport >= 8 * 1024 * 1024 || read === size) {
        lastReport = read;
        onProgress(read, size);
      }
      done(null, chunk);
    },
  });
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      rawSize += chunk.length;
      hash.update(chunk);
      done();
    },
  });
  if (format === 'gzip') await pipeline(createReadStream(file), counter, createGunzip(), sink);
  else await pipeline(createReadStream(file), counter, sink);
  return { size, rawSize, rawSha256: hash.digest('hex') };
}

/** The images the operator has added; checksums are computed once, when an image is added. */
export class ImageLibrary {
  private writes: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: string,
    private images: Image[],
  ) {}

  static async open(dataDir: string): Promise<ImageLibrary> {
    const file = path.join(dataDir, IMAGES_FILE);
    const raw = await readJsonFile(file);
    if (raw === undefined) return new ImageLibrary(file, []);
    const parsed = libraryFileSchema.safeParse(raw);
    if (!parsed.success) throw new Error(`The image library ${file} is damaged; move it aside and add the images again.`);
    return new ImageLibrary(file, parsed.data.images);
  }

  list(): Image[] {
    return [...this.images];
  }

  get(id: string): Image {
    const image = this.images.find((candidate) => candidate.id === id);
    if (!image) throw new UserFacingError('image-not-found', 'That image is no longer in the library; add it again.');
    return image;
  }

  async add(
    input: { path: string; name?: string; bootMode: BootMode },
    onProgress?: (read: number, total: number) => void,
  ): Promise<Image> {
    const file = path.resolve(input.path);
    const stat = await fs.stat(file).catch(() => null);
    if (!stat?.isFile()) throw new UserFacingError('image-missing', `${file} is not a file Rackboot can read.`);
    const known = this.images.find((image) => image.path === file);
    if (known && known.size === stat.size && known.mtimeMs === stat.mtimeMs && known.bootMode === input.bootMode) return known;
    const format = await detectImageFormat(file);
    const measured = await measureImage(file, format, onProgress);
    const image: Image = {
      id: randomUUID(),
      name: input.name?.trim() || path.basename(file),
      path: file,
      format,
      ...measured,
      mtimeMs: stat.mtimeMs,
      bootMode: input.bootMode,
      addedAt: new Date().toISOString(),
    };
    await this.replace([...this.images.filter((existing) => existing.path !== file), image]);
    return image;
  }

  async remove(id: string): Promise<boolean> {
    if (!this.images.some((image) => image.id === id)) return false;
    await this.replace(this.images.filter((image) => image.id !== id));
    return true;
  }

  private replace(next: Image[]): Promise<void> {
    const run = this.writes.then(async () => {
      await writeFileAtomic(this.file, `${JSON.stringify({ version: 1, images: next }, null, 2)}\n`);
      this.images = next;
    });
    this.writes = run.catch(() => undefined);
    return run;
  }
}
