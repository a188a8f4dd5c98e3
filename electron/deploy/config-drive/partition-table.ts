import { crc32 } from 'node:zlib';

/**
 * Where a config drive goes on the target disk, as Ironic's ironic-lib does it (create_config_drive_partition): a new
 * partition in the last 64 MiB of the disk, after the image. On GPT a new entry, the primary header and entries
 * rewritten, the backup entries and header moved to the disk's real end (the image put them at the image's end); on
 * MBR a free primary slot, and none free is a refusal. Pure: the image's first bytes and the disk's size in, the
 * sectors to write out.
 */

export const SECTOR_BYTES = 512;
/** Ironic's size for the config drive partition; the file system inside is much smaller. */
export const CONFIG_DRIVE_PARTITION_BYTES = 64 * 1024 * 1024;
/** How many bytes of the image's start the planner needs: the MBR, the GPT header and its entries. */
export const IMAGE_HEAD_BYTES = 1024 * 1024;
const ALIGN_SECTORS = 2048;
/** GPT type "Linux filesystem data", what sgdisk gives a new partition (ironic-lib leaves the default). */
const LINUX_DATA_TYPE = guidBytes('0FC63DAF-8483-4772-8E79-3D69D8477DE4');
const GPT_SIGNATURE = 'EFI PART';
const PROTECTIVE_TYPE = 0xee;

/** A refusal the technician reads: the deploy stops before anything is written. */
export class ConfigDriveRefusal extends Error {}

export interface MbrPartition {
  slot: number;
  type: number;
  startLba: number;
  sectors: number;
}

export type ImageTable =
  | { kind: 'gpt'; sector0: Uint8Array; header: Uint8Array; entries: Uint8Array; entryCount: number; entrySize: number; lastUsedLba: number; freeEntry: number; imageSectors: number }
  | { kind: 'mbr'; sector0: Uint8Array; partitions: MbrPartition[]; freeSlot: number; lastUsedLba: number; imageSectors: number };

export interface DiskRegion {
  /** Where the bytes go, in 512-byte sectors from the disk's start. */
  lba: number;
  data: Uint8Array;
  what: string;
}

export interface ConfigDriveLayout {
  partitionNumber: number;
  startLba: number;
  sectors: number;
  regions: DiskRegion[];
}

/** Mixed-endian GUID bytes, as GPT stores them. */
export function guidBytes(text: string): Uint8Array {
  const hex = text.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Error(`not a GUID: ${text}`);
  const bytes = Uint8Array.from(hex.match(/../g)!.map((pair) => parseInt(pair, 16)));
  const swap = (from: number, length: number): void => bytes.subarray(from, from + length).reverse() as unknown as void;
  swap(0, 4);
  swap(4, 2);
  swap(6, 2);
  return bytes;
}

/** A copy, even of a Node Buffer (whose slice() shares memory). */
const copy = (bytes: Uint8Array, start = 0, end = bytes.length): Uint8Array => new Uint8Array(bytes.subarray(start, end));
const view = (bytes: Uint8Array): DataView => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const u64 = (data: DataView, offset: number): number => Number(data.getBigUint64(offset, true));
const setU64 = (data: DataView, offset: number, value: number): void => data.setBigUint64(offset, BigInt(value), true);

function isZero(bytes: Uint8Array): boolean {
  return bytes.every((byte) => byte === 0);
}

function readMbr(sector0: Uint8Array): MbrPartition[] {
  const data = view(sector0);
  return [0, 1, 2, 3].map((slot) => {
    const at = 446 + slot * 16;
    return { slot, type: sector0[at + 4]!, startLba: data.getUint32(at + 8, true), sectors: data.getUint32(at + 12, true) };
  });
}

/**
 * The image's partition table from its first bytes (at least IMAGE_HEAD_BYTES, or the whole image when it is
 * smaller), checked so that a corrupt or full table is refused before the image is written.
 */
export function readImageTable(head: Uint8Array, imageBytes: number): ImageTable {
  const imageSectors = Math.ceil(imageBytes / SECTOR_BYTES);
  if (head.length < SECTOR_BYTES || head[510] !== 0x55 || head[511] !== 0xaa) {
    throw new ConfigDriveRefusal('the image has no partition table (no MBR boot signature), so no config drive partition can be added to it: use a whole-disk image, or clear the node’s instance settings to deploy it as it is');
  }
  const sector0 = copy(head, 0, SECTOR_BYTES);
  const partitions = readMbr(sector0);
  if (partitions.some((partition) => partition.type === PROTECTIVE_TYPE)) return readGpt(head, sector0, imageSectors);
  const used = partitions.filter((partition) => partition.type !== 0);
  const free = partitions.find((partition) => partition.type === 0);
  if (!free) {
    throw new ConfigDriveRefusal(
      `the image's MBR partition table has all four primary partitions in use (${used.map((partition) => `${partition.slot + 1}: type 0x${partition.type.toString(16).padStart(2, '0')}`).join(', ')}), so there is no slot for the config drive partition: use an image with a free primary slot or a GPT image, or clear the node's instance settings`,
    );
  }
  const lastUsedLba = Math.max(0, ...used.map((partition) => partition.startLba + partition.sectors - 1));
  return { kind: 'mbr', sector0, partitions, freeSlot: free.slot, lastUsedLba, imageSectors };
}

