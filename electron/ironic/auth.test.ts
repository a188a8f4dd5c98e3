import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { IronicApi, VERSION_HEADER } from './api-client';
import { authenticator, renewTime } from './auth';
import { openHttpTransport } from './http-transport';

/** A loopback server playing Keystone (/v3/auth/tokens) and an Ironic that takes only the current token. */
function keystoneAndIronic() {
  const seen = { signIns: 0, versions: [] as (string | undefined)[], bodies: [] as unknown[] };
  let current = 'token-0';
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      if (request.url === '/identity/v3/auth/tokens' && request.method === 'POST') {
        seen.signIns += 1;
        seen.bodies.push(JSON.parse(body));
        current = `token-${seen.signIns}`;
        response.writeHead(201, { 'X-Subject-Token': current, 'Content-Type': 'application/json' });
        response.end(JSON.stringify({ token: { expires_at: new Date(Date.now() + 3600_000).toISOString() } }));
        return;
      }
      if (request.headers['x-auth-token'] !== current) {
        response.writeHead(401, { 'Content-Type': 'application/json' });
        response.end(JSON.stringify({ error_message: JSON.stringify({ faultstring: 'Authentication required' }) }));
        return;
      }
      seen.versions.push(request.headers[VERSION_HEADER.toLowerCase()] as string | undefined);
      response.writeHead(request.url === '/' ? 200 : request.url === '/v1/nodes/missing' ? 404 : 200, { 'Content-Type': 'application/json' });
      if (request.url === '/') response.end(JSON.stringify({ versions: [{ id: 'v1', version: '1.60', min_version: '1.1' }] }));
      else if (request.url === '/v1/nodes/missing') response.end(JSON.stringify({ error_message: JSON.stringify({ faultstring: 'Node missing could not be found.' }) }));
      else response.end(JSON.stringify({ uuid: 'u1', name: 'r1', provision_state: 'enroll' }));
    });
  });
  return {
    seen,
    revoke: () => (current = 'revoked'),
    start: () => new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup) await step();
  cleanup = [];
});

describe('Keystone sign-in', () => {
  it('signs in once for many requests, sends the negotiated microversion, and signs in again after a 401', async () => {
    const peer = keystoneAndIronic();
    const url = await peer.start();
    const transport = openHttpTransport({ verifyTls: true, timeoutMs: 5000, maxSockets: 4 });
    cleanup.push(peer.stop, async () => transport.close());
    const auth = authenticator(
      { kind: 'keystone', authUrl: `${url}/identity`, username: 'ops', password: 'Zq9', projectName: 'baremetal', userDomainName: 'Default', projectDomainName: 'Default' },
      transport.send,
    );
    const api = await IronicApi.connect(url, transport.send, auth);
    expect(api.version.text).toBe('1.60');
    await Promise.all([api.nodeState('u1'), api.nodeState('u1'), api.nodeState('u1')]);
    expect(peer.seen.signIns).toBe(1);
    expect(peer.seen.versions.slice(-3)).toEqual(['1.60', '1.60', '1.60']);
    expect(peer.seen.bodies[0]).toMatchObject({ auth: { identity: { methods: ['password'], password: { user: { name: 'ops', domain: { name: 'Default' } } } }, scope: { project: { name: 'baremetal' } } } });

    peer.revoke();
    await api.nodeState('u1');
    expect(peer.seen.signIns).toBe(2);
    expect(await api.nodeByName('missing')).toBeNull();
  });

  it('names the cause when Keystone refuses, and when the address is not Keystone', async () => {
    const server = http.createServer((request, response) => {
      response.writeHead(request.url?.startsWith('/bad/') ? 401 : 404);
      response.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const transport = openHttpTransport({ verifyTls: true, timeoutMs: 5000, maxSockets: 1 });
    cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())), async () => transport.close());
    const auth = (authUrl: string) =>
      authenticator({ kind: 'keystone', authUrl, username: 'ops', password: 'x', projectName: 'p', userDomainName: 'Default', projectDomainName: 'Default' }, transport.send);
    await expect(auth(`${url}/bad`).headers()).rejects.toThrow(/refused user "ops" in project "p"/);
    await expect(auth(`${url}/other/v3`).headers()).rejects.toThrow(/answered 404 without a token/);
  });

  it('renews a minute before expiry, and soon when the expiry cannot be read', () => {
    expect(renewTime(JSON.stringify({ token: { expires_at: '2026-12-02T08:00:00Z' } }), Date.parse('2026-12-02T07:00:00Z'))).toBe(Date.parse('2026-12-02T07:59:00Z'));
    expect(renewTime('not json', 1000)).toBe(61_000);
  });

  it('reports an address where nothing listens in plain words', async () => {
    const transport = openHttpTransport({ verifyTls: true, timeoutMs: 2000, maxSockets: 1 });
    cleanup.push(async () => transport.close());
    await expect(IronicApi.connect('http://127.0.0.1:1', transport.send, authenticator({ kind: 'noauth' }, transport.send))).rejects.toThrow(/nothing listens there/);
  });
});
