import type { FilesystemSignature } from '../../shared/inventory';

/**
 * What a disk holds, read from the bytes the agent samples (pure: bytes in, typed values out): the partition table
 * (GPT, primary or backup header, or MBR) and filesystem signatures as blkid names them. The agent has no blkid, so it
 * sends the first and last KiBs of each disk and the first KiBs of each partition; this reads them.
 */

/** The start and end of a disk (or partition) as far as the agent sent them; `sizeBytes` places the tail. */
export interface DiskSample {
  sizeBytes: number;
  /** Logical sector size (512 or 4096). */
  sectorSize: number;
  /** Bytes from offset 0. */
  head: Buffer;
  /** The last bytes, ending at `sizeBytes`; may be empty. */
  tail: Buffer;
}

export interface TableEntry {
  number: number;
  startBytes: number;
  sizeBytes: number;
}

export interface PartitionTable {
  type: 'gpt' | 'mbr';
  entries: TableEntry[];
}

/** The bytes at [offset, offset+length) if the sample holds all of them. */
function bytesAt(sample: DiskSample, offset: number, length: number): Buffer | null {
  if (offset < 0 || length < 0) return null;
  if (offset + length <= sample.head.length) return sample.head.subarray(offset, offset + length);
  const tailStart = sample.sizeBytes - sample.tail.length;
  if (offset >= tailStart && offset + length <= sample.sizeBytes) return sample.tail.subarray(offset - tailStart, offset - tailStart + length);
  return null;
}

const ascii = (bytes: Buffer): string => bytes.toString('latin1');

/** A fixed-size text field: NULs and trailing spaces cut, empty read as none. */
function label(bytes: Buffer, encoding: 'utf8' | 'utf16le' = 'utf8'): string | null {
  let text = bytes.toString(encoding);
  const nul = text.indexOf('\0');
  if (nul >= 0) text = text.slice(0, nul);
  text = text.trim();
  return text === '' ? null : text;
}

