import { afterEach, describe, expect, it } from 'vitest';
import type { TlsTrust } from '../../shared/redfish';
import { RedfishClient } from './client';
import { RedfishConnection } from './connection';
import { RedfishUnreachableError, RedfishWrongPasswordError, TlsCertificateChangedError, TlsRejectedError, TlsUntrustedError } from './errors';
import { probeRedfish } from './probe';
import { startFakeBmc, testCertificate, type FakeAnswer, type FakeHandler, type SeenRequest } from './testing/fake-bmc';
import { IDRAC_SYSTEM, SERVICE_ROOT_WITH_SESSIONS, SERVICE_ROOT_WITHOUT_SESSIONS, SUPERMICRO_SYSTEM, SYSTEMS, TASK_DONE, TASK_RUNNING } from './testing/recorded';
import { describeCertificate } from './tls';
import { X509Certificate } from 'node:crypto';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

function pinOf(name: 'a' | 'b'): TlsTrust {
  return { kind: 'pin', ...describeCertificate(new X509Certificate(testCertificate(name).cert).raw) };
}

async function bmc(handler: FakeHandler, certificate: 'a' | 'b' = 'a') {
  const server = await startFakeBmc(handler, certificate);
  closers.push(server.close);
  return server;
}

function connect(port: number, trust: TlsTrust | null, password = 'calvin'): RedfishConnection {
  const connection = new RedfishConnection({ address: '127.0.0.1', port, user: 'root', password, trust }, { retryDelayMs: 10, timeoutMs: 2000 });
  closers.push(() => connection.close());
  return connection;
}

const hasCredentials = (request: SeenRequest): boolean =>
  request.headers.authorization !== undefined || request.headers['x-auth-token'] !== undefined || JSON.stringify(request.body ?? '').includes('calvin');

/** An iDRAC-like BMC with sessions: token "t1", then "t2" after the first has been expired by `expire`. */
function sessionBmc(state: { tokens: string[]; expired: Set<string> }): FakeHandler {
  return (request): FakeAnswer | undefined => {
    if (request.path === '/redfish/v1/') return { status: 200, body: SERVICE_ROOT_WITH_SESSIONS };
    if (request.method === 'POST' && request.path === '/redfish/v1/SessionService/Sessions') {
      const body = request.body as { UserName: string; Password: string };
      if (body.Password !== 'calvin') return { status: 401, body: { error: { message: 'Login failed' } } };
      const token = `t${state.tokens.length + 1}`;
      state.tokens.push(token);
      return { status: 201, headers: { 'X-Auth-Token': token, Location: `https://127.0.0.1/redfish/v1/SessionService/Sessions/${token}` }, body: {} };
    }
    const token = request.headers['x-auth-token'];
    if (typeof token !== 'string' || !state.tokens.includes(token) || state.expired.has(token)) return { status: 401, body: {} };
    if (request.method === 'DELETE') return { status: 204 };
    if (request.path === '/redfish/v1/Systems') return { status: 200, body: SYSTEMS };
    if (request.path === '/redfish/v1/Systems/System.Embedded.1') return { status: 200, body: IDRAC_SYSTEM, headers: { ETag: 'W/"7"' } };
    return undefined;
  };
}

