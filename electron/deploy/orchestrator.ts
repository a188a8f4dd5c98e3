import { randomBytes, randomUUID } from 'node:crypto';
import { DEPLOY_PHASES, type BootMode, type DeployPhase, type DeployRecord, type Image } from '../../shared/deploy';
import type { Inventory, InventoryDisk } from '../../shared/inventory';
import { chooseRootDisk, describeContents, unwritableReason, writeRefusal } from '../../shared/root-device';
import { describeSwitchPort } from '../../shared/inventory-text';
import type { AgentDisk, AgentJob, AgentReport, ConfigDrivePlan } from './agent-api';
import { parseInventoryReport, withLldpReport } from './inventory-report';
import { ConfigDriveJob } from './config-drive/config-drive-job';
import { readImageHead } from './config-drive/image-head';
import { ConfigDriveRefusal } from './config-drive/partition-table';
import type { DeployLogLine, DeployStore } from './deploy-store';
import { PHASE_LIMITS, PhaseTimeout } from './phase-timeouts';
import type { BootNetwork, BootSignal, CapturedMac, DeployTarget, DiskPolicy, InventoryRecorder, PowerControl, RamdiskSource, UpCheck } from './ports';
import { StallWatch } from './stall-watch';
import { initialRecord, retryPhase } from './state-machine';

export interface OrchestratorOptions {
  /** Deploys running at once; the rest wait their turn. */
  concurrency: number;
  /** Minimum time between two power-ons, so breakers and the MAC capture see one server at a time. */
  powerOnSpacingMs: number;
  /** Multiplies every phase limit (tests shorten them). */
  timeoutScale: number;
  /** A disk for every node without root device hints of its own (`/dev/sda`), or `auto`: the hints or the default rule. */
  disk: string;
  /** A wait that sees no progress for this long says so in the deploy log (again after twice as long, …). Default 10 s. */
  stallWarningMs?: number;
}

export interface OrchestratorDeps {
  store: DeployStore;
  images: { get(id: string): Image };
  nodes: {
    target(nodeId: string): DeployTarget;
    setMac(nodeId: string, mac: string): Promise<void>;
    diskPolicy(nodeId: string): DiskPolicy;
    /** The erase confirmation served one deploy: the next one onto a disk with data asks again. */
    eraseConfirmationUsed(nodeId: string): Promise<void>;
  };
  inventory: InventoryRecorder;
  power: PowerControl;
  network: BootNetwork;
  ramdisk: RamdiskSource;
  agent: { offer(job: AgentJob): void; withdraw(mac: string): void };
  upCheck: UpCheck;
  onChange(record: DeployRecord): void;
  onLog(nodeId: string, line: DeployLogLine): void;
}

const order = (phase: DeployPhase): number => DEPLOY_PHASES.indexOf(phase);

class Cancelled extends Error {}

/**
 * What a running deploy has seen from outside (DHCP, TFTP, HTTP, agent). The flow waits on it with a limit that
 * restarts whenever anything happens, so a slow but moving write is never mistaken for a stall.
 */
class PhaseWaiter {
  private reached: DeployPhase = 'enrolled';
  private wake: () => void = () => undefined;
  private failure: Error | null = null;
  verified = false;

  mark(phase: DeployPhase): void {
    if (order(phase) > order(this.reached)) {
      this.reached = phase;
      this.lastProgressAt = Date.now();
      for (const listener of this.activityListeners) listener();
    }
    this.wake();
  }

  hasReached(phase: DeployPhase): boolean {
    return order(this.reached) >= order(phase);
  }

  private readonly activityListeners = new Set<() => void>();
  /** When anything last moved: the limit of a wait counts from here, so a repeated report does not extend it. */
  private lastProgressAt = Date.now();

  activity(): void {
    this.lastProgressAt = Date.now();
    for (const listener of this.activityListeners) listener();
    this.wake();
  }

  /** Hears every sign of progress (a phase reached, new bytes); returns the unsubscribe. */
  onActivity(listener: () => void): () => void {
    this.activityListeners.add(listener);
    return () => this.activityListeners.delete(listener);
  }

  /** The first failure is the cause: what the agent reports after it (its result) must not hide it. */
  fail(error: Error): void {
    this.failure ??= error;
    this.wake();
  }

  /** Resolves when `done()` holds; throws the agent's failure, a cancel, or a timeout named after `phase`. */
  async until(done: () => boolean, phase: DeployPhase, seconds: number, signal: AbortSignal): Promise<void> {
    // Each wait has its whole limit from its start.
    this.lastProgressAt = Date.now();
    for (;;) {
      if (this.failure) throw this.failure;
      if (signal.aborted) throw new Cancelled();
      if (done()) return;
      const woke = await new Promise<boolean>((resolve) => {
        const finish = (value: boolean): void => {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          resolve(value);
        };
        const onAbort = (): void => finish(true);
        const timer = setTimeout(() => finish(false), Math.max(0, this.lastProgressAt + seconds * 1000 - Date.now()));
        this.wake = () => finish(true);
        signal.addEventListener('abort', onAbort, { once: true });
      });
      if (!woke) throw new PhaseTimeout(phase, seconds);
    }
  }
}

