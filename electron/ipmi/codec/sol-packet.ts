import { accept, refuse, type Decoded } from './result';

/** IPMI v2.0 §15.9: the SOL payload carried in RMCP+ packets of payload type 1. */

export interface SolPacket {
  /** 1–15 for packets carrying data; 0 for a pure acknowledgement. */
  readonly sequence: number;
  /** Sequence number being acknowledged, 0 when nothing is. */
  readonly ackSequence: number;
  /** Characters of the acknowledged packet that were accepted. */
  readonly acceptedCount: number;
  /** Operation (console → BMC) or status (BMC → console) bits. */
  readonly control: number;
  readonly data: Buffer;
}

/** BMC → console status bits. */
export const SOL_STATUS_NACK = 0x40;
export const SOL_STATUS_DEACTIVATING = 0x10;

export function encodeSolPacket(packet: SolPacket): Buffer {
  return Buffer.concat([
    Buffer.from([packet.sequence & 0x0f, packet.ackSequence & 0x0f, packet.acceptedCount & 0xff, packet.control & 0xff]),
    packet.data,
  ]);
}

export function decodeSolPacket(payload: Buffer): Decoded<SolPacket> {
  if (payload.length < 4) return refuse('SOL packet is shorter than its 4-byte header');
  return accept({
    sequence: (payload[0] ?? 0) & 0x0f,
    ackSequence: (payload[1] ?? 0) & 0x0f,
    acceptedCount: payload[2] ?? 0,
    control: payload[3] ?? 0,
    data: Buffer.from(payload.subarray(4)),
  });
}
