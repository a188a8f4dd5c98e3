import path from 'node:path';
import {
  DEFAULT_DEPLOY_SETTINGS,
  type BootMode,
  deploySettingsSchema,
  type DeployRecord,
  type DeploySettings,
  type ServicesConfig,
  type ServicesStatus,
} from '../../shared/deploy';
import type { BmcService } from './bmc-service';
import { UserFacingError } from '../lib/user-facing-error';
import type { EventBus } from './event-bus';
import { readJsonFile, removeStaleTemporaries, writeFileAtomic } from '../lib/atomic-file';
import type { NodeStore } from '../inventory/node-store';
import type { InventoryStore } from '../inventory/inventory-store';
import { ProvisioningServices, type ProvisioningEvent } from '../pxe/provisioning-services';
import type { PrivilegedUdpSource } from '../lib/udp-bind';
import { agentHttpHandler } from './adapters/agent-http';
import { driversHttpHandler } from './adapters/drivers-http';
import { BuiltinDrivers } from '../deploy/builtin-drivers';
import { findBuiltinRamdisk } from '../deploy/builtin-ramdisk';
import { BootPlans } from './adapters/boot-plans';
import { HttpRamdiskSource } from './adapters/http-ramdisk';
import { BmcPowerControl } from './adapters/bmc-power';
import { ReachableUpCheck } from './adapters/reachable-up-check';
import { SolMarkerUpCheck } from './adapters/sol-up-check';
import { ProtocolUpCheck } from './adapters/bmc-up-check';
import { AgentApi, type AgentRefusal } from '../deploy/agent-api';
import type { DeployLogLine, DeployStore } from '../deploy/deploy-store';
import type { ImageLibrary } from '../deploy/image-library';
import { Orchestrator } from '../deploy/orchestrator';
import { PhaseTimeout } from '../deploy/phase-timeouts';
import type { BootNetwork, CapturedMac, DeployTarget, PowerControl } from '../deploy/ports';
import { dhcpEventText } from './dhcp-event-text';

const SETTINGS_FILE = 'deploy-settings.json';

export interface DeployServiceDeps {
  dataDir: string;
  nodes: NodeStore;
  /** Where each node's inventory is kept (the agent reports it on every boot, deploy or inspection). */
  inventories: Pick<InventoryStore, 'save'>;
  images: ImageLibrary;
  store: DeployStore;
  bmc: BmcService;
  bus: EventBus;
  log(level: DeployLogLine['level'], source: string, message: string, nodeId?: string): void;
  /** Tests shorten every phase limit; the app uses 1. */
  timeoutScale?: number;
  /** Tests bind unprivileged ports; the app uses the standard ones. */
  ports?: { dhcp?: { server: number; bootServer: number; client: number }; tftp?: number };
  /** Where the services get ports 67, 69 and 4011 they may not bind: the network helper, when it made the change. */
  privilegedUdp?: () => Promise<PrivilegedUdpSource | null>;
  /** Tests stand in for the servers' BMCs; the app controls power over IPMI through `bmc`. */
  power?: PowerControl;
}

/** The deploy engine as the app runs it: the PXE services on the provisioning interface, the orchestrator, settings. */
export class DeployService {
  private services: ProvisioningServices | null = null;
  /** The engine's view of `services`: the boot plans they serve, what each planned MAC does, MAC capture. */
  private network: BootNetwork | null = null;
  private orchestrator: Orchestrator | null = null;
  private settings: DeploySettings = DEFAULT_DEPLOY_SETTINGS;
  /** The built-in ramdisk's drivers by the folder they were read from: opened once, on the first server that asks. */
  private drivers: { dir: string; opened: Promise<BuiltinDrivers> } | null = null;
  private config: ServicesConfig | null = null;
  private readonly power: PowerControl;
  /**
   * One agent API for the app's life, put on each boot HTTP server once, that hands reports to whichever orchestrator
   * is current: saving the settings replaces the orchestrator, and an agent must still find the job the new one offers.
   */
  private readonly agent = new AgentApi(
    (job, report) => this.orchestrator?.agentReport(job, report),
    (refusal) => this.agentRefused(refusal),
    (job, disk) => this.orchestrator?.configDrivePlan(job, disk) ?? { kind: 'none' },
  );

