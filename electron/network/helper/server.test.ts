import { describe, expect, it } from 'vitest';
import { recordingExecutor } from '../test-fixtures';
import { parseHelperArgs } from './protocol';
import { HelperServer } from './server';

function serverWith(executor = recordingExecutor()) {
  const server = new HelperServer({ interface: 'eth2', bridge: 'br-eth2' }, { executor, deviceAddresses: async (device) => (device === 'br-eth2' ? ['192.168.2.10'] : []) });
  return { server, executor };
}

async function answer(server: HelperServer, request: unknown) {
  const { response, socket } = await server.handle({ id: 7, request });
  socket?.close();
  return response;
}

describe('privileged helper protocol', () => {
  it('carries out a change to its own interface', async () => {
    const { server, executor } = serverWith();
    expect(await answer(server, { type: 'op', op: { op: 'set-master', device: 'eth2', master: 'br-eth2' } })).toEqual({ kind: 'result', id: 7, ok: true, result: { type: 'done' } });
    expect(executor.ops).toEqual([{ op: 'set-master', device: 'eth2', master: 'br-eth2' }]);
  });

  it('rejects a change to any other interface (the Wi-Fi, the uplink)', async () => {
    const { server, executor } = serverWith();
    for (const op of [
      { op: 'address-delete', device: 'wlan0', address: '10.0.0.5', prefixLength: 24 },
      { op: 'set-down', device: 'wlan0' },
      { op: 'set-master', device: 'wlan0', master: 'br-eth2' },
      { op: 'set-master', device: 'eth2', master: 'docker0' },
      { op: 'bridge-delete', bridge: 'docker0' },
      { op: 'nm-set-managed', device: 'br-eth2', managed: false },
    ]) {
      expect(await answer(server, { type: 'op', op })).toMatchObject({ ok: false, error: expect.stringMatching(/^rejected: .* outside this helper's scope/) });
    }
    expect(executor.ops).toEqual([]);
  });

  it('rejects arbitrary commands and unknown fields', async () => {
    const { server, executor } = serverWith();
    for (const request of [
      { type: 'exec', command: ['sh', '-c', 'id'] },
      { type: 'op', op: { op: 'set-up', device: 'eth2' }, command: ['sh', '-c', 'id'] },
      { type: 'op', op: { op: 'run', argv: ['rm', '-rf', '/'] } },
      { type: 'op', op: { op: 'set-up', device: 'eth2; reboot' } },
      { type: 'op', op: { op: 'set-up', device: '../../etc' } },
    ]) {
      expect(await answer(server, request)).toMatchObject({ ok: false, error: expect.stringMatching(/^rejected: not a helper request/) });
    }
    expect(executor.ops).toEqual([]);
  });

  it('never adds a default route', async () => {
    const { server } = serverWith();
    const op = { op: 'route-add', device: 'eth2', destination: 'default', gateway: '192.168.2.1', metric: null, scope: null, source: null, protocol: null };
    expect(await answer(server, { type: 'op', op })).toMatchObject({ ok: false });
  });

  it('binds only the provisioning ports, and only on its own addresses or the wildcard', async () => {
    const { server, executor } = serverWith();
    const plain = { device: null, reuseAddress: false };
    expect(await answer(server, { type: 'bind-udp', port: 22, address: '0.0.0.0', ...plain })).toMatchObject({ ok: false });
    expect(await answer(server, { type: 'bind-udp', port: 67, address: '10.0.0.5', ...plain })).toMatchObject({ ok: false, error: expect.stringMatching(/not an address of eth2 or br-eth2/) });
    expect(await answer(server, { type: 'bind-udp', port: 69, address: '192.168.2.10', ...plain })).toMatchObject({ ok: true, result: { type: 'bound', port: 69 } });
    expect(await answer(server, { type: 'bind-udp', port: 4011, address: '0.0.0.0', ...plain })).toMatchObject({ ok: true });
    expect(await answer(server, { type: 'bind-udp', port: 67, address: '0.0.0.0' })).toMatchObject({ ok: false, error: expect.stringMatching(/not a helper request/) });
    expect(executor.bound).toEqual([
      { port: 69, address: '192.168.2.10', ...plain },
      { port: 4011, address: '0.0.0.0', ...plain },
    ]);
  });

  it('ties a socket only to its own interface or bridge, and only with an address of that device', async () => {
    const { server, executor } = serverWith();
    const tied = (device: string, address = '0.0.0.0') => ({ type: 'bind-udp', port: 67, address, device, reuseAddress: true });
    expect(await answer(server, tied('wlan0'))).toMatchObject({ ok: false, error: expect.stringMatching(/^rejected: bind-udp on wlan0 is outside this helper's scope/) });
    expect(await answer(server, tied('eth2', '192.168.2.10'))).toMatchObject({ ok: false, error: expect.stringMatching(/192\.168\.2\.10 is not an address of eth2$/) });
    expect(await answer(server, tied('br-eth2'))).toMatchObject({ ok: true, result: { type: 'bound', port: 67 } });
    expect(await answer(server, tied('br-eth2', '192.168.2.10'))).toMatchObject({ ok: true });
    expect(executor.bound.map((request) => [request.device, request.address])).toEqual([
      ['br-eth2', '0.0.0.0'],
      ['br-eth2', '192.168.2.10'],
    ]);
  });

  it("passes a failed bind's errno name back, so the caller can explain it", async () => {
    const executor = recordingExecutor();
    executor.bindUdp = async () => {
      throw Object.assign(new Error('bind EADDRINUSE 0.0.0.0:67'), { code: 'EADDRINUSE' });
    };
    const { server } = serverWith(executor);
    expect(await answer(server, { type: 'bind-udp', port: 67, address: '0.0.0.0', device: 'br-eth2', reuseAddress: true })).toEqual({
      kind: 'result',
      id: 7,
      ok: false,
      error: 'bind EADDRINUSE 0.0.0.0:67',
      code: 'EADDRINUSE',
    });
  });

  it('probes DHCP only on its own devices, from an address of that device', async () => {
    const { server } = serverWith();
    const probe = (device: string, source: string) => ({ type: 'dhcp-probe', device, source, mac: '00:11:22:33:44:55' });
    expect(await answer(server, probe('wlan0', '192.168.2.10'))).toMatchObject({ ok: false, error: expect.stringMatching(/outside this helper's scope/) });
    expect(await answer(server, probe('br-eth2', '10.0.0.5'))).toMatchObject({ ok: false });
    expect(await answer(server, probe('br-eth2', '192.168.2.10'))).toMatchObject({ ok: true, result: { type: 'dhcp', offers: [] } });
  });

  it('takes its scope from the command line and refuses a malformed one', () => {
    expect(parseHelperArgs(['--interface', 'eth2', '--bridge', 'br-eth2'])).toEqual({ interface: 'eth2', bridge: 'br-eth2' });
    expect(parseHelperArgs(['--interface', 'eth2'])).toEqual({ interface: 'eth2', bridge: null });
    expect(() => parseHelperArgs([])).toThrow(/usage/);
    expect(() => parseHelperArgs(['--interface', 'eth2', '--bridge', 'eth2'])).toThrow(/differ/);
    expect(() => parseHelperArgs(['--interface', 'a/b'])).toThrow(/usage/);
  });
});

describe('rejections reach the caller', () => {
  it('answers a malformed request under its id', async () => {
    const { server } = serverWith();
    expect((await server.handle({ id: 12, request: { type: 'exec', command: ['id'] } })).response).toMatchObject({ id: 12, ok: false });
  });
});
