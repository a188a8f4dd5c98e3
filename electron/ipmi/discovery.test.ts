import { describe, expect, it } from 'vitest';
import { cidrHosts } from './discovery';

describe('discovery address ranges', () => {
  it('lists the 254 hosts of a /24 without network and broadcast addresses', () => {
    const hosts = cidrHosts('10.1.91.0/24');
    expect(hosts).toHaveLength(254);
    expect(hosts[0]).toBe('10.1.91.1');
    expect(hosts.at(-1)).toBe('10.1.91.254');
  });

  it('aligns a range given with a host address to its network', () => {
    expect(cidrHosts('192.168.7.77/30')).toEqual(['192.168.7.77', '192.168.7.78']);
  });

  it('takes a single address', () => {
    expect(cidrHosts('10.0.0.5')).toEqual(['10.0.0.5']);
  });

  it('refuses ranges larger than a /16 and malformed ones', () => {
    expect(() => cidrHosts('10.0.0.0/8')).toThrow('larger than a /16');
    expect(() => cidrHosts('10.0.300.1/24')).toThrow('octet above 255');
    expect(() => cidrHosts('bmc-rack-1')).toThrow('not an IPv4 range');
  });
});
