import { randomBytes } from 'node:crypto';
import type { IpmiPrivilege, IpmiTarget } from '../../shared/ipmi';
import {
  decodeChannelAuthCapabilities,
  closeSessionRequest,
  getChannelAuthCapabilitiesRequest,
  getChannelCipherSuitesRequest,
  getDeviceIdRequest,
  setSessionPrivilegeRequest,
  type ChannelAuthCapabilities,
} from './codec/app-commands';
import { CIPHER_SUITES, deriveSessionKeys, keyBytes, sameBytes, type CipherSuite, type SupportedSuiteId } from './codec/cipher';
import {
  decodeResponseMessage,
  encodeRequestMessage,
  COMPLETION_INSUFFICIENT_PRIVILEGE,
  COMPLETION_NODE_BUSY,
  type IpmiRequest,
  type IpmiResponse,
} from './codec/message';
import {
  decodeOpenSessionResponse,
  decodeRakp2,
  decodeRakp4,
  encodeOpenSessionRequest,
  encodeRakp1,
  encodeRakp3,
  rakp3AuthCode,
  rakp4CheckValue,
  sikInput,
  verifyRakp2,
  NAME_ONLY_LOOKUP,
  PrivilegeLevel,
  RakpStatus,
  type OpenSessionResponse,
  type RakpExchange,
} from './codec/rakp';
import { decodeV20Packet, encodeV20Packet, isV20Packet, PayloadType, peekV20Header } from './codec/session-wrapper';
import {
  BmcBusyError,
  BmcUnreachableError,
  CipherSuiteUnsupportedError,
  IpmiCommandError,
  IpmiProtocolError,
  PrivilegeTooLowError,
  UnknownUserError,
  WrongBmcKeyError,
  WrongPasswordError,
} from './errors';
import { decodePreSessionResponse, encodePreSessionRequest, listCipherSuites, type PreSessionWrapper } from './codec/pre-session';
import type { Decoded } from './codec/result';
import { SecureChannel } from './secure-channel';
import { openUdpChannel, type DatagramChannel } from './transport';

export interface SessionOptions {
  /** Wait this long for the first answer; every retry waits twice as long as the one before. */
  readonly initialTimeoutMs?: number;
  /** Retransmissions after the first try before the BMC counts as unreachable. */
  readonly retries?: number;
  /** Requests a BMC has to answer at once; the rest wait their turn (small BMCs drop what they cannot queue). */
  readonly maxInFlight?: number;
  /** Idle time after which a cheap command keeps the session from hitting the BMC's idle timeout (often 60 s). */
  readonly keepAliveMs?: number;
  /** RAKP user lookup: by name only (the common default), or by name and requested privilege. */
  readonly lookup?: 'name-only' | 'name-and-privilege';
  readonly openChannel?: (address: string, port: number) => Promise<DatagramChannel>;
  readonly onEvent?: (event: SessionEvent) => void;
}

export type SessionEvent =
  | { readonly type: 'logged-in'; readonly cipherSuite: SupportedSuiteId }
  | { readonly type: 'retry'; readonly what: string; readonly attempt: number }
  | { readonly type: 'relogin'; readonly what: string }
  | { readonly type: 'keep-alive' }
  | { readonly type: 'session-lost' }
  | { readonly type: 'closed' };

const PRIVILEGE_LEVEL: Readonly<Record<IpmiPrivilege, PrivilegeLevel>> = {
  administrator: PrivilegeLevel.Administrator,
  operator: PrivilegeLevel.Operator,
  user: PrivilegeLevel.User,
};

/** Open Session statuses that mean "not this cipher suite": try the next one. */
const SUITE_REJECTIONS = new Set<number>([
  RakpStatus.InvalidAuthAlgorithm,
  RakpStatus.InvalidIntegrityAlgorithm,
  RakpStatus.NoMatchingAuthPayload,
  RakpStatus.NoMatchingIntegrityPayload,
  RakpStatus.InvalidConfidentialityAlgorithm,
  RakpStatus.NoCipherSuiteMatch,
]);

interface PendingRequest {
  readonly netFn: number;
  readonly command: number;
  readonly resolve: (response: IpmiResponse) => void;
}

class SessionClosedError extends Error {}

/**
 * One RMCP+ session with one BMC: logs in on first use, numbers and protects every packet, retries with backoff,
 * keeps the session alive while idle and logs in again when the BMC forgot it. Commands live in client.ts.
 */
export class IpmiSession {
  readonly bmc: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly maxInFlight: number;
  private readonly keepAliveMs: number;
  private readonly nameOnly: boolean;
  private readonly privilege: PrivilegeLevel;

