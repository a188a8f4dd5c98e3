// Who else answers DHCP on the provisioning segment? Broadcasts a PXE client's DISCOVER — so proxyDHCP servers answer
// too, not only those that hand out addresses — from a socket tied to the interface, and lists the OFFERs. Port 68
// needs privileges: in the app the privileged helper runs it (NetworkExecutor.dhcpProbe); the network checks turn the
// offers into advice (electron/network/checks.ts).
import { randomInt } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import type { DhcpOffer } from '../../../shared/network';
import { BOOTREPLY, BOOTREQUEST, buildDhcp, DhcpMessageType, Option, parseDhcp, readIp, readText, text, u8 } from './codec';
import { InterfaceSocket, interfaceAddressProblem } from './interface-socket';

export interface ProbeOptions {
  interfaceName: string;
  /** The interface's IPv4 address; offers from it are our own services and do not count. */
  interfaceAddress: string;
  /** The interface's MAC (servers answer to it). */
  mac: string;
  /** How long to listen. Servers that ping an address before offering it (dnsmasq: 3 s) need more than that. */
  waitMs?: number;
  /** Tests use unprivileged ports. */
  ports?: { server: number; client: number };
}

export const PROBE_WAIT_MS = 4500;
const RESEND_EVERY_MS = 1000;
/** A BIOS PXE ROM's vendor class: proxyDHCP servers answer only PXE clients. */
const PXE_VENDOR_CLASS = 'PXEClient:Arch:00000:UNDI:002001';

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
      [Option.parameterList, Uint8Array.of(Option.subnetMask, Option.router, Option.serverId, Option.vendorClass, Option.bootFileName)],
      [Option.vendorClass, text(PXE_VENDOR_CLASS)],
      [Option.clientArch, Uint8Array.of(0, 0)],
    ]),
  });
}

/** The OFFER answering our DISCOVER `xid`, received from `from`; null for anything else (other clients, junk). */
export function readOffer(bytes: Uint8Array, xid: number, from: string): DhcpOffer | null {
  const parsed = parseDhcp(bytes);
  if (!parsed.ok || parsed.packet.op !== BOOTREPLY || parsed.packet.xid !== xid >>> 0) return null;
  const offer = parsed.packet;
  if (offer.options.get(Option.messageType)?.[0] !== DhcpMessageType.offer) return null;
  const proxy = offer.yiaddr === '0.0.0.0';
  return {
    server: readIp(offer.options.get(Option.serverId)) ?? from,
    offeredAddress: proxy ? null : offer.yiaddr,
    bootFile: readText(offer.options.get(Option.bootFileName)) || offer.file || null,
    proxy,
  };
}

export async function probeDhcpServers(options: ProbeOptions): Promise<DhcpOffer[]> {
  const problem = interfaceAddressProblem(networkInterfaces(), options.interfaceName, options.interfaceAddress);
  if (problem) throw new Error(problem);
  const ports = options.ports ?? { server: 67, client: 68 };
  const waitMs = options.waitMs ?? PROBE_WAIT_MS;
  const xid = randomInt(1, 0xffffffff);
  const found = new Map<string, DhcpOffer>();
  const socket = await InterfaceSocket.open({
    interfaceName: options.interfaceName,
    address: options.interfaceAddress,
    port: ports.client,
    hearBroadcasts: true,
    service: 'the DHCP probe',
  });
  socket.onMessage((bytes, from) => {
    const offer = readOffer(bytes, xid, from.address);
    // One server may make both kinds of offer (dnsmasq with an address range and a PXE service).
    if (offer && offer.server !== options.interfaceAddress) found.set(`${offer.server}/${offer.proxy}`, offer);
  });
  const discover = buildProbeDiscover(options.mac, xid);
  const broadcast = { address: '255.255.255.255', port: ports.server };
  try {
    // Sent again every second, as a ROM does: a server may drop the first DISCOVER while it checks an address.
    for (let elapsed = 0; elapsed < waitMs; elapsed += RESEND_EVERY_MS) {
      await socket.send(discover, broadcast);
      await new Promise((resolve) => setTimeout(resolve, Math.min(RESEND_EVERY_MS, waitMs - elapsed)));
    }
  } finally {
    await socket.close();
  }
  return [...found.values()];
}