  constructor(private readonly deps: DeployServiceDeps) {
    this.power = deps.power ?? new BmcPowerControl(deps.bmc);
  }

  async load(): Promise<void> {
    await removeStaleTemporaries(path.join(this.deps.dataDir, SETTINGS_FILE));
    const saved = await readJsonFile(path.join(this.deps.dataDir, SETTINGS_FILE));
    // Settings saved before the built-in ramdisk existed hold `ramdisk: null` (none chosen): the built-in one now.
    const withRamdisk = saved && typeof saved === 'object' && (saved as { ramdisk?: unknown }).ramdisk === null ? { ...saved, ramdisk: { kind: 'builtin' } } : saved;
    const parsed = deploySettingsSchema.safeParse(withRamdisk);
    if (parsed.success) this.settings = parsed.data;
  }

  getSettings(): DeploySettings {
    return this.settings;
  }

  async setSettings(settings: DeploySettings): Promise<DeploySettings> {
    if (this.orchestrator && [...this.deps.nodes.list()].some((node) => this.orchestrator?.isRunning(node.id))) {
      throw new UserFacingError('deploy-running', 'Deploys are running; change the deploy settings once they have finished.');
    }
    await writeFileAtomic(path.join(this.deps.dataDir, SETTINGS_FILE), `${JSON.stringify(settings, null, 2)}\n`);
    this.settings = settings;
    if (this.services) this.orchestrator = this.buildOrchestrator(this.services);
    return settings;
  }

  status(): ServicesStatus {
    const services = this.services;
    return {
      running: services !== null,
      config: this.config,
      bootloaders: services
        ? { found: services.bootloaders.found.map((loader) => loader.servedName), advice: services.bootloaders.advice }
        : null,
    };
  }

  async startServices(config: ServicesConfig): Promise<ServicesStatus> {
    await this.stopServices();
    if (config.mode === 'full' && !config.pool) {
      throw new UserFacingError('pool-required', 'Full DHCP mode needs an address pool; set one, or choose proxy mode.');
    }
    const plans = new BootPlans(
      (mac) => this.deps.nodes.list().some((node) => node.mac === mac),
      (mac) => this.deps.nodes.list().some((node) => node.mac === mac && node.instance?.network.kind === 'dhcp'),
      // A BMC on the provisioning network answers at its address: a server leased it would lose its deploy to it.
      () => new Set(this.deps.nodes.list().map((node) => node.bmcAddress)),
    );
    const services = await ProvisioningServices.start(
      {
        ...config,
        stateDir: path.join(this.deps.dataDir, 'pxe'),
        dhcpPorts: this.deps.ports?.dhcp,
        tftpPort: this.deps.ports?.tftp,
      },
      {
        booter: plans,
        onEvent: (event) => this.report(event),
        privilegedUdp: (await this.deps.privilegedUdp?.()) ?? null,
      },
    );
    services.http.addRawHandler(agentHttpHandler(this.agent));
    services.http.addRawHandler(
      driversHttpHandler(
        () => this.builtinDrivers(),
        (message) => this.deps.log('error', 'deploy', `The built-in ramdisk's drivers could not be sent (${message}): run npm run ramdisk to build it again.`),
      ),
    );
    this.services = services;
    this.network = plans.network(services);
    this.config = config;
    this.orchestrator = this.buildOrchestrator(services);
    this.deps.log('info', 'pxe', `DHCP (${config.mode}), TFTP and HTTP are serving on ${config.interfaceName} (${config.address}).`);
    if (services.bootloaders.advice) this.deps.log('warn', 'pxe', services.bootloaders.advice);
    return this.status();
  }

  async stopServices(): Promise<ServicesStatus> {
    // First, so a running deploy fails with this reason, not with the broken transfers the stop makes.
    this.orchestrator?.servicesStopping();
    const services = this.services;
    this.services = null;
    this.network = null;
    this.config = null;
    this.orchestrator = null;
    if (services) {
      await services.stop();
      this.deps.log('info', 'pxe', 'Network boot services stopped.');
    }
    return this.status();
  }

