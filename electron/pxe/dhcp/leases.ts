// Address pool with offers, bindings and static reservations, plus atomic persistence of the bindings.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { type Lease, leaseSchema } from '../../../shared/pxe';
import { writeFileAtomic } from '../../lib/atomic-file';
import { numberToIp, parseIpv4 } from '../../lib/ipv4';

/** How long an offered address stays held for the client that was offered it. */
const OFFER_HOLD_MS = 60_000;
/** How long an address a client declined (RFC 2131 DHCPDECLINE: someone else uses it) stays out of the pool. */
const DECLINE_HOLD_MS = 10 * 60_000;

export interface OfferRequest {
  mac: string;
  nodeId: string | null;
  fixedAddress: string | null;
  requestedAddress: string | null;
  now: number;
}

export class LeasePool {
  private readonly first: number;
  private readonly last: number;
  private readonly byAddress = new Map<string, Lease>();
  private readonly declined = new Map<string, number>();

  constructor(
    range: { start: string; end: string },
    /** Addresses never leased: ours, and those the rack already uses (asked afresh for each offer and binding). */
    private readonly excluded: () => ReadonlySet<string>,
    leases: readonly Lease[] = [],
  ) {
    const first = parseIpv4(range.start);
    const last = parseIpv4(range.end);
    if (first === null || last === null || first > last) {
      throw new Error(`The address pool ${range.start}–${range.end} is not a valid range: the start must not be above the end.`);
    }
    this.first = first;
    this.last = last;
    for (const lease of leases) this.byAddress.set(lease.address, lease);
  }

  inPool(address: string): boolean {
    const value = parseIpv4(address);
    return value !== null && value >= this.first && value <= this.last;
  }

  private heldByOther(address: string, mac: string, now: number): boolean {
    const lease = this.byAddress.get(address);
    return lease !== undefined && lease.mac !== mac && lease.expiresAt > now;
  }

  private usable(address: string, mac: string, now: number, excluded: ReadonlySet<string>): boolean {
    const declinedUntil = this.declined.get(address) ?? 0;
    return !excluded.has(address) && declinedUntil <= now && !this.heldByOther(address, mac, now);
  }

  private leaseOf(mac: string): Lease | undefined {
    for (const lease of this.byAddress.values()) if (lease.mac === mac) return lease;
    return undefined;
  }

  /** Picks an address for a DISCOVER and holds it briefly; null when none is free. */
  offer(request: OfferRequest): string | null {
    const { mac, now } = request;
    const address = this.chooseAddress(request);
    if (address === null) return null;
    const current = this.byAddress.get(address);
    if (current?.mac === mac && current.state === 'bound' && current.expiresAt > now) return address;
    this.forget(mac);
    this.byAddress.set(address, { mac, address, nodeId: request.nodeId, state: 'offered', expiresAt: now + OFFER_HOLD_MS });
    return address;
  }

  private chooseAddress({ mac, fixedAddress, requestedAddress, now }: OfferRequest): string | null {
    const excluded = this.excluded();
    if (fixedAddress !== null) return this.usable(fixedAddress, mac, now, excluded) ? fixedAddress : null;
    const previous = this.leaseOf(mac);
    if (previous && this.inPool(previous.address) && this.usable(previous.address, mac, now, excluded)) return previous.address;
    if (requestedAddress !== null && this.inPool(requestedAddress) && this.usable(requestedAddress, mac, now, excluded)) {
      return requestedAddress;
    }
    let oldestExpired: Lease | null = null;
    for (let value = this.first; value <= this.last; value++) {
      const address = numberToIp(value);
      if (!this.usable(address, mac, now, excluded)) continue;
      const lease = this.byAddress.get(address);
      if (!lease) return address;
      if (!oldestExpired || lease.expiresAt < oldestExpired.expiresAt) oldestExpired = lease;
    }
    return oldestExpired?.address ?? null;
  }

  /**
   * Binds `address` to `mac` for a REQUEST. Null means the address is not this client's to have (answer NAK).
   * `fixedAddress` is the client's reservation, which may lie outside the pool.
   */
  commit(mac: string, address: string, nodeId: string | null, fixedAddress: string | null, leaseSeconds: number, now: number): Lease | null {
    const allowed = fixedAddress !== null ? address === fixedAddress : this.inPool(address);
    if (!allowed || !this.usable(address, mac, now, this.excluded())) return null;
    this.forget(mac);
    const lease: Lease = { mac, address, nodeId, state: 'bound', expiresAt: now + leaseSeconds * 1000 };
    this.byAddress.set(address, lease);
    return lease;
  }

  release(mac: string): boolean {
    return this.forget(mac);
  }

  decline(mac: string, address: string, now: number): void {
    if (this.byAddress.get(address)?.mac === mac) this.byAddress.delete(address);
    this.declined.set(address, now + DECLINE_HOLD_MS);
  }

  /** Bindings that are still valid: what gets persisted and shown. */
  bound(now: number): Lease[] {
    return [...this.byAddress.values()].filter((lease) => lease.state === 'bound' && lease.expiresAt > now);
  }

  private forget(mac: string): boolean {
    const lease = this.leaseOf(mac);
    if (lease) this.byAddress.delete(lease.address);
    return lease !== undefined;
  }
}

const LeaseFile = z.object({ version: z.literal(1), leases: z.array(leaseSchema) });

export async function loadLeases(path: string): Promise<Lease[]> {
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  try {
    return LeaseFile.parse(JSON.parse(raw)).leases;
  } catch {
    throw new Error(`The DHCP lease file ${path} is damaged. Move it aside to start with an empty lease table.`);
  }
}

/** Replaces the lease file atomically: a crash leaves the old table or the new one, never half. */
export async function saveLeases(path: string, leases: readonly Lease[]): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify({ version: 1, leases }, null, 1)}\n`, 0o600);
}
