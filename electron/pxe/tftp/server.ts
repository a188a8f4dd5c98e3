// The TFTP service: a listening socket for requests on the provisioning address, one socket per transfer on an
// ephemeral port (RFC 1350 TIDs), file opening and events. The data phase runs in an engine: the native pump
// (tftp_pump addon, its own thread) for files on disk, or JavaScript (timers, dgram, the pure state machine) for
// netascii and where the addon is missing. Protocol decisions live in the pure modules.
import dgram from 'node:dgram';
import { randomUUID } from 'node:crypto';
import { open, readFile, stat, type FileHandle } from 'node:fs/promises';
import type { TftpTransferEvent, TransferPhase } from '../../../shared/pxe-transfer';
import { Listeners } from '../listeners';
import { resolveInRoot, type JailRefusal } from '../path-jail';
import { openUdpSocket, type PrivilegedUdpSource } from '../udp-bind';
import { FileBlockSource, memoryBlockSource, type BlockSource } from './block-source';
import { buildError, buildOack, ErrorCode, parsePacket, writeDataHeader, type RequestPacket } from './codec';
import { toNetascii } from './netascii';
import { startPump, tftpPumpAddon, type PumpReport, type RunningPump, type TftpPumpAddon } from './native-pump';
import { DEFAULT_LIMITS, negotiate, type Negotiated, type NegotiationLimits } from './negotiate';
import { ReadTransfer, type TransferStep } from './transfer';

/**
 * Who sends the DATA of octet transfers: the tftp_pump addon on a thread of its own, or JavaScript (the fallback
 * where the addon could not be built; netascii, converted in memory, always runs in JavaScript).
 */
export type TftpEngine = 'native' | 'javascript';

export interface TftpServerOptions {
  /** The provisioning address; the service never listens on any other. */
  address: string;
  /** Default 69. */
  port?: number;
  /** Where port 69 comes from when this process may not bind it (the privileged helper). */
  privilegedUdp?: PrivilegedUdpSource | null;
  /** Served folder; names resolve inside it only. */
  root: string;
  /** Names served from outside the root, such as iPXE binaries found by `findBootloaders` (name → absolute path). */
  extraFiles?: ReadonlyMap<string, string>;
  limits?: Partial<NegotiationLimits>;
  /** Timeouts in a row without progress before a transfer is abandoned. Default 5. */
  maxRetries?: number;
  /** Concurrent transfers; further requests get "server busy". Default 256. */
  maxTransfers?: number;
  /** Minimum time between two progress events of one transfer. Default 250 ms. */
  progressIntervalMs?: number;
  /** netascii is converted in memory, so it is limited to small files (default 4 MiB); PXE uses octet. */
  maxNetasciiBytes?: number;
  /** Default: native when the addon loads. Asking for native where it does not load makes `listen` fail. */
  engine?: TftpEngine;
}

/** A file ready to send: still on disk (octet) or converted in memory (netascii). */
type OpenedContent = { kind: 'file'; handle: FileHandle } | { kind: 'memory'; bytes: Buffer };
type OpenedFile = { ok: true; size: number; content: OpenedContent } | { ok: false; code: ErrorCode; message: string };

const REFUSAL_TEXT: Record<JailRefusal, { code: ErrorCode; message: string }> = {
  empty: { code: ErrorCode.FILE_NOT_FOUND, message: 'File not found' },
  'not-found': { code: ErrorCode.FILE_NOT_FOUND, message: 'File not found' },
  'not-a-file': { code: ErrorCode.FILE_NOT_FOUND, message: 'Not a regular file' },
  absolute: { code: ErrorCode.ACCESS_VIOLATION, message: 'Access violation: absolute paths are not served' },
  'parent-segment': { code: ErrorCode.ACCESS_VIOLATION, message: 'Access violation: ".." is not allowed' },
  backslash: { code: ErrorCode.ACCESS_VIOLATION, message: 'Access violation: backslashes are not allowed' },
  'control-character': { code: ErrorCode.ACCESS_VIOLATION, message: 'Access violation: control characters in name' },
  'outside-root': { code: ErrorCode.ACCESS_VIOLATION, message: 'Access violation: path leads outside the TFTP root' },
};

