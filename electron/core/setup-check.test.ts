import { describe, expect, it } from 'vitest';
import type { InterfaceAddress, NetworkInterface } from '../../shared/network';
import { assessSetup, type SetupFacts } from './setup-check';

const port = (overrides: Partial<NetworkInterface>): NetworkInterface => ({
  name: 'eth1',
  mac: '52:54:00:00:00:01',
  kind: 'wired',
  linkKind: null,
  adminUp: true,
  carrier: true,
  speedMbps: 1000,
  operState: 'UP',
  mtu: 1500,
  master: null,
  addresses: [],
  carriesDefaultRoute: false,
  managedByNetworkManager: null,
  recommended: true,
  notes: [],
  ...overrides,
});

const inet = (address: string): InterfaceAddress => ({
  family: 'inet',
  address,
  prefixLength: 24,
  scope: 'global',
  broadcast: null,
  label: null,
  validLifetime: null,
  preferredLifetime: null,
});

const empty: SetupFacts = {
  interfaces: [],
  services: { running: false, config: null, bootloaders: null },
  images: [],
  servers: [],
  answeringBmcs: [],
};

function need(facts: SetupFacts, name: string): ReturnType<typeof assessSetup>['checks'][number] {
  return assessSetup(facts).checks.find((check) => check.need === name)!;
}

describe('first-run setup check', () => {
  it('on an empty app says everything is missing, in the order it is set up', () => {
    const report = assessSetup(empty);
    expect(report).toMatchObject({ ready: false, empty: true });
    expect(report.checks.map((check) => [check.need, check.ok])).toEqual([
      ['wired-nic', false],
      ['provisioning-address', false],
      ['boot-services', false],
      ['image', false],
      ['working-bmc', false],
    ]);
    expect(need(empty, 'wired-nic').detail).toContain('plug in a USB Ethernet adapter');
  });

  it('names the wired port without link and says to plug its cable in', () => {
    const facts = { ...empty, interfaces: [port({ name: 'enp3s0', carrier: false, recommended: false })] };
    expect(need(facts, 'wired-nic')).toMatchObject({ ok: false, detail: expect.stringContaining('enp3s0 has no link: plug its cable') });
  });

  it('never counts the uplink or Wi-Fi as the provisioning port', () => {
    const facts = {
      ...empty,
      interfaces: [
        port({ name: 'wlan0', kind: 'wireless', recommended: false, addresses: [inet('192.168.1.5')] }),
        port({ name: 'eth0', carriesDefaultRoute: true, recommended: false, addresses: [inet('192.168.1.6')] }),
      ],
    };
    expect(need(facts, 'wired-nic').ok).toBe(false);
    expect(need(facts, 'provisioning-address').ok).toBe(false);
  });

  it('finds the provisioning address on the good port, ignoring link-local ones', () => {
    expect(need({ ...empty, interfaces: [port({ addresses: [inet('169.254.3.4')] })] }, 'provisioning-address').ok).toBe(false);
    expect(need({ ...empty, interfaces: [port({ addresses: [inet('10.0.0.1')] })] }, 'provisioning-address')).toMatchObject({
      ok: true,
      detail: 'eth1 has 10.0.0.1/24.',
    });
  });

  it('says what the interfaces could not be listed for', () => {
    expect(need({ ...empty, interfaces: { error: 'ip: not found' } }, 'wired-nic').detail).toContain('ip: not found');
  });

  it('is ready when every need is met', () => {
    const config = {
      interfaceName: 'eth1',
      address: '10.0.0.1',
      prefixLength: 24,
      mode: 'full' as const,
      answer: 'enrolled' as const,
      httpPort: 8080,
      routerAdvertisements: true,
    };
    const report = assessSetup({
      interfaces: [port({})],
      services: { running: true, config, bootloaders: null },
      images: [{ name: 'debian.raw' }],
      servers: [{ name: 'rack-u1' }],
      answeringBmcs: [{ name: 'rack-u1' }],
    });
    expect(report).toMatchObject({ ready: true, empty: false });
    expect(report.checks.find((check) => check.need === 'working-bmc')!.detail).toBe('rack-u1’s BMC answers.');
  });

  it('says which servers’ BMCs did not answer and what to check', () => {
    const facts = { ...empty, servers: [{ name: 'a' }, { name: 'b' }] };
    expect(need(facts, 'working-bmc')).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/No BMC answered \(a, b\): check each one’s address, user and password/),
    });
  });
});
