import type { Inventory, InventoryDisk, RootDeviceHints } from '../../shared/inventory';
import { SIZE_HINT_PATTERN } from '../../shared/inventory';
import { redfishSystemIdSchema } from '../../shared/redfish';

/**
 * Rackboot's view of a server ↔ Ironic's node and port records. Pure: values in, values out. Only what Rackboot knows
 * goes in; a property without a value (no inventory yet) is left out, never guessed, so Ironic's own inspection can
 * fill it later.
 */

export type BmcAccess =
  | { protocol: 'ipmi'; address: string; port: number; username: string; password: string | null }
  | {
      protocol: 'redfish';
      /** The BMC's base URL, like https://10.1.2.3 */
      address: string;
      /** The ComputerSystem's path, like /redfish/v1/Systems/1; null: the BMC's only system (Ironic finds it). */
      systemId: string | null;
      username: string;
      password: string | null;
      verifyCa: boolean;
    };

/** What Rackboot knows about one server, as the hand-off needs it. */
export interface HandoffNode {
  name: string;
  bmc: BmcAccess;
  /** The PXE MAC captured at the first network boot. */
  mac: string | null;
  /** The BMC's System GUID (= the SMBIOS UUID the PXE ROM sends). */
  systemGuid: string | null;
  inventory: Inventory | null;
  rootDeviceHints: RootDeviceHints | null;
}

type JsonScalar = string | number | boolean;

/** Ironic's root device hints (ironic-lib's syntax): snake_case names, /dev paths, size in GiB. */
export type IronicRootDevice = Partial<Record<'name' | 'by_path' | 'model' | 'vendor' | 'serial' | 'wwn' | 'hctl', string>> & {
  size?: number | string;
  rotational?: boolean;
};

export interface IronicNodeProperties {
  cpus?: number;
  memory_mb?: number;
  local_gb?: number;
  cpu_arch?: string;
  capabilities?: string;
  root_device?: IronicRootDevice;
}

/**
 * `fake-hardware` is Ironic's driver that talks to no BMC: the benchmark and tests enrol with it to measure the API
 * work alone; the BMC settings still travel in driver_info.
 */
export type IronicDriver = 'ipmi' | 'redfish' | 'fake-hardware';

/** A node as `POST /v1/nodes` and `baremetal create` take it (the ports travel beside it). */
export interface IronicNodeSpec {
  name: string;
  driver: IronicDriver;
  driver_info: Record<string, JsonScalar>;
  properties: IronicNodeProperties;
  extra: Record<string, JsonScalar>;
}

export interface IronicPortSpec {
  address: string;
  pxe_enabled: boolean;
}

/** The driver_info keys that hold a secret: Ironic shows them as `******`, and an export leaves them out unless asked. */
export const SECRET_DRIVER_INFO_KEYS: ReadonlySet<string> = new Set(['ipmi_password', 'redfish_password']);

/** Ironic accepts node names that are valid host names (RFC 952/1123) or, since 1.10, also with `.`, `_`, `~`. */
const IRONIC_NAME = /^[A-Za-z0-9._~-]{1,255}$/;

export function ironicNameProblem(name: string): string | null {
  if (IRONIC_NAME.test(name)) return null;
  return `"${name}" is not a name Ironic takes (letters, digits, . _ ~ - only): rename the server in Rackboot first`;
}

export function toIronicNode(node: HandoffNode, driverOverride?: 'fake-hardware'): { node: IronicNodeSpec; ports: IronicPortSpec[] } {
  return {
    node: {
      name: node.name,
      driver: driverOverride ?? node.bmc.protocol,
      driver_info: driverInfo(node.bmc),
      properties: properties(node),
      extra: node.systemGuid ? { system_uuid: node.systemGuid.toLowerCase() } : {},
    },
    ports: node.mac ? [{ address: node.mac.toLowerCase(), pxe_enabled: true }] : [],
  };
}

