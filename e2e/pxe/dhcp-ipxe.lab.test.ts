// A real PXE ROM against our DHCP server: QEMU's virtio-net iPXE ROM (TCG, one VM at a time). Success is the ROM
// opening a TCP connection to the HTTP script URL we handed it (no HTTP server runs here; the SYN is the proof).
import { execFileSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRoot, type Netns } from '../support/netns';
import { createDhcpLab, type DhcpLab, PROV_ADDRESS, spawnEntry } from './dhcp-lab';

const VM_MAC = '52:54:00:c0:ff:ee';
const VM_UUID = '89abcdef-0123-4567-89ab-cdef01234567';

function hasQemu(): boolean {
  try {
    execFileSync('qemu-system-x86_64', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const ready = isRoot() && hasQemu();
if (!ready) console.log('dhcp-ipxe.lab.test.ts skipped: needs root and qemu-system-x86_64 (with the ipxe-qemu ROMs).');

/** Resolves with the first tcpdump line that matches, with the time it was seen. */
function watch(ns: Netns, iface: string, filter: string, match: RegExp): { seen: Promise<{ at: number; line: string }>; stop(): void } {
  const child = ns.spawn('tcpdump', ['-l', '-n', '-i', iface, filter]);
  const seen = new Promise<{ at: number; line: string }>((resolve) => {
    createInterface({ input: child.stdout! }).on('line', (line) => match.test(line) && resolve({ at: Date.now(), line }));
  });
  return { seen, stop: () => child.kill('SIGINT') };
}

function bootVm(ns: Netns): ChildProcess {
  return ns.spawn('qemu-system-x86_64', [
    '-m', '256', '-display', 'none', '-no-reboot', '-boot', 'n', '-nodefaults',
    '-netdev', 'tap,id=n0,ifname=tap0,script=no,downscript=no',
    '-device', `virtio-net-pci,netdev=n0,mac=${VM_MAC}`, '-uuid', VM_UUID,
  ]);
}

const within = <T>(promise: Promise<T>, ms: number, what: string) =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} not seen within ${ms} ms`)), ms).unref())]);

describe.skipIf(!ready)('the iPXE ROM in QEMU against our DHCP server', () => {
  let lab: DhcpLab;

  beforeEach(async () => {
    lab = await createDhcpLab();
    await lab.rack.ip('tuntap', 'add', 'tap0', 'mode', 'tap');
    await lab.rack.ip('link', 'set', 'tap0', 'master', 'br0');
    await lab.rack.ip('link', 'set', 'tap0', 'up');
  });

  afterEach(async () => {
    await lab?.destroy();
  });

  async function boot(mode: 'full' | 'proxy') {
    const server = spawnEntry(lab.prov, 'dhcp-harness.ts', {
      mode: 'serve',
      settings: {
        interfaceName: 'prov0',
        serverAddress: PROV_ADDRESS,
        mode,
        pool: mode === 'full' ? { start: '10.77.0.100', end: '10.77.0.150', subnetMask: '255.255.255.0' } : null,
      },
      nodes: [{ id: 'vm', mac: VM_MAC }],
      ipxeScriptBase: `http://${PROV_ADDRESS}:8080/ipxe/`,
    });
    await server.waitFor((line) => line.type === 'ready');
    const syn = watch(lab.prov, 'prov0', 'tcp dst port 8080', /Flags \[S\]/);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const vm = bootVm(lab.rack);
    try {
      const firstDiscover = await server.waitFor((line) => line.type === 'pxe-request', 30_000);
      const fetch = await within(syn.seen, 60_000, 'TCP SYN to the script URL');
      const ack = server.lines.find((line) => line.type === 'dhcp-reply' && line.messageType !== 'offer') ?? firstDiscover;
      // What an RA would save: iPXE's IPv6 autoconfiguration wait between DHCP and the first fetch.
      console.log(`${mode}: DHCP done → script fetch ${((fetch.at - Date.parse(String(ack.time))) / 1000).toFixed(1)} s`);
      return { server, firstDiscover, fetch };
    } finally {
      vm.kill('SIGKILL');
      syn.stop();
      await server.stop();
    }
  }

  it('full mode: the ROM gets address and script URL from its first DISCOVER and fetches the script', async () => {
    const { server, firstDiscover, fetch } = await boot('full');
    expect(fetch.line).toContain('IP 10.77.0.100.');
    expect(firstDiscover).toMatchObject({ mac: VM_MAC, isIpxe: true, uuid: 'efcdab89-2301-6745-89ab-cdef01234567' });
    const discovers = server.lines.filter((line) => line.type === 'pxe-request' && line.messageType === 'discover');
    expect(discovers).toHaveLength(1);
    const ack = server.lines.find((line) => line.type === 'dhcp-reply' && line.messageType === 'ack');
    expect(ack).toMatchObject({ address: '10.77.0.100', boot: { kind: 'http', url: `http://${PROV_ADDRESS}:8080/ipxe/${VM_MAC}` } });
    // No ProxyDHCP wait: REQUEST follows the OFFER at once because we send 175.176 (no-pxedhcp).
    expect(Date.parse(String(ack?.time)) - Date.parse(String(firstDiscover.time))).toBeLessThan(1000);
  });

  it('proxy mode: the ROM takes its address from dnsmasq and the script URL from us', async () => {
    const dnsmasq = lab.other.spawn('dnsmasq', [
      '--no-daemon', '--port=0', '--interface=o1', '--bind-interfaces', '--conf-file=/dev/null',
      '--dhcp-range=10.77.0.200,10.77.0.220,255.255.255.0,1h', '--dhcp-leasefile=/dev/null',
    ]);
    try {
      const { server, fetch } = await boot('proxy');
      expect(fetch.line).toMatch(/IP 10\.77\.0\.2\d\d\.\d+ > 10\.77\.0\.1\.8080/);
      expect(server.lines).toContainEqual(expect.objectContaining({ type: 'dhcp-reply', mode: 'proxy', messageType: 'offer', address: null }));
      expect(server.lines).toContainEqual(expect.objectContaining({ type: 'request-ignored', reason: 'other-server-chosen' }));
    } finally {
      dnsmasq.kill('SIGKILL');
    }
  });
});
