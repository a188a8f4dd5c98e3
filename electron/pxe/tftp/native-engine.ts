// The data phase on the tftp_pump addon's thread: this engine starts the pump and relays its reports.
import type { EngineHooks, EngineSetup, TransferEngine } from './engine';
import { startPump, type PumpReport, type RunningPump, type TftpPumpAddon } from './native-pump';

/** The tftp_pump addon's thread sends the data phase; this only relays its reports. */
export class NativeEngine implements TransferEngine {
  private readonly pump: RunningPump;
  private stopReason: string | null = null;
  private markReleased: () => void = () => undefined;
  readonly released = new Promise<void>((resolve) => {
    this.markReleased = resolve;
  });

  /** Starts the pump thread at once; throws when its socket cannot be opened. */
  constructor(addon: TftpPumpAddon, setup: EngineSetup, fileDescriptor: number, private readonly hooks: EngineHooks) {
    this.pump = startPump(
      addon,
      {
        localAddress: setup.address,
        clientAddress: setup.peer.address,
        clientPort: setup.peer.port,
        fileDescriptor,
        size: setup.size,
        blksize: setup.negotiated.blksize,
        windowsize: setup.negotiated.windowsize,
        oack: setup.oack,
        timeoutMs: setup.negotiated.timeoutMs,
        maxRetries: setup.maxRetries,
        progressIntervalMs: setup.progressIntervalMs,
      },
      (report) => this.onReport(report),
    );
  }

  begin(): void {
    // The thread is already sending. Its reports come through the event loop, so none can precede 'started'.
  }

  stop(reason: string): void {
    if (this.stopReason !== null) return;
    this.stopReason = reason;
    this.pump.stop();
  }

  private onReport(report: PumpReport): void {
    // The last report comes after the thread closed the socket and the file.
    if (report.kind !== 'progress') this.markReleased();
    switch (report.kind) {
      case 'progress':
        // Once stopped, the transfer only waits for the thread to let go; as in JavaScript, no progress follows.
        if (this.stopReason === null) this.hooks.progress(report.bytesAcked);
        return;
      case 'done':
        this.hooks.finish('done', report.bytesAcked);
        return;
      case 'failed':
        this.hooks.finish('failed', report.bytesAcked, report.message);
        return;
      case 'stopped':
        this.hooks.finish('failed', report.bytesAcked, this.stopReason ?? 'the transfer was stopped');
        return;
    }
  }
}
