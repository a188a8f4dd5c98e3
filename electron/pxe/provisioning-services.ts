import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { AnswerPolicy, CaptureBoundEvent, DhcpMode, DhcpServerEvent, RouterAdvertiserEvent } from '../../shared/pxe';
import type { PxeTransferEvent } from '../../shared/pxe-transfer';
import { netmaskOf } from '../lib/ipv4';
import type { BootActivity, Booter, CapturedClient } from './booter';
import { bootloaderFiles, findBootloaders, type BootloaderReport } from './bootloaders';
import { MacCapture, feedCapture } from './dhcp/capture';
import { createStandardPolicy } from './dhcp/policy';
import { DhcpServer, type DhcpPorts } from './dhcp/server';
import { HttpBootServer } from './http/server';
import { Listeners } from './listeners';
import { RouterAdvertiser } from './router-advertiser';
import { TftpServer } from './tftp/server';
import type { PrivilegedUdpSource } from '../lib/udp-bind';

export interface ProvisioningConfig {
  interfaceName: string;
  /** The laptop's address on the provisioning subnet; every service listens on it only. */
  address: string;
  prefixLength: number;
  mode: DhcpMode;
  /** Full mode: the addresses handed out. */
  pool?: { start: string; end: string } | undefined;
  answer: AnswerPolicy;
  httpPort: number;
  /** Leases and, unless `httpRoot` says otherwise, the HTTP root live here. */
  stateDir: string;
  /** The folder served over HTTP and TFTP; default `<stateDir>/http`. */
  httpRoot?: string | undefined;
  bootloaderDir?: string | undefined;
  /**
   * Answer IPv6 router solicitations with a harmless advertisement (router lifetime 0), so the ROM's iPXE does not wait
   * ~15 s for IPv6 before fetching its script. Needs dnsmasq (Linux).
   */
  routerAdvertisements: boolean;
  /** Tests run unprivileged ports; real servers use 67/68/4011 and 69. */
  dhcpPorts?: DhcpPorts | undefined;
  tftpPort?: number | undefined;
}

export type ProvisioningEvent =
  | { kind: 'warning'; message: string }
  | { kind: 'dhcp'; event: DhcpServerEvent }
  | { kind: 'transfer'; event: PxeTransferEvent }
  | { kind: 'capture'; event: CaptureBoundEvent }
  | { kind: 'router-advertiser'; event: RouterAdvertiserEvent };

/**
 * Rackboot's network boot on the provisioning interface: DHCP (full or proxy), TFTP for the iPXE loaders, HTTP for
 * scripts, kernels, images and the agent. What each MAC boots comes from one `Booter`: only MACs it says should boot
 * are answered, so an enrolled server that is not being deployed boots as it always does.
 */
export class ProvisioningServices {
  private readonly activity = new Listeners<{ mac: string; activity: BootActivity }>();
  private readonly captureWaiters = new Map<string, (captured: CapturedClient) => void>();
  private readonly stops: (() => void)[] = [];

  private constructor(
    private readonly booter: Booter,
    readonly config: ProvisioningConfig,
    readonly http: HttpBootServer,
    private readonly tftp: TftpServer,
    private readonly dhcp: DhcpServer,
    private readonly capture: MacCapture,
    readonly bootloaders: BootloaderReport,
    private readonly advertiser: RouterAdvertiser | null,
  ) {}

