import { SIZE_HINT_PATTERN, type InventoryDisk, type RootDeviceHints } from './inventory';

/**
 * Which disk of a server the OS goes to, from its inventory: Ironic's root device hints when the node has some, else
 * Ironic's default rule (the smallest disk of at least 4 GiB) minus what may never be a target here. Pure, so the wizard
 * previews the very choice the deploy makes; every answer says why in words a technician can check.
 */

const GIB = 1024 ** 3;
/** Ironic's default rule skips disks smaller than this (ironic-python-agent's minimum root device size). */
export const MIN_DEFAULT_DISK_BYTES = 4 * GIB;

export type DiskChoice =
  | { ok: true; disk: InventoryDisk; why: string }
  | { ok: false; why: string };

/** Why a disk can never be written by a deploy, or null. A hint cannot overrule these. */
export function unwritableReason(disk: InventoryDisk): string | null {
  if (disk.virtualMedia) return 'it is the BMC’s virtual media';
  if (disk.readOnly) return 'it is read-only';
  if (disk.sizeBytes === 0) return 'it has no medium (size 0)';
  return null;
}

/** Why the default rule passes a disk over, or null when it may take it. */
function defaultRuleReason(disk: InventoryDisk): string | null {
  const unwritable = unwritableReason(disk);
  if (unwritable) return unwritable;
  if (disk.transport === 'usb') return 'it is a USB device';
  if (disk.removable) return 'it is removable';
  if (disk.sizeBytes < MIN_DEFAULT_DISK_BYTES) return `it is smaller than 4 GiB (${formatBytes(disk.sizeBytes)})`;
  return null;
}

const sameText = (a: string, b: string): boolean => a.trim().toLowerCase() === b.trim().toLowerCase();
const withoutPrefix = (value: string, prefix: string): string => (value.trim().startsWith(prefix) ? value.trim().slice(prefix.length) : value.trim());

/** Ironic compares a size hint with the disk's size in whole GiB, rounded down. */
export function sizeMatches(hint: string, sizeBytes: number): boolean {
  const match = SIZE_HINT_PATTERN.exec(hint);
  if (!match) return false;
  const operator = match[1] ?? '==';
  const wanted = Number(match[2]);
  const gib = Math.floor(sizeBytes / GIB);
  switch (operator) {
    case '>=':
      return gib >= wanted;
    case '<=':
      return gib <= wanted;
    case '>':
      return gib > wanted;
    case '<':
      return gib < wanted;
    case '!=':
      return gib !== wanted;
    default:
      return gib === wanted;
  }
}

/** The first hint the disk does not satisfy, in words ("serial is S3Z2NB0K, not ABC"), or null when all hold. */
export function hintMismatch(disk: InventoryDisk, hints: RootDeviceHints): string | null {
  const textHint = (field: 'model' | 'vendor' | 'serial' | 'wwn' | 'hctl', label: string): string | null => {
    const wanted = hints[field];
    if (wanted === undefined) return null;
    const actual = disk[field];
    if (actual !== null && sameText(actual, wanted)) return null;
    return `${label} is ${actual === null ? 'unknown' : `“${actual}”`}, not “${wanted}”`;
  };
  if (hints.name !== undefined && withoutPrefix(hints.name, '/dev/') !== disk.name) return `name is ${disk.name}, not ${hints.name}`;
  if (hints.byPath !== undefined) {
    const wanted = withoutPrefix(hints.byPath, '/dev/disk/by-path/');
    if (disk.byPath === null || withoutPrefix(disk.byPath, '/dev/disk/by-path/') !== wanted) {
      return `by-path is ${disk.byPath ?? 'unknown'}, not ${hints.byPath}`;
    }
  }
  if (hints.size !== undefined && !sizeMatches(hints.size, disk.sizeBytes)) {
    return `size is ${Math.floor(disk.sizeBytes / GIB)} GiB, not ${hints.size.trim()} GiB`;
  }
  const text = textHint('model', 'model') ?? textHint('vendor', 'vendor') ?? textHint('serial', 'serial') ?? textHint('wwn', 'WWN') ?? textHint('hctl', 'HCTL');
  if (text) return text;
  if (hints.rotational !== undefined && hints.rotational !== disk.rotational) return disk.rotational ? 'it is rotational' : 'it is not rotational';
  return null;
}

