import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
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

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

describe('image library', () => {
  it('records size and sha256 of a raw image and keeps it across a reopen', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    await writeFile(path.join(dir, 'disk.raw'), data);
    const library = await ImageLibrary.open(dir);
    const progress: number[] = [];
    const image = await library.add({ path: path.join(dir, 'disk.raw'), bootMode: 'bios' }, (read) => progress.push(read));
    expect(image).toMatchObject({ name: 'disk.raw', format: 'raw', size: data.length, rawSize: data.length, rawSha256: sha256(data) });
    expect(progress.at(-1)).toBe(data.length);
    expect((await ImageLibrary.open(dir)).list()).toEqual([image]);
  });

  it('does not hash an unchanged file again, and does when it changed', async () => {
    const file = path.join(dir, 'disk.raw');
    await writeFile(file, randomBytes(4096));
    const library = await ImageLibrary.open(dir);
    const first = await library.add({ path: file, bootMode: 'bios' });
    expect(await library.add({ path: file, bootMode: 'bios' })).toBe(first);
    const changed = randomBytes(4096);
    await writeFile(file, changed);
    await utimes(file, new Date(), new Date(Date.now() + 5000));
    const second = await library.add({ path: file, bootMode: 'bios' });
    expect(second.rawSha256).toBe(sha256(changed));
    expect(library.list()).toEqual([second]);
  });

  it('describes a gzip image by the bytes that land on the disk', async () => {
    const data = Buffer.concat([randomBytes(100_000), Buffer.alloc(2_000_000)]);
    const packed = gzipSync(data);
    await writeFile(path.join(dir, 'disk.img.gz'), packed);
    const image = await (await ImageLibrary.open(dir)).add({ path: path.join(dir, 'disk.img.gz'), bootMode: 'uefi' });
    expect(image).toMatchObject({ format: 'gzip', size: packed.length, rawSize: data.length, rawSha256: sha256(data) });
  });

  it('turns away a qcow2 image with the command that converts it', async () => {
    await writeFile(path.join(dir, 'cloud.qcow2'), Buffer.concat([Buffer.from('QFI\xfb', 'latin1'), Buffer.alloc(100)]));
    await expect((await ImageLibrary.open(dir)).add({ path: path.join(dir, 'cloud.qcow2'), bootMode: 'bios' })).rejects.toThrow(
      /qemu-img convert -O raw/,
    );
  });
});
