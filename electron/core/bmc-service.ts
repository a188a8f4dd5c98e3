import type { ChassisAction, SettableBootDevice } from '../../shared/ipmi';
import type { BmcTestResult, ConsoleOutput, DiscoveredBmc, RedfishTestResult } from '../../shared/bmc';
import type { BmcProtocol, BmcProtocolSeen, TlsTrust } from '../../shared/redfish';
import type { NodeStore } from '../inventory/node-store';
import { BmcPool, cidrHosts, discoverBmcs, SolConsole, type IpmiClient } from '../ipmi';
import {
  discoverRedfish,
  isPoweredOn,
  probeRedfish,
  RedfishPool,
  TlsCertificateChangedError,
  TlsUntrustedError,
  type PowerOrder,
  type RedfishClient,
  type RedfishTarget,
} from '../redfish';
import { DiscoveryTally, mergeDiscoveries } from './bmc-discovery';
import type { EventBus } from './event-bus';
import { UserFacingError } from '../lib/user-facing-error';
import { followPowerOrder, POWER_FOLLOW_DELAYS_MS, poweredOnAfter } from './power-follow';
import { credentialsProblem } from '../../shared/nodes';

export interface BmcCredentials {
  address: string;
  /** IPMI's UDP port. */
  port: number;
  user: string;
  password: string;
  protocol: BmcProtocol;
  redfishPort: number;
  redfishSystemId: string | null;
  tlsTrust: TlsTrust | null;
}

/** How long `auto` waits for an HTTPS answer before it tries IPMI. */
const AUTO_PROBE_MS = 2500;

const REDFISH_ORDERS: Record<ChassisAction, PowerOrder> = { on: 'on', off: 'off', cycle: 'restart', reset: 'restart', soft: 'soft-off' };

/**
 * IPMI's 16/20-byte limits, for credentials about to go over IPMI. The node store lets longer ones in for a node that
 * is Redfish or auto; where auto found no Redfish service, IPMI would cut the password short and the BMC would call it
 * wrong, so this says what happened instead.
 */
function fitForIpmi(credentials: BmcCredentials): BmcCredentials {
  const problem = credentialsProblem(credentials.user, credentials.password, 'ipmi');
  if (!problem) return credentials;
  const why = credentials.protocol === 'ipmi' ? '' : `No Redfish service answered at ${credentials.address}:${credentials.redfishPort}, so this BMC is driven over IPMI, and `;
  const sentence = `${why}${problem}.`;
  throw new UserFacingError(
    'bmc-credentials',
    `${sentence[0]!.toUpperCase()}${sentence.slice(1)} Turn on the BMC's Redfish (HTTPS) service or make it reachable from this laptop, or set shorter credentials on the BMC and here.`,
  );
}

/**
 * Power, boot device, console and discovery for enrolled nodes, over IPMI or Redfish as each node says: the BMC
 * layers seen through the inventory. `auto` resolves to the protocol that answered (Redfish first) and remembers it.
 */
export class BmcService {
  private readonly pool = new BmcPool();
  private readonly redfish = new RedfishPool();
  private readonly consoles = new Map<string, SolConsole>();

  constructor(
    private readonly nodes: NodeStore,
    private readonly bus: EventBus,
  ) {}

  credentials(nodeId: string): BmcCredentials {
    const node = this.nodes.get(nodeId);
    return {
      address: node.bmcAddress,
      port: node.bmcPort,
      user: node.bmcUser,
      password: this.nodes.passwordOf(nodeId),
      protocol: node.bmcProtocol === 'auto' && node.bmcProtocolSeen ? node.bmcProtocolSeen : node.bmcProtocol,
      redfishPort: node.redfishPort,
      redfishSystemId: node.redfishSystemId,
      tlsTrust: node.tlsTrust,
    };
  }

  /** The IPMI client of a node (SOL, retransmit events); for an IPMI node only. */
  client(nodeId: string): IpmiClient {
    return this.pool.getClient(fitForIpmi(this.credentials(nodeId)));
  }

  redfishClient(nodeId: string): RedfishClient {
    return this.redfish.client(redfishTarget(this.credentials(nodeId)));
  }