describe('TLS trust before credentials', () => {
  it('sends nothing to a BMC whose certificate is not trusted yet, and shows the certificate', async () => {
    const server = await bmc(() => ({ status: 200, body: SERVICE_ROOT_WITHOUT_SESSIONS }));
    const connection = connect(server.port, null);
    const error = await connection.login().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TlsUntrustedError);
    expect((error as TlsUntrustedError).certificate.sha256).toBe((pinOf('a') as { sha256: string }).sha256);
    expect(server.requests).toEqual([]);
  });

  it('refuses a changed certificate before any request is written, naming both fingerprints', async () => {
    const server = await bmc(() => ({ status: 200, body: SERVICE_ROOT_WITHOUT_SESSIONS }), 'b');
    const error = await connect(server.port, pinOf('a')).login().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TlsCertificateChangedError);
    expect((error as Error).message).toMatch(/TLS certificate changed/);
    expect((error as TlsCertificateChangedError).certificate.sha256).toBe((pinOf('b') as { sha256: string }).sha256);
    expect(server.requests).toEqual([]);
  });

  it('with a CA bundle instead of a pin: a chain it signs is trusted, any other refused before a request', async () => {
    const server = await bmc(() => ({ status: 200, body: SERVICE_ROOT_WITHOUT_SESSIONS }));
    const trusted = await connect(server.port, { kind: 'ca', pem: testCertificate('a').cert.toString('utf8') }).serviceRoot();
    expect(trusted.redfishVersion).toBe('1.5.0');
    const error = await connect(server.port, { kind: 'ca', pem: testCertificate('b').cert.toString('utf8') }).login().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TlsRejectedError);
    expect(server.requests.filter(hasCredentials)).toEqual([]);
  });

  it('a probe reads the root and the certificate anonymously, never with credentials', async () => {
    const server = await bmc(() => ({ status: 200, body: SERVICE_ROOT_WITHOUT_SESSIONS }));
    const probe = await probeRedfish('127.0.0.1', server.port);
    expect(probe?.certificate?.subject).toContain('CN=bmc-a.test');
    expect(probe?.root.redfishVersion).toBe('1.5.0');
    expect(server.requests.some(hasCredentials)).toBe(false);
    expect(await probeRedfish('127.0.0.1', 1, 500)).toBeNull();
  });
});

describe('sessions and Basic', () => {
  it('logs in with a session, logs in again on 401, and deletes the session on close', async () => {
    const state = { tokens: [] as string[], expired: new Set<string>() };
    const server = await bmc(sessionBmc(state));
    const connection = connect(server.port, pinOf('a'));
    const client = new RedfishClient(connection, null);
    expect((await client.read()).system.id).toBe('System.Embedded.1');
    expect(connection.authKind).toBe('session');
    state.expired.add('t1');
    expect((await client.read()).system.etag).toBe('W/"7"');
    expect(state.tokens).toEqual(['t1', 't2']);
    await connection.close();
    const last = server.requests.at(-1)!;
    expect([last.method, last.path, last.headers['x-auth-token']]).toEqual(['DELETE', '/redfish/v1/SessionService/Sessions/t2', 't2']);
    expect(server.requests.filter((request) => request.headers.authorization !== undefined)).toEqual([]);
    // Kept connections: the whole exchange went over far fewer TLS handshakes than requests.
    expect(server.connections()).toBeLessThan(server.requests.length);
  });

  it('names a wrong password as such', async () => {
    const server = await bmc(sessionBmc({ tokens: [], expired: new Set() }));
    const error = await connect(server.port, pinOf('a'), 'wrong').login().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RedfishWrongPasswordError);
    expect((error as Error).message).toMatch(/rejected user root: wrong password/);
    expect((error as Error).message).not.toContain('wrong\'');
  });

  it('uses HTTP Basic where the service has no SessionService (sushy-tools), and names a wrong password', async () => {
    const expected = `Basic ${Buffer.from('root:calvin').toString('base64')}`;
    const server = await bmc((request) => {
      if (request.path === '/redfish/v1/') return { status: 200, body: SERVICE_ROOT_WITHOUT_SESSIONS };
      if (request.headers.authorization !== expected) return { status: 401, body: {} };
      if (request.path === '/redfish/v1/Systems') return { status: 200, body: SYSTEMS };
      return undefined;
    });
    const good = connect(server.port, pinOf('a'));
    await good.login();
    expect(good.authKind).toBe('basic');
    // Basic has nothing to log in to: no request is spent on it, the first real one carries the credentials.
    expect(server.requests.map((request) => request.path)).toEqual(['/redfish/v1/']);
    expect(await good.expectOk('GET', '/redfish/v1/Systems', 'listing the systems')).toMatchObject({ status: 200 });
    const wrong = new RedfishClient(connect(server.port, pinOf('a'), 'nope'), null);
    const error = await wrong.read().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RedfishWrongPasswordError);
    expect((error as Error).message).toMatch(/rejected user root: wrong password/);
  });

  it('retries a busy BMC and reports each retry; says who does not answer', async () => {
    let busy = 2;
    const server = await bmc((request) => {
      if (request.path !== '/redfish/v1/') return undefined;
      if (busy-- > 0) return { status: 503, headers: { 'Retry-After': '0' } };
      return { status: 200, body: SERVICE_ROOT_WITHOUT_SESSIONS };
    });
    const connection = connect(server.port, pinOf('a'));
    const retries: number[] = [];
    connection.onRetry((_what, attempt) => retries.push(attempt));
    await connection.serviceRoot();
    expect(retries).toEqual([2, 3]);
    const error = await connect(1, pinOf('a')).serviceRoot().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RedfishUnreachableError);
    expect((error as Error).message).toMatch(/^no BMC answers at https:\/\/127\.0\.0\.1:1 \(connection refused/);
  });

  it('keeps at most the request limit in flight to one BMC', async () => {
    const server = await startFakeBmc(() => ({ status: 200, body: SERVICE_ROOT_WITHOUT_SESSIONS }));
    closers.push(server.close);
    const connection = new RedfishConnection({ address: '127.0.0.1', port: server.port, user: 'root', password: 'calvin', trust: pinOf('a') }, { maxConcurrent: 2 });
    closers.push(() => connection.close());
    await connection.login();
    await Promise.all(Array.from({ length: 8 }, () => connection.request('GET', '/redfish/v1/', 'reading')));
    expect(server.connections()).toBeLessThanOrEqual(2);
    expect(server.requests.length).toBeGreaterThanOrEqual(9);
  });
});

