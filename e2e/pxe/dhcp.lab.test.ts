// Our DHCP server against real clients (ISC dhclient, busybox udhcpc, a PXE-like client) and next to dnsmasq, in
// namespaces made here. A capture on the uplink interface runs for the whole file: no DHCP packet may leave there.
import type { ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRoot } from '../support/netns';
import {
  CLIENT_ADDRESS,
  CLIENT_MAC,
  createDhcpLab,
  DHCP_FILTER,
  type DhcpLab,
  type JsonLinesProcess,
  OTHER_ADDRESS,
  PROV_ADDRESS,
  runEntry,
  spawnEntry,
  startCapture,
  UPLINK_ADDRESS,
} from './dhcp-lab';

const root = isRoot();
if (!root) console.log('dhcp.lab.test.ts skipped: needs root for network namespaces, port 67 and tcpdump.');

const UNKNOWN_MAC = '52:54:00:99:99:99';
const IPXE_URL_BASE = `http://${PROV_ADDRESS}:8080/ipxe/`;
const pool = { start: '10.77.0.100', end: '10.77.0.150', subnetMask: '255.255.255.0', router: null, dnsServers: [] };
const enrolled = [{ id: 'node-1', mac: CLIENT_MAC }];

let lab: DhcpLab;
let work: string;
let uplinkOut: { stop(): Promise<number> };
let uplinkIn: { stop(): Promise<number> };

function serverConfig(mode: 'full' | 'proxy', extra: Record<string, unknown> = {}) {
  return {
    mode: 'serve',
    settings: { interfaceName: 'prov0', serverAddress: PROV_ADDRESS, mode, pool: mode === 'full' ? pool : null, ...extra },
    nodes: enrolled,
    leaseFile: join(work, `leases-${mode}.json`),
    ipxeScriptBase: IPXE_URL_BASE,
  };
}

async function startServer(config: object): Promise<JsonLinesProcess> {
  const server = spawnEntry(lab.prov, 'dhcp-harness.ts', config);
  await server.waitFor((line) => line.type === 'ready' || line.type === 'start-failed');
  expect(server.lines.at(-1)?.type).toBe('ready');
  return server;
}

async function withServer<T>(config: object, body: (server: JsonLinesProcess) => Promise<T>): Promise<T> {
  const server = await startServer(config);
  try {
    return await body(server);
  } finally {
    await server.stop();
  }
}

