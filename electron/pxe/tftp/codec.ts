// TFTP packet codec (RFC 1350, options per RFC 2347). Pure: bytes in, typed values out, never throws on input.

export const Opcode = { RRQ: 1, WRQ: 2, DATA: 3, ACK: 4, ERROR: 5, OACK: 6 } as const;

export const ErrorCode = {
  NOT_DEFINED: 0,
  FILE_NOT_FOUND: 1,
  ACCESS_VIOLATION: 2,
  DISK_FULL: 3,
  ILLEGAL_OPERATION: 4,
  UNKNOWN_TID: 5,
  FILE_EXISTS: 6,
  NO_SUCH_USER: 7,
  OPTION_REFUSED: 8,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export type TransferMode = 'octet' | 'netascii';

export interface RequestPacket {
  type: 'rrq' | 'wrq';
  filename: string;
  mode: TransferMode;
  /** Option names lower-cased, values as sent; the first occurrence of a name wins (RFC 2347 allows no repeats). */
  options: ReadonlyMap<string, string>;
}
export interface DataPacket {
  type: 'data';
  block: number;
  data: Buffer;
}
export interface AckPacket {
  type: 'ack';
  block: number;
}
export interface ErrorPacket {
  type: 'error';
  code: number;
  message: string;
}
export interface OackPacket {
  type: 'oack';
  options: ReadonlyMap<string, string>;
}
export type TftpPacket = RequestPacket | DataPacket | AckPacket | ErrorPacket | OackPacket;

export type MalformedReason =
  | 'too-short'
  | 'unknown-opcode'
  | 'unterminated-string'
  | 'empty-filename'
  | 'unknown-mode'
  | 'bad-option'
  | 'trailing-bytes';

export interface Malformed {
  type: 'malformed';
  reason: MalformedReason;
  /** The opcode as read, so a server can tell a broken request (answer with an error) from stray junk (drop). */
  opcode: number | null;
}

/** RFC 2347 caps a request (and so an OACK) at 512 bytes; larger datagrams are refused before parsing strings. */
export const MAX_REQUEST_BYTES = 512;

export function parsePacket(bytes: Uint8Array): TftpPacket | Malformed {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 2) return malformed('too-short', null);
  const opcode = buf.readUInt16BE(0);
  switch (opcode) {
    case Opcode.RRQ:
    case Opcode.WRQ:
      return parseRequest(buf, opcode);
    case Opcode.DATA:
      if (buf.length < 4) return malformed('too-short', opcode);
      return { type: 'data', block: buf.readUInt16BE(2), data: buf.subarray(4) };
    case Opcode.ACK:
      if (buf.length < 4) return malformed('too-short', opcode);
      // Some clients pad ACKs; the block number is all that matters.
      return { type: 'ack', block: buf.readUInt16BE(2) };
    case Opcode.ERROR: {
      if (buf.length < 4) return malformed('too-short', opcode);
      const code = buf.readUInt16BE(2);
      // A missing terminator is tolerated in ERROR: the message is informational and we never answer an error.
      const end = buf.indexOf(0, 4);
      return { type: 'error', code, message: buf.toString('latin1', 4, end === -1 ? buf.length : end) };
    }
    case Opcode.OACK: {
      const strings = readStrings(buf, 2);
      if (strings === null) return malformed('unterminated-string', opcode);
      const options = pairsToOptions(strings);
      return options === null ? malformed('bad-option', opcode) : { type: 'oack', options };
    }
    default:
      return malformed('unknown-opcode', opcode);
  }
}

function parseRequest(buf: Buffer, opcode: number): RequestPacket | Malformed {
  if (buf.length > MAX_REQUEST_BYTES) return malformed('trailing-bytes', opcode);
  const strings = readStrings(buf, 2);
  if (strings === null) return malformed('unterminated-string', opcode);
  const [filename, rawMode, ...rest] = strings;
  if (filename === undefined || rawMode === undefined) return malformed('unterminated-string', opcode);
  if (filename.length === 0) return malformed('empty-filename', opcode);
  const mode = rawMode.toLowerCase();
  if (mode !== 'octet' && mode !== 'netascii') return malformed('unknown-mode', opcode);
  const options = pairsToOptions(rest);
  if (options === null) return malformed('bad-option', opcode);
  return { type: opcode === Opcode.RRQ ? 'rrq' : 'wrq', filename, mode, options };
}

/** NUL-terminated latin1 strings from `start` to the end; null when the last one lacks its terminator. */
function readStrings(buf: Buffer, start: number): string[] | null {
  const strings: string[] = [];
  let offset = start;
  while (offset < buf.length) {
    const end = buf.indexOf(0, offset);
    if (end === -1) return null;
    strings.push(buf.toString('latin1', offset, end));
    offset = end + 1;
  }
  return strings;
}

function pairsToOptions(strings: string[]): Map<string, string> | null {
  // Some clients (old PXE ROMs) pad requests with a trailing NUL; an empty last name is that padding, not an option.
  const usable = strings.length % 2 === 1 && strings[strings.length - 1] === '' ? strings.slice(0, -1) : strings;
  if (usable.length % 2 !== 0) return null;
  const options = new Map<string, string>();
  for (let i = 0; i < usable.length; i += 2) {
    const name = (usable[i] as string).toLowerCase();
    if (name.length === 0) return null;
    if (!options.has(name)) options.set(name, usable[i + 1] as string);
  }
  return options;
}

function malformed(reason: MalformedReason, opcode: number | null): Malformed {
  return { type: 'malformed', reason, opcode };
}

/** Writes the 4-byte DATA header in place, for senders that fill the payload of a reused buffer themselves. */
export function writeDataHeader(packet: Buffer, block: number): void {
  packet.writeUInt16BE(Opcode.DATA, 0);
  packet.writeUInt16BE(block & 0xffff, 2);
}

export function buildAck(block: number): Buffer {
  const packet = Buffer.allocUnsafe(4);
  packet.writeUInt16BE(Opcode.ACK, 0);
  packet.writeUInt16BE(block & 0xffff, 2);
  return packet;
}

export function buildError(code: ErrorCode, message: string): Buffer {
  const text = Buffer.from(message, 'latin1');
  const packet = Buffer.alloc(5 + text.length);
  packet.writeUInt16BE(Opcode.ERROR, 0);
  packet.writeUInt16BE(code, 2);
  text.copy(packet, 4);
  return packet;
}

export function buildOack(options: ReadonlyMap<string, string>): Buffer {
  return Buffer.concat([opcodeBytes(Opcode.OACK), ...nulTerminated(options)]);
}

export function buildRequest(
  type: 'rrq' | 'wrq',
  filename: string,
  mode: TransferMode,
  options: ReadonlyMap<string, string> = new Map(),
): Buffer {
  const head = [filename, mode].map((s) => Buffer.from(`${s}\0`, 'latin1'));
  return Buffer.concat([opcodeBytes(type === 'rrq' ? Opcode.RRQ : Opcode.WRQ), ...head, ...nulTerminated(options)]);
}

function opcodeBytes(opcode: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(opcode, 0);
  return b;
}

function nulTerminated(options: ReadonlyMap<string, string>): Buffer[] {
  return [...options].flatMap(([k, v]) => [Buffer.from(`${k}\0`, 'latin1'), Buffer.from(`${v}\0`, 'latin1')]);
}
