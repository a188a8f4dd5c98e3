import { ipmiTargetSchema, type IpmiTarget, type IpmiTargetInput } from '../../shared/ipmi';
import { ClientCache } from '../lib/client-cache';
import { IpmiClient } from './client';
import type { SessionOptions } from './session';

/**
 * One logged-in client per BMC (address + port + user), so every screen and deploy step shares the BMC's
 * session instead of logging in again; BMCs allow only a handful of sessions.
 */
export class BmcPool {
  private readonly clients = new ClientCache<IpmiTarget, IpmiClient>(sameSettings);

  constructor(private readonly options: SessionOptions = {}) {}

  /** The client for this BMC; a changed password, key, suite or privilege replaces the old session. */
  getClient(input: IpmiTargetInput): IpmiClient {
    return this.clients.get(ipmiTargetSchema.parse(input), (target) => new IpmiClient(target, this.options));
  }

  release(target: Pick<IpmiTarget, 'address' | 'port' | 'user'>): Promise<void> {
    return this.clients.release(target);
  }

  closeAll(): Promise<void> {
    return this.clients.closeAll();
  }

  get size(): number {
    return this.clients.size;
  }
}

function sameSettings(a: IpmiTarget, b: IpmiTarget): boolean {
  return a.password === b.password && a.kg === b.kg && a.cipherSuite === b.cipherSuite && a.privilege === b.privilege;
}
