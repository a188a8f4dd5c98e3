import { smbiosBytesToUuid } from './rack-plan';

/**
 * Reads what tcpdump -w writes (classic pcap, Ethernet link type) and picks out DHCP/BOOTP messages. Pure: bytes in,
 * values out. The lab has its own decoder on purpose: it is the independent witness for Rackboot's DHCP code.
 */

export interface CapturedFrame {
  /** Capture time, milliseconds since the epoch. */
  timeMs: number;
  data: Buffer;
}

const LINKTYPE_ETHERNET = 1;

/** Frames of a pcap file; a record cut short at the end (tcpdump still writing) is left out. */
export function parsePcap(file: Buffer): CapturedFrame[] {
  if (file.length < 24) return [];
  const magic = file.readUInt32LE(0);
  const littleEndian = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const bigEndian = magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1;
  if (!littleEndian && !bigEndian) throw new Error('Not a pcap file (unknown magic number).');
  const nanoseconds = magic === 0xa1b23c4d || magic === 0x4d3cb2a1;
  const u32 = (offset: number): number => (littleEndian ? file.readUInt32LE(offset) : file.readUInt32BE(offset));
  const linkType = u32(20);
  if (linkType !== LINKTYPE_ETHERNET) throw new Error(`pcap link type ${linkType} is not Ethernet.`);

  const frames: CapturedFrame[] = [];
  for (let offset = 24; offset + 16 <= file.length; ) {
    const seconds = u32(offset);
    const fraction = u32(offset + 4);
    const length = u32(offset + 8);
    const end = offset + 16 + length;
    if (end > file.length) break;
    const timeMs = seconds * 1000 + (nanoseconds ? fraction / 1e6 : fraction / 1e3);
    frames.push({ timeMs, data: file.subarray(offset + 16, end) });
    offset = end;
  }
  return frames;
}

export interface DhcpMessage {
  timeMs: number;
  /** Ethernet source address, lower-case colon form. */
  sourceMac: string;
  sourceIp: string;
  destinationIp: string;
  sourcePort: number;
  destinationPort: number;
  /** 1 = BOOTREQUEST (client), 2 = BOOTREPLY (server). */
  op: number;
  xid: number;
  clientMac: string;
  /** Option 53: 1 DISCOVER, 2 OFFER, 3 REQUEST, 5 ACK, …; undefined for plain BOOTP. */
  messageType: number | undefined;
  options: Map<number, Buffer>;
}

const DHCP_MESSAGE_TYPES: Record<number, string> = {
  1: 'DHCPDISCOVER',
  2: 'DHCPOFFER',
  3: 'DHCPREQUEST',
  4: 'DHCPDECLINE',
  5: 'DHCPACK',
  6: 'DHCPNAK',
  7: 'DHCPRELEASE',
  8: 'DHCPINFORM',
};

export function dhcpMessageTypeName(type: number | undefined): string {
  return type === undefined ? 'BOOTP' : (DHCP_MESSAGE_TYPES[type] ?? `DHCP type ${type}`);
}

/** Option 97 (client machine identifier, type 0 + 16 bytes in SMBIOS order) as a UUID string. */
export function clientUuid(message: DhcpMessage): string | undefined {
  const value = message.options.get(97);
  if (!value || value.length !== 17 || value[0] !== 0) return undefined;
  return smbiosBytesToUuid(value.subarray(1));
}

/** The BOOTP/DHCP messages among the frames (IPv4 UDP with port 67 or 68 on either side). */
export function dhcpMessages(frames: CapturedFrame[]): DhcpMessage[] {
  return frames.flatMap((frame) => {
    const message = decodeDhcpFrame(frame);
    return message ? [message] : [];
  });
}

const BOOTP_MAGIC_COOKIE = 0x63825363;

function decodeDhcpFrame({ timeMs, data }: CapturedFrame): DhcpMessage | undefined {
  if (data.length < 14 || data.readUInt16BE(12) !== 0x0800) return undefined;
  const ip = data.subarray(14);
  if (ip.length < 20 || ip[0]! >> 4 !== 4 || ip[9] !== 17) return undefined;
  const udp = ip.subarray((ip[0]! & 0x0f) * 4);
  if (udp.length < 8) return undefined;
  const sourcePort = udp.readUInt16BE(0);
  const destinationPort = udp.readUInt16BE(2);
  if (![sourcePort, destinationPort].some((port) => port === 67 || port === 68)) return undefined;
  const bootp = udp.subarray(8);
  if (bootp.length < 240) return undefined;
  const hlen = Math.min(bootp[2]!, 16);
  const options = bootp.readUInt32BE(236) === BOOTP_MAGIC_COOKIE ? decodeOptions(bootp.subarray(240)) : new Map();
  const messageType = options.get(53)?.[0];
  return {
    timeMs,
    sourceMac: macString(data.subarray(6, 12)),
    sourceIp: ip.subarray(12, 16).join('.'),
    destinationIp: ip.subarray(16, 20).join('.'),
    sourcePort,
    destinationPort,
    op: bootp[0]!,
    xid: bootp.readUInt32BE(4),
    clientMac: macString(bootp.subarray(28, 28 + hlen)),
    messageType,
    options,
  };
}

