// Typed access to the tftp_pump addon (electron/native/tftp_pump.c): the data phase of one octet read transfer on
// a native thread, so lock-step speed no longer depends on Node's per-datagram path.
import { loadAddon, type AddonLoad } from '../../native/addon';

export interface PumpRequest {
  /** The provisioning address; the transfer socket binds its port 0 there (the server's transfer ID). */
  localAddress: string;
  clientAddress: string;
  clientPort: number;
  /** An open descriptor of the file; the pump keeps a duplicate, so the caller may close its own at once. */
  fileDescriptor: number;
  size: number;
  blksize: number;
  windowsize: number;
  /** The OACK to open with (then DATA waits for ACK 0), or null to open with DATA 1. */
  oack: Buffer | null;
  timeoutMs: number;
  maxRetries: number;
  /** Minimum time between two progress reports. */
  progressIntervalMs: number;
}

export type PumpReport =
  | { kind: 'progress'; bytesAcked: number }
  | { kind: 'done'; bytesAcked: number }
  | { kind: 'failed'; bytesAcked: number; message: string }
  /** After `stop()`: the thread sent nothing more and let go of the socket and the file. */
  | { kind: 'stopped'; bytesAcked: number };

/** What the addon exports; `PumpHandle` is an opaque external owned by the addon. */
export interface TftpPumpAddon {
  startPump(request: PumpRequest, onReport: (kind: number, bytesAcked: number, message: string | undefined) => void): PumpHandle;
  stopPump(handle: PumpHandle): void;
}
declare const pumpHandle: unique symbol;
type PumpHandle = { readonly [pumpHandle]: true };

function isTftpPumpAddon(value: unknown): value is TftpPumpAddon {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<TftpPumpAddon>;
  return typeof candidate.startPump === 'function' && typeof candidate.stopPump === 'function';
}

/** The addon, or why it cannot be used (then TFTP runs in JavaScript). */
export function tftpPumpAddon(): AddonLoad<TftpPumpAddon> {
  return loadAddon('tftp_pump', isTftpPumpAddon);
}

/** The report kinds as the addon numbers them (enum report_kind in tftp_pump.c). */
const REPORT_KINDS = ['progress', 'done', 'failed', 'stopped'] as const;

export interface RunningPump {
  /** Wakes the thread at once; it sends nothing more and reports `stopped` (or `done`/`failed` if it got there first). */
  stop(): void;
}

/**
 * Starts a pump thread for `request`. Throws (with the system's code) when the transfer socket cannot be opened;
 * otherwise every report reaches `onReport` on a later turn of the event loop, the last one being done, failed or
 * stopped — by then the socket and the file are closed.
 */
export function startPump(addon: TftpPumpAddon, request: PumpRequest, onReport: (report: PumpReport) => void): RunningPump {
  const handle = addon.startPump(request, (kind, bytesAcked, message) => {
    const name = REPORT_KINDS[kind];
    if (name === 'failed') onReport({ kind: name, bytesAcked, message: message ?? 'the transfer failed' });
    else if (name !== undefined) onReport({ kind: name, bytesAcked });
  });
  return { stop: () => addon.stopPump(handle) };
}