interface Running {
  controller: AbortController;
  waiter: PhaseWaiter;
  job: AgentJob | null;
  /** Null for an inspection: boot the agent, collect the inventory, power off, write nothing. */
  image: Image | null;
  /** The inventory the agent posted on this boot (with the LLDP neighbours once their report came). */
  inventory: Inventory | null;
  /** The agent's LLDP report came: its listening window ended, whether a switch spoke or not. */
  lldpReported: boolean;
  /** Storing the inventory with the node: once per boot, when the LLDP report comes or when the run ends without it. */
  inventoryStored: Promise<void> | null;
  /** The erase confirmation let this deploy write over a disk that held data (or was given): it is spent once written. */
  eraseConfirmed: boolean;
  /** Why the agent API last refused this deploy's MAC, and when: the agent did call, whatever the timeout says. */
  agentRefusal: string | null;
  /** Bytes on the disk as the agent last reported them. */
  agentWritten: number;
  /** How far into the image file the boot HTTP server has sent it (a resumed request starts past 0). */
  servedUpTo: number;
  /** The image response the agent asked for last: an earlier one it gave up on may end late, and tells nothing new. */
  imageTransfer: string | null;
  /** The config drive the agent writes after the image, when the node has instance settings. */
  configDrive: ConfigDriveJob | null;
}

/** A deploy (of `image`) or an inspection (null) before anything has happened. */
function newRun(image: Image | null): Running {
  return { controller: new AbortController(), waiter: new PhaseWaiter(), job: null, image, inventory: null, lldpReported: false, inventoryStored: null, eraseConfirmed: false, agentRefusal: null, agentWritten: 0, servedUpTo: 0, imageTransfer: null, configDrive: null };
}

/** The error's message; a silent-agent timeout after a refusal says the agent called, not that its NIC had no driver. */
function failureReason(error: unknown, run: Running): string {
  if (error instanceof PhaseTimeout && error.phase === 'agent-connected' && run.agentRefusal) {
    return `The deploy agent called but Rackboot refused it: ${run.agentRefusal}. The deploy log has every refused request; retry the deploy to boot the server afresh.`;
  }
  return error instanceof Error ? error.message : String(error);
}

const seconds = (ms: number): number => Math.round(ms / 1000);

/** Why a deploy stopped when the boot services did: how far the image got, when it was being written. */
function servicesStoppedReason(run: Running): string {
  const again = run.image ? 'start the boot services and deploy again' : 'start the boot services and inspect again';
  if (run.image && run.waiter.hasReached('writing-image')) {
    // The HTTP server reports what it sent in steps; what the agent wrote had been sent, whatever the last step said.
    const sent = Math.max(run.servedUpTo, run.agentWritten);
    return (
      `The image server (Rackboot's boot services) was stopped while the image was being written: ${sent} of ${run.image.dataSize} bytes ` +
      `had been sent and the agent reported ${run.agentWritten} written, so the disk holds a partial image. To finish, ${again}.`
    );
  }
  return `The network boot services were stopped before ${run.image ? 'the image was written' : 'the inspection finished'}: the server can no longer boot the agent or reach Rackboot. To finish, ${again}.`;
}

/** Drives many nodes from BMC credentials to a running installed OS, each through the state machine. */
export class Orchestrator {
  private readonly running = new Map<string, Running>();
  private readonly queue: (() => void)[] = [];
  private active = 0;
  private lastPowerOn = 0;

  constructor(
    private readonly deps: OrchestratorDeps,
    private readonly options: OrchestratorOptions,
  ) {}

  isRunning(nodeId: string): boolean {
    return this.running.has(nodeId);
  }

  /** Starts (or, for a failed or cancelled node, resumes) a deploy; returns once the record says running. */
  async start(nodeId: string, imageId: string): Promise<DeployRecord> {
    if (this.running.has(nodeId)) throw new Error('A deploy of this node is already running.');
    const image = this.deps.images.get(imageId);
    const previous = this.deps.store.get(nodeId);
    const resumable = previous && (previous.status === 'failed' || previous.status === 'cancelled') && previous.imageId === imageId;
    const from: DeployPhase = resumable ? retryPhase(previous) : 'enrolled';
    const now = new Date().toISOString();
    const record = await this.deps.store.apply(
      nodeId,
      { kind: 'start', deployId: randomUUID(), imageId, from, at: now },
      resumable ? previous : initialRecord(nodeId, now),
    );
    this.deps.onChange(record);
    const run = newRun(image);
    run.waiter.mark(from);
    this.running.set(nodeId, run);
    void this.whenTurn(() => this.drive(nodeId, run, from));
    return record;
  }

