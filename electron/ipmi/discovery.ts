import { createSocket, type RemoteInfo } from 'node:dgram';
import type { DiscoveredIpmiBmc, DiscoveryProgress } from '../../shared/ipmi';
import {
  decodeChannelAuthCapabilities,
  getChannelAuthCapabilitiesRequest,
  getChannelCipherSuitesRequest,
  type ChannelAuthCapabilities,
} from './codec/app-commands';
import type { IpmiRequest, IpmiResponse } from './codec/message';
import { decodePreSessionResponse, encodePreSessionRequest, listCipherSuites, type PreSessionWrapper } from './codec/pre-session';
import { PrivilegeLevel } from './codec/rakp';
import { decodePresencePong, encodePresencePing, RmcpClass, rmcpClassOf } from './codec/rmcp';

export interface DiscoveryOptions {
  readonly port?: number;
  /** Hosts probed per second; BMC networks are often slow management VLANs. */
  readonly ratePerSecond?: number;
  /** How long one host gets to answer each try. */
  readonly timeoutMs?: number;
  /** Extra tries for a silent host (UDP gets lost). */
  readonly retries?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: DiscoveryProgress) => void;
  readonly onFound?: (bmc: DiscoveredIpmiBmc) => void;
  /** Each address once its probe ended, with what answered there (null: no IPMI BMC). */
  readonly onProbed?: (address: string, bmc: DiscoveredIpmiBmc | null) => void;
}

const MAX_HOSTS = 65_536;

/** Every usable host address of an IPv4 CIDR (network and broadcast excluded below /31). */
export function cidrHosts(cidr: string): string[] {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(cidr.trim());
  if (!match) throw new RangeError(`"${cidr}" is not an IPv4 range like 10.1.91.0/24`);
  const octets = match.slice(1, 5).map(Number);
  if (octets.some((octet) => octet > 255)) throw new RangeError(`"${cidr}" has an octet above 255`);
  const prefix = match[5] === undefined ? 32 : Number(match[5]);
  if (prefix > 32 || 2 ** (32 - prefix) > MAX_HOSTS) throw new RangeError(`"${cidr}" is larger than a /16; scan a smaller range`);
  const base = octets.reduce((value, octet) => value * 256 + octet, 0);
  const size = 2 ** (32 - prefix);
  const network = base - (base % size);
  const first = size > 2 ? network + 1 : network;
  const last = size > 2 ? network + size - 2 : network + size - 1;
  const hosts: string[] = [];
  for (let value = first; value <= last; value += 1) {
    hosts.push([24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.'));
  }
  return hosts;
}

type Answer = { kind: 'pong' } | { kind: 'ipmi'; response: IpmiResponse };

function decodeAnswer(datagram: Buffer): Answer | null {
  const messageClass = rmcpClassOf(datagram);
  if (!messageClass.ok) return null;
  if (messageClass.value === RmcpClass.Asf) return decodePresencePong(datagram).ok ? { kind: 'pong' } : null;
  const response = decodePreSessionResponse(datagram);
  return response.ok ? { kind: 'ipmi', response: response.value } : null;
}

/**
 * Finds BMCs in an address range with the two questions any BMC answers without credentials: the RMCP presence
 * ping and Get Channel Authentication Capabilities, then asks IPMI 2.0 ones for their cipher suites.
 * One socket for the whole scan, paced to `ratePerSecond`.
 */
export async function discoverBmcs(range: string | readonly string[], options: DiscoveryOptions = {}): Promise<DiscoveredIpmiBmc[]> {
  const hosts = typeof range === 'string' ? cidrHosts(range) : [...range];
  const port = options.port ?? 623;
  const interval = 1000 / Math.max(1, options.ratePerSecond ?? 200);
  const timeoutMs = options.timeoutMs ?? 1000;
  const retries = options.retries ?? 1;
  const socket = createSocket('udp4');
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.bind(0, resolve));
  const listeners = new Map<string, (answer: Answer) => void>();
  socket.on('message', (datagram: Buffer, from: RemoteInfo) => {
    const answer = decodeAnswer(datagram);
    if (answer) listeners.get(`${from.address}:${from.port}`)?.(answer);
  });

  let sequence = 0;
  const ask = (address: string, request: IpmiRequest, wrapper: PreSessionWrapper, withPing: boolean) =>
    new Promise<{ response: IpmiResponse; pong: boolean } | null>((resolve) => {
      sequence = (sequence % 63) + 1;
      const mySequence = sequence;
      const packet = encodePreSessionRequest(request, mySequence, wrapper);
      let pong = false;
      let tries = 0;
      let timer: NodeJS.Timeout;
      const key = `${address}:${port}`;
      const done = (result: { response: IpmiResponse; pong: boolean } | null) => {
        clearTimeout(timer);
        listeners.delete(key);
        resolve(result);
      };
      listeners.set(key, (answer) => {
        if (answer.kind === 'pong') pong = true;
        else if (answer.response.requestSequence === mySequence && answer.response.command === request.command) done({ response: answer.response, pong });
      });
      const send = () => {
        if (options.signal?.aborted) return done(null);
        if (withPing) socket.send(encodePresencePing(mySequence), port, address);
        socket.send(packet, port, address);
        timer = setTimeout(() => (tries++ < retries ? send() : done(null)), timeoutMs);
      };
      send();
    });

  const cipherSuites = async (address: string): Promise<number[]> =>
    (await listCipherSuites(async (index) => (await ask(address, getChannelCipherSuitesRequest(index), 'v2.0', false))?.response ?? null)) ?? [];

  const probe = async (address: string): Promise<DiscoveredIpmiBmc | null> => {
    const reply = await ask(address, getChannelAuthCapabilitiesRequest(PrivilegeLevel.Administrator), 'v1.5', true);
    if (!reply || reply.response.completionCode !== 0) return null;
    const capabilities = decodeChannelAuthCapabilities(reply.response.data);
    if (!capabilities.ok) return null;
    return describe(address, port, reply.pong, capabilities.value, capabilities.value.ipmi20 ? await cipherSuites(address) : []);
  };

  const found: DiscoveredIpmiBmc[] = [];
  let probed = 0;
  try {
    const probes: Array<Promise<void>> = [];
    for (const address of hosts) {
      if (options.signal?.aborted) break;
      probes.push(
        probe(address).then((bmc) => {
          probed += 1;
          options.onProbed?.(address, bmc);
          if (bmc) {
            found.push(bmc);
            options.onFound?.(bmc);
          }
          options.onProgress?.({ probed, total: hosts.length, found: found.length });
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, interval));
    }
    await Promise.all(probes);
  } finally {
    socket.close();
  }
  return found.sort((a, b) => compareAddresses(a.address, b.address));
}

function describe(address: string, port: number, pong: boolean, caps: ChannelAuthCapabilities, cipherSuites: number[]): DiscoveredIpmiBmc {
  return {
    address,
    port,
    answersPresencePing: pong,
    ipmiVersion: caps.ipmi20 ? '2.0' : '1.5',
    authTypes: [...caps.authTypes],
    anonymousLogin: caps.anonymousLogin,
    nullUserNames: caps.nullUserNames,
    kgRequired: caps.kgRequired,
    cipherSuites,
  };
}

function compareAddresses(a: string, b: string): number {
  const value = (address: string) => address.split('.').reduce((sum, octet) => sum * 256 + Number(octet), 0);
  return value(a) - value(b);
}
