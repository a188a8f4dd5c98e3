// A two-namespace lab for the PXE file services: the provisioner ("srv") and a client ("cli") joined by a veth.
// Shared by the lab tests and the benchmark.
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { linkNamespaces, Netns } from '../support/netns';

export const SERVER_ADDRESS = '10.79.0.1';
export const CLIENT_ADDRESS = '10.79.0.2';
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface PxeLab {
  server: Netns;
  client: Netns;
  destroy(): Promise<void>;
}

export async function createPxeLab(): Promise<PxeLab> {
  const server = await Netns.create('rbs');
  const client = await Netns.create('rbc').catch(async (error: unknown) => {
    await server.destroy();
    throw error;
  });
  const destroy = async (): Promise<void> => {
    await client.destroy();
    await server.destroy();
  };
  try {
    await linkNamespaces(server, 'prov0', client, 'eth0');
    await server.ip('addr', 'add', `${SERVER_ADDRESS}/24`, 'dev', 'prov0');
    await client.ip('addr', 'add', `${CLIENT_ADDRESS}/24`, 'dev', 'eth0');
  } catch (error) {
    await destroy();
    throw error;
  }
  return { server, client, destroy };
}

/** A long-running node entry (one of our harnesses) inside a namespace, speaking JSON lines on stdout. */
export class Harness<E extends object> {
  readonly lines: E[] = [];
  private readonly waiters: { match: (line: E) => boolean; resolve: (line: E) => void }[] = [];
  private readonly exited: Promise<number | null>;

  private constructor(private readonly child: ChildProcess) {
    const reader = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    reader.on('line', (text) => {
      if (!text.startsWith('{')) return;
      const line = JSON.parse(text) as E;
      this.lines.push(line);
      for (const waiter of [...this.waiters]) {
        if (waiter.match(line)) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    });
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Starts `node --import tsx ENTRY CONFIG` in `ns` and waits for its `{"type":"listening"}` line. */
  static async start<E extends object>(ns: Netns, entry: string, config: object): Promise<Harness<E>> {
    const child = ns.spawn('node', ['--import', 'tsx', path.join(REPO_ROOT, entry), JSON.stringify(config)], {
      cwd: REPO_ROOT,
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const harness = new Harness<E>(child);
    const first = await Promise.race([
      harness.waitFor((line) => 'type' in line, 20_000),
      harness.exited.then((code) => {
        throw new Error(`${entry} exited with ${code}: ${stderr}`);
      }),
    ]);
    if ((first as { type?: string }).type !== 'listening') throw new Error(`${entry}: ${JSON.stringify(first)}`);
    return harness;
  }

  waitFor(match: (line: E) => boolean, timeoutMs = 10_000): Promise<E> {
    const seen = this.lines.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for a harness event')), timeoutMs);
      this.waiters.push({
        match,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await this.exited;
    clearTimeout(timer);
  }
}

/**
 * The main of a harness entry: prints, `{"type":"listening"}` once the service is up
 * (or `{"type":"error"}` and exit 2), and closes the service on SIGTERM or when stdin ends.
 */
export function runHarnessService(service: {
  listen(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
}): void {
  const stop = (): void => {
    void service.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.stdin.on('end', stop);
  process.stdin.resume();
  service.listen().then(
    (bound) => printLine({ type: 'listening', ...bound }),
    (error: Error) => {
      printLine({ type: 'error', message: error.message });
      process.exit(2);
    },
  );
}

export function printLine(value: object): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}