  /** The protocol a node is driven with; `auto` is settled by asking (and remembered on the node). */
  async protocolOf(nodeId: string): Promise<BmcProtocolSeen> {
    const credentials = this.credentials(nodeId);
    if (credentials.protocol !== 'auto') return credentials.protocol;
    const seen = await this.detect(credentials);
    await this.nodes.recordFacts(nodeId, { bmcProtocolSeen: seen });
    return seen;
  }

  private async detect(credentials: BmcCredentials): Promise<BmcProtocolSeen> {
    return (await probeRedfish(credentials.address, credentials.redfishPort, AUTO_PROBE_MS)) ? 'redfish' : 'ipmi';
  }

  /**
   * Logs in and reads identity, GUID and power; on an enrolled node, remembers the GUID for the MAC capture and the
   * protocol that answered. A Redfish BMC whose certificate is not trusted yet is not logged in to: the result
   * shows the certificate for the operator to trust.
   */
  async test(credentials: BmcCredentials, nodeId?: string): Promise<BmcTestResult> {
    const protocol = credentials.protocol === 'auto' ? await this.detect(credentials) : credentials.protocol;
    const result = protocol === 'redfish' ? await this.testRedfish(credentials) : await this.testIpmi(credentials);
    if (nodeId) {
      await this.nodes.recordFacts(nodeId, { bmcProtocolSeen: protocol, ...(result.powerOn === null ? {} : { systemGuid: result.systemGuid }) });
      if (result.powerOn !== null) this.bus.emit('power.changed', { nodeId, powerOn: result.powerOn });
    }
    return result;
  }

  private async testIpmi(credentials: BmcCredentials): Promise<BmcTestResult> {
    const client = this.pool.getClient(fitForIpmi(credentials));
    const deviceId = await client.getDeviceId();
    const guid = await client.getSystemGuid().catch(() => null);
    const status = await client.getChassisStatus();
    return { protocol: 'ipmi', deviceId, systemGuid: guid?.uuid ?? null, powerOn: status.powerOn, cipherSuite: client.session.cipherSuite };
  }

  private async testRedfish(credentials: BmcCredentials): Promise<RedfishTestResult> {
    const unknown = { system: null, systemGuid: null, powerOn: null, pinnedSha256: null, redfishVersion: null } as const;
    if (credentials.tlsTrust === null) {
      const probe = await probeRedfish(credentials.address, credentials.redfishPort, 10_000);
      if (!probe) {
        // Ask once more the ordinary way, so the operator gets the reason (refused, timed out, not Redfish…).
        await this.redfish.client(redfishTarget(credentials)).connection.serviceRoot();
      }
      return { protocol: 'redfish', ...unknown, certificate: probe?.certificate ?? null, trust: 'untrusted', redfishVersion: probe?.root.redfishVersion ?? null };
    }
    const client = this.redfish.client(redfishTarget(credentials));
    try {
      const view = await client.read();
      const { system } = view;
      return {
        protocol: 'redfish',
        certificate: client.connection.certificate,
        trust: 'trusted',
        pinnedSha256: null,
        redfishVersion: view.root.redfishVersion,
        system: {
          path: system.path,
          manufacturer: system.manufacturer,
          model: system.model,
          serialNumber: system.serialNumber,
          biosVersion: system.biosVersion,
          powerState: system.powerState,
          bootTargets: system.boot.allowedTargets,
          vendor: view.vendor,
          auth: client.connection.authKind ?? 'basic',
        },
        systemGuid: system.uuid,
        powerOn: isPoweredOn(system),
      };
    } catch (error) {
      if (error instanceof TlsCertificateChangedError) {
        return { protocol: 'redfish', ...unknown, certificate: error.certificate, trust: 'changed', pinnedSha256: error.pinned };
      }
      if (error instanceof TlsUntrustedError) return { protocol: 'redfish', ...unknown, certificate: error.certificate, trust: 'untrusted' };
      throw error;
    }
  }

