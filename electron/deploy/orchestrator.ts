import { randomBytes, randomUUID } from 'node:crypto';
import { DEPLOY_PHASES, type DeployPhase, type DeployRecord, type Image } from '../../shared/deploy';
import type { AgentJob, AgentReport } from './agent-api';
import type { DeployLogLine, DeployStore } from './deploy-store';
import { PHASE_LIMITS, PhaseTimeout } from './phase-timeouts';
import type { BootNetwork, CapturedMac, DeployTarget, PowerControl, RamdiskSource, UpCheck } from './ports';
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
    if (order(phase) > order(this.reached)) this.reached = phase;
    this.wake();
  }

  hasReached(phase: DeployPhase): boolean {
    return order(this.reached) >= order(phase);
  }

  activity(): void {
    this.wake();
  }

  fail(error: Error): void {
    this.failure = error;
    this.wake();
  }

  /** Resolves when `done()` holds; throws the agent's failure, a cancel, or a timeout named after `phase`. */
  async until(done: () => boolean, phase: DeployPhase, seconds: number, signal: AbortSignal): Promise<void> {
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
        const timer = setTimeout(() => finish(false), seconds * 1000);
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
}

/** The error's message; a silent-agent timeout after a refusal says the agent called, not that its NIC had no driver. */
function failureReason(error: unknown, run: Running): string {
  if (error instanceof PhaseTimeout && error.phase === 'agent-connected' && run.agentRefusal) {
    return `The deploy agent called but Rackboot refused it: ${run.agentRefusal}. The deploy log has every refused request; retry the deploy to boot the server afresh.`;
  }
  return error instanceof Error ? error.message : String(error);
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
    const run: Running = { controller: new AbortController(), waiter: new PhaseWaiter(), job: null, image, agentRefusal: null };
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
      case 'progress':
        void this.deps.store
          .apply(job.nodeId, { kind: 'progress', bytesWritten: report.written, bytesTotal: job.imageSize, at: new Date().toISOString() })
          .then((record) => this.deps.onChange(record));
        this.reach(job.nodeId, run, report.written >= job.imageSize ? 'verifying' : 'writing-image');
        run.waiter.activity();
        break;
      case 'log':
        this.log(job.nodeId, 'info', 'agent', report.line);
        run.waiter.activity();
        break;
      case 'result':
        if (report.sha256 === run.image.rawSha256) {
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

  private async withLimit<T>(phase: DeployPhase, signal: AbortSignal, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const seconds = this.limit(phase);
    const controller = new AbortController();
    const onAbort = (): void => controller.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        work(controller.signal),
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => {
            controller.abort();
            reject(new PhaseTimeout(phase, seconds));
          }, seconds * 1000);
        }),
      ]);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
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
        const facts = await this.withLimit('bmc-verified', signal, (limited) => this.deps.power.verify(target, limited));
        guid = facts.systemGuid;
        if (order(from) < order('bmc-verified')) await this.reachNow(nodeId, run, 'bmc-verified');
      }
      if (!mac) {
        await this.deps.power.setBootDevice(target, 'pxe', { persistent: false, mode });
        this.log(nodeId, 'info', 'deploy', `Powering on to capture the PXE MAC (${guid ? `matching System GUID ${guid}` : 'no System GUID: first new PXE client'}).`);
        await this.powerSlot();
        const captured: CapturedMac = await this.withLimit('mac-captured', signal, async (limited) => {
          const capture = this.deps.network.captureMac(target, guid, limited);
          await this.deps.power.restart(target);
          return capture;
        });
        mac = captured.mac;
        await this.deps.nodes.setMac(nodeId, mac);
        target = { ...target, mac };
        this.log(nodeId, 'info', 'capture', `Captured MAC ${mac} (${captured.matchedBy === 'system-guid' ? 'matched the BMC System GUID' : 'first new PXE client after power-on: check it is this server'}).`);
      }
      if (order(from) < order('mac-captured')) await this.reachNow(nodeId, run, 'mac-captured');
      const bootMac = mac;

      const token = randomBytes(18).toString('base64url');
      const { kernelUrlPath, initrdUrlPath } = await ramdiskPaths;
      const base = this.deps.network.agentBaseUrl;
      run.job = {
        nodeId,
        mac: bootMac,
        token,
        imageUrl: `${base}${this.deps.ramdisk.imageUrlPath(run.image)}`,
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
          const phase: DeployPhase = bootSignal.kind === 'dhcp' ? 'dhcp' : bootSignal.kind === 'bootloader' ? 'bootloader' : 'ramdisk';
          this.reach(nodeId, run, phase);
        }),
      );

      await this.deps.power.setBootDevice(target, 'pxe', { persistent: false, mode });
      await this.reachNow(nodeId, run, 'booting-pxe');
      await this.powerSlot();
      await this.deps.power.restart(target);
      const { waiter } = run;
      for (const phase of ['dhcp', 'bootloader', 'ramdisk', 'agent-connected', 'writing-image', 'verifying'] as const) {
        await waiter.until(() => waiter.hasReached(phase), phase, this.limit(phase), signal);
      }
      await waiter.until(() => waiter.verified, 'verifying', this.limit('verifying'), signal);

      await this.withLimit('switching-to-disk', signal, () => this.deps.power.setBootDevice(target, 'disk', { persistent: true, mode }));
      await this.reachNow(nodeId, run, 'switching-to-disk');
      for (const cleanup of cleanups.splice(0)) cleanup();
      await this.powerSlot();
      await this.withLimit('rebooting', signal, () => this.deps.power.restart(target));
      await this.reachNow(nodeId, run, 'rebooting');
      const evidence = await this.withLimit('deployed', signal, (limited) => this.deps.upCheck.waitUntilUp(target, limited));
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
