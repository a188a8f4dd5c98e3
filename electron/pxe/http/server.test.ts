// The HTTP boot server on loopback, driven with fetch.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpTransferEventSchema, type HttpTransferEvent } from '../../../shared/pxe-transfer';
import { HttpBootServer } from './server';

let dir: string;
let server: HttpBootServer;
let origin: string;
const events: HttpTransferEvent[] = [];
const image = randomBytes(3 * 1024 * 1024 + 17);
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'rackboot-http-'));
  await mkdir(path.join(dir, 'root', 'images'), { recursive: true });
  await writeFile(path.join(dir, 'root', 'images', 'disk.img'), image);
  await writeFile(path.join(dir, 'secret'), 'secret');
  await symlink('../secret', path.join(dir, 'root', 'escape'));
  server = new HttpBootServer({
    address: '127.0.0.1',
    port: 0,
    root: path.join(dir, 'root'),
    progressIntervalMs: 0,
    bootTarget: (mac) =>
      mac === '52:54:00:12:34:56'
        ? { kernelUrl: '/images/vmlinuz', initrdUrls: ['/images/initrd.img'], cmdline: 'console=ttyS0' }
        : null,
    macForAddress: (address) => (address === '127.0.0.1' ? '52:54:00:aa:bb:cc' : null),
  });
  server.onTransfer((e) => events.push(e));
  await server.listen();
  origin = server.serverOrigin;
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('HttpBootServer', () => {
  it('serves a file whole with its length, ETag and Accept-Ranges', async () => {
    const res = await fetch(`${origin}/images/disk.img`);
    expect(res.status).toBe(200);
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('content-length')).toBe(String(image.length));
    expect(sha(Buffer.from(await res.arrayBuffer()))).toBe(sha(image));
  });

  it('serves a byte range with 206 and Content-Range', async () => {
    const res = await fetch(`${origin}/images/disk.img`, { headers: { range: 'bytes=100-199' } });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes 100-199/${image.length}`);
    expect(Buffer.from(await res.arrayBuffer()).equals(image.subarray(100, 200))).toBe(true);
  });

  it('answers 416 for a range past the end', async () => {
    const res = await fetch(`${origin}/images/disk.img`, { headers: { range: `bytes=${image.length}-` } });
    expect(res.status).toBe(416);
    expect(res.headers.get('content-range')).toBe(`bytes */${image.length}`);
  });

  it('answers HEAD with the headers and no body', async () => {
    const res = await fetch(`${origin}/images/disk.img`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(image.length));
    expect((await res.arrayBuffer()).byteLength).toBe(0);
  });

  it('answers 304 when the ETag still matches', async () => {
    const etag = (await fetch(`${origin}/images/disk.img`, { method: 'HEAD' })).headers.get('etag') as string;
    const res = await fetch(`${origin}/images/disk.img`, { headers: { 'if-none-match': etag } });
    expect(res.status).toBe(304);
  });

  it('sends the whole file when If-Range names an older version', async () => {
    const res = await fetch(`${origin}/images/disk.img`, { headers: { range: 'bytes=0-9', 'if-range': '"stale"' } });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  });

  it.each(['/..%2Fsecret', '/escape', '/images/..%5C..%5Csecret'])('refuses %s with 403', async (p) => {
    const res = await fetch(`${origin}${p}`);
    expect(res.status).toBe(403);
  });

  it('resolves raw dot segments inside the root, so /../secret is looked up as /secret', async () => {
    const status = await new Promise<number | undefined>((resolve, reject) => {
      get(`${origin}/../secret`, { path: '/../secret' }, (res) => {
        res.resume();
        resolve(res.statusCode);
      }).on('error', reject);
    });
    expect(status).toBe(404);
  });

  it('renders the node script for a known MAC given with hyphens', async () => {
    const res = await fetch(`${origin}/ipxe/52-54-00-12-34-56.ipxe`);
    const text = await res.text();
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    expect(text).toContain(`kernel --name kernel ${origin}/images/vmlinuz?mac=52-54-00-12-34-56 initrd=initrd0 console=ttyS0 || goto failed`);
  });

  it('answers an unknown MAC with a script that explains and exits', async () => {
    const text = await (await fetch(`${origin}/ipxe/52-54-00-00-00-01.ipxe`)).text();
    expect(text).toContain('no boot target for 52-54-00-00-00-01');
  });

  it('serves the entry script that chains by ${mac:hexhyp}', async () => {
    expect(await (await fetch(server.entryScriptUrl)).text()).toContain(`chain --autofree ${origin}/ipxe/\${mac:hexhyp}.ipxe`);
  });

  it('refuses methods other than GET and HEAD with 405', async () => {
    const res = await fetch(`${origin}/images/disk.img`, { method: 'POST', body: 'x' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
  });

  it('reports per-download events attributed to the MAC from the query, else from the lease table', async () => {
    events.length = 0;
    await (await fetch(`${origin}/images/disk.img?mac=52-54-00-12-34-56`)).arrayBuffer();
    await (await fetch(`${origin}/images/disk.img`, { headers: { range: 'bytes=0-9' } })).arrayBuffer();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const first = events.filter((e) => e.mac === '52:54:00:12:34:56');
    expect(first[0]).toMatchObject({ phase: 'started', status: 200, total: image.length, path: '/images/disk.img' });
    expect(first.some((e) => e.phase === 'progress')).toBe(true);
    expect(first.at(-1)).toMatchObject({ phase: 'done', bytes: image.length });
    expect(events.filter((e) => e.mac === '52:54:00:aa:bb:cc').at(-1)).toMatchObject({ phase: 'done', status: 206, bytes: 10, total: 10 });
    for (const event of events) expect(httpTransferEventSchema.parse(event)).toEqual(event);
  });

  it('reports a download the client abandoned as failed', async () => {
    events.length = 0;
    const controller = new AbortController();
    const res = await fetch(`${origin}/images/disk.img`, { signal: controller.signal });
    const reader = res.body?.getReader();
    await reader?.read();
    controller.abort();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(events.at(-1)).toMatchObject({ phase: 'failed', error: expect.stringMatching(/closed the connection/) });
  });
});
