import type { DhcpOffer, NetworkCheck, NetworkInterface } from '../../shared/network';
import type { NetworkExecutor } from './executor';
import type { SystemNetworkState } from './interfaces';
import { findInterface, type ResolvedRequest } from './plan';
import type { Tools } from './system-state';

/** What other DHCP servers on the segment mean for the technician. */
export function dhcpOfferChecks(offers: DhcpOffer[]): NetworkCheck[] {
  return offers.map((offer) =>
    offer.proxy
      ? {
          id: 'other-dhcp-server' as const,
          severity: 'warning' as const,
          message: `Another PXE (proxyDHCP) server answers on this segment from ${offer.server}${offer.bootFile ? ` (boot file ${offer.bootFile})` : ''}: servers may boot from it instead. Stop it or move to a separate switch.`,
        }
      : {
          id: 'other-dhcp-server' as const,
          severity: 'warning' as const,
          message: `Another DHCP server answers on this segment: ${offer.server} offered ${offer.offeredAddress ?? 'an address'}. Run Rackboot's DHCP in proxy mode (it then only adds the boot information), or unplug that server.`,
        },
  );
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Broadcasts a PXE client's DISCOVER out of `device` (which holds `source`) and reports who answers. */
export async function dhcpServerChecks(executor: NetworkExecutor, device: string, source: string, mac: string): Promise<NetworkCheck[]> {
  try {
    return dhcpOfferChecks(await executor.dhcpProbe(device, source, mac));
  } catch (error) {
    return [{ id: 'dhcp-probe-skipped', severity: 'warning', message: `Could not look for other DHCP servers (${describe(error)}).` }];
  }
}

/** The first IPv4 address of the bridge, else of the NIC, with the device that holds it. */
function probeSource(...candidates: (NetworkInterface | undefined)[]): { device: string; address: string } | null {
  for (const iface of candidates) {
    const address = iface?.addresses.find((entry) => entry.family === 'inet')?.address;
    if (iface && address) return { device: iface.name, address };
  }
  return null;
}

/**
 * Checks that send packets: is the laptop's address already taken (arping works unprivileged: Debian gives it
 * cap_net_raw), and does another DHCP server answer (needs port 68, so only with `dhcp` = privileged).
 */
export async function probeChecks(
  resolved: ResolvedRequest,
  state: SystemNetworkState,
  executor: NetworkExecutor,
  tools: Tools,
  options: { dhcp: boolean },
): Promise<NetworkCheck[]> {
  const iface = findInterface(state, resolved.interface);
  if (!iface || iface.carrier !== true) return [];
  const checks: NetworkCheck[] = [];
  const bridge = resolved.bridge ? findInterface(state, resolved.bridge.name) : undefined;
  const ours = [iface, bridge].some((holder) => holder?.addresses.some((address) => address.address === resolved.address));
  if (!tools.arping) {
    checks.push({ id: 'arp-probe-skipped', severity: 'warning', message: `Could not check whether ${resolved.address} is already used: install arping (Debian/Ubuntu: apt install iputils-arping).` });
  } else if (!ours) {
    try {
      const answer = await executor.arpProbe(iface.name, resolved.address);
      if (answer.inUse) {
        checks.push({ id: 'address-in-use', severity: 'blocker', message: `${resolved.address} is already used on this segment by ${answer.mac ?? 'another machine'}: choose another laptop address.` });
      }
    } catch (error) {
      checks.push({ id: 'arp-probe-skipped', severity: 'warning', message: `Could not check whether ${resolved.address} is already used (${describe(error)}).` });
    }
  }
  const source = probeSource(bridge, iface);
  if (source && iface.mac && options.dhcp) {
    checks.push(...(await dhcpServerChecks(executor, source.device, source.address, iface.mac)));
  } else {
    checks.push({ id: 'dhcp-probe-skipped', severity: 'info', message: `Rackboot looks for other DHCP servers on ${iface.name} once its address is in place.` });
  }
  return checks;
}