  static async start(
    config: ProvisioningConfig,
    options: {
      booter: Booter;
      onEvent(event: ProvisioningEvent): void;
      /** Where ports 67, 69 and 4011 come from when this process may not bind them: the privileged helper. */
      privilegedUdp?: PrivilegedUdpSource | null;
    },
  ): Promise<ProvisioningServices> {
    const { booter } = options;
    const httpRoot = config.httpRoot ?? path.join(config.stateDir, 'http');
    await mkdir(httpRoot, { recursive: true });
    const bootloaders = await findBootloaders(config.bootloaderDir ? { configuredDir: config.bootloaderDir } : {});
    let dhcp: DhcpServer | null = null;
    /** Which MAC has this address, from our leases: TFTP and HTTP requests carry no MAC of their own. */
    const macOfAddress = (address: string): string | null => dhcp?.leases().find((lease) => lease.address === address)?.mac ?? null;
    const http = new HttpBootServer({
      address: config.address,
      port: config.httpPort,
      root: httpRoot,
      bootTarget: (mac) => booter.bootSpec(mac),
      macForAddress: macOfAddress,
    });
    const tftp = new TftpServer({
      address: config.address,
      port: config.tftpPort ?? 69,
      root: httpRoot,
      extraFiles: bootloaderFiles(bootloaders.found),
      privilegedUdp: options.privilegedUdp ?? null,
    });
    await http.listen();
    try {
      await tftp.listen();
      if (tftp.engineProblem) options.onEvent({ kind: 'warning', message: tftp.engineProblem });
      const policy = createStandardPolicy({
        nodes: {
          findByMac: (mac) => (booter.shouldBoot(mac) ? { id: mac, mac } : booter.servesAddress?.(mac) ? { id: mac, mac, addressOnly: true } : null),
        },
        answer: config.answer,
        bootFiles: { bios: 'undionly.kpxe', uefiIa32: 'ipxe.efi', uefiX64: 'snponly.efi', uefiArm64: 'ipxe-arm64.efi' },
        tftpServer: config.address,
        ipxeScriptUrl: (mac) => http.nodeScriptUrl(mac),
      });
      const pool =
        config.mode === 'full' && config.pool
          ? { ...config.pool, subnetMask: netmaskOf(config.prefixLength), leaseSeconds: 3600, router: null, dnsServers: [] }
          : null;
      dhcp = new DhcpServer({
        settings: {
          interfaceName: config.interfaceName,
          serverAddress: config.address,
          mode: config.mode,
          answer: config.answer,
          pool,
          bootFiles: { bios: 'undionly.kpxe', uefiIa32: 'ipxe.efi', uefiX64: 'snponly.efi', uefiArm64: 'ipxe-arm64.efi' },
        },
        policy,
        leaseFile: config.mode === 'full' ? path.join(config.stateDir, 'leases.json') : null,
        privilegedUdp: options.privilegedUdp ?? null,
        addressesInUse: () => booter.addressesInUse?.() ?? new Set<string>(),
        ...(config.dhcpPorts ? { ports: config.dhcpPorts } : {}),
      });
      await dhcp.start();
      if (dhcp.interfaceFilterProblem) options.onEvent({ kind: 'warning', message: dhcp.interfaceFilterProblem });
    } catch (error) {
      await tftp.close();
      await http.close();
      throw error;
    }
    const capture = new MacCapture((mac) => booter.isClaimed(mac));
    let advertiser: RouterAdvertiser | null = null;
    if (config.routerAdvertisements) {
      advertiser = new RouterAdvertiser({ interfaceName: config.interfaceName });
      // Heard until the end, its last event (stopped) included: the listener goes with the advertiser.
      advertiser.onEvent((event) => options.onEvent({ kind: 'router-advertiser', event }));
      // Without it every boot is ~15 s slower, but it works: a failure is a warning, not a stop.
      await advertiser.start().catch((error: unknown) => {
        advertiser = null;
        options.onEvent({ kind: 'warning', message: error instanceof Error ? error.message : String(error) });
      });
    }
    const services = new ProvisioningServices(booter, config, http, tftp, dhcp, capture, bootloaders, advertiser);
    services.stops.push(
      dhcp.subscribe((event) => {
        options.onEvent({ kind: 'dhcp', event });
        if (event.type === 'pxe-request') services.signal(event.mac, { kind: 'dhcp' });
      }),
      feedCapture(dhcp, capture, (event) => {
        options.onEvent({ kind: 'capture', event });
        const matchedBy = event.match === 'first-new-mac-after-power-on' ? 'first-new-mac' : 'system-guid';
        services.captureWaiters.get(event.nodeId)?.({ mac: event.mac, matchedBy });
      }),
      tftp.onTransfer((event) => {
        options.onEvent({ kind: 'transfer', event });
        const mac = macOfAddress(event.client.address);
        if (mac && event.phase === 'done') services.signal(mac, { kind: 'bootloader', file: event.file });
      }),
      http.onTransfer((event) => {
        options.onEvent({ kind: 'transfer', event });
        if (!event.mac) return;
        const { path: file, phase, status, bytes, total, error } = event;
        services.signal(event.mac, { kind: 'http', transfer: event.id, path: file, phase, status, bytes, total, ...(error === undefined ? {} : { error }) });
        if (phase !== 'started') return;
        if (event.path.startsWith('/ipxe/')) services.signal(event.mac, { kind: 'bootloader', file: event.path });
        else if (event.path === booter.bootSpec(event.mac)?.kernelUrl) services.signal(event.mac, { kind: 'kernel', file: event.path });
      }),
    );
    return services;
  }

  get agentBaseUrl(): string {
    return this.http.serverOrigin;
  }

  /** Resolves with the MAC of the first PXE client that matches this machine, from now on. */
  captureMac(nodeId: string, systemGuid: string | null, signal: AbortSignal): Promise<CapturedClient> {
    return new Promise((resolve, reject) => {
      const finish = (): void => {
        this.capture.cancel(nodeId);
        this.captureWaiters.delete(nodeId);
      };
      this.captureWaiters.set(nodeId, (captured) => {
        finish();
        resolve(captured);
      });
      signal.addEventListener(
        'abort',
        () => {
          finish();
          reject(new Error('capture stopped'));
        },
        { once: true },
      );
      this.capture.start({ nodeId, systemGuid, poweredOnAt: Date.now() });
    });
  }

  /** Hears what each MAC the booter says should boot does; returns the unsubscribe. */
  /** The address our DHCP leased to this MAC (full mode), or null. */
  leasedAddress(mac: string): string | null {
    const wanted = mac.toLowerCase();
    return this.dhcp.leases().find((lease) => lease.mac.toLowerCase() === wanted)?.address ?? null;
  }

  onActivity(listener: (mac: string, activity: BootActivity) => void): () => void {
    return this.activity.add(({ mac, activity }) => listener(mac, activity));
  }

  async stop(): Promise<void> {
    for (const stop of this.stops.splice(0)) stop();
    await this.advertiser?.stop();
    await this.dhcp.stop();
    await this.tftp.close();
    await this.http.close();
  }

  private signal(mac: string, activity: BootActivity): void {
    if (this.booter.shouldBoot(mac)) this.activity.emit({ mac, activity });
  }
}
