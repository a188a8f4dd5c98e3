import { randomBytes } from 'node:crypto';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FileBlockSource } from './block-source';

let dir: string;
const content = randomBytes(10_000);
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'rackboot-blocks-'));
  await writeFile(path.join(dir, 'f'), content);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

it('serves ranges that straddle chunk boundaries once loaded, and nothing before', async () => {
  const source = FileBlockSource.fromHandle(await open(path.join(dir, 'f'), 'r'), content.length, 1024);
  const target = Buffer.alloc(1468);
  expect(source.copyTo(target, 0, 900, 1468)).toBe(false);
  await source.load(900, 1468);
  expect(source.copyTo(target, 0, 900, 1468)).toBe(true);
  expect(target.equals(content.subarray(900, 900 + 1468))).toBe(true);
  await source.close();
});

it('rejects a load past the end of a file that shrank', async () => {
  const source = FileBlockSource.fromHandle(await open(path.join(dir, 'f'), 'r'), content.length + 5000, 4096);
  await expect(source.load(content.length + 100, 100)).rejects.toThrow(/shorter/);
  await source.close();
});
