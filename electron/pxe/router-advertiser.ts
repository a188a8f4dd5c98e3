// Answers IPv6 router solicitations on the provisioning interface with a harmless RA (router lifetime 0), so iPXE
// ends its IPv6 autoconfiguration wait (~13 s) at once. Node has no raw ICMPv6 socket, so dnsmasq does the sending
// in RA-only mode; this service adds the ULA it needs on the interface, runs it, and removes both on stop.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { networkInterfaces, tmpdir, type NetworkInterfaceInfo } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { RouterAdvertiserEvent, RouterAdvertiserProblem } from '../../shared/pxe';
import { CommandFailed, findProgram, runCommand, type CommandRunner } from '../lib/command-runner';
import { Listeners } from './listeners';
import { dnsmasqRouterAdvertisementArgs, isAdvertisingLine, ulaForGlobalId, ulaForMac, type UlaPrefix } from './router-advertisement-plan';

export interface RouterAdvertiserOptions {
  interfaceName: string;
  /** Runs `ip` to add and remove the ULA; the default runs it in this process (root or CAP_NET_ADMIN). */
  runCommand?: CommandRunner;
  /** Finds dnsmasq; default: PATH and the sbin folders. */
  findProgram?: (name: string) => Promise<string | null>;
  /** How long dnsmasq may take to report that it advertises. Default 5000 ms. */
  startTimeoutMs?: number;
  platform?: NodeJS.Platform;
  interfaces?: () => NodeJS.Dict<NetworkInterfaceInfo[]>;
}

export class RouterAdvertiserError extends Error {
  constructor(
    message: string,
    readonly problem: RouterAdvertiserProblem,
  ) {
    super(message);
    this.name = 'RouterAdvertiserError';
  }
}

const OR_TURN_OFF = 'Or turn off "IPv6 router advertisements" in the PXE settings: network boots then wait about 13 s longer in iPXE.';
const STOP_GRACE_MS = 3000;

interface Running {
  child: ChildProcess;
  ula: UlaPrefix;
  workDir: string;
  killOnExit: () => void;
}

export class RouterAdvertiser {
  private readonly listeners = new Listeners<RouterAdvertiserEvent>();
  private readonly run: CommandRunner;
  private running: Running | null = null;
  private starting: Promise<UlaPrefix> | null = null;
  private stopping = false;

  constructor(private readonly options: RouterAdvertiserOptions) {
    this.run = options.runCommand ?? runCommand;
  }

  onEvent(listener: (event: RouterAdvertiserEvent) => void): () => void {
    return this.listeners.add(listener);
  }

  /** The advertised /64 while running, e.g. fd3c:1a2b:4c5d::. */
  get prefix(): string | null {
    return this.running?.ula.prefix ?? null;
  }

  /**
   * Resolves once dnsmasq advertises; rejects with a RouterAdvertiserError that says what to do, which is also
   * reported as a `failed` event so the UI needs only the event stream.
   */
  start(): Promise<UlaPrefix> {
    if (this.running) return Promise.resolve(this.running.ula);
    this.starting ??= this.startOnce()
      .catch((error: unknown) => {
        if (error instanceof RouterAdvertiserError) this.emit('failed', null, error.problem, error.message);
        throw error;
      })
      .finally(() => (this.starting = null));
    return this.starting;
  }

  private async startOnce(): Promise<UlaPrefix> {
    const name = this.options.interfaceName;
    if ((this.options.platform ?? process.platform) !== 'linux') {
      throw new RouterAdvertiserError(
        'IPv6 router advertisements are only available on Linux, where Rackboot uses dnsmasq to send them. Network boots ' +
          'still work, but iPXE waits about 13 s for IPv6 first. Turn off "IPv6 router advertisements" in the PXE settings to hide this message.',
        'unsupported-platform',
      );
    }
    const dnsmasq = await (this.options.findProgram ?? findProgram)('dnsmasq');
    if (!dnsmasq) {
      throw new RouterAdvertiserError(
        'dnsmasq is not installed, so Rackboot cannot answer the IPv6 router solicitations of iPXE. Install it ' +
          '(Debian/Ubuntu: `sudo apt install dnsmasq-base`, Fedora: `sudo dnf install dnsmasq`, Arch: `sudo pacman -S dnsmasq`) ' +
          `and start the PXE services again. ${OR_TURN_OFF}`,
        'dnsmasq-missing',
      );
    }
    const ula = this.ulaFor(name);
    await this.addAddress(ula);
    let workDir: string | null = null;
    try {
      workDir = await mkdtemp(path.join(tmpdir(), 'rackboot-ra-'));
      // dnsmasq writes its pid file as the unprivileged user it switches to.
      await chmod(workDir, 0o755);
      const child = await this.startDnsmasq(dnsmasq, dnsmasqRouterAdvertisementArgs({ interfaceName: name, ula, workDir }));
      // An app that exits while advertising (Ctrl+C, window closed) must not leave dnsmasq running nor its folder.
      const runDir = workDir;
      const killOnExit = (): void => {
        child.kill('SIGKILL');
        rmSync(runDir, { recursive: true, force: true });
      };
      process.once('exit', killOnExit);
      this.running = { child, ula, workDir, killOnExit };
      child.once('exit', (code, signal) => void this.exitedUnasked(child, code, signal));
    } catch (error) {
      await this.removeAddresses(ula);
      if (workDir) await rm(workDir, { recursive: true, force: true });
      throw error;
    }
    this.emit('running', ula.prefix, null, null);
    return ula;
  }

