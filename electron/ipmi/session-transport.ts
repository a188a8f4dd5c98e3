// The session's transport: every exchange with one BMC over a DatagramChannel (transport.ts) — request sequence
// numbers, retransmission with doubling waits until an answer is recognised, and sorting what arrives into IPMI
// responses and SOL payloads of the session in use, or answers to a handshake step. It knows no login rules and no
// commands: login.ts and session.ts decide what to send.
import { randomBytes } from 'node:crypto';
import { decodeResponseMessage, encodeRequestMessage, type IpmiRequest, type IpmiResponse } from './codec/message';
import { decodePreSessionResponse, encodePreSessionRequest, type PreSessionWrapper } from './codec/pre-session';
import { decodeV20Packet, encodeV20Packet, isV20Packet, PayloadType, peekV20Header } from './codec/session-wrapper';
import { BmcUnreachableError, IpmiProtocolError } from './errors';
import type { SecureChannel } from './secure-channel';
import type { DatagramChannel } from './transport';

export interface SessionTransportOptions {
  /** How errors name the BMC. */
  readonly bmc: string;
  readonly address: string;
  readonly port: number;
  /** Wait this long for the first answer; every retry waits twice as long as the one before. */
  readonly initialTimeoutMs: number;
  /** Retransmissions after the first try before the BMC counts as unreachable, unless an exchange says otherwise. */
  readonly retries: number;
  readonly openChannel: (address: string, port: number) => Promise<DatagramChannel>;
  /** A request went unanswered and is sent again. */
  readonly onRetry: (what: string, attempt: number) => void;
}

interface PendingRequest {
  readonly netFn: number;
  readonly command: number;
  readonly resolve: (response: IpmiResponse) => void;
}

export class SessionTransport {
  readonly retries: number;
  private channel: Promise<DatagramChannel> | null = null;
  private secure: SecureChannel | null = null;
  private handshakeListener: ((datagram: Buffer) => void) | null = null;
  private readonly pending = new Map<number, PendingRequest>();
  private readonly solListeners = new Set<(payload: Buffer) => void>();
  private readonly cancels = new Set<(error: Error) => void>();
  private nextRequestSequence = 1;

  constructor(private readonly options: SessionTransportOptions) {
    this.retries = options.retries;
  }

  /** Opens arriving session packets with this channel (the session being set up or in use); null drops them. */
  receiveFor(secure: SecureChannel | null): void {
    this.secure = secure;
  }

  /** The session whose packets arrive: the one in use, or the one being set up once RAKP has succeeded. */
  get receivingFor(): SecureChannel | null {
    return this.secure;
  }

  /** One IPMI command inside a session; resolves with the BMC's answer, whatever its completion code. */
  inSession(secure: SecureChannel, request: IpmiRequest, what: string, retries = this.retries): Promise<IpmiResponse> {
    const sequence = this.allocateRequestSequence();
    const message = encodeRequestMessage(request, sequence);
    return this.transact<IpmiResponse>(
      what,
      () => secure.seal(PayloadType.Ipmi, message, randomBytes(16)),
      (match) => {
        this.pending.set(sequence, { netFn: request.netFn, command: request.command, resolve: match });
        return () => this.pending.delete(sequence);
      },
      retries,
    );
  }

  /** Sends a payload other than an IPMI message (SOL) inside a session, once; delivery is the caller's business. */
  async sendPayload(secure: SecureChannel, type: PayloadType, payload: Buffer): Promise<void> {
    (await this.openChannel()).send(secure.seal(type, payload, randomBytes(16)));
  }

  onSolPayload(listener: (payload: Buffer) => void): () => void {
    this.solListeners.add(listener);
    return () => this.solListeners.delete(listener);
  }

  /** An IPMI command before any session exists (v1.5 wrapper for auth capabilities, v2.0 for cipher suites). */
  preSession(request: IpmiRequest, what: string, wrapper: PreSessionWrapper, retries = this.retries): Promise<IpmiResponse> {
    const sequence = this.allocateRequestSequence();
    const packet = encodePreSessionRequest(request, sequence, wrapper);
    return this.handshake(what, () => packet, (datagram) => {
      const response = decodePreSessionResponse(datagram);
      if (!response.ok || response.value.requestSequence !== sequence || response.value.command !== request.command) return undefined;
      return response.value;
    }, retries);
  }