function waitExit(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** busybox udhcpc in the client namespace; its script writes the variables it was given. */
async function udhcpc(args: string[]): Promise<{ code: number | null; env: Record<string, string> }> {
  const script = join(work, 'udhcpc.sh');
  const out = join(work, `udhcpc-${Date.now()}.env`);
  await writeFile(script, `#!/bin/sh\n[ "$1" = bound ] && env > "${out}"\nexit 0\n`);
  await chmod(script, 0o755);
  const child = lab.rack.spawn('busybox', ['udhcpc', '-f', '-q', '-n', '-i', 'br0', '-s', script, '-t', '3', '-T', '1', ...args]);
  const code = await waitExit(child, 20_000);
  child.kill('SIGKILL');
  const text = await readFile(out, 'utf8').catch(() => '');
  const env = Object.fromEntries(text.split('\n').filter((line) => line.includes('=')).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
  return { code, env };
}

const pxeClient = (extra: Record<string, unknown> = {}) => ({ mac: CLIENT_MAC, ...extra });

describe.skipIf(!root)('DHCP server in the lab', () => {
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'dhcp-lab-'));
    lab = await createDhcpLab();
    uplinkOut = await startCapture(lab.prov, 'up0', 'out', join(work, 'uplink-out.pcap'), DHCP_FILTER);
    uplinkIn = await startCapture(lab.prov, 'up0', 'in', join(work, 'uplink-in.pcap'), DHCP_FILTER);
  });

  afterAll(async () => {
    await lab?.destroy();
    if (work) await rm(work, { recursive: true, force: true });
  });

  describe('full mode', () => {
    it('gives ISC dhclient a lease with next-server and the BIOS boot file', async () => {
      await withServer(serverConfig('full'), async (server) => {
        const conf = join(work, 'dhclient.conf');
        await writeFile(
          conf,
          [
            'option pxe-arch code 93 = unsigned integer 16;',
            'send vendor-class-identifier "PXEClient:Arch:00000:UNDI:002001";',
            'send pxe-arch 0;',
            'request subnet-mask, routers, bootfile-name, tftp-server-name;',
            '',
          ].join('\n'),
        );
        // Our script only records what dhclient learnt; dhclient's own would rewrite /etc/resolv.conf.
        const bound = join(work, 'dhclient.env');
        const script = join(work, 'dhclient-env.sh');
        await writeFile(script, `#!/bin/sh\n[ "$reason" = BOUND ] && env > "${bound}"\nexit 0\n`);
        await chmod(script, 0o755);
        const child = lab.rack.spawn('dhclient', ['-1', '-d', '-v', '-sf', script, '-cf', conf, '-lf', join(work, 'dhclient.leases'), '-pf', join(work, 'dhclient.pid'), 'br0']);
        await server.waitFor((line) => line.type === 'lease-granted');
        let text = '';
        for (let i = 0; i < 50 && !text.includes('new_ip_address'); i++) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          text = await readFile(bound, 'utf8').catch(() => '');
        }
        child.kill('SIGKILL');
        expect(text).toMatch(/^new_ip_address=10\.77\.0\.1\d\d$/m);
        expect(text).toContain(`new_next_server=${PROV_ADDRESS}\n`);
        expect(text).toContain('new_filename=undionly.kpxe\n');
        expect(text).toContain(`new_dhcp_server_identifier=${PROV_ADDRESS}\n`);
      });
    });

    it('gives busybox udhcpc (UEFI x64) a lease with siaddr and the UEFI boot file, and persists it', async () => {
      await withServer(serverConfig('full'), async (server) => {
        const { code, env } = await udhcpc(['-V', 'PXEClient:Arch:00007:UNDI:003016', '-x', '0x5d:0007']);
        expect(code).toBe(0);
        expect(env.ip).toMatch(/^10\.77\.0\.1\d\d$/);
        expect(env.siaddr).toBe(PROV_ADDRESS);
        expect(env.boot_file).toBe('snponly.efi');
        await server.waitFor((line) => line.type === 'lease-granted');
        await server.stop();
        const persisted = JSON.parse(await readFile(join(work, 'leases-full.json'), 'utf8')) as { leases: { mac: string; address: string }[] };
        expect(persisted.leases).toContainEqual(expect.objectContaining({ mac: CLIENT_MAC, address: env.ip }));
      });
    });

    it('reports every PXE DISCOVER as a pxe-request event with MAC, UUID, arch and vendor class', async () => {
      await withServer(serverConfig('full'), async (server) => {
        await runEntry(lab.rack, 'dhcp-client.ts', { mode: 'discover', address: CLIENT_ADDRESS, waitMs: 1000, client: pxeClient({ arch: 7 }) });
        const event = await server.waitFor((line) => line.type === 'pxe-request');
        expect(event).toMatchObject({
          mac: CLIENT_MAC,
          uuid: '89abcdef-0123-4567-89ab-cdef01234567',
          arch: 'uefi-x64',
          vendorClass: 'PXEClient:Arch:00000:UNDI:002001',
          messageType: 'discover',
          interface: 'prov0',
        });
      });
    });

    it("binds a capture session to the PXE client whose UUID is the BMC's System GUID with swapped byte order", async () => {
      const config = { ...serverConfig('full'), captures: [{ nodeId: 'node-9', systemGuid: '89ABCDEF-0123-4567-89AB-CDEF01234567' }] };
      await withServer(config, async (server) => {
        await runEntry(lab.rack, 'dhcp-client.ts', {
          mode: 'discover', address: CLIENT_ADDRESS, waitMs: 1000,
          client: pxeClient({ mac: UNKNOWN_MAC, uuid: 'efcdab89-2301-6745-89ab-cdef01234567' }),
        });
        expect(await server.waitFor((line) => line.type === 'capture-bound')).toMatchObject({
          nodeId: 'node-9', mac: UNKNOWN_MAC, match: 'system-guid-byte-swapped',
        });
      });
    });

    it('hands a client that already runs iPXE the HTTP URL of its script', async () => {
      await withServer(serverConfig('full'), async () => {
        const result = await runEntry(lab.rack, 'dhcp-client.ts', {
          mode: 'discover', address: CLIENT_ADDRESS, waitMs: 1000, client: pxeClient({ userClass: 'iPXE' }),
        });
        expect(result.offers).toEqual([expect.objectContaining({ bootFileName: `${IPXE_URL_BASE}${CLIENT_MAC}`, yiaddr: '10.77.0.100' })]);
      });
    });

    it('ignores a machine that is not enrolled', async () => {
      await withServer(serverConfig('full'), async (server) => {
        const result = await runEntry(lab.rack, 'dhcp-client.ts', {
          mode: 'discover', address: CLIENT_ADDRESS, waitMs: 1000, client: pxeClient({ mac: UNKNOWN_MAC }),
        });
        expect(result.offers).toEqual([]);
        expect(await server.waitFor((line) => line.type === 'request-ignored')).toMatchObject({ mac: UNKNOWN_MAC, reason: 'unknown-machine' });
      });
    });

    it('answers an unknown PXE client when the operator chose every PXE client', async () => {
      await withServer(serverConfig('full', { answer: 'all-pxe' }), async () => {
        const result = await runEntry(lab.rack, 'dhcp-client.ts', {
          mode: 'discover', address: CLIENT_ADDRESS, waitMs: 1000, client: pxeClient({ mac: UNKNOWN_MAC }),
        });
        expect(result.offers).toEqual([expect.objectContaining({ file: 'undionly.kpxe', serverId: PROV_ADDRESS })]);
      });
    });

    it('keeps answering after 100,000 malformed DHCP packets', async () => {
      await withServer(serverConfig('full'), async (server) => {
        const fuzz = await runEntry(lab.rack, 'dhcp-client.ts', { mode: 'fuzz', address: CLIENT_ADDRESS, count: 100_000, seed: 42 }, 200_000);
        expect(fuzz).toEqual({ type: 'fuzzed', sent: 100_000 });
        await new Promise((resolve) => setTimeout(resolve, 1200)); // the last summed report
        const reports = server.lines.filter((line) => line.type === 'packet-rejected');
        const rejected = reports.reduce((sum, line) => sum + Number(line.count), 0);
        expect(rejected).toBeGreaterThan(10_000);
        expect(reports.length).toBeLessThan(100);
        console.log(`fuzz: ${rejected} of 100000 datagrams rejected as malformed in ${reports.length} reports; the rest parsed`);
        const result = await runEntry(lab.rack, 'dhcp-client.ts', { mode: 'discover', address: CLIENT_ADDRESS, waitMs: 2000, client: pxeClient() });
        expect(result.offers).toEqual([expect.objectContaining({ file: 'undionly.kpxe' })]);
        expect(server.child.exitCode).toBeNull();
      });
    });

    it('the probe finds no other DHCP server on a quiet segment', async () => {
      const result = await runEntry(lab.prov, 'dhcp-harness.ts', { mode: 'probe', interfaceName: 'prov0', interfaceAddress: PROV_ADDRESS, mac: '52:54:00:77:00:01', waitMs: 2000 });
      expect(result).toEqual({ type: 'probe-result', offers: [], checks: [] });
    });

    it('does not even hear a PXE client on the uplink: the socket is tied to the provisioning interface', async () => {
      await withServer(serverConfig('full', { answer: 'all-pxe' }), async (server) => {
        const result = await runEntry(lab.uplink, 'dhcp-client.ts', { mode: 'discover', address: UPLINK_ADDRESS, waitMs: 1000, client: pxeClient({ mac: UNKNOWN_MAC }) });
        expect(result.offers).toEqual([]);
        // A DISCOVER from the rack afterwards is seen, so the server was listening all along.
        await runEntry(lab.rack, 'dhcp-client.ts', { mode: 'discover', address: CLIENT_ADDRESS, waitMs: 1000, client: pxeClient() });
        await server.waitFor((line) => line.type === 'pxe-request' && line.mac === CLIENT_MAC);
        expect(server.lines.filter((line) => line.mac === UNKNOWN_MAC)).toEqual([]);
      });
    });
  });

  describe('proxy mode next to a dnsmasq that hands out addresses', () => {
    let dnsmasq: ChildProcess;

    beforeAll(async () => {
      dnsmasq = lab.other.spawn('dnsmasq', [
        '--no-daemon', '--port=0', '--interface=o1', '--bind-interfaces', '--conf-file=/dev/null',
        '--dhcp-range=10.77.0.200,10.77.0.220,255.255.255.0,1h', `--dhcp-leasefile=${join(work, 'dnsmasq.leases')}`,
        `--pid-file=${join(work, 'dnsmasq.pid')}`,
      ]);
      await new Promise((resolve) => setTimeout(resolve, 500));
    });

    afterAll(() => {
      dnsmasq?.kill('SIGKILL');
    });

    it('the probe lists dnsmasq as another DHCP server and recommends proxy mode', async () => {
      const result = await runEntry(lab.prov, 'dhcp-harness.ts', { mode: 'probe', interfaceName: 'prov0', interfaceAddress: PROV_ADDRESS, mac: '52:54:00:77:00:01', waitMs: 4500 });
      expect(result).toEqual({
        type: 'probe-result',
        offers: [{ server: OTHER_ADDRESS, offeredAddress: expect.stringMatching(/^10\.77\.0\.2\d\d$/), bootFile: null, proxy: false }],
        checks: [expect.objectContaining({ id: 'other-dhcp-server', message: expect.stringMatching(/10\.77\.0\.2 offered 10\.77\.0\.2\d\d\. Run Rackboot's DHCP in proxy mode/) })],
      });
    });

    it('the probe also reports a proxyDHCP server (ours, in proxy mode) beside the one that hands out addresses', async () => {
      await withServer(serverConfig('proxy'), async () => {
        // Probing from the rack side, with the enrolled client's MAC, so our proxy answers as it would for that server.
        const result = await runEntry(lab.rack, 'dhcp-harness.ts', { mode: 'probe', interfaceName: 'br0', interfaceAddress: CLIENT_ADDRESS, mac: CLIENT_MAC, waitMs: 4500 });
        const offers = result.offers as Record<string, unknown>[];
        expect(offers).toHaveLength(2);
        expect(offers).toContainEqual({ server: PROV_ADDRESS, offeredAddress: null, bootFile: 'undionly.kpxe', proxy: true });
        expect(offers).toContainEqual(expect.objectContaining({ server: OTHER_ADDRESS, proxy: false }));
        expect(result.checks).toContainEqual(
          expect.objectContaining({ message: expect.stringContaining(`Another PXE (proxyDHCP) server answers on this segment from ${PROV_ADDRESS} (boot file undionly.kpxe)`) }),
        );
      });
    });

    it('a PXE client gets its address from dnsmasq and its boot file from us, on 67 and on 4011', async () => {
      await withServer(serverConfig('proxy'), async () => {
        const result = await runEntry(lab.rack, 'dhcp-client.ts', { mode: 'discover', address: CLIENT_ADDRESS, waitMs: 5000, client: pxeClient() });
        const offers = result.offers as Record<string, unknown>[];
        const fromDnsmasq = offers.find((offer) => offer.serverId === OTHER_ADDRESS);
        const fromUs = offers.find((offer) => offer.serverId === PROV_ADDRESS);
        expect(fromDnsmasq?.yiaddr).toMatch(/^10\.77\.0\.2\d\d$/);
        expect(fromUs).toMatchObject({ yiaddr: '0.0.0.0', siaddr: PROV_ADDRESS, file: 'undionly.kpxe', vendorClass: 'PXEClient', discoveryControl: 8 });

        const boot = await runEntry(lab.rack, 'dhcp-client.ts', { mode: 'boot-request', address: CLIENT_ADDRESS, server: PROV_ADDRESS, client: pxeClient({ arch: 7 }) });
        expect(boot.reply).toMatchObject({ messageType: 5, file: 'snponly.efi', yiaddr: '0.0.0.0' });
      });
    });

    it('a client that is not PXE (the deploy agent\'s udhcpc) gets its lease from dnsmasq and is left alone by us', async () => {
      await withServer(serverConfig('proxy'), async (server) => {
        // busybox udhcpc takes the first OFFER it hears, even one without an address, so it must not hear ours.
        const { code, env } = await udhcpc(['-t', '6']);
        expect(code).toBe(0);
        expect(env.ip).toMatch(/^10\.77\.0\.2\d\d$/);
        expect(env.serverid).toBe(OTHER_ADDRESS);
        expect(await server.waitFor((line) => line.type === 'request-ignored')).toMatchObject({ mac: CLIENT_MAC, reason: 'not-pxe' });
        expect(server.lines.filter((line) => line.type === 'dhcp-reply')).toEqual([]);
      });
    });
  });

  it('no DHCP packet ever left through the uplink (the interface with the default route)', async () => {
    const out = await uplinkOut.stop();
    const incoming = await uplinkIn.stop();
    expect(incoming).toBeGreaterThan(0); // the uplink test's DISCOVERs: the capture did see traffic
    expect(out).toBe(0);
  });
});
