import type { TlsTrust } from '../../shared/redfish';
import { ClientCache } from '../lib/client-cache';
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
  private readonly clients = new ClientCache<RedfishTarget, RedfishClient>(sameSettings);

  constructor(private readonly options: ConnectionOptions = {}) {}

  client(target: RedfishTarget): RedfishClient {
    return this.clients.get(target, (fresh) => new RedfishClient(new RedfishConnection(fresh, this.options), fresh.systemId));
  }

  release(target: Pick<RedfishTarget, 'address' | 'port' | 'user'>): Promise<void> {
    return this.clients.release(target);
  }

  closeAll(): Promise<void> {
    return this.clients.closeAll();
  }
}

function sameTrust(a: TlsTrust | null, b: TlsTrust | null): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function sameSettings(a: RedfishTarget, b: RedfishTarget): boolean {
  return a.password === b.password && a.systemId === b.systemId && sameTrust(a.trust, b.trust);
}
