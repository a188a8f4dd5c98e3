import { describe, expect, it } from 'vitest';
import { resolveModuleOrder } from './modules-dep';
import { VIRTIO_MODULES_DEP as DEBIAN_6_1 } from './test-fixtures';

describe('kernel module order', () => {
  it('puts every dependency before the module that needs it', () => {
    const { order, missing } = resolveModuleOrder(DEBIAN_6_1, ['virtio_pci', 'virtio_net', 'virtio-blk']);
    expect(missing).toEqual([]);
    const names = order.map((file) => file.split('/').pop());
    for (const [module, dep] of [
      ['virtio_pci.ko', 'virtio.ko'],
      ['virtio_net.ko', 'net_failover.ko'],
      ['net_failover.ko', 'failover.ko'],
      ['virtio_blk.ko', 'virtio_ring.ko'],
    ]) {
      expect(names.indexOf(module)).toBeGreaterThan(names.indexOf(dep));
    }
    expect(new Set(names).size).toBe(names.length);
  });

  it('names the modules the kernel does not have', () => {
    expect(resolveModuleOrder(DEBIAN_6_1, ['virtio_net', 'e1000e']).missing).toEqual(['e1000e']);
  });
});