export class TftpServer {
  private readonly listeners = new Listeners<TftpTransferEvent>();
  private readonly active = new Map<string, ActiveTransfer>();
  private socket: dgram.Socket | null = null;
  private readonly limits: NegotiationLimits;
  private readonly pump: TftpPumpAddon | null;
  /** Why octet transfers run in JavaScript, or null when the native pump sends them. */
  readonly engineProblem: string | null;

  constructor(private readonly options: TftpServerOptions) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    if (options.engine === 'javascript') {
      this.pump = null;
      this.engineProblem = null;
    } else {
      const loaded = tftpPumpAddon();
      this.pump = loaded.addon;
      this.engineProblem = loaded.problem === null ? null : `TFTP runs in JavaScript, slower in lock-step: ${loaded.problem}`;
    }
  }

  onTransfer(listener: (event: TftpTransferEvent) => void): () => void {
    return this.listeners.add(listener);
  }

  get activeTransfers(): number {
    return this.active.size;
  }

  /** Opens the request socket; rejects with a ServiceBindError that says what to do (privileges, port in use). */
  async listen(): Promise<{ address: string; port: number }> {
    if (this.options.engine === 'native' && this.engineProblem !== null) throw new Error(this.engineProblem);
    const port = this.options.port ?? 69;
    const request = { port, address: this.options.address, device: null, reuseAddress: false };
    const socket = await openUdpSocket(request, { service: 'TFTP' }, this.options.privilegedUdp ?? null);
    // After binding, a socket error (e.g. an ICMP report for one reply) must not stop the service.
    socket.on('error', () => undefined);
    socket.on('message', (message, peer) => this.onRequest(message, peer));
    this.socket = socket;
    const bound = socket.address();
    return { address: bound.address, port: bound.port };
  }

  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = null;
    const transfers = [...this.active.values()];
    for (const transfer of transfers) transfer.stop('the TFTP service was stopped');
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
    // A native pump answers a stop from its own thread: wait until every transfer has let go of its socket.
    await Promise.all(transfers.map((transfer) => transfer.closed));
  }

  private onRequest(message: Buffer, peer: dgram.RemoteInfo): void {
    const packet = parsePacket(message);
    if (packet.type === 'malformed') {
      // Answer broken requests and unknown opcodes; stray DATA/ACK/ERROR/OACK and runts are dropped so two
      // servers can never bounce errors at each other.
      if (packet.opcode !== null && (packet.opcode < 3 || packet.opcode > 6)) {
        this.replyError(peer, ErrorCode.ILLEGAL_OPERATION, `Illegal TFTP request (${packet.reason})`);
      }
      return;
    }
    if (packet.type === 'wrq') {
      this.replyError(peer, ErrorCode.ACCESS_VIOLATION, 'This TFTP server is read-only');
      return;
    }
    if (packet.type !== 'rrq') return;
    const key = `${peer.address}:${peer.port}`;
    // A client that repeats its request while we answer it already has a transfer: don't start a second one.
    if (this.active.has(key)) return;
    if (this.active.size >= (this.options.maxTransfers ?? 256)) {
      this.replyError(peer, ErrorCode.NOT_DEFINED, 'Server busy, try again later');
      this.emitRefused(packet, peer, 'too many transfers at once; the client will retry');
      return;
    }
    const transfer = new ActiveTransfer(
      {
        address: this.options.address,
        limits: this.limits,
        maxRetries: this.options.maxRetries ?? 5,
        progressIntervalMs: this.options.progressIntervalMs ?? 250,
        pump: this.pump,
        open: (request) => this.openRequested(request),
        replyError: (code, message) => this.replyError(peer, code, message),
        emit: (event) => this.listeners.emit(event),
        finished: () => this.active.delete(key),
      },
      packet,
      peer,
    );
    this.active.set(key, transfer);
    void transfer.run();
  }

  /** Opens what a request names: an extra file by exact name, otherwise a file inside the jailed root. */
  private async openRequested(request: RequestPacket): Promise<OpenedFile> {
    const extra = this.options.extraFiles?.get(request.filename);
    let path: string;
    let size: number;
    if (extra !== undefined) {
      try {
        const info = await stat(extra);
        if (!info.isFile()) return { ok: false, ...REFUSAL_TEXT['not-a-file'] };
        path = extra;
        size = info.size;
      } catch {
        return { ok: false, ...REFUSAL_TEXT['not-found'] };
      }
    } else {
      const resolved = await resolveInRoot(this.options.root, request.filename);
      if (!resolved.ok) return { ok: false, ...REFUSAL_TEXT[resolved.refusal] };
      path = resolved.path;
      size = resolved.size;
    }
    try {
      if (request.mode === 'netascii') {
        const limit = this.options.maxNetasciiBytes ?? 4 * 1024 * 1024;
        if (size > limit) {
          return { ok: false, code: ErrorCode.NOT_DEFINED, message: 'File too large for netascii, use octet mode' };
        }
        const converted = toNetascii(await readFile(path));
        return { ok: true, size: converted.length, content: { kind: 'memory', bytes: converted } };
      }
      return { ok: true, size, content: { kind: 'file', handle: await open(path, 'r') } };
    } catch {
      return { ok: false, code: ErrorCode.ACCESS_VIOLATION, message: 'File cannot be read' };
    }
  }

  private replyError(peer: dgram.RemoteInfo, code: ErrorCode, message: string): void {
    this.socket?.send(buildError(code, message), peer.port, peer.address);
  }

  private emitRefused(request: RequestPacket, peer: dgram.RemoteInfo, error: string): void {
    this.listeners.emit({
      kind: 'tftp-transfer',
      id: randomUUID(),
      phase: 'refused',
      client: { address: peer.address, port: peer.port },
      file: request.filename,
      bytes: 0,
      total: 0,
      blksize: 512,
      windowsize: 1,
      at: Date.now(),
      error,
    });
  }
}

