import { describe, expect, it } from 'vitest';
import type { NetworkInterface } from '../../../shared/network';
import { parseNetworkState, type SystemNetworkState } from '../interfaces';
import { capturedState, recordingExecutor } from '../test-fixtures';
import { parseHelperArgs, type HelperScope } from './protocol';
import { HelperServer, ScopeRefused } from './server';

/**
 * The `uplinks` capture (fixtures/README.md): the wired NIC eth-prov (192.168.7.3/24, a static route to 10.99.0.0/16)
 * and a spare wired NIC beside an IPv6-only uplink (up6), a policy-routed one (wg-sim, default route in table 51820),
 * a docking bridge with the default route (br-dock, port dock0), and a macvlan (mv-up over low0) that shares a
 * multipath default route in table 100 with m2.
 */
const captured = (): SystemNetworkState => parseNetworkState(capturedState({}, null, 'uplinks'));
const SCOPE: HelperScope = { interface: 'eth-prov', bridge: 'br-eth-prov' };
const UPLINK_DEVICES = ['up6', 'wg-sim', 'br-dock', 'dock0', 'mv-up', 'low0', 'm2'];

/** The state after the bridge was made: br-eth-prov holds 192.168.2.10/24. */
function withBridge(state: SystemNetworkState): SystemNetworkState {
  const nic = state.interfaces.find((iface) => iface.name === 'eth-prov') as NetworkInterface;
  const address = { ...(nic.addresses[0] as NetworkInterface['addresses'][number]), address: '192.168.2.10', prefixLength: 24 };
  const bridge: NetworkInterface = { ...nic, name: 'br-eth-prov', kind: 'bridge', linkKind: 'bridge', addresses: [address] };
  return { ...state, interfaces: [...state.interfaces, bridge] };
}

async function serverWith(options: { scope?: HelperScope; state?: () => SystemNetworkState } = {}) {
  const executor = recordingExecutor();
  let state = options.state ?? (() => withBridge(captured()));
  const server = await HelperServer.open(options.scope ?? SCOPE, { executor, readState: async () => state() });
  return { server, executor, setState: (next: () => SystemNetworkState) => (state = next) };
}

async function answer(server: HelperServer, request: unknown) {
  const { response, socket } = await server.handle({ id: 7, request });
  socket?.close();
  return response;
}

const refusedStart = (scope: HelperScope, state = captured) =>
  HelperServer.open(scope, { executor: recordingExecutor(), readState: async () => state() }).then(
    () => 'started',
    (error: unknown) => (error instanceof ScopeRefused ? error.message : `unexpected ${String(error)}`),
  );

