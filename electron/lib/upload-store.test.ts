import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UploadOffsetMismatch, UploadStore } from './upload-store';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** A body that yields `bytes` in pieces, then breaks off like a cut connection when `cutAfter` is reached. */
async function* body(bytes: Uint8Array, cutAfter = Infinity, piece = 4096): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += piece) {
    if (at >= cutAfter) throw new Error('aborted');
    yield bytes.subarray(at, Math.min(at + piece, bytes.length, cutAfter));
  }
}

describe('upload store', () => {
  let dir: string;
  const file = randomBytes(100_000);
  const open = (maxBytes = 1 << 30, free = Number.MAX_SAFE_INTEGER): Promise<UploadStore> =>
    UploadStore.open(dir, { maxBytes, freeBytes: async () => free });

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-uploads-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('stores a file under its own name in a folder of its own, with its SHA-256', async () => {
    const store = await open();
    const started = await store.begin({ name: 'debian 12 (1).raw', size: file.length });
    const done = await store.append(started.id, 0, body(file));
    expect(done).toMatchObject({ complete: true, received: file.length, sha256: sha256(file) });
    expect(done.path).toBe(path.join(dir, started.id, 'debian 12 (1).raw'));
    expect(await readFile(done.path!)).toEqual(file);
  });

  it('keeps the bytes of a cut-off upload and continues from them, even after a restart', async () => {
    const store = await open();
    const started = await store.begin({ name: 'disk.raw', size: file.length, lastModified: 1234 });
    await expect(store.append(started.id, 0, body(file, 40_000))).rejects.toThrow('aborted');
    expect((await store.status(started.id)).received).toBe(40_000);

    const reopened = await open();
    const again = await reopened.begin({ name: 'disk.raw', size: file.length, lastModified: 1234 });
    expect(again).toMatchObject({ id: started.id, received: 40_000, complete: false });
    const done = await reopened.append(again.id, again.received, body(file.subarray(again.received)));
    expect(done.sha256).toBe(sha256(file));
    expect(await readFile(done.path!)).toEqual(file);
  });

  it('refuses a piece that does not start where its copy ends, and says where that is', async () => {
    const store = await open();
    const started = await store.begin({ name: 'disk.raw', size: file.length });
    await store.append(started.id, 0, body(file.subarray(0, 10_000)));
    const refused = await store.append(started.id, 20_000, body(file.subarray(20_000))).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(UploadOffsetMismatch);
    expect((refused as UploadOffsetMismatch).status.received).toBe(10_000);
  });

  it('another file of the same name and size starts afresh instead of continuing the first', async () => {
    const store = await open();
    const first = await store.begin({ name: 'disk.raw', size: file.length, lastModified: 1 });
    const other = await store.begin({ name: 'disk.raw', size: file.length, lastModified: 2 });
    expect(other.id).not.toBe(first.id);
    expect(other.received).toBe(0);
  });

  it('accepts the checksum the operator gave when the bytes match it', async () => {
    const store = await open();
    const started = await store.begin({ name: 'disk.raw', size: file.length, sha256: sha256(file).toUpperCase() });
    expect((await store.append(started.id, 0, body(file))).complete).toBe(true);
  });

  it('refuses a file whose checksum is not the one given, and removes every byte of it', async () => {
    const store = await open();
    const corrupt = Buffer.from(file);
    corrupt.writeUInt8(corrupt.readUInt8(50_000) ^ 0xff, 50_000);
    const started = await store.begin({ name: 'disk.raw', size: file.length, sha256: sha256(file) });
    await expect(store.append(started.id, 0, body(corrupt))).rejects.toThrow(/arrived with SHA-256 .* not the .* you gave.*removed it/);
    expect(await readdir(dir)).toEqual([]);
    await expect(store.status(started.id)).rejects.toThrow('not on the server');
  });

  it('checks the checksum over the whole file when the upload was cut off and resumed', async () => {
    const store = await open();
    const corrupt = Buffer.from(file);
    corrupt.writeUInt8(corrupt.readUInt8(90_000) ^ 0x01, 90_000);
    const started = await store.begin({ name: 'disk.raw', size: file.length, sha256: sha256(file) });
    await expect(store.append(started.id, 0, body(file, 30_000))).rejects.toThrow('aborted');
    const reopened = await open();
    await expect(reopened.append(started.id, 30_000, body(corrupt.subarray(30_000)))).rejects.toThrow(/removed it/);
    expect(await readdir(dir)).toEqual([]);
  });

  it.each([
    ['../../etc/passwd', 'not a path'],
    ['..', 'dot'],
    ['.bashrc', 'dot'],
    ['images/disk.raw', 'not a path'],
    ['C:\\disk.raw', 'not a path'],
    ['disk\u0000.raw', 'control characters'],
    ['', 'empty'],
    ['x'.repeat(201), 'longer than 200 bytes'],
  ])('refuses the file name %j', async (name, reason) => {
    const store = await open();
    await expect(store.begin({ name, size: 10 })).rejects.toThrow(reason);
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses a file over the size limit, or larger than the free space, before any byte arrives', async () => {
    await expect((await open(1000)).begin({ name: 'big.raw', size: 1001 })).rejects.toThrow('accepts files up to 1000 bytes');
    await expect((await open(2 ** 50, 5000)).begin({ name: 'big.raw', size: 2 ** 40 })).rejects.toThrow(/needs 1099511627776 bytes .* has 5000 free/);
    await expect((await open()).begin({ name: 'big.raw', size: 2 ** 60 })).rejects.toThrow();
    await expect((await open()).begin({ name: 'neg.raw', size: -1 })).rejects.toThrow();
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses bytes beyond the size announced, keeping the ones before', async () => {
    const store = await open();
    const started = await store.begin({ name: 'disk.raw', size: 10_000 });
    await expect(store.append(started.id, 0, body(file.subarray(0, 20_000)))).rejects.toThrow('More bytes arrived than the 10000 announced');
    expect((await stat(path.join(dir, `${started.id}.part`))).size).toBeLessThanOrEqual(10_000);
  });

  it('answers only for ids it made', async () => {
    const store = await open();
    await expect(store.status('../../secret')).rejects.toThrow('not on the server');
    await expect(store.append('0'.repeat(32), 0, body(file))).rejects.toThrow('not on the server');
  });

  it('never holds a big upload in memory: pieces go to disk as they come', async () => {
    const store = await open();
    const size = 64 * 1024 * 1024;
    const piece = randomBytes(1024 * 1024);
    async function* stream(): AsyncGenerator<Uint8Array> {
      for (let at = 0; at < size; at += piece.length) yield piece;
    }
    const before = process.memoryUsage().rss;
    const started = await store.begin({ name: 'big.raw', size });
    const done = await store.append(started.id, 0, stream());
    expect(done.received).toBe(size);
    expect(process.memoryUsage().rss - before).toBeLessThan(48 * 1024 * 1024);
  });
});