  /** Boots the node into the agent to collect its inventory, stores it, powers the server off; writes nothing. */
  async inspect(nodeId: string): Promise<DeployRecord> {
    if (this.running.has(nodeId)) throw new Error('A deploy or inspection of this node is already running.');
    const now = new Date().toISOString();
    const record = await this.deps.store.apply(nodeId, { kind: 'start', deployId: randomUUID(), imageId: null, from: 'enrolled', at: now }, initialRecord(nodeId, now));
    this.deps.onChange(record);
    const run = newRun(null);
    this.running.set(nodeId, run);
    void this.whenTurn(() => this.drive(nodeId, run, 'enrolled'));
    return record;
  }

  async cancel(nodeId: string): Promise<void> {
    const run = this.running.get(nodeId);
    if (!run) return;
    run.controller.abort();
  }

  /**
   * The boot services are being stopped (the operator, or a settings change that restarts them): every deploy or
   * inspection that still needs them — DHCP, the deploy kernel, the agent API, the image — fails now with the reason,
   * instead of waiting out its phase limit with stall warnings. One past the write (rebooting into its OS) needs none
   * of them and waits on this no more: it finishes.
   */
  servicesStopping(): void {
    for (const run of this.running.values()) run.waiter.fail(new Error(servicesStoppedReason(run)));
  }

  /** The agent API hands every accepted report here. */
  agentReport(job: AgentJob, report: AgentReport): void {
    const run = this.running.get(job.nodeId);
    if (!run || run.job?.token !== job.token) return;
    switch (report.kind) {
      case 'connected':
        this.reach(job.nodeId, run, 'agent-connected');
        break;
      case 'inventory':
        this.inventoryArrived(job, run, report.report);
        break;
      case 'lldp':
        this.lldpArrived(job.nodeId, run, report.report);
        break;
      case 'progress': {
        // Only new bytes are progress: an agent that keeps reporting the same count is stalled, not working.
        const moved = report.written > run.agentWritten;
        run.agentWritten = Math.max(run.agentWritten, report.written);
        void this.deps.store
          .apply(job.nodeId, { kind: 'progress', bytesWritten: report.written, bytesTotal: job.imageSize, at: new Date().toISOString() })
          .then((record) => this.deps.onChange(record));
        this.reach(job.nodeId, run, report.written >= job.imageSize ? 'verifying' : 'writing-image');
        if (moved) run.waiter.activity();
        break;
      }
      case 'log':
        // Words are not progress: an agent that can only say its download stalls must not keep the phase alive.
        this.log(job.nodeId, 'info', 'agent', report.line);
        break;
      case 'config-drive-written': {
        // check() answers null when every region read back as planned: no `??` here, it would turn that into a failure.
        const problem = run.configDrive ? run.configDrive.check(report.regions) : 'the agent reported a config drive it was never given';
        if (problem) run.waiter.fail(new Error(`The config drive was not written: ${problem}.`));
        else this.log(job.nodeId, 'info', 'agent', 'Config drive written and read back intact.');
        break;
      }
      case 'result':
        if (run.configDrive && !run.configDrive.written) {
          run.waiter.fail(new Error('The deploy agent reported the image without writing the config drive: the ramdisk carries an agent from an older Rackboot; rebuild the deploy ramdisk (Image step).'));
        } else if (run.image && report.sha256 === run.image.dataSha256) {
          this.log(job.nodeId, 'info', 'agent', `Image verified on disk (sha256 of its ${run.image.extentCount} data extents ${report.sha256}).`);
          run.waiter.verified = true;
          run.waiter.mark('verifying');
        } else {
          run.waiter.fail(
            new Error(
              `The disk does not hold the image: sha256 of the data extents read back ${report.sha256}, expected ${run.image?.dataSha256 ?? 'no image (inspection)'}. The download was cut or the disk is failing; retry, and check the disk if it happens again.`,
            ),
          );
        }
        break;
      case 'failed':
        run.waiter.fail(new Error(`The deploy agent failed: ${report.reason}`));
        break;
    }
  }

