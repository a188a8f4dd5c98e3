// DHCP DISCOVER→OFFER median latency: our server and dnsmasq, one after the other on the same veth between two
// namespaces, timed by the same PXE-like client. Needs root. Run alone: npx tsx bench/dhcp.ts (JSON is the last line).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CLIENT_ADDRESS, CLIENT_MAC, createDhcpLab, type DhcpLab, PROV_ADDRESS, runEntry, spawnEntry } from '../e2e/pxe/dhcp-lab';
import { isRoot } from '../e2e/support/netns';

const DISCOVERS = 200;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function timeDiscovers(lab: DhcpLab): Promise<number[]> {
  const result = await runEntry(lab.rack, 'dhcp-client.ts', { mode: 'bench', address: CLIENT_ADDRESS, count: DISCOVERS, client: { mac: CLIENT_MAC } }, 300_000);
  const ms = result.ms as number[] | undefined;
  console.error(`answered ${ms?.length} of ${DISCOVERS}`);
  if (!ms || ms.length < DISCOVERS / 2) throw new Error(`too few OFFERs: ${JSON.stringify(result).slice(0, 300)}`);
  return ms;
}

async function measureOurs(lab: DhcpLab, work: string): Promise<number[]> {
  const server = spawnEntry(lab.prov, 'dhcp-harness.ts', {
    mode: 'serve',
    settings: {
      interfaceName: 'prov0',
      serverAddress: PROV_ADDRESS,
      mode: 'full',
      pool: { start: '10.77.0.100', end: '10.77.0.150', subnetMask: '255.255.255.0' },
    },
    nodes: [{ id: 'bench', mac: CLIENT_MAC }],
    leaseFile: join(work, 'leases.json'),
    ipxeScriptBase: `http://${PROV_ADDRESS}:8080/ipxe/`,
  });
  try {
    const ready = await server.waitFor((line) => line.type === 'ready' || line.type === 'start-failed');
    if (ready.type !== 'ready') throw new Error(`our DHCP server did not start: ${JSON.stringify(ready)}`);
    return await timeDiscovers(lab);
  } finally {
    await server.stop();
  }
}

async function measureDnsmasq(lab: DhcpLab, work: string): Promise<number[]> {
  const dnsmasq = lab.prov.spawn('dnsmasq', [
    '--no-daemon', '--port=0', '--interface=prov0', '--bind-interfaces', '--conf-file=/dev/null',
    '--dhcp-range=10.77.0.100,10.77.0.150,255.255.255.0,1h', `--dhcp-leasefile=${join(work, 'dnsmasq.leases')}`,
    `--pid-file=${join(work, 'dnsmasq.pid')}`, `--dhcp-boot=undionly.kpxe,,${PROV_ADDRESS}`,
  ]);
  try {
    await new Promise((resolve) => setTimeout(resolve, 500));
    return await timeDiscovers(lab);
  } finally {
    dnsmasq.kill('SIGKILL');
  }
}

export async function measureDhcp(): Promise<{ dhcp_ms: number; dnsmasq_dhcp_ms: number }> {
  if (!isRoot()) throw new Error('bench/dhcp.ts needs root (network namespaces and port 67).');
  const work = await mkdtemp(join(tmpdir(), 'dhcp-bench-'));
  const lab = await createDhcpLab();
  try {
    const ours = await measureOurs(lab, work);
    const theirs = await measureDnsmasq(lab, work);
    // The first DISCOVER is what a PXE ROM waits on; dnsmasq pings the address before its first OFFER.
    console.error(`first DISCOVER→OFFER: ours ${ours[0]!.toFixed(2)} ms, dnsmasq ${theirs[0]!.toFixed(2)} ms`);
    return { dhcp_ms: Number(median(ours).toFixed(3)), dnsmasq_dhcp_ms: Number(median(theirs).toFixed(3)) };
  } finally {
    await lab.destroy();
    await rm(work, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  measureDhcp()
    .then((result) => console.log(JSON.stringify(result)))
    .catch((error: Error) => {
      console.error(error.message);
      process.exit(1);
    });
}