  /** Ends dnsmasq and removes the prefix's addresses; waits for a start in progress first. */
  async stop(): Promise<void> {
    await this.starting?.catch(() => undefined);
    const running = this.running;
    if (!running || this.stopping) return;
    this.stopping = true;
    try {
      await stopChild(running.child);
      await this.cleanUp(running);
      this.emit('stopped', null, null, null);
    } finally {
      this.stopping = false;
    }
  }

  private ulaFor(name: string): UlaPrefix {
    const entries = (this.options.interfaces ?? networkInterfaces)()[name];
    if (!entries?.length) {
      throw new RouterAdvertiserError(
        `The provisioning interface ${name} does not exist or is down: pick it again in the Network step. ${OR_TURN_OFF}`,
        'no-interface',
      );
    }
    const mac = entries.find((entry) => entry.mac !== '00:00:00:00:00:00')?.mac;
    return mac ? ulaForMac(mac) : ulaForGlobalId(randomBytes(5));
  }

  private async addAddress(ula: UlaPrefix): Promise<void> {
    const name = this.options.interfaceName;
    try {
      // nodad: the address is usable at once; nobody else on the segment has a prefix derived from our MAC.
      await this.run('ip', ['-6', 'addr', 'add', `${ula.address}/${ula.prefixLength}`, 'dev', name, 'nodad']);
    } catch (error) {
      const said = error instanceof CommandFailed ? error.stderr.trim() : String(error);
      // Left behind by a run that crashed: the prefix is derived from the MAC, so it is ours; take it over.
      if (/File exists/i.test(said)) return;
      if (/not permitted/i.test(said)) {
        throw new RouterAdvertiserError(
          `Rackboot may not add the IPv6 address ${ula.address} to ${name} (${said}): run Rackboot as root. ${OR_TURN_OFF}`,
          'not-permitted',
        );
      }
      throw new RouterAdvertiserError(
        `Could not add the IPv6 address ${ula.address} to ${name}: ${said}. Check that IPv6 is enabled on it ` +
          `(\`sysctl net.ipv6.conf.${name}.disable_ipv6\` must be 0). ${OR_TURN_OFF}`,
        'address-failed',
      );
    }
  }

  /**
   * Removes every address in our /64, not only ours: the interface may also have configured one from our own RA
   * (Linux with accept_ra does), and it would outlive us by the prefix lifetime.
   */
  private async removeAddresses(ula: UlaPrefix): Promise<void> {
    await this.run('ip', ['-6', 'addr', 'flush', 'dev', this.options.interfaceName, 'to', `${ula.prefix}/${ula.prefixLength}`]).catch(
      () => undefined, // already gone with the interface
    );
  }

  private startDnsmasq(dnsmasq: string, args: string[]): Promise<ChildProcess> {
    const name = this.options.interfaceName;
    const child = spawn(dnsmasq, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const output: string[] = [];
    return new Promise((resolve, reject) => {
      const fail = (what: string): void => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        const said = output.slice(-3).join(' ') || what;
        const problem = /not permitted|permission denied/i.test(said) ? 'not-permitted' : 'dnsmasq-failed';
        reject(
          new RouterAdvertiserError(
            problem === 'not-permitted'
              ? `dnsmasq may not send router advertisements on ${name} (${said}): it needs root (CAP_NET_RAW), so run Rackboot as root. ${OR_TURN_OFF}`
              : `dnsmasq could not start advertising on ${name}: ${said}. Start the PXE services again. ${OR_TURN_OFF}`,
            problem,
          ),
        );
      };
      const timer = setTimeout(() => fail(`no answer within ${this.options.startTimeoutMs ?? 5000} ms`), this.options.startTimeoutMs ?? 5000);
      const onLine = (line: string): void => {
        output.push(line);
        if (output.length > 20) output.shift();
        if (!isAdvertisingLine(line)) return;
        clearTimeout(timer);
        child.removeListener('exit', onExit);
        child.removeListener('error', onError);
        resolve(child);
      };
      const onExit = (code: number | null): void => fail(`dnsmasq exited with ${code}`);
      const onError = (error: Error): void => fail(error.message);
      createInterface({ input: child.stdout! }).on('line', onLine);
      createInterface({ input: child.stderr! }).on('line', onLine);
      child.once('exit', onExit);
      child.once('error', onError);
    });
  }

  private async exitedUnasked(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    const running = this.running;
    if (this.stopping || running?.child !== child) return;
    await this.cleanUp(running);
    this.emit(
      'failed',
      null,
      'dnsmasq-failed',
      `dnsmasq stopped sending IPv6 router advertisements on ${this.options.interfaceName} (${signal ?? `exit ${code}`}): ` +
        `start the PXE services again. ${OR_TURN_OFF}`,
    );
  }

  private async cleanUp(running: Running): Promise<void> {
    this.running = null;
    process.removeListener('exit', running.killOnExit);
    await this.removeAddresses(running.ula);
    await rm(running.workDir, { recursive: true, force: true });
  }

  private emit(state: RouterAdvertiserEvent['state'], prefix: string | null, problem: RouterAdvertiserProblem | null, message: string | null): void {
    this.listeners.emit({
      type: 'router-advertiser',
      time: new Date().toISOString(),
      interface: this.options.interfaceName,
      state,
      prefix,
      problem,
      message,
    });
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}