  /**
   * The agent's inventory: kept with the node, and for a deploy the target disk chosen from it (hints or the default
   * rule), checked (big enough, nothing on it unless erasing was confirmed) and named in the job before the agent
   * asks for it. A refusal fails the node here, before any byte is written.
   */
  private inventoryArrived(job: AgentJob, run: Running, report: string): void {
    const { nodeId } = job;
    let inventory: Inventory;
    // Failing here takes the job back at once: the agent asks for it right after, and must get no job, not a wait.
    const refuse = (reason: string): void => {
      this.deps.agent.withdraw(job.mac);
      run.waiter.fail(new Error(reason));
    };
    try {
      inventory = parseInventoryReport(report, new Date().toISOString());
    } catch (error) {
      refuse(`The agent's inventory could not be read (${error instanceof Error ? error.message : String(error)}); nothing was written. Retry; if it happens again, the ramdisk's agent and this Rackboot do not match.`);
      return;
    }
    run.inventory = inventory;
    this.reach(nodeId, run, 'agent-connected');
    this.log(nodeId, 'info', 'inventory', inventorySummary(inventory));
    if (job.action === 'inspect') {
      run.waiter.activity();
      return;
    }
    const policy = this.deps.nodes.diskPolicy(nodeId);
    const hints = policy.hints ?? (this.options.disk === 'auto' ? null : { name: this.options.disk });
    const choice = chooseRootDisk(inventory.disks, hints);
    if (!choice.ok) {
      refuse(`No disk to write to, nothing was written: ${choice.why}`);
      return;
    }
    this.log(nodeId, 'info', 'disk', `Target disk: ${choice.why}.`);
    const refusal = writeRefusal(choice.disk, job.virtualSize, policy.eraseTargetDisk);
    if (refusal) {
      refuse(`Refused to write the image: ${refusal}.`);
      return;
    }
    const contents = describeContents(choice.disk);
    if (contents) this.log(nodeId, 'warn', 'disk', `Erasing ${choice.disk.name} as the operator confirmed: it holds ${contents}.`);
    run.eraseConfirmed = policy.eraseTargetDisk;
    const clean = disksToClean(inventory.disks, choice.disk, policy.cleaning, contents !== null);
    if (clean.length > 0) this.log(nodeId, 'info', 'disk', `Wiping partition tables and filesystem signatures before the write: ${clean.join(', ')}.`);
    run.job = { ...job, disk: `/dev/${choice.disk.name}`, clean };
    this.deps.agent.offer(run.job);
  }

  /** The agent asks where the config drive goes on the disk it found; the answer is planned for that disk's size. */
  configDrivePlan(job: AgentJob, disk: AgentDisk): ConfigDrivePlan {
    const run = this.running.get(job.nodeId);
    if (!run || run.job?.token !== job.token || !run.configDrive) return { kind: 'none' };
    const plan = run.configDrive.plan(disk);
    if (plan.kind === 'regions') this.log(job.nodeId, 'info', 'deploy', `Config drive for a disk of ${disk.sectors} sectors: ${plan.summary}.`);
    return plan;
  }

  /** The agent API refused a request naming this MAC (no job, wrong token, …); the deploy waiting for it keeps why. */
  agentRefused(mac: string, reason: string): void {
    for (const run of this.running.values()) {
      if (run.job?.mac.toLowerCase() === mac) run.agentRefusal = `${reason} (at ${new Date().toISOString().slice(11, 19)} UTC)`;
    }
  }

  private async whenTurn(task: () => Promise<void>): Promise<void> {
    if (this.active >= this.options.concurrency) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.active += 1;
    try {
      await task();
    } finally {
      this.active -= 1;
      this.queue.shift()?.();
    }
  }

  private limit(phase: DeployPhase): number {
    return (PHASE_LIMITS[phase]?.seconds ?? 60) * this.options.timeoutScale;
  }

  /**
   * The MAC step on its own (the wizard's "Capture"): log in to the BMC, then capture as a deploy does. The server is
   * left on; the caller decides what comes next.
   */
  async captureMac(nodeId: string, mode: BootMode, signal: AbortSignal): Promise<CapturedMac> {
    const target = this.deps.nodes.target(nodeId);
    const facts = await this.bmcStep(nodeId, target, 'bmc-verified', 'logging in to the BMC', signal, (limited) => this.deps.power.verify(target, limited));
    return this.capture(nodeId, target, facts.systemGuid, mode, signal);
  }

  /** Network boot once, power on, and bind the PXE client that matches the System GUID (or the first new one). */
  private async capture(nodeId: string, target: DeployTarget, guid: string | null, mode: BootMode, signal: AbortSignal): Promise<CapturedMac> {
    await this.bmcStep(nodeId, target, 'mac-captured', 'setting network boot for the MAC capture', signal, () => this.deps.power.setBootDevice(target, 'pxe', { persistent: false, mode }));
    this.log(nodeId, 'info', 'capture', `Powering on to capture the PXE MAC (${mode === 'uefi' ? 'UEFI' : 'BIOS'} boot; ${guid ? `matching System GUID ${guid}` : 'no System GUID: first new PXE client'}).`);
    await this.powerSlot();
    const captured = await this.withLimit('mac-captured', signal, async (limited) => {
      const capture = this.deps.network.captureMac(target, guid, limited);
      await this.bmcStep(nodeId, target, 'mac-captured', 'powering on for the MAC capture', limited, () => this.deps.power.restart(target));
      return capture;
    });
    await this.deps.nodes.setMac(nodeId, captured.mac);
    this.log(nodeId, 'info', 'capture', `Captured MAC ${captured.mac} (${captured.matchedBy === 'system-guid' ? 'matched the BMC System GUID' : 'first new PXE client after power-on: check it is this server'}).`);
    return captured;
  }

  private async withLimit<T>(phase: DeployPhase, signal: AbortSignal, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const limit = this.limit(phase);
    return this.withLimitMs(phase, limit, limit * 1000, signal, work);
  }

  private get stallWarningMs(): number {
    return this.options.stallWarningMs ?? 10_000;
  }

