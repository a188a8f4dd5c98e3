import type { TlsTrust } from '../../shared/redfish';
import { RedfishClient } from './client';
import { RedfishConnection, type ConnectionOptions, type RedfishEndpoint } from './connection';

export interface RedfishTarget extends RedfishEndpoint {
  systemId: string | null;
}

/**
 * One client per BMC (address, port, user), so the wizard and every deploy step share its session and its kept
 * connections; a changed password, trust or system replaces it (and ends the old session).
 */
export class RedfishPool {
  private readonly clients = new Map<string, { client: RedfishClient; target: RedfishTarget }>();

  constructor(private readonly options: ConnectionOptions = {}) {}

  static keyOf(target: Pick<RedfishTarget, 'address' | 'port' | 'user'>): string {
    return `${target.address}:${target.port}:${target.user}`;
  }

  client(target: RedfishTarget): RedfishClient {
    const key = RedfishPool.keyOf(target);
    const existing = this.clients.get(key);
    if (existing && sameSettings(existing.target, target)) return existing.client;
    if (existing) void existing.client.close();
    const client = new RedfishClient(new RedfishConnection(target, this.options), target.systemId);
    this.clients.set(key, { client, target });
    return client;
  }

  async release(target: Pick<RedfishTarget, 'address' | 'port' | 'user'>): Promise<void> {
    const key = RedfishPool.keyOf(target);
    const existing = this.clients.get(key);
    this.clients.delete(key);
    await existing?.client.close();
  }

  async closeAll(): Promise<void> {
    const all = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(all.map(({ client }) => client.close()));
  }
}

function sameTrust(a: TlsTrust | null, b: TlsTrust | null): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function sameSettings(a: RedfishTarget, b: RedfishTarget): boolean {
  return a.password === b.password && a.systemId === b.systemId && sameTrust(a.trust, b.trust);
}
