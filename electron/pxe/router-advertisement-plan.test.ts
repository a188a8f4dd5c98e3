import { describe, expect, it } from 'vitest';
import { dnsmasqRouterAdvertisementArgs, isAdvertisingLine, ulaForGlobalId, ulaForMac } from './router-advertisement-plan';

describe('ulaForMac', () => {
  it('gives the same interface the same fd00::/8 prefix every time, whatever the case of the MAC', () => {
    const ula = ulaForMac('52:54:00:AA:BB:01');
    expect(ula).toEqual(ulaForMac('52:54:00:aa:bb:01'));
    expect(ula.prefix).toMatch(/^fd[0-9a-f]{2}:[0-9a-f]{1,4}:[0-9a-f]{1,4}::$/);
    expect(ula.address).toBe(`${ula.prefix}1`);
    expect(ula.prefixLength).toBe(64);
  });

  it('gives different interfaces different prefixes', () => {
    expect(ulaForMac('52:54:00:aa:bb:01').prefix).not.toBe(ulaForMac('52:54:00:aa:bb:02').prefix);
  });
});

describe('ulaForGlobalId', () => {
  it('writes the 40-bit global ID after fd, in 16-bit groups without leading zeros', () => {
    expect(ulaForGlobalId(Uint8Array.from([0x12, 0x34, 0x56, 0x78, 0x9a]))).toEqual({
      prefix: 'fd12:3456:789a::',
      address: 'fd12:3456:789a::1',
      prefixLength: 64,
    });
    expect(ulaForGlobalId(Uint8Array.from([0, 0, 1, 0, 0])).prefix).toBe('fd00:1:0::');
  });

  it('refuses a global ID that is not 5 bytes', () => {
    expect(() => ulaForGlobalId(new Uint8Array(4))).toThrow(RangeError);
  });
});

describe('dnsmasqRouterAdvertisementArgs', () => {
  const args = dnsmasqRouterAdvertisementArgs({
    interfaceName: 'prov0',
    ula: ulaForGlobalId(Uint8Array.from([0x12, 0x34, 0x56, 0x78, 0x9a])),
    workDir: '/tmp/ra-x',
  });

  it('advertises the ULA on the interface with router lifetime 0', () => {
    expect(args).toContain('--enable-ra');
    expect(args).toContain('--ra-param=prov0,high,0,0');
    expect(args).toContain('--dhcp-range=fd12:3456:789a::,ra-only,64,30m');
    expect(args).toEqual(expect.arrayContaining(['--interface=prov0', '--bind-interfaces']));
  });

  it('runs no DNS, reads no system configuration and keeps its files in the work folder', () => {
    expect(args).toEqual(expect.arrayContaining(['--port=0', '--conf-file=/dev/null', '--no-resolv', '--no-hosts']));
    expect(args).toContain('--pid-file=/tmp/ra-x/dnsmasq.pid');
    expect(args).toContain('--dhcp-leasefile=/tmp/ra-x/dnsmasq.leases');
    expect(args.filter((arg) => arg.startsWith('--dhcp-range='))).toHaveLength(1);
  });
});

describe('isAdvertisingLine', () => {
  it('recognises the line dnsmasq 2.90 logs once RAs are on, and nothing before it', () => {
    expect(isAdvertisingLine('dnsmasq-dhcp[24401]: IPv6 router advertisement enabled')).toBe(true);
    expect(isAdvertisingLine('dnsmasq-dhcp[24401]: router advertisement on fd12:3456:789a::')).toBe(false);
    expect(isAdvertisingLine('dnsmasq[24401]: started, version 2.90 DNS disabled')).toBe(false);
  });
});
