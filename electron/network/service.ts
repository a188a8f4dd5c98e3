import { randomUUID } from 'node:crypto';
import type dgram from 'node:dgram';
import os from 'node:os';
import type {
  NetworkApplyResult,
  NetworkInterface,
  NetworkPlan,
  NetworkPlanRequest,
  NetworkProgress,
  PendingNetworkChange,
} from '../../shared/network';
import { UserFacingError } from '../lib/user-facing-error';
import type { PrivilegedUdpRequest, PrivilegedUdpSource } from '../lib/udp-bind';
import { applyChange, undoChange, type ChangeContext } from './apply';
import { dhcpServerChecks, probeChecks } from './checks';
import { LocalExecutor, type DhcpProbe, type NetworkExecutor } from './executor';
import { HelperRefused } from './helper/client';
import type { HelperScope } from './helper/protocol';
import type { SystemNetworkState } from './interfaces';
import { NetworkJournal } from './journal';
import { interfacesFromOs, manualInstructions } from './manual';
import { buildPlan, findInterface, resolveRequest, staticChecks, type ResolvedRequest } from './plan';
import { detectTools, readNetworkState, type Tools } from './system-state';
import { runCommand, type CommandRunner } from '../lib/command-runner';

export interface NetworkServiceOptions {
  dataDir: string;
  /** Opens what carries out privileged work for one interface: the pkexec helper, or in-process when root. */
  openExecutor: (scope: HelperScope) => Promise<NetworkExecutor>;
  /** Lists the DHCP servers on a segment, for the plan's checks when this process may bind port 68 itself. */
  dhcpProbe: DhcpProbe;
  /** True when this process may probe (bind port 68) itself, i.e. runs as root. */
  privileged?: boolean;
  platform?: NodeJS.Platform;
  runner?: CommandRunner;
  tools?: Tools;
  onProgress?: (progress: NetworkProgress) => void;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

interface ReviewedPlan {
  request: NetworkPlanRequest;
  resolved: ResolvedRequest;
  plan: NetworkPlan;
}

const scopeKey = (scope: HelperScope): string => `${scope.interface}/${scope.bridge ?? ''}`;

/** The network part of the core: list interfaces, plan, apply, undo, and the privileged sockets the services need. */
export class NetworkService {
  private readonly runId = randomUUID();
  private readonly journal: NetworkJournal;
  private readonly plans = new Map<string, ReviewedPlan>();
  private executor: { key: string; executor: NetworkExecutor } | null = null;
  private tools: Tools | undefined;
  private readonly platform: NodeJS.Platform;

  constructor(private readonly options: NetworkServiceOptions) {
    this.journal = NetworkJournal.inDataDir(options.dataDir);
    this.tools = options.tools;
    this.platform = options.platform ?? process.platform;
  }

  private async detectedTools(): Promise<Tools> {
    this.tools ??= await detectTools();
    return this.tools;
  }

  private async readState(): Promise<SystemNetworkState> {
    return readNetworkState(this.options.runner ?? runCommand, { tools: await this.detectedTools() });
  }

  async interfaces(): Promise<NetworkInterface[]> {
    if (this.platform !== 'linux') return interfacesFromOs(os.networkInterfaces());
    return (await this.readState()).interfaces;
  }

  private async executorFor(scope: HelperScope): Promise<NetworkExecutor> {
    const key = scopeKey(scope);
    if (this.executor?.key === key) return this.executor.executor;
    if (this.executor) await this.executor.executor.close();
    this.executor = null;
    try {
      this.executor = { key, executor: await this.options.openExecutor(scope) };
    } catch (error) {
      if (error instanceof HelperRefused) {
        throw new UserFacingError('network-refused', `Rackboot's network helper refused to work on ${scope.interface}: ${error.message}`);
      }
      throw new UserFacingError(
        'needs-admin',
        `Rackboot needs administrator rights to change ${scope.interface} (${error instanceof Error ? error.message : String(error)}). ` +
          'Try again and enter the administrator password, or run the script shown under the plan with sudo.',
      );
    }
    return this.executor.executor;
  }

  private static scopeOf(resolved: Pick<ResolvedRequest, 'interface' | 'bridge'>): HelperScope {
    return { interface: resolved.interface, bridge: resolved.bridge?.name ?? null };
  }

  async plan(request: NetworkPlanRequest): Promise<NetworkPlan> {
    const id = randomUUID();
    const tools = await this.detectedTools();
    const resolved = resolveRequest(request, tools);
    if (this.platform !== 'linux') {
      const plan = this.manualPlan(id, request, resolved);
      this.plans.set(id, { request, resolved, plan });
      return plan;
    }
    const state = await this.readState();
    const checks = staticChecks(resolved, state);
    if (!checks.some((check) => check.severity === 'blocker')) {
      // Before the change, probe with what needs no password: the helper only if it is already running.
      const open = this.executor?.key === scopeKey(NetworkService.scopeOf(resolved)) ? this.executor.executor : null;
      const prober = open ?? new LocalExecutor(this.options.dhcpProbe, this.options.runner ?? runCommand);
      const privileged = open !== null || this.options.privileged === true;
      checks.push(...(await probeChecks(resolved, state, prober, tools, { dhcp: privileged })));
    }
    const plan = buildPlan(id, resolved, state, checks);
    this.plans.set(id, { request, resolved, plan });
    return plan;
  }

