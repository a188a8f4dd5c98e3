// The agent's image write under busybox (the applets the ramdisk has and its static helper, nothing of the host's),
// against Rackboot's HTTP boot server serving an image's data extents behind a link that stalls or breaks, onto a
// "disk" (a file) that holds random bytes before.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, Socket, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HttpTransferEvent } from '../../../shared/pxe-transfer';
import { HttpBootServer } from '../../pxe/http/server';
import { HttpRamdiskSource } from '../../core/adapters/http-ramdisk';
import { ImageLibrary } from '../image-library';

const SCRIPT = fileURLToPath(new URL('./fetch-image.sh', import.meta.url));
const VERIFY = fileURLToPath(new URL('./verify-image.sh', import.meta.url));
const HELPER = fileURLToPath(new URL('../../../dist/agent-tools/extents', import.meta.url));
const APPLETS = ['sh', 'sed', 'grep', 'tail', 'cat', 'wget', 'sleep', 'kill', 'rm', 'mkdir', 'echo', 'sha256sum', 'cut'];
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
  // Half-open allowed: a client may shut its sending side after the request and still read the answer.
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

const has = (tool: string): boolean => {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`]);
    return true;
  } catch {
    return false;
  }
};

/** A disk of 8 MiB: two stretches of data and zeros elsewhere (one hole of 5 MiB, one to the end). */
function sparseDisk(): Buffer {
  const disk = Buffer.alloc(8 * MIB);
  randomBytes(MIB + 4321).copy(disk, 0);
  randomBytes(MIB).copy(disk, 6 * MIB + 64 * 1024);
  return disk;
}

describe.skipIf(!busybox || !existsSync(HELPER))('agent image write (fetch-image.sh and verify-image.sh under busybox)', () => {
  let dir: string;
  let http: HttpBootServer;
  let link: Server | null;
  let transfers: HttpTransferEvent[];
  let agentLog: string[];
  let progress: number[];
  let library: ImageLibrary;
  /** The agent API answers log lines with 503, as a laptop behind a dead link would give no answer at all. */
  let logRefused: boolean;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-fetch-image-'));
    await mkdir(path.join(dir, 'bin'));
    for (const applet of APPLETS) await symlink(busybox!, path.join(dir, 'bin', applet));
    await copyFile(HELPER, path.join(dir, 'bin', 'extents'));
    http = new HttpBootServer({ address: '127.0.0.1', port: 0, root: dir, bootTarget: () => null, progressIntervalMs: 0 });
    transfers = [];
    agentLog = [];
    progress = [];
    http.onTransfer((event) => transfers.push(event));
    http.addRawHandler(async (req, res, url) => {
      if (!url.pathname.startsWith('/agent/')) return false;
      let body = '';
      for await (const chunk of req) body += (chunk as Buffer).toString();
      if (url.pathname.endsWith('/log')) {
        if (logRefused) {
          res.writeHead(503).end();
          return true;
        }
        agentLog.push(body);
      }
      if (url.pathname.endsWith('/progress')) progress.push(Number(body.replace('written=', '')));
      res.writeHead(200).end('ok\n');
      return true;
    });
    await http.listen();
    library = await ImageLibrary.open(dir);
    link = null;
    logRefused = false;
  });

  afterEach(async () => {
    link?.close();
    await http.close();
    await rm(dir, { recursive: true, force: true });
  });

  function run(script: string, args: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
    const child = spawn(busybox!, ['sh', ...(process.env.DEBUG_FETCH ? ['-x'] : []), script, ...args], {
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
    return new Promise((resolve) =>
      child.on('exit', (exitCode) => {
        clearTimeout(giveUp);
        resolve({ code: exitCode ?? -1, stderr, stdout });
      }),
    );
  }

  /** Adds the image file to a library, serves it as Rackboot does, and runs the agent's write onto a random disk. */
  async function deploy(imageFile: string, faults: Fault[], diskPath?: string) {
    const image = await library.add({ path: imageFile, bootMode: 'bios' });
    const source = new HttpRamdiskSource(http, { kind: 'append', kernel: 'unused', initrd: 'unused' }, dir, library);
    const { dataUrlPath, mapUrlPath } = await source.imageUrlPaths(image);
    const relay = await faultyLink(Number(new URL(http.serverOrigin).port), faults);
    link = relay.server;
    const disk = diskPath ?? path.join(dir, 'disk');
    if (!diskPath) await writeFile(disk, randomBytes(image.virtualSize + MIB));
    const origin = `http://127.0.0.1:${relay.port}`;
    const fetched = await run(SCRIPT, [`${origin}${dataUrlPath}`, `${http.serverOrigin}${mapUrlPath}`, String(image.dataSize), String(image.virtualSize), disk]);
    return { image, dataUrlPath, disk, fetched };
  }

  it.each([
    ['raw', (raw: Buffer) => raw],
    ['gzip', (raw: Buffer) => gzipSync(raw)],
  ])('writes the data of a %s image and zeros its holes over what the disk held, and the read-back proves it', async (_format, pack) => {
    const raw = sparseDisk();
    const file = path.join(dir, 'image');
    await writeFile(file, pack(raw));
    const { image, disk, fetched } = await deploy(file, []);
    expect(fetched.code, fetched.stderr + fetched.stdout).toBe(0);
    expect((await readFile(disk)).subarray(0, raw.length).equals(raw)).toBe(true);
    expect(image.dataSize).toBe(2 * MIB + 64 * 1024);
    expect(agentLog).toContain(`holes zeroed by writing zeros (${raw.length - image.dataSize} bytes; they will be read back)`);
    const verified = await run(VERIFY, [disk, String(image.virtualSize)]);
    expect(verified).toMatchObject({ code: 0, stdout: `${image.dataSha256}\n` });
    expect(progress.at(-1)).toBe(image.dataSize);
  });

  it.skipIf(!has('qemu-img'))('writes a compressed qcow2 image made by qemu-img', async () => {
    const raw = sparseDisk();
    await writeFile(path.join(dir, 'image.raw'), raw);
    execFileSync('qemu-img', ['convert', '-c', '-f', 'raw', '-O', 'qcow2', path.join(dir, 'image.raw'), path.join(dir, 'image.qcow2')]);
    const { image, disk, fetched } = await deploy(path.join(dir, 'image.qcow2'), []);
    expect(fetched.code, fetched.stderr + fetched.stdout).toBe(0);
    expect((await readFile(disk)).subarray(0, raw.length).equals(raw)).toBe(true);
    expect(await run(VERIFY, [disk, String(image.virtualSize)])).toMatchObject({ code: 0, stdout: `${image.dataSha256}\n` });
  });

  it('resumes a stalled transfer with a Range request from the data byte the helper reached, and says it stalled', async () => {
    const raw = sparseDisk();
    await writeFile(path.join(dir, 'image.raw'), raw);
    const { image, dataUrlPath, disk, fetched } = await deploy(path.join(dir, 'image.raw'), [{ kind: 'stall', afterBytes: MIB + 5000 }]);
    expect(fetched.code, fetched.stderr + fetched.stdout).toBe(0);
    expect((await readFile(disk)).subarray(0, raw.length).equals(raw)).toBe(true);
    expect(agentLog).toContainEqual(expect.stringMatching(new RegExp(`^image transfer stalled: no new byte for 2 s at byte \\d+ of ${image.dataSize}`)));
    expect(agentLog).toContainEqual(expect.stringMatching(/^image transfer interrupted at data byte \d+ of \d+; resuming from there \(HTTP Range\)$/));
    const ranges = transfers.filter((event) => event.path === dataUrlPath && event.phase === 'started' && event.status === 206);
    expect(ranges).toHaveLength(1);
    expect(ranges[0]!.total).toBeLessThan(image.dataSize - MIB);
  });

  it('delivers what it said while Rackboot could not hear it, in order, once Rackboot answers again', async () => {
    const raw = sparseDisk();
    await writeFile(path.join(dir, 'image.raw'), raw);
    logRefused = true;
    http.onTransfer((event) => {
      if (event.phase === 'started' && event.status === 206) logRefused = false;
    });
    const { fetched } = await deploy(path.join(dir, 'image.raw'), [{ kind: 'stall', afterBytes: MIB + 5000 }]);
    expect(fetched.code, fetched.stderr + fetched.stdout).toBe(0);
    const said = fetched.stderr.split('\n').filter((line) => line.startsWith('rackboot-agent: ')).map((line) => line.slice('rackboot-agent: '.length));
    expect(said).toHaveLength(3);
    expect(agentLog).toEqual(said);
  });

  it('ends when Rackboot never takes its log lines, a few seconds after the write', async () => {
    await writeFile(path.join(dir, 'image.raw'), sparseDisk());
    logRefused = true;
    const { fetched } = await deploy(path.join(dir, 'image.raw'), []);
    expect(fetched.code, fetched.stderr + fetched.stdout).toBe(0);
    expect(agentLog).toEqual([]);
  });

  it('resumes a transfer whose connection broke again and again, inside an extent and at its edges', async () => {
    const raw = sparseDisk();
    await writeFile(path.join(dir, 'image.raw'), raw);
    const { image, disk, fetched } = await deploy(path.join(dir, 'image.raw'), [
      { kind: 'cut', afterBytes: MIB + 4321 + 200 },
      { kind: 'cut', afterBytes: 300 },
      null,
    ]);
    expect(fetched.code, fetched.stderr + fetched.stdout).toBe(0);
    expect((await readFile(disk)).subarray(0, raw.length).equals(raw)).toBe(true);
    expect(await run(VERIFY, [disk, String(image.virtualSize)])).toMatchObject({ code: 0, stdout: `${image.dataSha256}\n` });
  });

  it('reads the holes back and names the first byte that is not zero', async () => {
    const raw = sparseDisk();
    await writeFile(path.join(dir, 'image.raw'), raw);
    const { image, disk, fetched } = await deploy(path.join(dir, 'image.raw'), []);
    expect(fetched.code).toBe(0);
    const bytes = await readFile(disk);
    bytes[3 * MIB + 7] = 0x5a;
    await writeFile(disk, bytes);
    const verified = await run(VERIFY, [disk, String(image.virtualSize)]);
    expect(verified.code).not.toBe(0);
    expect(verified.stdout).toMatch(/^a hole of the image does not read back as zero on .*disk: byte 3145735 of a hole reads back 90, not zero\n$/);
  });

  it('fails at a disk that refuses writes, with the reason', async () => {
    // /dev/full answers every write with "No space left on device", like a failing disk.
    await writeFile(path.join(dir, 'image.raw'), sparseDisk());
    const { fetched } = await deploy(path.join(dir, 'image.raw'), [], '/dev/full');
    expect(fetched.code).not.toBe(0);
    expect(fetched.stdout).toMatch(/^writing the image to \/dev\/full failed: writing to the disk failed at byte 0: No space left on device\n$/);
  });

  it('gives up at once when the server refuses the image data, with the answer it got', async () => {
    await writeFile(path.join(dir, 'image.raw'), sparseDisk());
    const image = await library.add({ path: path.join(dir, 'image.raw'), bootMode: 'bios' });
    const source = new HttpRamdiskSource(http, { kind: 'append', kernel: 'unused', initrd: 'unused' }, dir, library);
    const { mapUrlPath } = await source.imageUrlPaths(image);
    const disk = path.join(dir, 'disk');
    await writeFile(disk, Buffer.alloc(image.virtualSize));
    const result = await run(SCRIPT, [`${http.serverOrigin}/images/none/data`, `${http.serverOrigin}${mapUrlPath}`, String(image.dataSize), String(image.virtualSize), disk]);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toMatch(/^the server refused the image at http:\/\/127\.0\.0\.1:\d+\/images\/none\/data \(from data byte 0\): the server answered HTTP\/1\.1 404 Not Found$/m);
    expect((await readFile(disk)).every((byte) => byte === 0)).toBe(true);
  });

  it('gives up at once when the server refuses the image', async () => {
    const result = await run(SCRIPT, [`${http.serverOrigin}/images/none/data`, `${http.serverOrigin}/images/none/extents`, '4096', '8192', path.join(dir, 'disk')]);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toMatch(/^the server refused the extent map at http:\/\/127\.0\.0\.1:\d+\/images\/none\/extents: .*404/);
  });
});
