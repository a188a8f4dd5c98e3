import { describe, expect, it } from 'vitest';
import { parseNetworkState } from './interfaces';
import { parseCidr } from '../lib/ipv4';
import { capturedState } from './test-fixtures';
import { findUplinks, uplinkRoutesOverlapping, type LinkRelations, type TableRoute } from './uplink';

/** The `uplinks` capture (fixtures/README.md): every kind of uplink beside the wired NICs eth-prov and spare0. */
const state = () => parseNetworkState(capturedState({}, null, 'uplinks'));
const link = (name: string, extra: Partial<LinkRelations> = {}): LinkRelations => ({ name, linkKind: null, master: null, lower: null, ...extra });
const defaultVia = (devices: string[], extra: Partial<TableRoute> = {}): TableRoute => ({ family: 'inet', table: 'main', type: 'unicast', destination: 'default', devices, ...extra });

describe('which interfaces make up the uplink (captured from a namespace)', () => {
  it('finds an IPv6-only uplink', () => {
    expect(state().uplinks.get('up6')).toBe('up6 carries an IPv6 default route');
  });

  it('finds a policy-routed uplink whose default route is only in another table, as wg-quick sets it up', () => {
    expect(state().uplinks.get('wg-sim')).toMatch(/^wg-sim carries an IPv4 default route \(routing table 51820, /);
  });

  it('finds a bridge with the default route and the NIC that is its port', () => {
    expect(state().uplinks.get('br-dock')).toBe('br-dock carries an IPv4 default route');
    expect(state().uplinks.get('dock0')).toBe('dock0 is a port of br-dock, which carries an IPv4 default route');
  });

  it('finds every next hop of a multipath default route, and the device under a macvlan uplink', () => {
    expect(state().uplinks.get('m2')).toMatch(/^m2 carries an IPv4 default route \(routing table 100/);
    expect(state().uplinks.get('mv-up')).toMatch(/^mv-up carries an IPv4 default route \(routing table 100/);
    expect(state().uplinks.get('low0')).toMatch(/^low0 is the device under mv-up, which carries an IPv4 default route \(routing table 100/);
  });

  it('counts nothing else: the wired NICs, the loopback, an unreachable default route with no device', () => {
    expect([...state().uplinks.keys()].sort()).toEqual(['br-dock', 'dock0', 'low0', 'm2', 'mv-up', 'up6', 'wg-sim']);
  });

  it('marks the uplink in the interface list, never recommends it, and says why', () => {
    const byName = (name: string) => state().interfaces.find((iface) => iface.name === name);
    expect(byName('up6')).toMatchObject({ carriesDefaultRoute: true, recommended: false, notes: expect.arrayContaining(['Your uplink (up6 carries an IPv6 default route): Rackboot leaves it alone.']) });
    expect(byName('eth-prov')).toMatchObject({ carriesDefaultRoute: false, recommended: true });
    expect(byName('spare0')).toMatchObject({ carriesDefaultRoute: false });
  });

  it('keeps only the main table as the routes undo can put back', () => {
    expect(state().routes.map((route) => route.destination)).toEqual(['default', '10.21.0.0/24', '10.30.0.0/24', '10.40.0.0/24', '10.41.0.0/24', '10.99.0.0/16', '192.168.7.0/24']);
  });

  it('lists the uplink routes a provisioning subnet or route would overlap', () => {
    const { allRoutes, uplinks } = state();
    expect(uplinkRoutesOverlapping(parseCidr('10.30.0.128/25'), allRoutes, uplinks).map((route) => [route.destination, route.device])).toEqual([['10.30.0.0/24', 'wg-sim']]);
    expect(uplinkRoutesOverlapping(parseCidr('10.99.0.0/16'), allRoutes, uplinks)).toEqual([]);
    expect(uplinkRoutesOverlapping(parseCidr('192.168.2.0/24'), allRoutes, uplinks)).toEqual([]);
  });
});

describe('the uplink through masters and lower devices', () => {
  it('counts the bridge over an uplink port and the other ports of that bridge', () => {
    const uplinks = findUplinks([link('eth0', { master: 'br0' }), link('br0', { linkKind: 'bridge' }), link('tap0', { master: 'br0' }), link('eth1')], [defaultVia(['eth0'])]);
    expect(Object.fromEntries(uplinks)).toEqual({
      eth0: 'eth0 carries an IPv4 default route',
      br0: 'br0 is the bridge over eth0, which carries an IPv4 default route',
      tap0: 'tap0 is a port of br0, which is the bridge over eth0, which carries an IPv4 default route',
    });
  });

  it('counts every Open vSwitch port when an OVS bridge is the uplink (their master is the datapath)', () => {
    const uplinks = findUplinks(
      [link('br-ex', { linkKind: 'openvswitch' }), link('ovs-system', { linkKind: 'openvswitch' }), link('eth0', { master: 'ovs-system' }), link('eth1')],
      [defaultVia(['br-ex'], { family: 'inet6' })],
    );
    expect([...uplinks.keys()].sort()).toEqual(['br-ex', 'eth0']);
  });

  it('ignores default routes that carry nothing out of a device', () => {
    expect(findUplinks([link('lo')], [defaultVia([], { type: 'unreachable' }), defaultVia(['lo'], { type: 'local' })]).size).toBe(0);
  });
});
