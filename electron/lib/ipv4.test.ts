import { describe, expect, it } from 'vitest';
import { netmaskOf, numberToIp, parseIpv4 } from './ipv4';

describe('IPv4 helpers', () => {
  it('parses a dotted quad into its number and back', () => {
    expect(parseIpv4('10.77.0.1')).toBe(0x0a4d0001);
    expect(parseIpv4('255.255.255.255')).toBe(0xffffffff);
    expect(numberToIp(0x0a4d0001)).toBe('10.77.0.1');
  });

  it.each(['10.0.0', '10.0.0.256', '10.0.0.1.2', '10.0.0.-1', '10.0.0.1 ', '10..0.1', ' 1.2.3.4', '1.2.3.0x1', ''])('refuses "%s"', (text) => {
    expect(parseIpv4(text)).toBeNull();
  });

  it('writes a prefix length as a dotted netmask', () => {
    expect(netmaskOf(24)).toBe('255.255.255.0');
    expect(netmaskOf(0)).toBe('0.0.0.0');
    expect(netmaskOf(32)).toBe('255.255.255.255');
  });
});
