import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import type { DhcpOffer, NetworkOp } from '../../../shared/network';
import type { PrivilegedUdpRequest } from '../../lib/udp-bind';
import type { ArpProbeResult, NetworkExecutor } from '../executor';
import {
  HELPER_REFUSED_EXIT,
  HELPER_STDERR_PREFIX,
  helperArgs,
  helperResponseSchema,
  type HelperRequest,
  type HelperResult,
  type HelperScope,
} from './protocol';

/** How to start the helper, e.g. `pkexec /usr/lib/rackboot/rackboot-net-helper` (see docs/network.md). */
export interface HelperLaunch {
  command: string;
  args: string[];
}

export class HelperUnavailable extends Error {}

/** The helper ran and refused the scope it was given (the uplink, Wi-Fi, a missing NIC); the message says why and what to do. */
export class HelperRefused extends Error {}

/** Longer than the slowest request (the DHCP probe listens for 4.5 s). */
const REQUEST_TIMEOUT_MS = 30_000;

interface Waiting {
  resolve: (value: { result: HelperResult; socket: dgram.Socket | undefined }) => void;
  reject: (error: Error) => void;
}

/** The main process's end of the privileged helper: a NetworkExecutor whose every call is one validated request. */
export class HelperClient implements NetworkExecutor {
  private nextId = 1;
  private readonly waiting = new Map<number, Waiting>();
  private exited: Error | null = null;

  private constructor(
    private readonly child: ChildProcess,
    readonly scope: HelperScope,
  ) {
    child.on('message', (raw: unknown, handle: unknown) => this.receive(raw, handle));
    child.on('exit', (code, signal) => {
      this.exited = new HelperUnavailable(`the network helper stopped (${signal ?? `exit ${code}`})`);
      for (const waiting of this.waiting.values()) waiting.reject(this.exited);
      this.waiting.clear();
    });
  }

  /**
   * Starts the helper and waits for it to say it is ready (after the administrator password, when pkexec asks).
   * The IPC channel is fd 0, so it survives pkexec, which closes every other descriptor and clears the environment.
   */
  static start(launch: HelperLaunch, scope: HelperScope, timeoutMs = 120_000): Promise<HelperClient> {
    const child = spawn(launch.command, [...launch.args, ...helperArgs(scope)], { stdio: ['ipc', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    return new Promise((resolve, reject) => {
      const fail = (message: string, error: Error = new HelperUnavailable(message)): void => {
        clearTimeout(timer);
        child.kill();
        reject(error);
      };
      const timer = setTimeout(() => fail('the network helper did not start in time (no administrator password given?)'), timeoutMs);
      child.once('error', (error) => fail(`could not start ${launch.command}: ${error.message}`));
      child.once('exit', (code) => {
        // pkexec passes the helper's own exit status through.
        const said = stderr.trim();
        if (code === HELPER_REFUSED_EXIT && said.startsWith(HELPER_STDERR_PREFIX)) {
          const reason = said.slice(HELPER_STDERR_PREFIX.length);
          return fail(reason, new HelperRefused(reason));
        }
        // pkexec exits 126 when the password dialog is dismissed and 127 when not authorized.
        const detail = stderr.trim() || (code === 126 ? 'the administrator password was not given' : `exit ${code}`);
        fail(`the network helper did not start: ${detail}`);
      });
      child.once('message', (raw: unknown) => {
        const message = helperResponseSchema.safeParse(raw);
        if (!message.success || message.data.kind !== 'ready') return fail('the network helper answered something unexpected');
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve(new HelperClient(child, scope));
      });
    });
  }

  private receive(raw: unknown, handle: unknown): void {
    const message = helperResponseSchema.safeParse(raw);
    if (!message.success || message.data.kind !== 'result') return;
    const waiting = this.waiting.get(message.data.id);
    if (!waiting) return;
    this.waiting.delete(message.data.id);
    if (message.data.ok) {
      waiting.resolve({ result: message.data.result, socket: handle instanceof dgram.Socket ? handle : undefined });
    } else {
      // The errno name travels along, so a port taken on the helper's side is explained like one taken here.
      const { error, code } = message.data;
      waiting.reject(Object.assign(new Error(error), code ? { code } : {}));
    }
  }

  /** Sends any value; public so tests can prove the helper rejects what the protocol does not allow. */
  sendRaw(request: unknown): Promise<{ result: HelperResult; socket: dgram.Socket | undefined }> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new HelperUnavailable(`the network helper did not answer within ${REQUEST_TIMEOUT_MS / 1000} s`));
      }, REQUEST_TIMEOUT_MS);
      const settle = <T>(action: (value: T) => void) => (value: T): void => {
        clearTimeout(timer);
        action(value);
      };
      this.waiting.set(id, { resolve: settle(resolve), reject: settle(reject) });
      this.child.send({ id, request }, (error) => {
        if (error) {
          this.waiting.delete(id);
          settle(reject)(error);
        }
      });
    });
  }

  private async request<T extends HelperResult['type']>(request: HelperRequest, type: T): Promise<Extract<HelperResult, { type: T }>> {
    const { result } = await this.sendRaw(request);
    if (result.type !== type) throw new Error(`the network helper answered ${result.type} to ${request.type}`);
    return result as Extract<HelperResult, { type: T }>;
  }

  async run(op: NetworkOp): Promise<void> {
    await this.request({ type: 'op', op }, 'done');
  }

  async arpProbe(device: string, address: string): Promise<ArpProbeResult> {
    const { inUse, mac } = await this.request({ type: 'arp-probe', device, address }, 'arp');
    return { inUse, mac };
  }

  async dhcpProbe(device: string, source: string, mac: string): Promise<DhcpOffer[]> {
    return (await this.request({ type: 'dhcp-probe', device, source, mac }, 'dhcp')).offers;
  }

  /** A UDP socket opened by the helper on a privileged port (67, 69 or 4011), handed over ready to use. */
  async bindUdp(request: PrivilegedUdpRequest): Promise<dgram.Socket> {
    const { result, socket } = await this.sendRaw({ type: 'bind-udp', ...request });
    if (result.type !== 'bound' || !socket) throw new Error(`the network helper did not hand over the socket for port ${request.port}`);
    return socket;
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.disconnect();
    await exited;
  }
}
