import { ipmiTargetSchema, type IpmiTarget, type IpmiTargetInput } from '../../shared/ipmi';
import { IpmiClient } from './client';
import type { SessionOptions } from './session';

/**
 * One logged-in client per BMC (address + port + user), so every screen and deploy step shares the BMC's
 * session instead of logging in again; BMCs allow only a handful of sessions.
 */
export class BmcPool {
  private readonly clients = new Map<string, { client: IpmiClient; target: IpmiTarget }>();

  constructor(private readonly options: SessionOptions = {}) {}

  static keyOf(target: Pick<IpmiTarget, 'address' | 'port' | 'user'>): string {
    return `${target.address}:${target.port}:${target.user}`;
  }

  /** The client for this BMC; a changed password, key, suite or privilege replaces the old session. */
  getClient(input: IpmiTargetInput): IpmiClient {
    const target = ipmiTargetSchema.parse(input);
    const key = BmcPool.keyOf(target);
    const existing = this.clients.get(key);
    if (existing && sameSettings(existing.target, target)) return existing.client;
    if (existing) void existing.client.close();
    const client = new IpmiClient(target, this.options);
    this.clients.set(key, { client, target });
    return client;
  }

  async release(target: Pick<IpmiTarget, 'address' | 'port' | 'user'>): Promise<void> {
    const key = BmcPool.keyOf(target);
    const existing = this.clients.get(key);
    this.clients.delete(key);
    await existing?.client.close();
  }

  async closeAll(): Promise<void> {
    const all = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(all.map(({ client }) => client.close()));
  }

  get size(): number {
    return this.clients.size;
  }
}

function sameSettings(a: IpmiTarget, b: IpmiTarget): boolean {
  return a.password === b.password && a.kg === b.kg && a.cipherSuite === b.cipherSuite && a.privilege === b.privilege;
}