/** The hints as the operator would write them: `serial=S3Z2, size=>= 100`. */
export function describeHints(hints: RootDeviceHints): string {
  return Object.entries(hints)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(', ');
}

/** "480 GB" style sizes (decimal, as disk labels print them), with GiB beside for hints. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** One disk in a line: "sda (sata, 1.8 TB, Samsung SSD 870, serial S3Z2NB0K)". */
export function describeDisk(disk: InventoryDisk): string {
  const facts = [disk.transport, formatBytes(disk.sizeBytes), disk.model, disk.serial && `serial ${disk.serial}`].filter((fact): fact is string => Boolean(fact));
  return `${disk.name} (${facts.join(', ')})`;
}

/** What the disk holds, for the erase confirmation: "2 partitions, ext4 ‘data’" — or null when nothing was found. */
export function describeContents(disk: InventoryDisk): string | null {
  const named = (fs: { type: string; label: string | null }): string => (fs.label ? `${fs.type} ‘${fs.label}’` : fs.type);
  if (disk.filesystem) return named(disk.filesystem);
  if (disk.partitionTable === null && disk.partitions.length === 0) return null;
  const count = disk.partitions.length;
  const filesystems = disk.partitions.flatMap((partition) => (partition.filesystem ? [named(partition.filesystem)] : []));
  const table = `${disk.partitionTable === 'gpt' ? 'GPT' : 'MBR'} partition table`;
  return [`${table} with ${count} partition${count === 1 ? '' : 's'}`, ...filesystems].join(', ');
}

/**
 * The disk a deploy writes to. With hints: the first disk (in the inventory's order, as Ironic) that satisfies every
 * hint and can be written at all. Without: the smallest disk of at least 4 GiB that is not USB, removable, read-only
 * or virtual media.
 */
export function chooseRootDisk(disks: readonly InventoryDisk[], hints: RootDeviceHints | null): DiskChoice {
  if (disks.length === 0) return { ok: false, why: 'the server shows no disk at all: is its storage controller’s driver in the ramdisk?' };
  if (hints && Object.keys(hints).length > 0) {
    const described = describeHints(hints);
    const passedOver: string[] = [];
    for (const disk of disks) {
      const mismatch = hintMismatch(disk, hints);
      if (mismatch) {
        passedOver.push(`${disk.name}: ${mismatch}`);
        continue;
      }
      const unwritable = unwritableReason(disk);
      if (unwritable) {
        passedOver.push(`${disk.name} matches but ${unwritable}`);
        continue;
      }
      return { ok: true, disk, why: `${describeDisk(disk)} matches the root device hints (${described})` };
    }
    return { ok: false, why: `no disk matches the root device hints (${described}): ${passedOver.join('; ')}. Change the hints or pick a disk from the inventory.` };
  }
  const candidates = disks.filter((disk) => defaultRuleReason(disk) === null);
  const passedOver = disks.filter((disk) => defaultRuleReason(disk) !== null).map((disk) => `${disk.name}: ${defaultRuleReason(disk)}`);
  const smallest = candidates.reduce<InventoryDisk | null>((best, disk) => (best === null || disk.sizeBytes < best.sizeBytes ? disk : best), null);
  const skipped = passedOver.length > 0 ? `; passed over ${passedOver.join(', ')}` : '';
  if (!smallest) return { ok: false, why: `no disk qualifies by the default rule (the smallest fixed disk of at least 4 GiB)${skipped}. Give root device hints to choose one.` };
  return { ok: true, disk: smallest, why: `${describeDisk(smallest)} is the smallest fixed disk of at least 4 GiB (no root device hints)${skipped}` };
}

/**
 * Why the deploy must not write `imageBytes` to the chosen disk, or null: an image bigger than the disk, or a disk that
 * holds a partition table or a filesystem the operator did not agree to erase.
 */
export function writeRefusal(disk: InventoryDisk, imageBytes: number, eraseTargetDisk: boolean): string | null {
  if (imageBytes > disk.sizeBytes) {
    return `the image needs ${formatBytes(imageBytes)} (${imageBytes} bytes) but ${describeDisk(disk)} holds only ${disk.sizeBytes} bytes: choose a bigger disk or a smaller image`;
  }
  const contents = describeContents(disk);
  if (contents && !eraseTargetDisk) {
    return `${disk.name} holds data (${contents}); nothing was written. If it may be erased, mark the node “erase this disk” and deploy again, or choose another disk`;
  }
  return null;
}
