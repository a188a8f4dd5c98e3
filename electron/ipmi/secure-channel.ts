import type { SessionKeys } from './codec/cipher';
import { accept, refuse, type Decoded } from './codec/result';
import { decodeV20Packet, encodeV20Packet, type PayloadType, type V20Packet } from './codec/session-wrapper';

/**
 * Remembers which of the BMC's recent sequence numbers were already accepted, so a captured reply cannot be
 * played back. Numbers more than `size` behind the newest are refused as too old.
 */
export class ReplayWindow {
  private newest = 0;
  private seen = 0n;

  constructor(private readonly size = 32) {}

  accept(sequence: number): boolean {
    if (sequence === 0) return false;
    if (sequence > this.newest) {
      const shift = BigInt(Math.min(sequence - this.newest, this.size));
      this.seen = ((this.seen << shift) | 1n) & ((1n << BigInt(this.size)) - 1n);
      this.newest = sequence;
      return true;
    }
    const behind = this.newest - sequence;
    if (behind >= this.size) return false;
    const bit = 1n << BigInt(behind);
    if (this.seen & bit) return false;
    this.seen |= bit;
    return true;
  }
}

/**
 * An established RMCP+ session's packet protection: seals outgoing payloads and opens incoming datagrams,
 * refusing anything not addressed to this session, not authenticated with its key, or replayed.
 * No sockets and no timers: the session feeds it bytes.
 */
export class SecureChannel {
  private outboundSequence = 0;
  private readonly replay = new ReplayWindow();

  constructor(
    readonly keys: SessionKeys,
    /** The BMC's id for this session: what we put in outgoing packets. */
    readonly bmcSessionId: number,
    /** Our id for this session: what the BMC puts in packets to us. */
    readonly consoleSessionId: number,
  ) {}

  seal(payloadType: PayloadType, payload: Buffer, iv: Buffer): Buffer {
    // Sequence numbers start at 1 and never wrap to 0, which the BMC would reject.
    this.outboundSequence = this.outboundSequence >= 0xffffffff ? 1 : this.outboundSequence + 1;
    return encodeV20Packet(
      { payloadType, sessionId: this.bmcSessionId, sequence: this.outboundSequence, payload },
      { keys: this.keys, iv },
    );
  }

  open(datagram: Buffer): Decoded<V20Packet> {
    const packet = decodeV20Packet(datagram, this.keys);
    if (!packet.ok) return packet;
    if (packet.value.sessionId !== this.consoleSessionId) return refuse('packet belongs to another session');
    if (!this.replay.accept(packet.value.sequence)) return refuse('sequence number replayed or too old');
    return accept(packet.value);
  }
}