  /**
   * Gives a power order and reports the state right after it; the state is read again in the background until the
   * BMC has carried the order out (followPowerOrder), so the window does not keep showing the state before it.
   */
  async power(nodeId: string, action: ChassisAction): Promise<boolean> {
    if ((await this.protocolOf(nodeId)) === 'redfish') await this.redfishClient(nodeId).power(REDFISH_ORDERS[action]);
    else await this.client(nodeId).chassisControl(action);
    const powerOn = await this.powerState(nodeId);
    const report = (now: boolean): void => this.bus.emit('power.changed', { nodeId, powerOn: now });
    void followPowerOrder(() => this.readPower(nodeId), report, {
      expected: poweredOnAfter(action),
      seen: powerOn,
      delaysMs: POWER_FOLLOW_DELAYS_MS,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref()),
    });
    return powerOn;
  }

  async powerState(nodeId: string): Promise<boolean> {
    const powerOn = await this.readPower(nodeId);
    this.bus.emit('power.changed', { nodeId, powerOn });
    return powerOn;
  }

  private async readPower(nodeId: string): Promise<boolean> {
    return (await this.protocolOf(nodeId)) === 'redfish'
      ? this.redfishClient(nodeId).powerOn()
      : (await this.client(nodeId).getChassisStatus()).powerOn;
  }

  async setBootDevice(nodeId: string, device: SettableBootDevice, persistent: boolean, efi: boolean): Promise<void> {
    if ((await this.protocolOf(nodeId)) === 'redfish') {
      if (device !== 'pxe' && device !== 'disk') {
        throw new UserFacingError('redfish-boot-device', `Over Redfish Rackboot sets only PXE or disk as the boot device, not ${device}.`);
      }
      await this.redfishClient(nodeId).setBootOverride({ device, persistent, mode: efi ? 'uefi' : 'bios' });
      return;
    }
    await this.client(nodeId).setBootDevice({ device, persistent, efi });
  }

  /** Scans a subnet for IPMI BMCs (RMCP+, UDP `port`) and Redfish services (HTTPS `redfishPort`) at once. */
  async discover(cidr: string, port: number, redfishPort: number): Promise<DiscoveredBmc[]> {
    const hosts = cidrHosts(cidr);
    const tally = new DiscoveryTally(hosts.length, 2);
    const probed = (address: string, found: unknown): void => this.bus.emit('bmc.discovery', { cidr, ...tally.record(address, found !== null) });
    const [ipmi, redfish] = await Promise.all([
      discoverBmcs(hosts, { port, onProbed: probed }),
      discoverRedfish(hosts, { port: redfishPort, onProbed: probed }),
    ]);
    return mergeDiscoveries(ipmi, redfish);
  }

  /** Opens the node's serial console (SOL); its output is pushed as `console.output` events until closed. */
  async openConsole(nodeId: string): Promise<void> {
    if (this.consoles.has(nodeId)) return;
    if ((await this.protocolOf(nodeId)) === 'redfish') {
      throw new UserFacingError(
        'console-ipmi-only',
        'The serial console is IPMI Serial-over-LAN, and this server is driven over Redfish: enable IPMI over LAN on its BMC and choose auto or IPMI to see its console.',
      );
    }
    const sol = await SolConsole.open(this.client(nodeId).session);
    this.consoles.set(nodeId, sol);
    const decoder = new TextDecoder('utf-8', { fatal: false });
    sol.on('data', (chunk: Buffer) => {
      const output: ConsoleOutput = { nodeId, data: decoder.decode(chunk, { stream: true }) };
      this.bus.emit('console.output', output);
    });
    const forget = (): void => {
      if (this.consoles.get(nodeId) === sol) this.consoles.delete(nodeId);
      this.bus.emit('console.closed', { nodeId });
    };
    sol.once('close', forget);
    sol.once('error', forget);
  }

  writeConsole(nodeId: string, data: string): void {
    const sol = this.consoles.get(nodeId);
    if (!sol) throw new UserFacingError('console-closed', 'The serial console is not open; open it first.');
    sol.write(Buffer.from(data, 'utf8'));
  }

  async closeConsole(nodeId: string): Promise<void> {
    const sol = this.consoles.get(nodeId);
    this.consoles.delete(nodeId);
    await sol?.deactivate();
  }

  async close(): Promise<void> {
    await Promise.all([...this.consoles.keys()].map((nodeId) => this.closeConsole(nodeId)));
    await Promise.all([this.pool.closeAll(), this.redfish.closeAll()]);
  }
}

function redfishTarget(credentials: BmcCredentials): RedfishTarget {
  return {
    address: credentials.address,
    port: credentials.redfishPort,
    user: credentials.user,
    password: credentials.password,
    trust: credentials.tlsTrust,
    systemId: credentials.redfishSystemId,
  };
}
