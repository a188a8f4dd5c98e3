// TFTP throughput against reference servers, 64 MiB over a veth between two namespaces, `atftp` as the client.
//   tftp_ratio    = ours / dnsmasq at blksize 1468           (dnsmasq has no windowsize)
//   tftp_ws_ratio = ours / atftpd at blksize 1468 + windowsize 16
// Needs root and the Debian packages atftp and dnsmasq-base (atftpd: bench/atftpd.ts). Run alone: `npx tsx bench/tftp.ts`.
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile, chmod } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPxeLab, Harness, SERVER_ADDRESS, type PxeLab } from '../e2e/pxe/lab';
import { isRoot } from '../e2e/support/netns';
import { atftpdPath } from './atftpd';

export interface TftpBenchResult {
  tftp_ratio: number;
  tftp_ws_ratio: number;
  ours_mbps: number;
  dnsmasq_mbps: number;
  ours_ws_mbps: number;
  atftpd_ws_mbps: number;
}

const FILE_BYTES = 64 * 1024 * 1024;
const REFERENCE_ADDRESS = '10.79.0.3';
const RUNS = 5;
const LOCKSTEP = ['--option', 'blksize 1468'];
const WINDOWED = ['--option', 'blksize 1468', '--option', 'windowsize 16'];

export async function measureTftp(): Promise<TftpBenchResult> {
  if (!isRoot()) throw new Error('the TFTP benchmark needs root (it creates network namespaces)');
  const dir = await mkdtemp(path.join(tmpdir(), 'rackboot-tftp-bench-'));
  // dnsmasq drops privileges before serving: the files must be world-readable.
  await chmod(dir, 0o755);
  await writeFile(path.join(dir, 'image.bin'), randomBytes(FILE_BYTES), { mode: 0o644 });
  const lab = await createPxeLab();
  try {
    // The reference servers listen on a second address of the same interface, so runs can alternate between
    // ours and the reference and a load spike on this shared machine hits both alike.
    await lab.server.ip('addr', 'add', `${REFERENCE_ADDRESS}/24`, 'dev', 'prov0');
    const ours = await Harness.start(lab.server, 'e2e/pxe/tftp-harness.ts', { address: SERVER_ADDRESS, port: 69, root: dir });
    try {
      const lockstep = await withReference(
        lab,
        'dnsmasq',
        ['--no-daemon', '--port=0', '--enable-tftp', `--tftp-root=${dir}`, `--listen-address=${REFERENCE_ADDRESS}`,
          '--bind-interfaces', '--conf-file=/dev/null', '--pid-file=', '--user=root'],
        () => alternate(lab, LOCKSTEP),
      );
      const windowed = await withReference(
        lab,
        await atftpdPath(),
        ['--daemon', '--no-fork', '--bind-address', REFERENCE_ADDRESS, '--logfile', '/dev/null', dir],
        () => alternate(lab, WINDOWED),
      );
      return {
        tftp_ratio: round(lockstep.ours / lockstep.reference),
        tftp_ws_ratio: round(windowed.ours / windowed.reference),
        ours_mbps: round(lockstep.ours),
        dnsmasq_mbps: round(lockstep.reference),
        ours_ws_mbps: round(windowed.ours),
        atftpd_ws_mbps: round(windowed.reference),
      };
    } finally {
      await ours.stop();
    }
  } finally {
    await lab.destroy();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * RUNS fetches of image.bin from each server, alternating, timed around the whole client run; medians in MB/s
 * (10^6 bytes). One untimed fetch from each first, so page cache and JIT warm-up do not decide the comparison.
 */
async function alternate(lab: PxeLab, options: string[]): Promise<{ ours: number; reference: number }> {
  const ours: number[] = [];
  const reference: number[] = [];
  for (let run = -1; run < RUNS; run += 1) {
    const a = await fetchMbps(lab, SERVER_ADDRESS, options);
    const b = await fetchMbps(lab, REFERENCE_ADDRESS, options);
    if (run >= 0) {
      ours.push(a);
      reference.push(b);
    }
  }
  return { ours: median(ours), reference: median(reference) };
}

async function fetchMbps(lab: PxeLab, address: string, options: string[]): Promise<number> {
  const started = process.hrtime.bigint();
  await lab.client.exec('atftp', ['-g', '-r', 'image.bin', '-l', '/dev/null', ...options, address, '69']);
  return FILE_BYTES / 1e6 / (Number(process.hrtime.bigint() - started) / 1e9);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function withReference<T>(lab: PxeLab, cmd: string, args: string[], measure: () => Promise<T>): Promise<T> {
  const child = lab.server.spawn(cmd, args, { stdio: 'ignore' });
  try {
    await waitForUdpPort(lab, REFERENCE_ADDRESS, child, cmd);
    return await measure();
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
  }
}

async function waitForUdpPort(lab: PxeLab, address: string, child: ChildProcess, name: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode} before listening`);
    const sockets = await lab.server.exec('ss', ['-Hlun', `src ${address}:69`]);
    if (sockets.trim().length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${name} did not open UDP port 69 on ${address} within 5 s`);
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  measureTftp().then(
    (result) => console.log(JSON.stringify(result)),
    (error: Error) => {
      console.error(error.message);
      process.exit(1);
    },
  );
}
