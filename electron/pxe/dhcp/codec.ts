// DHCPv4 / BOOTP wire format (RFC 2131, 2132, 3396 long options, option 52 overload). Pure: bytes in, values out.
// Parsing never throws: malformed input comes back as a typed error, since every byte arrives from the network.

export const BOOTREQUEST = 1;
export const BOOTREPLY = 2;
const MAGIC_COOKIE = 0x63825363;
const FIXED_HEADER = 236;
const OPTIONS_START = FIXED_HEADER + 4;
/** RFC 2131 minimum message (BOOTP legacy); some PXE ROMs drop shorter replies. */
const MIN_MESSAGE = 300;

export const DhcpMessageType = {
  discover: 1,
  offer: 2,
  request: 3,
  decline: 4,
  ack: 5,
  nak: 6,
  release: 7,
  inform: 8,
} as const;
export type DhcpMessageTypeName = keyof typeof DhcpMessageType;

export const Option = {
  pad: 0,
  subnetMask: 1,
  router: 3,
  dnsServers: 6,
  hostName: 12,
  vendorSpecific: 43,
  requestedAddress: 50,
  leaseTime: 51,
  overload: 52,
  messageType: 53,
  serverId: 54,
  parameterList: 55,
  maxMessageSize: 57,
  vendorClass: 60,
  clientId: 61,
  tftpServerName: 66,
  bootFileName: 67,
  userClass: 77,
  clientArch: 93,
  clientNdi: 94,
  clientUuid: 97,
  ipxeEncapsulated: 175,
  end: 255,
} as const;

export interface DhcpPacket {
  op: number;
  htype: number;
  hlen: number;
  hops: number;
  xid: number;
  secs: number;
  flags: number;
  ciaddr: string;
  yiaddr: string;
  siaddr: string;
  giaddr: string;
  /** All 16 bytes of chaddr; the hardware address is the first `hlen` of them. */
  chaddr: Uint8Array;
  /** Empty when the field carries options (overload). */
  sname: string;
  file: string;
  /** Option code → value. Repeated codes are already concatenated (RFC 3396). Insertion order is kept on build. */
  options: Map<number, Uint8Array>;
}

export type DhcpParseErrorCode =
  | 'too-short'
  | 'bad-op'
  | 'bad-hardware-address'
  | 'bad-magic-cookie'
  | 'truncated-option'
  | 'bad-overload';

export interface DhcpParseError {
  code: DhcpParseErrorCode;
  message: string;
}

export type DhcpParseResult = { ok: true; packet: DhcpPacket } | { ok: false; error: DhcpParseError };

function fail(code: DhcpParseErrorCode, message: string): DhcpParseResult {
  return { ok: false, error: { code, message } };
}

export function ipToString(bytes: Uint8Array, offset = 0): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/** Dotted quad → 4 bytes; returns null for anything that is not one. */
export function ipToBytes(address: string): Uint8Array | null {
  // By hand rather than split and a pattern per part: every reply writes several addresses.
  const bytes = new Uint8Array(4);
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= address.length; i++) {
    const code = i < address.length ? address.charCodeAt(i) : 46;
    if (code === 46) {
      if (digits === 0 || part > 3) return null;
      bytes[part++] = value;
      value = 0;
      digits = 0;
    } else if (code >= 48 && code <= 57 && digits < 3) {
      value = value * 10 + (code - 48);
      digits += 1;
      if (value > 255) return null;
    } else {
      return null;
    }
  }
  return part === 4 ? bytes : null;
}

