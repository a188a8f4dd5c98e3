import { decryptPayload, encryptPayload, integrityCode, sameBytes, type SessionKeys } from './cipher';
import { accept, refuse, type Decoded } from './result';
import { RMCP_HEADER_LENGTH, RmcpClass, rmcpClassOf, rmcpHeader } from './rmcp';

/** IPMI v2.0 §13.6: auth type 6 marks an RMCP+ (v2.0) wrapper; 0 is a v1.5 wrapper without authentication. */
const AUTH_TYPE_NONE = 0x00;
const AUTH_TYPE_RMCP_PLUS = 0x06;
const NEXT_HEADER = 0x07;
const V20_HEADER_LENGTH = 12;
const V15_HEADER_LENGTH = 10;

export const enum PayloadType {
  Ipmi = 0x00,
  Sol = 0x01,
  OpenSessionRequest = 0x10,
  OpenSessionResponse = 0x11,
  Rakp1 = 0x12,
  Rakp2 = 0x13,
  Rakp3 = 0x14,
  Rakp4 = 0x15,
}

/** An IPMI v1.5 wrapper with authentication type none: only used before any session exists. */
export function encodeV15Packet(message: Buffer): Buffer {
  const header = Buffer.alloc(V15_HEADER_LENGTH);
  header[0] = AUTH_TYPE_NONE;
  header[9] = message.length;
  return Buffer.concat([rmcpHeader(RmcpClass.Ipmi), header, message]);
}

export function decodeV15Packet(datagram: Buffer): Decoded<Buffer> {
  const kind = rmcpClassOf(datagram);
  if (!kind.ok) return kind;
  if (kind.value !== RmcpClass.Ipmi) return refuse('not an IPMI message');
  const start = RMCP_HEADER_LENGTH;
  if (datagram.length < start + V15_HEADER_LENGTH) return refuse('IPMI v1.5 header is truncated');
  if (datagram[start] !== AUTH_TYPE_NONE) return refuse('IPMI v1.5 reply uses an authentication type we never asked for');
  const length = datagram[start + 9] ?? 0;
  const body = datagram.subarray(start + V15_HEADER_LENGTH);
  if (body.length !== length) return refuse('IPMI v1.5 message length does not match the datagram');
  return accept(Buffer.from(body));
}

export function isV20Packet(datagram: Buffer): boolean {
  return datagram.length > RMCP_HEADER_LENGTH && datagram[RMCP_HEADER_LENGTH] === AUTH_TYPE_RMCP_PLUS;
}

export interface V20Packet {
  readonly payloadType: PayloadType;
  readonly sessionId: number;
  readonly sequence: number;
  readonly payload: Buffer;
  /** True when the packet carried a valid auth code (and, if it was encrypted, decrypted cleanly). */
  readonly protected: boolean;
}

/**
 * Wraps a payload in an RMCP+ header. With keys, the payload is encrypted with AES-CBC-128 (the caller provides a
 * fresh random IV) and the packet gets the integrity trailer; without keys it goes in the clear (session setup).
 */
export function encodeV20Packet(
  packet: Omit<V20Packet, 'protected'>,
  protection: { readonly keys: SessionKeys; readonly iv: Buffer } | null,
): Buffer {
  const payload = protection ? encryptPayload(protection.keys, packet.payload, protection.iv) : packet.payload;
  const header = Buffer.alloc(V20_HEADER_LENGTH);
  header[0] = AUTH_TYPE_RMCP_PLUS;
  header[1] = (packet.payloadType & 0x3f) | (protection ? 0xc0 : 0x00);
  header.writeUInt32LE(packet.sessionId >>> 0, 2);
  header.writeUInt32LE(packet.sequence >>> 0, 6);
  header.writeUInt16LE(payload.length, 10);
  if (!protection) return Buffer.concat([rmcpHeader(RmcpClass.Ipmi), header, payload]);
  const padCount = (4 - ((V20_HEADER_LENGTH + payload.length + 2) % 4)) % 4;
  const covered = Buffer.concat([header, payload, Buffer.alloc(padCount, 0xff), Buffer.from([padCount, NEXT_HEADER])]);
  return Buffer.concat([rmcpHeader(RmcpClass.Ipmi), covered, integrityCode(protection.keys, covered)]);
}

