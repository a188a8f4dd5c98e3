import type { z } from 'zod';
import type { ironicAuthSchema } from '../../shared/ironic';
import { UserFacingError } from '../lib/user-facing-error';
import type { HttpSend } from './http-transport';

type IronicAuth = z.output<typeof ironicAuthSchema>;

/** Adds the sign-in to each request to Ironic. */
export interface Authenticator {
  headers(): Promise<Record<string, string>>;
  /** The API said 401: the next `headers()` signs in again (a Keystone token may have been revoked). */
  invalidate(): void;
  /** Whether signing in again could help after a 401 (a fixed password cannot). */
  readonly renewable: boolean;
}

export function authenticator(auth: IronicAuth, send: HttpSend, now: () => number = Date.now): Authenticator {
  switch (auth.kind) {
    case 'noauth':
      return { headers: async () => ({}), invalidate: () => undefined, renewable: false };
    case 'http_basic': {
      const header = `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}`;
      return { headers: async () => ({ Authorization: header }), invalidate: () => undefined, renewable: false };
    }
    case 'keystone':
      return new KeystoneTokens(auth, send, now);
  }
}

/** A token is renewed this long before Keystone says it expires, so no request goes out with one about to lapse. */
const RENEW_MARGIN_MS = 60_000;

/**
 * Keystone's password method: one `POST /v3/auth/tokens`, the token (X-Subject-Token) reused until shortly before
 * its expiry. Requests that ask while a sign-in is under way wait for that one instead of starting their own.
 */
class KeystoneTokens implements Authenticator {
  readonly renewable = true;
  private token: { value: string; renewAt: number } | null = null;
  private pending: Promise<string> | null = null;

  constructor(
    private readonly auth: Extract<IronicAuth, { kind: 'keystone' }>,
    private readonly send: HttpSend,
    private readonly now: () => number,
  ) {}

  async headers(): Promise<Record<string, string>> {
    if (this.token && this.now() < this.token.renewAt) return { 'X-Auth-Token': this.token.value };
    this.pending ??= this.signIn().finally(() => {
      this.pending = null;
    });
    return { 'X-Auth-Token': await this.pending };
  }

  invalidate(): void {
    this.token = null;
  }

  private async signIn(): Promise<string> {
    const base = this.auth.authUrl.replace(/\/+$/, '');
    const url = new URL(`${/\/v3$/.test(base) ? base : `${base}/v3`}/auth/tokens`);
    const body = {
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: this.auth.username, domain: { name: this.auth.userDomainName }, password: this.auth.password } },
        },
        scope: { project: { name: this.auth.projectName, domain: { name: this.auth.projectDomainName } } },
      },
    };
    const response = await this.send({
      method: 'POST',
      url,
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body),
    });
    if (response.status === 401) {
      throw new UserFacingError('ironic-auth', `Keystone at ${url.host} refused user "${this.auth.username}" in project "${this.auth.projectName}": check the user, password, project and domains.`);
    }
    const token = response.headers['x-subject-token'];
    if (response.status !== 201 || typeof token !== 'string' || !token) {
      throw new UserFacingError('ironic-auth', `Keystone at ${url.host} answered ${response.status} without a token: check that the address is Keystone's (like https://HOST:5000).`);
    }
    this.token = { value: token, renewAt: renewTime(response.body, this.now()) };
    return token;
  }
}

/** When to sign in again: a minute before `token.expires_at`; a token without a readable expiry is used for a minute. */
export function renewTime(body: string, now: number): number {
  let expiresAt = Number.NaN;
  try {
    const parsed = JSON.parse(body) as { token?: { expires_at?: unknown } };
    if (typeof parsed.token?.expires_at === 'string') expiresAt = Date.parse(parsed.token.expires_at);
  } catch {
    // An unreadable body still came with a token; it is just not kept for long.
  }
  return Number.isFinite(expiresAt) ? Math.max(now, expiresAt - RENEW_MARGIN_MS) : now + RENEW_MARGIN_MS;
}
