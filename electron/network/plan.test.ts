import { describe, expect, it } from 'vitest';
import { networkPlanInputSchema, type NetworkPlanInput } from '../../shared/network';
import { parseNetworkState, type SystemNetworkState } from './interfaces';
import type { Journal } from './journal';
import {
  applySteps,
  buildPlan,
  defaultBridgeName,
  differencesFromPrior,
  findInterface,
  newJournal,
  priorStateOf,
  resolveRequest,
  staticChecks,
  undoSteps,
  type ResolvedRequest,
} from './plan';
import { capturedState } from './test-fixtures';
import type { Tools } from './system-state';

const linuxTools: Tools = { nmcli: false, ovsVsctl: false, arping: true };
const ovsTools: Tools = { ...linuxTools, ovsVsctl: true };

function resolve(input: NetworkPlanInput, tools = linuxTools): ResolvedRequest {
  return resolveRequest(networkPlanInputSchema.parse(input), tools);
}

const state = (nmcli: string | null = null): SystemNetworkState => parseNetworkState(capturedState({}, nmcli));

function eth(current = state()) {
  const iface = findInterface(current, 'eth-prov');
  if (!iface) throw new Error('eth-prov missing');
  return iface;
}

const commands = (resolved: ResolvedRequest, current = state()) => applySteps(resolved, eth(current)).map((step) => step.command.join(' '));

function journalFor(resolved: ResolvedRequest, current = state()): Journal {
  return { ...newJournal(resolved, priorStateOf(current, eth(current)), 'test', 0, '2026-01-01T00:00:00.000Z'), phase: 'applied' };
}

/** The capture edited the way the kernel would be after some steps (what `ip -j` would then show). */
function withChanges(current: SystemNetworkState, change: { bridge?: string; master?: string | null; ipv4?: string[]; up?: boolean; keepRoutes?: boolean }): SystemNetworkState {
  const base = eth(current);
  const interfaces = current.interfaces.map((iface) => {
    if (iface.name !== 'eth-prov') return iface;
    return {
      ...iface,
      master: change.master === undefined ? iface.master : change.master,
      adminUp: change.up ?? iface.adminUp,
      addresses:
        change.ipv4 === undefined
          ? iface.addresses
          : [
              ...change.ipv4.map((cidr) => ({ ...base.addresses[0]!, address: cidr.split('/')[0]!, prefixLength: Number(cidr.split('/')[1]) })),
              ...iface.addresses.filter((address) => address.family === 'inet6'),
            ],
    };
  });
  if (change.bridge) interfaces.push({ ...base, name: change.bridge, kind: 'bridge', linkKind: 'bridge', addresses: [] });
  const routes = change.keepRoutes === false ? current.routes.filter((route) => route.device !== 'eth-prov' || route.protocol === 'kernel') : current.routes;
  return { ...current, interfaces, routes };
}

describe('plan defaults', () => {
  it('follows the guide: 192.168.2.0/24, the laptop on .10, a bridge named br-<nic>', () => {
    const resolved = resolve({ interface: 'eth-prov' });
    expect(resolved).toMatchObject({ address: '192.168.2.10', pool: { start: '192.168.2.100', end: '192.168.2.200' }, mode: 'bridge', bridge: { name: 'br-eth-prov', kind: 'linux' } });
  });

  it('keeps a default bridge name within the 15 characters Linux allows', () => {
    expect(defaultBridgeName('enx00e04c680123')).toBe('br-enx00e04c680');
  });

  it('uses an Open vSwitch bridge when ovs-vsctl is installed, as the guide does', () => {
    expect(resolve({ interface: 'eth-prov' }, ovsTools).bridge).toEqual({ name: 'br-eth-prov', kind: 'openvswitch' });
  });
});

describe('apply steps', () => {
  it('bridge mode: creates the bridge, moves the port in without its old address, puts the address on the bridge', () => {
    expect(commands(resolve({ interface: 'eth-prov' }))).toEqual([
      'ip link add name br-eth-prov type bridge',
      'ip addr del 192.168.7.3/24 dev eth-prov',
      'ip link set dev eth-prov master br-eth-prov',
      'ip addr add 192.168.2.10/24 broadcast 192.168.2.255 scope global dev br-eth-prov',
      'ip link set dev br-eth-prov up',
    ]);
  });

  it('Open vSwitch bridge mode uses ovs-vsctl like the guide (add-br, add-port)', () => {
    expect(commands(resolve({ interface: 'eth-prov', bridgeName: 'br-eth2' }, ovsTools))).toEqual([
      'ovs-vsctl add-br br-eth2',
      'ip addr del 192.168.7.3/24 dev eth-prov',
      'ovs-vsctl add-port br-eth2 eth-prov',
      'ip addr add 192.168.2.10/24 broadcast 192.168.2.255 scope global dev br-eth2',
      'ip link set dev br-eth2 up',
    ]);
  });

  it('address-only mode adds the address beside the existing one and brings a down port up', () => {
    const down = withChanges(state(), { up: false });
    expect(commands(resolve({ interface: 'eth-prov', mode: 'address-only', subnet: '10.77.0.0/24', address: '10.77.0.1' }), down)).toEqual([
      'ip link set dev eth-prov up',
      'ip addr add 10.77.0.1/24 broadcast 10.77.0.255 scope global dev eth-prov',
    ]);
  });

  it('asks NetworkManager to leave a port it manages alone before changing it', () => {
    const managed = state('eth-prov:connected\n');
    expect(commands(resolve({ interface: 'eth-prov', mode: 'address-only' }), managed)[0]).toBe('nmcli device set eth-prov managed no');
  });
});

