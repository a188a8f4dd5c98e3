// Rackboot run by a technician who is not root: the network setup and the PXE services run as an unprivileged user
// (nobody, no capabilities) in the laptop namespace; the network change goes through the real built helper
// (dist/electron/net-helper.mjs) running as root, started the way pkexec starts it (here by sudo, limited to that one
// command); DHCP (67) and TFTP (69) get their sockets from it. Real clients on the rack side: busybox udhcpc gets a
// lease with the boot file, tftp-hpa fetches that file.
import { createHash } from 'node:crypto';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRoot, linkNamespaces, Netns, run } from '../support/netns';
import { JsonLinesProcess } from './dhcp-lab';

const root = isRoot();
if (!root) console.log('privileged-ports.lab.test.ts skipped: needs root for network namespaces, setpriv and sudo.');

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const HELPER = path.join(REPO, 'dist/electron/net-helper.mjs');
const HARNESS = path.join(REPO, 'e2e/pxe/unprivileged-services-harness.ts');
const NOBODY = 65534;
const UNPRIVILEGED = ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--'];
const NIC = 'prov0';
const BRIDGE = `br-${NIC}`;
const ADDRESS = '10.77.0.1';
const CLIENT_MAC = '52:54:00:12:34:56';
const BOOTLOADER_DIR = '/usr/lib/ipxe';

const sha256 = async (file: string): Promise<string> => createHash('sha256').update(await readFile(file)).digest('hex');