export interface V20Header {
  readonly payloadType: number;
  readonly encrypted: boolean;
  readonly authenticated: boolean;
  readonly sessionId: number;
  readonly sequence: number;
  readonly payloadLength: number;
}

export function peekV20Header(datagram: Buffer): Decoded<V20Header> {
  const kind = rmcpClassOf(datagram);
  if (!kind.ok) return kind;
  if (kind.value !== RmcpClass.Ipmi) return refuse('not an IPMI message');
  if (!isV20Packet(datagram)) return refuse('not an RMCP+ (IPMI v2.0) packet');
  if (datagram.length < RMCP_HEADER_LENGTH + V20_HEADER_LENGTH) return refuse('RMCP+ header is truncated');
  const typeByte = datagram[RMCP_HEADER_LENGTH + 1] ?? 0;
  const payloadType = typeByte & 0x3f;
  if (payloadType === 0x02) return refuse('OEM explicit payloads are not supported');
  return accept({
    payloadType,
    encrypted: (typeByte & 0x80) !== 0,
    authenticated: (typeByte & 0x40) !== 0,
    sessionId: datagram.readUInt32LE(RMCP_HEADER_LENGTH + 2),
    sequence: datagram.readUInt32LE(RMCP_HEADER_LENGTH + 6),
    payloadLength: datagram.readUInt16LE(RMCP_HEADER_LENGTH + 10),
  });
}

/**
 * Unwraps an RMCP+ packet. With keys, anything without a valid auth code is refused: an attacker who can send UDP
 * must not be able to answer in the BMC's name. Without keys, protected packets are refused as unverifiable.
 */
export function decodeV20Packet(datagram: Buffer, keys: SessionKeys | null): Decoded<V20Packet> {
  const peeked = peekV20Header(datagram);
  if (!peeked.ok) return peeked;
  const header = peeked.value;
  const payloadStart = RMCP_HEADER_LENGTH + V20_HEADER_LENGTH;
  const payloadEnd = payloadStart + header.payloadLength;
  if (payloadEnd > datagram.length) return refuse('RMCP+ payload is longer than the datagram');
  const raw = datagram.subarray(payloadStart, payloadEnd);

  if (!keys) {
    if (header.authenticated || header.encrypted) return refuse('protected packet before session keys exist');
    if (payloadEnd !== datagram.length) return refuse('trailing bytes after an unprotected RMCP+ payload');
    return accept({ ...header, payload: Buffer.from(raw), protected: false });
  }

  if (!header.authenticated) return refuse('unauthenticated packet inside an authenticated session');
  const codeLength = keys.suite.integrityLength;
  const trailerEnd = datagram.length - codeLength;
  if (trailerEnd < payloadEnd + 2) return refuse('integrity trailer is truncated');
  if (datagram[trailerEnd - 1] !== NEXT_HEADER) return refuse('integrity trailer has a wrong next-header byte');
  const padCount = datagram[trailerEnd - 2] ?? 0;
  if (payloadEnd + padCount !== trailerEnd - 2) return refuse('integrity pad length does not match the packet');
  const covered = datagram.subarray(RMCP_HEADER_LENGTH, trailerEnd);
  if (!sameBytes(integrityCode(keys, covered), datagram.subarray(trailerEnd))) return refuse('integrity check failed');
  if (!header.encrypted) return accept({ ...header, payload: Buffer.from(raw), protected: true });
  const plain = decryptPayload(keys, raw);
  if (!plain.ok) return plain;
  return accept({ ...header, payload: Buffer.from(plain.value), protected: true });
}
