import type {
  InterfaceAddress,
  NetworkCheck,
  NetworkInterface,
  NetworkMode,
  NetworkOp,
  NetworkPlan,
  NetworkPlanRequest,
  NetworkStep,
} from '../../shared/network';
import type { RouteEntry, SystemNetworkState } from './interfaces';
import {
  broadcastOf,
  formatSubnet,
  ipToNumber,
  isHostOf,
  nthAddress,
  numberToIp,
  overlaps,
  parseCidr,
  subnetOf,
  type Subnet,
} from '../lib/ipv4';
import type { Journal, PriorState } from './journal';
import { shellQuote, stepFor } from './ops';
import type { Tools } from './system-state';
import { uplinkRoutesOverlapping } from './uplink';

/** A plan request with every default filled in. */
export interface ResolvedRequest {
  interface: string;
  subnet: Subnet;
  address: string;
  pool: { start: string; end: string };
  mode: NetworkMode;
  bridge: { name: string; kind: 'linux' | 'openvswitch' } | null;
}

const IFNAMSIZ = 15;

export function defaultBridgeName(interfaceName: string): string {
  return `br-${interfaceName}`.slice(0, IFNAMSIZ);
}

export function resolveRequest(request: NetworkPlanRequest, tools: Tools): ResolvedRequest {
  const subnet = parseCidr(request.subnet);
  return {
    interface: request.interface,
    subnet,
    address: request.address ?? nthAddress(subnet, 10),
    pool: request.pool ?? { start: nthAddress(subnet, 100), end: nthAddress(subnet, 200) },
    mode: request.mode,
    bridge:
      request.mode === 'bridge'
        ? { name: request.bridgeName ?? defaultBridgeName(request.interface), kind: tools.ovsVsctl ? 'openvswitch' : 'linux' }
        : null,
  };
}

export function findInterface(state: SystemNetworkState, name: string): NetworkInterface | undefined {
  return state.interfaces.find((candidate) => candidate.name === name);
}

const ipv4Of = (iface: NetworkInterface): InterfaceAddress[] => iface.addresses.filter((address) => address.family === 'inet');

const hasAddress = (iface: NetworkInterface, address: string, prefixLength: number): boolean =>
  ipv4Of(iface).some((entry) => entry.address === address && entry.prefixLength === prefixLength);

function addressAdd(device: string, address: string, subnet: Subnet): NetworkOp {
  return {
    op: 'address-add',
    device,
    address,
    prefixLength: subnet.prefixLength,
    broadcast: numberToIp(broadcastOf(subnet)),
    scope: 'global',
    label: null,
    validLifetime: null,
    preferredLifetime: null,
  };
}

/** The changes that turn the current state into the planned one, in the order they run. */
export function applySteps(resolved: ResolvedRequest, iface: NetworkInterface): NetworkStep[] {
  const ops: NetworkOp[] = [];
  const device = iface.name;
  if (iface.managedByNetworkManager) ops.push({ op: 'nm-set-managed', device, managed: false });
  if (resolved.bridge) {
    const bridge = resolved.bridge.name;
    ops.push(resolved.bridge.kind === 'openvswitch' ? { op: 'ovs-bridge-create', bridge } : { op: 'bridge-create', bridge });
    // An address left on a bridge port stops answering properly; undo puts these back.
    for (const address of ipv4Of(iface)) {
      ops.push({ op: 'address-delete', device, address: address.address, prefixLength: address.prefixLength });
    }
    ops.push(
      resolved.bridge.kind === 'openvswitch'
        ? { op: 'ovs-port-add', bridge, device }
        : { op: 'set-master', device, master: bridge },
    );
    if (!iface.adminUp) ops.push({ op: 'set-up', device });
    ops.push(addressAdd(bridge, resolved.address, resolved.subnet), { op: 'set-up', device: bridge });
  } else {
    if (!iface.adminUp) ops.push({ op: 'set-up', device });
    if (!hasAddress(iface, resolved.address, resolved.subnet.prefixLength)) {
      ops.push(addressAdd(device, resolved.address, resolved.subnet));
    }
  }
  return ops.map(stepFor);
}