function readGpt(head: Uint8Array, sector0: Uint8Array, imageSectors: number): ImageTable {
  const header = copy(head, SECTOR_BYTES, 2 * SECTOR_BYTES);
  const data = view(header);
  if (new TextDecoder().decode(header.subarray(0, 8)) !== GPT_SIGNATURE) {
    throw new ConfigDriveRefusal('the image has a protective MBR but no GPT header at sector 1: its partition table is damaged; repair the image (sgdisk -v) first');
  }
  const headerSize = data.getUint32(12, true);
  if (headerSize < 92 || headerSize > SECTOR_BYTES) throw new ConfigDriveRefusal(`the image's GPT header size ${headerSize} is invalid: the partition table is damaged`);
  const withoutCrc = copy(header, 0, headerSize);
  view(withoutCrc).setUint32(16, 0, true);
  if (crc32(withoutCrc) !== data.getUint32(16, true)) throw new ConfigDriveRefusal('the image’s GPT header fails its CRC check: the partition table is damaged; repair the image (sgdisk -v) first');
  const entriesLba = u64(data, 72);
  const entryCount = data.getUint32(80, true);
  const entrySize = data.getUint32(84, true);
  if (entrySize < 128 || entrySize % 8 !== 0 || entryCount < 1 || entryCount > 1024) {
    throw new ConfigDriveRefusal(`the image's GPT has ${entryCount} entries of ${entrySize} bytes: not a table this tool rewrites`);
  }
  const entriesEnd = entriesLba * SECTOR_BYTES + entryCount * entrySize;
  if (entriesEnd > head.length) throw new ConfigDriveRefusal('the image’s GPT entries lie beyond its first MiB: not a layout this tool rewrites');
  const entries = copy(head, entriesLba * SECTOR_BYTES, entriesEnd);
  if (crc32(entries) !== data.getUint32(88, true)) throw new ConfigDriveRefusal('the image’s GPT partition entries fail their CRC check: the partition table is damaged');
  let lastUsedLba = 0;
  let freeEntry = -1;
  const entriesView = view(entries);
  for (let index = 0; index < entryCount; index++) {
    const at = index * entrySize;
    if (isZero(entries.subarray(at, at + 16))) {
      if (freeEntry < 0) freeEntry = index;
      continue;
    }
    lastUsedLba = Math.max(lastUsedLba, u64(entriesView, at + 40));
  }
  if (freeEntry < 0) throw new ConfigDriveRefusal(`all ${entryCount} entries of the image's GPT are in use: there is none left for the config drive partition`);
  return { kind: 'gpt', sector0, header, entries, entryCount, entrySize, lastUsedLba, freeEntry, imageSectors };
}

function partitionStart(table: ImageTable, driveBytes: number, endLba: number): { startLba: number; sectors: number } {
  const sectors = Math.max(CONFIG_DRIVE_PARTITION_BYTES, driveBytes) / SECTOR_BYTES;
  const startLba = Math.floor((endLba + 1 - sectors) / ALIGN_SECTORS) * ALIGN_SECTORS;
  const firstFree = Math.max(table.lastUsedLba + 1, table.imageSectors);
  if (startLba < firstFree) {
    const needMib = Math.ceil(((firstFree + sectors) * SECTOR_BYTES) / (1024 * 1024));
    throw new ConfigDriveRefusal(`the target disk (${Math.floor(((endLba + 1) * SECTOR_BYTES) / (1024 * 1024))} MiB) has no room after the image for the 64 MiB config drive partition: it needs about ${needMib} MiB`);
  }
  return { startLba, sectors: endLba + 1 - startLba };
}

function utf16Name(name: string, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let index = 0; index < name.length && index * 2 < bytes; index++) view(out).setUint16(index * 2, name.charCodeAt(index), true);
  return out;
}

/**
 * The sectors that add the config drive `drive` (a file system image) as a partition at the end of a disk of
 * `diskSectors` 512-byte sectors holding the image of `table`. `partitionGuid` is the new GPT entry's unique GUID.
 */
