import http from 'node:http';
import type { Duplex } from 'node:stream';
import { isIP } from 'node:net';
import tls from 'node:tls';
import type { TlsCertificate, TlsTrust } from '../../shared/redfish';
import {
  NotRedfishError,
  RedfishBusyError,
  RedfishCommandError,
  RedfishError,
  RedfishPrivilegeError,
  RedfishProtocolError,
  RedfishUnreachableError,
  RedfishWrongPasswordError,
  TlsCertificateChangedError,
  TlsRejectedError,
  TlsUntrustedError,
} from './errors';
import { parseErrorBody, parseServiceRoot, type ServiceRoot } from './payloads';
import { describeX509, pinVerdict } from './tls';

export interface RedfishEndpoint {
  address: string;
  port: number;
  user: string;
  password: string;
  /** null: nothing is trusted yet, so no credentials are ever sent (only the anonymous service root is read). */
  trust: TlsTrust | null;
}

export interface ConnectionOptions {
  /** One request's limit, connection included. */
  timeoutMs?: number;
  /** Tries for a request that failed on the way (refused, reset, timed out, 503). */
  tries?: number;
  /** Requests in flight to this BMC at once; BMCs are small computers and some serve one request at a time. */
  maxConcurrent?: number;
  /** Pause before the second try; doubles for each next one. */
  retryDelayMs?: number;
  /**
   * Accept any certificate and never log in: for finding out whether (and as whom) a Redfish service answers, with
   * nothing sent but anonymous GETs.
   */
  anonymousProbe?: boolean;
}

export interface RedfishResponse {
  status: number;
  json: unknown;
  etag: string | null;
  location: string | null;
  retryAfterS: number | null;
  /** X-Auth-Token of a session just created. */
  authToken: string | null;
}

/** `chainError`: what the TLS layer found wrong with the chain (against the CA bundle) or the name; null if nothing. */
type Verify = (certificate: TlsCertificate, chainError: Error | null) => Error | null;

const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** Socket errors where the request never reached the BMC, or the BMC went away: worth another try. */
const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ECONNABORTED']);

class RequestTimeout extends Error {
  readonly code = 'ETIMEDOUT';
}

/**
 * An HTTP agent whose connections are TLS sockets handed to HTTP only after `verify` accepted the certificate: the
 * request (and the credentials in it) is written to a socket whose peer is already known. Keep-alive, and at most
 * `maxSockets` connections, so requests beyond the limit wait their turn.
 */
class VerifyingAgent extends http.Agent {
  /** The certificate of the last handshake, trusted or not. */
  lastCertificate: TlsCertificate | null = null;

  constructor(
    private readonly tlsOptions: tls.ConnectionOptions,
    private readonly verify: Verify,
    maxSockets: number,
  ) {
    super({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, keepAliveMsecs: 10_000 });
  }

  override createConnection(options: http.ClientRequestArgs, callback?: (error: Error | null, socket: Duplex) => void): undefined {
    // Node's agent always passes the callback and waits for it when nothing is returned.
    if (!callback) throw new Error('VerifyingAgent needs the callback form of createConnection');
    const host = options.host ?? 'localhost';
    const socket = tls.connect({
      ...this.tlsOptions,
      host,
      port: Number(options.port),
      ...(isIP(host) ? {} : { servername: host }),
    });
    let settled = false;
    const settle = (error: Error | null): void => {
      if (settled) return;
      settled = true;
      socket.off('error', onError);
      if (error) {
        socket.destroy();
        callback(error, socket);
      } else {
        callback(null, socket);
      }
    };
    const onError = (error: Error): void => settle(error);
    socket.once('error', onError);
    socket.once('secureConnect', () => {
      // The leaf alone: the whole chain as JS objects (getPeerCertificate(true)) was a large share of a Test
      // connection's CPU, and only a chain that verified needs its names checked.
      const peer = socket.getPeerX509Certificate();
      if (!peer) return settle(new Error('the BMC sent no TLS certificate'));
      const certificate = describeX509(peer);
      this.lastCertificate = certificate;
      const chainError = socket.authorized
        ? (tls.checkServerIdentity(host, peer.toLegacyObject()) ?? null)
        : new Error(String(socket.authorizationError ?? 'not signed by a trusted CA'));
      settle(this.verify(certificate, chainError));
    });
    return undefined;
  }
}

