// The sending side of one read transfer as a pure state machine: events in ("ACK n", "timeout"), steps out.
// Blocks are numbered absolutely from 1 here; only the wire carries them modulo 2^16 (rollover to 0, as
// tftpd-hpa and iPXE expect), so files larger than 65535 blocks work.

export type TransferStep =
  | { kind: 'send-oack' }
  /** Send DATA for absolute blocks `from`..`to` inclusive, in order. */
  | { kind: 'send-blocks'; from: number; to: number }
  | { kind: 'ignore' }
  | { kind: 'done' }
  | { kind: 'failed'; reason: 'timeout' | 'peer-error'; message: string };

export interface TransferPlan {
  size: number;
  blksize: number;
  windowsize: number;
  /** Whether the transfer opens with an OACK (and waits for ACK 0) instead of DATA 1. */
  oack: boolean;
  /** Consecutive timeouts without progress before giving up. */
  maxRetries: number;
}

export class ReadTransfer {
  readonly totalBlocks: number;
  private phase: 'new' | 'oack' | 'data' | 'finished' = 'new';
  private acked = 0;
  private sent = 0;
  private retries = 0;
  /** The ACK value that already caused an early resend; a second copy of it is a duplicate storm and is ignored. */
  private rewoundAt = -1;

  constructor(readonly plan: TransferPlan) {
    // The last block is always shorter than blksize: zero bytes long when the size divides evenly.
    this.totalBlocks = Math.floor(plan.size / plan.blksize) + 1;
  }

  /** Bytes the client has confirmed. */
  get bytesAcked(): number {
    return Math.min(this.acked * this.plan.blksize, this.plan.size);
  }

  /** Byte range of an absolute block within the file. */
  blockRange(block: number): { offset: number; length: number } {
    const offset = (block - 1) * this.plan.blksize;
    return { offset, length: Math.max(0, Math.min(this.plan.blksize, this.plan.size - offset)) };
  }

  start(): TransferStep {
    if (this.phase !== 'new') return { kind: 'ignore' };
    if (this.plan.oack) {
      this.phase = 'oack';
      return { kind: 'send-oack' };
    }
    this.phase = 'data';
    return this.sendFrom(1);
  }

  ack(wireBlock: number): TransferStep {
    if (this.phase === 'oack') {
      if (wireBlock !== 0) return { kind: 'ignore' };
      this.phase = 'data';
      this.retries = 0;
      return this.sendFrom(1);
    }
    if (this.phase !== 'data') return { kind: 'ignore' };
    const block = this.acked + ((wireBlock - this.acked) & 0xffff);
    if (block > this.sent) return { kind: 'ignore' };
    if (block === this.totalBlocks) {
      this.acked = block;
      this.phase = 'finished';
      return { kind: 'done' };
    }
    if (block > this.acked) {
      this.acked = block;
      this.retries = 0;
      // An ACK below the last block sent means the client saw a gap (RFC 7440): resume right after it.
      return this.sendFrom(block + 1);
    }
    // A repeated ACK. With windowsize 1 it never triggers a resend (RFC 1123, Sorcerer's Apprentice): only the
    // timeout does. With a window, one repeat may mean the window's first block was lost, so it earns exactly one
    // early resend; further copies are ignored so a storm cannot multiply traffic.
    if (this.plan.windowsize > 1 && this.rewoundAt !== block) {
      this.rewoundAt = block;
      return this.sendFrom(block + 1);
    }
    return { kind: 'ignore' };
  }

  timeout(): TransferStep {
    if (this.phase !== 'oack' && this.phase !== 'data') return { kind: 'ignore' };
    this.retries += 1;
    if (this.retries > this.plan.maxRetries) {
      this.phase = 'finished';
      return { kind: 'failed', reason: 'timeout', message: `no acknowledgement after ${this.plan.maxRetries} retries` };
    }
    if (this.phase === 'oack') return { kind: 'send-oack' };
    return this.sendFrom(this.acked + 1);
  }

  peerError(code: number, message: string): TransferStep {
    if (this.phase === 'finished') return { kind: 'ignore' };
    this.phase = 'finished';
    return { kind: 'failed', reason: 'peer-error', message: `client sent error ${code}: ${message}` };
  }

  /** The client went away or the server is shutting down; nothing more is sent. */
  abort(): void {
    this.phase = 'finished';
  }

  get finished(): boolean {
    return this.phase === 'finished';
  }

  private sendFrom(from: number): TransferStep {
    const to = Math.min(this.acked + this.plan.windowsize, this.totalBlocks);
    this.sent = to;
    return { kind: 'send-blocks', from, to };
  }
}
