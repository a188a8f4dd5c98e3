import type dgram from 'node:dgram';
import type { NetworkOp } from '../../../shared/network';
import { errnoCode } from '../../pxe/bind-errors';
import type { NetworkExecutor } from '../executor';
import { helperRequestSchema, requestIdSchema, type HelperRequest, type HelperResponse, type HelperScope } from './protocol';

export interface HelperServerDeps {
  executor: NetworkExecutor;
  /** The IPv4 addresses currently on one interface. */
  deviceAddresses: (device: string) => Promise<string[]>;
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
      const code = errnoCode(error);
      return { response: { kind: 'result', id, ok: false, error: message, ...(code ? { code } : {}) } };
    }
  }

  private inScope(device: string): boolean {
    return device === this.scope.interface || device === this.scope.bridge;
  }

  private requireScopeDevice(device: string, request: HelperRequest['type']): void {
    if (!this.inScope(device)) throw new RequestRejected(`${request} on ${device} is outside this helper's scope`);
  }

  /** `address` must be on `device`, or (no device named) on the interface or the bridge. */
  private async requireAddressOn(address: string, device: string | null): Promise<void> {
    const devices = device ? [device] : [this.scope.interface, ...(this.scope.bridge ? [this.scope.bridge] : [])];
    const addresses = (await Promise.all(devices.map((name) => this.deps.deviceAddresses(name)))).flat();
    if (!addresses.includes(address)) throw new RequestRejected(`${address} is not an address of ${devices.join(' or ')}`);
  }

  private async carryOut(id: number, request: HelperRequest): Promise<{ response: HelperResponse; socket?: dgram.Socket }> {
    const ok = (result: Extract<HelperResponse, { ok: true }>['result']): HelperResponse => ({ kind: 'result', id, ok: true, result });
    switch (request.type) {
      case 'op':
        checkOpScope(request.op, this.scope);
        await this.deps.executor.run(request.op);
        return { response: ok({ type: 'done' }) };
      case 'arp-probe':
        this.requireScopeDevice(request.device, request.type);
        return { response: ok({ type: 'arp', ...(await this.deps.executor.arpProbe(request.device, request.address)) }) };
      case 'dhcp-probe':
        this.requireScopeDevice(request.device, request.type);
        await this.requireAddressOn(request.source, request.device);
        return { response: ok({ type: 'dhcp', offers: await this.deps.executor.dhcpProbe(request.device, request.source, request.mac) }) };
      case 'bind-udp': {
        if (request.device !== null) this.requireScopeDevice(request.device, request.type);
        if (request.address !== '0.0.0.0') await this.requireAddressOn(request.address, request.device);
        const { port, address, device, reuseAddress } = request;
        const socket = await this.deps.executor.bindUdp({ port, address, device, reuseAddress });
        return { response: ok({ type: 'bound', port, address }), socket };
      }
    }
  }
}
