import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LeasePool, loadLeases, saveLeases } from './leases';

const range = { start: '10.77.0.100', end: '10.77.0.102' };
const A = '52:54:00:00:00:0a';
const B = '52:54:00:00:00:0b';
const offerFor = (mac: string, now = 0, extra: Partial<Parameters<LeasePool['offer']>[0]> = {}) => ({
  mac,
  nodeId: null,
  fixedAddress: null,
  requestedAddress: null,
  now,
  ...extra,
});

describe('LeasePool', () => {
  it('offers the first free address and skips excluded ones', () => {
    const pool = new LeasePool(range, () => new Set(['10.77.0.100']));
    expect(pool.offer(offerFor(A))).toBe('10.77.0.101');
  });

  it('never offers or binds an address the rack already uses, asking afresh each time (a BMC enrolled meanwhile)', () => {
    const inUse = new Set<string>();
    const pool = new LeasePool(range, () => inUse);
    inUse.add('10.77.0.100');
    expect(pool.offer(offerFor(A))).toBe('10.77.0.101');
    inUse.add('10.77.0.102');
    expect(pool.offer(offerFor(B))).toBeNull();
    expect(pool.commit(B, '10.77.0.102', null, null, 3600, 0)).toBeNull();
    expect(pool.offer(offerFor(B, 0, { fixedAddress: '10.77.0.100' }))).toBeNull();
    inUse.delete('10.77.0.102');
    expect(pool.offer(offerFor(B))).toBe('10.77.0.102');
  });

  it('offers the same address again to the same client', () => {
    const pool = new LeasePool(range, () => new Set());
    const first = pool.offer(offerFor(A));
    expect(pool.offer(offerFor(A, 1000))).toBe(first);
  });

  it('does not offer an address held for another client', () => {
    const pool = new LeasePool(range, () => new Set());
    expect(pool.offer(offerFor(A))).toBe('10.77.0.100');
    expect(pool.offer(offerFor(B))).toBe('10.77.0.101');
  });

  it('honours a requested address that is free', () => {
    const pool = new LeasePool(range, () => new Set());
    expect(pool.offer(offerFor(A, 0, { requestedAddress: '10.77.0.102' }))).toBe('10.77.0.102');
  });

  it('returns null when the pool is exhausted', () => {
    const pool = new LeasePool({ start: '10.77.0.100', end: '10.77.0.100' }, () => new Set());
    pool.offer(offerFor(A));
    expect(pool.offer(offerFor(B))).toBeNull();
  });

  it('gives an address back to the pool once its offer has lapsed', () => {
    const pool = new LeasePool({ start: '10.77.0.100', end: '10.77.0.100' }, () => new Set());
    pool.offer(offerFor(A));
    expect(pool.offer(offerFor(B, 61_000))).toBe('10.77.0.100');
  });

  it('offers a static reservation even outside the pool', () => {
    const pool = new LeasePool(range, () => new Set());
    expect(pool.offer(offerFor(A, 0, { fixedAddress: '10.77.0.50' }))).toBe('10.77.0.50');
    expect(pool.commit(A, '10.77.0.50', 'n1', '10.77.0.50', 3600, 0)?.address).toBe('10.77.0.50');
  });

  it('refuses to commit an address outside the pool or bound to someone else', () => {
    const pool = new LeasePool(range, () => new Set());
    expect(pool.commit(A, '10.77.0.9', null, null, 3600, 0)).toBeNull();
    pool.commit(A, '10.77.0.100', null, null, 3600, 0);
    expect(pool.commit(B, '10.77.0.100', null, null, 3600, 1)).toBeNull();
  });

  it('keeps bindings until they expire and forgets them on release', () => {
    const pool = new LeasePool(range, () => new Set());
    pool.commit(A, '10.77.0.100', 'n1', null, 10, 0);
    expect(pool.bound(5_000)).toHaveLength(1);
    expect(pool.bound(10_000)).toHaveLength(0);
    pool.commit(B, '10.77.0.101', null, null, 10, 0);
    pool.release(B);
    expect(pool.bound(0).map((lease) => lease.mac)).toEqual([A]);
  });

  it('keeps a declined address out of offers for a while', () => {
    const pool = new LeasePool({ start: '10.77.0.100', end: '10.77.0.101' }, () => new Set());
    pool.decline(A, '10.77.0.100', 0);
    expect(pool.offer(offerFor(B, 1))).toBe('10.77.0.101');
  });

  it('starts from persisted leases so a restart keeps addresses', () => {
    const pool = new LeasePool(range, () => new Set(), [
      { mac: A, address: '10.77.0.100', nodeId: 'n1', state: 'bound', expiresAt: 10_000 },
    ]);
    expect(pool.offer(offerFor(B))).toBe('10.77.0.101');
    expect(pool.offer(offerFor(A))).toBe('10.77.0.100');
  });

  it('rejects a range whose start is above its end', () => {
    expect(() => new LeasePool({ start: '10.77.0.9', end: '10.77.0.1' }, () => new Set())).toThrow(/not a valid range/);
  });
});

describe('lease persistence', () => {
  it('writes and reads back leases without leaving temporary files', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'leases-'));
    const path = join(folder, 'leases.json');
    const leases = [{ mac: A, address: '10.77.0.100', nodeId: 'n1', state: 'bound' as const, expiresAt: 123 }];
    await saveLeases(path, leases);
    await saveLeases(path, leases);
    expect(await loadLeases(path)).toEqual(leases);
    expect(await readdir(folder)).toEqual(['leases.json']);
  });

  it('treats a missing file as no leases', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'leases-'));
    expect(await loadLeases(join(folder, 'none.json'))).toEqual([]);
  });

  it('says what to do when the file is damaged', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'leases-'));
    const path = join(folder, 'leases.json');
    await writeFile(path, '{"version":1,"leases":[{"mac":');
    await expect(loadLeases(path)).rejects.toThrow(/Move it aside/);
    expect(await readFile(path, 'utf8')).toContain('version');
  });
});
