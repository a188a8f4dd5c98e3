import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { InstanceSettings } from '../../../shared/instance';
import type { DeployTarget, UpCheck } from '../../deploy/ports';
import { readBanner, ReachableUpCheck } from './reachable-up-check';

const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

function listen(onConnect: (socket: Socket) => void): Promise<number> {
  const server = createServer(onConnect);
  servers.push(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

const never: UpCheck = {
  waitUntilUp: (_target, signal) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))),
  signalAwaited: async () => 'nothing',
};
const target: DeployTarget = { nodeId: 'n', name: 'n', bmc: { address: '', port: 623, user: '', password: '' }, mac: '52:54:00:00:00:01' };
const withInstance = (network: InstanceSettings['network'], upSignal: InstanceSettings['upSignal']): DeployTarget => ({
  ...target,
  instance: { hostname: 'h', sshKeys: [], network, userData: '', upSignal },
});

describe('reachable up check', () => {
  it('reads an SSH banner line, and gives null for a silent or closed port', async () => {
    const ssh = await listen((socket) => socket.end('SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n'));
    expect(await readBanner('127.0.0.1', ssh, 2000)).toBe('SSH-2.0-OpenSSH_9.2p1 Debian-2');
    const silent = await listen(() => undefined);
    expect(await readBanner('127.0.0.1', silent, 300)).toBeNull();
    const closed = await listen((socket) => socket.destroy());
    expect(await readBanner('127.0.0.1', closed, 2000)).toBeNull();
  });

  it('waits for the serial marker when the node has no instance settings, and names the console when it is set', async () => {
    const serial: UpCheck = { waitUntilUp: async () => 'the serial console showed "login:"', signalAwaited: async () => '"login:" on its serial console' };
    const check = new ReachableUpCheck(serial, never, () => null);
    expect(await check.waitUntilUp(target, new AbortController().signal)).toBe('the serial console showed "login:"');
    expect(await check.signalAwaited(target)).toBe('"login:" on its serial console');
    const onTtyS1 = withInstance({ kind: 'dhcp' }, { kind: 'serial', console: 'ttyS1', speed: 9600 });
    expect(await check.waitUntilUp(onTtyS1, new AbortController().signal)).toBe('the serial console showed "login:" (ttyS1 at 9600 baud)');
    expect(await check.signalAwaited(onTtyS1)).toBe('"login:" on its serial console, ttyS1 at 9600 baud');
  });

  it('says which SSH banner it waits for: at the static address, or at the lease of the node\'s MAC', async () => {
    const check = new ReachableUpCheck(never, never, () => null);
    const fixed = withInstance({ kind: 'static', address: '10.77.0.40', prefixLength: 24, gateway: null, dns: [] }, { kind: 'ssh' });
    expect(await check.signalAwaited(fixed)).toBe('an SSH banner at its static address 10.77.0.40:22');
    expect(await check.signalAwaited(withInstance({ kind: 'dhcp' }, { kind: 'ssh' }))).toBe('an SSH banner on port 22 at the address our DHCP leases to 52:54:00:00:00:01');
  });
});
