// What the router advertiser sets up: the ULA prefix it puts on the provisioning interface and the dnsmasq command
// that advertises it with router lifetime 0. Pure.
import { createHash } from 'node:crypto';

export interface UlaPrefix {
  /** e.g. fd3c:1a2b:4c5d:: — the /64 hosts on the segment will see in the RA. */
  prefix: string;
  /** The address we put on the interface, e.g. fd3c:1a2b:4c5d::1. */
  address: string;
  prefixLength: 64;
}

/**
 * RFC 4193 ULA whose 40-bit global ID is taken from a SHA-1 of the interface's MAC: the same interface always gets
 * the same prefix, so an address left behind by a crash is recognised (and reused) on the next start.
 */
export function ulaForMac(mac: string): UlaPrefix {
  const digest = createHash('sha1').update(mac.toLowerCase()).digest();
  return ulaForGlobalId(digest.subarray(digest.length - 5));
}

/** For interfaces without a MAC (tunnels): the caller passes 5 random bytes. */
export function ulaForGlobalId(globalId: Uint8Array): UlaPrefix {
  if (globalId.length !== 5) throw new RangeError('A ULA global ID is 5 bytes.');
  const bytes = [0xfd, ...globalId];
  const group = (i: number): string => ((bytes[i]! << 8) | bytes[i + 1]!).toString(16);
  const prefix = `${group(0)}:${group(2)}:${group(4)}::`;
  return { prefix, address: `${prefix}1`, prefixLength: 64 };
}

export interface AdvertiserCommand {
  interfaceName: string;
  ula: UlaPrefix;
  /** Folder for dnsmasq's pid and lease files. */
  workDir: string;
}

/**
 * dnsmasq in RA-only mode: no DNS (port 0), no DHCP of either family, no system config; it answers router
 * solicitations on the interface only. Router lifetime 0 (`--ra-param=IF,high,0,0`) ends iPXE's IPv6 wait without
 * making us anyone's default router; the prefix's lifetime is kept short so hosts drop the ULA soon after we stop.
 * It needs a non-link-local prefix on the interface to advertise at all, hence the ULA.
 */
export function dnsmasqRouterAdvertisementArgs({ interfaceName, ula, workDir }: AdvertiserCommand): string[] {
  return [
    '--keep-in-foreground',
    '--log-facility=-',
    '--conf-file=/dev/null',
    '--no-resolv',
    '--no-hosts',
    '--port=0',
    `--interface=${interfaceName}`,
    '--bind-interfaces',
    '--enable-ra',
    `--dhcp-range=${ula.prefix},ra-only,${ula.prefixLength},${PREFIX_LIFETIME}`,
    `--ra-param=${interfaceName},high,0,0`,
    `--pid-file=${workDir}/dnsmasq.pid`,
    `--dhcp-leasefile=${workDir}/dnsmasq.leases`,
  ];
}

// dnsmasq advertises no less than 30 minutes, whatever is asked.
const PREFIX_LIFETIME = '30m';

/** What dnsmasq prints (with --log-facility=-) once it advertises on the interface. */
export function isAdvertisingLine(line: string): boolean {
  return /IPv6 router advertisement enabled/.test(line);
}
