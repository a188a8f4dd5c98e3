import { describe, expect, it } from 'vitest';
import type { BootActivity } from '../../pxe/booter';
import type { BootPlan, BootSignal } from '../../deploy/ports';
import { BootPlans, type BootServices } from './boot-plans';

const MAC = '52:54:00:12:34:56';
const plan: BootPlan = { mac: MAC, mode: 'bios', kernelUrlPath: '/deploy/vmlinuz', initrdUrlPath: '/deploy/initrd', nicDriversUrlPath: null, kernelArgs: ['console=ttyS0', 'quiet'] };

/** Services that report whatever activity the test feeds them. */
function fakeServices(): BootServices & { report(mac: string, activity: BootActivity): void } {
  const listeners: ((mac: string, activity: BootActivity) => void)[] = [];
  return {
    agentBaseUrl: 'http://10.77.0.1:8080',
    captureMac: (nodeId) => Promise.resolve({ mac: `captured-for-${nodeId}`, matchedBy: 'system-guid' }),
    onActivity: (listener) => {
      listeners.push(listener);
      return () => undefined;
    },
    report: (mac, activity) => listeners.forEach((listener) => listener(mac, activity)),
  };
}

describe('the deploy plans as the PXE services booter', () => {
  it('boots a MAC only between prepare and release', () => {
    const plans = new BootPlans(() => false);
    const network = plans.network(fakeServices());
    expect(plans.shouldBoot(MAC)).toBe(false);
    network.prepare(plan);
    expect(plans.shouldBoot(MAC)).toBe(true);
    network.release(MAC);
    expect(plans.shouldBoot(MAC)).toBe(false);
    expect(plans.bootSpec(MAC)).toBeNull();
  });

  it('gives a planned MAC the plan kernel, initrd and kernel arguments', () => {
    const plans = new BootPlans(() => false);
    plans.network(fakeServices()).prepare(plan);
    expect(plans.bootSpec(MAC)).toEqual({ kernelUrl: '/deploy/vmlinuz', initrdUrls: ['/deploy/initrd'], cmdline: 'console=ttyS0 quiet' });
    plans.network(fakeServices()).prepare({ ...plan, nicDriversUrlPath: '/deploy/nic-drivers.cpio' });
    expect(plans.bootSpec(MAC)).toMatchObject({ bootNicDriversUrl: '/deploy/nic-drivers.cpio' });
  });

  it('asks the node list which MACs are claimed', () => {
    const plans = new BootPlans((mac) => mac === MAC);
    expect(plans.isClaimed(MAC)).toBe(true);
    expect(plans.isClaimed('52:54:00:00:00:01')).toBe(false);
  });

  it("reports the plan kernel's download as the ramdisk, to the watchers of that MAC only", () => {
    const services = fakeServices();
    const network = new BootPlans(() => false).network(services);
    const seen: BootSignal[] = [];
    const other: BootSignal[] = [];
    network.watch(MAC, (signal) => seen.push(signal));
    network.watch('52:54:00:00:00:01', (signal) => other.push(signal));
    services.report(MAC, { kind: 'dhcp' });
    services.report(MAC, { kind: 'kernel', file: '/deploy/vmlinuz' });
    expect(seen).toEqual([{ kind: 'dhcp' }, { kind: 'ramdisk', file: '/deploy/vmlinuz' }]);
    expect(other).toEqual([]);
  });

  it('stops telling a watcher once it unsubscribed', () => {
    const services = fakeServices();
    const network = new BootPlans(() => false).network(services);
    const seen: BootSignal[] = [];
    const unwatch = network.watch(MAC, (signal) => seen.push(signal));
    unwatch();
    services.report(MAC, { kind: 'dhcp' });
    expect(seen).toEqual([]);
  });

  it("captures by the target's node id and reaches the agent at the services' origin", async () => {
    const network = new BootPlans(() => false).network(fakeServices());
    const target = { nodeId: 'n1', name: 'n1', bmc: { address: '127.0.0.1', port: 623, user: 'u', password: 'p' }, mac: null };
    await expect(network.captureMac(target, null, new AbortController().signal)).resolves.toEqual({ mac: 'captured-for-n1', matchedBy: 'system-guid' });
    expect(network.agentBaseUrl).toBe('http://10.77.0.1:8080');
  });
});
