// One read transfer from request to end: opens the file, negotiates the options, picks an engine for the data phase
// and turns what the engine reports into transfer events.
import type dgram from 'node:dgram';
import { randomUUID } from 'node:crypto';
import type { TftpTransferEvent, TransferPhase } from '../../../shared/pxe-transfer';
import { FileBlockSource, memoryBlockSource } from './block-source';
import { buildOack, ErrorCode, type RequestPacket } from './codec';
import type { EngineHooks, EngineSetup, TransferEngine } from './engine';
import { JavaScriptEngine } from './javascript-engine';
import { NativeEngine } from './native-engine';
import type { TftpPumpAddon } from './native-pump';
import { negotiate, type NegotiationLimits } from './negotiate';
import type { OpenedContent, OpenedFile } from './requested-file';

/** What a transfer needs from its server, so the transfer cannot reach into the server's state. */
export interface TransferContext {
  address: string;
  limits: NegotiationLimits;
  maxRetries: number;
  progressIntervalMs: number;
  /** Sends octet files when present; otherwise every transfer runs in JavaScript. */
  pump: TftpPumpAddon | null;
  open(request: RequestPacket): Promise<OpenedFile>;
  /** Answers the request from the listening socket (before the transfer has a socket of its own). */
  replyError(code: ErrorCode, message: string): void;
  emit(event: TftpTransferEvent): void;
  finished(): void;
}

/** One read transfer: opens the file, negotiates, picks an engine and turns what it reports into events. */
export class ActiveTransfer {
  private readonly id = randomUUID();
  private engine: TransferEngine | null = null;
  private size = 0;
  private blksize = 512;
  private windowsize = 1;
  private bytesAcked = 0;
  private finished = false;
  private markClosed: () => void = () => undefined;
  /** Resolves when the transfer has ended and holds no socket or file any more. */
  readonly closed = new Promise<void>((resolve) => {
    this.markClosed = resolve;
  });

  constructor(
    private readonly context: TransferContext,
    private readonly request: RequestPacket,
    private readonly peer: dgram.RemoteInfo,
  ) {}

  async run(): Promise<void> {
    const opened = await this.context.open(this.request);
    if (this.finished) {
      if (opened.ok && opened.content.kind === 'file') await opened.content.handle.close().catch(() => undefined);
      return;
    }
    if (!opened.ok) {
      this.context.replyError(opened.code, opened.message);
      this.emit('refused', opened.message);
      this.context.finished();
      this.markClosed();
      return;
    }
    this.size = opened.size;
    const negotiated = negotiate(this.request.options, opened.size, this.context.limits);
    this.blksize = negotiated.blksize;
    this.windowsize = negotiated.windowsize;
    const setup: EngineSetup = {
      address: this.context.address,
      peer: this.peer,
      size: opened.size,
      negotiated,
      oack: negotiated.oack ? buildOack(negotiated.oack) : null,
      maxRetries: this.context.maxRetries,
      progressIntervalMs: this.context.progressIntervalMs,
    };
    const hooks: EngineHooks = {
      progress: (bytesAcked) => {
        this.bytesAcked = bytesAcked;
        this.emit('progress');
      },
      finish: (phase, bytesAcked, error) => {
        this.bytesAcked = bytesAcked;
        this.finish(phase, error);
      },
    };
    let engine: TransferEngine;
    try {
      engine = await this.openEngine(setup, opened.content, hooks);
    } catch (error) {
      this.context.replyError(ErrorCode.NOT_DEFINED, 'Server cannot open a transfer socket');
      this.finish('failed', `cannot open a transfer socket: ${(error as Error).message}`);
      return;
    }
    if (this.finished) {
      engine.stop('the transfer was stopped before it began');
      return;
    }
    this.engine = engine;
    this.emit('started');
    engine.begin();
  }

  stop(reason: string): void {
    if (this.finished) return;
    if (this.engine) this.engine.stop(reason);
    else this.finish('failed', reason);
  }

  /** The native pump for files on disk when the addon is there; JavaScript otherwise. Releases `content` on failure. */
  private async openEngine(setup: EngineSetup, content: OpenedContent, hooks: EngineHooks): Promise<TransferEngine> {
    const pump = this.context.pump;
    if (content.kind === 'file' && pump !== null) {
      try {
        return new NativeEngine(pump, setup, content.handle.fd, hooks);
      } finally {
        // The pump reads through its own duplicate of the descriptor.
        void content.handle.close().catch(() => undefined);
      }
    }
    const source = content.kind === 'file' ? FileBlockSource.fromHandle(content.handle, setup.size) : memoryBlockSource(content.bytes);
    return JavaScriptEngine.open(setup, source, hooks);
  }

  private finish(phase: 'done' | 'failed', error?: string): void {
    if (this.finished) return;
    this.finished = true;
    this.context.finished();
    this.emit(phase, error);
    void (this.engine?.released ?? Promise.resolve()).then(this.markClosed);
  }

  private emit(phase: TransferPhase, error?: string): void {
    this.context.emit({
      kind: 'tftp-transfer',
      id: this.id,
      phase,
      client: { address: this.peer.address, port: this.peer.port },
      file: this.request.filename,
      bytes: phase === 'done' ? this.size : this.bytesAcked,
      total: this.size,
      blksize: this.blksize,
      windowsize: this.windowsize,
      at: Date.now(),
      ...(error === undefined ? {} : { error }),
    });
  }
}
