import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { imageSchema, type BootMode, type Image } from '../../shared/deploy';
import { expectedChecksum } from '../../shared/image-checksum';
import { UserFacingError } from '../lib/user-facing-error';
import { readJsonFile, writeFileAtomic } from '../lib/atomic-file';
import { parseExtentMap, renderExtentMap, type Extent } from './images/extent-map';
import { measureExtents, openImageSource } from './images/image-source';

const libraryFileSchema = z.object({ version: z.literal(2), images: z.array(imageSchema) });

export const IMAGES_FILE = 'images.json';
/** Beside the library: one extent map per image (the data extents the agent writes, docs/agent-api.md). */
export const EXTENT_MAPS_DIR = 'image-maps';

/** sha256 of the file as it is, read once as a stream; progress counts file bytes read. */
async function hashFile(file: string, onProgress: (read: number, total: number) => void): Promise<string> {
  const { size } = await fs.stat(file);
  const hash = createHash('sha256');
  let read = 0;
  let lastReport = 0;
  await pipeline(
    createReadStream(file, { highWaterMark: 1024 * 1024 }),
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        read += chunk.length;
        if (read - lastReport >= 8 * 1024 * 1024 || read === size) {
          lastReport = read;
          onProgress(read, size);
        }
        done();
      },
    }),
  );
  return hash.digest('hex');
}

/**
 * The images the operator has added, measured once when added: format, virtual and data size, the extent map and
 * both checksums. A damaged image is refused here, before any deploy could write a byte of it.
 */
export class ImageLibrary {
  private writes: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: string,
    private images: Image[],
  ) {}

  static async open(dataDir: string): Promise<ImageLibrary> {
    const file = path.join(dataDir, IMAGES_FILE);
    const raw = await readJsonFile(file);
    // A library of version 1 knew neither extents nor the file's own sha256: its images are added again.
    if (raw === undefined || (typeof raw === 'object' && raw !== null && 'version' in raw && raw.version === 1)) return new ImageLibrary(file, []);
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
    input: { path: string; name?: string; bootMode: BootMode; checksum?: string },
    onProgress: (read: number, total: number) => void = () => undefined,
  ): Promise<Image> {
    const file = path.resolve(input.path);
    const stat = await fs.stat(file).catch(() => null);
    if (!stat?.isFile()) throw new UserFacingError('image-missing', `${file} is not a file Rackboot can read.`);
    const expected = input.checksum?.trim() ? expectedChecksum(input.checksum, path.basename(file)) : null;
    if (expected && !expected.ok) throw new UserFacingError('image-checksum', expected.reason);
    const known = this.images.find((image) => image.path === file);
    const unchanged = known && known.size === stat.size && known.mtimeMs === stat.mtimeMs && known.bootMode === input.bootMode;
    if (unchanged && !expected) return known;
    const measured = unchanged ? known : await this.measure(file, onProgress);
    if (expected && expected.sha256 !== measured.sha256) {
      throw new UserFacingError(
        'image-checksum',
        `${path.basename(file)} has sha256 ${measured.sha256}, not the ${expected.sha256} given: the file is damaged or another version. Download it again, or check you gave its own checksum.`,
      );
    }
    const image: Image = {
      id: measured.id,
      name: input.name?.trim() || path.basename(file),
      path: file,
      format: measured.format,
      size: stat.size,
      sha256: measured.sha256,
      virtualSize: measured.virtualSize,
      dataSize: measured.dataSize,
      extentCount: measured.extentCount,
      dataSha256: measured.dataSha256,
      checksumMatched: expected ? true : null,
      mtimeMs: stat.mtimeMs,
      bootMode: input.bootMode,
      addedAt: new Date().toISOString(),
    };
    await this.replace([...this.images.filter((existing) => existing.path !== file), image]);
    return image;
  }

  /** The data extents of an image, as measured when it was added. */
  async extents(image: Image): Promise<Extent[]> {
    return parseExtentMap(await fs.readFile(this.extentMapPath(image.id), 'utf8'), image.virtualSize);
  }

  extentMapPath(id: string): string {
    return path.join(path.dirname(this.file), EXTENT_MAPS_DIR, `${id}.extents`);
  }

  /** Reads the file twice at once: its own sha256, and the virtual disk it describes (which checks it whole). */
  private async measure(file: string, onProgress: (read: number, total: number) => void) {
    const source = await openImageSource(file);
    const [sha256, map] = await Promise.all([hashFile(file, onProgress), measureExtents(source)]);
    const id = randomUUID();
    await fs.mkdir(path.dirname(this.extentMapPath(id)), { recursive: true });
    await writeFileAtomic(this.extentMapPath(id), renderExtentMap(map));
    return { id, format: source.format, sha256, virtualSize: map.virtualSize, dataSize: map.dataSize, extentCount: map.extents.length, dataSha256: map.dataSha256 };
  }

  async remove(id: string): Promise<boolean> {
    if (!this.images.some((image) => image.id === id)) return false;
    await this.replace(this.images.filter((image) => image.id !== id));
    await fs.rm(this.extentMapPath(id), { force: true });
    return true;
  }

  private replace(next: Image[]): Promise<void> {
    const run = this.writes.then(async () => {
      await writeFileAtomic(this.file, `${JSON.stringify({ version: 2, images: next }, null, 2)}\n`);
      this.images = next;
    });
    this.writes = run.catch(() => undefined);
    return run;
  }
}
