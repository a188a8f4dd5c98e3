import { describe, expect, it } from 'vitest';
import { moduleLoadOrder } from './boot-materials';

// Lines of the modules.dep that depmod writes for Debian's 6.1.0-56-amd64 kernel.
const MODULES_DEP = `kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/virtio/virtio_ring.ko:
kernel/drivers/virtio/virtio_pci_modern_dev.ko:
kernel/drivers/virtio/virtio_pci_legacy_dev.ko:
kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_legacy_dev.ko kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko kernel/net/core/failover.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko
kernel/net/core/failover.ko:
`;

const names = (paths: string[]): string[] => paths.map((path) => path.split('/').at(-1)!.replace('.ko', ''));

describe('moduleLoadOrder', () => {
  it('loads dependencies first, in the order lab-notes proved for the virtio NIC and disk', () => {
    expect(names(moduleLoadOrder(MODULES_DEP, ['virtio_pci', 'virtio_net', 'virtio_blk']))).toEqual([
      'virtio_ring',
      'virtio',
      'virtio_pci_modern_dev',
      'virtio_pci_legacy_dev',
      'virtio_pci',
      'failover',
      'net_failover',
      'virtio_net',
      'virtio_blk',
    ]);
  });

  it('accepts dashes for underscores, as modprobe does', () => {
    expect(names(moduleLoadOrder(MODULES_DEP, ['net-failover']))).toEqual(['failover', 'net_failover']);
  });

  it('says so when a module is not in modules.dep', () => {
    expect(() => moduleLoadOrder(MODULES_DEP, ['e1000e'])).toThrow(/e1000e is not in modules.dep/);
  });
});
