// Decides what to do with one DHCP datagram: which reply, to where, and which events it makes. No sockets, no
// timers: the clock comes in as `now`, the pool is the only state it changes.
import type {
  AddressPool,
  DhcpMode,
  DhcpServerEvent,
  IgnoreReason,
  PxeRequestEvent,
} from '../../../shared/pxe';
import { buildDhcp, BOOTREQUEST, type DhcpPacket, parseDhcp } from './codec';
import type { Endpoint } from './interface-socket';
import type { LeasePool } from './leases';
import type { BootPolicy } from './policy';
import { buildFullReply, buildNak, buildProxyReply } from './reply';
import { type ClientRequest, describeRequest } from './request';

/** Events before the server stamps them with the time and the interface. */
export type UnstampedEvent = DhcpServerEvent extends infer E ? (E extends unknown ? Omit<E, 'time' | 'interface'> : never) : never;

export interface Outcome {
  reply: { bytes: Uint8Array; to: Endpoint } | null;
  events: UnstampedEvent[];
  /** True when bindings changed and should be persisted. */
  leasesChanged: boolean;
}

export interface ResponderConfig {
  mode: DhcpMode;
  serverAddress: string;
  /** Full mode only. */
  pool: AddressPool | null;
  clientPort: number;
}

export interface Datagram {
  bytes: Uint8Array;
  from: Endpoint;
  /** 67 for DHCP, 4011 for proxyDHCP boot server requests. */
  localPort: number;
  /** True on the proxyDHCP boot server port. */
  bootServerPort: boolean;
}

const BROADCAST = '255.255.255.255';

function nothing(events: UnstampedEvent[] = []): Outcome {
  return { reply: null, events, leasesChanged: false };
}

function ignored(mac: string, reason: IgnoreReason, events: UnstampedEvent[]): Outcome {
  return nothing([...events, { type: 'request-ignored', mac, reason }]);
}

/** The `pxe-request` event for a PXE client's DISCOVER/REQUEST/INFORM; null for anything else. */
export function pxeRequestEvent(client: ClientRequest, port: number): Omit<PxeRequestEvent, 'time' | 'interface'> | null {
  if (!client.isPxe) return null;
  const messageType = client.messageType;
  if (messageType !== 'discover' && messageType !== 'request' && messageType !== 'inform') return null;
  return {
    type: 'pxe-request',
    mac: client.mac,
    uuid: client.uuid,
    arch: client.arch,
    archCode: client.archCode,
    vendorClass: client.vendorClass,
    userClass: client.userClass,
    isIpxe: client.isIpxe,
    messageType,
    port,
  };
}

export class Responder {
  constructor(
    private readonly config: ResponderConfig,
    private readonly policy: BootPolicy,
    private readonly pool: LeasePool | null,
  ) {}

  handle(datagram: Datagram, now: number): Outcome {
    const parsed = parseDhcp(datagram.bytes);
    const from = `${datagram.from.address}:${datagram.from.port}`;
    const rejected = (reason: string) => nothing([{ type: 'packet-rejected', from, reason, count: 1 }]);
    if (!parsed.ok) return rejected(parsed.error.message);
    const packet = parsed.packet;
    if (packet.op !== BOOTREQUEST) return rejected('not a BOOTREQUEST');
    if (packet.htype !== 1 || packet.hlen !== 6) return rejected(`hardware type ${packet.htype}/${packet.hlen} is not Ethernet`);
    const client = describeRequest(packet);
    if (client.messageType === null) return rejected('no DHCP message type');
    const event = pxeRequestEvent(client, datagram.localPort);
    const seen: UnstampedEvent[] = event ? [event] : [];
    // One segment, no relays: a relayed request belongs to a network this server does not serve.
    if (client.giaddr !== '0.0.0.0') return ignored(client.mac, 'relayed', seen);
    return this.config.mode === 'proxy'
      ? this.proxy(packet, client, datagram, seen)
      : this.full(packet, client, now, seen);
  }

  private decide(client: ClientRequest) {
    return this.policy.lookup(client.mac, client.uuid, client.arch, client.isIpxe);
  }

  private broadcastTo(): Endpoint {
    return { address: BROADCAST, port: this.config.clientPort };
  }

