// The TFTP service: a listening socket for requests on the provisioning address, one socket per transfer on an
// ephemeral port (RFC 1350 TIDs), timers, file reads and events. Protocol decisions live in the pure modules.
import dgram from 'node:dgram';
import { randomUUID } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { TftpTransferEvent, TransferPhase } from '../../../shared/pxe-transfer';
import { Listeners } from '../listeners';
import { resolveInRoot, type JailRefusal } from '../path-jail';
import { openUdpSocket, type PrivilegedUdpSource } from '../udp-bind';
import { FileBlockSource, memoryBlockSource, type BlockSource } from './block-source';
import { buildError, buildOack, ErrorCode, parsePacket, writeDataHeader, type RequestPacket } from './codec';
import { toNetascii } from './netascii';
import { DEFAULT_LIMITS, negotiate, type NegotiationLimits } from './negotiate';
import { ReadTransfer, type TransferStep } from './transfer';

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
}

type OpenedFile = { ok: true; size: number; source: BlockSource } | { ok: false; code: ErrorCode; message: string };

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

  constructor(private readonly options: TftpServerOptions) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
  }

  onTransfer(listener: (event: TftpTransferEvent) => void): () => void {
    return this.listeners.add(listener);
  }

  get activeTransfers(): number {
    return this.active.size;
  }

  /** Opens the request socket; rejects with a ServiceBindError that says what to do (privileges, port in use). */
  async listen(): Promise<{ address: string; port: number }> {
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
    for (const transfer of [...this.active.values()]) transfer.stop('the TFTP service was stopped');
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
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
        return { ok: true, size: converted.length, source: memoryBlockSource(converted) };
      }
      return { ok: true, size, source: await FileBlockSource.open(path, size) };
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
  open(request: RequestPacket): Promise<OpenedFile>;
  /** Answers the request from the listening socket (before the transfer has a socket of its own). */
  replyError(code: ErrorCode, message: string): void;
  emit(event: TftpTransferEvent): void;
  finished(): void;
}

/** One read transfer: its own socket (the server's TID), its timer and the state machine that drives them. */
class ActiveTransfer {
  private readonly id = randomUUID();
  private socket: dgram.Socket | null = null;
  private timer: NodeJS.Timeout | null = null;
  private machine: ReadTransfer | null = null;
  private source: BlockSource | null = null;
  private oack: Buffer | null = null;
  private size = 0;
  private blksize = 512;
  private windowsize = 1;
  /** Blocks still to send for the latest step; a newer step replaces the range. */
  private nextBlock = 1;
  private lastBlock = 0;
  private waitingForRead = false;
  /** The most recently built DATA packet, kept for a resend or for the block the next ACK asks for. */
  private prepared: { block: number; packet: Buffer } | null = null;
  private lastProgressAt = 0;
  private stopped = false;

  constructor(
    private readonly context: TransferContext,
    private readonly request: RequestPacket,
    private readonly peer: dgram.RemoteInfo,
  ) {}

  async run(): Promise<void> {
    const opened = await this.context.open(this.request);
    if (this.stopped) {
      if (opened.ok) await opened.source.close().catch(() => undefined);
      return;
    }
    if (!opened.ok) {
      this.context.replyError(opened.code, opened.message);
      this.emit('refused', opened.message);
      this.context.finished();
      return;
    }
    this.source = opened.source;
    this.size = opened.size;
    const negotiated = negotiate(this.request.options, opened.size, this.context.limits);
    this.blksize = negotiated.blksize;
    this.windowsize = negotiated.windowsize;
    this.oack = negotiated.oack ? buildOack(negotiated.oack) : null;
    this.machine = new ReadTransfer({
      size: opened.size,
      blksize: negotiated.blksize,
      windowsize: negotiated.windowsize,
      oack: this.oack !== null,
      maxRetries: this.context.maxRetries,
    });
    try {
      this.socket = await this.openSocket(this.context.address);
    } catch (error) {
      this.context.replyError(ErrorCode.NOT_DEFINED, 'Server cannot open a transfer socket');
      this.finish('failed', `cannot open a transfer socket: ${(error as Error).message}`);
      return;
    }
    if (this.stopped) {
      this.socket.close();
      return;
    }
    this.timer = setTimeout(() => this.apply(this.machine?.timeout() ?? { kind: 'ignore' }), negotiated.timeoutMs);
    this.emit('started');
    this.apply(this.machine.start());
  }