export function planConfigDrive(table: ImageTable, drive: Uint8Array, diskSectors: number, partitionGuid: Uint8Array): ConfigDriveLayout {
  if (table.imageSectors > diskSectors) {
    throw new ConfigDriveRefusal(`the image (${table.imageSectors} sectors) is larger than the target disk (${diskSectors} sectors)`);
  }
  return table.kind === 'gpt' ? planGpt(table, drive, diskSectors, partitionGuid) : planMbr(table, drive, diskSectors);
}

function planMbr(table: Extract<ImageTable, { kind: 'mbr' }>, drive: Uint8Array, diskSectors: number): ConfigDriveLayout {
  // An MBR addresses 2^32 sectors: on a bigger disk the partition ends where MBR addressing does.
  const endLba = Math.min(diskSectors, 0xffffffff) - 1;
  const { startLba, sectors } = partitionStart(table, drive.length, endLba);
  const sector0 = copy(table.sector0);
  const at = 446 + table.freeSlot * 16;
  // CHS fields at their "use LBA" maximum, as partitioning tools write them past the first 8 GB.
  sector0.set([0x00, 0xfe, 0xff, 0xff, 0x83, 0xfe, 0xff, 0xff], at);
  view(sector0).setUint32(at + 8, startLba, true);
  view(sector0).setUint32(at + 12, sectors, true);
  return {
    partitionNumber: table.freeSlot + 1,
    startLba,
    sectors,
    regions: [
      { lba: startLba, data: drive, what: 'config drive file system' },
      { lba: 0, data: sector0, what: 'MBR with the config drive partition' },
    ],
  };
}

function planGpt(table: Extract<ImageTable, { kind: 'gpt' }>, drive: Uint8Array, diskSectors: number, partitionGuid: Uint8Array): ConfigDriveLayout {
  const entriesSectors = Math.ceil((table.entryCount * table.entrySize) / SECTOR_BYTES);
  const backupHeaderLba = diskSectors - 1;
  const backupEntriesLba = backupHeaderLba - entriesSectors;
  const lastUsable = backupEntriesLba - 1;
  const { startLba, sectors } = partitionStart(table, drive.length, lastUsable);

  const entries = copy(table.entries);
  const at = table.freeEntry * table.entrySize;
  entries.set(LINUX_DATA_TYPE, at);
  entries.set(partitionGuid, at + 16);
  setU64(view(entries), at + 32, startLba);
  setU64(view(entries), at + 40, lastUsable);
  setU64(view(entries), at + 48, 0);
  entries.set(utf16Name('config-2', 72), at + 56);
  const entriesCrc = crc32(entries);

  const header = (myLba: number, alternateLba: number, entriesLba: number): Uint8Array => {
    const bytes = new Uint8Array(SECTOR_BYTES);
    bytes.set(table.header.subarray(0, view(table.header).getUint32(12, true)));
    const data = view(bytes);
    setU64(data, 24, myLba);
    setU64(data, 32, alternateLba);
    setU64(data, 48, lastUsable);
    setU64(data, 72, entriesLba);
    data.setUint32(88, entriesCrc, true);
    data.setUint32(16, 0, true);
    data.setUint32(16, crc32(bytes.subarray(0, data.getUint32(12, true))), true);
    return bytes;
  };
  const primaryEntriesLba = Number(view(table.header).getBigUint64(72, true));
  const padTo = (bytes: Uint8Array): Uint8Array => {
    const out = new Uint8Array(entriesSectors * SECTOR_BYTES);
    out.set(bytes);
    return out;
  };
  // The protective MBR spans the disk (or as much of it as 32 bits say).
  const sector0 = copy(table.sector0);
  const protective = readMbr(sector0).find((partition) => partition.type === PROTECTIVE_TYPE)!;
  view(sector0).setUint32(446 + protective.slot * 16 + 12, Math.min(diskSectors - 1, 0xffffffff), true);

  const regions: DiskRegion[] = [
    { lba: startLba, data: drive, what: 'config drive file system' },
    { lba: backupEntriesLba, data: padTo(entries), what: 'backup GPT entries' },
    { lba: backupHeaderLba, data: header(backupHeaderLba, 1, backupEntriesLba), what: 'backup GPT header' },
    { lba: primaryEntriesLba, data: padTo(entries), what: 'GPT entries' },
    { lba: 1, data: header(1, backupHeaderLba, primaryEntriesLba), what: 'GPT header' },
    { lba: 0, data: sector0, what: 'protective MBR' },
  ];
  // The image's own backup header, at the image's end, would be a stale second table: cleared.
  const oldBackupLba = Number(view(table.header).getBigUint64(32, true));
  if (oldBackupLba !== backupHeaderLba && oldBackupLba < startLba) {
    regions.unshift({ lba: oldBackupLba, data: new Uint8Array(SECTOR_BYTES), what: 'the image’s old backup GPT header (cleared)' });
  }
  return { partitionNumber: table.freeEntry + 1, startLba, sectors, regions };
}
