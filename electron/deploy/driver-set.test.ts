import { describe, expect, it } from 'vitest';
import { deployModules, isDeployDriver, moduleName } from './driver-set';

describe('deploy driver set', () => {
  it.each([
    'kernel/drivers/scsi/megaraid/megaraid_sas.ko',
    'kernel/drivers/scsi/mpt3sas/mpt3sas.ko',
    'kernel/drivers/scsi/smartpqi/smartpqi.ko',
    'kernel/drivers/scsi/hpsa.ko',
    'kernel/drivers/nvme/host/nvme.ko',
    'kernel/drivers/ata/ahci.ko',
    'kernel/drivers/usb/storage/uas.ko',
    'kernel/drivers/usb/host/xhci-pci.ko',
    'kernel/drivers/net/ethernet/intel/ice/ice.ko',
    'kernel/drivers/net/ethernet/mellanox/mlx5/core/mlx5_core.ko',
    'kernel/drivers/net/virtio_net.ko',
    'kernel/drivers/block/virtio_blk.ko',
    'kernel/drivers/net/ethernet/broadcom/tg3.ko.xz',
  ])('takes the storage or network driver %s', (file) => {
    expect(isDeployDriver(file)).toBe(true);
  });

  it.each([
    'kernel/drivers/net/wireless/intel/iwlwifi/iwlwifi.ko',
    'kernel/drivers/gpu/drm/i915/i915.ko',
    'kernel/sound/pci/hda/snd-hda-intel.ko',
    'kernel/drivers/block/loop.ko',
    'kernel/drivers/scsi/pcmcia/aha152x_cs.ko',
    'kernel/drivers/scsi/ppa.ko',
    'kernel/drivers/net/ethernet/3com/3c589_cs.ko',
  ])('leaves out %s (no disk or wired NIC)', (file) => {
    expect(isDeployDriver(file)).toBe(false);
  });

  it('adds what the chosen drivers depend on, before them, even from folders the rule leaves out', () => {
    const dep = [
      'kernel/drivers/net/ethernet/mellanox/mlx5/core/mlx5_core.ko: kernel/drivers/net/ethernet/mellanox/mlxfw/mlxfw.ko kernel/net/psample/psample.ko kernel/drivers/pci/controller/pci-hyperv-intf.ko',
      'kernel/drivers/net/ethernet/mellanox/mlxfw/mlxfw.ko:',
      'kernel/net/psample/psample.ko:',
      'kernel/drivers/pci/controller/pci-hyperv-intf.ko:',
      'kernel/drivers/net/wireless/ath/ath9k/ath9k.ko: kernel/net/mac80211/mac80211.ko',
      'kernel/net/mac80211/mac80211.ko:',
      '',
    ].join('\n');
    const { drivers, order } = deployModules(dep);
    expect(drivers).toEqual(['kernel/drivers/net/ethernet/mellanox/mlx5/core/mlx5_core.ko', 'kernel/drivers/net/ethernet/mellanox/mlxfw/mlxfw.ko']);
    expect(order.indexOf('kernel/net/psample/psample.ko')).toBeLessThan(order.indexOf('kernel/drivers/net/ethernet/mellanox/mlx5/core/mlx5_core.ko'));
    expect(order).not.toContain('kernel/net/mac80211/mac80211.ko');
    expect(order).toHaveLength(4);
  });

  it('names a module file as modprobe does', () => {
    expect(moduleName('kernel/drivers/usb/host/xhci-pci.ko.xz')).toBe('xhci_pci');
  });
});
