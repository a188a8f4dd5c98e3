// The agent's image download under busybox (the applets the ramdisk has, nothing of the host's), against Rackboot's
// HTTP boot server behind a link that stalls or breaks.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, Socket, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HttpTransferEvent } from '../../../shared/pxe-transfer';
import { HttpBootServer } from '../../pxe/http/server';

const SCRIPT = fileURLToPath(new URL('./fetch-image.sh', import.meta.url));
const APPLETS = ['sh', 'nc', 'dd', 'sed', 'grep', 'tail', 'cat', 'gunzip', 'wget', 'sleep', 'kill', 'rm', 'mkdir', 'echo'];
const MIB = 1024 * 1024;

const busybox = (() => {
  try {
    return execFileSync('sh', ['-c', 'command -v busybox'], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
})();

/** What the link between agent and server does to one connection, by its number (0 = first). */
type Fault = { kind: 'stall' | 'cut'; afterBytes: number } | null;

/** A TCP relay in front of the server that stalls or cuts chosen connections after some response bytes. */
async function faultyLink(target: number, faults: Fault[]): Promise<{ port: number; server: Server }> {
  let connections = 0;
  // Half-open allowed: the agent's nc shuts its sending side after the request and still reads the answer.
  const server = createServer({ allowHalfOpen: true }, (client) => {
    const fault = faults[connections] ?? null;
    connections += 1;
    const upstream = new Socket();
    upstream.connect(target, '127.0.0.1');
    client.pipe(upstream);
    let sent = 0;
    upstream.on('data', (chunk: Buffer) => {
      if (fault && sent + chunk.length > fault.afterBytes) {
        client.write(chunk.subarray(0, Math.max(0, fault.afterBytes - sent)));
        sent = fault.afterBytes;
        upstream.pause();
        if (fault.kind === 'cut') {
          client.destroy();
          upstream.destroy();
        }
        return;
      }
      sent += chunk.length;
      client.write(chunk);
    });
    upstream.on('end', () => client.end());
    const close = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { port: typeof address === 'object' && address ? address.port : 0, server };
}

describe.skipIf(!busybox)('agent image download (fetch-image.sh under busybox)', () => {
  let dir: string;
  let http: HttpBootServer;
  let link: Server | null;
  let transfers: HttpTransferEvent[];
  let agentLog: string[];
  let progress: number[];

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-fetch-image-'));
    await mkdir(path.join(dir, 'bin'));
    for (const applet of APPLETS) await symlink(busybox!, path.join(dir, 'bin', applet));
    http = new HttpBootServer({ address: '127.0.0.1', port: 0, root: dir, bootTarget: () => null, progressIntervalMs: 0 });
    transfers = [];
    agentLog = [];
    progress = [];
    http.onTransfer((event) => transfers.push(event));
    http.addRawHandler(async (req, res, url) => {
      if (!url.pathname.startsWith('/agent/')) return false;
      let body = '';
      for await (const chunk of req) body += (chunk as Buffer).toString();
      if (url.pathname.endsWith('/log')) agentLog.push(body);
      if (url.pathname.endsWith('/progress')) progress.push(Number(body.replace('written=', '')));
      res.writeHead(200).end('ok\n');
      return true;
    });
    await http.listen();
    link = null;
  });

  afterEach(async () => {
    link?.close();
    await http.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function download(image: Buffer | null, format: 'raw' | 'gzip', size: number, faults: Fault[], diskPath?: string): Promise<{ code: number; stderr: string; stdout: string; disk: Buffer }> {
    const file = path.join(dir, `image.${format}`);
    if (image) await writeFile(file, image);
    http.serveFile('/images/img1', file);
    const relay = await faultyLink(Number(new URL(http.serverOrigin).port), faults);
    link = relay.server;
    const disk = diskPath ?? path.join(dir, 'disk');
    if (!diskPath) await writeFile(disk, Buffer.alloc(0));
    const child = spawn(busybox!, ['sh', ...(process.env.DEBUG_FETCH ? ['-x'] : []), SCRIPT, `http://127.0.0.1:${relay.port}/images/img1`, format, String(size), disk], {
      env: {
        PATH: path.join(dir, 'bin'),
        STALL_SECONDS: '2',
        AGENT_WORK: dir,
        AGENT_API: `${http.serverOrigin}/agent/v1`,
        AGENT_QUERY: 'mac=52:54:00:00:00:01&token=t',
      },
    });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const giveUp = setTimeout(() => child.kill(), 25_000);
    const code = await new Promise<number>((resolve) => child.on('exit', (exitCode) => resolve(exitCode ?? -1)));
    clearTimeout(giveUp);
    return { code, stderr, stdout, disk: diskPath ? Buffer.alloc(0) : await readFile(disk) };
  }

  const rangeRequests = (): HttpTransferEvent[] =>
    transfers.filter((event) => event.path === '/images/img1' && event.phase === 'started' && event.status === 206);

  it('resumes a stalled raw download with a Range request from the last whole MiB written, and says it stalled', async () => {
    const image = randomBytes(4 * MIB);
    const result = await download(image, 'raw', image.length, [{ kind: 'stall', afterBytes: 2 * MIB + 5000 }]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.disk.equals(image)).toBe(true);
    expect(agentLog).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^image transfer stalled: no new byte for 2 s at byte \d+ of 4194304/),
        'image transfer interrupted at byte 2097152 of 4194304; resuming from there (HTTP Range)',
      ]),
    );
    expect(rangeRequests().map((event) => event.total)).toEqual([2 * MIB]);
    expect(progress.at(-1)).toBeGreaterThanOrEqual(image.length);
  });

  it('resumes a raw download whose connection broke, also in the last partial MiB', async () => {
    const image = randomBytes(2 * MIB + 4321);
    const result = await download(image, 'raw', image.length, [
      { kind: 'cut', afterBytes: MIB + 5000 },
      { kind: 'cut', afterBytes: 300 },
      null,
      { kind: 'cut', afterBytes: 1000 },
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.disk.equals(image)).toBe(true);
    expect(rangeRequests().map((event) => event.total)).toEqual([MIB + 4321, MIB + 4321, 4321, 4321]);
  });

  it('starts a broken gzip download again from byte 0, saying why, and writes the whole image', async () => {
    const raw = randomBytes(3 * MIB);
    const packed = gzipSync(raw);
    const result = await download(packed, 'gzip', raw.length, [{ kind: 'cut', afterBytes: Math.floor(packed.length / 2) }]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.disk.equals(raw)).toBe(true);
    expect(agentLog).toContain('gzip image transfer interrupted; a gzip stream cannot be resumed in its middle, so it starts again from byte 0 (try 2)');
    expect(rangeRequests()).toEqual([]);
  });

  it('fails at once at a disk that refuses writes, saying why (the exit status of dd), not later at the read-back', async () => {
    // /dev/full answers every write with "No space left on device", like a disk smaller than the image.
    const result = await download(randomBytes(2 * MIB), 'raw', 2 * MIB, [], '/dev/full');
    expect(result.code).not.toBe(0);
    expect(result.stdout).toMatch(/^writing to \/dev\/full failed at byte 0 or later: .*No space left on device\n$/);
    const gzip = await download(gzipSync(randomBytes(2 * MIB)), 'gzip', 2 * MIB, [], '/dev/full');
    expect(gzip.code).not.toBe(0);
    expect(gzip.stdout).toMatch(/^writing to \/dev\/full failed: .*No space left on device\n$/);
  });

  it('fails a gzip image that decompresses to fewer bytes than Rackboot measured', async () => {
    const result = await download(gzipSync(randomBytes(MIB + 100)), 'gzip', 2 * MIB, []);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toMatch(/^the gzip image decompressed to 1\+1 MiB records, not the 2\+0 of the 2097152 bytes Rackboot measured/);
  });

  it('gives up at once when the server refuses the image', async () => {
    const result = await download(null, 'raw', 4096, []);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toMatch(/^the server refused the image at http:\/\/127\.0\.0\.1:\d+\/images\/img1 \(from byte 0\)\n$/);
  });
});
