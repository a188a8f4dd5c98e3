import { describe, expect, it } from 'vitest';
import { addressPoolSchema, bootFilesSchema } from '../../../shared/pxe';
import { buildDhcp, type DhcpPacket, ipList, Option, parseDhcp, readIp, readSubOptions, readText, u8 } from './codec';
import { dhclientDiscover, dhclientRequest, ipxeDiscover, udhcpcDiscover } from './fixtures';
import { LeasePool } from './leases';
import { createStandardPolicy, nodeTable } from './policy';
import { type Datagram, Responder } from './responder';

const SERVER = '10.77.0.1';
const pool = addressPoolSchema.parse({ start: '10.77.0.100', end: '10.77.0.150', subnetMask: '255.255.255.0', router: '10.77.0.1' });
const DHCLIENT_MAC = '52:54:00:12:34:56';
const UDHCPC_MAC = '52:54:00:ab:cd:ef';
const IPXE_MAC = '52:54:00:c0:ff:ee';

function responder(mode: 'full' | 'proxy', answer: 'enrolled' | 'all-pxe' = 'enrolled', nodes = [
  { id: 'node-1', mac: DHCLIENT_MAC },
  { id: 'node-2', mac: UDHCPC_MAC },
  { id: 'node-3', mac: IPXE_MAC, fixedAddress: '10.77.0.20' },
]) {
  const policy = createStandardPolicy({
    nodes: nodeTable(nodes),
    answer,
    bootFiles: bootFilesSchema.parse({}),
    tftpServer: SERVER,
    ipxeScriptUrl: (mac) => `http://${SERVER}:8080/ipxe/${mac}`,
  });
  const leases = mode === 'full' ? new LeasePool(pool, () => new Set([SERVER])) : null;
  return new Responder({ mode, serverAddress: SERVER, pool: mode === 'full' ? pool : null, clientPort: 68 }, policy, leases);
}

const broadcast = (bytes: Uint8Array): Datagram => ({
  bytes,
  from: { address: '0.0.0.0', port: 68 },
  localPort: 67,
  bootServerPort: false,
});

function replyOf(outcome: ReturnType<Responder['handle']>): DhcpPacket {
  if (!outcome.reply) throw new Error(`no reply: ${JSON.stringify(outcome.events)}`);
  const parsed = parseDhcp(outcome.reply.bytes);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.packet;
}

function withOption(bytes: Uint8Array, code: number, value: Uint8Array | null): Uint8Array {
  const parsed = parseDhcp(bytes);
  if (!parsed.ok) throw new Error('fixture');
  if (value) parsed.packet.options.set(code, value);
  else parsed.packet.options.delete(code);
  return buildDhcp(parsed.packet);
}