/** The non-kernel IPv4 routes through a device: removing its addresses drops them, so undo must re-add them. */
function restorableRoutes(routes: RouteEntry[], device: string): RouteEntry[] {
  return routes.filter((route) => route.device === device && route.protocol !== 'kernel');
}

export function priorStateOf(state: SystemNetworkState, iface: NetworkInterface): PriorState {
  return {
    interface: iface.name,
    adminUp: iface.adminUp,
    master: iface.master,
    ipv4: ipv4Of(iface),
    routes: restorableRoutes(state.routes, iface.name),
    managedByNetworkManager: iface.managedByNetworkManager,
  };
}

const sameAddress = (a: InterfaceAddress, b: InterfaceAddress): boolean =>
  a.address === b.address && a.prefixLength === b.prefixLength;

const sameRoute = (a: RouteEntry, b: RouteEntry): boolean =>
  a.destination === b.destination && a.gateway === b.gateway && (a.metric ?? 0) === (b.metric ?? 0);

const SCOPES = new Set(['global', 'link', 'host']);
const ROUTE_PROTOCOLS = new Set(['boot', 'static', 'dhcp']);

function restoreAddress(device: string, address: InterfaceAddress): NetworkOp {
  return {
    op: 'address-add',
    device,
    address: address.address,
    prefixLength: address.prefixLength,
    broadcast: address.broadcast,
    scope: SCOPES.has(address.scope) ? (address.scope as 'global' | 'link' | 'host') : 'global',
    label: address.label,
    validLifetime: address.validLifetime,
    preferredLifetime: address.validLifetime === null ? null : address.preferredLifetime,
  };
}

function restoreRoute(device: string, route: RouteEntry): NetworkOp {
  return {
    op: 'route-add',
    device,
    destination: route.destination,
    gateway: route.gateway,
    metric: route.metric,
    scope: route.scope && SCOPES.has(route.scope) ? (route.scope as 'global' | 'link' | 'host') : null,
    source: route.source,
    protocol: route.protocol && ROUTE_PROTOCOLS.has(route.protocol) ? (route.protocol as 'boot' | 'static' | 'dhcp') : null,
  };
}

/**
 * The changes that put the interface back exactly as the journal recorded it, computed from what is there now, so the
 * same function undoes a finished change, rolls back one that failed half-way and cleans up after a kill -9.
 */
export function undoSteps(journal: Journal, state: SystemNetworkState): NetworkStep[] {
  const ops: NetworkOp[] = [];
  const prior = journal.prior;
  const device = prior.interface;
  const iface = findInterface(state, device);
  const bridge = journal.bridge ? findInterface(state, journal.bridge.name) : undefined;
  if (journal.bridge && bridge) {
    const name = journal.bridge.name;
    if (journal.bridge.kind === 'openvswitch') {
      ops.push({ op: 'ovs-port-delete', bridge: name, device }, { op: 'ovs-bridge-delete', bridge: name });
    } else {
      if (iface?.master === name) ops.push({ op: 'set-nomaster', device });
      ops.push({ op: 'bridge-delete', bridge: name });
    }
  }
  if (!iface) return ops.map(stepFor);

  const masterAfterBridge = journal.bridge && iface.master === journal.bridge.name ? null : iface.master;
  if (prior.master !== masterAfterBridge) {
    ops.push(prior.master === null ? { op: 'set-nomaster', device } : { op: 'set-master', device, master: prior.master });
  }
  const current = ipv4Of(iface);
  for (const address of current.filter((entry) => !prior.ipv4.some((old) => sameAddress(old, entry)))) {
    ops.push({ op: 'address-delete', device, address: address.address, prefixLength: address.prefixLength });
  }
  if (prior.adminUp && !iface.adminUp) ops.push({ op: 'set-up', device });
  for (const address of prior.ipv4.filter((old) => !current.some((entry) => sameAddress(old, entry)))) {
    ops.push(restoreAddress(device, address));
  }
  const currentRoutes = state.routes.filter((route) => route.device === device);
  for (const route of prior.routes.filter((old) => !currentRoutes.some((entry) => sameRoute(old, entry)))) {
    ops.push(restoreRoute(device, route));
  }
  if (!prior.adminUp && iface.adminUp) ops.push({ op: 'set-down', device });
  if (prior.managedByNetworkManager === true && iface.managedByNetworkManager !== true) {
    ops.push({ op: 'nm-set-managed', device, managed: true });
  }
  return ops.map(stepFor);
}

