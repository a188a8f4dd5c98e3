import { overlaps, parseCidr, type Subnet } from '../lib/ipv4';

/**
 * Which interfaces make up the uplink (how this machine reaches the rest of the network), from what iproute2 says.
 * Pure: the callers hand in parsed `ip -j -d link` relations and the routes of every table of both families.
 *
 * An interface is part of the uplink when it carries a default route (IPv4 or IPv6, in any routing table: a VPN like
 * wg-quick puts its default route in a table of its own and steers traffic there with `ip rule`), or when it is tied
 * to one that does: a port of an uplink bridge or bond, the bridge or bond over an uplink, or the device under an
 * uplink VLAN/macvlan. Changing any of them would cut the machine off, so Rackboot never touches them.
 */

/** One route from `ip -j -4|-6 route show table all`. */
export interface TableRoute {
  family: 'inet' | 'inet6';
  /** `main`, `local` or the table's number or name. */
  table: string;
  /** `unicast`, `local`, `broadcast`, `unreachable`, … */
  type: string;
  destination: string;
  /** The device of the route, or of each next hop of a multipath route. */
  devices: string[];
}

/** How one interface hangs together with others, from `ip -j -d link`. */
export interface LinkRelations {
  name: string;
  /** The kernel's link kind (veth, bridge, openvswitch, macvlan, …); null for a physical NIC. */
  linkKind: string | null;
  /** The bridge or bond it is a port of. */
  master: string | null;
  /** The device it is stacked on (a VLAN's or macvlan's parent); never a veth's peer. */
  lower: string | null;
}

/** Interface name → why it is part of the uplink, in words that start with its name. */
export type Uplinks = ReadonlyMap<string, string>;

export function isDefaultDestination(destination: string): boolean {
  return destination === 'default' || destination === '0.0.0.0/0' || destination === '::/0';
}

/** A route that carries traffic out of a device (not a local, broadcast, unreachable or blackhole entry). */
function isUnicast(route: TableRoute): boolean {
  return route.type === 'unicast';
}

function defaultRouteReason(route: TableRoute): string {
  const family = route.family === 'inet6' ? 'an IPv6' : 'an IPv4';
  const table = route.table === 'main' ? '' : ` (routing table ${route.table}, which policy rules such as a VPN's send traffic to)`;
  return `carries ${family} default route${table}`;
}

/** Open vSwitch ports show the datapath, not their bridge, as master: any of them may belong to an uplink OVS bridge. */
const OVS_DATAPATH = 'ovs-system';

export function findUplinks(links: readonly LinkRelations[], routes: readonly TableRoute[]): Uplinks {
  // What follows each uplink device: name → how the neighbour relates to it ("is a port of X").
  const tail = new Map<string, string>();
  const queue: string[] = [];
  const mark = (name: string, why: string): void => {
    if (tail.has(name) || !links.some((link) => link.name === name)) return;
    tail.set(name, why);
    queue.push(name);
  };
  for (const route of routes) {
    if (!isUnicast(route) || !isDefaultDestination(route.destination)) continue;
    for (const device of route.devices) mark(device, defaultRouteReason(route));
  }
  while (queue.length) {
    const name = queue.shift() as string;
    const link = links.find((candidate) => candidate.name === name);
    const because = `${name}, which ${tail.get(name) ?? ''}`;
    if (!link) continue;
    if (link.master && link.master !== OVS_DATAPATH) {
      const master = links.find((candidate) => candidate.name === link.master);
      mark(link.master, `is the ${master?.linkKind === 'bridge' || master?.linkKind === 'openvswitch' ? 'bridge' : 'master'} over ${because}`);
    }
    for (const port of links.filter((candidate) => candidate.master === name)) mark(port.name, `is a port of ${because}`);
    if (link.linkKind === 'openvswitch' && name !== OVS_DATAPATH) {
      for (const port of links.filter((candidate) => candidate.master === OVS_DATAPATH)) {
        mark(port.name, `is an Open vSwitch port, perhaps of ${because}`);
      }
    }
    if (link.lower) mark(link.lower, `is the device under ${because}`);
  }
  return new Map([...tail].map(([name, why]) => [name, `${name} ${why}`]));
}

/** The IPv4 routes that go out through the uplink, other than its default routes (which every prefix overlaps). */
export function uplinkRoutes(routes: readonly TableRoute[], uplinks: Uplinks): Array<TableRoute & { subnet: Subnet; device: string }> {
  return routes.flatMap((route) => {
    if (route.family !== 'inet' || !isUnicast(route) || isDefaultDestination(route.destination)) return [];
    const device = route.devices.find((name) => uplinks.has(name));
    return device ? [{ ...route, device, subnet: parseCidr(route.destination) }] : [];
  });
}

/** Uplink routes that a route or an address to `subnet` on another interface would take traffic from. */
export function uplinkRoutesOverlapping(subnet: Subnet, routes: readonly TableRoute[], uplinks: Uplinks): Array<TableRoute & { device: string }> {
  return uplinkRoutes(routes, uplinks).filter((route) => overlaps(route.subnet, subnet));
}
