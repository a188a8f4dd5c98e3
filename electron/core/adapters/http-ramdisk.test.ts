import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
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

describe('built-in deploy ramdisk source', () => {
  let dir: string;
  const saved = process.env.RACKBOOT_RAMDISK_DIR;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-builtin-'));
    process.env.RACKBOOT_RAMDISK_DIR = path.join(dir, 'ramdisk');
  });
  afterEach(async () => {
    if (saved === undefined) delete process.env.RACKBOOT_RAMDISK_DIR;
    else process.env.RACKBOOT_RAMDISK_DIR = saved;
    await rm(dir, { recursive: true, force: true });
  });

  const source = (served: Map<string, string>): HttpRamdiskSource =>
    new HttpRamdiskSource(
      { serveFile: (urlPath: string, file: string) => void served.set(urlPath, file), serveGenerated: () => undefined },
      { kind: 'builtin' },
      path.join(dir, 'cache'),
      { extents: async () => [], extentMapPath: (id) => path.join(dir, `${id}.extents`) },
    );

  it('serves the built-in kernel and its initrd with the agent appended, and names the boot NIC drivers\' initrd', async () => {
    const ramdisk = path.join(dir, 'ramdisk');
    await mkdir(path.join(ramdisk, 'drivers'), { recursive: true });
    await writeFile(path.join(ramdisk, 'vmlinuz'), 'built-in kernel');
    await writeFile(path.join(ramdisk, 'initrd.cpio.gz'), 'built-in base');
    await writeFile(path.join(ramdisk, 'manifest.json'), JSON.stringify(TEST_MANIFEST));
    const served = new Map<string, string>();
    const { kernelUrlPath, initrdUrlPath, nicDriversUrlPath } = await source(served).paths();
    expect(nicDriversUrlPath).toBe('/deploy/nic-drivers.cpio');
    expect(served.get(kernelUrlPath)).toBe(path.join(ramdisk, 'vmlinuz'));
    const initrd = await readFile(served.get(initrdUrlPath)!);
    expect(initrd.subarray(0, 13).toString()).toBe('built-in base');
    expect(initrd.includes(Buffer.from('rackboot-agent'))).toBe(true);
  });

  it('says how to build it when it is not there', async () => {
    await expect(source(new Map()).paths()).rejects.toThrow(/run npm run ramdisk/);
  });
});

const TEST_MANIFEST = {
  key: '0123456789abcdef', distribution: 'Debian 12.15 (bookworm)', kernelRelease: '6.1.0-57-amd64', kernelVersion: '6.1.158',
  drivers: 400, modules: 450, firmwareFiles: 300, firmwareMissing: [], kernelBytes: 15, initrdBytes: 13, driversBytes: 0, packages: [], signatureChecked: true,
};