  /**
   * An order to the BMC, retried while `phase` allows when the BMC does not answer or is busy (it may be rebooting,
   * or its link flapping): every retransmission and every failed try is logged, a silence is reported, and the
   * timeout names the phase and the last failure.
   */
  private async bmcStep<T>(nodeId: string, target: DeployTarget, phase: DeployPhase, what: string, signal: AbortSignal, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const limit = this.limit(phase);
    const deadline = Date.now() + limit * 1000;
    const stopRetransmits = this.deps.power.onRetransmit(target, (request, attempt) =>
      // One lost datagram is routine; the failed tries below are the warnings.
      this.log(nodeId, 'info', 'bmc', `No answer from the BMC to ${request}; sent again (retransmission ${attempt}) while ${what}.`),
    );
    const stall = new StallWatch(
      this.stallWarningMs,
      (silent) => this.log(nodeId, 'warn', 'bmc', `Still waiting for the BMC after ${seconds(silent)} s: ${what} (${phase} allows ${limit} s).`),
      (silent) => this.log(nodeId, 'info', 'bmc', `The BMC answered after ${seconds(silent)} s: ${what}.`),
    );
    let lastError: string | undefined;
    try {
      for (let attempt = 1; ; attempt++) {
        const left = deadline - Date.now();
        const tried = await this.withLimitMs(phase, limit, left, signal, work).then(
          (value) => ({ ok: true as const, value }),
          (error: unknown) => ({ ok: false as const, error }),
        );
        if (tried.ok) {
          stall.progress();
          return tried.value;
        }
        const { error } = tried;
        if (error instanceof PhaseTimeout) throw new PhaseTimeout(phase, limit, lastError);
        if (signal.aborted || !this.deps.power.isTransient(error)) throw error;
        lastError = error instanceof Error ? error.message : String(error);
        const pause = Math.min(2 ** (attempt - 1), 5) * 1000 * this.options.timeoutScale;
        const remaining = deadline - Date.now();
        if (remaining <= pause) throw new PhaseTimeout(phase, limit, lastError);
        this.log(nodeId, 'warn', 'bmc', `Try ${attempt} failed while ${what}: ${lastError}. Trying again; ${seconds(remaining)} s left of the ${limit} s ${phase} allows.`);
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    } finally {
      stall.stop();
      stopRetransmits();
    }
  }

  /** withLimit for the rest of a step's time: the timeout still names the whole limit. */
  private async withLimitMs<T>(phase: DeployPhase, limit: number, leftMs: number, signal: AbortSignal, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (signal.aborted) throw new Cancelled();
    const controller = new AbortController();
    let cancelled: () => void = () => undefined;
    // A cancel ends the wait at once, even when the work does not listen to its signal.
    const onAbort = (): void => {
      controller.abort();
      cancelled();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        work(controller.signal),
        new Promise<never>((_resolve, reject) => {
          cancelled = () => reject(new Cancelled());
          timer = setTimeout(() => {
            controller.abort();
            reject(new PhaseTimeout(phase, limit));
          }, Math.max(0, leftMs));
        }),
      ]);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** What a stalled wait for `phase` has seen so far, for the warning. */
  private progressText(run: Running, phase: DeployPhase): string {
    const imageSize = run.job?.imageSize ?? run.image?.dataSize ?? 0;
    if (phase === 'writing-image' || phase === 'verifying') {
      return `the agent reports ${run.agentWritten} of ${imageSize} bytes written; the HTTP server has sent the image's data up to byte ${run.servedUpTo} of ${run.image?.dataSize ?? 0}`;
    }
    if (phase === 'agent-connected') return 'the deploy kernel was fetched, the agent has not asked for its job yet';
    return `${PHASE_LIMITS[phase]?.missing ?? `no ${phase}`} yet`;
  }

  /** The boot HTTP server's view of the image going to this node: resumes and breaks are logged, bytes are progress. */
  private imageTransfer(nodeId: string, run: Running, imagePath: string, signal: Extract<BootSignal, { kind: 'http' }>): void {
    if (signal.path !== imagePath || !run.image) return;
    if (signal.phase === 'started') run.imageTransfer = signal.transfer;
    // On a link that dropped everything the server learns of a connection the agent cut long after the agent resumed.
    else if (signal.transfer !== run.imageTransfer) return;
    const start = signal.status === 206 && signal.total !== null ? run.image.dataSize - signal.total : 0;
    if (signal.phase === 'started' && signal.status === 206) {
      this.log(nodeId, 'info', 'http', `The agent resumes the image: serving its data from byte ${start} of ${run.image.dataSize} (HTTP Range).`);
    } else if (signal.phase === 'failed') {
      this.log(nodeId, 'warn', 'http', `The image transfer broke at data byte ${start + signal.bytes} of ${run.image.dataSize}: ${signal.error ?? 'connection lost'}.`);
    }
    const upTo = start + signal.bytes;
    if (signal.phase !== 'refused' && upTo !== run.servedUpTo) {
      run.servedUpTo = upTo;
      if (upTo > 0) run.waiter.activity();
    }
  }

  /** Waits for this deploy's turn to power a server on, spacing power-ons out across all running deploys. */
  private async powerSlot(): Promise<void> {
    const wait = this.lastPowerOn + this.options.powerOnSpacingMs - Date.now();
    this.lastPowerOn = Math.max(Date.now(), this.lastPowerOn + this.options.powerOnSpacingMs);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }

  private reach(nodeId: string, run: Running, phase: DeployPhase): void {
    run.waiter.mark(phase);
    void this.deps.store
      .apply(nodeId, { kind: 'reached', phase, at: new Date().toISOString() })
      .then((record) => this.deps.onChange(record))
      .catch(() => undefined);
  }

  private async reachNow(nodeId: string, run: Running, phase: DeployPhase): Promise<void> {
    run.waiter.mark(phase);
    const record = await this.deps.store.apply(nodeId, { kind: 'reached', phase, at: new Date().toISOString() });
    this.deps.onChange(record);
    this.log(nodeId, 'info', 'deploy', `Reached ${phase}.`);
  }

  private log(nodeId: string, level: DeployLogLine['level'], source: string, message: string): void {
    const line: DeployLogLine = { time: new Date().toISOString(), level, source, message };
    this.deps.onLog(nodeId, line);
    void this.deps.store.appendLog(nodeId, line).catch(() => undefined);
  }

  /**
   * The switch ports the agent heard over LLDP, which it reports apart once its listening window ends so that no
   * deploy waits for a silent switch: added to this boot's inventory, which is then stored with the node.
   */
  private lldpArrived(nodeId: string, run: Running, report: string): void {
    if (!run.inventory || run.lldpReported) return;
    run.lldpReported = true;
    try {
      run.inventory = withLldpReport(run.inventory, report);
    } catch (error) {
      this.log(nodeId, 'warn', 'inventory', `The agent's LLDP report could not be read (${error instanceof Error ? error.message : String(error)}); the inventory is stored without switch ports.`);
    }
    const heard = run.inventory.nics.filter((nic) => nic.lldp);
    this.log(nodeId, 'info', 'inventory', heard.length > 0 ? `LLDP: ${heard.map((nic) => `${nic.name} on switch port ${describeSwitchPort(nic.lldp!)}`).join(', ')}.` : 'LLDP: no switch announced itself within 3 s.');
    void this.storeInventory(nodeId, run);
    // An inspection waits for this report; to a deploy it is no progress of the write.
    if (!run.image) run.waiter.activity();
  }

  /** Stores this boot's inventory with the node once, logging what changed since the last one. */
  private storeInventory(nodeId: string, run: Running): Promise<void> {
    const { inventory } = run;
    if (!inventory) return Promise.resolve();
    run.inventoryStored ??= this.deps.inventory.record(nodeId, inventory).then(
      (changes) => {
        for (const change of changes) this.log(nodeId, 'info', 'inventory', `Since the last inspection: ${change}`);
      },
      (error: unknown) => this.log(nodeId, 'warn', 'inventory', `The inventory could not be stored: ${error instanceof Error ? error.message : String(error)}.`),
    );
    return run.inventoryStored;
  }

  /** From the power-on to the image verified on the disk: each phase waited for, a silent stretch reported. */
  private async waitForServer(nodeId: string, run: Running, signal: AbortSignal): Promise<void> {
    const { waiter } = run;
    const phases = run.image ? (['dhcp', 'bootloader', 'ramdisk', 'agent-connected', 'writing-image', 'verifying'] as const) : (['dhcp', 'bootloader', 'ramdisk', 'agent-connected'] as const);
    const steps: [DeployPhase, () => boolean][] = [
      ...phases.map((phase): [DeployPhase, () => boolean] => [phase, () => waiter.hasReached(phase)]),
      run.image ? ['verifying', () => waiter.verified] : ['agent-connected', () => run.lldpReported],
    ];
    for (const [phase, done] of steps) {
      const stall = new StallWatch(
        this.stallWarningMs,
        // A server takes minutes to POST and its deploy kernel a while to boot: silence before the write is news, not
        // yet a warning; the phase's limit decides when it is a failure.
        (silent) => this.log(nodeId, order(phase) <= order('agent-connected') ? 'info' : 'warn', 'deploy', `No progress for ${seconds(silent)} s waiting for ${phase}: ${this.progressText(run, phase)}.`),
        (silent) => this.log(nodeId, 'info', 'deploy', `Moving again after ${seconds(silent)} s: ${this.progressText(run, phase)}.`),
      );
      const stopWatching = waiter.onActivity(() => stall.progress());
      try {
        await waiter.until(done, phase, this.limit(phase), signal);
      } finally {
        stopWatching();
        stall.stop();
      }
    }
  }

  /** Waits for the installed OS, saying so when its console stays silent. */
  private async waitUntilUp(nodeId: string, target: DeployTarget, signal: AbortSignal): Promise<string> {
    const awaited = await this.deps.upCheck.signalAwaited(target);
    this.log(nodeId, 'info', 'deploy', `Waiting for the installed OS: ${awaited}.`);
    let seen = 0;
    const stall = new StallWatch(this.stallWarningMs, (silent) =>
      this.log(
        nodeId,
        'warn',
        'deploy',
        seen > 0
          ? `Waiting for the installed OS (${awaited}): no new console output for ${seconds(silent)} s (${seen} bytes seen since the reboot).`
          : `Waiting for the installed OS (${awaited}): not seen ${seconds(silent)} s after the reboot.`,
      ),
    );
    try {
      return await this.withLimit('deployed', signal, (limited) =>
        this.deps.upCheck.waitUntilUp(target, limited, (bytes) => {
          seen = bytes;
          stall.progress();
        }),
      );
    } finally {
      stall.stop();
    }
  }

  private async drive(nodeId: string, run: Running, from: DeployPhase): Promise<void> {
    const { signal } = run.controller;
    let target = this.deps.nodes.target(nodeId);
    let mac = target.mac;
    const cleanups: (() => void)[] = [];
    try {
      // An inspection boots as the node's images do; without one known, as UEFI, which most servers now start.
      const mode = run.image?.bootMode ?? 'uefi';
      // Built (or found in the cache) while the BMC is checked and the MAC captured; awaited when the boot needs it.
      const ramdiskPaths = this.deps.ramdisk.paths(mode);
      ramdiskPaths.catch(() => undefined);
      let guid: string | null = null;
      if (order(from) < order('mac-captured') || !mac) {
        const verifyTarget = target;
        const facts = await this.bmcStep(nodeId, target, 'bmc-verified', 'logging in to the BMC', signal, (limited) => this.deps.power.verify(verifyTarget, limited));
        guid = facts.systemGuid;
        if (order(from) < order('bmc-verified')) await this.reachNow(nodeId, run, 'bmc-verified');
      }
      if (!mac) {
        mac = (await this.capture(nodeId, target, guid, mode, signal)).mac;
        target = { ...target, mac };
      }
      if (order(from) < order('mac-captured')) await this.reachNow(nodeId, run, 'mac-captured');
      const bootMac = mac;

      if (target.instance && run.image) {
        const image = run.image;
        const instance = target.instance;
        run.configDrive = await ConfigDriveJob.prepare({
          nodeId,
          name: target.name,
          mac: bootMac,
          instance,
          imageSize: image.virtualSize,
          readHead: (bytes) => readImageHead(image, bytes),
        }).catch((error: unknown) => {
          throw error instanceof ConfigDriveRefusal ? new Error(`No config drive can be added to this image, so nothing was written: ${error.message}.`) : error;
        });
        this.log(nodeId, 'info', 'deploy', `Config drive for ${instance.hostname} (${instance.network.kind === 'dhcp' ? 'DHCP' : `static ${instance.network.address}/${instance.network.prefixLength}`}, ${instance.sshKeys.length} SSH key${instance.sshKeys.length === 1 ? '' : 's'}) goes into a new partition of the image's ${run.configDrive.tableKind.toUpperCase()} at the disk's end.`);
      }
      const token = randomBytes(18).toString('base64url');
      const { kernelUrlPath, initrdUrlPath, nicDriversUrlPath } = await ramdiskPaths;
      const base = this.deps.network.agentBaseUrl;
      const { dataUrlPath: imagePath, mapUrlPath } = run.image ? await this.deps.ramdisk.imageUrlPaths(run.image) : { dataUrlPath: '', mapUrlPath: '' };
      run.job = {
        nodeId,
        mac: bootMac,
        token,
        // The MAC in the query lets the HTTP server attribute the download without a DHCP lease (proxy mode).
        imageUrl: run.image ? `${base}${imagePath}?mac=${bootMac}` : '',
        imageMapUrl: run.image ? `${base}${mapUrlPath}?mac=${bootMac}` : '',
        imageFormat: run.image?.format ?? 'raw',
        imageSize: run.image?.dataSize ?? 0,
        virtualSize: run.image?.virtualSize ?? 0,
        action: run.image ? 'deploy' : 'inspect',
        // Chosen from the inventory the agent posts before it asks for the job.
        disk: null,
        clean: [],
      };
      this.deps.agent.offer(run.job);
      cleanups.push(() => this.deps.agent.withdraw(bootMac));
      this.deps.network.prepare({
        mac: bootMac,
        mode,
        kernelUrlPath,
        initrdUrlPath,
        nicDriversUrlPath,
        kernelArgs: [`rackboot.url=${base}`, `rackboot.token=${token}`, `rackboot.mac=${bootMac}`, 'quiet', 'console=tty0', 'console=ttyS0,115200'],
      });
      cleanups.push(() => this.deps.network.release(bootMac));
      cleanups.push(
        this.deps.network.watch(bootMac, (bootSignal) => {
          if (bootSignal.kind === 'http') {
            this.imageTransfer(nodeId, run, imagePath, bootSignal);
            return;
          }
          const phase: DeployPhase = bootSignal.kind === 'dhcp' ? 'dhcp' : bootSignal.kind === 'bootloader' ? 'bootloader' : 'ramdisk';
          this.reach(nodeId, run, phase);
        }),
      );

      // An order to the BMC is its own phase from the moment it is given: a BMC that does not answer fails the phase
      // that waits for it.
      const bootTarget = target;
      await this.reachNow(nodeId, run, 'booting-pxe');
      await this.bmcStep(nodeId, bootTarget, 'booting-pxe', 'setting network boot', signal, () => this.deps.power.setBootDevice(bootTarget, 'pxe', { persistent: false, mode }));
      await this.powerSlot();
      await this.bmcStep(nodeId, bootTarget, 'booting-pxe', 'powering the server on', signal, () => this.deps.power.restart(bootTarget));
      await this.waitForServer(nodeId, run, signal);
      if (!run.image) {
        await this.storeInventory(nodeId, run);
        // The job stays offered until the server is off: the agent asks for it right after posting its inventory, and
        // withdrawn, that request would read as a refused agent in the log.
        await this.bmcStep(nodeId, bootTarget, 'agent-connected', 'powering the server off after the inspection', signal, () => this.deps.power.powerOff(bootTarget));
        this.log(nodeId, 'info', 'inventory', 'Inspection done: inventory stored, server powered off, nothing written.');
        const record = await this.deps.store.apply(nodeId, { kind: 'inspected', at: new Date().toISOString() });
        this.deps.onChange(record);
        return;
      }
      if (run.eraseConfirmed) {
        await this.deps.nodes.eraseConfirmationUsed(nodeId);
        this.log(nodeId, 'info', 'disk', 'The erase confirmation was used by this deploy; a next deploy onto a disk with data asks for it again.');
      }

      await this.reachNow(nodeId, run, 'switching-to-disk');
      await this.bmcStep(nodeId, bootTarget, 'switching-to-disk', 'setting boot from disk', signal, () => this.deps.power.setBootDevice(bootTarget, 'disk', { persistent: true, mode }));
      for (const cleanup of cleanups.splice(0)) cleanup();
      await this.reachNow(nodeId, run, 'rebooting');
      await this.powerSlot();
      await this.bmcStep(nodeId, bootTarget, 'rebooting', 'power cycling the server', signal, () => this.deps.power.restart(bootTarget));
      const evidence = await this.waitUntilUp(nodeId, bootTarget, signal);
      this.log(nodeId, 'info', 'deploy', `The installed OS is up (${evidence}).`);
      await this.reachNow(nodeId, run, 'deployed');
    } catch (error) {
      const at = new Date().toISOString();
      const record = signal.aborted
        ? await this.deps.store.apply(nodeId, { kind: 'cancel', at })
        : await this.deps.store.apply(nodeId, { kind: 'fail', reason: failureReason(error, run), at });
      this.log(nodeId, signal.aborted ? 'warn' : 'error', 'deploy', signal.aborted ? 'Deploy cancelled.' : `Deploy failed in ${record.failure?.phase}: ${record.failure?.reason}`);
      this.deps.onChange(record);
    } finally {
      // A run that ends before the agent's LLDP report still keeps what the agent found.
      void this.storeInventory(nodeId, run);
      for (const cleanup of cleanups) cleanup();
      this.running.delete(nodeId);
    }
  }
}

/** One line a technician reads in the deploy log: what the server is. */
function inventorySummary(inventory: Inventory): string {
  const system = [inventory.system.vendor, inventory.system.product, inventory.system.serial && `serial ${inventory.system.serial}`].filter(Boolean).join(' ');
  const disks = inventory.disks.map((disk) => `${disk.name} ${disk.transport} ${Math.round(disk.sizeBytes / 1e9)} GB`).join(', ');
  const nics = inventory.nics.map((nic) => `${nic.name} ${nic.mac}${nic.hasLink ? '' : ' (no link)'}${nic.lldp ? ` on ${nic.lldp.systemName ?? nic.lldp.chassisId} port ${nic.lldp.portId}` : ''}`).join(', ');
  return `Inventory: ${system || 'unknown system'}; ${inventory.cpu.threads} CPU threads, ${Math.round(inventory.memoryBytes / 2 ** 20)} MiB, ${inventory.bootMode.toUpperCase()} boot; disks: ${disks || 'none'}; NICs: ${nics || 'none'}.`;
}

/**
 * What the agent wipes before the write (as Ironic's erase_devices_metadata): the target when cleaning asks for it or
 * when it holds data the operator agreed to erase (a leftover backup GPT at its end would confuse the new OS); every
 * disk for `all-disks`, except what cannot or should not be written (read-only, virtual media, USB and removable).
 */
function disksToClean(disks: readonly InventoryDisk[], target: InventoryDisk, cleaning: DiskPolicy['cleaning'], targetHoldsData: boolean): string[] {
  const chosen =
    cleaning === 'all-disks'
      ? disks.filter((disk) => disk === target || (unwritableReason(disk) === null && disk.transport !== 'usb' && !disk.removable))
      : cleaning === 'target' || targetHoldsData
        ? [target]
        : [];
  return chosen.map((disk) => `/dev/${disk.name}`);
}