describe('orders', () => {
  it('PATCHes the boot override with If-Match, re-reading the ETag once on 412', async () => {
    let etag = '"e1"';
    const patches: SeenRequest[] = [];
    const server = await bmc((request) => {
      if (request.path === '/redfish/v1/') return { status: 200, body: SERVICE_ROOT_WITHOUT_SESSIONS };
      if (request.path === '/redfish/v1/Systems') return { status: 200, body: { Members: [{ '@odata.id': '/redfish/v1/Systems/1' }] } };
      if (request.path === '/redfish/v1/Systems/1' && request.method === 'GET') return { status: 200, body: { ...SUPERMICRO_SYSTEM, '@odata.etag': etag } };
      if (request.method === 'PATCH') {
        patches.push(request);
        if (request.headers['if-match'] !== etag) return { status: 412, body: {} };
        return { status: 204 };
      }
      return undefined;
    });
    const client = new RedfishClient(connect(server.port, pinOf('a')), null);
    await client.read();
    etag = '"e2"';
    await client.setBootOverride({ device: 'pxe', persistent: false, mode: 'uefi' });
    expect(patches.map((patch) => patch.headers['if-match'])).toEqual(['"e2"']);
    expect(patches[0]!.body).toEqual({ Boot: { BootSourceOverrideEnabled: 'Once', BootSourceOverrideTarget: 'Pxe', BootSourceOverrideMode: 'UEFI' } });
  });

  it('restarts a running server with ForceRestart and follows the task to its end', async () => {
    let polls = 0;
    const server = await bmc((request) => {
      if (request.path === '/redfish/v1/') return { status: 200, body: SERVICE_ROOT_WITHOUT_SESSIONS };
      if (request.path === '/redfish/v1/Systems') return { status: 200, body: { Members: [{ '@odata.id': '/redfish/v1/Systems/1' }] } };
      if (request.path === '/redfish/v1/Systems/1') return { status: 200, body: SUPERMICRO_SYSTEM };
      if (request.method === 'POST') return { status: 202, headers: { Location: '/redfish/v1/TaskMonitors/1' } };
      if (request.path === '/redfish/v1/TaskMonitors/1') return (polls += 1) < 2 ? { status: 202, body: TASK_RUNNING } : { status: 200, body: TASK_DONE };
      return undefined;
    });
    const client = new RedfishClient(connect(server.port, pinOf('a')), null);
    const reset = client.power('restart');
    expect(await reset).toBe('ForceRestart');
    expect(server.requests.find((request) => request.method === 'POST')?.body).toEqual({ ResetType: 'ForceRestart' });
    expect(polls).toBe(2);
  });
});
