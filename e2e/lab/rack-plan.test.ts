import { describe, expect, it } from 'vitest';
import { labIdOfNamespace, labNamespaces, planLab, smbiosBytesToUuid, uuidToSmbiosBytes } from './rack-plan';

describe('uuidToSmbiosBytes', () => {
  it('stores the first three fields little-endian, the rest as written (what iPXE put in option 97)', () => {
    // lab-notes: QEMU -uuid 89abcdef-0123-4567-89ab-cdef01234567 arrived as 0.239.205.171.137.35.1.103.69.137…
    expect([...uuidToSmbiosBytes('89abcdef-0123-4567-89ab-cdef01234567')]).toEqual([
      239, 205, 171, 137, 35, 1, 103, 69, 137, 171, 205, 239, 1, 35, 69, 103,
    ]);
  });

  it('round-trips through smbiosBytesToUuid', () => {
    const uuid = 'd6767362-37d7-4879-9509-b29b477b48ce';
    expect(smbiosBytesToUuid(uuidToSmbiosBytes(uuid))).toBe(uuid);
  });

  it('rejects text that is not a UUID', () => {
    expect(() => uuidToSmbiosBytes('not-a-uuid')).toThrow(/Not a UUID/);
  });
});

describe('planLab', () => {
  it('gives each server its own BMC address, user, MAC, tap and SOL port', () => {
    const plan = planLab('0a1b2c', 3);
    expect(plan.servers.map((s) => [s.bmcAddress, s.bmcUser, s.mac, s.tap, s.solPort])).toEqual([
      ['10.77.0.101', 'admin1', '52:54:00:0a:1b:01', 'tap1', 9001],
      ['10.77.0.102', 'admin2', '52:54:00:0a:1b:02', 'tap2', 9002],
      ['10.77.0.103', 'admin3', '52:54:00:0a:1b:03', 'tap3', 9003],
    ]);
    expect(new Set(plan.servers.map((s) => s.uuid)).size).toBe(3);
    expect(new Set(plan.servers.map((s) => s.bmcPassword)).size).toBe(3);
  });

  it('refuses a rack of no servers or more than fit below the DHCP pool', () => {
    expect(() => planLab('0a1b2c', 0)).toThrow(/1 to 40/);
    expect(() => planLab('0a1b2c', 41)).toThrow(/1 to 40/);
  });

  it('names namespaces so a crashed run can be found again by its id', () => {
    for (const name of Object.values(labNamespaces('0a1b2c'))) expect(labIdOfNamespace(name)).toBe('0a1b2c');
    expect(labIdOfNamespace('rbs123456')).toBeUndefined();
  });
});
