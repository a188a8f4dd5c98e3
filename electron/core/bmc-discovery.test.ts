import { describe, expect, it } from 'vitest';
import type { DiscoveredIpmiBmc } from '../../shared/ipmi';
import type { DiscoveredRedfishService } from '../redfish';
import { DiscoveryTally, mergeDiscoveries } from './bmc-discovery';

const ipmi = (address: string): DiscoveredIpmiBmc => ({
  address,
  port: 623,
  answersPresencePing: true,
  ipmiVersion: '2.0',
  authTypes: ['md5'],
  anonymousLogin: false,
  nullUserNames: false,
  kgRequired: false,
  cipherSuites: [3, 17],
});
const redfish = (address: string): DiscoveredRedfishService => ({ address, port: 443, redfishVersion: '1.6.0', vendor: 'Dell', product: 'Integrated Dell Remote Access Controller', certificate: null });

describe('discovery on a subnet finds IPMI and Redfish BMCs', () => {
  it('gives one entry per address with each protocol that answered, Redfish first, in address order', () => {
    const merged = mergeDiscoveries([ipmi('10.1.91.20'), ipmi('10.1.91.3')], [redfish('10.1.91.20'), redfish('10.1.91.100')]);
    expect(merged.map((bmc) => [bmc.address, bmc.protocols])).toEqual([
      ['10.1.91.3', ['ipmi']],
      ['10.1.91.20', ['redfish', 'ipmi']],
      ['10.1.91.100', ['redfish']],
    ]);
    expect(merged[1]).toEqual({
      address: '10.1.91.20',
      protocols: ['redfish', 'ipmi'],
      ipmi: { port: 623, answersPresencePing: true, ipmiVersion: '2.0', authTypes: ['md5'], anonymousLogin: false, nullUserNames: false, kgRequired: false, cipherSuites: [3, 17] },
      redfish: { port: 443, redfishVersion: '1.6.0', vendor: 'Dell', product: 'Integrated Dell Remote Access Controller', certificate: null },
    });
    expect(merged[0]?.redfish).toBeNull();
    expect(merged[2]?.ipmi).toBeNull();
    expect(mergeDiscoveries([], [])).toEqual([]);
  });

  it('counts an address probed once both protocols are done with it, and found once either found a BMC', () => {
    const tally = new DiscoveryTally(2, 2);
    expect(tally.record('10.0.0.1', false)).toEqual({ probed: 0, total: 2, found: 0 });
    expect(tally.record('10.0.0.2', true)).toEqual({ probed: 0, total: 2, found: 1 });
    expect(tally.record('10.0.0.2', true)).toEqual({ probed: 1, total: 2, found: 1 });
    expect(tally.record('10.0.0.1', false)).toEqual({ probed: 2, total: 2, found: 1 });
  });
});
