import { randomBytes, randomUUID } from 'node:crypto';
import { DEPLOY_PHASES, type BootMode, type DeployPhase, type DeployRecord, type Image } from '../../shared/deploy';
import type { AgentDisk, AgentJob, AgentReport, ConfigDrivePlan } from './agent-api';
import { ConfigDriveJob } from './config-drive/config-drive-job';
import { readImageHead } from './config-drive/image-head';
import { ConfigDriveRefusal } from './config-drive/partition-table';
import type { DeployLogLine, DeployStore } from './deploy-store';
import { PHASE_LIMITS, PhaseTimeout } from './phase-timeouts';
import type { BootNetwork, BootSignal, CapturedMac, DeployTarget, PowerControl, RamdiskSource, UpCheck } from './ports';
import { StallWatch } from './stall-watch';
import { initialRecord, retryPhase } from './state-machine';

export interface OrchestratorOptions {
  /** Deploys running at once; the rest wait their turn. */
  concurrency: number;
  /** Minimum time between two power-ons, so breakers and the MAC capture see one server at a time. */
  powerOnSpacingMs: number;
  /** Multiplies every phase limit (tests shorten them). */
  timeoutScale: number;
  /** Target disk for the agent, or `auto` for the first disk it finds. */
  disk: string;
  /** A wait that sees no progress for this long says so in the deploy log (again after twice as long, …). Default 10 s. */
  stallWarningMs?: number;
}

export interface OrchestratorDeps {
  store: DeployStore;
  images: { get(id: string): Image };
  nodes: { target(nodeId: string): DeployTarget; setMac(nodeId: string, mac: string): Promise<void> };
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