/**
 * One BMC over Redfish: TLS checked before anything is sent, a session (X-Auth-Token) when the service has a
 * SessionService, HTTP Basic when not, re-login on 401, keep-alive connections, a limit on requests in flight, and
 * retries of what failed on the way. Errors are RedfishErrors, worded for the technician.
 */
export class RedfishConnection {
  private readonly agent: VerifyingAgent;
  private readonly timeoutMs: number;
  private readonly tries: number;
  private readonly retryDelayMs: number;
  private root: ServiceRoot | null = null;
  private auth: { kind: 'session'; token: string; location: string | null } | { kind: 'basic' } | null = null;
  private loggingIn: Promise<void> | null = null;
  private readonly retryListeners = new Set<(what: string, attempt: number) => void>();
  private closed = false;
  private readonly anonymousProbe: boolean;
  private readonly maxConcurrent: number;
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly endpoint: RedfishEndpoint,
    options: ConnectionOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.tries = Math.max(1, options.tries ?? 3);
    this.retryDelayMs = options.retryDelayMs ?? 500;
    this.maxConcurrent = Math.max(1, options.maxConcurrent ?? 2);
    const trust = endpoint.trust;
    const tlsOptions: tls.ConnectionOptions = {
      secureContext: trust?.kind === 'ca' ? tls.createSecureContext({ ca: trust.pem }) : defaultSecureContext(),
      rejectUnauthorized: false,
    };
    const bmc = endpoint.address;
    this.anonymousProbe = options.anonymousProbe ?? false;
    const verify: Verify = (certificate, chainError) => {
      if (this.anonymousProbe) return null;
      if (trust?.kind === 'ca') return chainError ? new TlsRejectedError(bmc, chainError.message) : null;
      const verdict = pinVerdict(trust, certificate);
      if (verdict.kind === 'untrusted') return new TlsUntrustedError(bmc, certificate);
      if (verdict.kind === 'changed') return new TlsCertificateChangedError(bmc, verdict.pinned, certificate);
      return null;
    };
    this.agent = new VerifyingAgent(tlsOptions, verify, this.maxConcurrent);
  }

  get bmc(): string {
    return this.endpoint.address;
  }

  /** The certificate the BMC showed at the last handshake, whether it was trusted or not. */
  get certificate(): TlsCertificate | null {
    return this.agent.lastCertificate;
  }

  get authKind(): 'session' | 'basic' | null {
    return this.auth?.kind ?? null;
  }

  onRetry(listener: (what: string, attempt: number) => void): () => void {
    this.retryListeners.add(listener);
    return () => this.retryListeners.delete(listener);
  }

  /** The service root (anonymous, read once): where systems and sessions are. */
  async serviceRoot(): Promise<ServiceRoot> {
    if (this.root) return this.root;
    const response = await this.send('GET', '/redfish/v1/', undefined, {}, 'reading the service root');
    if (response.status !== 200) throw new NotRedfishError(this.bmc, this.endpoint.port, `GET /redfish/v1/ answered HTTP ${response.status}`);
    const root = parseServiceRoot(response.json);
    if (!root.ok) throw new NotRedfishError(this.bmc, this.endpoint.port, root.problem);
    this.root = root.value;
    return root.value;
  }

  /**
   * Logs in: a session when the service offers one (a wrong password fails here), else HTTP Basic (checked by the
   * first request that carries it).
   */
  async login(): Promise<void> {
    this.loggingIn ??= this.doLogin().finally(() => {
      this.loggingIn = null;
    });
    return this.loggingIn;
  }

  private async doLogin(): Promise<void> {
    if (this.anonymousProbe) throw new Error('an anonymous probe connection never logs in');
    const root = await this.serviceRoot();
    const { user, password } = this.endpoint;
    if (root.sessionsPath) {
      const response = await this.send('POST', root.sessionsPath, { UserName: user, Password: password }, {}, 'logging in');
      if ((response.status === 201 || response.status === 200) && response.authToken) {
        this.auth = { kind: 'session', token: response.authToken, location: response.location };
        return;
      }
      if (response.status === 401 || response.status === 403) {
        throw new RedfishWrongPasswordError(this.bmc, user);
      }
      if (response.status >= 300 && ![404, 405, 501].includes(response.status)) {
        throw this.failure(response, 'logging in');
      }
    }
    // No SessionService (or one that hands out no token): every request carries HTTP Basic credentials. There is
    // nothing to log in to, so no request is spent on it: the first real request answers 401 to a wrong password,
    // and `request` names it (a separate check was a quarter of a Test connection's requests).
    this.auth = { kind: 'basic' };
  }

  /** A request with the login's credentials; a 401 on a session logs in again once (sessions time out). */
  async request(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, what: string, body?: unknown, headers: Record<string, string> = {}): Promise<RedfishResponse> {
    if (!this.auth) await this.login();
    let response = await this.send(method, path, body, { ...headers, ...this.authHeaders() }, what);
    if (response.status === 401 && this.auth?.kind === 'session') {
      this.auth = null;
      await this.login();
      response = await this.send(method, path, body, { ...headers, ...this.authHeaders() }, what);
    }
    if (response.status === 401) throw new RedfishWrongPasswordError(this.bmc, this.endpoint.user);
    if (response.status === 403) throw new RedfishPrivilegeError(this.bmc, this.endpoint.user, what);
    return response;
  }

  /** A request that must succeed: any status but 2xx becomes a RedfishError naming `what`. */
  async expectOk(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, what: string, body?: unknown, headers?: Record<string, string>): Promise<RedfishResponse> {
    const response = await this.request(method, path, what, body, headers);
    if (response.status < 200 || response.status >= 300) throw this.failure(response, what);
    return response;
  }

  failure(response: RedfishResponse, what: string): RedfishError {
    if (response.status === 503 || response.status === 429) return new RedfishBusyError(this.bmc, `HTTP ${response.status} to ${what}`);
    const { ids, text } = parseErrorBody(response.json);
    return new RedfishCommandError(this.bmc, what, response.status, ids, text);
  }

  /** Ends the session (BMCs allow only a few) and the connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    const auth = this.auth;
    this.auth = null;
    if (auth?.kind === 'session' && auth.location) {
      await this.send('DELETE', auth.location, undefined, { 'X-Auth-Token': auth.token }, 'ending the session', 1).catch(() => undefined);
    }
    this.closed = true;
    this.agent.destroy();
  }

  private authHeaders(): Record<string, string> {
    if (this.auth?.kind === 'session') return { 'X-Auth-Token': this.auth.token };
    if (this.auth?.kind === 'basic') {
      return { Authorization: `Basic ${Buffer.from(`${this.endpoint.user}:${this.endpoint.password}`, 'utf8').toString('base64')}` };
    }
    return {};
  }

  /** One request with retries of what failed on the way; TLS verdicts and HTTP statuses are not retried. */
  private async send(method: string, path: string, body: unknown, headers: Record<string, string>, what: string, tries = this.tries): Promise<RedfishResponse> {
    if (this.closed) throw new RedfishProtocolError(this.bmc, `${what} after the connection was closed`);
    let lastError: unknown;
    for (let attempt = 1; attempt <= tries; attempt += 1) {
      try {
        const response = await this.once(method, path, body, headers);
        if ((response.status === 503 || response.status === 429) && attempt < tries) {
          for (const listener of this.retryListeners) listener(what, attempt + 1);
          await delay(Math.min(10_000, (response.retryAfterS ?? 0) * 1000 || this.retryDelayMs * 2 ** (attempt - 1)));
          continue;
        }
        return response;
      } catch (error) {
        if (error instanceof RedfishError) throw error;
        lastError = error;
        const code = (error as NodeJS.ErrnoException).code ?? '';
        if (!TRANSIENT_CODES.has(code) || attempt === tries) break;
        for (const listener of this.retryListeners) listener(what, attempt + 1);
        await delay(this.retryDelayMs * 2 ** (attempt - 1));
      }
    }
    const error = lastError as NodeJS.ErrnoException;
    if (error.code === 'HPE_INVALID_CONSTANT' || error.code?.startsWith('HPE_')) {
      throw new NotRedfishError(this.bmc, this.endpoint.port, 'not HTTP');
    }
    if (error.code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number|packet length too long/i.test(error.message)) {
      throw new NotRedfishError(this.bmc, this.endpoint.port, 'no TLS on this port');
    }
    throw new RedfishUnreachableError(this.bmc, this.endpoint.port, describeSocketError(error), tries);
  }

  /**
   * One request once its turn comes: the agent's own socket limit does not count connections still in their TLS
   * handshake, so the limit on requests in flight is kept here.
   */
  private async once(method: string, path: string, body: unknown, headers: Record<string, string>): Promise<RedfishResponse> {
    if (this.inFlight >= this.maxConcurrent) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.inFlight += 1;
    try {
      return await this.exchange(method, path, body, headers);
    } finally {
      this.inFlight -= 1;
      this.waiting.shift()?.();
    }
  }

  private exchange(method: string, path: string, body: unknown, headers: Record<string, string>): Promise<RedfishResponse> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body), 'utf8');
    return new Promise((resolve, reject) => {
      const request = http.request({
        agent: this.agent,
        host: this.endpoint.address,
        port: this.endpoint.port,
        method,
        path,
        headers: {
          Host: hostHeader(this.endpoint.address, this.endpoint.port),
          Accept: 'application/json',
          'OData-Version': '4.0',
          ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) } : {}),
          ...headers,
        },
      });
      const timer = setTimeout(() => request.destroy(new RequestTimeout(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      request.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) request.destroy(new RedfishProtocolError(this.bmc, `an answer larger than ${MAX_BODY_BYTES} bytes to ${method} ${path}`));
          else chunks.push(chunk);
        });
        response.on('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
        response.on('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          if (text.trim() !== '') {
            try {
              json = JSON.parse(text);
            } catch {
              if (response.statusCode && response.statusCode < 300) {
                return reject(new RedfishProtocolError(this.bmc, `${method} ${path} answered with something that is not JSON`));
              }
            }
          }
          const token = response.headers['x-auth-token'];
          const retryAfter = Number(response.headers['retry-after']);
          resolve({
            status: response.statusCode ?? 0,
            json,
            etag: typeof response.headers.etag === 'string' ? response.headers.etag : null,
            location: typeof response.headers.location === 'string' ? pathOf(response.headers.location) : null,
            retryAfterS: Number.isFinite(retryAfter) ? retryAfter : null,
            authToken: typeof token === 'string' && token !== '' ? token : null,
          });
        });
      });
      request.end(payload);
    });
  }
}

let sharedSecureContext: tls.SecureContext | null = null;

/**
 * One TLS context (Node's CA store) for every BMC trusted by a pin or not yet trusted: tls.connect would otherwise
 * build one per connection, which a sweep of many BMCs pays for each.
 */
function defaultSecureContext(): tls.SecureContext {
  sharedSecureContext ??= tls.createSecureContext();
  return sharedSecureContext;
}

function hostHeader(address: string, port: number): string {
  const host = isIP(address) === 6 ? `[${address}]` : address;
  return port === 443 ? host : `${host}:${port}`;
}

/** A Location header may be absolute (https://bmc/redfish/v1/…); requests go to the same BMC, by path. */
function pathOf(location: string): string {
  try {
    return new URL(location, 'https://bmc').pathname;
  } catch {
    return location;
  }
}

function describeSocketError(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'connection refused: nothing listens on that port';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'no route to the address';
    case 'ETIMEDOUT':
      return error.message.startsWith('no answer') ? error.message : 'the connection timed out';
    case 'ECONNRESET':
      return 'the BMC closed the connection';
    case 'ENOTFOUND':
      return 'the host name is not known';
    default:
      return error.message;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
