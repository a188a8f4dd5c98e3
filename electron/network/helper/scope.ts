import type { InterfaceAddress, NetworkOp } from '../../../shared/network';
import type { RouteEntry, SystemNetworkState } from '../interfaces';
import { parseCidr, subnetOf, type Subnet } from '../../lib/ipv4';
import { commandFor } from '../ops';
import { isDefaultDestination, uplinkRoutesOverlapping } from '../uplink';
import type { HelperScope } from './protocol';

/**
 * The helper's rules about the system as it is (pure: the state comes in). The uplink is never touched in any role,
 * whatever table or address family its default route is in; routes and addresses never take traffic from it.
 */

const WHAT_TO_DO = 'pick the wired NIC cabled to the provisioning switch, not the uplink';

/** Routes shorter than this would take a large share of what the uplink's default route carries (as the plan's subnets). */
const SHORTEST_PREFIX = 8;

const ipv4Of = (state: SystemNetworkState, device: string): InterfaceAddress[] =>
  state.interfaces.find((iface) => iface.name === device)?.addresses.filter((address) => address.family === 'inet') ?? [];

export function addressesOf(state: SystemNetworkState, device: string): string[] {
  return ipv4Of(state, device).map((address) => address.address);
}

/** Why the helper may not touch `device` in any role, or null. */
export function deviceProblem(device: string, state: SystemNetworkState): string | null {
  const uplink = state.uplinks.get(device);
  if (uplink) return `${uplink}, so it is your uplink. Rackboot never changes it: ${WHAT_TO_DO}.`;
  const kind = state.interfaces.find((iface) => iface.name === device)?.kind;
  if (kind === 'wireless') return `${device} is Wi-Fi. Rackboot never changes it: ${WHAT_TO_DO}.`;
  if (kind === 'loopback') return `${device} is the loopback interface. Rackboot never changes it: ${WHAT_TO_DO}.`;
  return null;
}

/** Why the helper must not start for this scope, or null. */
export function scopeProblem(scope: HelperScope, state: SystemNetworkState): string | null {
  if (!state.interfaces.some((iface) => iface.name === scope.interface)) {
    return `there is no interface ${scope.interface}: plug the provisioning NIC in, then try again.`;
  }
  const problem = deviceProblem(scope.interface, state);
  if (problem) return `refused --interface ${scope.interface}: ${problem}`;
  if (scope.bridge === null) return null;
  const newBridge = `The bridge must be a new one over the provisioning NIC (Rackboot names it br-${scope.interface}).`;
  const bridgeProblem = deviceProblem(scope.bridge, state);
  if (bridgeProblem) return `refused --bridge ${scope.bridge}: ${bridgeProblem} ${newBridge}`;
  const existing = state.interfaces.find((iface) => iface.name === scope.bridge);
  if (existing && existing.kind !== 'bridge') return `refused --bridge ${scope.bridge}: ${scope.bridge} exists and is not a bridge. ${newBridge}`;
  return null;
}

/** What the provisioning NIC had when the helper started: all that undo may put back. */
export interface FoundAtStart {
  interface: string;
  routes: RouteEntry[];
  addresses: InterfaceAddress[];
}

export function foundAtStart(scope: HelperScope, state: SystemNetworkState): FoundAtStart {
  return {
    interface: scope.interface,
    routes: state.routes.filter((route) => route.device === scope.interface && route.protocol !== 'kernel'),
    addresses: ipv4Of(state, scope.interface),
  };
}

/** Why traffic to `subnet` through another interface would be taken from the uplink, or null. */
function captureProblem(what: string, subnet: Subnet, state: SystemNetworkState): string | null {
  if (subnet.prefixLength < SHORTEST_PREFIX) {
    return `${what} covers a /${subnet.prefixLength}, which would take much of the traffic your uplink's default route carries; the helper accepts /${SHORTEST_PREFIX} or longer.`;
  }
  const taken = uplinkRoutesOverlapping(subnet, state.allRoutes, state.uplinks)[0];
  if (!taken) return null;
  const table = taken.table === 'main' ? '' : ` (routing table ${taken.table})`;
  return `${what} overlaps ${taken.destination}${table}, which goes through your uplink ${taken.device}: it would take that traffic from the uplink. Choose a provisioning subnet that no uplink route covers.`;
}

type RouteAdd = Extract<NetworkOp, { op: 'route-add' }>;
type AddressAdd = Extract<NetworkOp, { op: 'address-add' }>;

/** Why a route-add must not run, or null: only a route the NIC had at start, and never one the uplink carries. */
export function routeAddProblem(op: RouteAdd, state: SystemNetworkState, found: FoundAtStart): string | null {
  const what = `the route to ${op.destination}${op.gateway ? ` via ${op.gateway}` : ''} on ${op.device}`;
  if (isDefaultDestination(op.destination)) {
    return `${what} is a default route: it would pull traffic your uplink carries into the provisioning network. Rackboot never adds one.`;
  }
  const capture = captureProblem(what, parseCidr(op.destination), state);
  if (capture) return capture;
  const seen = found.routes.some(
    (route) => route.destination === op.destination && route.gateway === op.gateway && (route.metric ?? 0) === (op.metric ?? 0) && route.source === op.source,
  );
  if (!seen) {
    return `this helper did not see that route (${what}) when it started, so it does not add it: it only puts back routes Rackboot's change took away. If ${op.device} had it before, add it yourself: sudo ${commandFor(op).join(' ')}`;
  }
  return null;
}

/** Why an address-add must not run, or null: an address the NIC had at start, or one whose subnet no uplink route covers. */
export function addressAddProblem(op: AddressAdd, state: SystemNetworkState, found: FoundAtStart): string | null {
  const restoring = found.addresses.some((address) => address.address === op.address && address.prefixLength === op.prefixLength);
  if (restoring && op.device === found.interface) return null;
  return captureProblem(`${op.address}/${op.prefixLength} on ${op.device}`, subnetOf(op.address, op.prefixLength), state);
}
