import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
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

const never: UpCheck = { waitUntilUp: (_target, signal) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))) };

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
    const serial: UpCheck = { waitUntilUp: async () => 'the serial console showed "login:"' };
    const check = new ReachableUpCheck(serial, never, () => null);
    const target: DeployTarget = { nodeId: 'n', name: 'n', bmc: { address: '', port: 623, user: '', password: '' }, mac: '52:54:00:00:00:01' };
    expect(await check.waitUntilUp(target, new AbortController().signal)).toBe('the serial console showed "login:"');
    const onTtyS1 = { ...target, instance: { hostname: 'h', sshKeys: [], network: { kind: 'dhcp' as const }, userData: '', upSignal: { kind: 'serial' as const, console: 'ttyS1' as const, speed: 9600 as const } } };
    expect(await check.waitUntilUp(onTtyS1, new AbortController().signal)).toBe('the serial console showed "login:" (ttyS1 at 9600 baud)');
  });
});
