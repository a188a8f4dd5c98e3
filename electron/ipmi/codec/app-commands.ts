import type { DeviceId, SystemGuid } from '../../../shared/ipmi';
import { NetFn, type IpmiRequest } from './message';
import { accept, refuse, type Decoded } from './result';

/** Application network function commands (IPMI v2.0 §20, §22, §24). */

/** Channel number that means "the channel this request arrived on". */
export const CURRENT_CHANNEL = 0x0e;

export function getDeviceIdRequest(): IpmiRequest {
  return { netFn: NetFn.App, command: 0x01, data: Buffer.alloc(0) };
}

const MANUFACTURERS: Readonly<Record<number, string>> = {
  2: 'IBM',
  11: 'Hewlett Packard Enterprise',
  343: 'Intel',
  674: 'Dell',
  4753: 'MontaVista (OpenIPMI simulator)',
  5771: 'Cisco',
  7244: 'Quanta',
  10368: 'Fujitsu',
  10876: 'Supermicro',
  11129: 'Google',
  19046: 'Lenovo',
  20974: 'American Megatrends',
  2011: 'Huawei',
  15370: 'Giga Computing',
};

function bcd(byte: number): string {
  return `${byte >> 4}${byte & 0x0f}`;
}

export function decodeDeviceId(data: Buffer): Decoded<DeviceId> {
  if (data.length < 11) return refuse('Get Device ID response is truncated');
  const manufacturerId = data.readUIntLE(6, 3) & 0x0fffff;
  const ipmiVersion = data[4] ?? 0;
  return accept({
    deviceId: data[0] ?? 0,
    deviceRevision: (data[1] ?? 0) & 0x0f,
    providesDeviceSdrs: ((data[1] ?? 0) & 0x80) !== 0,
    deviceAvailable: ((data[2] ?? 0) & 0x80) === 0,
    firmwareVersion: `${(data[2] ?? 0) & 0x7f}.${bcd(data[3] ?? 0)}`,
    ipmiVersion: `${ipmiVersion & 0x0f}.${ipmiVersion >> 4}`,
    manufacturerId,
    manufacturerName: MANUFACTURERS[manufacturerId] ?? `IANA ${manufacturerId}`,
    productId: data.readUInt16LE(9),
    auxFirmwareRevision: data.subarray(11, 15).toString('hex'),
  });
}

export function getSystemGuidRequest(): IpmiRequest {
  return { netFn: NetFn.App, command: 0x37, data: Buffer.alloc(0) };
}

/** SMBIOS order: time_low, time_mid and time_hi little-endian, the last eight bytes as sent. */
export function decodeSystemGuid(data: Buffer): Decoded<SystemGuid> {
  if (data.length < 16) return refuse('Get System GUID response is truncated');
  const bytes = data.subarray(0, 16);
  const hex = (from: number, to: number, reverse: boolean) => {
    const part = Buffer.from(bytes.subarray(from, to));
    return (reverse ? part.reverse() : part).toString('hex');
  };
  const uuid = [hex(0, 4, true), hex(4, 6, true), hex(6, 8, true), hex(8, 10, false), hex(10, 16, false)].join('-');
  return accept({ uuid, bytesHex: bytes.toString('hex') });
}

export interface ChannelAuthCapabilities {
  readonly channel: number;
  readonly ipmi20: boolean;
  readonly authTypes: ReadonlyArray<'none' | 'md2' | 'md5' | 'password' | 'oem'>;
  readonly kgRequired: boolean;
  readonly perMessageAuthDisabled: boolean;
  readonly userLevelAuthDisabled: boolean;
  readonly nonNullUserNames: boolean;
  readonly nullUserNames: boolean;
  readonly anonymousLogin: boolean;
}

/** Asked before any session exists; bit 7 of the channel byte asks for the IPMI v2.0 extended answer. */
export function getChannelAuthCapabilitiesRequest(privilege: number): IpmiRequest {
  return { netFn: NetFn.App, command: 0x38, data: Buffer.from([0x80 | CURRENT_CHANNEL, privilege & 0x0f]) };
}

export function decodeChannelAuthCapabilities(data: Buffer): Decoded<ChannelAuthCapabilities> {
  if (data.length < 8) return refuse('Get Channel Authentication Capabilities response is truncated');
  const types = data[1] ?? 0;
  const status = data[2] ?? 0;
  const extended = data[3] ?? 0;
  const authTypes: Array<ChannelAuthCapabilities['authTypes'][number]> = [];
  if (types & 0x01) authTypes.push('none');
  if (types & 0x02) authTypes.push('md2');
  if (types & 0x04) authTypes.push('md5');
  if (types & 0x10) authTypes.push('password');
  if (types & 0x20) authTypes.push('oem');
  return accept({
    channel: (data[0] ?? 0) & 0x0f,
    ipmi20: (types & 0x80) !== 0 && (extended & 0x02) !== 0,
    authTypes,
    kgRequired: (status & 0x20) !== 0,
    perMessageAuthDisabled: (status & 0x10) !== 0,
    userLevelAuthDisabled: (status & 0x08) !== 0,
    nonNullUserNames: (status & 0x04) !== 0,
    nullUserNames: (status & 0x02) !== 0,
    anonymousLogin: (status & 0x01) !== 0,
  });
}

/** Page `index` (16 bytes each) of the cipher suite records for IPMI payloads, listed by suite. */
export function getChannelCipherSuitesRequest(index: number): IpmiRequest {
  return { netFn: NetFn.App, command: 0x54, data: Buffer.from([CURRENT_CHANNEL, 0x00, 0x80 | (index & 0x3f)]) };
}

export const CIPHER_SUITE_PAGE_SIZE = 16;

/** The record bytes of one page, without the leading channel byte. */
export function decodeCipherSuitePage(data: Buffer): Decoded<Buffer> {
  if (data.length < 1) return refuse('Get Channel Cipher Suites response is truncated');
  return accept(Buffer.from(data.subarray(1)));
}

/**
 * IPMI v2.0 table 22-18: records start with 0xC0 (standard: suite id) or 0xC1 (OEM: suite id + 3-byte IANA),
 * followed by algorithm bytes tagged 00/01/10 in their top two bits.
 */
export function decodeCipherSuiteIds(records: Buffer): Decoded<number[]> {
  const ids: number[] = [];
  let offset = 0;
  while (offset < records.length) {
    const start = records[offset];
    if (start !== 0xc0 && start !== 0xc1) return refuse('cipher suite records are malformed');
    const id = records[offset + 1];
    if (id === undefined) return refuse('cipher suite record is truncated');
    if (start === 0xc0) ids.push(id);
    offset += start === 0xc1 ? 5 : 2;
    while (offset < records.length && ((records[offset] ?? 0) & 0xc0) !== 0xc0) offset += 1;
  }
  return accept(ids);
}

export function setSessionPrivilegeRequest(privilege: number): IpmiRequest {
  return { netFn: NetFn.App, command: 0x3b, data: Buffer.from([privilege & 0x0f]) };
}

export function closeSessionRequest(bmcSessionId: number): IpmiRequest {
  const data = Buffer.alloc(4);
  data.writeUInt32LE(bmcSessionId >>> 0);
  return { netFn: NetFn.App, command: 0x3c, data };
}
