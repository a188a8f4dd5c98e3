import { accept, refuse, type Decoded } from './result';

/** RMCP (ASF 2.0 §3.2.2): every IPMI-over-LAN datagram starts with this 4-byte header. */
export const RMCP_VERSION = 0x06;
export const RMCP_NO_ACK_SEQUENCE = 0xff;
export const RMCP_HEADER_LENGTH = 4;

export const enum RmcpClass {
  Asf = 0x06,
  Ipmi = 0x07,
}

const ASF_IANA = 4542;
const ASF_PRESENCE_PING = 0x80;
const ASF_PRESENCE_PONG = 0x40;

export function rmcpHeader(messageClass: RmcpClass): Buffer {
  return Buffer.from([RMCP_VERSION, 0x00, RMCP_NO_ACK_SEQUENCE, messageClass]);
}

/** Returns the RMCP class of a datagram, or a refusal when it is not RMCP at all. */
export function rmcpClassOf(datagram: Buffer): Decoded<RmcpClass> {
  if (datagram.length < RMCP_HEADER_LENGTH) return refuse('shorter than an RMCP header');
  if (datagram[0] !== RMCP_VERSION) return refuse(`RMCP version ${datagram[0]} is not 6`);
  const messageClass = (datagram[3] ?? 0) & 0x1f;
  if (messageClass === RmcpClass.Asf) return accept(RmcpClass.Asf);
  if (messageClass === RmcpClass.Ipmi) return accept(RmcpClass.Ipmi);
  return refuse(`RMCP class ${messageClass} is neither ASF nor IPMI`);
}

/** ASF Presence Ping: the cheapest "is there a BMC here?" question; no credentials involved. */
export function encodePresencePing(messageTag: number): Buffer {
  const asf = Buffer.alloc(8);
  asf.writeUInt32BE(ASF_IANA, 0);
  asf[4] = ASF_PRESENCE_PING;
  asf[5] = messageTag & 0xff;
  return Buffer.concat([rmcpHeader(RmcpClass.Asf), asf]);
}

export interface PresencePong {
  readonly messageTag: number;
  /** Supported Entities bit 7: the device speaks IPMI. */
  readonly ipmiSupported: boolean;
  /** Supported Entities low nibble: ASF version 1.0 is reported as 1. */
  readonly asfVersion: number;
}

export function decodePresencePong(datagram: Buffer): Decoded<PresencePong> {
  const kind = rmcpClassOf(datagram);
  if (!kind.ok) return kind;
  if (kind.value !== RmcpClass.Asf) return refuse('not an ASF message');
  if (datagram.length < RMCP_HEADER_LENGTH + 8 + 16) return refuse('presence pong is truncated');
  if (datagram.readUInt32BE(4) !== ASF_IANA) return refuse('ASF message with a foreign IANA number');
  if (datagram[8] !== ASF_PRESENCE_PONG) return refuse('ASF message is not a presence pong');
  const entities = datagram[RMCP_HEADER_LENGTH + 8 + 8] ?? 0;
  return accept({ messageTag: datagram[9] ?? 0, ipmiSupported: (entities & 0x80) !== 0, asfVersion: entities & 0x0f });
}