  async start(nodeIds: string[], imageId: string): Promise<DeployRecord[]> {
    const orchestrator = this.requireOrchestrator();
    // An unknown id fails here, before a deploy record or a log file is written under its name.
    for (const nodeId of nodeIds) this.deps.nodes.get(nodeId);
    const records: DeployRecord[] = [];
    for (const nodeId of nodeIds) records.push(await orchestrator.start(nodeId, imageId));
    return records;
  }

  /** Boots the node into the agent to collect its inventory, then powers it off; nothing is written. */
  async inspect(nodeId: string): Promise<DeployRecord> {
    const orchestrator = this.requireOrchestrator();
    if (!this.settings.ramdisk) {
      throw new UserFacingError('ramdisk-missing', 'Choose the deploy ramdisk source (kernel and initrd) in the Image step first: Inspect boots it.');
    }
    this.deps.nodes.get(nodeId);
    if (orchestrator.isRunning(nodeId)) throw new UserFacingError('deploy-running', 'A deploy or inspection of this node is running; wait for it or cancel it first.');
    return orchestrator.inspect(nodeId);
  }

  async cancel(nodeId: string): Promise<void> {
    await this.orchestrator?.cancel(nodeId);
  }

  /** Publishes a line; a node's line is also kept in its deploy log on disk. */
  private nodeLog(level: DeployLogLine['level'], source: string, message: string, nodeId?: string): void {
    this.deps.log(level, source, message, nodeId);
    if (nodeId) void this.deps.store.appendLog(nodeId, { time: new Date().toISOString(), level, source, message }).catch(() => undefined);
  }

  /** The MAC step on its own: the engine's capture, then the server powered off again; a timeout in plain words. */
  async captureMac(nodeId: string, bootMode: BootMode): Promise<CapturedMac> {
    const orchestrator = this.requireOrchestrator();
    const target = this.target(nodeId);
    try {
      const captured = await orchestrator.captureMac(nodeId, bootMode, new AbortController().signal);
      await this.power.powerOff(target).catch(() => undefined);
      return captured;
    } catch (error: unknown) {
      if (error instanceof PhaseTimeout && error.phase === 'mac-captured') {
        throw new UserFacingError('capture-timeout', `No PXE request within ${Math.round(error.seconds)} s of power-on: is PXE enabled on NIC1 and the cable in the provisioning switch?`);
      }
      throw error;
    }
  }

  async close(): Promise<void> {
    for (const node of this.deps.nodes.list()) await this.orchestrator?.cancel(node.id);
    await this.stopServices();
  }

  private target(nodeId: string): DeployTarget {
    const node = this.deps.nodes.get(nodeId);
    return {
      nodeId,
      name: node.name,
      bmc: { address: node.bmcAddress, port: node.bmcPort, user: node.bmcUser, password: this.deps.nodes.passwordOf(nodeId) },
      mac: node.mac,
      instance: node.instance,
    };
  }

  private requireNetwork(): BootNetwork {
    if (!this.network) {
      throw new UserFacingError('services-stopped', 'Start the network boot services first (MAC or Boot step → Start services on the provisioning interface).');
    }
    return this.network;
  }

  /** The built-in ramdisk's drivers while the settings use it; null for a ramdisk that carries its own. */
  private async builtinDrivers(): Promise<BuiltinDrivers | null> {
    if (this.settings.ramdisk.kind !== 'builtin') return null;
    const builtin = await findBuiltinRamdisk();
    if (!('dir' in builtin)) return null;
    if (this.drivers?.dir !== builtin.drivers) {
      const opened = BuiltinDrivers.open(builtin.drivers);
      this.drivers = { dir: builtin.drivers, opened };
      opened.catch(() => {
        if (this.drivers?.opened === opened) this.drivers = null;
      });
    }
    return this.drivers.opened;
  }

  private requireOrchestrator(): Orchestrator {
    this.requireNetwork();
    return this.orchestrator!;
  }

