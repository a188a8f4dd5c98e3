// What a DHCP request says about the client: the typed view the policy and the capture work from. Pure.
import type { ClientArch } from '../../../shared/pxe';
import { DhcpMessageType, type DhcpMessageTypeName, type DhcpPacket, Option, readIp, readText, readU16 } from './codec';

export interface ClientRequest {
  messageType: DhcpMessageTypeName | null;
  xid: number;
  mac: string;
  /** Option 97, canonical 8-4-4-4-12 hex in the byte order the client sent. */
  uuid: string | null;
  archCode: number | null;
  arch: ClientArch;
  vendorClass: string | null;
  userClass: string | null;
  isPxe: boolean;
  isIpxe: boolean;
  requestedAddress: string | null;
  serverId: string | null;
  ciaddr: string;
  giaddr: string;
  broadcast: boolean;
}

const ARCH_BY_CODE: Record<number, ClientArch> = {
  0: 'bios',
  6: 'uefi-ia32',
  7: 'uefi-x64',
  // 9 is "EFI BC" in RFC 4578; x86-64 firmware sends it for historical reasons.
  9: 'uefi-x64',
  10: 'uefi-arm32',
  11: 'uefi-arm64',
  16: 'uefi-x64-http',
  19: 'uefi-arm64-http',
};

export function archFromCode(code: number | null): ClientArch {
  return code === null ? 'unknown' : (ARCH_BY_CODE[code] ?? 'unknown');
}

export function formatMac(bytes: Uint8Array): string {
  return [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join(':');
}

export function formatUuid(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function messageTypeName(value: Uint8Array | undefined): DhcpMessageTypeName | null {
  if (value?.length !== 1) return null;
  const entry = Object.entries(DhcpMessageType).find(([, code]) => code === value[0]);
  return entry ? (entry[0] as DhcpMessageTypeName) : null;
}

/** Option 97: type 0 followed by 16 bytes (PXE 2.1). */
function readUuid(value: Uint8Array | undefined): string | null {
  if (value?.length === 17 && value[0] === 0) return formatUuid(value.subarray(1));
  return null;
}

/**
 * Option 77: RFC 3004 wants length-prefixed instances, but iPXE and others send a bare string ("iPXE").
 * Instances are joined with commas.
 */
function readUserClass(value: Uint8Array | undefined): string | null {
  if (!value || value.length === 0) return null;
  const instances: string[] = [];
  let i = 0;
  while (i < value.length) {
    const length = value[i]!;
    if (length === 0 || i + 1 + length > value.length) return readText(value);
    instances.push(Buffer.from(value.subarray(i + 1, i + 1 + length)).toString('latin1'));
    i += 1 + length;
  }
  const printable = instances.every((instance) => /^[\x20-\x7e]+$/.test(instance));
  return printable ? instances.join(',') : readText(value);
}

/** Option 93 may list several architectures; the first is the one the client runs now. */
function readArch(value: Uint8Array | undefined): number | null {
  if (!value || value.length < 2 || value.length % 2 !== 0) return null;
  return readU16(value.subarray(0, 2));
}

export function describeRequest(packet: DhcpPacket): ClientRequest {
  const options = packet.options;
  const vendorClass = readText(options.get(Option.vendorClass));
  const userClass = readUserClass(options.get(Option.userClass));
  const archCode = readArch(options.get(Option.clientArch));
  const isIpxe = options.has(Option.ipxeEncapsulated) || (userClass?.split(',').includes('iPXE') ?? false);
  const isPxe = isIpxe || /^(PXEClient|HTTPClient)/.test(vendorClass ?? '');
  return {
    messageType: messageTypeName(options.get(Option.messageType)),
    xid: packet.xid,
    mac: formatMac(packet.chaddr.subarray(0, packet.hlen)),
    uuid: readUuid(options.get(Option.clientUuid)),
    archCode,
    arch: archFromCode(archCode),
    vendorClass,
    userClass,
    isPxe,
    isIpxe,
    requestedAddress: readIp(options.get(Option.requestedAddress)),
    serverId: readIp(options.get(Option.serverId)),
    ciaddr: packet.ciaddr,
    giaddr: packet.giaddr,
    broadcast: (packet.flags & 0x8000) !== 0,
  };
}