/** How the interface still differs from its recorded prior state; empty once undo is complete. */
export function differencesFromPrior(journal: Journal, state: SystemNetworkState): string[] {
  const prior = journal.prior;
  const iface = findInterface(state, prior.interface);
  if (!iface) return [`${prior.interface} is gone (unplugged?): plug it back in and undo again.`];
  const problems: string[] = [];
  if (journal.bridge && findInterface(state, journal.bridge.name)) problems.push(`the bridge ${journal.bridge.name} still exists`);
  if (iface.master !== prior.master) problems.push(`${iface.name} is in ${iface.master ?? 'no bridge'}, was in ${prior.master ?? 'none'}`);
  if (iface.adminUp !== prior.adminUp) problems.push(`${iface.name} is ${iface.adminUp ? 'up' : 'down'}, was ${prior.adminUp ? 'up' : 'down'}`);
  const now = ipv4Of(iface).map((entry) => `${entry.address}/${entry.prefixLength}`).sort();
  const before = prior.ipv4.map((entry) => `${entry.address}/${entry.prefixLength}`).sort();
  if (now.join(',') !== before.join(',')) problems.push(`${iface.name} has ${now.join(', ') || 'no address'}, had ${before.join(', ') || 'none'}`);
  const routes = state.routes.filter((route) => route.device === iface.name);
  for (const route of prior.routes.filter((old) => !routes.some((entry) => sameRoute(old, entry)))) {
    problems.push(`the route to ${route.destination} is missing`);
  }
  return problems;
}

