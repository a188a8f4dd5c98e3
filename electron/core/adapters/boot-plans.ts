import type { BootNetwork, BootPlan, BootSignal } from '../../deploy/ports';
import type { BootActivity, BootSpec, Booter } from '../../pxe/booter';
import type { ProvisioningServices } from '../../pxe/provisioning-services';

/** What the deploy engine's network port needs of the running PXE services. */
export type BootServices = Pick<ProvisioningServices, 'captureMac' | 'onActivity' | 'agentBaseUrl'>;

/**
 * The deploy engine's boot plans, as the PXE services' `Booter`: a MAC boots the deploy ramdisk while a plan for it is
 * prepared, and nothing else boots. It speaks both sides' terms (the engine's `BootNetwork` port, pxe's `Booter`), so
 * neither pxe nor deploy imports the other: core, which composes them, holds it.
 */
export class BootPlans implements Booter {
  private readonly plans = new Map<string, BootPlan>();

  /**
   * @param claimed MACs bound to an enrolled node: capture never binds them to another one.
   * @param addressed MACs whose installed OS takes its address from our DHCP (a node set to DHCP in its instance settings).
   */
  constructor(
    private readonly claimed: (mac: string) => boolean,
    private readonly addressed: (mac: string) => boolean = () => false,
    private readonly inUse: () => ReadonlySet<string> = () => new Set(),
  ) {}

  shouldBoot(mac: string): boolean {
    return this.plans.has(mac);
  }

  bootSpec(mac: string): BootSpec | null {
    const plan = this.plans.get(mac);
    if (!plan) return null;
    const spec: BootSpec = { kernelUrl: plan.kernelUrlPath, initrdUrls: [plan.initrdUrlPath], cmdline: plan.kernelArgs.join(' ') };
    return plan.nicDriversUrlPath ? { ...spec, bootNicDriversUrl: plan.nicDriversUrlPath } : spec;
  }

  isClaimed(mac: string): boolean {
    return this.claimed(mac);
  }

  servesAddress(mac: string): boolean {
    return this.addressed(mac);
  }

  addressesInUse(): ReadonlySet<string> {
    return this.inUse();
  }

  /** The engine's port over these plans and the services that ask them; one per start of the services. */
  network(services: BootServices): BootNetwork {
    const watchers = new Map<string, Set<(signal: BootSignal) => void>>();
    services.onActivity((mac, activity) => {
      const signal = bootSignal(activity);
      for (const listener of watchers.get(mac) ?? []) listener(signal);
    });
    return {
      captureMac: (target, systemGuid, signal) => services.captureMac(target.nodeId, systemGuid, signal),
      prepare: (plan) => this.plans.set(plan.mac, plan),
      release: (mac) => this.plans.delete(mac),
      watch: (mac, listener) => {
        const set = watchers.get(mac) ?? new Set();
        set.add(listener);
        watchers.set(mac, set);
        return () => set.delete(listener);
      },
      get agentBaseUrl() {
        return services.agentBaseUrl;
      },
    };
  }
}

/** The kernel a plan names is the deploy ramdisk's. */
function bootSignal(activity: BootActivity): BootSignal {
  return activity.kind === 'kernel' ? { kind: 'ramdisk', file: activity.file } : activity;
}
