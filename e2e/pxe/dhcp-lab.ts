// Lab topology for the DHCP tests and benchmark, all in namespaces made here:
//
//   uplink ns: wan0 10.99.0.1 ──veth── prov ns: up0 10.99.0.2 (default route, the laptop's "Wi-Fi")
//                                       prov ns: prov0 10.77.0.1 (provisioning interface, our server)
//                                          │ veth
//   rack ns: br0 (bridge; the client side, 10.77.0.50 for the Node test client) ── veth ── other ns: o1 10.77.0.2
//                                                                                           (a foreign dnsmasq)
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { linkNamespaces, Netns, run } from '../support/netns';

export const PROV_ADDRESS = '10.77.0.1';
export const OTHER_ADDRESS = '10.77.0.2';
export const CLIENT_ADDRESS = '10.77.0.50';
export const UPLINK_ADDRESS = '10.99.0.1';
export const CLIENT_MAC = '52:54:00:12:34:56';

export interface DhcpLab {
  prov: Netns;
  rack: Netns;
  other: Netns;
  uplink: Netns;
  destroy(): Promise<void>;
}

export async function createDhcpLab(): Promise<DhcpLab> {
  const made: Netns[] = [];
  const make = async (prefix: string) => {
    const ns = await Netns.create(prefix);
    made.push(ns);
    return ns;
  };
  const destroy = async () => {
    for (const ns of made) await ns.destroy();
  };
  try {
    const prov = await make('dprov');
    const rack = await make('drack');
    const other = await make('dothr');
    const uplink = await make('dupl');
    await rack.ip('link', 'add', 'br0', 'type', 'bridge');
    await rack.ip('link', 'set', 'br0', 'address', CLIENT_MAC);
    await rack.ip('link', 'set', 'br0', 'up');
    await linkNamespaces(prov, 'prov0', rack, 'p0');
    await linkNamespaces(other, 'o1', rack, 'o0');
    await linkNamespaces(prov, 'up0', uplink, 'wan0');
    await rack.ip('link', 'set', 'p0', 'master', 'br0');
    await rack.ip('link', 'set', 'o0', 'master', 'br0');
    await prov.ip('addr', 'add', `${PROV_ADDRESS}/24`, 'dev', 'prov0');
    await prov.ip('addr', 'add', '10.99.0.2/24', 'dev', 'up0');
    await prov.ip('route', 'add', 'default', 'via', UPLINK_ADDRESS);
    await other.ip('addr', 'add', `${OTHER_ADDRESS}/24`, 'dev', 'o1');
    await rack.ip('addr', 'add', `${CLIENT_ADDRESS}/24`, 'dev', 'br0');
    await uplink.ip('addr', 'add', `${UPLINK_ADDRESS}/24`, 'dev', 'wan0');
    // Bridge ports forward at once instead of after the STP learning delay.
    await rack.exec('ip', ['link', 'set', 'br0', 'type', 'bridge', 'forward_delay', '0']);
    return { prov, rack, other, uplink, destroy };
  } catch (error) {
    await destroy();
    throw error;
  }
}

/** A child process that prints JSON lines; lines are kept and can be awaited. */
export class JsonLinesProcess {
  readonly lines: Record<string, unknown>[] = [];
  private waiters: { match: (line: Record<string, unknown>) => boolean; resolve: (line: Record<string, unknown>) => void }[] = [];
  stderr = '';

  constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (text) => {
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        return;
      }
      this.lines.push(line);
      this.waiters = this.waiters.filter((waiter) => {
        if (!waiter.match(line)) return true;
        waiter.resolve(line);
        return false;
      });
    });
    child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
  }

  waitFor(match: (line: Record<string, unknown>) => boolean, timeoutMs = 20_000): Promise<Record<string, unknown>> {
    const existing = this.lines.find(match);
    if (existing) return Promise.resolve(existing);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out; output so far: ${JSON.stringify(this.lines).slice(-2000)} ${this.stderr.slice(-2000)}`)), timeoutMs);
      this.waiters.push({ match, resolve: (line) => (clearTimeout(timer), resolve(line)) });
    });
  }

  /** Resolves when the process has exited or `timeoutMs` has passed, whichever comes first. */
  exited(timeoutMs: number): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    await this.exited(3000);
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

const TSX = new URL('../../node_modules/.bin/tsx', import.meta.url).pathname;
const HERE = new URL('.', import.meta.url).pathname;

/** Runs one of this folder's entry points (dhcp-harness.ts, dhcp-client.ts) inside `ns`. */
export function spawnEntry(ns: Netns, entry: string, config: object): JsonLinesProcess {
  return new JsonLinesProcess(ns.spawn(TSX, [`${HERE}${entry}`, JSON.stringify(config)]));
}

/** Runs an entry point to completion and returns its last JSON line. */
export async function runEntry(ns: Netns, entry: string, config: object, timeoutMs = 120_000): Promise<Record<string, unknown>> {
  const process = spawnEntry(ns, entry, config);
  await process.exited(timeoutMs);
  await process.stop();
  const last = process.lines.at(-1);
  if (!last) throw new Error(`${entry} printed nothing: ${process.stderr.slice(-2000)}`);
  return last;
}

/** tcpdump writing a pcap; stop() ends it and returns how many packets it recorded. */
export async function startCapture(ns: Netns, iface: string, direction: 'in' | 'out', file: string, filter: string): Promise<{ stop(): Promise<number> }> {
  const child = ns.spawn('tcpdump', ['-n', '-i', iface, '-Q', direction, '-U', '-w', file, filter]);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('tcpdump did not start')), 10_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return {
    async stop() {
      child.kill('SIGINT');
      await new Promise((resolve) => child.once('exit', resolve));
      const listing = await run('tcpdump', ['-n', '-r', file]).catch(() => '');
      return listing.split('\n').filter(Boolean).length;
    },
  };
}

export const DHCP_FILTER = 'udp port 67 or udp port 68 or udp port 4011';