describe('undo steps are computed from the recorded prior state and what is there now', () => {
  const resolved = resolve({ interface: 'eth-prov' });
  const applied = withChanges(state(), { bridge: 'br-eth-prov', master: 'br-eth-prov', ipv4: [], keepRoutes: false });

  it('after a full apply: releases the port, deletes the bridge, restores the old address and route', () => {
    expect(undoSteps(journalFor(resolved), applied).map((step) => step.command.join(' '))).toEqual([
      'ip link set dev eth-prov nomaster',
      'ip link delete dev br-eth-prov type bridge',
      'ip addr add 192.168.7.3/24 scope global dev eth-prov',
      'ip route add 10.99.0.0/16 via 192.168.7.1 dev eth-prov',
    ]);
  });

  it('half-way (bridge made, address removed, port not yet in it): deletes the bridge and restores the address', () => {
    const halfway = withChanges(state(), { bridge: 'br-eth-prov', ipv4: [], keepRoutes: false });
    expect(undoSteps(journalFor(resolved), halfway).map((step) => step.command.join(' '))).toEqual([
      'ip link delete dev br-eth-prov type bridge',
      'ip addr add 192.168.7.3/24 scope global dev eth-prov',
      'ip route add 10.99.0.0/16 via 192.168.7.1 dev eth-prov',
    ]);
  });

  it('has nothing to do when nothing changed', () => {
    expect(undoSteps(journalFor(resolved), state())).toEqual([]);
  });

  it('address only: removes the added address and takes a port that was down back down', () => {
    const only = resolve({ interface: 'eth-prov', mode: 'address-only' });
    const before = withChanges(state(), { up: false });
    const after = withChanges(state(), { up: true, ipv4: ['192.168.7.3/24', '192.168.2.10/24'] });
    expect(undoSteps(journalFor(only, before), after).map((step) => step.command.join(' '))).toEqual([
      'ip addr del 192.168.2.10/24 dev eth-prov',
      'ip link set dev eth-prov down',
    ]);
  });

  it('hands a NetworkManager port back last', () => {
    const only = resolve({ interface: 'eth-prov', mode: 'address-only' });
    const managed = state('eth-prov:connected\n');
    const after = withChanges(state('eth-prov:unmanaged\n'), { ipv4: ['192.168.7.3/24', '192.168.2.10/24'] });
    const steps = undoSteps(journalFor(only, managed), after).map((step) => step.command.join(' '));
    expect(steps.at(-1)).toBe('nmcli device set eth-prov managed yes');
  });

  it('undoes an Open vSwitch bridge with ovs-vsctl', () => {
    const ovs = resolve({ interface: 'eth-prov' }, ovsTools);
    const steps = undoSteps(journalFor(ovs), withChanges(state(), { bridge: 'br-eth-prov', master: 'ovs-system', ipv4: [] }));
    expect(steps.slice(0, 2).map((step) => step.command.join(' '))).toEqual([
      'ovs-vsctl --if-exists del-port br-eth-prov eth-prov',
      'ovs-vsctl --if-exists del-br br-eth-prov',
    ]);
  });

  it('lists what still differs from the prior state, and nothing once restored', () => {
    expect(differencesFromPrior(journalFor(resolved), applied)).toEqual([
      'the bridge br-eth-prov still exists',
      'eth-prov is in br-eth-prov, was in none',
      'eth-prov has no address, had 192.168.7.3/24',
      'the route to 10.99.0.0/16 is missing',
    ]);
    expect(differencesFromPrior(journalFor(resolved), state())).toEqual([]);
  });
});

