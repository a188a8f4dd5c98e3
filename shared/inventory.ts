import { z } from 'zod';
import { canonicalMacSchema } from './mac';

/**
 * What the deploy agent finds on a server (Ironic calls it introspection data): collected before every write and by the
 * standalone Inspect action, stored with the node, shown in the wizard and exported.
 */

const text = z.string().max(256);
const optionalText = text.nullable();

/** How a disk is attached, as the kernel shows it: the default disk choice never takes usb, and names the rest. */
export const diskTransportSchema = z.enum(['nvme', 'sata', 'sas', 'scsi', 'usb', 'virtio', 'mmc', 'unknown']);
export type DiskTransport = z.infer<typeof diskTransportSchema>;

export const filesystemSignatureSchema = z.object({
  /** As blkid names it: ext4, xfs, vfat, ntfs, LVM2_member, linux_raid_member, swap, iso9660… */
  type: text,
  label: optionalText,
  uuid: optionalText,
});
export type FilesystemSignature = z.infer<typeof filesystemSignatureSchema>;

export const partitionSchema = z.object({
  number: z.number().int().min(1),
  /** Kernel name, like sda1 or nvme0n1p1. */
  name: text,
  startBytes: z.number().int().min(0),
  sizeBytes: z.number().int().min(0),
  filesystem: filesystemSignatureSchema.nullable(),
});
export type Partition = z.infer<typeof partitionSchema>;

export const inventoryDiskSchema = z.object({
  /** Kernel name without /dev: sda, nvme0n1, vda. */
  name: text,
  byPath: optionalText,
  model: optionalText,
  vendor: optionalText,
  serial: optionalText,
  wwn: optionalText,
  /** SCSI host:channel:target:lun, for hctl hints; null where the disk is not a SCSI device. */
  hctl: optionalText,
  sizeBytes: z.number().int().min(0),
  rotational: z.boolean(),
  transport: diskTransportSchema,
  removable: z.boolean(),
  readOnly: z.boolean(),
  /** A BMC's virtual CD/USB media (iDRAC "Virtual CD", iLO "Virtual DVD-ROM"…): never a deploy target. */
  virtualMedia: z.boolean(),
  partitionTable: z.enum(['gpt', 'mbr']).nullable(),
  partitions: z.array(partitionSchema).max(256),
  /** A filesystem (or LVM/RAID member) written on the whole disk, without a partition table. */
  filesystem: filesystemSignatureSchema.nullable(),
});
export type InventoryDisk = z.infer<typeof inventoryDiskSchema>;

/** The switch port a NIC is cabled to, as the switch announces it over LLDP. */
export const lldpNeighbourSchema = z.object({
  chassisId: text,
  portId: text,
  portDescription: optionalText,
  systemName: optionalText,
  vlans: z.array(z.number().int().min(1).max(4094)).max(4094),
});
export type LldpNeighbour = z.infer<typeof lldpNeighbourSchema>;

export const inventoryNicSchema = z.object({
  name: text,
  mac: canonicalMacSchema,
  driver: optionalText,
  pciAddress: optionalText,
  hasLink: z.boolean(),
  speedMbps: z.number().int().min(0).nullable(),
  /** Null when no LLDP frame arrived within the listening window (or the NIC has no link). */
  lldp: lldpNeighbourSchema.nullable(),
});
export type InventoryNic = z.infer<typeof inventoryNicSchema>;

export const inventorySchema = z.object({
  collectedAt: z.string(),
  system: z.object({ vendor: optionalText, product: optionalText, serial: optionalText, uuid: optionalText }),
  cpu: z.object({
    model: optionalText,
    arch: text,
    sockets: z.number().int().min(0),
    cores: z.number().int().min(0),
    threads: z.number().int().min(0),
  }),
  memoryBytes: z.number().int().min(0),
  /** How the firmware started the ramdisk. */
  bootMode: z.enum(['bios', 'uefi']),
  disks: z.array(inventoryDiskSchema).max(1024),
  nics: z.array(inventoryNicSchema).max(256),
});
export type Inventory = z.infer<typeof inventorySchema>;

/** Ironic's size hint syntax in GiB: `100`, `>= 100`, `<= 2000`, `== 480`, `< 10`, `> 10`, `!= 0`. */
export const SIZE_HINT_PATTERN = /^\s*(?:(>=|<=|==|!=|<|>)\s*)?(\d{1,9})\s*$/;

/**
 * Ironic's root device hints: every given field must match the disk. `size` is in GiB with an optional operator;
 * the text fields compare case-insensitively after trimming; `name` may be given with or without /dev/.
 */
export const rootDeviceHintsSchema = z
  .object({
    name: text,
    byPath: text,
    size: z.string().regex(SIZE_HINT_PATTERN, 'size is whole GiB with an optional operator, like ">= 100" or "480"'),
    model: text,
    vendor: text,
    serial: text,
    wwn: text,
    rotational: z.boolean(),
    hctl: z.string().regex(/^\d+:\d+:\d+:\d+$/, 'hctl is host:channel:target:lun, like 0:0:0:0'),
  })
  .partial()
  .strict();
export type RootDeviceHints = z.infer<typeof rootDeviceHintsSchema>;

/**
 * Cleaning before the write, as Ironic's `erase_devices_metadata`: partition tables and filesystem signatures wiped
 * at the start and end of the target disk, or of every disk.
 */
export const cleaningSchema = z.enum(['none', 'target', 'all-disks']);
export type Cleaning = z.infer<typeof cleaningSchema>;

/** What changed between two inspections of one server; `text` is the sentence the wizard shows. */
export const inventoryChangeKindSchema = z.enum([
  'disk-added',
  'disk-removed',
  'disk-renamed',
  'disk-resized',
  'disk-contents',
  'nic-added',
  'nic-removed',
  'nic-renamed',
  'nic-moved',
  'nic-link',
  'memory',
  'cpu',
  'system',
  'boot-mode',
]);
export type InventoryChangeKind = z.infer<typeof inventoryChangeKindSchema>;

export const inventoryChangeSchema = z.object({
  kind: inventoryChangeKindSchema,
  /** The disk or NIC the change is about (its current name, or its last one when it is gone); null for the server. */
  subject: z.string().nullable(),
  text: z.string(),
});
export type InventoryChange = z.infer<typeof inventoryChangeSchema>;

/** A node's latest inventory as the wizard asks for it, with what changed since the inspection before. */
export const nodeInventorySchema = z.object({
  inventory: inventorySchema,
  /** When the inspection before this one collected; null when this is the first. */
  previousCollectedAt: z.string().nullable(),
  changes: z.array(inventoryChangeSchema),
});
export type NodeInventory = z.infer<typeof nodeInventorySchema>;
