import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, rename, rm, stat, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensureKernel, labCacheDir, startLab, type Kernel, type Lab, type LabServer } from '../e2e/lab';
import { buildTestImage } from '../e2e/deploy/test-image';
import { isRoot } from '../e2e/support/netns';
import { buildDeployCli, deployedAt, hardwareInfo, phaseDurations, powerOffAndWipe, timedDeploy } from './deploy-cli';
import { startReferenceDeployServer } from './reference-deploy';

/**
 * Send only the data: a qcow2 image of 4 GiB virtual size holding 256 MiB of data (the bootable test image, then
 * random data in four stretches across the disk), deployed to a lab server by `rackboot deploy`, against the same disk
 * as a full raw file of 4 GiB written whole, in the same run, by reference tools (bench/reference-deploy.ts: dnsmasq,
 * busybox httpd, `wget | dd`, ipmitool; no orchestration, no read-back). sparse_ratio = qcow2 seconds (from the CLI's
 * start to `deployed`, the library's measuring of the image included) / raw seconds (power-on → written, plus power
 * cycle → login prompt); wire_ratio = image bytes the boot server sent to the agent (extent map and data, every
 * connection counted) / the image's data bytes. Rackboot's own deploy of the raw file is measured too, on a line of
 * its own: it skips the raw file's zeros as well (docs/decisions.md, "The images benchmark").
 */
const execFileAsync = promisify(execFile);
const MIB = 1024 * 1024;
const VIRTUAL = 4096 * MIB;
const DATA = 256 * MIB;
const seconds = (ms: number): number => Math.round(ms) / 1000;

/** The raw disk (sparse on the laptop's file system) and its qcow2, built once per test image. */
async function buildImages(bootable: string): Promise<{ raw: string; qcow2: string }> {
  const dir = path.join(labCacheDir(), 'bench-images');
  const key = path.basename(bootable, '.raw');
  const raw = path.join(dir, `${key}-4g.raw`);
  const qcow2 = path.join(dir, `${key}-4g.qcow2`);
  if (existsSync(raw) && existsSync(qcow2)) return { raw, qcow2 };
  await mkdir(dir, { recursive: true });
  const partial = `${raw}.partial`;
  await execFileAsync('cp', ['--sparse=always', bootable, partial]);
  await truncate(partial, VIRTUAL);
  const bootableSize = (await stat(bootable)).size;
  const stretch = (DATA - bootableSize) / 4;
  const handle = await open(partial, 'r+');
  try {
    for (let index = 0; index < 4; index += 1) {
      const at = (index + 1) * 800 * MIB;
      for (let written = 0; written < stretch; written += MIB) {
        await handle.write(randomBytes(Math.min(MIB, stretch - written)), 0, undefined, at + written);
      }
    }
  } finally {
    await handle.close();
  }
  await rm(qcow2, { force: true });
  await execFileAsync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', partial, `${qcow2}.partial`]);
  await rename(`${qcow2}.partial`, qcow2);
  await rename(partial, raw);
  return { raw, qcow2 };
}

interface Deployed {
  total: number;
  imageBytesSent: number;
  dataSize: number;
}

async function deploy(lab: Lab, server: LabServer, image: string, label: string): Promise<Deployed> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-bench-images-'));
  try {
    const hwinfo = path.join(dataDir, 'hardware_info');
    await writeFile(hwinfo, hardwareInfo([server]));
    const run = await timedDeploy(lab, { hwinfo, image, dataDir });
    const record = run.finals[0];
    if (run.code !== 0 || !record) throw new Error(`rackboot deploy of ${label} exited ${run.code}:\n${run.output.slice(-3000)}`);
    const done = deployedAt(record, run.output);
    let imageBytesSent = 0;
    for (const line of run.output.split('\n')) {
      if (!line.startsWith('{"event":"transfer.progress"')) continue;
      const { transfer } = JSON.parse(line) as { transfer: { file: string; bytes: number } };
      if (transfer.file.startsWith('/images/')) imageBytesSent += transfer.bytes;
    }
    const phases = phaseDurations(record).map(([phase, s]) => `${phase} ${s.toFixed(1)}`).join(', ');
    console.log(`${label}: ${seconds(done - run.spawnedAt)} s from the CLI's start; ${imageBytesSent} image bytes sent of ${record.bytesTotal} data bytes; ${phases}`);
    return { total: seconds(done - run.spawnedAt), imageBytesSent, dataSize: record.bytesTotal };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** The raw file written whole by the reference tools; seconds from power-on to the installed OS's login prompt. */
async function writtenWhole(lab: Lab, server: LabServer, raw: string, kernel: Kernel): Promise<number> {
  // Rackboot's router advertiser ends iPXE's IPv6 wait; the reference gets the same from dnsmasq.
  const reference = await startReferenceDeployServer(lab, kernel, raw, { routerAdvertisements: true, writeTimeoutMs: 30 * 60_000 });
  try {
    const timing = await reference.deploy(server);
    const total = timing.writeSeconds + timing.diskBootSeconds;
    console.log(`raw written whole by reference tools: power-on → 4 GiB written ${timing.writeSeconds.toFixed(1)} s + power cycle → login prompt ${timing.diskBootSeconds.toFixed(1)} s = ${total.toFixed(1)} s`);
    return total;
  } finally {
    await reference.stop();
  }
}

if (!isRoot()) {
  console.error('bench images: needs root (network namespaces, ipmi_sim, QEMU)');
  process.exit(1);
}
await buildDeployCli();
const kernel = await ensureKernel();
const { raw, qcow2 } = await buildImages(await buildTestImage(kernel));
const lab = await startLab({ servers: 1, diskMiB: 4200 });
const keepAlive = setInterval(() => undefined, 60_000);
try {
  const server = lab.servers[0]!;
  const sparse = await deploy(lab, server, qcow2, 'qcow2');
  await powerOffAndWipe(lab, [server]);
  const whole = await writtenWhole(lab, server, raw, kernel);
  await powerOffAndWipe(lab, [server]);
  const ownRaw = await deploy(lab, server, raw, 'raw');
  console.log(`rackboot deploy of the raw file: ${ownRaw.total} s (qcow2 / this: ${(sparse.total / ownRaw.total).toFixed(2)})`);
  const round = (value: number): number => Math.round(value * 100) / 100;
  console.log(
    JSON.stringify({
      bench: 'images',
      qcow2_s: round(sparse.total),
      raw_s: round(whole),
      sparse_ratio: round(sparse.total / whole),
      wire_ratio: round(sparse.imageBytesSent / sparse.dataSize),
    }),
  );
} finally {
  clearInterval(keepAlive);
  await lab.stop();
}
