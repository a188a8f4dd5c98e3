import type dgram from 'node:dgram';
import type { NetworkOp } from '../../../shared/network';
import type { NetworkExecutor } from '../executor';
import { helperRequestSchema, requestIdSchema, type HelperRequest, type HelperResponse, type HelperScope } from './protocol';

export interface HelperServerDeps {
  executor: NetworkExecutor;
  /** The IPv4 addresses currently on the scope's interface and bridge. */
  scopeAddresses: () => Promise<string[]>;
}

export class RequestRejected extends Error {}

/** Which devices an op touches, and in which role, so the scope check cannot miss one. */
function checkOpScope(op: NetworkOp, scope: HelperScope): void {
  const isInterface = (device: string): boolean => device === scope.interface;
  const isBridge = (device: string): boolean => scope.bridge !== null && device === scope.bridge;
  const either = (device: string): boolean => isInterface(device) || isBridge(device);
  let allowed: boolean;
  switch (op.op) {
    case 'bridge-create':
    case 'bridge-delete':
    case 'ovs-bridge-create':
    case 'ovs-bridge-delete':
      allowed = isBridge(op.bridge);
      break;
    case 'ovs-port-add':
    case 'ovs-port-delete':
      allowed = isBridge(op.bridge) && isInterface(op.device);
      break;
    case 'set-master':
      allowed = isInterface(op.device) && isBridge(op.master);
      break;
    case 'set-nomaster':
    case 'nm-set-managed':
      allowed = isInterface(op.device);
      break;
    case 'route-add':
      // Restoring a route the interface had; never a default route (that would be the uplink's job).
      allowed = isInterface(op.device) && op.destination !== 'default';
      break;
    case 'set-up':
    case 'set-down':
    case 'address-add':
    case 'address-delete':
      allowed = either(op.device);
      break;
  }
  if (!allowed) {
    throw new RequestRejected(`${op.op} is outside this helper's scope (${scope.interface}${scope.bridge ? ` and ${scope.bridge}` : ''})`);
  }
}

/** Validates every request against the protocol and the scope fixed at start, then carries it out. */
export class HelperServer {
  constructor(
    private readonly scope: HelperScope,
    private readonly deps: HelperServerDeps,
  ) {}

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
      return { response: { kind: 'result', id, ok: false, error: message } };
    }
  }

  private async requireScopeAddress(address: string, allowWildcard: boolean): Promise<void> {
    if (allowWildcard && address === '0.0.0.0') return;
    if (!(await this.deps.scopeAddresses()).includes(address)) {
      throw new RequestRejected(`${address} is not an address of ${this.scope.interface}${this.scope.bridge ? ` or ${this.scope.bridge}` : ''}`);
    }
  }

  private async carryOut(id: number, request: HelperRequest): Promise<{ response: HelperResponse; socket?: dgram.Socket }> {
    const ok = (result: Extract<HelperResponse, { ok: true }>['result']): HelperResponse => ({ kind: 'result', id, ok: true, result });
    switch (request.type) {
      case 'op':
        checkOpScope(request.op, this.scope);
        await this.deps.executor.run(request.op);
        return { response: ok({ type: 'done' }) };
      case 'arp-probe':
        if (request.device !== this.scope.interface && request.device !== this.scope.bridge) {
          throw new RequestRejected(`arp-probe on ${request.device} is outside this helper's scope`);
        }
        return { response: ok({ type: 'arp', ...(await this.deps.executor.arpProbe(request.device, request.address)) }) };
      case 'dhcp-probe':
        await this.requireScopeAddress(request.source, false);
        return { response: ok({ type: 'dhcp', offers: await this.deps.executor.dhcpProbe(request.source, request.mac) }) };
      case 'bind-udp': {
        await this.requireScopeAddress(request.address, true);
        const socket = await this.deps.executor.bindUdp(request.port, request.address);
        return { response: ok({ type: 'bound', port: request.port, address: request.address }), socket };
      }
    }
  }
}