function driverInfo(bmc: BmcAccess): Record<string, JsonScalar> {
  if (bmc.protocol === 'ipmi') {
    return {
      ipmi_address: bmc.address,
      ipmi_port: bmc.port,
      ipmi_username: bmc.username,
      ...(bmc.password !== null ? { ipmi_password: bmc.password } : {}),
    };
  }
  return {
    redfish_address: bmc.address,
    ...(bmc.systemId !== null ? { redfish_system_id: bmc.systemId } : {}),
    redfish_username: bmc.username,
    redfish_verify_ca: bmc.verifyCa,
    ...(bmc.password !== null ? { redfish_password: bmc.password } : {}),
  };
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

function properties(node: HandoffNode): IronicNodeProperties {
  const result: IronicNodeProperties = {};
  const inventory = node.inventory;
  if (inventory) {
    // As Ironic's inspection fills them: logical CPUs, memory in MiB, the root disk in GiB less one for partitioning.
    if (inventory.cpu.threads > 0) result.cpus = inventory.cpu.threads;
    if (inventory.memoryBytes > 0) result.memory_mb = Math.round(inventory.memoryBytes / MiB);
    if (inventory.cpu.arch) result.cpu_arch = inventory.cpu.arch;
    const rootDisk = chooseRootDisk(inventory.disks, node.rootDeviceHints);
    if (rootDisk && rootDisk.sizeBytes >= 2 * GiB) result.local_gb = Math.floor(rootDisk.sizeBytes / GiB) - 1;
    result.capabilities = `boot_mode:${inventory.bootMode}`;
  }
  if (node.rootDeviceHints) {
    const rootDevice = toIronicRootDevice(node.rootDeviceHints);
    if (Object.keys(rootDevice).length) result.root_device = rootDevice;
  }
  return result;
}

/** Ironic's default when no hint is given: the smallest disk of at least 4 GiB that is not removable media. */
const DEFAULT_MINIMUM_BYTES = 4 * GiB;

/** The disk the hints pick (as Ironic would), or its default choice; null when none fits. */
export function chooseRootDisk(disks: readonly InventoryDisk[], hints: RootDeviceHints | null): InventoryDisk | null {
  const usable = disks.filter((disk) => !disk.virtualMedia && !disk.readOnly);
  if (hints && Object.keys(hints).length) return usable.find((disk) => diskMatches(disk, hints)) ?? null;
  const candidates = usable.filter((disk) => !disk.removable && disk.transport !== 'usb' && disk.sizeBytes >= DEFAULT_MINIMUM_BYTES);
  return candidates.sort((a, b) => a.sizeBytes - b.sizeBytes)[0] ?? null;
}

const sameText = (a: string | null, b: string): boolean => a !== null && a.trim().toLowerCase() === b.trim().toLowerCase();
const withoutDev = (name: string): string => name.trim().replace(/^\/dev\//, '');

function diskMatches(disk: InventoryDisk, hints: RootDeviceHints): boolean {
  if (hints.name !== undefined && withoutDev(hints.name) !== disk.name) return false;
  if (hints.byPath !== undefined && !sameText(disk.byPath, hints.byPath) && !sameText(disk.byPath, byPathDevice(hints.byPath))) return false;
  for (const field of ['model', 'vendor', 'serial', 'wwn', 'hctl'] as const) {
    const hint = hints[field];
    if (hint !== undefined && !sameText(disk[field], hint)) return false;
  }
  if (hints.rotational !== undefined && hints.rotational !== disk.rotational) return false;
  if (hints.size !== undefined && !sizeMatches(Math.floor(disk.sizeBytes / GiB), hints.size)) return false;
  return true;
}

function sizeMatches(sizeGiB: number, hint: string): boolean {
  const match = SIZE_HINT_PATTERN.exec(hint);
  if (!match) return false;
  const wanted = Number(match[2]);
  switch (match[1] ?? '==') {
    case '>=':
      return sizeGiB >= wanted;
    case '<=':
      return sizeGiB <= wanted;
    case '!=':
      return sizeGiB !== wanted;
    case '<':
      return sizeGiB < wanted;
    case '>':
      return sizeGiB > wanted;
    default:
      return sizeGiB === wanted;
  }
}

const BY_PATH_DIR = '/dev/disk/by-path/';
const byPathDevice = (byPath: string): string => (byPath.trim().startsWith('/dev/') ? byPath.trim() : BY_PATH_DIR + byPath.trim());

export function toIronicRootDevice(hints: RootDeviceHints): IronicRootDevice {
  const device: IronicRootDevice = {};
  if (hints.name !== undefined) device.name = `/dev/${withoutDev(hints.name)}`;
  if (hints.byPath !== undefined) device.by_path = byPathDevice(hints.byPath);
  for (const field of ['model', 'vendor', 'serial', 'wwn', 'hctl'] as const) {
    const hint = hints[field];
    if (hint !== undefined) device[field] = hint.trim();
  }
  if (hints.rotational !== undefined) device.rotational = hints.rotational;
  if (hints.size !== undefined) {
    const match = SIZE_HINT_PATTERN.exec(hints.size);
    // A bare number is an integer hint; with an operator, ironic-lib wants "OP N" as text.
    if (match) device.size = match[1] ? `${match[1]} ${Number(match[2])}` : Number(match[2]);
  }
  return device;
}

/** Ironic's hints back into Rackboot's; a hint Rackboot has no field for (or with an unreadable value) is dropped. */
export function fromIronicRootDevice(device: unknown): RootDeviceHints | null {
  if (!isRecord(device)) return null;
  const hints: RootDeviceHints = {};
  const text = (key: string): string | undefined => {
    const value = device[key];
    return typeof value === 'string' && value.trim() && value.length <= 256 ? value.trim() : undefined;
  };
  const name = text('name');
  if (name !== undefined && !name.startsWith('s== ')) hints.name = withoutDev(name);
  const byPath = text('by_path');
  if (byPath !== undefined) hints.byPath = byPath;
  for (const field of ['model', 'vendor', 'serial', 'wwn'] as const) {
    const value = text(field);
    if (value !== undefined) hints[field] = value;
  }
  const hctl = text('hctl');
  if (hctl !== undefined && /^\d+:\d+:\d+:\d+$/.test(hctl)) hints.hctl = hctl;
  const rotational = device['rotational'];
  if (typeof rotational === 'boolean') hints.rotational = rotational;
  else if (rotational === 'true' || rotational === 'false') hints.rotational = rotational === 'true';
  const size = device['size'];
  const sizeText = typeof size === 'number' && Number.isInteger(size) && size >= 0 ? String(size) : typeof size === 'string' ? size : undefined;
  if (sizeText !== undefined && SIZE_HINT_PATTERN.test(sizeText)) hints.size = sizeText.trim();
  return Object.keys(hints).length ? hints : null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An Ironic node as its API lists it, reduced to what an import reads. */
export interface IronicNodeRecord {
  uuid: string;
  name: string | null;
  driver: string;
  driver_info: Record<string, unknown>;
  properties: Record<string, unknown>;
  extra: Record<string, unknown>;
}

export interface IronicPortRecord {
  address: string;
  node_uuid: string;
  pxe_enabled: boolean;
}

/** What an import can give Rackboot: the password never, as Ironic masks it. */
export interface ImportedNode {
  name: string;
  bmc:
    | { protocol: 'ipmi'; address: string; port: number; username: string }
    /** `systemId` null: the BMC's only system. The certificate is pinned at the first Test connection, as for any node. */
    | { protocol: 'redfish'; address: string; port: number; systemId: string | null; username: string };
  mac: string | null;
  systemGuid: string | null;
  rootDeviceHints: RootDeviceHints | null;
}

export type ImportOutcome = { ok: true; node: ImportedNode } | { ok: false; name: string; reason: string };

export function fromIronicNode(record: IronicNodeRecord, ports: readonly IronicPortRecord[]): ImportOutcome {
  const name = record.name ?? record.uuid;
  const mine = ports.filter((port) => port.node_uuid === record.uuid);
  const port = mine.find((candidate) => candidate.pxe_enabled) ?? mine[0];
  const systemGuid = record.extra['system_uuid'];
  const common = {
    mac: port ? port.address.toLowerCase() : null,
    systemGuid: typeof systemGuid === 'string' ? systemGuid : null,
    rootDeviceHints: fromIronicRootDevice(record.properties['root_device']),
  };
  if (record.driver === 'ipmi') {
    const address = record.driver_info['ipmi_address'];
    if (typeof address !== 'string' || !address.trim()) {
      return { ok: false, name, reason: 'Ironic has no ipmi_address for it: add the BMC address in Ironic or enrol it by hand' };
    }
    const portValue = Number(record.driver_info['ipmi_port'] ?? 623);
    const username = record.driver_info['ipmi_username'];
    return {
      ok: true,
      node: {
        name,
        bmc: {
          protocol: 'ipmi',
          address: address.trim(),
          port: Number.isInteger(portValue) && portValue >= 1 && portValue <= 65535 ? portValue : 623,
          username: typeof username === 'string' ? username : '',
        },
        ...common,
      },
    };
  }
  if (record.driver === 'redfish') {
    const bmc = redfishBmc(record.driver_info);
    if (typeof bmc === 'string') return { ok: false, name, reason: bmc };
    return { ok: true, node: { name, bmc, ...common } };
  }
  return { ok: false, name, reason: `its driver "${record.driver}" is not one Rackboot drives (ipmi, redfish): enrol it by hand` };
}

/**
 * The Redfish BMC of Ironic's driver_info: `redfish_address` is a URL (https://host[:port], as sushy takes it) or a bare
 * host; `redfish_system_id` a path under /redfish/v1/Systems/. Why not, in words, when it is neither.
 */
function redfishBmc(info: Record<string, unknown>): Extract<ImportedNode['bmc'], { protocol: 'redfish' }> | string {
  const raw = info['redfish_address'];
  if (typeof raw !== 'string' || !raw.trim()) return 'Ironic has no redfish_address for it: add the BMC address in Ironic or enrol it by hand';
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw.trim()) ? raw.trim() : `https://${raw.trim()}`);
  } catch {
    return `its redfish_address "${raw.slice(0, 80)}" is no URL or host: correct it in Ironic or enrol it by hand`;
  }
  if (url.protocol !== 'https:') return `its redfish_address "${raw.slice(0, 80)}" is not https: Rackboot speaks Redfish over TLS only; enrol it by hand`;
  const systemId: unknown = info['redfish_system_id'];
  const username = info['redfish_username'];
  return {
    protocol: 'redfish',
    address: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : 443,
    systemId: redfishSystemIdSchema.safeParse(systemId).data ?? null,
    username: typeof username === 'string' ? username : '',
  };
}
