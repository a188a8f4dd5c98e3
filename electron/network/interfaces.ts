import { z } from 'zod';
import type { InterfaceAddress, NetworkInterface } from '../../shared/network';
import { findUplinks, type LinkRelations, type TableRoute, type Uplinks } from './uplink';

/**
 * Pure parsers for what iproute2, sysfs and nmcli say about the laptop's interfaces. The commands are run elsewhere
 * (system-state.ts); these functions take their output, so they are tested with output captured from a real namespace.
 */

const FOREVER = 4294967295;

const ipAddrInfoSchema = z.object({
  family: z.string(),
  local: z.string(),
  prefixlen: z.number(),
  scope: z.string().default('global'),
  broadcast: z.string().optional(),
  label: z.string().optional(),
  dynamic: z.boolean().optional(),
  valid_life_time: z.number().optional(),
  preferred_life_time: z.number().optional(),
});

const ipAddrSchema = z.array(
  z.object({ ifname: z.string(), addr_info: z.array(ipAddrInfoSchema).default([]) }),
);

const ipLinkSchema = z.array(
  z.object({
    ifname: z.string(),
    flags: z.array(z.string()).default([]),
    mtu: z.number(),
    operstate: z.string().default('UNKNOWN'),
    link_type: z.string().default('none'),
    address: z.string().optional(),
    master: z.string().optional(),
    /** The device this one is stacked on (VLAN, macvlan), or a veth's peer; absent when that is in another namespace. */
    link: z.string().optional(),
    linkinfo: z.object({ info_kind: z.string().optional() }).optional(),
  }),
);

/** `ip -j route show table all`: routes of the main table carry no `table`; multipath routes list `nexthops`. */
const ipRouteSchema = z.array(
  z.object({
    type: z.string().default('unicast'),
    table: z.union([z.string(), z.number()]).transform(String).default('main'),
    nexthops: z.array(z.object({ dev: z.string().optional() })).default([]),
    dst: z.string(),
    gateway: z.string().optional(),
    dev: z.string().optional(),
    protocol: z.string().optional(),
    scope: z.string().optional(),
    metric: z.number().optional(),
    prefsrc: z.string().optional(),
    flags: z.array(z.string()).default([]),
  }),
);

/** What /sys/class/net/IF says (files that cannot be read are null). */
export interface SysfsInfo {
  type: number | null;
  carrier: boolean | null;
  speedMbps: number | null;
  wireless: boolean;
}

/** One IPv4 route as Rackboot keeps it (and records it in the journal). */
export const routeEntrySchema = z.object({
  destination: z.string(),
  gateway: z.string().nullable(),
  device: z.string().nullable(),
  protocol: z.string().nullable(),
  scope: z.string().nullable(),
  metric: z.number().nullable(),
  source: z.string().nullable(),
});
export type RouteEntry = z.infer<typeof routeEntrySchema>;

export interface RawNetworkState {
  /** `ip -j -d link` */
  links: string;
  /** `ip -j addr` */
  addresses: string;
  /** `ip -j -4 route show table all` */
  routes4: string;
  /** `ip -j -6 route show table all` */
  routes6: string;
  sysfs: Record<string, SysfsInfo>;
  /** `nmcli -t -f DEVICE,STATE device`, or null when nmcli is not installed. */
  nmcli: string | null;
}

export interface SystemNetworkState {
  interfaces: NetworkInterface[];
  /** The IPv4 routes of the main table: what undo can put back. */
  routes: RouteEntry[];
  /** Every route of every table, IPv4 and IPv6. */
  allRoutes: TableRoute[];
  /** The interfaces that make up the uplink, each with the reason in words. */
  uplinks: Uplinks;
}

const ARPHRD_LOOPBACK = 772;
const BRIDGE_KINDS = new Set(['bridge', 'openvswitch']);

/** Devices NetworkManager manages: every state but "unmanaged" (and "unavailable" still counts: it will manage it). */
export function parseNmcliDevices(text: string): Map<string, boolean> {
  const managed = new Map<string, boolean>();
  for (const line of text.split('\n')) {
    // nmcli -t escapes ':' inside a field as '\:'; device names cannot contain ':' in practice but be exact anyway.
    const match = /^((?:[^:\\]|\\.)*):(.*)$/.exec(line.trim());
    if (!match) continue;
    const device = (match[1] ?? '').replace(/\\(.)/g, '$1');
    const state = match[2] ?? '';
    if (device) managed.set(device, !state.startsWith('unmanaged'));
  }
  return managed;
}

function lifetime(value: number | undefined): number | null {
  return value === undefined || value === FOREVER ? null : value;
}

function toAddress(info: z.infer<typeof ipAddrInfoSchema>): InterfaceAddress | null {
  if (info.family !== 'inet' && info.family !== 'inet6') return null;
  return {
    family: info.family,
    address: info.local,
    prefixLength: info.prefixlen,
    scope: info.scope,
    broadcast: info.broadcast ?? null,
    label: info.label ?? null,
    validLifetime: lifetime(info.valid_life_time),
    preferredLifetime: lifetime(info.preferred_life_time),
  };
}

type IpRoute = z.infer<typeof ipRouteSchema>[number];

function toRouteEntry(route: IpRoute): RouteEntry {
  return {
    destination: route.dst,
    gateway: route.gateway ?? null,
    device: route.dev ?? null,
    protocol: route.protocol ?? null,
    scope: route.scope ?? null,
    metric: route.metric ?? null,
    source: route.prefsrc ?? null,
  };
}