describe('the helper refuses to start for the uplink, in any role', () => {
  it('refuses every kind of uplink as the NIC: IPv6-only, policy-routed, a bridge, its port, a macvlan, the device under it, multipath', async () => {
    expect(await refusedStart({ interface: 'up6', bridge: null })).toMatch(/^refused --interface up6: up6 carries an IPv6 default route, so it is your uplink\. Rackboot never changes it: pick the wired NIC cabled to the provisioning switch, not the uplink\.$/);
    expect(await refusedStart({ interface: 'wg-sim', bridge: null })).toMatch(/wg-sim carries an IPv4 default route \(routing table 51820/);
    expect(await refusedStart({ interface: 'dock0', bridge: null })).toMatch(/dock0 is a port of br-dock, which carries an IPv4 default route/);
    expect(await refusedStart({ interface: 'low0', bridge: null })).toMatch(/low0 is the device under mv-up, which carries an IPv4 default route \(routing table 100/);
    for (const device of UPLINK_DEVICES) expect(await refusedStart({ interface: device, bridge: null })).toMatch(/^refused --interface .* your uplink/);
  });

  it('refuses the uplink named as the bridge, and an existing device that is not a bridge', async () => {
    for (const device of UPLINK_DEVICES) {
      expect(await refusedStart({ interface: 'eth-prov', bridge: device })).toMatch(new RegExp(`^refused --bridge ${device}: .*your uplink.*br-eth-prov`));
    }
    expect(await refusedStart({ interface: 'eth-prov', bridge: 'spare0' })).toMatch(/^refused --bridge spare0: spare0 exists and is not a bridge/);
  });

  it('refuses Wi-Fi, the loopback and a missing NIC', async () => {
    const wifi = () => parseNetworkState(capturedState({ spare0: { wireless: true } }, null, 'uplinks'));
    expect(await refusedStart({ interface: 'spare0', bridge: null }, wifi)).toMatch(/spare0 is Wi-Fi/);
    expect(await refusedStart({ interface: 'eth-prov', bridge: 'spare0' }, wifi)).toMatch(/^refused --bridge spare0: spare0 is Wi-Fi/);
    expect(await refusedStart({ interface: 'lo', bridge: null })).toMatch(/loopback/);
    expect(await refusedStart({ interface: 'eth9', bridge: null })).toMatch(/there is no interface eth9/);
  });

  it('starts for the wired NIC, with a new bridge or an existing bridge of its own', async () => {
    expect(await refusedStart(SCOPE)).toBe('started');
    expect(await refusedStart({ interface: 'spare0', bridge: null })).toBe('started');
    expect(await refusedStart(SCOPE, () => withBridge(captured()))).toBe('started');
  });
});

describe('privileged helper protocol', () => {
  it('carries out a change to its own interface', async () => {
    const { server, executor } = await serverWith();
    expect(await answer(server, { type: 'op', op: { op: 'set-master', device: 'eth-prov', master: 'br-eth-prov' } })).toEqual({ kind: 'result', id: 7, ok: true, result: { type: 'done' } });
    expect(executor.ops).toEqual([{ op: 'set-master', device: 'eth-prov', master: 'br-eth-prov' }]);
  });

  it('rejects a change to any other interface (the uplink, another NIC, another bridge)', async () => {
    const { server, executor } = await serverWith();
    for (const op of [
      { op: 'address-delete', device: 'wg-sim', address: '10.30.0.5', prefixLength: 24 },
      { op: 'set-down', device: 'up6' },
      { op: 'set-master', device: 'dock0', master: 'br-eth-prov' },
      { op: 'set-master', device: 'eth-prov', master: 'br-dock' },
      { op: 'bridge-delete', bridge: 'br-dock' },
      { op: 'nm-set-managed', device: 'br-eth-prov', managed: false },
      { op: 'set-up', device: 'spare0' },
    ]) {
      expect(await answer(server, { type: 'op', op })).toMatchObject({ ok: false, error: expect.stringMatching(/^rejected: .* outside this helper's scope/) });
    }
    expect(executor.ops).toEqual([]);
  });

  it('refuses its own NIC once it has become the uplink', async () => {
    const { server, executor, setState } = await serverWith();
    setState(() => {
      const state = withBridge(captured());
      return { ...state, uplinks: new Map([...state.uplinks, ['eth-prov', 'eth-prov carries an IPv6 default route']]) };
    });
    expect(await answer(server, { type: 'op', op: { op: 'set-down', device: 'eth-prov' } })).toMatchObject({
      ok: false,
      error: 'rejected: set-down on eth-prov: eth-prov carries an IPv6 default route, so it is your uplink. Rackboot never changes it: pick the wired NIC cabled to the provisioning switch, not the uplink.',
    });
    expect(await answer(server, { type: 'arp-probe', device: 'eth-prov', address: '192.168.2.10' })).toMatchObject({ ok: false, error: expect.stringMatching(/your uplink/) });
    expect(executor.ops).toEqual([]);
  });

  it('rejects arbitrary commands, unknown fields, and names a tool could read as an option', async () => {
    const { server, executor } = await serverWith();
    for (const request of [
      { type: 'exec', command: ['sh', '-c', 'id'] },
      { type: 'op', op: { op: 'set-up', device: 'eth-prov' }, command: ['sh', '-c', 'id'] },
      { type: 'op', op: { op: 'run', argv: ['rm', '-rf', '/'] } },
      { type: 'op', op: { op: 'set-up', device: 'eth2; reboot' } },
      { type: 'op', op: { op: 'set-up', device: '../../etc' } },
      { type: 'op', op: { op: 'set-up', device: '-eth-prov' } },
      { type: 'op', op: { op: 'set-up', device: '--help' } },
      { type: 'op', op: { op: 'set-master', device: 'eth-prov', master: 'br:x' } },
      { type: 'op', op: { op: 'ovs-bridge-create', bridge: '--may-exist' } },
      { type: 'op', op: { op: 'address-add', device: 'br-eth-prov', address: '192.168.2.10', prefixLength: 24, broadcast: null, scope: 'global', label: '-x', validLifetime: null, preferredLifetime: null } },
      { type: 'arp-probe', device: '-I', address: '192.168.2.10' },
      { type: 'bind-udp', port: 67, address: '0.0.0.0', device: '.', reuseAddress: true },
    ]) {
      expect(await answer(server, request), JSON.stringify(request)).toMatchObject({ ok: false, error: expect.stringMatching(/^rejected: not a helper request/) });
    }
    expect(executor.ops).toEqual([]);
  });

  it('adds no route that would take traffic from the uplink, and only routes its NIC had at start', async () => {
    const { server, executor } = await serverWith();
    const route = (destination: string, gateway: string | null = '192.168.7.1') => ({
      type: 'op',
      op: { op: 'route-add', device: 'eth-prov', destination, gateway, metric: null, scope: null, source: null, protocol: null },
    });
    expect(await answer(server, route('default'))).toMatchObject({ ok: false, error: expect.stringMatching(/is a default route: it would pull traffic your uplink carries/) });
    expect(await answer(server, route('10.30.0.0/25'))).toMatchObject({ ok: false, error: expect.stringMatching(/overlaps 10\.30\.0\.0\/24, which goes through your uplink wg-sim/) });
    expect(await answer(server, route('10.0.0.0/8'))).toMatchObject({ ok: false, error: expect.stringMatching(/overlaps 10\.21\.0\.0\/24, which goes through your uplink br-dock/) });
    expect(await answer(server, route('10.41.0.7'))).toMatchObject({ ok: false, error: expect.stringMatching(/your uplink m2/) });
    expect(await answer(server, route('10.98.0.0/16'))).toMatchObject({
      ok: false,
      error: expect.stringMatching(/did not see that route .* add it yourself: sudo ip route add 10\.98\.0\.0\/16 via 192\.168\.7\.1 dev eth-prov$/),
    });
    expect(await answer(server, route('10.99.0.0/16', '192.168.7.2'))).toMatchObject({ ok: false, error: expect.stringMatching(/did not see that route/) });
    expect(await answer(server, { ...route('10.99.0.0/16'), op: { ...route('10.99.0.0/16').op, device: 'br-eth-prov' } })).toMatchObject({ ok: false, error: expect.stringMatching(/outside this helper's scope/) });
    expect(executor.ops).toEqual([]);
    expect(await answer(server, route('10.99.0.0/16'))).toMatchObject({ ok: true });
    expect(executor.ops).toEqual([route('10.99.0.0/16').op]);
  });

  it('adds no address whose subnet an uplink route covers, but puts back what its NIC had', async () => {
    const { server, executor } = await serverWith();
    const address = (device: string, ip: string, prefixLength: number) => ({
      type: 'op',
      op: { op: 'address-add', device, address: ip, prefixLength, broadcast: null, scope: 'global', label: null, validLifetime: null, preferredLifetime: null },
    });
    expect(await answer(server, address('br-eth-prov', '10.21.0.9', 16))).toMatchObject({ ok: false, error: expect.stringMatching(/overlaps 10\.21\.0\.0\/24, which goes through your uplink br-dock/) });
    expect(await answer(server, address('br-eth-prov', '192.168.2.10', 4))).toMatchObject({ ok: false, error: expect.stringMatching(/covers a \/4/) });
    expect(await answer(server, address('br-eth-prov', '192.168.2.10', 24))).toMatchObject({ ok: true });
    expect(await answer(server, address('eth-prov', '192.168.7.3', 24))).toMatchObject({ ok: true });
    expect(executor.ops).toHaveLength(2);
  });

  it('binds only the provisioning ports, tied to its NIC or bridge, never 0.0.0.0 without a device', async () => {
    const { server, executor } = await serverWith();
    const untied = { device: null, reuseAddress: false };
    expect(await answer(server, { type: 'bind-udp', port: 22, address: '192.168.2.10', ...untied })).toMatchObject({ ok: false });
    expect(await answer(server, { type: 'bind-udp', port: 67, address: '10.30.0.5', ...untied })).toMatchObject({ ok: false, error: expect.stringMatching(/not an address of eth-prov or br-eth-prov/) });
    expect(await answer(server, { type: 'bind-udp', port: 4011, address: '0.0.0.0', ...untied })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^rejected: bind-udp on 0\.0\.0\.0 must be tied to eth-prov or br-eth-prov: .* would hear the uplink too/),
    });
    expect(await answer(server, { type: 'bind-udp', port: 69, address: '192.168.2.10', ...untied })).toMatchObject({ ok: true, result: { type: 'bound', port: 69 } });
    expect(await answer(server, { type: 'bind-udp', port: 67, address: '0.0.0.0' })).toMatchObject({ ok: false, error: expect.stringMatching(/not a helper request/) });
    expect(executor.bound).toEqual([{ port: 69, address: '192.168.2.10', ...untied }]);
  });

  it('ties a socket only to its own interface or bridge, and only with an address of that device', async () => {
    const { server, executor } = await serverWith();
    const tied = (device: string, address = '0.0.0.0') => ({ type: 'bind-udp', port: 67, address, device, reuseAddress: true });
    expect(await answer(server, tied('wg-sim'))).toMatchObject({ ok: false, error: expect.stringMatching(/^rejected: bind-udp on wg-sim is outside this helper's scope/) });
    expect(await answer(server, tied('eth-prov', '192.168.2.10'))).toMatchObject({ ok: false, error: expect.stringMatching(/192\.168\.2\.10 is not an address of eth-prov$/) });
    expect(await answer(server, tied('br-eth-prov'))).toMatchObject({ ok: true, result: { type: 'bound', port: 67 } });
    expect(await answer(server, tied('br-eth-prov', '192.168.2.10'))).toMatchObject({ ok: true });
    expect(executor.bound.map((request) => [request.device, request.address])).toEqual([
      ['br-eth-prov', '0.0.0.0'],
      ['br-eth-prov', '192.168.2.10'],
    ]);
  });

  it("passes a failed bind's errno name back, so the caller can explain it", async () => {
    const { server, executor } = await serverWith();
    executor.bindUdp = async () => {
      throw Object.assign(new Error('bind EADDRINUSE 0.0.0.0:67'), { code: 'EADDRINUSE' });
    };
    expect(await answer(server, { type: 'bind-udp', port: 67, address: '0.0.0.0', device: 'br-eth-prov', reuseAddress: true })).toEqual({
      kind: 'result',
      id: 7,
      ok: false,
      error: 'bind EADDRINUSE 0.0.0.0:67',
      code: 'EADDRINUSE',
    });
  });

  it('probes DHCP only on its own devices, from an address of that device', async () => {
    const { server } = await serverWith();
    const probe = (device: string, source: string) => ({ type: 'dhcp-probe', device, source, mac: '00:11:22:33:44:55' });
    expect(await answer(server, probe('wg-sim', '10.30.0.5'))).toMatchObject({ ok: false, error: expect.stringMatching(/outside this helper's scope/) });
    expect(await answer(server, probe('br-eth-prov', '192.168.7.3'))).toMatchObject({ ok: false });
    expect(await answer(server, probe('br-eth-prov', '192.168.2.10'))).toMatchObject({ ok: true, result: { type: 'dhcp', offers: [] } });
  });
});

describe('the helper command line', () => {
  it('takes its scope from --interface and --bridge, in either order', () => {
    expect(parseHelperArgs(['--interface', 'eth2', '--bridge', 'br-eth2'])).toEqual({ interface: 'eth2', bridge: 'br-eth2' });
    expect(parseHelperArgs(['--bridge', 'br-eth2', '--interface', 'eth2'])).toEqual({ interface: 'eth2', bridge: 'br-eth2' });
    expect(parseHelperArgs(['--interface', 'eth2'])).toEqual({ interface: 'eth2', bridge: null });
  });

  it('refuses a malformed one: missing, repeated or unknown flags, and names that look like options', () => {
    expect(() => parseHelperArgs([])).toThrow(/usage/);
    expect(() => parseHelperArgs(['--interface', 'eth2', '--bridge', 'eth2'])).toThrow(/differ/);
    expect(() => parseHelperArgs(['--interface', 'a/b'])).toThrow(/usage/);
    expect(() => parseHelperArgs(['--interface', '--bridge'])).toThrow(/usage/);
    expect(() => parseHelperArgs(['--interface', '-eth2'])).toThrow(/usage/);
    expect(() => parseHelperArgs(['--interface', 'eth2', '--bridge', '--interface'])).toThrow(/--bridge must be a device name/);
    expect(() => parseHelperArgs(['--interface', 'eth2', '--interface', 'wlan0'])).toThrow(/usage/);
    expect(() => parseHelperArgs(['--interface', 'eth2', '--bridge'])).toThrow(/usage/);
    expect(() => parseHelperArgs(['--interface', 'eth2', '--all'])).toThrow(/usage/);
  });
});

describe('rejections reach the caller', () => {
  it('answers a malformed request under its id', async () => {
    const { server } = await serverWith();
    expect((await server.handle({ id: 12, request: { type: 'exec', command: ['id'] } })).response).toMatchObject({ id: 12, ok: false });
  });
});
