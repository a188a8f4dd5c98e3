import { describe, expect, it } from 'vitest';
import { networkOpSchema, networkPlanInputSchema } from '../../shared/network';
import { commandFor, shellQuote } from './ops';

describe('commands built from ops', () => {
  it('restores an address with its broadcast, label and remaining lifetimes', () => {
    expect(
      commandFor({ op: 'address-add', device: 'eth2', address: '10.1.2.3', prefixLength: 16, broadcast: '10.1.255.255', scope: 'global', label: 'eth2:1', validLifetime: 3600, preferredLifetime: 1800 }),
    ).toEqual(['ip', 'addr', 'add', '10.1.2.3/16', 'broadcast', '10.1.255.255', 'scope', 'global', 'label', 'eth2:1', 'valid_lft', '3600', 'preferred_lft', '1800', 'dev', 'eth2']);
  });

  it('restores a route with its protocol, metric and source', () => {
    expect(
      commandFor({ op: 'route-add', device: 'eth2', destination: '10.99.0.0/16', gateway: '192.168.7.1', metric: 100, scope: null, source: '192.168.7.3', protocol: 'dhcp' }),
    ).toEqual(['ip', 'route', 'add', '10.99.0.0/16', 'via', '192.168.7.1', 'proto', 'dhcp', 'metric', '100', 'src', '192.168.7.3', 'dev', 'eth2']);
  });

  it('names the bridge to delete after dev, so a name like a keyword of ip stays a name', () => {
    expect(commandFor({ op: 'bridge-delete', bridge: 'group' })).toEqual(['ip', 'link', 'delete', 'dev', 'group', 'type', 'bridge']);
  });

  it('refuses device and bridge names that a tool could read as an option', () => {
    expect(networkOpSchema.safeParse({ op: 'set-up', device: '-eth2' }).success).toBe(false);
    expect(networkOpSchema.safeParse({ op: 'ovs-bridge-create', bridge: '--may-exist' }).success).toBe(false);
    expect(networkPlanInputSchema.safeParse({ interface: 'eth2', bridgeName: '-br' }).success).toBe(false);
    expect(networkOpSchema.safeParse({ op: 'set-up', device: 'eth2' }).success).toBe(true);
  });

  it('quotes for the shell only what needs it', () => {
    expect(shellQuote('192.168.2.10/24')).toBe('192.168.2.10/24');
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});
