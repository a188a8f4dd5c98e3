// Our TFTP server in one namespace, real clients (tftp-hpa, atftp, curl) in another, over a veth.
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TftpTransferEvent } from '../../shared/pxe-transfer';
import { isRoot } from '../support/netns';
import { createPxeLab, Harness, SERVER_ADDRESS, type PxeLab } from './lab';

const root = isRoot();
if (!root) console.log('skipping TFTP lab tests: they need root to create network namespaces');

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

describe.skipIf(!root)('TFTP server with real clients', () => {
  let lab: PxeLab;
  let server: Harness<TftpTransferEvent & { type?: string }>;
  let dir: string;
  let served: string;
  let downloads: string;
  const files = {
    // 3 MB: more than 65535 blocks would be needed for rollover only at 512 B, see the big file below.
    odd: randomBytes(3_000_001),
    // Divides evenly by both 512 and 1468: the transfer must end with a zero-length block.
    even: randomBytes(512 * 1468 * 2),
    // 40 MiB at 512-byte blocks is 81,920 blocks: the block number rolls over.
    big: randomBytes(40 * 1024 * 1024),
    text: Buffer.from('line one\nline two\r\nbare\rcarriage\n'),
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'rackboot-tftp-lab-'));
    served = path.join(dir, 'root');
    downloads = path.join(dir, 'downloads');
    await mkdir(path.join(served, 'boot'), { recursive: true });
    await mkdir(downloads);
    for (const [name, bytes] of Object.entries(files)) await writeFile(path.join(served, name), bytes);
    await writeFile(path.join(dir, 'secret'), 'outside the root');
    await symlink('../secret', path.join(served, 'escape-link'));
    await symlink('../odd', path.join(served, 'boot', 'inside-link'));
    await chmod(dir, 0o755);
    lab = await createPxeLab();
    server = await Harness.start(lab.server, 'e2e/pxe/tftp-harness.ts', {
      address: SERVER_ADDRESS,
      port: 69,
      root: served,
    });
  });

  afterAll(async () => {
    await server?.stop();
    await lab?.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  const clientRun = (cmd: string, args: string[]): Promise<string> => lab.client.exec(cmd, args);
  const downloaded = async (name: string): Promise<string> => sha256(await readFile(path.join(downloads, name)));

  async function atftp(remote: string, local: string, options: string[] = []): Promise<string> {
    const flags = options.flatMap((o) => ['--option', o]);
    return clientRun('atftp', ['-g', '-r', remote, '-l', path.join(downloads, local), ...flags, SERVER_ADDRESS, '69']);
  }

  it('tftp-hpa fetches a file at the default 512-byte block size', async () => {
    await clientRun('tftp', ['-m', 'binary', SERVER_ADDRESS, '69', '-c', 'get', 'odd', path.join(downloads, 'hpa-odd')]);
    expect(await downloaded('hpa-odd')).toBe(sha256(files.odd));
  });

  it('tftp-hpa fetches a text file in netascii mode unchanged after its own conversion', async () => {
    await clientRun('tftp', ['-m', 'netascii', SERVER_ADDRESS, '69', '-c', 'get', 'text', path.join(downloads, 'hpa-text')]);
    expect((await readFile(path.join(downloads, 'hpa-text'))).toString()).toBe(files.text.toString());
  });

  it('atftp fetches at the default and at 1468-byte blocks', async () => {
    await atftp('odd', 'atftp-512');
    await atftp('odd', 'atftp-1468', ['blksize 1468']);
    expect(await downloaded('atftp-512')).toBe(sha256(files.odd));
    expect(await downloaded('atftp-1468')).toBe(sha256(files.odd));
  });

  it('atftp fetches with windowsize 16', async () => {
    await atftp('odd', 'atftp-ws', ['blksize 1468', 'windowsize 16']);
    expect(await downloaded('atftp-ws')).toBe(sha256(files.odd));
    const done = await server.waitFor((e) => e.phase === 'done' && e.windowsize === 16);
    expect(done).toMatchObject({ blksize: 1468, bytes: files.odd.length, total: files.odd.length });
  });

  it('curl fetches at the default and at 1468-byte blocks', async () => {
    await clientRun('curl', ['-sS', '-o', path.join(downloads, 'curl-512'), `tftp://${SERVER_ADDRESS}/odd`]);
    await clientRun('curl', ['-sS', '--tftp-blksize', '1468', '-o', path.join(downloads, 'curl-1468'), `tftp://${SERVER_ADDRESS}/odd`]);
    expect(await downloaded('curl-512')).toBe(sha256(files.odd));
    expect(await downloaded('curl-1468')).toBe(sha256(files.odd));
  });

  it('ends a file that divides evenly by blksize with a zero-length block, for every client', async () => {
    await atftp('even', 'even-atftp', ['blksize 1468']);
    await clientRun('tftp', ['-m', 'binary', SERVER_ADDRESS, '69', '-c', 'get', 'even', path.join(downloads, 'even-hpa')]);
    await clientRun('curl', ['-sS', '--tftp-blksize', '1468', '-o', path.join(downloads, 'even-curl'), `tftp://${SERVER_ADDRESS}/even`]);
    for (const name of ['even-atftp', 'even-hpa', 'even-curl']) expect(await downloaded(name)).toBe(sha256(files.even));
  });

  it('rolls the block number over past 65535 blocks (40 MiB at 512 bytes)', async () => {
    await clientRun('tftp', ['-m', 'binary', SERVER_ADDRESS, '69', '-c', 'get', 'big', path.join(downloads, 'big-hpa')]);
    expect(await downloaded('big-hpa')).toBe(sha256(files.big));
  });

  it('follows a symlink that stays inside the root', async () => {
    await atftp('boot/inside-link', 'inside-link');
    expect(await downloaded('inside-link')).toBe(sha256(files.odd));
  });

  for (const escape of ['../etc/passwd', '/etc/passwd', '..\\x', 'escape-link', 'boot/../../secret']) {
    it(`refuses ${JSON.stringify(escape)} with a TFTP error`, async () => {
      const local = `escape-${sha256(Buffer.from(escape)).slice(0, 8)}`;
      const failure = await atftp(escape, local).then(
        () => null,
        (error: Error) => error.message,
      );
      expect(failure).toMatch(/Access violation/);
      const refused = await server.waitFor((e) => e.phase === 'refused' && e.file === escape);
      expect(refused.error).toMatch(/Access violation/);
    });
  }

  it('keeps answering after 100,000 malformed datagrams', async () => {
    const out = await lab.client.exec('node', [
      '--import',
      'tsx',
      path.resolve('e2e/pxe/tftp-fuzz.ts'),
      SERVER_ADDRESS,
      '69',
      '100000',
    ]);
    const result = JSON.parse(out.trim().split('\n').pop() as string) as { sent: number; answerable: number; answered: number };
    expect(result.sent).toBe(100_000);
    // Broken requests and unknown opcodes are answered with an error; stray DATA/ACK/ERROR/OACK are dropped.
    expect(result.answerable).toBeGreaterThan(50_000);
    expect(result.answered).toBeGreaterThan(result.answerable * 0.99);
    expect(result.answered).toBeLessThanOrEqual(result.answerable);
    await atftp('odd', 'after-fuzz', ['blksize 1468']);
    expect(await downloaded('after-fuzz')).toBe(sha256(files.odd));
  });

  it('tells an unprivileged user exactly how to get port 69', async () => {
    const config = JSON.stringify({ address: SERVER_ADDRESS, port: 69, root: served });
    const child = lab.server.spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'env', 'HOME=/tmp',
      'node', '--import', 'tsx', path.resolve('e2e/pxe/tftp-harness.ts'), config]);
    child.stdin?.end();
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(output).toContain(`UDP port 69 on ${SERVER_ADDRESS}`);
    expect(output).toContain('sudo setcap cap_net_bind_service,cap_net_raw+ep');
    expect(output).toContain('net.ipv4.ip_unprivileged_port_start=69');
  });

  it('serves 24 clients at once, mixing tools and block sizes', async () => {
    const jobs = Array.from({ length: 24 }, (_, i) => {
      const local = path.join(downloads, `many-${i}`);
      switch (i % 3) {
        case 0:
          return clientRun('atftp', ['-g', '-r', 'odd', '-l', local, '--option', 'blksize 1468', '--option', 'windowsize 8', SERVER_ADDRESS, '69']);
        case 1:
          return clientRun('curl', ['-sS', '--tftp-blksize', '1024', '-o', local, `tftp://${SERVER_ADDRESS}/odd`]);
        default:
          return clientRun('tftp', ['-m', 'binary', SERVER_ADDRESS, '69', '-c', 'get', 'odd', local]);
      }
    });
    await Promise.all(jobs);
    for (let i = 0; i < 24; i += 1) expect(await downloaded(`many-${i}`)).toBe(sha256(files.odd));
  });
});