describe('full mode', () => {
  it('offers an address, next-server and the BIOS loader on the first DISCOVER of an enrolled PXE client', () => {
    const outcome = responder('full').handle(broadcast(dhclientDiscover), 0);
    const offer = replyOf(outcome);
    expect(offer.yiaddr).toBe('10.77.0.100');
    expect(offer.siaddr).toBe(SERVER);
    expect(offer.file).toBe('undionly.kpxe');
    expect(readText(offer.options.get(Option.bootFileName))).toBe('undionly.kpxe');
    expect(readIp(offer.options.get(Option.serverId))).toBe(SERVER);
    expect(readIp(offer.options.get(Option.router))).toBe('10.77.0.1');
    expect(outcome.reply?.to).toEqual({ address: '255.255.255.255', port: 68 });
  });

  it('chooses the UEFI x64 loader for arch 7', () => {
    expect(replyOf(responder('full').handle(broadcast(udhcpcDiscover), 0)).file).toBe('snponly.efi');
  });

  it('hands a client that already runs iPXE the HTTP URL of its script, never the loader again', () => {
    const offer = replyOf(responder('full').handle(broadcast(ipxeDiscover), 0));
    expect(readText(offer.options.get(Option.bootFileName))).toBe(`http://${SERVER}:8080/ipxe/${IPXE_MAC}`);
  });

  it('tells iPXE not to wait for ProxyDHCP offers (175.176 no-pxedhcp), and only iPXE', () => {
    const toIpxe = replyOf(responder('full').handle(broadcast(ipxeDiscover), 0));
    expect(readSubOptions(toIpxe.options.get(Option.ipxeEncapsulated))?.get(176)).toEqual(u8(1));
    const toRom = replyOf(responder('full').handle(broadcast(dhclientDiscover), 0));
    expect(toRom.options.has(Option.ipxeEncapsulated)).toBe(false);
  });

  it('offers the static reservation of an enrolled node', () => {
    expect(replyOf(responder('full').handle(broadcast(ipxeDiscover), 0)).yiaddr).toBe('10.77.0.20');
  });

  it('ignores unknown machines by default', () => {
    const outcome = responder('full', 'enrolled', []).handle(broadcast(dhclientDiscover), 0);
    expect(outcome.reply).toBeNull();
    expect(outcome.events).toContainEqual({ type: 'request-ignored', mac: DHCLIENT_MAC, reason: 'unknown-machine' });
  });

  it('answers every PXE client when the operator chose to', () => {
    const outcome = responder('full', 'all-pxe', []).handle(broadcast(dhclientDiscover), 0);
    expect(replyOf(outcome).file).toBe('undionly.kpxe');
  });

  it('does not answer an unknown client that is not PXE even when answering every PXE client', () => {
    const plain = withOption(dhclientDiscover, Option.vendorClass, null);
    const outcome = responder('full', 'all-pxe', []).handle(broadcast(plain), 0);
    expect(outcome.events).toContainEqual({ type: 'request-ignored', mac: DHCLIENT_MAC, reason: 'not-pxe' });
  });

  it('gives an enrolled machine that is not PXE booting (the deploy agent) an address without a boot file', () => {
    const plain = withOption(dhclientDiscover, Option.vendorClass, null);
    const offer = replyOf(responder('full').handle(broadcast(plain), 0));
    expect(offer.yiaddr).toBe('10.77.0.100');
    expect(offer.file).toBe('');
    expect(offer.options.has(Option.bootFileName)).toBe(false);
  });

  it('emits a pxe-request event with MAC, UUID, arch and vendor class for every PXE DISCOVER', () => {
    const outcome = responder('full', 'enrolled', []).handle(broadcast(dhclientDiscover), 0);
    expect(outcome.events[0]).toEqual({
      type: 'pxe-request',
      mac: DHCLIENT_MAC,
      uuid: '89abcdef-0123-4567-89ab-cdef01234567',
      arch: 'bios',
      archCode: 0,
      vendorClass: 'PXEClient:Arch:00000:UNDI:002001',
      userClass: null,
      isIpxe: false,
      messageType: 'discover',
      port: 67,
    });
  });

  it('acknowledges a REQUEST for the offered address and reports the lease', () => {
    const server = responder('full');
    const request = withOption(dhclientRequest, Option.requestedAddress, ipList(['10.77.0.100']));
    const outcome = server.handle(broadcast(request), 1000);
    const ack = replyOf(outcome);
    expect(ack.options.get(Option.messageType)).toEqual(u8(5));
    expect(ack.yiaddr).toBe('10.77.0.100');
    expect(ack.file).toBe('undionly.kpxe');
    expect(outcome.leasesChanged).toBe(true);
    expect(outcome.events).toContainEqual({
      type: 'lease-granted',
      mac: DHCLIENT_MAC,
      nodeId: 'node-1',
      address: '10.77.0.100',
      expiresAt: new Date(1000 + 3600_000).toISOString(),
    });
  });

  it('answers NAK to a REQUEST for an address outside the pool', () => {
    const request = withOption(dhclientRequest, Option.requestedAddress, ipList(['192.0.2.7']));
    const nak = replyOf(responder('full').handle(broadcast(request), 0));
    expect(nak.options.get(Option.messageType)).toEqual(u8(6));
    expect(nak.yiaddr).toBe('0.0.0.0');
  });

  it('stays silent and frees the offer when the client chose another server', () => {
    const server = responder('full');
    server.handle(broadcast(dhclientDiscover), 0);
    const request = withOption(dhclientRequest, Option.serverId, ipList(['10.77.0.254']));
    const outcome = server.handle(broadcast(request), 1);
    expect(outcome.reply).toBeNull();
    expect(outcome.events).toContainEqual({ type: 'request-ignored', mac: DHCLIENT_MAC, reason: 'other-server-chosen' });
  });

  it('ignores requests that came through a relay', () => {
    const parsed = parseDhcp(dhclientDiscover);
    if (!parsed.ok) throw new Error('fixture');
    parsed.packet.giaddr = '10.9.9.1';
    const outcome = responder('full').handle(broadcast(buildDhcp(parsed.packet)), 0);
    expect(outcome.events).toContainEqual({ type: 'request-ignored', mac: DHCLIENT_MAC, reason: 'relayed' });
  });

  it('reports a malformed datagram instead of failing', () => {
    const outcome = responder('full').handle(broadcast(Uint8Array.of(1, 2, 3)), 0);
    expect(outcome.reply).toBeNull();
    expect(outcome.events[0]).toMatchObject({ type: 'packet-rejected', from: '0.0.0.0:68' });
  });
});

describe('proxy mode', () => {
  it('offers no address but the boot file, option 60 PXEClient, discovery control and the echoed UUID', () => {
    const offer = replyOf(responder('proxy').handle(broadcast(dhclientDiscover), 0));
    expect(offer.yiaddr).toBe('0.0.0.0');
    expect(offer.siaddr).toBe(SERVER);
    expect(offer.file).toBe('undionly.kpxe');
    expect(readText(offer.options.get(Option.vendorClass))).toBe('PXEClient');
    expect(readSubOptions(offer.options.get(Option.vendorSpecific))?.get(6)).toEqual(u8(8));
    expect(offer.options.get(Option.clientUuid)).toEqual(Uint8Array.from(Buffer.from('0089abcdef0123456789abcdef01234567', 'hex')));
    expect(offer.options.has(Option.leaseTime)).toBe(false);
  });

  it('leaves the REQUEST on port 67 to the server that hands out addresses', () => {
    const outcome = responder('proxy').handle(broadcast(dhclientRequest), 0);
    expect(outcome.reply).toBeNull();
  });

  it('acknowledges a boot server REQUEST on port 4011 back to the address it came from', () => {
    const datagram: Datagram = { bytes: dhclientRequest, from: { address: '10.77.0.111', port: 68 }, localPort: 4011, bootServerPort: true };
    const outcome = responder('proxy').handle(datagram, 0);
    const ack = replyOf(outcome);
    expect(ack.options.get(Option.messageType)).toEqual(u8(5));
    expect(ack.file).toBe('undionly.kpxe');
    expect(outcome.reply?.to).toEqual({ address: '10.77.0.111', port: 68 });
  });

  it('ignores clients that are not PXE', () => {
    const plain = withOption(dhclientDiscover, Option.vendorClass, null);
    expect(responder('proxy').handle(broadcast(plain), 0).reply).toBeNull();
  });
});