/** What a transfer needs from its server, so the transfer cannot reach into the server's state. */
interface TransferContext {
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

/** How an engine reports back to its transfer. */
interface EngineHooks {
  progress(bytesAcked: number): void;
  /** The transfer is over; the engine has closed (or is closing) its socket and file and sends nothing more. */
  finish(phase: 'done' | 'failed', bytesAcked: number, error?: string): void;
}

/** What both engines are given: the negotiated transfer and where to send it. */
interface EngineSetup {
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
interface TransferEngine {
  /** Sends the first packet; the transfer has been announced as started. */
  begin(): void;
  /** Ends the transfer without sending more; `finish('failed', …, reason)` follows, at once or from the pump thread. */
  stop(reason: string): void;
  /** Resolves once the transfer's socket and file are closed. */
  readonly released: Promise<void>;
}

/** One read transfer: opens the file, negotiates, picks an engine and turns what it reports into events. */
class ActiveTransfer {
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

/** The tftp_pump addon's thread sends the data phase; this only relays its reports. */
class NativeEngine implements TransferEngine {
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

/** The data phase in JavaScript: `ReadTransfer` decides, a dgram socket and a timer carry it out. */
class JavaScriptEngine implements TransferEngine {
  private socket: dgram.Socket | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly machine: ReadTransfer;
  /** Blocks still to send for the latest step; a newer step replaces the range. */
  private nextBlock = 1;
  private lastBlock = 0;
  private waitingForRead = false;
  /** The most recently built DATA packet, kept for a resend or for the block the next ACK asks for. */
  private prepared: { block: number; packet: Buffer } | null = null;
  private lastProgressAt = 0;
  private ended = false;
  private markReleased: () => void = () => undefined;
  readonly released = new Promise<void>((resolve) => {
    this.markReleased = resolve;
  });

  private constructor(
    private readonly setup: EngineSetup,
    private readonly source: BlockSource,
    private readonly hooks: EngineHooks,
  ) {
    this.machine = new ReadTransfer({
      size: setup.size,
      blksize: setup.negotiated.blksize,
      windowsize: setup.negotiated.windowsize,
      oack: setup.oack !== null,
      maxRetries: setup.maxRetries,
    });
  }

  /** Opens the transfer socket; closes `source` when that fails. */
  static async open(setup: EngineSetup, source: BlockSource, hooks: EngineHooks): Promise<JavaScriptEngine> {
    const engine = new JavaScriptEngine(setup, source, hooks);
    try {
      engine.socket = await engine.openSocket();
    } catch (error) {
      await source.close().catch(() => undefined);
      throw error;
    }
    return engine;
  }

