// The PXE benchmark: TFTP throughput and DHCP latency against the reference servers (bench/tftp.ts, bench/dhcp.ts),
// then whole PXE boots of a lab server (QEMU's iPXE ROM under TCG, powered on through its BMC with boot device pxe)
// until it opens the connection for its boot script:
//   pxe_boot_s          our DHCP + TFTP + HTTP + router advertiser
//   dnsmasq_pxe_boot_s  plain dnsmasq (DHCP + TFTP, no router advertisements) + busybox httpd
// Boots alternate, BOOTS of each, medians. Needs root. `npm run bench -- pxe`; the JSON is the last line.
import { startLab } from '../e2e/lab';
import { timePxeBoot, type BootServices, type PxeBootTiming } from '../e2e/pxe/pxe-boot';
import { isRoot } from '../e2e/support/netns';
import { measureDhcp } from './dhcp';
import { measureTftp } from './tftp';

const BOOTS = 2;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const seconds = (ms: number): string => (ms / 1000).toFixed(2);

function describeBoot(timing: PxeBootTiming): string {
  return (
    `${timing.services.padEnd(7)} power on → DHCPDISCOVER ${seconds(timing.discoverMs)} s, → DHCPACK ${seconds(timing.ackMs)} s, ` +
    `→ script connection ${seconds(timing.scriptMs)} s (DISCOVER→ACK ${seconds(timing.ackMs - timing.discoverMs)} s, ` +
    `ACK→script ${seconds(timing.scriptMs - timing.ackMs)} s)`
  );
}

async function measureBoots(): Promise<Record<'ours' | 'dnsmasq', PxeBootTiming[]>> {
  const lab = await startLab({ servers: 1 });
  const runs: Record<'ours' | 'dnsmasq', PxeBootTiming[]> = { ours: [], dnsmasq: [] };
  try {
    for (let boot = 0; boot < BOOTS; boot += 1) {
      for (const services of ['ours', 'dnsmasq'] satisfies BootServices[]) {
        const timing = await timePxeBoot(lab, lab.servers[0]!, services);
        console.log(describeBoot(timing));
        runs[services].push(timing);
      }
    }
    return runs;
  } finally {
    await lab.stop();
  }
}

if (!isRoot()) {
  console.error('bench/pxe.ts needs root (network namespaces, ports 67/69, ipmi_sim, QEMU).');
  process.exit(1);
}
const tftp = await measureTftp();
console.log(
  `TFTP 64 MiB, blksize 1468: ours ${tftp.ours_mbps} MB/s, dnsmasq ${tftp.dnsmasq_mbps} MB/s; ` +
    `+ windowsize 16: ours ${tftp.ours_ws_mbps} MB/s, atftpd ${tftp.atftpd_ws_mbps} MB/s`,
);
const dhcp = await measureDhcp();
console.log(`DHCP DISCOVER→OFFER median over 200: ours ${dhcp.dhcp_ms} ms, dnsmasq ${dhcp.dnsmasq_dhcp_ms} ms`);
const boots = await measureBoots();
const bootSeconds = (runs: PxeBootTiming[]): number => Number((median(runs.map((run) => run.scriptMs)) / 1000).toFixed(2));
console.log(
  JSON.stringify({
    bench: 'pxe',
    tftp_ratio: tftp.tftp_ratio,
    tftp_ws_ratio: tftp.tftp_ws_ratio,
    dhcp_ms: dhcp.dhcp_ms,
    dnsmasq_dhcp_ms: dhcp.dnsmasq_dhcp_ms,
    pxe_boot_s: bootSeconds(boots.ours),
    dnsmasq_pxe_boot_s: bootSeconds(boots.dnsmasq),
  }),
);
