import { describe, expect, it } from 'vitest';
import { BmcPool } from './pool';
import { FakeBmc } from './testing/fake-bmc';

function pool() {
  const bmc = new FakeBmc({
    users: { root: { password: 'pw', maxPrivilege: 4 }, op: { password: 'pw', maxPrivilege: 3 } },
    handle: () => ({ completionCode: 0, data: Buffer.from([0x01, 0x00, 0x00]) }),
  });
  return { bmc, pool: new BmcPool({ initialTimeoutMs: 30, openChannel: async () => bmc.channel() }) };
}

describe('BmcPool', () => {
  it('hands out one client, and one BMC session, per address, port and user', async () => {
    const { bmc, pool: bmcs } = pool();
    const first = bmcs.getClient({ address: '192.0.2.30', user: 'root', password: 'pw' });
    const again = bmcs.getClient({ address: '192.0.2.30', port: 623, user: 'root', password: 'pw' });
    expect(again).toBe(first);
    await Promise.all([first.getChassisStatus(), again.getChassisStatus()]);
    expect(bmc.sessionCount).toBe(1);
    expect(bmcs.getClient({ address: '192.0.2.30', user: 'op', password: 'pw', privilege: 'operator' })).not.toBe(first);
    await bmcs.closeAll();
  });

  it('replaces the client, closing its session, when the password changes', async () => {
    const { bmc, pool: bmcs } = pool();
    const old = bmcs.getClient({ address: '192.0.2.30', user: 'root', password: 'old' });
    const renewed = bmcs.getClient({ address: '192.0.2.30', user: 'root', password: 'pw' });
    expect(renewed).not.toBe(old);
    await renewed.connect();
    await bmcs.release({ address: '192.0.2.30', port: 623, user: 'root' });
    expect(bmc.sessionCount).toBe(0);
    expect(bmcs.size).toBe(0);
  });
});
