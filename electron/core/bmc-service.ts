import type { ChassisAction, DiscoveredBmc, SettableBootDevice } from '../../shared/ipmi';
import type { BmcTestResult, ConsoleOutput } from '../../shared/bmc';
import type { NodeStore } from '../inventory/node-store';
import { BmcPool, discoverBmcs, SolConsole, type IpmiClient } from '../ipmi';
import type { EventBus } from './event-bus';
import { UserFacingError } from '../lib/user-facing-error';

export interface BmcCredentials {
  address: string;
  port: number;
  user: string;
  password: string;
}

/** Power, boot device, console and discovery for enrolled nodes: the IPMI layer seen through the inventory. */
export class BmcService {
  private readonly pool = new BmcPool();
  private readonly consoles = new Map<string, SolConsole>();

  constructor(
    private readonly nodes: NodeStore,
    private readonly bus: EventBus,
  ) {}

  credentials(nodeId: string): BmcCredentials {
    const node = this.nodes.get(nodeId);
    return { address: node.bmcAddress, port: node.bmcPort, user: node.bmcUser, password: this.nodes.passwordOf(nodeId) };
  }

  client(nodeId: string): IpmiClient {
    return this.pool.getClient(this.credentials(nodeId));
  }

  /** Logs in and reads identity, GUID and power; on an enrolled node, remembers the GUID for the MAC capture. */
  async test(credentials: BmcCredentials, nodeId?: string): Promise<BmcTestResult> {
    const client = this.pool.getClient(credentials);
    const deviceId = await client.getDeviceId();
    const guid = await client.getSystemGuid().catch(() => null);
    const status = await client.getChassisStatus();
    if (nodeId) {
      await this.nodes.recordFacts(nodeId, { systemGuid: guid?.uuid ?? null });
      this.bus.emit('power.changed', { nodeId, powerOn: status.powerOn });
    }
    return { deviceId, systemGuid: guid?.uuid ?? null, powerOn: status.powerOn, cipherSuite: client.session.cipherSuite };
  }

  async power(nodeId: string, action: ChassisAction): Promise<boolean> {
    const client = this.client(nodeId);
    await client.chassisControl(action);
    const { powerOn } = await client.getChassisStatus();
    this.bus.emit('power.changed', { nodeId, powerOn });
    return powerOn;
  }

  async powerState(nodeId: string): Promise<boolean> {
    const { powerOn } = await this.client(nodeId).getChassisStatus();
    this.bus.emit('power.changed', { nodeId, powerOn });
    return powerOn;
  }

  async setBootDevice(nodeId: string, device: SettableBootDevice, persistent: boolean, efi: boolean): Promise<void> {
    await this.client(nodeId).setBootDevice({ device, persistent, efi });
  }

  discover(cidr: string, port: number): Promise<DiscoveredBmc[]> {
    return discoverBmcs(cidr, {
      port,
      onProgress: (progress) => this.bus.emit('bmc.discovery', { cidr, ...progress }),
    });
  }

  /** Opens the node's serial console (SOL); its output is pushed as `console.output` events until closed. */
  async openConsole(nodeId: string): Promise<void> {
    if (this.consoles.has(nodeId)) return;
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
    await this.pool.closeAll();
  }
}
