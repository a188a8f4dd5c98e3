import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ImageLibrary } from './image-library';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-images-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const MIB = 1024 * 1024;
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

describe('image library', () => {
  it('records format, sizes, extents and both checksums of a raw image and keeps them across a reopen', async () => {
    const data = Buffer.concat([randomBytes(MIB), Buffer.alloc(2 * MIB), randomBytes(17)]);
    await writeFile(path.join(dir, 'disk.raw'), data);
    const library = await ImageLibrary.open(dir);
    const progress: number[] = [];
    const image = await library.add({ path: path.join(dir, 'disk.raw'), bootMode: 'bios' }, (read) => progress.push(read));
    expect(image).toMatchObject({
      name: 'disk.raw',
      format: 'raw',
      size: data.length,
      sha256: sha256(data),
      virtualSize: data.length,
      dataSize: MIB + 17,
      extentCount: 2,
      dataSha256: sha256(Buffer.concat([data.subarray(0, MIB), data.subarray(3 * MIB)])),
      checksumMatched: null,
    });
    expect(progress.at(-1)).toBe(data.length);
    expect(await readFile(library.extentMapPath(image.id), 'utf8')).toBe(`0 ${MIB}\n${3 * MIB} 17\n`);
    expect(await library.extents(image)).toEqual([{ offset: 0, length: MIB }, { offset: 3 * MIB, length: 17 }]);
    expect((await ImageLibrary.open(dir)).list()).toEqual([image]);
  });

  it('does not measure an unchanged file again, and does when it changed', async () => {
    const file = path.join(dir, 'disk.raw');
    await writeFile(file, randomBytes(4096));
    const library = await ImageLibrary.open(dir);
    const first = await library.add({ path: file, bootMode: 'bios' });
    expect(await library.add({ path: file, bootMode: 'bios' })).toBe(first);
    const changed = randomBytes(4096);
    await writeFile(file, changed);
    await utimes(file, new Date(), new Date(Date.now() + 5000));
    const second = await library.add({ path: file, bootMode: 'bios' });
    expect(second.sha256).toBe(sha256(changed));
    expect(library.list()).toEqual([second]);
  });

  it('describes a gzip image by the disk it holds and the file by its own sha256', async () => {
    const data = Buffer.concat([randomBytes(100_000), Buffer.alloc(2_000_000)]);
    const packed = gzipSync(data);
    await writeFile(path.join(dir, 'disk.img'), packed);
    const image = await (await ImageLibrary.open(dir)).add({ path: path.join(dir, 'disk.img'), bootMode: 'uefi' });
    expect(image).toMatchObject({ format: 'gzip', size: packed.length, sha256: sha256(packed), virtualSize: data.length, dataSize: 128 * 1024 });
  });

  it('accepts an image whose sha256 matches the line for it in a SHA256SUMS text', async () => {
    const data = randomBytes(8192);
    await writeFile(path.join(dir, 'disk.raw'), data);
    const sums = `${'0'.repeat(64)}  other.raw\n${sha256(data)} *disk.raw\n`;
    const image = await (await ImageLibrary.open(dir)).add({ path: path.join(dir, 'disk.raw'), bootMode: 'bios', checksum: sums });
    expect(image.checksumMatched).toBe(true);
  });

  it('refuses an image whose sha256 differs from the checksum given, and keeps it out of the library', async () => {
    await writeFile(path.join(dir, 'disk.raw'), randomBytes(8192));
    const library = await ImageLibrary.open(dir);
    await expect(library.add({ path: path.join(dir, 'disk.raw'), bootMode: 'bios', checksum: 'f'.repeat(64) })).rejects.toThrow(
      /not the f{64} given: the file is damaged or another version/,
    );
    expect(library.list()).toEqual([]);
  });

  it('refuses a truncated qcow2 before it reaches the library', async () => {
    const header = Buffer.alloc(112);
    header.write('QFI\xfb', 0, 'latin1');
    header.writeUInt32BE(3, 4);
    header.writeUInt32BE(16, 20);
    header.writeBigUInt64BE(1n << 30n, 24);
    header.writeUInt32BE(1, 36);
    header.writeBigUInt64BE(65536n, 40);
    header.writeUInt32BE(104, 100);
    await writeFile(path.join(dir, 'cut.qcow2'), header);
    const library = await ImageLibrary.open(dir);
    await expect(library.add({ path: path.join(dir, 'cut.qcow2'), bootMode: 'bios' })).rejects.toThrow(/truncated or damaged .*L1 table/);
    expect(library.list()).toEqual([]);
  });

  it('forgets the images of a version 1 library, which knew no extents', async () => {
    await writeFile(path.join(dir, 'images.json'), JSON.stringify({ version: 1, images: [{ id: 'x' }] }));
    expect((await ImageLibrary.open(dir)).list()).toEqual([]);
  });
});
