import { Socket } from 'node:net';
import type { DeployTarget, UpCheck } from '../../deploy/ports';

const SSH_PORT = 22;
const PROBE_EVERY_MS = 2000;
const PROBE_TIMEOUT_MS = 4000;

/** The first line a server sends on connect (an SSH server's banner, `SSH-2.0-…`), or null if none comes in time. */
export function readBanner(address: string, port: number, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let text = '';
    const done = (banner: string | null): void => {
      socket.destroy();
      resolve(banner);
    };
    socket.setTimeout(timeoutMs, () => done(null));
    socket.on('error', () => done(null));
    socket.on('close', () => done(null));
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      const end = text.indexOf('\n');
      if (end >= 0 || text.length > 255) done(text.slice(0, end >= 0 ? end : 255).trim());
    });
    socket.connect(port, address);
  });
}

/**
 * "Deployed" once the installed OS answers: for a node with instance settings set to SSH, the SSH banner on port 22 at
 * its static address or at the lease our DHCP gave its MAC; otherwise (serial, or no instance settings: a stock image
 * with only a console) the login prompt on the serial console. In SSH mode the console is still followed, so its bytes
 * keep the "no output" warnings honest and the operator sees the boot.
 */
export class ReachableUpCheck implements UpCheck {
  constructor(
    private readonly serial: UpCheck,
    /** Follows the console without waiting for a marker. */
    private readonly consoleFollower: UpCheck,
    private readonly leasedAddress: (mac: string) => string | null,
  ) {}

  async signalAwaited(target: DeployTarget): Promise<string> {
    const instance = target.instance;
    if (!instance || instance.upSignal.kind === 'serial') {
      const awaited = await this.serial.signalAwaited(target);
      return instance?.upSignal.kind === 'serial' ? `${awaited}, ${instance.upSignal.console} at ${instance.upSignal.speed} baud` : awaited;
    }
    const network = instance.network;
    if (network.kind === 'static') return `an SSH banner at its static address ${network.address}:${SSH_PORT}`;
    return `an SSH banner on port ${SSH_PORT} at the address our DHCP leases to ${target.mac ?? 'its MAC'}`;
  }

  async waitUntilUp(target: DeployTarget, signal: AbortSignal, onOutput?: (bytesSeen: number) => void): Promise<string> {
    const instance = target.instance;
    if (!instance || instance.upSignal.kind === 'serial') {
      const evidence = await this.serial.waitUntilUp(target, signal, onOutput);
      return instance?.upSignal.kind === 'serial' ? `${evidence} (${instance.upSignal.console} at ${instance.upSignal.speed} baud)` : evidence;
    }
    const follow = new AbortController();
    const stopFollowing = (): void => follow.abort();
    signal.addEventListener('abort', stopFollowing, { once: true });
    this.consoleFollower.waitUntilUp(target, follow.signal, onOutput).catch(() => undefined);
    try {
      const network = instance.network;
      let lastAddress: string | null = null;
      while (!signal.aborted) {
        const address = network.kind === 'static' ? network.address : target.mac ? this.leasedAddress(target.mac) : null;
        lastAddress = address ?? lastAddress;
        if (address) {
          const banner = await readBanner(address, SSH_PORT, PROBE_TIMEOUT_MS);
          if (banner?.startsWith('SSH-')) {
            const source = network.kind === 'static' ? 'its static address' : `the address our DHCP leased to ${target.mac}`;
            return `SSH answered on ${address}:${SSH_PORT} (${source}) with "${banner}"`;
          }
        }
        await new Promise((resolve) => setTimeout(resolve, PROBE_EVERY_MS));
      }
      throw new Error(`aborted while waiting for SSH at ${lastAddress ?? 'an address not yet leased'}`);
    } finally {
      signal.removeEventListener('abort', stopFollowing);
      follow.abort();
    }
  }
}
