import { resolveModuleOrder } from './modules-dep';

/**
 * The one rule for which kernel modules a deploy ramdisk carries: every storage and wired network driver, chosen by
 * where the module lives in the kernel tree (paths under lib/modules/VERSION/), plus what they depend on. Wireless,
 * graphics and sound are left out: the agent needs a disk to write and a NIC to reach Rackboot, nothing else. USB
 * host and storage drivers are in so a USB stick shows up (and can be refused as a target).
 */
const DEPLOY_DRIVER_FOLDERS = [
  'kernel/drivers/nvme/host/',
  'kernel/drivers/ata/',
  'kernel/drivers/scsi/',
  'kernel/drivers/message/fusion/',
  'kernel/drivers/virtio/',
  'kernel/drivers/net/ethernet/',
  'kernel/drivers/net/usb/',
  'kernel/drivers/net/vmxnet3/',
  'kernel/drivers/net/hyperv/',
  'kernel/drivers/usb/storage/',
  'kernel/drivers/usb/host/',
];

/** Single modules outside those folders that a disk or NIC needs. */
const DEPLOY_DRIVER_FILES = [
  'kernel/drivers/block/virtio_blk.ko',
  'kernel/drivers/block/xen-blkfront.ko',
  'kernel/drivers/net/virtio_net.ko',
  'kernel/drivers/net/xen-netfront.ko',
];

/** Under a chosen folder but no server's disk or NIC driver (PCMCIA cards, `*_cs`, and parallel-port ZIP drives). */
const LEFT_OUT = [/\/pcmcia\//, /_cs\.ko$/, /\/scsi\/(imm|ppa)\.ko/];

/** Whether a module file (as modules.dep names it, maybe compressed) is a deploy driver by the rule above. */
export function isDeployDriver(moduleFile: string): boolean {
  const file = moduleFile.replace(/\.(xz|zst|gz)$/, '');
  if (LEFT_OUT.some((pattern) => pattern.test(file))) return false;
  return DEPLOY_DRIVER_FILES.includes(file) || DEPLOY_DRIVER_FOLDERS.some((folder) => file.startsWith(folder));
}

/** The deploy drivers of a kernel and their dependencies, in load order, from its modules.dep. */
export function deployModules(modulesDep: string): { drivers: string[]; order: string[] } {
  const drivers = modulesDep
    .split('\n')
    .map((line) => line.slice(0, line.indexOf(':')).trim())
    .filter((file) => file !== '' && isDeployDriver(file));
  const { order } = resolveModuleOrder(modulesDep, drivers.map(moduleName));
  return { drivers, order };
}

/** modprobe's name of a module file: kernel/drivers/net/ethernet/intel/ixgbe/ixgbe.ko → ixgbe. */
export function moduleName(file: string): string {
  return file.split('/').pop()!.replace(/\.ko(\.(xz|zst|gz))?$/, '').replace(/-/g, '_');
}