  begin(): void {
    this.timer = setTimeout(() => this.apply(this.machine.timeout()), this.setup.negotiated.timeoutMs);
    this.apply(this.machine.start());
  }

  stop(reason: string): void {
    this.machine.abort();
    this.end('failed', reason);
  }

  private openSocket(): Promise<dgram.Socket> {
    const { address, peer } = this.setup;
    return new Promise((resolve, reject) => {
      const socket = dgram.createSocket({ type: 'udp4' });
      const fail = (error: Error): void => {
        socket.close();
        reject(error);
      };
      socket.once('error', fail);
      socket.bind({ address, port: 0 }, () => {
        socket.connect(peer.port, peer.address, () => {
          socket.removeListener('error', fail);
          socket.on('error', (error) => this.stop(`network error: ${error.message}`));
          socket.on('message', (message) => this.onPacket(message));
          resolve(socket);
        });
      });
    });
  }

  private onPacket(message: Buffer): void {
    const packet = parsePacket(message);
    // Anything but an ACK or an ERROR from our client is ignored: a stray packet must not end a good transfer.
    if (packet.type === 'ack') this.apply(this.machine.ack(packet.block));
    else if (packet.type === 'error') this.apply(this.machine.peerError(packet.code, packet.message));
  }

  private apply(step: TransferStep): void {
    switch (step.kind) {
      case 'ignore':
        return;
      case 'send-oack':
        this.timer?.refresh();
        if (this.setup.oack) this.socket?.send(this.setup.oack);
        return;
      case 'send-blocks':
        this.timer?.refresh();
        this.nextBlock = step.from;
        this.lastBlock = step.to;
        this.pump();
        this.maybeProgress();
        return;
      case 'done':
        this.end('done');
        return;
      case 'failed':
        if (step.reason === 'timeout') this.socket?.send(buildError(ErrorCode.NOT_DEFINED, 'Transfer timed out'));
        this.end('failed', step.message);
        return;
    }
  }

  /** Sends the pending range; pauses while the next bytes are read from disk and resumes after. */
  private pump(): void {
    const socket = this.socket;
    if (!socket || this.waitingForRead) return;
    while (this.nextBlock <= this.lastBlock && !this.ended) {
      const packet = this.packetFor(this.nextBlock);
      if (packet === null) return;
      socket.send(packet);
      this.nextBlock += 1;
    }
    // Lock-step waits a round trip per block: build the next DATA now, while idle, so the ACK only has to send it.
    if (!this.ended && this.lastBlock < this.machine.totalBlocks) this.packetFor(this.lastBlock + 1);
  }

  /** The DATA packet for a block, or null while its bytes are being read (pump resumes after the read). */
  private packetFor(block: number): Buffer | null {
    if (this.prepared?.block === block) return this.prepared.packet;
    const { offset, length } = this.machine.blockRange(block);
    const packet = Buffer.allocUnsafe(4 + length);
    if (!this.source.copyTo(packet, 4, offset, length)) {
      this.waitingForRead = true;
      this.source.load(offset, length).then(
        () => {
          this.waitingForRead = false;
          if (!this.ended) this.pump();
        },
        (error: unknown) => {
          if (this.ended) return;
          this.socket?.send(buildError(ErrorCode.NOT_DEFINED, 'Server could not read the file'));
          this.end('failed', `reading the file failed: ${(error as Error).message}`);
        },
      );
      return null;
    }
    writeDataHeader(packet, block);
    this.prepared = { block, packet };
    return packet;
  }

  private maybeProgress(): void {
    const now = Date.now();
    if (now - this.lastProgressAt < this.setup.progressIntervalMs) return;
    this.lastProgressAt = now;
    this.hooks.progress(this.machine.bytesAcked);
  }

  private end(phase: 'done' | 'failed', error?: string): void {
    if (this.ended) return;
    this.ended = true;
    if (this.timer) clearTimeout(this.timer);
    this.socket?.close();
    void this.source.close().catch(() => undefined).then(this.markReleased);
    this.hooks.finish(phase, this.machine.bytesAcked, error);
  }
}