  stop(reason: string): void {
    if (this.stopped) return;
    this.machine?.abort();
    this.finish('failed', reason);
  }

  private openSocket(address: string): Promise<dgram.Socket> {
    return new Promise((resolve, reject) => {
      const socket = dgram.createSocket({ type: 'udp4' });
      const fail = (error: Error): void => {
        socket.close();
        reject(error);
      };
      socket.once('error', fail);
      socket.bind({ address, port: 0 }, () => {
        socket.connect(this.peer.port, this.peer.address, () => {
          socket.removeListener('error', fail);
          socket.on('error', (error) => this.stop(`network error: ${error.message}`));
          socket.on('message', (message) => this.onPacket(message));
          resolve(socket);
        });
      });
    });
  }

  private onPacket(message: Buffer): void {
    const machine = this.machine;
    if (!machine) return;
    const packet = parsePacket(message);
    // Anything but an ACK or an ERROR from our client is ignored: a stray packet must not end a good transfer.
    if (packet.type === 'ack') this.apply(machine.ack(packet.block));
    else if (packet.type === 'error') this.apply(machine.peerError(packet.code, packet.message));
  }

  private apply(step: TransferStep): void {
    switch (step.kind) {
      case 'ignore':
        return;
      case 'send-oack':
        this.timer?.refresh();
        if (this.oack) this.socket?.send(this.oack);
        return;
      case 'send-blocks':
        this.timer?.refresh();
        this.nextBlock = step.from;
        this.lastBlock = step.to;
        this.pump();
        this.maybeProgress();
        return;
      case 'done':
        this.finish('done');
        return;
      case 'failed':
        if (step.reason === 'timeout') this.socket?.send(buildError(ErrorCode.NOT_DEFINED, 'Transfer timed out'));
        this.finish('failed', step.message);
        return;
    }
  }

  /** Sends the pending range; pauses while the next bytes are read from disk and resumes after. */
  private pump(): void {
    const socket = this.socket;
    if (!socket || this.waitingForRead) return;
    while (this.nextBlock <= this.lastBlock && !this.stopped) {
      const packet = this.packetFor(this.nextBlock);
      if (packet === null) return;
      socket.send(packet);
      this.nextBlock += 1;
    }
    // Lock-step waits a round trip per block: build the next DATA now, while idle, so the ACK only has to send it.
    if (!this.stopped && this.machine && this.lastBlock < this.machine.totalBlocks) this.packetFor(this.lastBlock + 1);
  }

  /** The DATA packet for a block, or null while its bytes are being read (pump resumes after the read). */
  private packetFor(block: number): Buffer | null {
    if (this.prepared?.block === block) return this.prepared.packet;
    const machine = this.machine;
    const source = this.source;
    if (!machine || !source) return null;
    const { offset, length } = machine.blockRange(block);
    const packet = Buffer.allocUnsafe(4 + length);
    if (!source.copyTo(packet, 4, offset, length)) {
      this.waitingForRead = true;
      source.load(offset, length).then(
        () => {
          this.waitingForRead = false;
          if (!this.stopped) this.pump();
        },
        (error: unknown) => {
          if (this.stopped) return;
          this.socket?.send(buildError(ErrorCode.NOT_DEFINED, 'Server could not read the file'));
          this.finish('failed', `reading the file failed: ${(error as Error).message}`);
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
    if (now - this.lastProgressAt < this.context.progressIntervalMs) return;
    this.lastProgressAt = now;
    this.emit('progress');
  }

  private finish(phase: 'done' | 'failed', error?: string): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.socket?.close();
    void this.source?.close().catch(() => undefined);
    this.context.finished();
    this.emit(phase, error);
  }

  private emit(phase: TransferPhase, error?: string): void {
    this.context.emit({
      kind: 'tftp-transfer',
      id: this.id,
      phase,
      client: { address: this.peer.address, port: this.peer.port },
      file: this.request.filename,
      bytes: phase === 'done' ? this.size : (this.machine?.bytesAcked ?? 0),
      total: this.size,
      blksize: this.blksize,
      windowsize: this.windowsize,
      at: Date.now(),
      ...(error === undefined ? {} : { error }),
    });
  }
}