/** Checks that need nothing but the state and the request. */
export function staticChecks(resolved: ResolvedRequest, state: SystemNetworkState): NetworkCheck[] {
  const checks: NetworkCheck[] = [];
  const iface = findInterface(state, resolved.interface);
  if (!iface) {
    return [{ id: 'interface-missing', severity: 'blocker', message: `There is no interface named ${resolved.interface}: plug the adapter in and refresh.` }];
  }
  if (iface.kind === 'wireless') {
    checks.push({ id: 'wireless', severity: 'blocker', message: `${iface.name} is Wi-Fi. Rackboot never changes Wi-Fi: choose the wired port cabled to the servers' switch.` });
  }
  const uplink = state.uplinks.get(iface.name);
  if (uplink) {
    checks.push({ id: 'default-route', severity: 'blocker', message: `${uplink}, so it is your uplink. Rackboot leaves it alone: choose the wired port cabled to the provisioning switch.` });
  }
  if (iface.master !== null) {
    checks.push({ id: 'enslaved', severity: 'blocker', message: `${iface.name} is already part of ${iface.master}: remove it from there, or choose "address only" on ${iface.master}.` });
  }
  if (resolved.bridge && findInterface(state, resolved.bridge.name)) {
    checks.push({ id: 'bridge-exists', severity: 'blocker', message: `A device named ${resolved.bridge.name} already exists: choose another bridge name, or undo the earlier change first.` });
  }
  const subnetText = formatSubnet(resolved.subnet);
  const network = resolved.subnet.network;
  const broadcast = broadcastOf(resolved.subnet);
  const inside = (address: string): boolean => isHostOf(resolved.subnet, address);
  if (!inside(resolved.address)) {
    checks.push({ id: 'address-invalid', severity: 'blocker', message: `${resolved.address} is not a host address of ${subnetText}: pick one between ${numberToIp(network + 1)} and ${numberToIp(broadcast - 1)}.` });
  }
  const { start, end } = resolved.pool;
  const laptop = ipToNumber(resolved.address);
  if (!inside(start) || !inside(end) || ipToNumber(start) > ipToNumber(end)) {
    checks.push({ id: 'pool-invalid', severity: 'blocker', message: `The DHCP pool ${start}–${end} must run upwards inside ${subnetText}.` });
  } else if (laptop >= ipToNumber(start) && laptop <= ipToNumber(end)) {
    checks.push({ id: 'pool-invalid', severity: 'blocker', message: `The DHCP pool ${start}–${end} contains the laptop's own address ${resolved.address}: move one of them.` });
  }
  const overlapping = new Set<string>();
  for (const other of state.interfaces) {
    if (other.name === iface.name || other.name === resolved.bridge?.name || other.kind === 'loopback') continue;
    for (const address of ipv4Of(other)) {
      if (overlaps(subnetOf(address.address, address.prefixLength), resolved.subnet)) {
        overlapping.add(other.name);
        checks.push({ id: 'subnet-overlap', severity: 'blocker', message: `${subnetText} overlaps ${other.name}'s ${address.address}/${address.prefixLength}: traffic would go the wrong way. Choose another provisioning subnet (for example 10.77.0.0/24).` });
      }
    }
  }
  // Routes through the uplink beyond its own subnets (a VPN's, a static one): said once per device.
  for (const route of uplinkRoutesOverlapping(resolved.subnet, state.allRoutes, state.uplinks)) {
    if (overlapping.has(route.device)) continue;
    overlapping.add(route.device);
    const table = route.table === 'main' ? '' : ` (routing table ${route.table})`;
    checks.push({ id: 'subnet-overlap', severity: 'blocker', message: `${subnetText} overlaps the route to ${route.destination}${table} through your uplink ${route.device}: that traffic would go the wrong way. Choose another provisioning subnet.` });
  }
  if (iface.carrier === false) {
    checks.push({ id: 'no-link', severity: 'warning', message: `${iface.name} has no link: plug its cable into the provisioning switch (and check the switch port is on).` });
  }
  if (!resolved.bridge && hasAddress(iface, resolved.address, resolved.subnet.prefixLength)) {
    checks.push({ id: 'already-configured', severity: 'info', message: `${iface.name} already has ${resolved.address}/${resolved.subnet.prefixLength}; nothing to add.` });
  }
  if (iface.managedByNetworkManager) {
    checks.push({ id: 'network-manager', severity: 'info', message: `NetworkManager manages ${iface.name}; Rackboot asks it to leave the port alone while in use (so it does not undo the change) and hands it back on undo.` });
  }
  if (resolved.bridge?.kind === 'openvswitch') {
    checks.push({ id: 'openvswitch', severity: 'info', message: `Open vSwitch is installed, so ${resolved.bridge.name} is an OVS bridge, as in the DevStack guide.` });
  }
  return checks;
}

/** The journal of a change about to start: nothing done yet, the prior state recorded. */
export function newJournal(resolved: ResolvedRequest, prior: PriorState, runId: string, stepsTotal: number, startedAt: string): Journal {
  return {
    version: 1,
    runId,
    interface: resolved.interface,
    bridge: resolved.bridge,
    mode: resolved.mode,
    address: resolved.address,
    prefixLength: resolved.subnet.prefixLength,
    prior,
    startedAt,
    phase: 'applying',
    stepsStarted: 0,
    stepsTotal,
  };
}

/** The plan as a shell script, for a technician who runs it with sudo because the helper could not start. */
export function planScript(plan: Pick<NetworkPlan, 'interface' | 'steps'>, undo: NetworkStep[]): string {
  const lines = [
    '#!/bin/sh',
    `# Rackboot: set up ${plan.interface} for provisioning. Run with: sudo sh this-file`,
    'set -e',
    ...plan.steps.map((step) => `${step.command.map(shellQuote).join(' ')}  # ${step.description}`),
  ];
  if (undo.length) {
    lines.push('', '# To undo later, run these:', ...undo.map((step) => `# ${step.command.map(shellQuote).join(' ')}`));
  }
  return `${lines.join('\n')}\n`;
}