  private proxy(packet: DhcpPacket, client: ClientRequest, datagram: Datagram, seen: UnstampedEvent[]): Outcome {
    const { serverAddress } = this.config;
    if (!client.isPxe) return ignored(client.mac, 'not-pxe', seen);
    const onBootPort = datagram.bootServerPort;
    if (!onBootPort && client.messageType !== 'discover') {
      // The REQUEST on port 67 is the client accepting the real DHCP server's address: not ours to answer.
      return ignored(client.mac, client.messageType === 'request' ? 'other-server-chosen' : 'unsupported-message', seen);
    }
    if (onBootPort && client.messageType !== 'request' && client.messageType !== 'inform') {
      return ignored(client.mac, 'unsupported-message', seen);
    }
    const decision = this.decide(client);
    // Proxy DHCP gives no addresses: a MAC that gets only an address is not its business.
    if (!decision?.boot) return ignored(client.mac, 'unknown-machine', seen);
    const type = onBootPort ? 'ack' : 'offer';
    const boot = decision.boot;
    const reply = buildProxyReply(packet, type, serverAddress, boot);
    // On 4011 the client has its address already and listens where it sent from.
    const to = onBootPort ? datagram.from : this.broadcastTo();
    return {
      reply: { bytes: buildDhcp(reply), to },
      events: [
        ...seen,
        { type: 'dhcp-reply', mac: client.mac, messageType: type, mode: 'proxy', nodeId: decision.nodeId, address: null, boot },
      ],
      leasesChanged: false,
    };
  }

  private full(packet: DhcpPacket, client: ClientRequest, now: number, seen: UnstampedEvent[]): Outcome {
    const pool = this.pool;
    const poolConfig = this.config.pool;
    if (!pool || !poolConfig) return nothing(seen);
    const { serverAddress } = this.config;
    const decision = this.decide(client);
    switch (client.messageType) {
      case 'discover': {
        if (!decision) return ignored(client.mac, 'unknown-machine', seen);
        if (!client.isPxe && decision.nodeId === null) return ignored(client.mac, 'not-pxe', seen);
        const address = pool.offer({
          mac: client.mac,
          nodeId: decision.nodeId,
          fixedAddress: decision.fixedAddress,
          requestedAddress: client.requestedAddress,
          now,
        });
        if (address === null) return ignored(client.mac, 'pool-exhausted', seen);
        const boot = client.isPxe ? decision.boot : null;
        const reply = buildFullReply(packet, { type: 'offer', serverAddress, address, pool: poolConfig, boot, ipxe: client.isIpxe });
        return {
          reply: { bytes: buildDhcp(reply), to: this.broadcastTo() },
          events: [...seen, { type: 'dhcp-reply', mac: client.mac, messageType: 'offer', mode: 'full', nodeId: decision.nodeId, address, boot }],
          leasesChanged: false,
        };
      }
      case 'request': {
        if (client.serverId !== null && client.serverId !== serverAddress) {
          const changed = pool.release(client.mac);
          return { ...ignored(client.mac, 'other-server-chosen', seen), leasesChanged: changed };
        }
        if (!decision) return ignored(client.mac, 'unknown-machine', seen);
        if (!client.isPxe && decision.nodeId === null) return ignored(client.mac, 'not-pxe', seen);
        const wanted = client.requestedAddress ?? (client.ciaddr !== '0.0.0.0' ? client.ciaddr : null);
        const lease =
          wanted === null
            ? null
            : pool.commit(client.mac, wanted, decision.nodeId, decision.fixedAddress, poolConfig.leaseSeconds, now);
        if (!lease) {
          return {
            reply: { bytes: buildDhcp(buildNak(packet, serverAddress)), to: this.broadcastTo() },
            events: [...seen, { type: 'dhcp-reply', mac: client.mac, messageType: 'nak', mode: 'full', nodeId: decision.nodeId, address: null, boot: null }],
            leasesChanged: false,
          };
        }
        const boot = client.isPxe ? decision.boot : null;
        const reply = buildFullReply(packet, { type: 'ack', serverAddress, address: lease.address, pool: poolConfig, boot, ipxe: client.isIpxe });
        // A renewing client (ciaddr set) has its address and listens on it; everyone else hears a broadcast.
        const to = client.ciaddr !== '0.0.0.0' ? { address: client.ciaddr, port: this.config.clientPort } : this.broadcastTo();
        return {
          reply: { bytes: buildDhcp(reply), to },
          events: [
            ...seen,
            { type: 'dhcp-reply', mac: client.mac, messageType: 'ack', mode: 'full', nodeId: decision.nodeId, address: lease.address, boot },
            {
              type: 'lease-granted',
              mac: client.mac,
              nodeId: decision.nodeId,
              address: lease.address,
              expiresAt: new Date(lease.expiresAt).toISOString(),
            },
          ],
          leasesChanged: true,
        };
      }
      case 'release':
        return { ...nothing(seen), leasesChanged: client.serverId === serverAddress && pool.release(client.mac) };
      case 'decline':
        if (client.serverId === serverAddress && client.requestedAddress !== null) {
          pool.decline(client.mac, client.requestedAddress, now);
          return { ...nothing(seen), leasesChanged: true };
        }
        return nothing(seen);
      default:
        return ignored(client.mac, 'unsupported-message', seen);
    }
  }
}