  fail(error: Error): void {
    this.failure = error;
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
  image: Image;
  /** Why the agent API last refused this deploy's MAC, and when: the agent did call, whatever the timeout says. */
  agentRefusal: string | null;
  /** Bytes on the disk as the agent last reported them. */
  agentWritten: number;
  /** How far into the image file the boot HTTP server has sent it (a resumed request starts past 0). */
  servedUpTo: number;
  /** The config drive the agent writes after the image, when the node has instance settings. */
  configDrive: ConfigDriveJob | null;
}

/** The error's message; a silent-agent timeout after a refusal says the agent called, not that its NIC had no driver. */
function failureReason(error: unknown, run: Running): string {
  if (error instanceof PhaseTimeout && error.phase === 'agent-connected' && run.agentRefusal) {
    return `The deploy agent called but Rackboot refused it: ${run.agentRefusal}. The deploy log has every refused request; retry the deploy to boot the server afresh.`;
  }
  return error instanceof Error ? error.message : String(error);
}

const seconds = (ms: number): number => Math.round(ms / 1000);

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
    const run: Running = { controller: new AbortController(), waiter: new PhaseWaiter(), job: null, image, agentRefusal: null, agentWritten: 0, servedUpTo: 0, configDrive: null };
    run.waiter.mark(from);
    this.running.set(nodeId, run);
    void this.whenTurn(() => this.drive(nodeId, run, from));
    return record;
  }

  async cancel(nodeId: string): Promise<void> {
    const run = this.running.get(nodeId);
    if (!run) return;
    run.controller.abort();
  }

  /** The agent API hands every accepted report here. */
  agentReport(job: AgentJob, report: AgentReport): void {
    const run = this.running.get(job.nodeId);
    if (!run || run.job?.token !== job.token) return;
    switch (report.kind) {
      case 'connected':
        this.reach(job.nodeId, run, 'agent-connected');
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
        const problem = run.configDrive?.check(report.regions) ?? 'the agent reported a config drive it was never given';
        if (problem) run.waiter.fail(new Error(`The config drive was not written: ${problem}.`));
        else this.log(job.nodeId, 'info', 'agent', 'Config drive written and read back intact.');
        break;
      }
      case 'result':
        if (run.configDrive && !run.configDrive.written) {
          run.waiter.fail(new Error('The deploy agent reported the image without writing the config drive: the ramdisk carries an agent from an older Rackboot; rebuild the deploy ramdisk (Image step).'));
        } else if (report.sha256 === run.image.rawSha256) {
          this.log(job.nodeId, 'info', 'agent', `Image verified on disk (sha256 ${report.sha256}).`);
          run.waiter.verified = true;
          run.waiter.mark('verifying');
        } else {
          run.waiter.fail(
            new Error(
              `The disk does not hold the image: sha256 read back ${report.sha256}, expected ${run.image.rawSha256}. The download was cut or the disk is failing; retry, and check the disk if it happens again.`,
            ),
          );
        }
        break;
      case 'failed':
        run.waiter.fail(new Error(`The deploy agent failed: ${report.reason}`));
        break;
    }
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
    const imageSize = run.job?.imageSize ?? run.image.rawSize;
    if (phase === 'writing-image' || phase === 'verifying') {
      return `the agent reports ${run.agentWritten} of ${imageSize} bytes written; the HTTP server has sent the image up to byte ${run.servedUpTo} of ${run.image.size}`;
    }
    if (phase === 'agent-connected') return 'the deploy kernel was fetched, the agent has not asked for its job yet';
    return `${PHASE_LIMITS[phase]?.missing ?? `no ${phase}`} yet`;
  }

  /** The boot HTTP server's view of the image going to this node: resumes and breaks are logged, bytes are progress. */
  private imageTransfer(nodeId: string, run: Running, imagePath: string, signal: Extract<BootSignal, { kind: 'http' }>): void {
    if (signal.path !== imagePath) return;
    const start = signal.status === 206 && signal.total !== null ? run.image.size - signal.total : 0;
    if (signal.phase === 'started' && signal.status === 206) {
      this.log(nodeId, 'info', 'http', `The agent resumes the image: serving it from byte ${start} of ${run.image.size} (HTTP Range).`);
    } else if (signal.phase === 'failed') {
      this.log(nodeId, 'warn', 'http', `The image transfer broke at byte ${start + signal.bytes} of ${run.image.size}: ${signal.error ?? 'connection lost'}.`);
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

  /** From the power-on to the image verified on the disk: each phase waited for, a silent stretch reported. */
  private async waitForServer(nodeId: string, run: Running, signal: AbortSignal): Promise<void> {
    const { waiter } = run;
    const steps: [DeployPhase, () => boolean][] = [
      ...(['dhcp', 'bootloader', 'ramdisk', 'agent-connected', 'writing-image', 'verifying'] as const).map(
        (phase): [DeployPhase, () => boolean] => [phase, () => waiter.hasReached(phase)],
      ),
      ['verifying', () => waiter.verified],
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
    let seen = 0;
    const stall = new StallWatch(this.stallWarningMs, (silent) =>
      this.log(nodeId, 'warn', 'deploy', `Waiting for the installed OS: no new console output for ${seconds(silent)} s (${seen} bytes seen since the reboot).`),
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
      const mode = run.image.bootMode;
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

      if (target.instance) {
        const instance = target.instance;
        run.configDrive = await ConfigDriveJob.prepare({
          nodeId,
          name: target.name,
          mac: bootMac,
          instance,
          imageSize: run.image.rawSize,
          readHead: (bytes) => readImageHead(run.image, bytes),
        }).catch((error: unknown) => {
          throw error instanceof ConfigDriveRefusal ? new Error(`No config drive can be added to this image, so nothing was written: ${error.message}.`) : error;
        });
        this.log(nodeId, 'info', 'deploy', `Config drive for ${instance.hostname} (${instance.network.kind === 'dhcp' ? 'DHCP' : `static ${instance.network.address}/${instance.network.prefixLength}`}, ${instance.sshKeys.length} SSH key${instance.sshKeys.length === 1 ? '' : 's'}) goes into a new partition of the image's ${run.configDrive.tableKind.toUpperCase()} at the disk's end.`);
      }
      const token = randomBytes(18).toString('base64url');
      const { kernelUrlPath, initrdUrlPath } = await ramdiskPaths;
      const base = this.deps.network.agentBaseUrl;
      const imagePath = this.deps.ramdisk.imageUrlPath(run.image);
      run.job = {
        nodeId,
        mac: bootMac,
        token,
        // The MAC in the query lets the HTTP server attribute the download without a DHCP lease (proxy mode).
        imageUrl: `${base}${imagePath}?mac=${bootMac}`,
        imageFormat: run.image.format,
        imageSize: run.image.rawSize,
        disk: this.options.disk,
      };
      this.deps.agent.offer(run.job);
      cleanups.push(() => this.deps.agent.withdraw(bootMac));
      this.deps.network.prepare({
        mac: bootMac,
        mode,
        kernelUrlPath,
        initrdUrlPath,
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
      for (const cleanup of cleanups) cleanup();
      this.running.delete(nodeId);
    }
  }
}
