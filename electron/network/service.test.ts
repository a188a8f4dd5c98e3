import { describe, expect, it } from 'vitest';
import { networkPlanInputSchema } from '../../shared/network';
import { HelperRefused } from './helper/client';
import type { HelperScope } from './helper/protocol';
import { parseNetworkState } from './interfaces';
import { NetworkJournal } from './journal';
import { applySteps, findInterface, newJournal, priorStateOf, resolveRequest } from './plan';
import { NetworkService } from './service';
import { capturedState, recordingExecutor, tempDirPerTest } from './test-fixtures';

/** These plans never reach the DHCP probe (the process is not privileged, or a fake executor answers). */
const refusedProbe = (): Promise<never> => Promise.reject(new Error('this test has no DHCP probe'));

describe('NetworkService on macOS and Windows', () => {
  const tempDir = tempDirPerTest('rackboot-netsvc-');

  const service = (platform: NodeJS.Platform) =>
    new NetworkService({
      dataDir: tempDir(),
      platform,
      tools: { nmcli: false, ovsVsctl: false, arping: false },
      dhcpProbe: refusedProbe,
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

describe('where the PXE services get ports 67, 69 and 4011', () => {
  const tempDir = tempDirPerTest('rackboot-netsvc-');
  const tools = { nmcli: false, ovsVsctl: false, arping: false };

  /** A change to eth-prov (bridge br-eth-prov) recorded in the journal, as apply leaves it. */
  async function appliedChange(dataDir: string): Promise<void> {
    const state = parseNetworkState(capturedState());
    const resolved = resolveRequest(networkPlanInputSchema.parse({ interface: 'eth-prov', subnet: '10.77.0.0/24' }), tools);
    const eth = findInterface(state, 'eth-prov')!;
    const steps = applySteps(resolved, eth);
    await NetworkJournal.inDataDir(dataDir).write(newJournal(resolved, priorStateOf(state, eth), 'run-a', steps.length, '2026-11-25T01:00:00.000Z'));
  }

  function serviceWith(privileged: boolean) {
    const opened: HelperScope[] = [];
    const executor = recordingExecutor();
    const service = new NetworkService({
      dataDir: tempDir(),
      privileged,
      platform: 'linux',
      tools,
      dhcpProbe: refusedProbe,
      openExecutor: async (scope) => {
        opened.push(scope);
        return executor;
      },
    });
    return { service, opened, asked: executor.bound };
  }

  it('is the helper of the applied change when Rackboot is not root', async () => {
    const { service, opened, asked } = serviceWith(false);
    await appliedChange(tempDir());
    const source = await service.privilegedUdpSource();
    const request = { port: 67 as const, address: '0.0.0.0', device: 'br-eth-prov', reuseAddress: true };
    (await source?.(request))?.close();
    expect(opened).toEqual([{ interface: 'eth-prov', bridge: 'br-eth-prov' }]);
    expect(asked).toEqual([request]);
  });

  it("passes the helper's refusal on as it is, not as a missing password", async () => {
    const reason = 'refused --interface eth-prov: eth-prov carries an IPv6 default route, so it is your uplink. Rackboot never changes it: pick the wired NIC cabled to the provisioning switch, not the uplink.';
    const service = new NetworkService({
      dataDir: tempDir(),
      platform: 'linux',
      tools,
      dhcpProbe: refusedProbe,
      openExecutor: async () => {
        throw new HelperRefused(reason);
      },
    });
    await appliedChange(tempDir());
    const source = await service.privilegedUdpSource();
    await expect(source?.({ port: 67, address: '0.0.0.0', device: 'br-eth-prov', reuseAddress: true })).rejects.toMatchObject({
      code: 'network-refused',
      message: `Rackboot's network helper refused to work on eth-prov: ${reason}`,
    });
  });

  it('is nothing when Rackboot runs as root (it binds the ports itself) or made no change', async () => {
    const root = serviceWith(true);
    await appliedChange(tempDir());
    expect(await root.service.privilegedUdpSource()).toBeNull();
    const { service, opened } = serviceWith(false);
    await NetworkJournal.inDataDir(tempDir()).clear();
    expect(await service.privilegedUdpSource()).toBeNull();
    expect(opened).toEqual([]);
  });
});
