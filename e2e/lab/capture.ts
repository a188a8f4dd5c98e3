import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { Netns } from '../support/netns';
import { dhcpMessageTypeName, dhcpMessages, parsePcap, type DhcpMessage } from './pcap';

/** tcpdump writing a pcap file inside a namespace, read back while it runs. */
export class PacketCapture {
  private constructor(
    readonly path: string,
    private readonly process: ChildProcess,
  ) {}

  /** Starts capturing on `iface` in `ns`; resolves once tcpdump is listening. `filter` is a pcap filter. */
  static async start(ns: Netns, iface: string, path: string, filter: string[] = []): Promise<PacketCapture> {
    // -U flushes every packet so the file can be read while tcpdump runs; -Z root keeps it writing where we ask.
    const child = ns.spawn('tcpdump', ['-i', iface, '-n', '-U', '-Z', 'root', '-w', path, ...filter], {
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    await new Promise<void>((resolve, reject) => {
      let stderr = '';
      const settle = (error?: Error): void => {
        clearTimeout(timer);
        child.stderr?.off('data', onData);
        child.off('exit', onExit);
        child.off('error', settle);
        if (!error) return resolve();
        child.kill('SIGKILL');
        reject(error);
      };
      const onData = (chunk: Buffer): void => {
        stderr += chunk.toString();
        if (stderr.includes('listening on')) settle();
      };
      const onExit = (code: number | null): void =>
        settle(new Error(`tcpdump on ${iface} exited (${code}): ${stderr.trim()}`));
      const timer = setTimeout(() => settle(new Error(`tcpdump on ${iface} did not start within 5 s: ${stderr}`)), 5000);
      child.stderr?.on('data', onData);
      child.once('exit', onExit);
      child.once('error', settle);
    });
    // The capture lives as long as the lab's namespace, not as long as this process (`lab up` exits).
    child.stderr?.resume();
    child.unref();
    (child.stderr as { unref?: () => void } | null)?.unref?.();
    return new PacketCapture(path, child);
  }

  async dhcpMessages(): Promise<DhcpMessage[]> {
    const file = await readFile(this.path).catch(() => Buffer.alloc(0));
    return dhcpMessages(parsePcap(file));
  }

  /** Waits for a DHCP message that satisfies `matches`; the error lists what was seen instead. */
  async waitForDhcp(
    matches: (message: DhcpMessage) => boolean,
    timeoutMs: number,
    description: string,
  ): Promise<DhcpMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const messages = await this.dhcpMessages();
      const found = messages.find(matches);
      if (found) return found;
      if (Date.now() > deadline) {
        const seen = messages.map((m) => `${dhcpMessageTypeName(m.messageType)} from ${m.sourceMac}`).join(', ');
        throw new Error(`No ${description} within ${timeoutMs} ms (seen: ${seen || 'no DHCP at all'}).`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  async stop(): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    const exited = new Promise((resolve) => this.process.once('exit', resolve));
    this.process.kill('SIGTERM');
    await exited;
  }
}
