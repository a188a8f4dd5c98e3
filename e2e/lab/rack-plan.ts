import { randomBytes, randomUUID } from 'node:crypto';

/**
 * The addressing plan of one lab. Pure: identities are derived from the lab id and the server index, so a lab
 * can be described (and its leftovers found) without touching the system.
 */

export type Firmware = 'bios' | 'uefi';
/** What the NIC carries: QEMU's iPXE option ROM, or none, so the firmware's own PXE (OVMF's, SeaBIOS has none) boots. */
export type NicRom = 'ipxe' | 'none';

/** Every namespace of every lab starts with this, so `lab down` can find what a crashed run left behind. */
export const LAB_NAMESPACE_PREFIX = 'rbl-';

export const RACK_SUBNET = { network: '10.77.0.0', prefixLength: 24 } as const;
export const PROV_INTERFACE = 'prov0';
export const PROV_ADDRESS = '10.77.0.1';
/** Addresses Rackboot's DHCP may hand out: clear of the provisioner (.1) and of the BMCs (.101 upwards). */
export const DHCP_POOL = { start: '10.77.0.150', end: '10.77.0.250' } as const;

export const UPLINK_INTERFACE = 'wlan0';
export const UPLINK_ADDRESS = '172.31.255.2';
export const UPLINK_GATEWAY = '172.31.255.1';
export const UPLINK_PREFIX_LENGTH = 30;
export const UPLINK_PEER_INTERFACE = 'gw0';

export const RACK_BRIDGE = 'br0';
export const IPMI_PORT = 623;
/** BMCs sit at 10.77.0.101 + i; forty of them stay below the DHCP pool. */
export const MAX_SERVERS = 40;

export interface ServerPlan {
  name: string;
  index: number;
  bmcAddress: string;
  bmcUser: string;
  bmcPassword: string;
  mac: string;
  uuid: string;
  tap: string;
  /** Where ipmi_sim's SOL connects (the serial relay). */
  solPort: number;
  /** Where QEMU's serial port connects (the other side of the relay). */
  serialPort: number;
}

export interface LabPlan {
  id: string;
  namespaces: { rack: string; prov: string; uplink: string };
  servers: ServerPlan[];
}

export function newLabId(): string {
  return randomBytes(3).toString('hex');
}

export function labNamespaces(id: string): LabPlan['namespaces'] {
  return {
    rack: `${LAB_NAMESPACE_PREFIX}${id}-rack`,
    prov: `${LAB_NAMESPACE_PREFIX}${id}-prov`,
    uplink: `${LAB_NAMESPACE_PREFIX}${id}-up`,
  };
}

/** The lab id a namespace name belongs to, or undefined when it is not a lab namespace. */
export function labIdOfNamespace(name: string): string | undefined {
  const match = new RegExp(`^${LAB_NAMESPACE_PREFIX}([0-9a-f]{6})-(rack|prov|up)$`).exec(name);
  return match?.[1];
}

export function planLab(id: string, serverCount: number): LabPlan {
  if (!Number.isInteger(serverCount) || serverCount < 1 || serverCount > MAX_SERVERS) {
    throw new Error(`A lab holds 1 to ${MAX_SERVERS} servers; ${serverCount} was asked for.`);
  }
  if (!/^[0-9a-f]{6}$/.test(id)) throw new Error(`Lab id must be 6 hex digits, got "${id}".`);
  const servers = Array.from({ length: serverCount }, (_, i) => planServer(id, i + 1));
  return { id, namespaces: labNamespaces(id), servers };
}

function planServer(labId: string, index: number): ServerPlan {
  // 52:54:00 is QEMU's prefix; two bytes of the lab id keep MACs of coexisting labs apart.
  const mac = ['52', '54', '00', labId.slice(0, 2), labId.slice(2, 4), index.toString(16).padStart(2, '0')].join(':');
  return {
    name: `server${index}`,
    index,
    bmcAddress: `10.77.0.${100 + index}`,
    bmcUser: `admin${index}`,
    bmcPassword: randomBytes(8).toString('base64url').slice(0, 10),
    mac,
    uuid: randomUUID(),
    tap: `tap${index}`,
    solPort: 9000 + index,
    serialPort: 9100 + index,
  };
}

/**
 * The 16 bytes a server puts on the wire for its UUID: SMBIOS order, i.e. the first three fields little-endian.
 * PXE ROMs send these in DHCP option 97 (after a 0 type byte), and real BMCs return them as the System GUID.
 */
export function uuidToSmbiosBytes(uuid: string): Buffer {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Error(`Not a UUID: ${uuid}`);
  return swapLeadingFields(Buffer.from(hex, 'hex'));
}

/** Inverse of uuidToSmbiosBytes. */
export function smbiosBytesToUuid(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new Error(`A UUID has 16 bytes, got ${bytes.length}.`);
  const hex = swapLeadingFields(Buffer.from(bytes)).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Reverses time_low, time_mid and time_hi_and_version in place (the swap is its own inverse). */
function swapLeadingFields(bytes: Buffer): Buffer {
  bytes.subarray(0, 4).reverse();
  bytes.subarray(4, 6).reverse();
  bytes.subarray(6, 8).reverse();
  return bytes;
}