export function buildPlan(
  id: string,
  resolved: ResolvedRequest,
  state: SystemNetworkState,
  checks: NetworkCheck[],
): NetworkPlan {
  const iface = findInterface(state, resolved.interface);
  const steps = iface && !checks.some((check) => check.severity === 'blocker') ? applySteps(resolved, iface) : [];
  const bridge = resolved.bridge?.name ?? null;
  const undo = iface
    ? undoSteps(
        { ...newJournal(resolved, priorStateOf(state, iface), id, steps.length, ''), phase: 'applied', stepsStarted: steps.length },
        expectedStateAfter(resolved, state, iface),
      )
    : [];
  const plan = {
    id,
    interface: resolved.interface,
    mode: resolved.mode,
    backend: resolved.bridge?.kind === 'openvswitch' ? ('openvswitch' as const) : ('iproute2' as const),
    networkManager: iface?.managedByNetworkManager === true,
    subnet: formatSubnet(resolved.subnet),
    address: resolved.address,
    prefixLength: resolved.subnet.prefixLength,
    pool: resolved.pool,
    bridge,
    serviceInterface: bridge ?? resolved.interface,
    steps,
    checks,
    canApply: steps.length > 0 && !checks.some((check) => check.severity === 'blocker'),
  };
  return { ...plan, script: planScript(plan, undo) };
}

/** The state the plan leads to, as the undo preview needs it (routes via removed addresses vanish with them). */
function expectedStateAfter(resolved: ResolvedRequest, state: SystemNetworkState, iface: NetworkInterface): SystemNetworkState {
  const managed = iface.managedByNetworkManager ? false : iface.managedByNetworkManager;
  const planned: InterfaceAddress = {
    family: 'inet',
    address: resolved.address,
    prefixLength: resolved.subnet.prefixLength,
    scope: 'global',
    broadcast: numberToIp(broadcastOf(resolved.subnet)),
    label: null,
    validLifetime: null,
    preferredLifetime: null,
  };
  if (!resolved.bridge) {
    const addresses = hasAddress(iface, resolved.address, resolved.subnet.prefixLength) ? iface.addresses : [...iface.addresses, planned];
    return {
      ...state,
      interfaces: state.interfaces.map((entry) => (entry === iface ? { ...iface, adminUp: true, addresses, managedByNetworkManager: managed } : entry)),
    };
  }
  const bridge: NetworkInterface = { ...iface, name: resolved.bridge.name, kind: 'bridge', master: null, addresses: [planned], adminUp: true };
  return {
    ...state,
    routes: state.routes.filter((route) => route.device !== iface.name || route.protocol === 'kernel'),
    interfaces: [
      ...state.interfaces.map((entry) =>
        entry === iface
          ? { ...iface, adminUp: true, master: resolved.bridge?.name ?? null, addresses: iface.addresses.filter((a) => a.family !== 'inet'), managedByNetworkManager: managed }
          : entry,
      ),
      bridge,
    ],
  };
}

/** How the state falls short of what the plan promised; empty when the change is complete. */
export function differencesFromPlan(resolved: ResolvedRequest, state: SystemNetworkState): string[] {
  const problems: string[] = [];
  const iface = findInterface(state, resolved.interface);
  if (!iface) return [`${resolved.interface} is gone`];
  const holder = resolved.bridge ? findInterface(state, resolved.bridge.name) : iface;
  if (!holder) return [`the bridge ${resolved.bridge?.name ?? ''} is missing`];
  if (!hasAddress(holder, resolved.address, resolved.subnet.prefixLength)) {
    problems.push(`${holder.name} lacks ${resolved.address}/${resolved.subnet.prefixLength}`);
  }
  if (!holder.adminUp) problems.push(`${holder.name} is down`);
  if (!iface.adminUp) problems.push(`${iface.name} is down`);
  // Open vSwitch ports show the datapath (ovs-system) as their master, not the bridge.
  if (resolved.bridge?.kind === 'linux' && iface.master !== resolved.bridge.name) {
    problems.push(`${iface.name} is not in ${resolved.bridge.name}`);
  }
  return problems;
}
