// One RMCP+ session with one BMC, the layer pyghmi's session.py is: it logs in on first use (login.ts), limits the
// requests in flight, keeps the session alive while idle and logs in again when the BMC forgot it. The bytes travel
// through session-transport.ts; the commands a technician understands live in client.ts, SOL in sol.ts.
import type { IpmiTarget } from '../../shared/ipmi';
import { closeSessionRequest, getDeviceIdRequest } from './codec/app-commands';
import type { SupportedSuiteId } from './codec/cipher';
import type { IpmiRequest, IpmiResponse } from './codec/message';
import type { PayloadType } from './codec/session-wrapper';
import { BmcUnreachableError, commandFailure } from './errors';
import { SessionLogin } from './login';
import type { SecureChannel } from './secure-channel';
import { SessionTransport } from './session-transport';
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

class SessionClosedError extends Error {}

/**
 * One RMCP+ session with one BMC: logs in on first use, retries with backoff (in the transport), keeps the session
 * alive while idle and logs in again when the BMC forgot it. Commands live in client.ts.
 */
export class IpmiSession {
  readonly bmc: string;
  private readonly maxInFlight: number;
  private readonly keepAliveMs: number;
  private readonly transport: SessionTransport;
  private readonly handshake: SessionLogin;

  private secure: SecureChannel | null = null;
  private loggingIn: Promise<SecureChannel> | null = null;
  private readonly waitingForSlot: Array<() => void> = [];
  private readonly listeners = new Set<(event: SessionEvent) => void>();
  private inFlight = 0;
  private keepAliveTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private lanChannelNumber = 1;
  private activeSuite: SupportedSuiteId | null = null;

  constructor(
    private readonly target: IpmiTarget,
    private readonly options: SessionOptions = {},
  ) {
    this.bmc = target.port === 623 ? target.address : `${target.address}:${target.port}`;
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 4);
    this.keepAliveMs = options.keepAliveMs ?? 20_000;
    this.transport = new SessionTransport({
      bmc: this.bmc,
      address: target.address,
      port: target.port,
      initialTimeoutMs: options.initialTimeoutMs ?? 500,
      retries: options.retries ?? 3,
      openChannel: options.openChannel ?? openUdpChannel,
      onRetry: (what, attempt) => this.emit({ type: 'retry', what, attempt }),
    });
    this.handshake = new SessionLogin(this.transport, target, this.bmc, options.lookup ?? 'name-only');
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
        return await this.exchange(secure, request, what);
      } catch (error) {
        if (!(error instanceof BmcUnreachableError) || this.closed) throw error;
        // The BMC answered a login before, so silence now most likely means it dropped the session.
        if (this.secure === secure) this.loseSession();
        this.emit({ type: 'relogin', what });
        return await this.exchange(await this.login(), request, what);
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
    return commandFailure(this.bmc, this.target, what, completionCode);
  }

  /** Sends a payload other than an IPMI message (SOL) inside the session; delivery is the caller's business. */
  async sendPayload(type: PayloadType, payload: Buffer): Promise<void> {
    const secure = await this.login();
    await this.transport.sendPayload(secure, type, payload);
  }

  onSolPayload(listener: (payload: Buffer) => void): () => void {
    return this.transport.onSolPayload(listener);
  }

  /** Logs in unless a session is already up; concurrent callers share one login. */
  login(): Promise<SecureChannel> {
    if (this.closed) return Promise.reject(new SessionClosedError(`IPMI session to ${this.bmc} is closed`));
    if (this.secure) return Promise.resolve(this.secure);
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
    // A session still raising its privilege is closed on the BMC too.
    const secure = this.transport.receivingFor;
    if (secure) {
      await this.exchange(secure, closeSessionRequest(secure.bmcSessionId), 'Close Session', 0).catch(() => undefined);
    }
    this.closed = true;
    // Closing on purpose is not a loss: listeners hear 'closed' only.
    this.activeSuite = null;
    this.loseSession();
    this.transport.cancelAll(new SessionClosedError(`IPMI session to ${this.bmc} was closed`));
    for (const wake of this.waitingForSlot.splice(0)) wake();
    await this.transport.close();
    this.emit({ type: 'closed' });
  }

  /** Listens to what happens to the session (logins, retries, loss); returns the unsubscribe function. */
  on(listener: (event: SessionEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async establish(): Promise<SecureChannel> {
    const loggedIn = await this.handshake.logIn();
    this.lanChannelNumber = loggedIn.lanChannel;
    this.secure = loggedIn.secure;
    this.activeSuite = loggedIn.cipherSuite;
    this.emit({ type: 'logged-in', cipherSuite: loggedIn.cipherSuite });
    this.scheduleKeepAlive();
    return loggedIn.secure;
  }

  private emit(event: SessionEvent): void {
    this.options.onEvent?.(event);
    for (const listener of this.listeners) listener(event);
  }

  /** Forgets the session; listeners hear of it only if it had been fully set up. */
  private loseSession(): void {
    if (this.activeSuite !== null) this.emit({ type: 'session-lost' });
    this.secure = null;
    this.transport.receiveFor(null);
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

  private async exchange(secure: SecureChannel, request: IpmiRequest, what: string, retries?: number): Promise<IpmiResponse> {
    const response = await this.transport.inSession(secure, request, what, retries);
    this.scheduleKeepAlive();
    return response;
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
}
