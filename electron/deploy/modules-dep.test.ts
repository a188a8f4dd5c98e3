import { describe, expect, it } from 'vitest';
import { resolveModuleOrder } from './modules-dep';

// The relevant lines of Debian 6.1's modules.dep.
const DEBIAN_6_1 = `kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/virtio/virtio_ring.ko:
kernel/drivers/virtio/virtio_pci_modern_dev.ko:
kernel/drivers/virtio/virtio_pci_legacy_dev.ko:
kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_legacy_dev.ko kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio_ring.ko kernel/drivers/virtio/virtio.ko
kernel/net/core/failover.ko:
kernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko
kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko kernel/net/core/failover.ko kernel/drivers/virtio/virtio_ring.ko kernel/drivers/virtio/virtio.ko
kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio_ring.ko kernel/drivers/virtio/virtio.ko
`;

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
