/**
 * A lab server built like a real one: several disks on the buses servers have (virtio, AHCI SATA, NVMe, a USB stick),
 * each with its own serial (and WWN where QEMU's device has one), and the DMI fields a real board reports. Pure: the
 * QEMU arguments chassis-control.sh adds, from what the test asked for.
 */

export type LabDiskBus = 'virtio' | 'sata' | 'nvme' | 'usb';

export interface LabDiskSpec {
  bus: LabDiskBus;
  /** Size of the sparse raw file; the guest sees exactly this many bytes. */
  sizeMiB: number;
  serial: string;
  /** 16 hex digits, SATA only (QEMU's ide-hd has `wwn=`; virtio-blk, nvme and usb-storage have none). */
  wwn?: string;
  /** SATA only: the model string the disk reports (ATA IDENTIFY). */
  model?: string;
  /** The disk the firmware boots from after a deploy (one per server; default the first). */
  boot?: boolean;
}

export interface ServerHardware {
  disks: LabDiskSpec[];
  /** SMBIOS type 1 (what the agent reads from /sys/class/dmi/id); the UUID is always the server's own. */
  system?: { manufacturer: string; product: string; serial: string };
}

/** A disk as the lab made it: the spec and its file. */
export interface LabDisk extends LabDiskSpec {
  path: string;
}

/** What chassis-control.sh puts on QEMU's command line: the boot disk's device (it adds the boot index) and the rest. */
export interface HardwareArgs {
  bootDrive: string;
  bootDevice: string;
  otherArgs: string[];
}

// chassis-control.sh expands these unquoted and QEMU splits on commas: keep every value plain.
const PLAIN = /^[A-Za-z0-9._-]{1,40}$/;

function plain(what: string, value: string): string {
  if (!PLAIN.test(value)) throw new Error(`Lab hardware ${what} must be 1–40 letters, digits or "._-": ${JSON.stringify(value)}`);
  return value;
}

/** Checks the spec and names each disk's file; throws on what QEMU or the shell could not take. */
export function checkHardware(hardware: ServerHardware): void {
  if (hardware.disks.length === 0) throw new Error('Lab hardware needs at least one disk.');
  if (hardware.disks.filter((disk) => disk.boot).length > 1) throw new Error('Lab hardware: only one disk can be the boot disk.');
  for (const disk of hardware.disks) {
    if (!Number.isInteger(disk.sizeMiB) || disk.sizeMiB < 1) throw new Error(`Lab disk sizes are whole MiB ≥ 1: ${disk.sizeMiB}`);
    plain('disk serial', disk.serial);
    if (disk.model !== undefined) plain('disk model', disk.model);
    if (disk.wwn !== undefined && (disk.bus !== 'sata' || !/^[0-9a-f]{16}$/.test(disk.wwn))) {
      throw new Error(`Lab disk WWN: 16 lower-case hex digits, on a SATA disk only (QEMU's other devices have none): ${disk.wwn}`);
    }
    if (disk.model !== undefined && disk.bus !== 'sata') throw new Error('Lab disk model: SATA disks only.');
  }
  // An AHCI controller has six ports.
  if (hardware.disks.filter((disk) => disk.bus === 'sata').length > 6) throw new Error('Lab hardware: at most 6 SATA disks (one AHCI controller).');
  if (hardware.system) {
    plain('system manufacturer', hardware.system.manufacturer);
    plain('system product', hardware.system.product);
    plain('system serial', hardware.system.serial);
  }
}

/** `port`: the disk's port on the AHCI controller (SATA disks count from 0 in the order given). */
function deviceOf(disk: LabDisk, drive: string, port: number): string {
  const serial = `serial=${disk.serial}`;
  switch (disk.bus) {
    case 'virtio':
      return `virtio-blk-pci,drive=${drive},${serial}`;
    case 'sata':
      return [`ide-hd,bus=ahci0.${port},drive=${drive},${serial}`, disk.wwn && `wwn=0x${disk.wwn}`, disk.model && `model=${disk.model}`].filter(Boolean).join(',');
    case 'nvme':
      return `nvme,drive=${drive},${serial}`;
    case 'usb':
      // A stick says it is removable, as real ones do.
      return `usb-storage,bus=xhci0.0,drive=${drive},${serial},removable=on`;
  }
}

/** The disk marked `boot`, else the first. */
export function bootDiskOf<T extends LabDiskSpec>(disks: T[]): T {
  return disks.find((disk) => disk.boot) ?? disks[0]!;
}

export function hardwareArgs(hardware: ServerHardware, disks: LabDisk[]): HardwareArgs {
  const boot = bootDiskOf(disks);
  const sataPort = (disk: LabDisk): number => disks.filter((other) => other.bus === 'sata').indexOf(disk);
  const controllers: string[] = [];
  if (disks.some((disk) => disk.bus === 'sata')) controllers.push('-device', 'ahci,id=ahci0');
  if (disks.some((disk) => disk.bus === 'usb')) controllers.push('-device', 'qemu-xhci,id=xhci0');
  const others = disks.flatMap((disk, index) => {
    if (disk === boot) return [];
    const drive = `disk${index}`;
    return ['-drive', `file=${disk.path},format=raw,if=none,id=${drive}`, '-device', deviceOf(disk, drive, sataPort(disk))];
  });
  const bootDrive = `disk${disks.indexOf(boot)}`;
  const system = hardware.system ? ['-smbios', `type=1,manufacturer=${hardware.system.manufacturer},product=${hardware.system.product},serial=${hardware.system.serial}`] : [];
  return { bootDrive, bootDevice: deviceOf(boot, bootDrive, sataPort(boot)), otherArgs: [...controllers, ...others, ...system] };
}