  private manualPlan(id: string, request: NetworkPlanRequest, resolved: ResolvedRequest): NetworkPlan {
    const plan = buildPlan(id, { ...resolved, mode: 'address-only', bridge: null }, { interfaces: [], routes: [], allRoutes: [], uplinks: new Map() }, []);
    return {
      ...plan,
      mode: 'address-only',
      checks: [
        {
          id: 'interface-missing',
          severity: 'info',
          message: `Rackboot cannot change the network on this system: run the commands below as administrator, then continue.${request.mode === 'bridge' ? ' (Bridge mode is Linux only; address only is enough here.)' : ''}`,
        },
      ],
      canApply: false,
      script: manualInstructions(this.platform, resolved.interface, resolved.address, resolved.subnet.prefixLength),
    };
  }

  private context(executor: NetworkExecutor): ChangeContext {
    return {
      executor,
      journal: this.journal,
      readState: () => this.readState(),
      runId: this.runId,
      onProgress: this.options.onProgress,
    };
  }

  /** Applies a plan the technician reviewed; refuses if the interface changed since, so what runs is what was shown. */
  async apply(planId: string): Promise<NetworkApplyResult> {
    const reviewed = this.plans.get(planId);
    if (!reviewed) throw new UserFacingError('plan-unknown', 'That plan is no longer known: review the network plan again.');
    if (!reviewed.plan.canApply) {
      throw new UserFacingError('plan-blocked', 'The plan has problems to fix first (see its checks): change the settings and review again.');
    }
    const { resolved, plan } = reviewed;
    const fresh = buildPlan(plan.id, resolved, await this.readState(), []);
    if (JSON.stringify(fresh.steps) !== JSON.stringify(plan.steps)) {
      throw new UserFacingError('plan-stale', `${plan.interface} changed since you reviewed the plan: review it again.`);
    }
    const executor = await this.executorFor(NetworkService.scopeOf(resolved));
    const after = await applyChange(resolved, plan.steps, this.context(executor));
    this.plans.clear();
    this.options.log?.('info', `Set up ${plan.interface}: ${plan.address}/${plan.prefixLength} on ${plan.serviceInterface}.`);
    const serviceInterface = findInterface(after, plan.serviceInterface);
    const mac = findInterface(after, plan.interface)?.mac;
    if (!serviceInterface) throw new UserFacingError('interface-missing', `${plan.serviceInterface} vanished right after setup.`);
    const checks = mac ? await dhcpServerChecks(executor, plan.serviceInterface, plan.address, mac) : [];
    for (const check of checks) this.options.log?.('warn', check.message);
    return { interface: serviceInterface, serviceInterface: plan.serviceInterface, checks };
  }

  /** Puts the provisioning interface back exactly as it was; `restored` is false when there was nothing to undo. */
  async undo(): Promise<{ restored: boolean }> {
    const journal = await this.journal.read();
    if (!journal) return { restored: false };
    const executor = await this.executorFor({ interface: journal.interface, bridge: journal.bridge?.name ?? null });
    const restored = await undoChange(this.context(executor));
    if (restored) this.options.log?.('info', `Put ${journal.interface} back as it was before Rackboot.`);
    return { restored };
  }

  async pendingChange(): Promise<PendingNetworkChange | null> {
    const journal = await this.journal.read();
    if (!journal) return null;
    return {
      interface: journal.interface,
      bridge: journal.bridge?.name ?? null,
      mode: journal.mode,
      address: journal.address,
      startedAt: journal.startedAt,
      phase: journal.phase,
      stepsStarted: journal.stepsStarted,
      stepsTotal: journal.stepsTotal,
      fromEarlierRun: journal.runId !== this.runId,
    };
  }

  /** Tells the technician, through the log, about a change a crashed run left behind. */
  async reportLeftover(): Promise<void> {
    const pending = await this.pendingChange();
    if (pending?.fromEarlierRun) {
      this.options.log?.(
        'warn',
        `An earlier run of Rackboot left ${pending.interface} changed (${pending.address}${pending.bridge ? ` on ${pending.bridge}` : ''}). Undo it from the Network step.`,
      );
    }
  }

  /** A socket on a privileged port for the DHCP/TFTP/proxyDHCP services, opened by the helper of the applied change. */
  async bindPrivilegedUdp(request: PrivilegedUdpRequest): Promise<dgram.Socket> {
    const journal = await this.journal.read();
    if (!journal) throw new UserFacingError('network-not-ready', 'Set up the provisioning network first.');
    const executor = await this.executorFor({ interface: journal.interface, bridge: journal.bridge?.name ?? null });
    return executor.bindUdp(request);
  }

  /**
   * Where the PXE services get ports 67, 69 and 4011 when they may not bind them: the helper that applied the
   * provisioning network change. null when Rackboot runs as root (it binds them itself) or made no change.
   */
  async privilegedUdpSource(): Promise<PrivilegedUdpSource | null> {
    if (this.options.privileged === true || !(await this.journal.read())) return null;
    return (request) => this.bindPrivilegedUdp(request);
  }

  /** On quit: undo this run's own change (a crashed run's change waits for the technician), then stop the helper. */
  async close(): Promise<void> {
    try {
      const journal = await this.journal.read();
      if (journal && journal.runId === this.runId) await this.undo();
    } finally {
      await this.executor?.executor.close();
      this.executor = null;
    }
  }
}