describe.skipIf(!root)('PXE services of an unprivileged Rackboot get ports 67 and 69 from the privileged helper', () => {
  let laptop: Netns;
  let rack: Netns;
  let work = '';
  let sudoersDir = '';
  let services: JsonLinesProcess | null = null;

  beforeAll(async () => {
    await stat(HELPER).catch(() => {
      throw new Error(`${HELPER} is missing: run npm run build first`);
    });
    work = await mkdtemp(path.join(tmpdir(), 'rackboot-privports-'));
    await chmod(work, 0o755);
    // The launcher does what assets/polkit/rackboot-net-helper does for the installed app: re-announce the IPC
    // channel on fd 0 (sudo, like pkexec, resets the environment) and run the built helper. Root-owned, not writable
    // by nobody, like /usr/lib/rackboot.
    const launcher = path.join(work, 'rackboot-net-helper');
    await writeFile(launcher, `#!/bin/sh\nset -eu\nexport NODE_CHANNEL_FD=0\nexec ${process.execPath} ${HELPER} "$@"\n`);
    await chmod(launcher, 0o755);
    // sudo stands in for pkexec (no polkit daemon here), allowed for nobody and this one command line only. The rule
    // lives in this test's folder, seen as /etc/sudoers.d only inside the services' own mount namespace: the host's
    // sudo configuration is never touched, and nothing outlives a stopped run.
    sudoersDir = path.join(work, 'sudoers.d');
    await mkdir(sudoersDir, { mode: 0o755 });
    const rule = path.join(sudoersDir, 'rackboot-lab');
    await writeFile(rule, `nobody ALL=(root) NOPASSWD: ${launcher} --interface ${NIC} --bridge ${BRIDGE}\n`, { mode: 0o440 });
    await run('visudo', ['-cf', rule]);

    const dataDir = path.join(work, 'data');
    await mkdir(dataDir);
    await chown(dataDir, NOBODY, NOBODY);

    laptop = await Netns.create('rbpl');
    rack = await Netns.create('rbpr');
    await linkNamespaces(laptop, NIC, rack, 'rack0');

    const child = laptop.spawn(
      'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        'sh',
        '-c',
        'mount --bind "$1" /etc/sudoers.d && shift && exec "$@"',
        'sh',
        sudoersDir,
        ...UNPRIVILEGED,
        process.execPath,
        '--import',
        'tsx',
        HARNESS,
        JSON.stringify({
          dataDir,
          interfaceName: NIC,
          subnet: '10.77.0.0/24',
          address: ADDRESS,
          pool: { start: '10.77.0.100', end: '10.77.0.150' },
          helper: { command: '/usr/bin/sudo', args: ['-n', launcher] },
          clientMac: CLIENT_MAC,
          bootloaderDir: BOOTLOADER_DIR,
        }),
      ],
      { cwd: REPO, env: { PATH: process.env.PATH, HOME: dataDir, RACKBOOT_REQUIRE_NATIVE: '1' } },
    );
    services = new JsonLinesProcess(child);
    const started = await services.waitFor((line) => line.type === 'ready' || line.type === 'failed', 60_000);
    if (started.type !== 'ready') throw new Error(`the unprivileged services did not start: ${JSON.stringify(started)} ${services.stderr.slice(-2000)}`);
  });

  afterAll(async () => {
    try {
      if (services) {
        services.child.kill('SIGTERM');
        await services.exited(30_000);
        services.child.kill('SIGKILL');
      }
    } finally {
      await laptop?.destroy();
      await rack?.destroy();
      if (work) await rm(work, { recursive: true, force: true });
    }
  });

  it('runs as nobody, in a namespace where ports below 1024 are refused to it', async () => {
    expect(services?.lines.find((line) => line.type === 'identity')).toEqual({ type: 'identity', uid: NOBODY });
    expect((await laptop.exec('sysctl', ['-n', 'net.ipv4.ip_unprivileged_port_start'])).trim()).toBe('1024');
    const direct = await laptop.exec(UNPRIVILEGED[0] ?? 'setpriv', [
      ...UNPRIVILEGED.slice(1),
      process.execPath,
      '-e',
      "require('dgram').createSocket('udp4').on('error',(e)=>{console.log(e.code);process.exit(0)}).bind(67,()=>{console.log('bound');process.exit(0)})",
    ]);
    expect(direct.trim()).toBe('EACCES');
  });

  it('applied the network change through the helper and asked it for exactly the DHCP and TFTP sockets', async () => {
    expect(services?.lines.find((line) => line.type === 'network-applied')).toMatchObject({ serviceInterface: BRIDGE, checks: [] });
    expect(services?.lines.filter((line) => line.type === 'asked-helper').map((line) => line.request)).toEqual([
      { port: 69, address: ADDRESS, device: null, reuseAddress: false },
      { port: 67, address: '0.0.0.0', device: BRIDGE, reuseAddress: true },
    ]);
    // The sockets on 67 and 69 belong to the unprivileged process alone: the helper closed its copies after handing them over.
    const pid = services?.lines.find((line) => line.type === 'ready')?.pid;
    for (const port of [67, 69]) {
      const owners = await laptop.exec('ss', ['-H', '-uanp', `sport = :${port}`]);
      expect(owners).toContain(`pid=${pid},`);
      expect(owners.match(/pid=\d+/g)).toEqual([`pid=${pid}`]);
    }
  });

  it('busybox udhcpc gets a lease with the boot file, and tftp-hpa fetches that file', async () => {
    const envFile = path.join(work, 'udhcpc.env');
    const script = path.join(work, 'udhcpc.sh');
    await writeFile(script, `#!/bin/sh\n[ "$1" = bound ] || exit 0\nenv > "${envFile}"\nip addr add "$ip/$mask" dev "$interface"\n`);
    await chmod(script, 0o755);
    await rack.ip('link', 'set', 'rack0', 'address', CLIENT_MAC);
    // A BIOS PXE client's vendor class and architecture, as the ROM sends them.
    await rack.exec('busybox', ['udhcpc', '-f', '-q', '-n', '-i', 'rack0', '-s', script, '-t', '5', '-T', '1', '-V', 'PXEClient:Arch:00000:UNDI:002001', '-x', '0x5d:0000'], { timeoutMs: 30_000 });
    const lease = Object.fromEntries(
      (await readFile(envFile, 'utf8'))
        .split('\n')
        .filter((line) => line.includes('='))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    expect(lease).toMatchObject({ serverid: ADDRESS, siaddr: ADDRESS, boot_file: 'undionly.kpxe' });
    expect(lease.ip).toMatch(/^10\.77\.0\.1[0-5]\d$/);

    const fetched = path.join(work, 'fetched.kpxe');
    await rack.exec('tftp', ['-m', 'binary', lease.siaddr ?? ADDRESS, '-c', 'get', lease.boot_file ?? '', fetched], { timeoutMs: 30_000 });
    expect(await sha256(fetched)).toBe(await sha256(path.join(BOOTLOADER_DIR, 'undionly.kpxe')));
    await services?.waitFor((line) => line.type === 'service-event' && (line.event as { kind?: string; event?: { phase?: string } }).event?.phase === 'done');
  });

  it('on quit, the services stop and the helper undoes the network change', async () => {
    services?.child.kill('SIGTERM');
    expect(await services?.waitFor((line) => line.type === 'stopped', 30_000)).toEqual({ type: 'stopped', pendingChange: null });
    expect(await laptop.ip('-o', 'link', 'show', BRIDGE).catch(() => 'gone')).toBe('gone');
    expect(await laptop.ip('-o', '-4', 'addr', 'show', 'dev', NIC)).toBe('');
    services = null;
  });
});
