// The server over loopback with unprivileged ports: sockets, persistence and events wired together.
import dgram from 'node:dgram';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bootFilesSchema, type DhcpServerEvent, dhcpSettingsSchema } from '../../../shared/pxe';
import { buildDhcp, Option, parseDhcp, u8 } from './codec';
import { dhclientRequest } from './fixtures';
import { ServiceBindError } from '../../lib/bind-errors';
import { InterfaceSocket, interfaceAddressProblem } from './interface-socket';
import { loadLeases } from './leases';
import { createStandardPolicy, nodeTable } from './policy';
import { DhcpServer } from './server';

const MAC = '52:54:00:12:34:56';
let server: DhcpServer | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

function settings(serverAddress: string) {
  return dhcpSettingsSchema.parse({
    interfaceName: 'lo',
    serverAddress,
    mode: 'full',
    pool: { start: '127.0.0.100', end: '127.0.0.110', subnetMask: '255.0.0.0' },
  });
}

const policy = createStandardPolicy({
  nodes: nodeTable([{ id: 'node-1', mac: MAC }]),
  answer: 'enrolled',
  bootFiles: bootFilesSchema.parse({}),
  tftpServer: '127.0.0.1',
  ipxeScriptUrl: (mac) => `http://127.0.0.1:8080/ipxe/${mac}`,
});

/** A renewing client: it has its address (ciaddr) and talks unicast, so loopback carries the whole exchange. */
function renewal(): Uint8Array {
  const parsed = parseDhcp(dhclientRequest);
  if (!parsed.ok) throw new Error('fixture');
  parsed.packet.ciaddr = '127.0.0.100';
  parsed.packet.options.delete(Option.requestedAddress);
  parsed.packet.options.delete(Option.serverId);
  parsed.packet.options.set(Option.messageType, u8(3));
  return buildDhcp(parsed.packet);
}

describe('DhcpServer over loopback', () => {
  it('acknowledges a renewal, persists the lease and reports stamped events', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'dhcp-'));
    const leaseFile = join(folder, 'leases.json');
    const client = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => client.bind(0, '127.0.0.100', resolve));
    const clientPort = client.address().port;
    server = new DhcpServer({ settings: settings('127.0.0.1'), policy, leaseFile, ports: { server: 16767, bootServer: 14011, client: clientPort } });
    const events: DhcpServerEvent[] = [];
    server.subscribe((event) => events.push(event));
    await server.start();

    const reply = new Promise<Uint8Array>((resolve) => client.once('message', resolve));
    client.send(renewal(), 16767, '127.0.0.1');
    const parsed = parseDhcp(await reply);
    client.close();

    expect(parsed.ok && parsed.packet.yiaddr).toBe('127.0.0.100');
    expect(events.map((event) => event.type)).toEqual(['pxe-request', 'dhcp-reply', 'lease-granted']);
    expect(events[0]).toMatchObject({ interface: 'lo', mac: MAC });
    await server.stop();
    expect((await loadLeases(leaseFile)).map((lease) => [lease.mac, lease.address, lease.nodeId])).toEqual([[MAC, '127.0.0.100', 'node-1']]);
  });

  it('keeps answering after junk datagrams and reports them summed, not one by one', async () => {
    const client = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => client.bind(0, '127.0.0.100', resolve));
    server = new DhcpServer({ settings: settings('127.0.0.1'), policy, leaseFile: null, ports: { server: 16768, bootServer: 14012, client: client.address().port } });
    let rejected = 0;
    let reports = 0;
    server.subscribe((event) => {
      if (event.type !== 'packet-rejected') return;
      rejected += event.count;
      reports++;
    });
    await server.start();
    for (let i = 0; i < 50; i++) client.send(Uint8Array.from({ length: i * 7 }, (_, n) => (n * 31 + i) & 0xff), 16768, '127.0.0.1');
    const reply = new Promise<Uint8Array>((resolve) => client.once('message', resolve));
    client.send(renewal(), 16768, '127.0.0.1');
    expect(parseDhcp(await reply).ok).toBe(true);
    client.close();
    await server.stop();
    expect(rejected).toBe(50);
    expect(reports).toBe(2); // the first at once, the other 49 summed
  });

  it('refuses to start when the address is not on the provisioning interface', async () => {
    server = new DhcpServer({ settings: settings('10.255.255.1'), policy, leaseFile: null, ports: { server: 16769, bootServer: 14013, client: 16870 } });
    await expect(server.start()).rejects.toThrow('lo does not have the address 10.255.255.1');
  });

  it('names the interface that really holds the address', () => {
    const interfaces = { lo: [{ address: '127.0.0.1', family: 'IPv4' }], wlan0: [{ address: '192.168.1.5', family: 'IPv4' }] };
    expect(interfaceAddressProblem(interfaces, 'lo', '192.168.1.5')).toMatch(/belongs to wlan0, not to the provisioning interface lo/);
    expect(interfaceAddressProblem(interfaces, 'eth9', '127.0.0.1')).toMatch(/eth9 does not exist/);
    expect(interfaceAddressProblem(interfaces, 'lo', '127.0.0.1')).toBeNull();
  });

  it('explains a bind to an address that is not on this computer', async () => {
    const failure = await InterfaceSocket.open({ interfaceName: 'lo', address: '10.255.255.1', port: 16771, hearBroadcasts: false, service: 'DHCP' }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ServiceBindError);
    expect((failure as Error).message).toMatch(/no network interface has the address 10\.255\.255\.1/);
  });

  it('ties the broadcast socket to the interface, and says so when the interface is gone', async () => {
    const onLoopback = await InterfaceSocket.open({ interfaceName: 'lo', address: '127.0.0.1', port: 0, hearBroadcasts: true, service: 'DHCP' });
    expect(onLoopback.filterProblem).toBeNull();
    await onLoopback.close();
    const failure = await InterfaceSocket.open({ interfaceName: 'gone0', address: '127.0.0.1', port: 0, hearBroadcasts: true, service: 'DHCP' }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ServiceBindError);
    expect((failure as ServiceBindError).code).toBe('ENODEV');
    expect((failure as Error).message).toMatch(/the interface gone0 does not exist/);
  });

  it('refuses full mode without a pool', () => {
    const noPool = dhcpSettingsSchema.parse({ interfaceName: 'lo', serverAddress: '127.0.0.1', mode: 'full' });
    expect(() => new DhcpServer({ settings: noPool, policy, leaseFile: null })).toThrow(/needs an address pool/);
  });
});
