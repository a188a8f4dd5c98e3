import type { DhcpOffer } from '../../shared/network';

/**
 * The two DHCP messages the other-DHCP-server probe needs (RFC 2131): a DISCOVER that looks like a PXE client's, so
 * proxyDHCP servers answer too, and the decoding of the OFFERs that come back. Bytes in, values out.
 */

const MAGIC_COOKIE = 0x63825363;
const HEADER_LENGTH = 236;
const OPTION_MESSAGE_TYPE = 53;
const OPTION_SERVER_ID = 54;
const OPTION_PARAMETER_LIST = 55;
const OPTION_VENDOR_CLASS = 60;
const OPTION_BOOT_FILE = 67;
const OPTION_CLIENT_ARCH = 93;
const OPTION_END = 255;
const OPTION_PAD = 0;
const DHCPDISCOVER = 1;
const DHCPOFFER = 2;
const BOOTREQUEST = 1;
const BOOTREPLY = 2;
const BROADCAST_FLAG = 0x8000;
const PXE_VENDOR_CLASS = 'PXEClient:Arch:00000:UNDI:002001';

function macBytes(mac: string): Buffer {
  return Buffer.from(mac.split(':').map((part) => Number.parseInt(part, 16)));
}

export function encodeDiscover(mac: string, xid: number): Buffer {
  const header = Buffer.alloc(HEADER_LENGTH);
  header[0] = BOOTREQUEST;
  header[1] = 1; // htype Ethernet
  header[2] = 6; // hlen
  header.writeUInt32BE(xid >>> 0, 4);
  // Broadcast flag: the answer must reach a client that has no address yet, and the probing socket is not that address.
  header.writeUInt16BE(BROADCAST_FLAG, 10);
  macBytes(mac).copy(header, 28);
  const vendorClass = Buffer.from(PXE_VENDOR_CLASS, 'ascii');
  const options = Buffer.concat([
    Buffer.from([0x63, 0x82, 0x53, 0x63]),
    Buffer.from([OPTION_MESSAGE_TYPE, 1, DHCPDISCOVER]),
    Buffer.from([OPTION_PARAMETER_LIST, 5, 1, 3, 54, 60, 67]),
    Buffer.from([OPTION_VENDOR_CLASS, vendorClass.length]),
    vendorClass,
    Buffer.from([OPTION_CLIENT_ARCH, 2, 0, 0]),
    Buffer.from([OPTION_END]),
  ]);
  const packet = Buffer.concat([header, options]);
  // Some old relays and servers drop BOOTP messages shorter than 300 bytes.
  return packet.length >= 300 ? packet : Buffer.concat([packet, Buffer.alloc(300 - packet.length)]);
}

function ip(bytes: Buffer, offset: number): string {
  return [bytes[offset], bytes[offset + 1], bytes[offset + 2], bytes[offset + 3]].join('.');
}

function cString(bytes: Buffer): string | null {
  const end = bytes.indexOf(0);
  const text = bytes.subarray(0, end === -1 ? bytes.length : end).toString('latin1');
  return text.length ? text : null;
}

function readOptions(packet: Buffer): Map<number, Buffer> | null {
  if (packet.length < HEADER_LENGTH + 4 || packet.readUInt32BE(HEADER_LENGTH) !== MAGIC_COOKIE) return null;
  const options = new Map<number, Buffer>();
  let offset = HEADER_LENGTH + 4;
  while (offset < packet.length) {
    const code = packet[offset] ?? OPTION_END;
    if (code === OPTION_END) break;
    if (code === OPTION_PAD) {
      offset += 1;
      continue;
    }
    const length = packet[offset + 1];
    if (length === undefined || offset + 2 + length > packet.length) return null;
    options.set(code, packet.subarray(offset + 2, offset + 2 + length));
    offset += 2 + length;
  }
  return options;
}

/** The OFFER answering our DISCOVER `xid`, or null for anything else (other clients' traffic, junk). */
export function decodeOffer(packet: Buffer, xid: number): DhcpOffer | null {
  if (packet.length < HEADER_LENGTH || packet[0] !== BOOTREPLY || packet.readUInt32BE(4) !== xid >>> 0) return null;
  const options = readOptions(packet);
  if (!options || options.get(OPTION_MESSAGE_TYPE)?.[0] !== DHCPOFFER) return null;
  const serverId = options.get(OPTION_SERVER_ID);
  const yiaddr = ip(packet, 16);
  const bootFile = options.get(OPTION_BOOT_FILE);
  return {
    server: serverId?.length === 4 ? ip(serverId, 0) : ip(packet, 20),
    offeredAddress: yiaddr === '0.0.0.0' ? null : yiaddr,
    bootFile: bootFile ? cString(bootFile) : cString(packet.subarray(108, 236)),
    proxy: yiaddr === '0.0.0.0',
  };
}
