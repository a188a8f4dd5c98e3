import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpRamdiskSource } from './http-ramdisk';

describe('deploy ramdisk source', () => {
  let dir: string;
  let served: Map<string, string>;
  let source: HttpRamdiskSource;
  const initrd = (): string => path.join(dir, 'initrd.img');

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-ramdisk-source-'));
    await writeFile(path.join(dir, 'vmlinuz'), 'kernel');
    await writeFile(initrd(), 'first initrd');
    served = new Map();
    source = new HttpRamdiskSource(
      { serveFile: (urlPath: string, file: string) => void served.set(urlPath, file), serveGenerated: () => undefined },
      { kind: 'append', kernel: path.join(dir, 'vmlinuz'), initrd: initrd() },
      path.join(dir, 'cache'),
      { extents: async () => [], extentMapPath: (id) => path.join(dir, `${id}.extents`) },
    );
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const servedInitrd = async (): Promise<Buffer> => {
    const { initrdUrlPath } = await source.paths();
    return readFile(served.get(initrdUrlPath)!);
  };

  it('serves the operator\'s initrd with the agent appended, and the kernel', async () => {
    const { kernelUrlPath } = await source.paths();
    expect(served.get(kernelUrlPath)).toBe(path.join(dir, 'vmlinuz'));
    const bytes = await servedInitrd();
    expect(bytes.subarray(0, 12).toString()).toBe('first initrd');
    expect(bytes.includes(Buffer.from('rackboot-agent'))).toBe(true);
  });

  it('gives deploys that ask at the same time the same initrd', async () => {
    const [a, b, c] = await Promise.all([source.paths(), source.paths(), source.paths()]);
    expect(new Set([a.initrdUrlPath, b.initrdUrlPath, c.initrdUrlPath]).size).toBe(1);
  });

  it('builds afresh when the initrd is replaced under the same name', async () => {
    expect((await servedInitrd()).subarray(0, 12).toString()).toBe('first initrd');
    await writeFile(initrd(), 'second initrd, longer');
    await utimes(initrd(), new Date(), new Date(Date.now() + 5_000));
    expect((await servedInitrd()).subarray(0, 21).toString()).toBe('second initrd, longer');
  });
});