  private channel: Promise<DatagramChannel> | null = null;
  private secure: SecureChannel | null = null;
  private loggingIn: Promise<SecureChannel> | null = null;
  private handshakeListener: ((datagram: Buffer) => void) | null = null;
  private readonly pending = new Map<number, PendingRequest>();
  private readonly waitingForSlot: Array<() => void> = [];
  private readonly solListeners = new Set<(payload: Buffer) => void>();
  private readonly listeners = new Set<(event: SessionEvent) => void>();
  private readonly cancels = new Set<(error: Error) => void>();
  private inFlight = 0;
  private nextRequestSequence = 1;
  private nextMessageTag = 0;
  private keepAliveTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private lanChannelNumber = 1;
  private activeSuite: SupportedSuiteId | null = null;

  constructor(
    private readonly target: IpmiTarget,
    private readonly options: SessionOptions = {},
  ) {
    this.bmc = target.port === 623 ? target.address : `${target.address}:${target.port}`;
    this.timeoutMs = options.initialTimeoutMs ?? 500;
    this.retries = options.retries ?? 3;
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 4);
    this.keepAliveMs = options.keepAliveMs ?? 20_000;
    this.nameOnly = (options.lookup ?? 'name-only') === 'name-only';
    this.privilege = PRIVILEGE_LEVEL[target.privilege];
  }

  get port(): number {
    return this.target.port;
  }

  /** The LAN channel the BMC answered on (from Get Channel Authentication Capabilities). */
  get lanChannel(): number {
    return this.lanChannelNumber;
  }

  get cipherSuite(): SupportedSuiteId | null {
    return this.activeSuite;
  }

  /** Sends one command inside the session and returns the BMC's answer, whatever its completion code. */
  async request(request: IpmiRequest, what: string): Promise<IpmiResponse> {
    await this.takeSlot();
    try {
      const secure = await this.login();
      try {
        return await this.exchangeInSession(secure, request, what);
      } catch (error) {
        if (!(error instanceof BmcUnreachableError) || this.closed) throw error;
        // The BMC answered a login before, so silence now most likely means it dropped the session.
        if (this.secure === secure) this.loseSession();
        this.emit({ type: 'relogin', what });
        return await this.exchangeInSession(await this.login(), request, what);
      }
    } finally {
      this.releaseSlot();
    }
  }

  /** Sends a command and fails with a technician-readable error unless the BMC completed it. */
  async command(request: IpmiRequest, what: string): Promise<Buffer> {
    const response = await this.request(request, what);
    if (response.completionCode === 0) return response.data;
    throw this.commandError(what, response.completionCode);
  }

  commandError(what: string, completionCode: number): Error {
    if (completionCode === COMPLETION_INSUFFICIENT_PRIVILEGE) {
      return PrivilegeTooLowError.forCommand(this.bmc, this.target.user, this.target.privilege, what);
    }
    if (completionCode === COMPLETION_NODE_BUSY) return new BmcBusyError(this.bmc, `it answered "node busy" to ${what}`);
    return new IpmiCommandError(this.bmc, what, completionCode);
  }

  /** Sends a payload other than an IPMI message (SOL) inside the session; delivery is the caller's business. */
  async sendPayload(type: PayloadType, payload: Buffer): Promise<void> {
    const secure = await this.login();
    (await this.openChannel()).send(secure.seal(type, payload, randomBytes(16)));
  }

  onSolPayload(listener: (payload: Buffer) => void): () => void {
    this.solListeners.add(listener);
    return () => this.solListeners.delete(listener);
  }

  /** Logs in unless a session is already up; concurrent callers share one login. */
  login(): Promise<SecureChannel> {
    if (this.closed) return Promise.reject(new SessionClosedError(`IPMI session to ${this.bmc} is closed`));
    // A session being set up is not handed out before its privilege is raised.
    if (this.secure && !this.loggingIn) return Promise.resolve(this.secure);
    if (!this.loggingIn) {
      this.loggingIn = this.establish().finally(() => {
        this.loggingIn = null;
      });
    }
    return this.loggingIn;
  }

  /** Ends the session on the BMC (one polite Close Session) and releases the socket. */
  async close(): Promise<void> {
    if (this.closed) return;
    const secure = this.secure;
    if (secure) {
      await this.exchangeInSession(secure, closeSessionRequest(secure.bmcSessionId), 'Close Session', 0).catch(() => undefined);
    }
    this.closed = true;
    // Closing on purpose is not a loss: listeners hear 'closed' only.
    this.activeSuite = null;
    this.loseSession();
    for (const cancel of this.cancels) cancel(new SessionClosedError(`IPMI session to ${this.bmc} was closed`));
    for (const wake of this.waitingForSlot.splice(0)) wake();
    if (this.channel) (await this.channel.catch(() => null))?.close();
    this.emit({ type: 'closed' });
  }

  /** Listens to what happens to the session (logins, retries, loss); returns the unsubscribe function. */
  on(listener: (event: SessionEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: SessionEvent): void {
    this.options.onEvent?.(event);
    for (const listener of this.listeners) listener(event);
  }

  /** Forgets the session; listeners hear of it only if it had been fully set up. */
  private loseSession(): void {
    if (this.activeSuite !== null) this.emit({ type: 'session-lost' });
    this.secure = null;
    this.activeSuite = null;
    if (this.keepAliveTimer) clearTimeout(this.keepAliveTimer);
    this.keepAliveTimer = null;
  }

  private async takeSlot(): Promise<void> {
    while (this.inFlight >= this.maxInFlight && !this.closed) {
      await new Promise<void>((wake) => this.waitingForSlot.push(wake));
    }
    this.inFlight += 1;
  }

  private releaseSlot(): void {
    this.inFlight -= 1;
    this.waitingForSlot.shift()?.();
  }

  private openChannel(): Promise<DatagramChannel> {
    if (!this.channel) {
      const open = this.options.openChannel ?? openUdpChannel;
      this.channel = open(this.target.address, this.target.port).then((channel) => {
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
    throw new IpmiProtocolError(this.bmc, 'more than 63 requests in flight');
  }

  /**
   * Sends `build()` and retransmits it with backoff until `match` recognises an answer. Each retransmission is
   * built afresh, so a session packet gets a new sequence number and IV as the replay rules demand.
   */
  private transact<T>(
    what: string,
    build: () => Buffer,
    subscribe: (match: (answer: T) => void) => () => void,
    retries = this.retries,
  ): Promise<T> {
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
            timer = setTimeout(onTimeout, this.timeoutMs * 2 ** attempt);
          };
          const onTimeout = () => {
            attempt += 1;
            if (attempt > retries) {
              cancel(new BmcUnreachableError(this.bmc, this.target.port, attempt));
              return;
            }
            this.emit({ type: 'retry', what, attempt });
            send();
          };
          this.cancels.add(cancel);
          send();
        }),
    );
  }

  private exchangeInSession(secure: SecureChannel, request: IpmiRequest, what: string, retries = this.retries): Promise<IpmiResponse> {
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
    ).then((response) => {
      this.scheduleKeepAlive();
      return response;
    });
  }

  private scheduleKeepAlive(): void {
    if (this.keepAliveTimer) clearTimeout(this.keepAliveTimer);
    if (!this.secure || this.closed) return;
    this.keepAliveTimer = setTimeout(() => {
      this.keepAliveTimer = null;
      this.emit({ type: 'keep-alive' });
      this.request(getDeviceIdRequest(), 'keep-alive').catch(() => this.loseSession());
    }, this.keepAliveMs);
    this.keepAliveTimer.unref();
  }

  /** A handshake step: one request, one kind of answer, recognised by `recognise` returning a value. */
  private handshake<T>(what: string, build: () => Buffer, recognise: (datagram: Buffer) => T | undefined, retries = this.retries): Promise<T> {
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

  /** An IPMI command before any session exists (v1.5 wrapper for auth capabilities, v2.0 for cipher suites). */
  private preSessionCommand(request: IpmiRequest, what: string, wrapper: PreSessionWrapper, retries = this.retries): Promise<IpmiResponse> {
    const sequence = this.allocateRequestSequence();
    const packet = encodePreSessionRequest(request, sequence, wrapper);
    return this.handshake(what, () => packet, (datagram) => {
      const response = decodePreSessionResponse(datagram);
      if (!response.ok || response.value.requestSequence !== sequence || response.value.command !== request.command) return undefined;
      return response.value;
    }, retries);
  }

  private async establish(): Promise<SecureChannel> {
    const capabilities = await this.authCapabilities();
    this.lanChannelNumber = capabilities.channel;
    if (!capabilities.ipmi20) {
      throw new IpmiProtocolError(this.bmc, 'it speaks only IPMI 1.5; enable IPMI 2.0 / RMCP+ (lanplus) in the BMC settings');
    }
    const tried: number[] = [];
    let offered: number[] | null | undefined;
    const offeredSuites = async (): Promise<number[] | null> => (offered === undefined ? (offered = await this.offeredSuites()) : offered);
    for (const suite of this.preferredSuites()) {
      tried.push(suite.id);
      const opened = await this.openSessionWith(suite, offeredSuites);
      if (opened === null || SUITE_REJECTIONS.has(opened.status)) continue;
      if (opened.status === RakpStatus.InsufficientResources) throw new BmcBusyError(this.bmc, 'no free session slot');
      if (opened.status !== RakpStatus.NoErrors) throw new IpmiProtocolError(this.bmc, `Open Session status 0x${opened.status.toString(16)}`);
      const secure = await this.authenticate(suite, opened.consoleSessionId, opened);
      this.secure = secure;
      try {
        await this.raisePrivilege(secure);
      } catch (error) {
        this.loseSession();
        throw error;
      }
      this.activeSuite = suite.id;
      this.emit({ type: 'logged-in', cipherSuite: suite.id });
      this.scheduleKeepAlive();
      return secure;
    }
    throw new CipherSuiteUnsupportedError(this.bmc, tried, (await offeredSuites()) ?? []);
  }

  /** Pinned suite: just that one. Automatic: 17, then 3. */
  private preferredSuites(): CipherSuite[] {
    return this.target.cipherSuite === 'auto' ? [CIPHER_SUITES[17], CIPHER_SUITES[3]] : [CIPHER_SUITES[this.target.cipherSuite]];
  }

  /**
   * Opens a session with one suite; null when the BMC is known not to offer it. BMCs answer an Open Session for a
   * suite they lack with a rejection status, so in automatic mode the first try gets one short wait, not the whole
   * backoff: silence then asks the BMC's Get Channel Cipher Suites list (which some BMCs, ipmi_sim among them, never
   * answer) before trying the suite again in earnest. Asking for the list up front would cost every login a round
   * trip, and a whole wait on BMCs that keep quiet about it.
   */
  private async openSessionWith(suite: CipherSuite, offeredSuites: () => Promise<number[] | null>): Promise<OpenSessionResponse | null> {
    if (this.target.cipherSuite === 'auto') {
      const quick = await this.openSession(suite, 0).catch((error: unknown) => {
        if (error instanceof BmcUnreachableError) return null;
        throw error;
      });
      if (quick !== null) return quick;
      const offered = await offeredSuites();
      if (offered !== null && !offered.includes(suite.id)) return null;
    }
    return this.openSession(suite, this.retries);
  }

  /** The suites the BMC lists, or null when it does not answer (asked once per page, without retries). */
  private offeredSuites(): Promise<number[] | null> {
    return listCipherSuites((index) =>
      this.preSessionCommand(getChannelCipherSuitesRequest(index), 'Get Channel Cipher Suites', 'v2.0', 0).catch(() => null),
    );
  }

  private async authCapabilities(): Promise<ChannelAuthCapabilities> {
    const response = await this.preSessionCommand(getChannelAuthCapabilitiesRequest(this.privilege), 'Get Channel Authentication Capabilities', 'v1.5');
    if (response.completionCode !== 0) throw this.commandError('Get Channel Authentication Capabilities', response.completionCode);
    const capabilities = decodeChannelAuthCapabilities(response.data);
    if (!capabilities.ok) throw new IpmiProtocolError(this.bmc, capabilities.reason);
    return capabilities.value;
  }

  private openSession(suite: CipherSuite, retries: number): Promise<OpenSessionResponse> {
    const messageTag = this.takeMessageTag();
    const consoleSessionId = randomBytes(4).readUInt32LE() || 1;
    const payload = encodeOpenSessionRequest({ messageTag, requestedPrivilege: PrivilegeLevel.Highest, consoleSessionId, suite });
    return this.setupStep('Open Session', PayloadType.OpenSessionRequest, payload, PayloadType.OpenSessionResponse, (answer) => {
      const response = decodeOpenSessionResponse(answer);
      if (!response.ok || response.value.messageTag !== messageTag) return undefined;
      if (response.value.status === RakpStatus.NoErrors && response.value.consoleSessionId !== consoleSessionId) return undefined;
      return response.value;
    }, retries);
  }

  /** One session setup message (Open Session, RAKP 1, RAKP 3) and the answer `recognise` accepts, in the clear. */
  private setupStep<T>(
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

  /** The answer of a RAKP step, if it decodes and carries our message tag. */
  private static tagged<T extends { readonly messageTag: number }>(decoded: Decoded<T>, messageTag: number): T | undefined {
    return decoded.ok && decoded.value.messageTag === messageTag ? decoded.value : undefined;
  }

  private async authenticate(suite: CipherSuite, consoleSessionId: number, opened: OpenSessionResponse): Promise<SecureChannel> {
    const userName = Buffer.from(this.target.user, 'utf8');
    const role = (this.nameOnly ? NAME_ONLY_LOOKUP : 0) | this.privilege;
    const consoleRandom = randomBytes(16);
    const tag1 = this.takeMessageTag();
    const rakp1 = encodeRakp1({ messageTag: tag1, bmcSessionId: opened.bmcSessionId, consoleRandom, role, userName });
    const rakp2 = await this.setupStep('RAKP 1', PayloadType.Rakp1, rakp1, PayloadType.Rakp2, (answer) =>
      IpmiSession.tagged(decodeRakp2(answer), tag1),
    );
    this.throwForRakpStatus(rakp2.status);
    if (rakp2.consoleSessionId !== consoleSessionId) throw new IpmiProtocolError(this.bmc, 'RAKP 2 names another session');

    const exchange: RakpExchange = {
      suite,
      consoleSessionId,
      bmcSessionId: opened.bmcSessionId,
      consoleRandom,
      bmcRandom: rakp2.bmcRandom,
      bmcGuid: rakp2.bmcGuid,
      role,
      userName,
    };
    const userKey = keyBytes(this.target.password);
    if (!verifyRakp2(exchange, userKey, rakp2.authCode)) throw new WrongPasswordError(this.bmc, this.target.user);

    const keys = deriveSessionKeys(suite, this.target.kg ? bmcKeyBytes(this.target.kg) : userKey, sikInput(exchange));
    const tag3 = this.takeMessageTag();
    const rakp3 = encodeRakp3(tag3, RakpStatus.NoErrors, opened.bmcSessionId, rakp3AuthCode(exchange, userKey));
    const rakp4 = await this.setupStep('RAKP 3', PayloadType.Rakp3, rakp3, PayloadType.Rakp4, (answer) =>
      IpmiSession.tagged(decodeRakp4(answer), tag3),
    );
    this.throwForRakpStatus(rakp4.status);
    if (!sameBytes(rakp4CheckValue(exchange, keys.sik), rakp4.integrityCheckValue)) {
      throw this.target.kg ? new WrongBmcKeyError(this.bmc) : new IpmiProtocolError(this.bmc, 'RAKP 4 integrity check failed');
    }
    return new SecureChannel(keys, opened.bmcSessionId, consoleSessionId);
  }

  private throwForRakpStatus(status: number): void {
    switch (status) {
      case RakpStatus.NoErrors:
        return;
      case RakpStatus.UnauthorizedName:
      case RakpStatus.InvalidNameLength:
        throw new UnknownUserError(this.bmc, this.target.user);
      case RakpStatus.InvalidRole:
      case RakpStatus.UnauthorizedRole:
        throw PrivilegeTooLowError.forLogin(this.bmc, this.target.user, this.target.privilege);
      case RakpStatus.InsufficientResources:
      case RakpStatus.InsufficientResourcesForRole:
        throw new BmcBusyError(this.bmc, 'no free session slot');
      case RakpStatus.InvalidIntegrityCheckValue:
        throw this.target.kg ? new WrongBmcKeyError(this.bmc) : new WrongPasswordError(this.bmc, this.target.user);
      default:
        throw new IpmiProtocolError(this.bmc, `RAKP status 0x${status.toString(16)}`);
    }
  }

  private async raisePrivilege(secure: SecureChannel): Promise<void> {
    const response = await this.exchangeInSession(secure, setSessionPrivilegeRequest(this.privilege), 'Set Session Privilege Level');
    // Some BMCs (ipmi_sim among them) grant less than asked instead of refusing: the answer names the new level.
    const granted = (response.data[0] ?? 0) & 0x0f;
    const refused = response.completionCode === 0x80 || response.completionCode === 0x81 || response.completionCode === COMPLETION_INSUFFICIENT_PRIVILEGE;
    if (refused || (response.completionCode === 0 && granted < this.privilege)) {
      throw PrivilegeTooLowError.forLogin(this.bmc, this.target.user, this.target.privilege);
    }
    if (response.completionCode !== 0) throw this.commandError('Set Session Privilege Level', response.completionCode);
  }

  private takeMessageTag(): number {
    this.nextMessageTag = (this.nextMessageTag + 1) & 0xff;
    return this.nextMessageTag;
  }
}

/** A BMC key given as 0x-prefixed hex is taken as bytes; anything else as text, like ipmitool's -y and -k. */
export function bmcKeyBytes(kg: string): Buffer {
  if (/^0x([0-9a-f]{2}){1,20}$/i.test(kg)) {
    const bytes = Buffer.alloc(20);
    Buffer.from(kg.slice(2), 'hex').copy(bytes);
    return bytes;
  }
  return keyBytes(kg);
}
