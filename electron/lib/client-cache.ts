/** Where a BMC is and who logs in: one client each. */
export interface BmcIdentity {
  address: string;
  port: number;
  user: string;
}

/**
 * One client per BMC (address + port + user), kept while the settings it was made with stay the same; a changed
 * setting (password, trust…) replaces it and closes the old one. Shared by the IPMI and Redfish pools, so every screen
 * and deploy step uses the BMC's one session: BMCs allow only a handful.
 */
export class ClientCache<Target extends BmcIdentity, Client extends { close(): Promise<void> }> {
  private readonly clients = new Map<string, { client: Client; target: Target }>();

  constructor(private readonly sameSettings: (a: Target, b: Target) => boolean) {}

  static keyOf(target: BmcIdentity): string {
    return `${target.address}:${target.port}:${target.user}`;
  }

  get(target: Target, create: (target: Target) => Client): Client {
    const key = ClientCache.keyOf(target);
    const existing = this.clients.get(key);
    if (existing && this.sameSettings(existing.target, target)) return existing.client;
    if (existing) void existing.client.close();
    const client = create(target);
    this.clients.set(key, { client, target });
    return client;
  }

  async release(target: BmcIdentity): Promise<void> {
    const key = ClientCache.keyOf(target);
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
