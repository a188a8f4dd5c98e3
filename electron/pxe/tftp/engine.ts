// What a transfer and its data-phase engine say to each other. Two engines implement it: the native pump
// (native-engine.ts) and JavaScript (javascript-engine.ts); active-transfer.ts picks one per transfer.
import type dgram from 'node:dgram';
import type { Negotiated } from './negotiate';

/** How an engine reports back to its transfer. */
export interface EngineHooks {
  progress(bytesAcked: number): void;
  /** The transfer is over; the engine has closed (or is closing) its socket and file and sends nothing more. */
  finish(phase: 'done' | 'failed', bytesAcked: number, error?: string): void;
}

/** What both engines are given: the negotiated transfer and where to send it. */
export interface EngineSetup {
  address: string;
  peer: dgram.RemoteInfo;
  size: number;
  negotiated: Negotiated;
  /** The OACK to open with, or null to start with DATA 1. */
  oack: Buffer | null;
  maxRetries: number;
  progressIntervalMs: number;
}

/** Sends the DATA of one transfer, from its own socket (the server's TID). */
export interface TransferEngine {
  /** Sends the first packet; the transfer has been announced as started. */
  begin(): void;
  /** Ends the transfer without sending more; `finish('failed', …, reason)` follows, at once or from the pump thread. */
  stop(reason: string): void;
  /** Resolves once the transfer's socket and file are closed. */
  readonly released: Promise<void>;
}