describe('checks before applying', () => {
  const ids = (input: NetworkPlanInput, current = state()) => staticChecks(resolve(input), current).map((check) => `${check.severity}:${check.id}`);

  it('passes a free subnet on a free wired port', () => {
    expect(ids({ interface: 'eth-prov', subnet: '10.77.0.0/24' })).toEqual([]);
  });

  it("refuses the guide's 192.168.2.0/24 when another interface (here br-test) already sits on it", () => {
    expect(ids({ interface: 'eth-prov' })).toEqual(['blocker:subnet-overlap']);
  });

  it('refuses the interface carrying the default route', () => {
    expect(ids({ interface: 'wlan-sim' })).toContain('blocker:default-route');
  });

  it('refuses an IPv6-only or policy-routed uplink, saying why it is the uplink', () => {
    const uplinks = parseNetworkState(capturedState({}, null, 'uplinks'));
    const checks = (name: string) => staticChecks(resolve({ interface: name, subnet: '10.77.0.0/24' }), uplinks);
    expect(checks('up6')).toEqual([
      { id: 'default-route', severity: 'blocker', message: 'up6 carries an IPv6 default route, so it is your uplink. Rackboot leaves it alone: choose the wired port cabled to the provisioning switch.' },
    ]);
    expect(checks('wg-sim')).toEqual([expect.objectContaining({ id: 'default-route', message: expect.stringMatching(/^wg-sim carries an IPv4 default route \(routing table 51820/) })]);
    expect(checks('dock0').map((check) => check.id)).toEqual(['default-route', 'enslaved']);
  });

  it('refuses a subnet that a route through the uplink covers (a VPN route in its own table)', () => {
    const uplinks = parseNetworkState(capturedState({}, null, 'uplinks'));
    const vpnRoute = { family: 'inet' as const, table: '51820', type: 'unicast', destination: '10.77.0.0/16', devices: ['wg-sim'] };
    const checks = staticChecks(resolve({ interface: 'eth-prov', subnet: '10.77.0.0/24' }), { ...uplinks, allRoutes: [...uplinks.allRoutes, vpnRoute] });
    expect(checks).toEqual([
      {
        id: 'subnet-overlap',
        severity: 'blocker',
        message: '10.77.0.0/24 overlaps the route to 10.77.0.0/16 (routing table 51820) through your uplink wg-sim: that traffic would go the wrong way. Choose another provisioning subnet.',
      },
    ]);
  });

  it('refuses Wi-Fi', () => {
    const wifi = parseNetworkState(capturedState({ 'eth-prov': { wireless: true } }));
    expect(ids({ interface: 'eth-prov' }, wifi)).toContain('blocker:wireless');
  });

  it('refuses a subnet that overlaps another interface', () => {
    const checks = staticChecks(resolve({ interface: 'eth-prov', subnet: '10.20.0.0/16', address: '10.20.9.9', pool: { start: '10.20.9.100', end: '10.20.9.200' } }), state());
    expect(checks).toEqual([expect.objectContaining({ id: 'subnet-overlap', severity: 'blocker', message: expect.stringContaining("wlan-sim's 10.20.0.5/24") })]);
  });

  it('refuses a port already in another bridge, and a bridge name already taken', () => {
    expect(ids({ interface: 'eth-port', bridgeName: 'br-test', subnet: '10.77.0.0/24' })).toEqual(expect.arrayContaining(['blocker:enslaved', 'blocker:bridge-exists']));
  });

  it('refuses the network or broadcast address as the laptop address', () => {
    expect(ids({ interface: 'eth-prov', address: '192.168.2.0' })).toContain('blocker:address-invalid');
    expect(ids({ interface: 'eth-prov', address: '192.168.2.255' })).toContain('blocker:address-invalid');
  });

  it('refuses a DHCP pool that contains the laptop or leaves the subnet', () => {
    expect(ids({ interface: 'eth-prov', pool: { start: '192.168.2.5', end: '192.168.2.50' } })).toContain('blocker:pool-invalid');
    expect(ids({ interface: 'eth-prov', pool: { start: '192.168.2.100', end: '192.168.3.20' } })).toContain('blocker:pool-invalid');
  });

  it('warns when the port has no link', () => {
    const unplugged = parseNetworkState(capturedState({ 'eth-prov': { carrier: false } }));
    expect(ids({ interface: 'eth-prov', subnet: '10.77.0.0/24' }, unplugged)).toEqual(['warning:no-link']);
  });

  it('reports an unknown interface', () => {
    expect(ids({ interface: 'eth9' })).toEqual(['blocker:interface-missing']);
  });
});

describe('the plan', () => {
  it('cannot be applied with a blocker and then lists no steps', () => {
    const resolved = resolve({ interface: 'wlan-sim' });
    const plan = buildPlan('p1', resolved, state(), staticChecks(resolved, state()));
    expect(plan).toMatchObject({ canApply: false, steps: [] });
  });

  it('offers the same steps as a sudo script, with the undo commands', () => {
    const resolved = resolve({ interface: 'eth-prov' });
    const plan = buildPlan('p2', resolved, state(), []);
    expect(plan).toMatchObject({ canApply: true, serviceInterface: 'br-eth-prov', backend: 'iproute2' });
    expect(plan.script).toContain('ip link set dev eth-prov master br-eth-prov  # Add eth-prov to the bridge br-eth-prov\n');
    expect(plan.script).toContain('# ip addr add 192.168.7.3/24 scope global dev eth-prov\n');
  });
});
