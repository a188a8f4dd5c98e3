import { describe, expect, it } from 'vitest';
import { networkPlanInputSchema } from '../../shared/network';
import { NetworkService } from './service';
import { tempDirPerTest } from './test-fixtures';

describe('NetworkService on macOS and Windows', () => {
  const tempDir = tempDirPerTest('rackboot-netsvc-');

  const service = (platform: NodeJS.Platform) =>
    new NetworkService({
      dataDir: tempDir(),
      platform,
      tools: { nmcli: false, ovsVsctl: false, arping: false },
      openExecutor: async () => {
        throw new Error('no automation on this platform');
      },
    });

  it('plans address only, cannot apply, and gives the administrator commands', async () => {
    const plan = await service('darwin').plan(networkPlanInputSchema.parse({ interface: 'en5' }));
    expect(plan).toMatchObject({ mode: 'address-only', canApply: false, address: '192.168.2.10', bridge: null });
    expect(plan.script).toContain('sudo ifconfig en5 alias 192.168.2.10 netmask 255.255.255.0');
  });

  it('will not apply a plan that cannot be applied', async () => {
    const svc = service('win32');
    const plan = await svc.plan(networkPlanInputSchema.parse({ interface: 'Ethernet 2' }));
    await expect(svc.apply(plan.id)).rejects.toMatchObject({ code: 'plan-blocked' });
  });

  it('has no pending change on a fresh data folder', async () => {
    expect(await service('darwin').pendingChange()).toBeNull();
  });
});

describe('the plan request', () => {
  it('refuses interface names that could break out of the commands shown to the technician', () => {
    for (const name of ['eth0"; reboot', "en5' -alias", 'eth$(id)', 'a\\b', 'eth\u00070']) {
      expect(networkPlanInputSchema.safeParse({ interface: name }).success).toBe(false);
    }
    expect(networkPlanInputSchema.parse({ interface: 'Ethernet 2' }).interface).toBe('Ethernet 2');
  });
});
