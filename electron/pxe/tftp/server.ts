// The TFTP service: a listening socket for requests on the provisioning address; each read request becomes an
// ActiveTransfer on a socket of its own (RFC 1350 TIDs), whose data phase runs in an engine: the native pump
// (tftp_pump addon, its own thread) for files on disk, or JavaScript for netascii and where the addon is missing.
// Protocol decisions live in the pure modules (codec, negotiate, transfer).
import type dgram from 'node:dgram';
import { randomUUID } from 'node:crypto';
import type { TftpTransferEvent } from '../../../shared/pxe-transfer';
import { Listeners } from '../listeners';
import { openUdpSocket, type PrivilegedUdpSource } from '../../lib/udp-bind';
import { ActiveTransfer } from './active-transfer';
import { buildError, ErrorCode, parsePacket, type RequestPacket } from './codec';
import { tftpPumpAddon, type TftpPumpAddon } from './native-pump';
import { DEFAULT_LIMITS, type NegotiationLimits } from './negotiate';
import { openRequestedFile, type ServedFiles } from './requested-file';

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

export class TftpServer {
  private readonly listeners = new Listeners<TftpTransferEvent>();
  private readonly active = new Map<string, ActiveTransfer>();
  private socket: dgram.Socket | null = null;
  private readonly limits: NegotiationLimits;
  private readonly served: ServedFiles;
  private readonly pump: TftpPumpAddon | null;
  /** Why octet transfers run in JavaScript, or null when the native pump sends them. */
  readonly engineProblem: string | null;

  constructor(private readonly options: TftpServerOptions) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.served = { root: options.root, extraFiles: options.extraFiles, maxNetasciiBytes: options.maxNetasciiBytes ?? 4 * 1024 * 1024 };
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
        open: (request) => openRequestedFile(this.served, request),
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