  private buildOrchestrator(services: ProvisioningServices): Orchestrator {
    const settings = this.settings;
    const ramdisk = new HttpRamdiskSource(services.http, settings.ramdisk, path.join(this.deps.dataDir, 'cache'), this.deps.images);
    const orchestrator: Orchestrator = new Orchestrator(
      {
        store: this.deps.store,
        images: this.deps.images,
        nodes: {
          target: (nodeId) => this.target(nodeId),
          setMac: async (nodeId, mac) => {
            await this.deps.nodes.recordFacts(nodeId, { mac });
          },
          diskPolicy: (nodeId) => {
            const node = this.deps.nodes.get(nodeId);
            return { hints: node.rootDeviceHints, eraseTargetDisk: node.eraseTargetDisk, cleaning: node.cleaning };
          },
          eraseConfirmationUsed: async (nodeId) => {
            await this.deps.nodes.recordFacts(nodeId, { eraseTargetDisk: false });
          },
        },
        inventory: {
          record: async (nodeId, inventory) => (await this.deps.inventories.save(nodeId, inventory)).map((change) => change.text),
        },
        power: this.power,
        network: this.requireNetwork(),
        ramdisk,
        agent: this.agent,
        upCheck: new ReachableUpCheck(
          new ProtocolUpCheck(this.deps.bmc, new SolMarkerUpCheck(this.deps.bmc, this.deps.bus, new RegExp(settings.upMarker))),
          new SolMarkerUpCheck(this.deps.bmc, this.deps.bus, /(?!)/),
          (mac) => services.leasedAddress(mac),
        ),
        onChange: (record) => this.deps.bus.emit('deploy.changed', record),
        onLog: (nodeId, line) => this.deps.log(line.level, line.source, line.message, nodeId),
      },
      { concurrency: settings.concurrency, powerOnSpacingMs: 2000, timeoutScale: this.deps.timeoutScale ?? 1, disk: settings.disk },
    );
    return orchestrator;
  }

  /** Every refused agent request goes to the log of the node whose MAC it named, and to the deploy waiting for it. */
  private agentRefused(refusal: AgentRefusal): void {
    const nodeId = this.nodeOfMac(refusal.mac) ?? undefined;
    const asker = refusal.mac ? `the deploy agent of ${refusal.mac}` : 'a deploy agent request naming no MAC';
    this.nodeLog('warn', 'agent', `Refused ${asker} (${refusal.endpoint}, HTTP ${refusal.status}): ${refusal.reason}.`, nodeId);
    if (refusal.mac) this.orchestrator?.agentRefused(refusal.mac, refusal.reason);
  }

  private nodeOfMac(mac: string | null): string | null {
    if (!mac) return null;
    return this.deps.nodes.list().find((node) => node.mac === mac)?.id ?? null;
  }

  private report(event: ProvisioningEvent): void {
    if (event.kind === 'warning') {
      this.deps.log('warn', 'pxe', event.message);
      return;
    }
    if (event.kind === 'transfer') {
      const transfer = event.event;
      const mac = transfer.kind === 'http-transfer' ? transfer.mac : null;
      const file = transfer.kind === 'http-transfer' ? transfer.path : transfer.file;
      this.deps.bus.emit('transfer.progress', {
        nodeId: this.nodeOfMac(mac),
        mac,
        protocol: transfer.kind === 'http-transfer' ? 'http' : 'tftp',
        file,
        bytes: transfer.bytes,
        total: transfer.total,
        phase: transfer.phase,
      });
      if (transfer.phase === 'started' || transfer.phase === 'done' || transfer.phase === 'failed' || transfer.phase === 'refused') {
        const level = transfer.phase === 'failed' || transfer.phase === 'refused' ? 'warn' : 'debug';
        const who = transfer.kind === 'http-transfer' ? (transfer.mac ?? transfer.client.address) : transfer.client.address;
        this.nodeLog(level, transfer.kind === 'http-transfer' ? 'http' : 'tftp', `${transfer.phase} ${file} for ${who} (${transfer.bytes} bytes)${transfer.error ? `: ${transfer.error}` : ''}`, this.nodeOfMac(mac) ?? undefined);
      }
      return;
    }
    if (event.kind === 'capture') {
      this.deps.bus.emit('capture.bound', event.event);
      return;
    }
    // The advertiser's failure already came as a warning; its other state changes are not the technician's concern.
    if (event.kind === 'router-advertiser') return;
    const dhcp = event.event;
    const nodeId = 'mac' in dhcp ? this.nodeOfMac(dhcp.mac) : null;
    this.nodeLog(dhcp.type === 'packet-rejected' ? 'warn' : 'info', 'dhcp', dhcpEventText(dhcp), nodeId ?? undefined);
  }
}

