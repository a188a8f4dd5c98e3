// Our HTTP boot server in one namespace, curl in another, over a veth.
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpTransferEvent } from '../../shared/pxe-transfer';
import { isRoot } from '../support/netns';
import { CLIENT_ADDRESS, createPxeLab, Harness, SERVER_ADDRESS, type PxeLab } from './lab';

const root = isRoot();
if (!root) console.log('skipping HTTP boot lab tests: they need root to create network namespaces');

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
const MAC = '52:54:00:12:34:56';

describe.skipIf(!root)('HTTP boot server with curl', () => {
  let lab: PxeLab;
  let server: Harness<HttpTransferEvent & { type?: string }>;
  let dir: string;
  let downloads: string;
  const origin = `http://${SERVER_ADDRESS}:8080`;
  const image = randomBytes(20 * 1024 * 1024 + 3);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'rackboot-http-lab-'));
    downloads = path.join(dir, 'downloads');
    await mkdir(path.join(dir, 'root', 'images'), { recursive: true });
    await mkdir(downloads);
    await writeFile(path.join(dir, 'root', 'images', 'disk.img'), image);
    await chmod(dir, 0o755);
    lab = await createPxeLab();
    server = await Harness.start(lab.server, 'e2e/pxe/http-harness.ts', {
      address: SERVER_ADDRESS,
      port: 8080,
      root: path.join(dir, 'root'),
      nodes: {
        [MAC]: { kernelUrl: '/images/vmlinuz', initrdUrls: ['/images/initrd.img'], cmdline: 'console=ttyS0,115200 rackboot.agent=1' },
      },
      leases: { [CLIENT_ADDRESS]: '52:54:00:aa:bb:cc' },
    });
  });

  afterAll(async () => {
    await server?.stop();
    await lab?.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  const curl = (...args: string[]): Promise<string> => lab.client.exec('curl', ['-sS', ...args]);

  it('serves a 20 MiB image whose sha256 matches', async () => {
    await curl('-o', path.join(downloads, 'whole'), `${origin}/images/disk.img`);
    expect(sha256(await readFile(path.join(downloads, 'whole')))).toBe(sha256(image));
  });

  it('resumes with a Range request and the pieces add up to the image', async () => {
    const cut = 7 * 1024 * 1024 + 5;
    await curl('-r', `0-${cut - 1}`, '-o', path.join(downloads, 'part1'), `${origin}/images/disk.img`);
    await curl('-C', String(cut), '-o', path.join(downloads, 'part1'), `${origin}/images/disk.img`);
    expect(sha256(await readFile(path.join(downloads, 'part1')))).toBe(sha256(image));
  });

  it('answers HEAD with the length and range support', async () => {
    const headers = await curl('-I', `${origin}/images/disk.img`);
    expect(headers).toMatch(/^HTTP\/1\.1 200/);
    expect(headers).toMatch(new RegExp(`content-length: ${image.length}`, 'i'));
    expect(headers).toMatch(/accept-ranges: bytes/i);
  });

  it('serves the node its iPXE script with the kernel, initrd and command line', async () => {
    const script = await curl(`${origin}/ipxe/52-54-00-12-34-56.ipxe`);
    expect(script.startsWith('#!ipxe\n')).toBe(true);
    expect(script).toContain(
      `kernel --name kernel ${origin}/images/vmlinuz?mac=52-54-00-12-34-56 initrd=initrd0 console=ttyS0,115200 rackboot.agent=1 || goto failed`,
    );
    expect(script).toContain(`initrd --name initrd0 ${origin}/images/initrd.img?mac=52-54-00-12-34-56 || goto failed`);
  });

  it('reports progress and completion per client, with the MAC from the lease table', async () => {
    await curl('-o', '/dev/null', `${origin}/images/disk.img`);
    const done = await server.waitFor((e) => e.phase === 'done' && e.path === '/images/disk.img' && e.status === 200);
    expect(done).toMatchObject({ client: { address: CLIENT_ADDRESS }, mac: '52:54:00:aa:bb:cc', bytes: image.length, total: image.length });
  });

  it('refuses paths that leave the root', async () => {
    const status = await curl('--path-as-is', '-o', '/dev/null', '-w', '%{http_code}', `${origin}/images/..%2F..%2Fetc/passwd`);
    expect(status).toBe('403');
  });
});
