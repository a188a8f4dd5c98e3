import { execFile, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Runs a command and returns its stdout; throws with stderr on a non-zero exit. */
export async function run(cmd: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync(cmd, args, { maxBuffer: 64 * 1024 * 1024 });
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

  static async create(prefix: string): Promise<Netns> {
    const ns = new Netns(uniqueName(prefix));
    await run('ip', ['netns', 'add', ns.name]);
    await ns.ip('link', 'set', 'lo', 'up');
    return ns;
  }

  /** `ip -n NAME …` */
  ip(...args: string[]): Promise<string> {
    return run('ip', ['-n', this.name, ...args]);
  }

  /** Runs a command inside the namespace and waits for it. */
  exec(cmd: string, args: string[]): Promise<string> {
    return run('ip', ['netns', 'exec', this.name, cmd, ...args]);
  }

  /** Starts a long-running command inside the namespace; the caller owns the process. */
  spawn(cmd: string, args: string[], options: SpawnOptions = {}): ChildProcess {
    return spawn('ip', ['netns', 'exec', this.name, cmd, ...args], { stdio: 'pipe', ...options });
  }

  /** Kills every process still inside the namespace, then deletes it. Safe to call twice. */
  async destroy(): Promise<void> {
    const pids = await run('ip', ['netns', 'pids', this.name]).catch(() => '');
    for (const pid of pids.split(/\s+/).filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await run('ip', ['netns', 'delete', this.name]).catch(() => undefined);
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
