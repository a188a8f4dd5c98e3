import { Duplex } from 'node:stream';
import { activateSolRequest, deactivateSolRequest, decodeSolActivation, SOL_ACTIVATION_ERRORS } from './codec/payload-commands';
import { PayloadType } from './codec/session-wrapper';
import { decodeSolPacket, encodeSolPacket, SOL_STATUS_DEACTIVATING, SOL_STATUS_NACK, type SolPacket } from './codec/sol-packet';
import { BmcUnreachableError, IpmiCommandError, IpmiProtocolError } from './errors';
import type { IpmiSession } from './session';

export interface SolOptions {
  /** SOL payload instance; ipmi_sim's history buffer is instance 2. */
  readonly instance?: number;
  /** Resend an unacknowledged packet after this long. */
  readonly retransmitMs?: number;
  /** Resends of one packet before the console counts the BMC as gone. */
  readonly retries?: number;
}

interface Outgoing {
  bytes: Buffer;
  readonly done: (error?: Error | null) => void;
}

/**
 * A Serial-over-LAN console as a Node Duplex: what the server's serial port prints comes out as data, what is
 * written goes to the serial port. Every BMC packet is acknowledged; our packets are resent until the BMC
 * acknowledges them, and a partial acceptance sends the rest again. One packet in flight keeps BMCs with
 * tiny buffers happy; serial lines are slow anyway.
 */
export class SolConsole extends Duplex {
  private readonly queue: Outgoing[] = [];
  private inFlight: { packet: SolPacket; tries: number; timer: NodeJS.Timeout | null } | null = null;
  private nextSequence = 1;
  private lastInboundSequence = 0;
  private readonly unsubscribe: Array<() => void> = [];
  private active = true;

  private constructor(
    private readonly session: IpmiSession,
    private readonly instance: number,
    private readonly maxChunk: number,
    private readonly retransmitMs: number,
    private readonly retries: number,
  ) {
    super();
    this.unsubscribe.push(session.onSolPayload((payload) => this.receive(payload)));
    this.unsubscribe.push(
      session.on((event) => {
        if (event.type === 'session-lost' || event.type === 'closed') {
          this.destroy(new IpmiProtocolError(session.bmc, 'the BMC ended the session under the SOL console; open the console again'));
        }
      }),
    );
  }

  /** Activates the SOL payload on the session (logging in first if needed) and returns the open console. */
  static async open(session: IpmiSession, options: SolOptions = {}): Promise<SolConsole> {
    const instance = options.instance ?? 1;
    const response = await session.request(activateSolRequest(instance), 'Activate Payload (SOL)');
    if (response.completionCode !== 0) {
      const reason = SOL_ACTIVATION_ERRORS[response.completionCode];
      if (reason) throw new IpmiCommandError(session.bmc, 'Activate Payload (SOL)', response.completionCode, `${reason}; close it there or enable SOL in the BMC, then retry`);
      throw session.commandError('Activate Payload (SOL)', response.completionCode);
    }
    const activation = decodeSolActivation(response.data);
    if (!activation.ok) throw new IpmiProtocolError(session.bmc, activation.reason);
    const maxChunk = Math.max(1, Math.min(activation.value.inboundPayloadSize > 4 ? activation.value.inboundPayloadSize - 4 : 200, 255));
    return new SolConsole(session, instance, maxChunk, options.retransmitMs ?? 500, options.retries ?? 6);
  }

  override _read(): void {
    // Data is pushed as the BMC sends it; serial consoles have no way to pause the far end.
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.queue.push({ bytes: Buffer.from(chunk), done });
    this.pump();
  }

  override _final(done: (error?: Error | null) => void): void {
    this.deactivate().then(() => done(), done);
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.stopRetransmit();
    for (const pending of this.queue.splice(0)) pending.done(error ?? new Error('SOL console closed'));
    const wasActive = this.active;
    this.detach();
    if (!wasActive) return done(error);
    this.session.request(deactivateSolRequest(this.instance), 'Deactivate Payload (SOL)').then(
      () => done(error),
      () => done(error),
    );
  }

  /** Ends the console on the BMC and closes the stream. */
  async deactivate(): Promise<void> {
    if (!this.active) return;
    this.detach();
    await this.session.request(deactivateSolRequest(this.instance), 'Deactivate Payload (SOL)').catch(() => undefined);
    this.push(null);
  }

  private detach(): void {
    this.active = false;
    for (const unsubscribe of this.unsubscribe.splice(0)) unsubscribe();
  }

  private send(packet: SolPacket): void {
    this.session.sendPayload(PayloadType.Sol, encodeSolPacket(packet)).catch((error: unknown) => this.destroy(error as Error));
  }

  private pump(): void {
    if (this.inFlight || !this.active) return;
    const head = this.queue[0];
    if (!head) return;
    const packet: SolPacket = { sequence: this.nextSequence, ackSequence: 0, acceptedCount: 0, control: 0, data: head.bytes.subarray(0, this.maxChunk) };
    this.nextSequence = (this.nextSequence % 15) + 1;
    this.inFlight = { packet, tries: 0, timer: null };
    this.transmit();
  }

  private transmit(): void {
    const flight = this.inFlight;
    if (!flight) return;
    if (flight.tries > this.retries) {
      this.destroy(new BmcUnreachableError(this.session.bmc, this.session.port, flight.tries));
      return;
    }
    flight.tries += 1;
    this.send(flight.packet);
    flight.timer = setTimeout(() => this.transmit(), this.retransmitMs);
  }

  private stopRetransmit(): void {
    if (this.inFlight?.timer) clearTimeout(this.inFlight.timer);
    this.inFlight = null;
  }

  private receive(payload: Buffer): void {
    const decoded = decodeSolPacket(payload);
    if (!decoded.ok) return;
    const packet = decoded.value;
    if (packet.ackSequence !== 0 && this.inFlight && packet.ackSequence === this.inFlight.packet.sequence) this.acknowledged(packet);
    if (packet.sequence !== 0) {
      if (packet.sequence !== this.lastInboundSequence && packet.data.length > 0) this.push(packet.data);
      this.lastInboundSequence = packet.sequence;
      this.send({ sequence: 0, ackSequence: packet.sequence, acceptedCount: packet.data.length, control: 0, data: Buffer.alloc(0) });
    }
    if (packet.control & SOL_STATUS_DEACTIVATING) {
      this.detach();
      this.push(null);
    }
  }

  private acknowledged(ack: SolPacket): void {
    const flight = this.inFlight;
    const head = this.queue[0];
    if (!flight || !head) return;
    // A NACK, or nothing accepted, means "not now": keep the packet and let the retransmit timer offer it again.
    if (ack.control & SOL_STATUS_NACK || ack.acceptedCount === 0) return;
    this.stopRetransmit();
    const accepted = Math.min(ack.acceptedCount, flight.packet.data.length);
    head.bytes = head.bytes.subarray(accepted);
    if (head.bytes.length === 0) {
      this.queue.shift();
      head.done();
    }
    this.pump();
  }
}
