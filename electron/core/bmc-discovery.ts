import type { DiscoveredBmc } from '../../shared/bmc';
import type { DiscoveredIpmiBmc, DiscoveryProgress } from '../../shared/ipmi';
import type { DiscoveredRedfishService } from '../redfish';

/** One entry per address: what IPMI and Redfish each answered there, Redfish first, in address order. Pure. */
export function mergeDiscoveries(ipmi: readonly DiscoveredIpmiBmc[], redfish: readonly DiscoveredRedfishService[]): DiscoveredBmc[] {
  const byAddress = new Map<string, DiscoveredBmc>();
  const entry = (address: string): DiscoveredBmc => {
    let found = byAddress.get(address);
    if (!found) byAddress.set(address, (found = { address, protocols: [], ipmi: null, redfish: null }));
    return found;
  };
  for (const { address, ...service } of redfish) {
    const found = entry(address);
    found.redfish = service;
    found.protocols.push('redfish');
  }
  for (const { address, ...bmc } of ipmi) {
    const found = entry(address);
    found.ipmi = bmc;
    found.protocols.push('ipmi');
  }
  return [...byAddress.values()].sort((a, b) => addressValue(a.address) - addressValue(b.address));
}

function addressValue(address: string): number {
  return address.split('.').reduce((sum, octet) => sum * 256 + Number(octet), 0);
}

/**
 * Progress of a scan that asks every address twice (IPMI and Redfish): an address counts as probed once both
 * answered or gave up, and as found once either found a BMC there.
 */
export class DiscoveryTally {
  private readonly finished = new Map<string, number>();
  private readonly found = new Set<string>();
  private probed = 0;

  constructor(
    private readonly total: number,
    private readonly protocols: number,
  ) {}

  record(address: string, found: boolean): DiscoveryProgress {
    if (found) this.found.add(address);
    const times = (this.finished.get(address) ?? 0) + 1;
    this.finished.set(address, times);
    if (times === this.protocols) this.probed += 1;
    return { probed: this.probed, total: this.total, found: this.found.size };
  }
}
