// TFTP throughput against reference servers, 64 MiB over a veth between two namespaces, `atftp` as the client.
//   tftp_ratio    = ours / dnsmasq at blksize 1468           (dnsmasq has no windowsize)
//   tftp_ws_ratio = ours / atftpd at blksize 1468 + windowsize 16
// Needs root and the Debian packages atftp, atftpd, dnsmasq-base. Run alone: `npx tsx bench/tftp.ts`.
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile, chmod } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPxeLab, Harness, SERVER_ADDRESS, type PxeLab } from '../e2e/pxe/lab';
import { isRoot } from '../e2e/support/netns';

export interface TftpBenchResult {
  tftp_ratio: number;
  tftp_ws_ratio: number;
  ours_mbps: number;
  dnsmasq_mbps: number;
  ours_ws_mbps: number;
  atftpd_ws_mbps: number;
}

const FILE_BYTES = 64 * 1024 * 1024;
const RUNS = 3;
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
    const ours = await Harness.start(lab.server, 'e2e/pxe/tftp-harness.ts', {
      address: SERVER_ADDRESS,
      port: 69,
      root: dir,
    });
    let ours_mbps: number;
    let ours_ws_mbps: number;
    try {
      ours_mbps = await medianMbps(lab, LOCKSTEP);
      ours_ws_mbps = await medianMbps(lab, WINDOWED);
    } finally {
      await ours.stop();
    }
    const dnsmasq_mbps = await withReference(
      lab,
      'dnsmasq',
      ['--no-daemon', '--port=0', '--enable-tftp', `--tftp-root=${dir}`, '--interface=prov0', '--bind-interfaces',
        '--conf-file=/dev/null', '--pid-file=', '--user=root'],
      () => medianMbps(lab, LOCKSTEP),
    );
    const atftpd_ws_mbps = await withReference(
      lab,
      'atftpd',
      ['--daemon', '--no-fork', '--bind-address', SERVER_ADDRESS, '--logfile', '/dev/null', dir],
      () => medianMbps(lab, WINDOWED),
    );
    return {
      tftp_ratio: round(ours_mbps / dnsmasq_mbps),
      tftp_ws_ratio: round(ours_ws_mbps / atftpd_ws_mbps),
      ours_mbps: round(ours_mbps),
      dnsmasq_mbps: round(dnsmasq_mbps),
      ours_ws_mbps: round(ours_ws_mbps),
      atftpd_ws_mbps: round(atftpd_ws_mbps),
    };
  } finally {
    await lab.destroy();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Median over RUNS fetches of image.bin, in MB/s (10^6 bytes), timed around the whole client run. */
async function medianMbps(lab: PxeLab, options: string[]): Promise<number> {
  const rates: number[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    const started = process.hrtime.bigint();
    await lab.client.exec('atftp', ['-g', '-r', 'image.bin', '-l', '/dev/null', ...options, SERVER_ADDRESS, '69']);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    rates.push(FILE_BYTES / 1e6 / seconds);
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)] as number;
}

async function withReference<T>(lab: PxeLab, cmd: string, args: string[], measure: () => Promise<T>): Promise<T> {
  const child = lab.server.spawn(cmd, args, { stdio: 'ignore' });
  try {
    await waitForUdpPort(lab, 69, child, cmd);
    return await measure();
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
  }
}

async function waitForUdpPort(lab: PxeLab, port: number, child: ChildProcess, name: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode} before listening`);
    const sockets = await lab.server.exec('ss', ['-Hlun', `sport = :${port}`]);
    if (sockets.trim().length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${name} did not open UDP port ${port} within 5 s`);
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
