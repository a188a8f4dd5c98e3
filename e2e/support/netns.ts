import { execFile, execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:os';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface RunOptions {
  /** Replaces the environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Kills the command after this long (default: no limit). */
  timeoutMs?: number;
}

/** Runs a command and returns its stdout; throws with stderr on a non-zero exit. */
export async function run(cmd: string, args: string[], options: RunOptions = {}): Promise<string> {
  try {
    const { stdout } = await execFileAsync(cmd, args, {
      maxBuffer: 64 * 1024 * 1024,
      env: options.env,
      cwd: options.cwd,
      timeout: options.timeoutMs ?? 0,
    });
    return stdout;
  } catch (error) {
    const failure = error as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${failure.stderr?.trim() || failure.message}`, { cause: error });
  }
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** A short name unique to this run, safe as a namespace or interface name (Linux caps interfaces at 15 chars). */
export function uniqueName(prefix: string): string {
  return `${prefix}${randomBytes(3).toString('hex')}`;
}

export class Netns {
  private constructor(readonly name: string) {}

  /** A namespace for this run only: removed by destroy(), or on the way out if the run is killed before. */
  static async create(prefix: string): Promise<Netns> {
    const ns = await Netns.createNamed(uniqueName(prefix));
    removeOnExit(ns);
    return ns;
  }

  /** Creates a namespace with exactly this name (the caller guarantees it is unique). */
  static async createNamed(name: string): Promise<Netns> {
    const ns = new Netns(name);
    await run('ip', ['netns', 'add', ns.name]);
    await ns.ip('link', 'set', 'lo', 'up');
    return ns;
  }

  /** A handle on a namespace that already exists, e.g. one left behind by a crashed run. */
  static existing(name: string): Netns {
    return new Netns(name);
  }

  /** Names of all network namespaces on the host. */
  static async list(): Promise<string[]> {
    const out = await run('ip', ['netns', 'list']);
    return out
      .split('\n')
      .map((line) => line.trim().split(/\s+/)[0] ?? '')
      .filter(Boolean);
  }

  /** PIDs of the processes that live in the namespace. */
  async pids(): Promise<number[]> {
    const out = await run('ip', ['netns', 'pids', this.name]).catch(() => '');
    return out.split(/\s+/).filter(Boolean).map(Number);
  }

  /** `ip -n NAME …` */
  ip(...args: string[]): Promise<string> {
    return run('ip', ['-n', this.name, ...args]);
  }

  /** Runs a command inside the namespace and waits for it. */
  exec(cmd: string, args: string[], options: RunOptions = {}): Promise<string> {
    return run('ip', ['netns', 'exec', this.name, cmd, ...args], options);
  }

  /** Starts a long-running command inside the namespace; the caller owns the process. */
  spawn(cmd: string, args: string[], options: SpawnOptions = {}): ChildProcess {
    return spawn('ip', ['netns', 'exec', this.name, cmd, ...args], { stdio: 'pipe', ...options });
  }

  /** Kills every process still inside the namespace, then deletes it. Safe to call twice. */
  async destroy(): Promise<void> {
    for (const pid of await this.pids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await run('ip', ['netns', 'delete', this.name]).catch(() => undefined);
    runScoped.delete(this);
  }

  /** destroy() for process.on('exit'), where nothing asynchronous runs any more. */
  destroySync(): void {
    let pids: string;
    try {
      pids = execFileSync('ip', ['netns', 'pids', this.name], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
    } catch {
      return;
    }
    for (const pid of pids.split(/\s+/).filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    try {
      execFileSync('ip', ['netns', 'delete', this.name], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
}

/** Joins two namespaces with a veth pair, one end in each, both up. */
export async function linkNamespaces(a: Netns, aIf: string, b: Netns, bIf: string): Promise<void> {
  const tmpA = uniqueName('va');
  const tmpB = uniqueName('vb');
  await run('ip', ['link', 'add', tmpA, 'type', 'veth', 'peer', 'name', tmpB]);
  await run('ip', ['link', 'set', tmpA, 'netns', a.name]);
  await run('ip', ['link', 'set', tmpB, 'netns', b.name]);
  await a.ip('link', 'set', tmpA, 'name', aIf);
  await b.ip('link', 'set', tmpB, 'name', bIf);
  await a.ip('link', 'set', aIf, 'up');
  await b.ip('link', 'set', bIf, 'up');
}

/** Namespaces made by Netns.create() and not destroyed yet. */
const runScoped = new Set<Netns>();
let exitCleanupInstalled = false;

/**
 * A test killed mid-way (Ctrl-C, SIGTERM from a CI timeout) never reaches its afterEach: its namespaces are removed
 * as the process exits. A signal nobody else handles is turned into that exit; where another handler exists (the
 * lab's), that one exits, and the exit handler still runs.
 */
function removeOnExit(ns: Netns): void {
  runScoped.add(ns);
  if (exitCleanupInstalled) return;
  exitCleanupInstalled = true;
  process.on('exit', () => {
    for (const scoped of runScoped) scoped.destroySync();
    runScoped.clear();
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const exitOnSignal = (): void => {
      if (process.listenerCount(signal) === 1) process.exit(128 + constants.signals[signal]);
    };
    process.on(signal, exitOnSignal);
  }
}