function toTableRoute(family: TableRoute['family'], route: IpRoute): TableRoute {
  const devices = [route.dev, ...route.nexthops.map((hop) => hop.dev)].filter((device): device is string => device !== undefined);
  return { family, table: route.table, type: route.type, destination: route.dst, devices: [...new Set(devices)] };
}

/** The main table's routes of `ip -j -4 route show table all`. */
export function parseRoutes(json: string): RouteEntry[] {
  return ipRouteSchema
    .parse(JSON.parse(json))
    .filter((route) => route.table === 'main')
    .map(toRouteEntry);
}

export function parseTableRoutes(family: TableRoute['family'], json: string): TableRoute[] {
  return ipRouteSchema.parse(JSON.parse(json)).map((route) => toTableRoute(family, route));
}

function kindOf(linkType: string, linkKind: string | null, sysfs: SysfsInfo | undefined): NetworkInterface['kind'] {
  if (sysfs?.wireless) return 'wireless';
  if (linkType === 'loopback' || sysfs?.type === ARPHRD_LOOPBACK) return 'loopback';
  if (linkKind && BRIDGE_KINDS.has(linkKind)) return 'bridge';
  if (linkType === 'ether' && (linkKind === null || linkKind === 'veth')) return 'wired';
  return 'other';
}

function assess(candidate: Omit<NetworkInterface, 'recommended' | 'notes'> & { uplink: string | null }): { recommended: boolean; notes: string[] } {
  const notes: string[] = [];
  if (candidate.kind === 'wireless') notes.push('Wi-Fi: Rackboot never changes it; servers are provisioned over a cable.');
  else if (candidate.kind !== 'wired') notes.push('Not a wired Ethernet port.');
  if (candidate.uplink) notes.push(`Your uplink (${candidate.uplink}): Rackboot leaves it alone.`);
  if (candidate.master) notes.push(`Already part of ${candidate.master}.`);
  if (candidate.kind === 'wired' && candidate.carrier === false) notes.push('No link: plug the cable into the provisioning switch.');
  if (candidate.kind === 'wired' && candidate.linkKind === 'veth') notes.push('A virtual Ethernet pair (container or lab).');
  const recommended =
    candidate.kind === 'wired' && candidate.carrier === true && !candidate.carriesDefaultRoute && candidate.master === null;
  if (recommended) {
    const speed = candidate.speedMbps ? `, ${candidate.speedMbps} Mb/s` : '';
    notes.unshift(`Wired, link up${speed}, not your uplink: a good provisioning port.`);
  }
  return { recommended, notes };
}

export function parseNetworkState(raw: RawNetworkState): SystemNetworkState {
  const links = ipLinkSchema.parse(JSON.parse(raw.links));
  const addressesByName = new Map(
    ipAddrSchema.parse(JSON.parse(raw.addresses)).map((entry) => [
      entry.ifname,
      entry.addr_info.map(toAddress).filter((address): address is InterfaceAddress => address !== null),
    ]),
  );
  const routes = parseRoutes(raw.routes4);
  const allRoutes = [...parseTableRoutes('inet', raw.routes4), ...parseTableRoutes('inet6', raw.routes6)];
  const relations: LinkRelations[] = links.map((link) => {
    const linkKind = link.linkinfo?.info_kind ?? null;
    return { name: link.ifname, linkKind, master: link.master ?? null, lower: linkKind === 'veth' ? null : (link.link ?? null) };
  });
  const uplinks = findUplinks(relations, allRoutes);
  const nm = raw.nmcli === null ? null : parseNmcliDevices(raw.nmcli);

  const interfaces = links.map((link) => {
    const sysfs = raw.sysfs[link.ifname];
    const linkKind = link.linkinfo?.info_kind ?? null;
    const base = {
      name: link.ifname,
      mac: link.link_type === 'ether' && link.address ? link.address.toLowerCase() : null,
      kind: kindOf(link.link_type, linkKind, sysfs),
      linkKind,
      adminUp: link.flags.includes('UP'),
      carrier: sysfs?.carrier ?? (link.flags.includes('UP') ? link.flags.includes('LOWER_UP') : null),
      speedMbps: sysfs?.speedMbps ?? null,
      operState: link.operstate,
      mtu: link.mtu,
      master: link.master ?? null,
      addresses: addressesByName.get(link.ifname) ?? [],
      carriesDefaultRoute: uplinks.has(link.ifname),
      managedByNetworkManager: nm === null ? null : (nm.get(link.ifname) ?? false),
    };
    return { ...base, ...assess({ ...base, uplink: uplinks.get(link.ifname) ?? null }) };
  });
  return { interfaces, routes, allRoutes, uplinks };
}

/** sysfs speed is -1 (or unreadable) when the link is down or the driver does not say. */
export function parseSysfs(files: { type: string | null; carrier: string | null; speed: string | null; wireless: boolean }): SysfsInfo {
  const number = (text: string | null): number | null => {
    if (text === null) return null;
    const value = Number.parseInt(text.trim(), 10);
    return Number.isFinite(value) ? value : null;
  };
  const speed = number(files.speed);
  const carrier = number(files.carrier);
  return {
    type: number(files.type),
    carrier: carrier === null ? null : carrier === 1,
    speedMbps: speed !== null && speed > 0 ? speed : null,
    wireless: files.wireless,
  };
}
