// The data phase in JavaScript, for netascii and where the tftp_pump addon is missing: the pure `ReadTransfer`
// decides, a dgram socket of the transfer's own (the server's TID) and a timer carry it out.
import dgram from 'node:dgram';
import type { BlockSource } from './block-source';
import { buildError, ErrorCode, parsePacket, writeDataHeader } from './codec';
import type { EngineHooks, EngineSetup, TransferEngine } from './engine';
import { ReadTransfer, type TransferStep } from './transfer';

/** The data phase in JavaScript: `ReadTransfer` decides, a dgram socket and a timer carry it out. */
export class JavaScriptEngine implements TransferEngine {
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
