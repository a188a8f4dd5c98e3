import type dgram from 'node:dgram';
import type { NetworkOp } from '../../../shared/network';
import { errnoCode } from '../../lib/bind-errors';
import type { NetworkExecutor } from '../executor';
import type { SystemNetworkState } from '../interfaces';
import { helperRequestSchema, opDevices, requestIdSchema, type HelperRequest, type HelperResponse, type HelperScope, type ScopeRole } from './protocol';
import { addressAddProblem, addressesOf, deviceProblem, foundAtStart, routeAddProblem, scopeProblem, type FoundAtStart } from './scope';

export interface HelperServerDeps {
  executor: NetworkExecutor;
  /** The system's interfaces and routes as they are now: read again for every request, since the uplink can move. */
  readState: () => Promise<SystemNetworkState>;
}

export class RequestRejected extends Error {}

/** The helper must not start for this scope (the uplink, Wi-Fi, a missing NIC, …); the message says what to do. */
export class ScopeRefused extends Error {}

/** Validates every request against the protocol, the scope fixed at start and the uplink as it is now, then carries it out. */
export class HelperServer {
  private constructor(
    private readonly scope: HelperScope,
    private readonly deps: HelperServerDeps,
    private readonly found: FoundAtStart,
  ) {}

  /** Checks the scope against the system before anything runs, and notes what the NIC has (all undo may restore). */
  static async open(scope: HelperScope, deps: HelperServerDeps): Promise<HelperServer> {
    const state = await deps.readState();
    const problem = scopeProblem(scope, state);
    if (problem) throw new ScopeRefused(problem);
    return new HelperServer(scope, deps, foundAtStart(scope, state));
  }

  async handle(raw: unknown): Promise<{ response: HelperResponse; socket?: dgram.Socket }> {
    const parsed = helperRequestSchema.safeParse(raw);
    // Answer even a rejected request under its id when it has one, so the caller is not left waiting.
    const claimed = requestIdSchema.safeParse(raw);
    const id = parsed.success ? parsed.data.id : claimed.success ? claimed.data.id : -1;
    if (!parsed.success) {
      return { response: { kind: 'result', id, ok: false, error: `rejected: not a helper request (${parsed.error.issues[0]?.message ?? 'bad format'})` } };
    }
    try {
      return await this.carryOut(id, parsed.data.request);
    } catch (error) {
      const message = error instanceof RequestRejected ? `rejected: ${error.message}` : error instanceof Error ? error.message : String(error);
      const code = errnoCode(error);
      return { response: { kind: 'result', id, ok: false, error: message, ...(code ? { code } : {}) } };
    }
  }

  private scopeText(): string {
    return `${this.scope.interface}${this.scope.bridge ? ` and ${this.scope.bridge}` : ''}`;
  }

  private hasRole(device: string, role: ScopeRole): boolean {
    const isInterface = device === this.scope.interface;
    const isBridge = this.scope.bridge !== null && device === this.scope.bridge;
    return role === 'interface' ? isInterface : role === 'bridge' ? isBridge : isInterface || isBridge;
  }

  /** The same check for every device of every request: in scope, in its role, and not the uplink (or Wi-Fi) now. */
  private requireDevices(what: string, devices: Array<{ device: string; role: ScopeRole }>, state: SystemNetworkState): void {
    for (const { device, role } of devices) {
      if (!this.hasRole(device, role)) throw new RequestRejected(`${what} on ${device} is outside this helper's scope (${this.scopeText()})`);
      const problem = deviceProblem(device, state);
      if (problem) throw new RequestRejected(`${what} on ${device}: ${problem}`);
    }
  }

  /** `address` must be on one of `devices` now. */
  private requireAddressOn(address: string, devices: string[], state: SystemNetworkState): void {
    if (!devices.some((device) => addressesOf(state, device).includes(address))) {
      throw new RequestRejected(`${address} is not an address of ${devices.join(' or ')}`);
    }
  }

  private checkOp(op: NetworkOp, state: SystemNetworkState): void {
    this.requireDevices(op.op, opDevices(op), state);
    const problem =
      op.op === 'route-add' ? routeAddProblem(op, state, this.found) : op.op === 'address-add' ? addressAddProblem(op, state, this.found) : null;
    if (problem) throw new RequestRejected(`${op.op}: ${problem}`);
  }

  private async carryOut(id: number, request: HelperRequest): Promise<{ response: HelperResponse; socket?: dgram.Socket }> {
    const ok = (result: Extract<HelperResponse, { ok: true }>['result']): HelperResponse => ({ kind: 'result', id, ok: true, result });
    const state = await this.deps.readState();
    const nicOrBridge = (...devices: string[]) => devices.map((device) => ({ device, role: 'interface-or-bridge' as const }));
    switch (request.type) {
      case 'op':
        this.checkOp(request.op, state);
        await this.deps.executor.run(request.op);
        return { response: ok({ type: 'done' }) };
      case 'arp-probe':
        this.requireDevices(request.type, nicOrBridge(request.device), state);
        return { response: ok({ type: 'arp', ...(await this.deps.executor.arpProbe(request.device, request.address)) }) };
      case 'dhcp-probe':
        this.requireDevices(request.type, nicOrBridge(request.device), state);
        this.requireAddressOn(request.source, [request.device], state);
        return { response: ok({ type: 'dhcp', offers: await this.deps.executor.dhcpProbe(request.device, request.source, request.mac) }) };
      case 'bind-udp': {
        const { port, address, device, reuseAddress } = request;
        if (device !== null) {
          this.requireDevices(request.type, nicOrBridge(device), state);
          if (address !== '0.0.0.0') this.requireAddressOn(address, [device], state);
        } else if (address === '0.0.0.0') {
          throw new RequestRejected(
            `bind-udp on 0.0.0.0 must be tied to ${this.scope.interface}${this.scope.bridge ? ` or ${this.scope.bridge}` : ''}: a socket on every address with no device would hear the uplink too. Name the device.`,
          );
        } else {
          const devices = [this.scope.interface, ...(this.scope.bridge ? [this.scope.bridge] : [])];
          this.requireDevices(request.type, nicOrBridge(...devices), state);
          this.requireAddressOn(address, devices, state);
        }
        const socket = await this.deps.executor.bindUdp({ port, address, device, reuseAddress });
        return { response: ok({ type: 'bound', port, address }), socket };
      }
    }
  }
}
