// Builds the reply packets: full-mode OFFER/ACK/NAK and proxyDHCP OFFER/ACK. Pure.
import type { AddressPool, BootTarget } from '../../../shared/pxe';
import { BOOTREPLY, DhcpMessageType, type DhcpPacket, encodeSubOptions, ipList, Option, text, u32, u8 } from './codec';

/** PXE 2.1 vendor sub-option 6, PXE_DISCOVERY_CONTROL; bit 3: take the boot file from this offer, skip discovery. */
const PXE_DISCOVERY_CONTROL = 6;
const USE_BOOT_FILE_FROM_OFFER = 0x08;
/** iPXE setting 175.176, "no-pxedhcp": stop waiting ~3 s for ProxyDHCP offers once this OFFER is in hand. */
const IPXE_NO_PXEDHCP = 176;
/** sname/file are fixed fields; longer names travel in options 66/67 only. */
const FILE_FIELD_MAX = 127;

function replyHeader(request: DhcpPacket, yiaddr: string, siaddr: string, file: string): DhcpPacket {
  return {
    op: BOOTREPLY,
    htype: request.htype,
    hlen: request.hlen,
    hops: 0,
    xid: request.xid,
    secs: 0,
    flags: request.flags,
    ciaddr: request.ciaddr,
    yiaddr,
    siaddr,
    giaddr: request.giaddr,
    chaddr: request.chaddr,
    sname: '',
    file: file.length <= FILE_FIELD_MAX ? file : '',
    options: new Map(),
  };
}

function bootFileOf(boot: BootTarget): string {
  return boot.kind === 'tftp' ? boot.file : boot.url;
}

function setBootOptions(options: Map<number, Uint8Array>, boot: BootTarget): void {
  if (boot.kind === 'tftp') options.set(Option.tftpServerName, text(boot.nextServer));
  options.set(Option.bootFileName, text(bootFileOf(boot)));
}

export interface FullReply {
  type: 'offer' | 'ack';
  serverAddress: string;
  address: string;
  pool: AddressPool;
  /** Null for a client that is not booting over the network (e.g. the deploy agent asking for an address). */
  boot: BootTarget | null;
  /** The client runs iPXE (user class / option 175). */
  ipxe: boolean;
}

export function buildFullReply(request: DhcpPacket, reply: FullReply): DhcpPacket {
  const { boot } = reply;
  const nextServer = boot?.kind === 'tftp' ? boot.nextServer : reply.serverAddress;
  const packet = replyHeader(request, reply.address, nextServer, boot ? bootFileOf(boot) : '');
  const options = packet.options;
  options.set(Option.messageType, u8(DhcpMessageType[reply.type]));
  options.set(Option.serverId, ipList([reply.serverAddress]));
  options.set(Option.leaseTime, u32(reply.pool.leaseSeconds));
  options.set(Option.subnetMask, ipList([reply.pool.subnetMask]));
  if (reply.pool.router) options.set(Option.router, ipList([reply.pool.router]));
  if (reply.pool.dnsServers.length > 0) options.set(Option.dnsServers, ipList(reply.pool.dnsServers));
  if (boot) setBootOptions(options, boot);
  if (reply.ipxe) options.set(Option.ipxeEncapsulated, encodeSubOptions(new Map([[IPXE_NO_PXEDHCP, u8(1)]])));
  return packet;
}

export function buildNak(request: DhcpPacket, serverAddress: string): DhcpPacket {
  const packet = replyHeader(request, '0.0.0.0', '0.0.0.0', '');
  packet.ciaddr = '0.0.0.0';
  packet.options.set(Option.messageType, u8(DhcpMessageType.nak));
  packet.options.set(Option.serverId, ipList([serverAddress]));
  return packet;
}

/**
 * A proxyDHCP reply (PXE 2.1): no address, option 60 "PXEClient" so the ROM knows what it is, and the boot file
 * straight away with discovery control bit 3 so a ROM need not go on to port 4011 unless it wants to.
 */
export function buildProxyReply(request: DhcpPacket, type: 'offer' | 'ack', serverAddress: string, boot: BootTarget): DhcpPacket {
  const nextServer = boot.kind === 'tftp' ? boot.nextServer : serverAddress;
  const packet = replyHeader(request, '0.0.0.0', nextServer, bootFileOf(boot));
  const options = packet.options;
  options.set(Option.messageType, u8(DhcpMessageType[type]));
  options.set(Option.serverId, ipList([serverAddress]));
  options.set(Option.vendorClass, text('PXEClient'));
  const uuid = request.options.get(Option.clientUuid);
  if (uuid) options.set(Option.clientUuid, uuid);
  options.set(Option.vendorSpecific, encodeSubOptions(new Map([[PXE_DISCOVERY_CONTROL, u8(USE_BOOT_FILE_FROM_OFFER)]])));
  setBootOptions(options, boot);
  return packet;
}