function join(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function nulTerminated(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return Buffer.from(end === -1 ? bytes : bytes.subarray(0, end)).toString('latin1');
}

/** Reads one option area into `into`; returns false when an option runs past the end of the area. */
function readOptionArea(area: Uint8Array, into: Map<number, Uint8Array[]>): boolean {
  let i = 0;
  while (i < area.length) {
    const code = area[i] as number;
    if (code === Option.end) return true;
    if (code === Option.pad) {
      i += 1;
      continue;
    }
    if (i + 1 >= area.length) return false;
    const length = area[i + 1] as number;
    if (i + 2 + length > area.length) return false;
    const parts = into.get(code) ?? [];
    parts.push(area.subarray(i + 2, i + 2 + length));
    into.set(code, parts);
    i += 2 + length;
  }
  return true;
}

export function parseDhcp(input: Uint8Array): DhcpParseResult {
  if (input.length < OPTIONS_START) {
    return fail('too-short', `DHCP message of ${input.length} bytes is shorter than the ${OPTIONS_START}-byte header`);
  }
  const bytes = Uint8Array.from(input);
  const view = new DataView(bytes.buffer);
  const op = bytes[0] as number;
  if (op !== BOOTREQUEST && op !== BOOTREPLY) return fail('bad-op', `op ${op} is neither BOOTREQUEST nor BOOTREPLY`);
  const hlen = bytes[2] as number;
  if (hlen > 16) return fail('bad-hardware-address', `hardware address length ${hlen} exceeds the 16-byte chaddr field`);
  if (view.getUint32(FIXED_HEADER) !== MAGIC_COOKIE) return fail('bad-magic-cookie', 'missing DHCP magic cookie');

  const collected = new Map<number, Uint8Array[]>();
  if (!readOptionArea(bytes.subarray(OPTIONS_START), collected)) {
    return fail('truncated-option', 'an option runs past the end of the options field');
  }
  const overloadParts = collected.get(Option.overload);
  let overload = 0;
  if (overloadParts) {
    const value = overloadParts[0];
    if (overloadParts.length !== 1 || value?.length !== 1 || value[0]! < 1 || value[0]! > 3) {
      return fail('bad-overload', 'option 52 (overload) must be one byte of value 1, 2 or 3');
    }
    overload = value[0]!;
  }
  const fileField = bytes.subarray(108, 236);
  const snameField = bytes.subarray(44, 108);
  // RFC 2131 §4.1: options field first, then file, then sname.
  if (overload & 1 && !readOptionArea(fileField, collected)) {
    return fail('truncated-option', 'an option runs past the end of the overloaded file field');
  }
  if (overload & 2 && !readOptionArea(snameField, collected)) {
    return fail('truncated-option', 'an option runs past the end of the overloaded sname field');
  }

  const options = new Map<number, Uint8Array>();
  for (const [code, parts] of collected) options.set(code, join(parts));

  return {
    ok: true,
    packet: {
      op,
      htype: bytes[1] as number,
      hlen,
      hops: bytes[3] as number,
      xid: view.getUint32(4),
      secs: view.getUint16(8),
      flags: view.getUint16(10),
      ciaddr: ipToString(bytes, 12),
      yiaddr: ipToString(bytes, 16),
      siaddr: ipToString(bytes, 20),
      giaddr: ipToString(bytes, 24),
      chaddr: bytes.slice(28, 44),
      sname: overload & 2 ? '' : nulTerminated(snameField),
      file: overload & 1 ? '' : nulTerminated(fileField),
      options,
    },
  };
}

function encodeOptions(options: Map<number, Uint8Array>): Uint8Array {
  let size = 1;
  for (const [code, value] of options) {
    if (code !== Option.pad && code !== Option.end) size += value.length + 2 * Math.max(1, Math.ceil(value.length / 255));
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const [code, value] of options) {
    if (code === Option.pad || code === Option.end) continue;
    // RFC 3396: values longer than 255 bytes travel as consecutive instances of the same code.
    let offset = 0;
    do {
      const piece = value.subarray(offset, offset + 255);
      out[at++] = code;
      out[at++] = piece.length;
      out.set(piece, at);
      at += piece.length;
      offset += 255;
    } while (offset < value.length);
  }
  out[at] = Option.end;
  return out;
}

function writeIp(target: Uint8Array, offset: number, address: string): void {
  target.set(ipToBytes(address) ?? new Uint8Array(4), offset);
}

function writeString(target: Uint8Array, offset: number, size: number, text: string): void {
  const encoded = Buffer.from(text, 'latin1');
  // Keep a terminating NUL: a full-width name is not a valid C string for the ROM.
  target.set(encoded.subarray(0, size - 1), offset);
}

export function buildDhcp(packet: DhcpPacket): Uint8Array {
  const options = encodeOptions(packet.options);
  const out = new Uint8Array(Math.max(MIN_MESSAGE, OPTIONS_START + options.length));
  const view = new DataView(out.buffer);
  out[0] = packet.op;
  out[1] = packet.htype;
  out[2] = packet.hlen;
  out[3] = packet.hops;
  view.setUint32(4, packet.xid >>> 0);
  view.setUint16(8, packet.secs);
  view.setUint16(10, packet.flags);
  writeIp(out, 12, packet.ciaddr);
  writeIp(out, 16, packet.yiaddr);
  writeIp(out, 20, packet.siaddr);
  writeIp(out, 24, packet.giaddr);
  out.set(packet.chaddr.subarray(0, 16), 28);
  writeString(out, 44, 64, packet.sname);
  writeString(out, 108, 128, packet.file);
  view.setUint32(FIXED_HEADER, MAGIC_COOKIE);
  out.set(options, OPTIONS_START);
  return out;
}

// ---- option value encoders and decoders -------------------------------------------------------------

export function u8(value: number): Uint8Array {
  return Uint8Array.of(value & 0xff);
}

export function u16(value: number): Uint8Array {
  return Uint8Array.of((value >> 8) & 0xff, value & 0xff);
}

export function u32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value >>> 0);
  return out;
}

export function text(value: string): Uint8Array {
  return Uint8Array.from(Buffer.from(value, 'latin1'));
}

export function ipList(addresses: readonly string[]): Uint8Array {
  return join(addresses.map((address) => ipToBytes(address) ?? new Uint8Array(4)));
}

export function readU16(value: Uint8Array | undefined): number | null {
  return value?.length === 2 ? (value[0]! << 8) | value[1]! : null;
}

export function readIp(value: Uint8Array | undefined): string | null {
  return value?.length === 4 ? ipToString(value) : null;
}

export function readText(value: Uint8Array | undefined): string | null {
  return value ? Buffer.from(value).toString('latin1').replace(/\0+$/, '') : null;
}

/** Sub-options of an encapsulated option (43, 175); null when the lengths do not add up. */
export function readSubOptions(value: Uint8Array | undefined): Map<number, Uint8Array> | null {
  if (!value) return null;
  const collected = new Map<number, Uint8Array[]>();
  if (!readOptionArea(value, collected)) return null;
  return new Map([...collected].map(([code, parts]) => [code, join(parts)]));
}

/** Sub-options of an encapsulated option, ended by 255 as PXE ROMs expect. */
export function encodeSubOptions(subOptions: Map<number, Uint8Array>): Uint8Array {
  return encodeOptions(subOptions);
}