/** RFC 4122 text of 16 bytes stored in network order (ext, xfs, btrfs, swap, md). */
function uuid(bytes: Buffer): string | null {
  if (bytes.every((byte) => byte === 0)) return null;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** A GUID as GPT stores it (the first three fields little-endian). */
function gptGuid(bytes: Buffer): string {
  const swapped = Buffer.concat([Buffer.from(bytes.subarray(0, 4)).reverse(), Buffer.from(bytes.subarray(4, 6)).reverse(), Buffer.from(bytes.subarray(6, 8)).reverse(), bytes.subarray(8, 16)]);
  return uuid(swapped) ?? '00000000-0000-0000-0000-000000000000';
}

function signature(type: string, labelText: string | null, uuidText: string | null): FilesystemSignature {
  return { type, label: labelText, uuid: uuidText };
}

function ext(sample: DiskSample): FilesystemSignature | null {
  const superblock = bytesAt(sample, 1024, 1024);
  if (!superblock || superblock.readUInt16LE(56) !== 0xef53) return null;
  const compat = superblock.readUInt32LE(92);
  const incompat = superblock.readUInt32LE(96);
  const roCompat = superblock.readUInt32LE(100);
  // What ext3 cannot mount (extents, 64bit, flex_bg, huge_file…) makes it ext4, as blkid decides.
  const ext4Only = (incompat & ~0x0017) !== 0 || (roCompat & ~0x0007) !== 0;
  const type = ext4Only ? 'ext4' : compat & 0x0004 ? 'ext3' : 'ext2';
  return signature(type, label(superblock.subarray(120, 136)), uuid(superblock.subarray(104, 120)));
}

function xfs(sample: DiskSample): FilesystemSignature | null {
  const superblock = bytesAt(sample, 0, 120);
  if (!superblock || ascii(superblock.subarray(0, 4)) !== 'XFSB') return null;
  return signature('xfs', label(superblock.subarray(108, 120)), uuid(superblock.subarray(32, 48)));
}

function btrfs(sample: DiskSample): FilesystemSignature | null {
  const superblock = bytesAt(sample, 0x10000, 0x1000);
  if (!superblock || ascii(superblock.subarray(0x40, 0x48)) !== '_BHRfS_M') return null;
  return signature('btrfs', label(superblock.subarray(0x12b, 0x12b + 256)), uuid(superblock.subarray(0x20, 0x30)));
}

function fat(sample: DiskSample): FilesystemSignature | null {
  const boot = bytesAt(sample, 0, 512);
  if (!boot || boot.readUInt16LE(510) !== 0xaa55) return null;
  const fat32 = ascii(boot.subarray(82, 90)) === 'FAT32   ';
  const fat16 = /^FAT1[26] {3}$/.test(ascii(boot.subarray(54, 62)));
  if (!fat32 && !fat16) return null;
  const at = fat32 ? 64 : 36;
  const volumeId = boot.readUInt32LE(at + 3);
  const labelText = label(boot.subarray(at + 7, at + 18));
  const id = volumeId.toString(16).toUpperCase().padStart(8, '0');
  return signature('vfat', labelText === 'NO NAME' ? null : labelText, `${id.slice(0, 4)}-${id.slice(4)}`);
}

function ntfs(sample: DiskSample): FilesystemSignature | null {
  const boot = bytesAt(sample, 0, 512);
  if (!boot || ascii(boot.subarray(3, 11)) !== 'NTFS    ') return null;
  // The label lives in the $Volume file of the MFT, past what the agent sends: the serial is enough to tell volumes apart.
  return signature('ntfs', null, Buffer.from(boot.subarray(0x48, 0x50)).reverse().toString('hex').toUpperCase());
}

function swap(sample: DiskSample): FilesystemSignature | null {
  for (const pageSize of [4096, 8192, 16384, 65536]) {
    const magic = bytesAt(sample, pageSize - 10, 10);
    if (!magic) continue;
    const text = ascii(magic);
    if (text === 'SWAPSPACE2') {
      const header = bytesAt(sample, 1024, 44);
      return signature('swap', header && label(header.subarray(28, 44)), header && uuid(header.subarray(12, 28)));
    }
    if (text === 'SWAP-SPACE') return signature('swap', null, null);
  }
  return null;
}

function lvm(sample: DiskSample): FilesystemSignature | null {
  for (let sector = 0; sector < 4; sector++) {
    const labelHeader = bytesAt(sample, sector * 512, 512);
    if (!labelHeader || ascii(labelHeader.subarray(0, 8)) !== 'LABELONE' || ascii(labelHeader.subarray(24, 32)) !== 'LVM2 001') continue;
    const pvHeader = bytesAt(sample, sector * 512 + labelHeader.readUInt32LE(20), 32);
    const id = pvHeader ? ascii(pvHeader) : null;
    // LVM spells its 32-character ids in groups of 6-4-4-4-4-4-6.
    const grouped = id && /^[0-9A-Za-z]{32}$/.test(id) ? [6, 4, 4, 4, 4, 4, 6].reduce<{ parts: string[]; at: number }>((acc, length) => ({ parts: [...acc.parts, id.slice(acc.at, acc.at + length)], at: acc.at + length }), { parts: [], at: 0 }).parts.join('-') : null;
    return signature('LVM2_member', null, grouped);
  }
  return null;
}

/** md RAID superblock 1.1 (at 0) and 1.2 (at 4 KiB): the array's name is the label. */
function mdRaid(sample: DiskSample): FilesystemSignature | null {
  for (const offset of [0, 4096]) {
    const superblock = bytesAt(sample, offset, 256);
    if (!superblock || superblock.readUInt32LE(0) !== 0xa92b4efc || superblock.readUInt32LE(4) !== 1) continue;
    return signature('linux_raid_member', label(superblock.subarray(32, 64)), uuid(superblock.subarray(16, 32)));
  }
  return null;
}

function iso9660(sample: DiskSample): FilesystemSignature | null {
  const descriptor = bytesAt(sample, 0x8000, 2048);
  if (!descriptor || ascii(descriptor.subarray(1, 6)) !== 'CD001') return null;
  return signature('iso9660', label(descriptor.subarray(40, 72)), null);
}

/** The first filesystem (or LVM / md RAID member) signature found, in blkid's order of certainty. */
export function readFilesystem(sample: DiskSample): FilesystemSignature | null {
  for (const probe of [mdRaid, lvm, xfs, btrfs, ext, iso9660, ntfs, fat, swap]) {
    const found = probe(sample);
    if (found) return found;
  }
  return null;
}

function gptAt(sample: DiskSample, headerOffset: number): PartitionTable | null {
  const header = bytesAt(sample, headerOffset, 92);
  if (!header || ascii(header.subarray(0, 8)) !== 'EFI PART') return null;
  const entriesLba = Number(header.readBigUInt64LE(72));
  const count = Math.min(header.readUInt32LE(80), 1024);
  const entrySize = header.readUInt32LE(84);
  const entries: TableEntry[] = [];
  if (entrySize < 128 || entrySize > 4096) return { type: 'gpt', entries };
  for (let index = 0; index < count; index++) {
    const entry = bytesAt(sample, entriesLba * sample.sectorSize + index * entrySize, 128);
    if (!entry) break;
    if (gptGuid(entry.subarray(0, 16)) === '00000000-0000-0000-0000-000000000000') continue;
    const first = Number(entry.readBigUInt64LE(32));
    const last = Number(entry.readBigUInt64LE(40));
    entries.push({ number: index + 1, startBytes: first * sample.sectorSize, sizeBytes: (last - first + 1) * sample.sectorSize });
  }
  return { type: 'gpt', entries };
}

function mbr(sample: DiskSample): PartitionTable | null {
  const sector = bytesAt(sample, 0, 512);
  if (!sector || sector.readUInt16LE(510) !== 0xaa55) return null;
  const entries: TableEntry[] = [];
  for (let index = 0; index < 4; index++) {
    const entry = sector.subarray(446 + index * 16, 462 + index * 16);
    const status = entry[0]!;
    // A boot sector that is not an MBR has code here, not entries: any status but 0x00/0x80 says so.
    if (status !== 0x00 && status !== 0x80) return null;
    const sectors = entry.readUInt32LE(12);
    if (entry[4] === 0 || sectors === 0) continue;
    entries.push({ number: index + 1, startBytes: entry.readUInt32LE(8) * 512, sizeBytes: sectors * 512 });
  }
  return { type: 'mbr', entries };
}

/**
 * The partition table: GPT from its primary header (LBA 1) or, if that was wiped, its backup (the last LBA); else an
 * MBR. A disk whose sector 0 is a FAT or NTFS boot sector holds a filesystem, not an MBR.
 */
export function readPartitionTable(sample: DiskSample): PartitionTable | null {
  const gpt = gptAt(sample, sample.sectorSize) ?? gptAt(sample, sample.sizeBytes - sample.sectorSize);
  if (gpt) return gpt;
  if (fat(sample) || ntfs(sample)) return null;
  return mbr(sample);
}
