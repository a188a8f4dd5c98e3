// The DHCP service: sockets on the provisioning interface, the responder behind them, leases persisted, events out.
import { networkInterfaces } from 'node:os';
import type { DhcpServerEvent, DhcpSettings, Lease } from '../../../shared/pxe';
import { InterfaceSocket, interfaceAddressProblem } from './interface-socket';
import { LeasePool, loadLeases, saveLeases } from './leases';
import type { PrivilegedUdpSource } from '../../lib/udp-bind';
import type { BootPolicy } from './policy';
import { Responder, type UnstampedEvent } from './responder';

export interface DhcpPorts {
  /** 67 */
  server: number;
  /** 4011, proxy mode only */
  bootServer: number;
  /** 68 */
  client: number;
}

export const STANDARD_PORTS: DhcpPorts = { server: 67, bootServer: 4011, client: 68 };

export interface DhcpServerOptions {
  settings: DhcpSettings;
  policy: BootPolicy;
  /** Where full mode keeps its bindings; null keeps them in memory only. */
  leaseFile: string | null;
  ports?: DhcpPorts;
  /** Where ports 67/4011 come from when this process may not bind them (the privileged helper). */
  privilegedUdp?: PrivilegedUdpSource | null;
  /** Addresses on this network that something already has (enrolled servers' BMCs): never offered to a client. */
  addressesInUse?: () => ReadonlySet<string>;
  now?: () => number;
}

export type DhcpEventListener = (event: DhcpServerEvent) => void;

/** Junk on port 67 (a fuzzer, a broken device) must not flood the UI: rejections are summed over this period. */
const REJECTION_REPORT_MS = 1000;

export class DhcpServer {
  private readonly listeners = new Set<DhcpEventListener>();
  private readonly errorListeners = new Set<(error: Error) => void>();
  private readonly ports: DhcpPorts;
  private readonly now: () => number;
  private sockets: InterfaceSocket[] = [];
  private pool: LeasePool | null = null;
  private saving: Promise<void> = Promise.resolve();
  private saveQueued = false;
  private pendingRejection: Extract<UnstampedEvent, { type: 'packet-rejected' }> | null = null;
  private rejectionTimer: NodeJS.Timeout | null = null;

  constructor(private readonly options: DhcpServerOptions) {
    this.ports = options.ports ?? STANDARD_PORTS;
    this.now = options.now ?? Date.now;
    if (options.settings.mode === 'full' && !options.settings.pool) {
      throw new Error('Full DHCP mode needs an address pool (start, end, subnet mask); set one or choose proxy mode.');
    }
  }

  /** Every event the server reports; returns the unsubscribe function. */
  subscribe(listener: DhcpEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Socket or persistence failures after start. */
  onError(listener: (error: Error) => void): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  async start(): Promise<void> {
    const { settings, leaseFile } = this.options;
    const problem = interfaceAddressProblem(networkInterfaces(), settings.interfaceName, settings.serverAddress);
    if (problem) throw new Error(problem);
    if (settings.mode === 'full' && settings.pool) {
      const persisted = leaseFile ? await loadLeases(leaseFile) : [];
      const inUse = this.options.addressesInUse ?? (() => new Set<string>());
      this.pool = new LeasePool(settings.pool, () => new Set([settings.serverAddress, ...inUse()]), persisted);
    }
    const responder = new Responder(
      { mode: settings.mode, serverAddress: settings.serverAddress, pool: settings.pool, clientPort: this.ports.client },
      this.options.policy,
      this.pool,
    );
    const base = { interfaceName: settings.interfaceName, address: settings.serverAddress, privilegedUdp: this.options.privilegedUdp ?? null };
    try {
      const dhcp = await InterfaceSocket.open({ ...base, port: this.ports.server, hearBroadcasts: true, service: 'DHCP' });
      this.sockets.push(dhcp);
      this.serve(dhcp, responder, this.ports.server, false);
      if (settings.mode === 'proxy') {
        // Boot server requests are unicast to our address: no broadcast listener needed (or wanted) here.
        const bootServer = await InterfaceSocket.open({ ...base, port: this.ports.bootServer, hearBroadcasts: false, service: 'proxyDHCP boot server' });
        this.sockets.push(bootServer);
        this.serve(bootServer, responder, this.ports.bootServer, true);
      }
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  async stop(): Promise<void> {
    const sockets = this.sockets;
    this.sockets = [];
    await Promise.all(sockets.map((socket) => socket.close()));
    // Let events of datagrams already handled go out (and their leases be saved) before the final flush.
    await new Promise((resolve) => setImmediate(resolve));
    if (this.rejectionTimer) clearTimeout(this.rejectionTimer);
    this.rejectionTimer = null;
    this.flushRejections();
    await this.saving;
  }

  /** Set while running without the interface filter: why requests from other interfaces reach us too. */
  get interfaceFilterProblem(): string | null {
    return this.sockets.find((socket) => socket.filterProblem !== null)?.filterProblem ?? null;
  }

  /** Current bindings (full mode). */
  leases(): Lease[] {
    return this.pool?.bound(this.now()) ?? [];
  }

  private serve(socket: InterfaceSocket, responder: Responder, localPort: number, bootServerPort: boolean): void {
    socket.onError((error) => this.fail(error));
    socket.onMessage((bytes, from) => {
      const outcome = responder.handle({ bytes, from, localPort, bootServerPort }, this.now());
      if (outcome.reply) socket.send(outcome.reply.bytes, outcome.reply.to).catch((error: Error) => this.fail(error));
      // Listeners run after this turn of the event loop, when the reply has left: a PXE ROM never waits on the UI.
      setImmediate(() => {
        for (const event of outcome.events) this.emit(event);
        if (outcome.leasesChanged) this.persist();
      });
    });
  }

  private emit(event: UnstampedEvent): void {
    if (event.type === 'packet-rejected') return this.collectRejection(event);
    this.publish(event);
  }

  private collectRejection(event: Extract<UnstampedEvent, { type: 'packet-rejected' }>): void {
    const count = (this.pendingRejection?.count ?? 0) + event.count;
    this.pendingRejection = { ...event, count };
    if (this.rejectionTimer) return;
    // The first one is reported at once; the rest of the burst at the end of the period.
    this.flushRejections();
    this.rejectionTimer = setTimeout(() => {
      this.rejectionTimer = null;
      this.flushRejections();
    }, REJECTION_REPORT_MS);
  }

  private flushRejections(): void {
    if (!this.pendingRejection) return;
    const event = this.pendingRejection;
    this.pendingRejection = null;
    this.publish(event);
  }

  private publish(event: UnstampedEvent): void {
    const stamped = { ...event, time: new Date(this.now()).toISOString(), interface: this.options.settings.interfaceName } as DhcpServerEvent;
    for (const listener of this.listeners) listener(stamped);
  }

  private fail(error: Error): void {
    for (const listener of this.errorListeners) listener(error);
  }

  /** Coalesces bursts: at most one write running and one queued. */
  private persist(): void {
    const file = this.options.leaseFile;
    if (!file || !this.pool || this.saveQueued) return;
    this.saveQueued = true;
    this.saving = this.saving.then(async () => {
      this.saveQueued = false;
      await saveLeases(file, this.leases()).catch((error: Error) =>
        this.fail(new Error(`Could not save DHCP leases to ${file}: ${error.message}`)),
      );
    });
  }
}