  /** One session setup message (Open Session, RAKP 1, RAKP 3) and the answer `recognise` accepts, in the clear. */
  setupStep<T>(
    what: string,
    requestType: PayloadType,
    payload: Buffer,
    answerType: PayloadType,
    recognise: (answer: Buffer) => T | undefined,
    retries = this.retries,
  ): Promise<T> {
    const request = encodeV20Packet({ payloadType: requestType, sessionId: 0, sequence: 0, payload }, null);
    return this.handshake(what, () => request, (datagram) => {
      const packet = decodeV20Packet(datagram, null);
      if (!packet.ok || packet.value.payloadType !== answerType) return undefined;
      return recognise(packet.value.payload);
    }, retries);
  }

  /** Ends every exchange still waiting with `error`. */
  cancelAll(error: Error): void {
    for (const cancel of this.cancels) cancel(error);
  }

  /** Releases the socket. */
  async close(): Promise<void> {
    if (this.channel) (await this.channel.catch(() => null))?.close();
  }

  private openChannel(): Promise<DatagramChannel> {
    if (!this.channel) {
      this.channel = this.options.openChannel(this.options.address, this.options.port).then((channel) => {
        channel.onDatagram((datagram) => this.receive(datagram));
        return channel;
      });
    }
    return this.channel;
  }

  private receive(datagram: Buffer): void {
    const secure = this.secure;
    if (secure && isV20Packet(datagram)) {
      const header = peekV20Header(datagram);
      if (header.ok && header.value.authenticated && header.value.sessionId === secure.consoleSessionId) {
        const packet = secure.open(datagram);
        if (!packet.ok) return;
        if (packet.value.payloadType === PayloadType.Ipmi) this.deliverResponse(packet.value.payload);
        else if (packet.value.payloadType === PayloadType.Sol) for (const listener of this.solListeners) listener(packet.value.payload);
        return;
      }
    }
    this.handshakeListener?.(datagram);
  }

  private deliverResponse(message: Buffer): void {
    const response = decodeResponseMessage(message);
    if (!response.ok) return;
    const pending = this.pending.get(response.value.requestSequence);
    if (!pending || pending.netFn !== response.value.netFn || pending.command !== response.value.command) return;
    pending.resolve(response.value);
  }

  private allocateRequestSequence(): number {
    for (let tries = 0; tries < 64; tries += 1) {
      const sequence = this.nextRequestSequence;
      this.nextRequestSequence = (this.nextRequestSequence % 63) + 1;
      if (!this.pending.has(sequence)) return sequence;
    }
    throw new IpmiProtocolError(this.options.bmc, 'more than 63 requests in flight');
  }

  /** A handshake step: one request, one kind of answer, recognised by `recognise` returning a value. */
  private handshake<T>(what: string, build: () => Buffer, recognise: (datagram: Buffer) => T | undefined, retries: number): Promise<T> {
    return this.transact<T>(what, build, (match) => {
      this.handshakeListener = (datagram) => {
        const answer = recognise(datagram);
        if (answer !== undefined) match(answer);
      };
      return () => {
        this.handshakeListener = null;
      };
    }, retries);
  }

  /**
   * Sends `build()` and retransmits it with backoff until `match` recognises an answer. Each retransmission is
   * built afresh, so a session packet gets a new sequence number and IV as the replay rules demand.
   */
  private transact<T>(what: string, build: () => Buffer, subscribe: (match: (answer: T) => void) => () => void, retries: number): Promise<T> {
    return this.openChannel().then(
      (channel) =>
        new Promise<T>((resolve, reject) => {
          let attempt = 0;
          let timer: NodeJS.Timeout | null = null;
          const finish = () => {
            if (timer) clearTimeout(timer);
            unsubscribe();
            this.cancels.delete(cancel);
          };
          const cancel = (error: Error) => {
            finish();
            reject(error);
          };
          const unsubscribe = subscribe((answer) => {
            finish();
            resolve(answer);
          });
          const send = () => {
            channel.send(build());
            timer = setTimeout(onTimeout, this.options.initialTimeoutMs * 2 ** attempt);
          };
          const onTimeout = () => {
            attempt += 1;
            if (attempt > retries) {
              cancel(new BmcUnreachableError(this.options.bmc, this.options.port, attempt));
              return;
            }
            this.options.onRetry(what, attempt);
            send();
          };
          this.cancels.add(cancel);
          send();
        }),
    );
  }
}
