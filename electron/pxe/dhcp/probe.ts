// Who else hands out addresses on the provisioning segment? Sends DISCOVERs from the interface, lists the OFFERs.
import { randomInt } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import type { DhcpProbeResult, OtherDhcpServer } from '../../../shared/pxe';
import {
  BOOTREQUEST,
  buildDhcp,
  DhcpMessageType,
  Option,
  parseDhcp,
  readIp,
  readText,
  u8,
} from './codec';
import { InterfaceSocket, interfaceAddressProblem } from './interface-socket';

export interface ProbeOptions {
  interfaceName: string;
  interfaceAddress: string;
  /** The interface's MAC (servers answer to it). */
  mac: string;
  /** Total listening time; servers that ping before offering (dnsmasq) need a second or more. */
  timeoutMs?: number;
  /** Our own server identifiers, so a running Rackboot does not count. */
  ignoreServerIds?: readonly string[];
  ports?: { server: number; client: number };
}

const RESEND_EVERY_MS = 1000;

export function buildProbeDiscover(mac: string, xid: number): Uint8Array {
  const chaddr = new Uint8Array(16);
  chaddr.set(mac.split(':').map((part) => parseInt(part, 16)));
  return buildDhcp({
    op: BOOTREQUEST,
    htype: 1,
    hlen: 6,
    hops: 0,
    xid,
    secs: 0,
    // Broadcast flag: we cannot receive a unicast OFFER to an address this interface does not have.
    flags: 0x8000,
    ciaddr: '0.0.0.0',
    yiaddr: '0.0.0.0',
    siaddr: '0.0.0.0',
    giaddr: '0.0.0.0',
    chaddr,
    sname: '',
    file: '',
    options: new Map([
      [Option.messageType, u8(DhcpMessageType.discover)],
      [Option.parameterList, Uint8Array.of(Option.subnetMask, Option.router, Option.dnsServers, Option.tftpServerName, Option.bootFileName)],
    ]),
  });
}

export async function probeDhcpServers(options: ProbeOptions): Promise<DhcpProbeResult> {
  const problem = interfaceAddressProblem(networkInterfaces(), options.interfaceName, options.interfaceAddress);
  if (problem) throw new Error(problem);
  const ports = options.ports ?? { server: 67, client: 68 };
  const timeoutMs = options.timeoutMs ?? 5000;
  const ignore = new Set(options.ignoreServerIds ?? []);
  const xid = randomInt(1, 0xffffffff);
  const found = new Map<string, OtherDhcpServer>();
  const socket = await InterfaceSocket.open({
    interfaceName: options.interfaceName,
    address: options.interfaceAddress,
    port: ports.client,
    hearBroadcasts: true,
    service: 'the DHCP probe',
  });
  socket.onMessage((bytes, from) => {
    const parsed = parseDhcp(bytes);
    if (!parsed.ok || parsed.packet.xid !== xid || parsed.packet.op !== 2) return;
    const offer = parsed.packet;
    if (offer.options.get(Option.messageType)?.[0] !== DhcpMessageType.offer) return;
    const serverId = readIp(offer.options.get(Option.serverId)) ?? from.address;
    if (ignore.has(serverId) || found.has(serverId)) return;
    found.set(serverId, {
      serverId,
      from: from.address,
      offeredAddress: offer.yiaddr,
      nextServer: offer.siaddr === '0.0.0.0' ? null : offer.siaddr,
      bootFile: offer.file || readText(offer.options.get(Option.bootFileName)) || null,
    });
  });
  const discover = buildProbeDiscover(options.mac, xid);
  const broadcast = { address: '255.255.255.255', port: ports.server };
  try {
    for (let elapsed = 0; elapsed < timeoutMs; elapsed += RESEND_EVERY_MS) {
      await socket.send(discover, broadcast);
      await new Promise((resolve) => setTimeout(resolve, Math.min(RESEND_EVERY_MS, timeoutMs - elapsed)));
    }
  } finally {
    await socket.close();
  }
  const servers = [...found.values()];
  const handsOutAddresses = servers.some((server) => server.offeredAddress !== '0.0.0.0');
  return { interface: options.interfaceName, servers, recommendedMode: handsOutAddresses ? 'proxy' : 'full' };
}
