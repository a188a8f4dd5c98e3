import { execFile, execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import agentInit from './agent/init.sh?raw';

const haveBusybox = (() => {
  try {
    execFileSync('busybox', ['true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** One shell function of the agent, as the ramdisk runs it, with its job and inventory files moved into the test's folder. */
function agentFunction(name: string, jobFile: string, inventoryFile: string): string {
  const body = new RegExp(`^${name}\\(\\) \\{\\n[\\s\\S]*?\\n\\}\\n`, 'm').exec(agentInit)?.[0];
  if (!body) throw new Error(`init.sh has no function ${name}`);
  return body.replaceAll('/tmp/job', jobFile).replaceAll('/tmp/inventory', inventoryFile);
}

describe('deploy agent (busybox sh)', () => {
  let dir: string;
  let server: Server;
  let port: number;
  let requests: string[];
  let inventories: string[];
  let refusals: number;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-agent-init-'));
    requests = [];
    inventories = [];
    server = createServer((req, res) => {
      if (req.method === 'POST') {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString()));
        req.on('end', () => {
          inventories.push(`${req.url} ${body}`);
          res.writeHead(200).end('ok\n');
        });
        return;
      }
      requests.push(req.url ?? '');
      if (requests.length <= refusals) res.writeHead(404).end('no deploy job for this MAC\n');
      else res.writeHead(200).end('image_url=http://127.0.0.1/images/x\ndisk=/dev/vda\n');
    });
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, () => resolve()));
    port = (server.address() as { port: number }).port;
  });
  afterEach(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs fetch_job with busybox's wget and a `sleep` that only notes how long the agent would have waited. */
  async function fetchJob(): Promise<{ sleeps: string[]; job: string; console: string }> {
    const bin = path.join(dir, 'bin');
    const jobFile = path.join(dir, 'job');
    const sleeps = path.join(dir, 'sleeps');
    const inventoryFile = path.join(dir, 'inventory');
    await writeFile(inventoryFile, 'arch=x86_64\n');
    await mkdir(bin);
    await symlink(execFileSync('sh', ['-c', 'command -v busybox']).toString().trim(), path.join(bin, 'wget'));
    const script = [
      `PATH=${bin}`,
      `URL=http://127.0.0.1:${port}`,
      'MAC=52:54:00:12:34:56',
      'QUERY="mac=$MAC&token=tok"',
      'console() { echo "rackboot-agent: $*"; }',
      // A function, since busybox sh runs its own sleep applet whatever PATH says.
      `sleep() { echo "$1" >> ${sleeps}; }`,
      agentFunction('fetch_job', jobFile, inventoryFile),
      'fetch_job',
    ].join('\n');
    const { stdout } = await execFileAsync('busybox', ['sh', '-c', script], { timeout: 15_000 });
    return {
      sleeps: (await readFile(sleeps, 'utf8').catch(() => '')).split('\n').filter(Boolean),
      job: await readFile(jobFile, 'utf8'),
      console: stdout,
    };
  }

  it.skipIf(!haveBusybox)('asks for its job again, waiting longer each time up to 30 s, until Rackboot has one', async () => {
    refusals = 6;
    const result = await fetchJob();
    expect(result.sleeps).toEqual(['2', '4', '8', '16', '30', '30']);
    expect(requests).toHaveLength(7);
    expect(requests[0]).toBe('/agent/v1/job?mac=52:54:00:12:34:56&token=tok');
    expect(result.job).toBe('image_url=http://127.0.0.1/images/x\ndisk=/dev/vda\n');
    // The inventory goes first, every time: the job is made from it.
    expect(inventories).toHaveLength(7);
    expect(inventories[0]).toBe('/agent/v1/inventory?mac=52:54:00:12:34:56&token=tok arch=x86_64\n');
    expect(result.console).toContain('gave no job for 52:54:00:12:34:56 (no job yet, or the token was refused); asking again in 2 s');
  });

  it.skipIf(!haveBusybox)('takes a job given at the first request without waiting', async () => {
    refusals = 0;
    const result = await fetchJob();
    expect(result.sleeps).toEqual([]);
    expect(requests).toHaveLength(1);
    expect(result.job).toContain('disk=/dev/vda');
    expect(inventories).toHaveLength(1);
  });

  it.skipIf(!haveBusybox)('waits for a disk the kernel has found but not made a block device of: a USB stick, a SCSI disk, an NVMe controller starting', async () => {
    const sys = path.join(dir, 'sys');
    const pending = async (): Promise<boolean> => {
      const script = [agentFunction('disk_pending', '/tmp/job', '/tmp/inventory').replaceAll('/sys/', `${sys}/`), 'disk_pending && echo pending || echo settled'].join('\n');
      const { stdout } = await execFileAsync('busybox', ['sh', '-c', script]);
      return stdout.trim() === 'pending';
    };
    const usb = path.join(sys, 'bus/usb/devices');
    const stick = path.join(usb, '2-1:1.0');
    await mkdir(path.join(usb, '1-1:1.0'), { recursive: true });
    // A keyboard (class 03) is no disk to wait for.
    await writeFile(path.join(usb, '1-1:1.0', 'bInterfaceClass'), '03\n');
    expect(await pending()).toBe(false);
    await mkdir(stick, { recursive: true });
    await writeFile(path.join(stick, 'bInterfaceClass'), '08\n');
    expect(await pending()).toBe(true);
    // usb-storage bound and scanning: a SCSI host and target, no disk yet.
    await mkdir(path.join(stick, 'host2', 'target2:0:0', '2:0:0:0'), { recursive: true });
    expect(await pending()).toBe(true);
    await mkdir(path.join(stick, 'host2', 'target2:0:0', '2:0:0:0', 'block', 'sdb'), { recursive: true });
    expect(await pending()).toBe(false);

    // A SATA disk (SCSI type 0) sd has not attached yet; a CD-ROM (type 5) is no disk to wait for.
    const scsi = path.join(sys, 'bus/scsi/devices');
    await mkdir(path.join(scsi, '1:0:0:0'), { recursive: true });
    await writeFile(path.join(scsi, '1:0:0:0', 'type'), '5\n');
    expect(await pending()).toBe(false);
    await mkdir(path.join(scsi, '0:0:0:0'), { recursive: true });
    await writeFile(path.join(scsi, '0:0:0:0', 'type'), '0\n');
    expect(await pending()).toBe(true);
    await mkdir(path.join(scsi, '0:0:0:0', 'block', 'sda'), { recursive: true });
    expect(await pending()).toBe(false);

    const nvme = path.join(sys, 'class/nvme/nvme0');
    await mkdir(nvme, { recursive: true });
    await writeFile(path.join(nvme, 'state'), 'connecting\n');
    expect(await pending()).toBe(true);
    await writeFile(path.join(nvme, 'state'), 'live\n');
    expect(await pending()).toBe(false);
  });
});

const execFileAsync = promisify(execFile);
