// Each image format Rackboot reads, deployed to a lab server whose disk holds random bytes before: the disk must then
// hold the image's disk exactly, its holes read back as zeros (checked in the VM's disk file), and the installed OS
// boots. And the images refused before anything is powered on or written: an overlay on a backing file, a truncated
// qcow2, a checksum that does not match.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureKernel, startLab, waitForSerial, type Kernel, type Lab, type LabServer } from '../lab';
import { isRoot } from '../support/netns';
import { networkArgs, ramdiskArgs, runDeployCli } from './deploy-cli';
import { DEPLOYED_MARKER, buildTestImage } from './test-image';

const MIB = 1024 * 1024;
const VIRTUAL_MIB = 48;
const skip = !isRoot();
if (skip) console.log('image format lab tests skipped: they need root (network namespaces, ipmi_sim, QEMU).');

describe.skipIf(skip)('image formats deployed to a lab server', () => {
  let lab: Lab;
  let kernel: Kernel;
  let dataDir: string;
  /** The disk every format describes: the bootable test image and zeros up to 48 MiB (a 24 MiB hole at least). */
  let disk: Buffer;
  const files: Record<string, string> = {};

  beforeAll(async () => {
    kernel = await ensureKernel();
    const bootable = await buildTestImage(kernel);
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-formats-'));
    const raw = path.join(dataDir, 'disk.raw');
    await copyFile(bootable, raw);
    await truncate(raw, VIRTUAL_MIB * MIB);
    disk = await readFile(raw);
    files.raw = raw;
    files.gzip = path.join(dataDir, 'disk.gz');
    await writeFile(files.gzip, gzipSync(disk, { level: 1 }));
    execFileSync('xz', ['-0', '-T2', '-k', raw]);
    files.xz = `${raw}.xz`;
    execFileSync('zstd', ['-q', '-3', raw, '-o', `${raw}.zst`]);
    files.zstd = `${raw}.zst`;
    files['qcow2 v3 compressed'] = path.join(dataDir, 'v3c.qcow2');
    execFileSync('qemu-img', ['convert', '-c', '-f', 'raw', '-O', 'qcow2', '-o', 'compat=1.1', raw, files['qcow2 v3 compressed']]);
    files['qcow2 v2'] = path.join(dataDir, 'v2.qcow2');
    execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', '-o', 'compat=0.10', raw, files['qcow2 v2']]);
    lab = await startLab({ servers: 1 });
  }, 600_000);

  afterAll(async () => {
    await lab?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const server = (): LabServer => lab.servers[0]!;

  async function deploy(image: string, extra: string[] = []) {
    const hwinfo = path.join(dataDir, 'hardware_info');
    const target = server();
    await writeFile(hwinfo, `${target.bmc.address} ${target.mac} ${target.bmc.user} ${target.bmc.password}\n`);
    return runDeployCli(lab, [
      '--hwinfo', hwinfo, '--image', image, ...extra, ...networkArgs(lab), ...ramdiskArgs(kernel), '--disk', '/dev/vda',
      '--data-dir', await mkdtemp(path.join(dataDir, 'run-')),
    ]);
  }

  /** Random bytes over the whole disk, so a hole that was skipped and not zeroed shows. */
  async function scrambleDisk(): Promise<Buffer> {
    const before = randomBytes(64 * MIB);
    await writeFile(server().diskPath, before);
    return before;
  }

  it.each(['qcow2 v3 compressed', 'qcow2 v2', 'xz', 'zstd', 'gzip', 'raw'])(
    'deploys a %s image: the data written, the holes zero over random bytes, the OS boots',
    async (format) => {
      const before = await scrambleDisk();
      const run = await deploy(files[format]!);
      expect(run.code, run.output.slice(-4000)).toBe(0);
      expect(run.records.at(-1)?.status).toBe('deployed');
      const written = await readFile(server().diskPath);
      expect(written.subarray(0, disk.length).equals(disk), 'the disk holds the image, holes as zeros').toBe(true);
      expect(written.subarray(disk.length).equals(before.subarray(disk.length)), 'nothing past the image was touched').toBe(true);
      expect(run.output).toMatch(/holes zeroed by (the disk's write-zeroes|writing zeros) \(\d+ bytes/);
      expect(run.output).toMatch(new RegExp(`job received: \\d+ data bytes of a ${disk.length}-byte image \\(${format.split(' ')[0]}\\)`));
      await waitForSerial(server(), new RegExp(DEPLOYED_MARKER), { timeoutMs: 5_000 });
    },
    900_000,
  );

  describe('refuses before powering anything on or writing a byte', () => {
    async function refused(image: string, extra: string[] = []): Promise<string> {
      const before = await scrambleDisk();
      const run = await deploy(image, extra);
      expect(run.code).not.toBe(0);
      expect(run.records).toEqual([]);
      expect((await readFile(server().diskPath)).equals(before)).toBe(true);
      return run.output;
    }

    it('an overlay on a backing file, naming the file', async () => {
      const overlay = path.join(dataDir, 'overlay.qcow2');
      execFileSync('qemu-img', ['create', '-f', 'qcow2', '-F', 'qcow2', '-b', files['qcow2 v2']!, overlay]);
      expect(await refused(overlay)).toMatch(/overlay on a backing file \(".*v2\.qcow2"\).*Flatten it first/);
    }, 120_000);

    it('a truncated qcow2', async () => {
      const cut = path.join(dataDir, 'cut.qcow2');
      await writeFile(cut, (await readFile(files['qcow2 v2']!)).subarray(0, 2 * MIB));
      expect(await refused(cut)).toMatch(/This qcow2 file is truncated or damaged/);
    }, 120_000);

    it('an image whose sha256 is not the one in the SHA256SUMS given', async () => {
      const sums = path.join(dataDir, 'SHA256SUMS');
      await writeFile(sums, `${'0'.repeat(64)}  disk.raw.xz\n`);
      expect(await refused(files.xz!, ['--image-checksum', sums])).toMatch(/disk\.raw\.xz has sha256 [0-9a-f]{64}, not the 0{64} given/);
    }, 120_000);
  });
});