function decodeOptions(bytes: Buffer): Map<number, Buffer> {
  const options = new Map<number, Buffer>();
  for (let i = 0; i < bytes.length; ) {
    const code = bytes[i]!;
    if (code === 255) break;
    if (code === 0) {
      i += 1;
      continue;
    }
    const length = bytes[i + 1];
    if (length === undefined || i + 2 + length > bytes.length) break;
    const value = bytes.subarray(i + 2, i + 2 + length);
    // RFC 3396: an option that appears more than once is one long option.
    const previous = options.get(code);
    options.set(code, previous ? Buffer.concat([previous, value]) : value);
    i += 2 + length;
  }
  return options;
}

function macString(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex').replace(/(..)(?!$)/g, '$1:');
}

export interface RouterAdvertisement {
  timeMs: number;
  sourceMac: string;
  /** IPv6 source, lower-case, full form without zero compression (fe80:0:0:0:…). */
  sourceIp: string;
  /** Must be 255 (RFC 4861) or hosts drop the RA. */
  ipHopLimit: number;
  /** Seconds; 0 means "not a default router". */
  routerLifetime: number;
  managed: boolean;
  otherConfig: boolean;
  prefixes: { prefix: string; length: number; validLifetime: number; autonomous: boolean }[];
}

const ICMPV6 = 58;
const ICMPV6_ROUTER_SOLICITATION = 133;
const ICMPV6_ROUTER_ADVERTISEMENT = 134;

/** The Ethernet source, IPv6 header and ICMPv6 message of a frame; undefined for anything else. */
function icmpv6({ data }: CapturedFrame): { sourceMac: string; ip: Buffer; icmp: Buffer } | undefined {
  if (data.length < 14 + 40 + 4 || data.readUInt16BE(12) !== 0x86dd) return undefined;
  const ip = data.subarray(14);
  if (ip[0]! >> 4 !== 6 || ip[6] !== ICMPV6) return undefined;
  return { sourceMac: macString(data.subarray(6, 12)), ip, icmp: ip.subarray(40, 40 + ip.readUInt16BE(4)) };
}

/** ICMPv6 router solicitations (type 133): a host asking for an RA, e.g. iPXE configuring IPv6. */
export function routerSolicitations(frames: CapturedFrame[]): { timeMs: number; sourceMac: string }[] {
  return frames.flatMap((frame) => {
    const message = icmpv6(frame);
    return message?.icmp[0] === ICMPV6_ROUTER_SOLICITATION ? [{ timeMs: frame.timeMs, sourceMac: message.sourceMac }] : [];
  });
}

/** ICMPv6 router advertisements (type 134) among the frames; IPv6 extension headers are not followed. */
export function routerAdvertisements(frames: CapturedFrame[]): RouterAdvertisement[] {
  return frames.flatMap((frame) => {
    const message = icmpv6(frame);
    if (!message || message.icmp[0] !== ICMPV6_ROUTER_ADVERTISEMENT || message.icmp.length < 16) return [];
    const { sourceMac, ip, icmp } = message;
    return [{
      timeMs: frame.timeMs,
      sourceMac,
      sourceIp: ipv6String(ip.subarray(8, 24)),
      ipHopLimit: ip[7]!,
      routerLifetime: icmp.readUInt16BE(6),
      managed: (icmp[5]! & 0x80) !== 0,
      otherConfig: (icmp[5]! & 0x40) !== 0,
      prefixes: prefixOptions(icmp.subarray(16)),
    }];
  });
}

function prefixOptions(options: Buffer): RouterAdvertisement['prefixes'] {
  const prefixes: RouterAdvertisement['prefixes'] = [];
  for (let i = 0; i + 2 <= options.length; ) {
    const length = options[i + 1]! * 8;
    if (length === 0 || i + length > options.length) break;
    if (options[i] === 3 && length === 32) {
      prefixes.push({
        prefix: ipv6String(options.subarray(i + 16, i + 32)),
        length: options[i + 2]!,
        validLifetime: options.readUInt32BE(i + 4),
        autonomous: (options[i + 3]! & 0x40) !== 0,
      });
    }
    i += length;
  }
  return prefixes;
}

function ipv6String(bytes: Buffer): string {
  return Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2).toString(16)).join(':');
}

export interface TcpSyn {
  timeMs: number;
  sourceIp: string;
  destinationIp: string;
  destinationPort: number;
}

/** IPv4 TCP segments that open a connection (SYN without ACK): a client starting to fetch something. */
export function tcpSyns(frames: CapturedFrame[]): TcpSyn[] {
  return frames.flatMap(({ timeMs, data }) => {
    if (data.length < 14 + 20 + 20 || data.readUInt16BE(12) !== 0x0800) return [];
    const ip = data.subarray(14);
    if (ip[0]! >> 4 !== 4 || ip[9] !== 6) return [];
    const tcp = ip.subarray((ip[0]! & 0x0f) * 4);
    if (tcp.length < 14 || (tcp[13]! & 0x12) !== 0x02) return [];
    return [{ timeMs, sourceIp: ip.subarray(12, 16).join('.'), destinationIp: ip.subarray(16, 20).join('.'), destinationPort: tcp.readUInt16BE(2) }];
  });
}
