import { afterEach, describe, expect, it } from 'vitest';
import { discoverRedfish } from './discovery';
import { startFakeBmc } from './testing/fake-bmc';
import { SERVICE_ROOT_WITHOUT_SESSIONS } from './testing/recorded';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

describe('Redfish discovery', () => {
  it('finds the address whose HTTPS port answers the service root, with its certificate, and sends no credentials', async () => {
    const bmc = await startFakeBmc((request) => (request.path === '/redfish/v1' || request.path === '/redfish/v1/' ? { status: 200, body: SERVICE_ROOT_WITHOUT_SESSIONS } : undefined));
    closers.push(bmc.close);
    const probed: string[] = [];
    // 127.0.0.1 answers; nothing listens on 127.0.0.2 (loopback refuses at once).
    const found = await discoverRedfish(['127.0.0.2', '127.0.0.1'], { port: bmc.port, timeoutMs: 2000, onProbed: (address) => probed.push(address) });
    expect(found).toEqual([
      {
        address: '127.0.0.1',
        port: bmc.port,
        redfishVersion: '1.5.0',
        vendor: null,
        product: null,
        certificate: expect.objectContaining({ subject: expect.stringContaining('CN=bmc-a.test'), sha256: expect.stringMatching(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/) }),
      },
    ]);
    expect(probed.sort()).toEqual(['127.0.0.1', '127.0.0.2']);
    expect(bmc.requests.every((request) => request.headers.authorization === undefined && request.headers['x-auth-token'] === undefined)).toBe(true);
  });

  it('passes over an HTTPS server that is no Redfish service', async () => {
    const web = await startFakeBmc(() => ({ status: 404, body: { message: 'no such page' } }));
    closers.push(web.close);
    expect(await discoverRedfish(['127.0.0.1'], { port: web.port, timeoutMs: 2000 })).toEqual([]);
  });

  it('stops asking once aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const probed: string[] = [];
    expect(await discoverRedfish(['127.0.0.1', '127.0.0.2'], { port: 1, signal: controller.signal, onProbed: (address) => probed.push(address) })).toEqual([]);
    expect(probed).toEqual([]);
  });
});
