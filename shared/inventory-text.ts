import type { FilesystemSignature, Inventory, InventoryDisk, InventoryNic, LldpNeighbour } from './inventory';

/**
 * The words the wizard, the change list and the logs use for what an inventory holds, written once so a disk reads the
 * same everywhere ("480 GB SATA SSD", "2 partitions, ext4 'data'").
 */

/** A disk's size as its maker prints it: decimal units, three figures at most (480 GB, 1.8 TB, 960 GB). */
export function formatDiskSize(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  let value = bytes;
  let unit = 0;
  while (value >= 999.5 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const shown = value >= 99.95 || unit === 0 ? Math.round(value).toString() : (Math.round(value * 10) / 10).toString();
  return `${shown} ${units[unit]}`;
}

/** Memory as the operating system counts it: binary units (64 GiB, 512 MiB). */
export function formatMemory(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const shown = Number.isInteger(value) || value >= 100 ? Math.round(value).toString() : (Math.round(value * 10) / 10).toString();
  return `${shown} ${units[unit]}`;
}

const TRANSPORT_WORDS: Record<InventoryDisk['transport'], string> = {
  nvme: 'NVMe',
  sata: 'SATA',
  sas: 'SAS',
  scsi: 'SCSI',
  usb: 'USB',
  virtio: 'virtio',
  mmc: 'MMC',
  unknown: '',
};

/** "SATA SSD", "SAS HDD", "NVMe SSD", "USB disk", "virtio disk". */
export function diskKind(disk: InventoryDisk): string {
  if (disk.virtualMedia) return 'virtual media';
  if (disk.transport === 'usb' || disk.transport === 'virtio' || disk.transport === 'mmc') return `${TRANSPORT_WORDS[disk.transport]} disk`;
  const medium = disk.rotational ? 'HDD' : 'SSD';
  const transport = TRANSPORT_WORDS[disk.transport];
  return transport ? `${transport} ${medium}` : medium;
}

/** Vendor and model without the vendor said twice ("ATA Samsung SSD 860" keeps both; "Samsung Samsung…" does not). */
function makeAndModel(disk: InventoryDisk): string | null {
  const vendor = disk.vendor?.trim() ?? '';
  const model = disk.model?.trim() ?? '';
  if (!model) return vendor || null;
  if (!vendor || model.toLowerCase().startsWith(vendor.toLowerCase())) return model;
  return `${vendor} ${model}`;
}

/** "480 GB SATA SSD, Samsung MZ7LH480, serial S45NNE0M" — what identifies the disk to a technician at the rack. */
export function describeDisk(disk: InventoryDisk): string {
  const parts = [`${formatDiskSize(disk.sizeBytes)} ${diskKind(disk)}`];
  const make = makeAndModel(disk);
  if (make) parts.push(make);
  if (disk.serial?.trim()) parts.push(`serial ${disk.serial.trim()}`);
  return parts.join(', ');
}

function describeFilesystem(filesystem: FilesystemSignature): string {
  return filesystem.label ? `${filesystem.type} '${filesystem.label}'` : filesystem.type;
}

/** Whether the disk holds anything a write would destroy: a partition table or a filesystem signature. */
export function diskHoldsData(disk: InventoryDisk): boolean {
  return disk.partitionTable !== null || disk.partitions.length > 0 || disk.filesystem !== null;
}

/** What the disk holds, in the words of the erase confirmation: "2 partitions, ext4 'data'", "xfs 'scratch'", "empty". */
export function describeDiskContents(disk: InventoryDisk): string {
  if (!diskHoldsData(disk)) return 'empty';
  if (disk.partitions.length === 0) {
    if (disk.filesystem) return describeFilesystem(disk.filesystem);
    return `an empty ${disk.partitionTable === 'gpt' ? 'GPT' : 'MBR'} partition table`;
  }
  const count = disk.partitions.length === 1 ? '1 partition' : `${disk.partitions.length} partitions`;
  const filesystems = disk.partitions.flatMap((partition) => (partition.filesystem ? [describeFilesystem(partition.filesystem)] : []));
  return [count, ...filesystems].join(', ');
}

/** The erase confirmation: "sda: 2 partitions, ext4 'data', 1.8 TB — erase and deploy?" */
export function eraseQuestion(disk: InventoryDisk): string {
  return `${disk.name}: ${describeDiskContents(disk)}, ${formatDiskSize(disk.sizeBytes)} — erase and deploy?`;
}

/** "Gi1/0/7 on sw-a": the port as the switch names it, and the switch by name, or by chassis id without one. */
export function describeSwitchPort(neighbour: LldpNeighbour): string {
  return `${neighbour.portId} on ${neighbour.systemName?.trim() || neighbour.chassisId}`;
}

/** 1 Gb/s, 25 Gb/s, 100 Mb/s. */
export function formatLinkSpeed(speedMbps: number): string {
  return speedMbps >= 1000 && speedMbps % 1000 === 0 ? `${speedMbps / 1000} Gb/s` : `${speedMbps} Mb/s`;
}

/** "link up, 10 Gb/s" or "no link". */
export function describeLink(nic: InventoryNic): string {
  if (!nic.hasLink) return 'no link';
  return nic.speedMbps === null ? 'link up' : `link up, ${formatLinkSpeed(nic.speedMbps)}`;
}

/** "2 × Intel Xeon Gold 6130, 32 cores, 64 threads (x86_64)". */
export function describeCpus(cpu: Inventory['cpu']): string {
  const model = cpu.model?.trim() || 'unknown CPU';
  const sockets = cpu.sockets > 1 ? `${cpu.sockets} × ${model}` : model;
  return `${sockets}, ${cpu.cores} cores, ${cpu.threads} threads (${cpu.arch})`;
}
