// Partition tables and filesystem signatures read from disks made by the real tools (sgdisk, mkfs.*, mkswap,
// genisoimage), as the agent samples them: the first 128 KiB and the last 64 KiB.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readFilesystem, readPartitionTable, type DiskSample } from './disk-layout';

const MIB = 1024 * 1024;
const dir = mkdtempSync(path.join(os.tmpdir(), 'rackboot-disk-layout-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (command: string, args: string[]): void => {
  execFileSync(command, args, { stdio: 'ignore', env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` } });
};

function blankDisk(name: string, sizeMiB: number): string {
  const file = path.join(dir, name);
  writeFileSync(file, Buffer.alloc(0));
  execFileSync('truncate', ['-s', `${sizeMiB}M`, file]);
  return file;
}

function read(file: string, offset: number, length: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const got = readSync(fd, buffer, 0, length, offset);
    return buffer.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** What the agent sends of a disk (or of a partition starting at `offset`). */
function sample(file: string, offset = 0, sizeBytes = statSync(file).size - offset): DiskSample {
  const tailLength = Math.min(64 * 1024, sizeBytes);
  return { sizeBytes, sectorSize: 512, head: read(file, offset, Math.min(128 * 1024, sizeBytes)), tail: read(file, offset + sizeBytes - tailLength, tailLength) };
}

describe('partition tables', () => {
  it('reads a GPT made by sgdisk, and still finds it from the backup once the primary is wiped', () => {
    const disk = blankDisk('gpt.img', 64);
    run('sgdisk', ['-n', '1:2048:+8M', '-t', '1:ef00', '-n', '2:0:+20M', '-c', '2:data', disk]);
    const table = readPartitionTable(sample(disk));
    expect(table).toEqual({
      type: 'gpt',
      entries: [
        { number: 1, startBytes: 2048 * 512, sizeBytes: 8 * MIB },
        { number: 2, startBytes: 2048 * 512 + 8 * MIB, sizeBytes: 20 * MIB },
      ],
    });
    const wiped = sample(disk);
    wiped.head.fill(0, 0, 34 * 512);
    expect(readPartitionTable(wiped)?.entries).toHaveLength(2);
  });

  it('reads an MBR (sgdisk converts a GPT to one), and none on a blank disk', () => {
    const disk = blankDisk('mbr.img', 64);
    run('sgdisk', ['-n', '1:2048:+10M', '-n', '2:0:+10M', disk]);
    run('sgdisk', ['-m', '1:2', disk]);
    expect(readPartitionTable(sample(disk))).toEqual({
      type: 'mbr',
      entries: [
        { number: 1, startBytes: 2048 * 512, sizeBytes: 10 * MIB },
        { number: 2, startBytes: 2048 * 512 + 10 * MIB, sizeBytes: 10 * MIB },
      ],
    });
    expect(readPartitionTable(sample(blankDisk('blank.img', 8)))).toBeNull();
  });

  it('does not read a FAT boot sector as an MBR', () => {
    const disk = blankDisk('fat-whole.img', 64);
    run('mkfs.vfat', ['-F', '32', '-n', 'STICK', disk]);
    expect(readPartitionTable(sample(disk))).toBeNull();
    expect(readFilesystem(sample(disk))).toMatchObject({ type: 'vfat', label: 'STICK' });
  });
});

describe('filesystem signatures with labels', () => {
  const made = (name: string, sizeMiB: number, command: string, args: (file: string) => string[]): DiskSample => {
    const file = blankDisk(name, sizeMiB);
    run(command, args(file));
    return sample(file);
  };

  it('ext4, ext3 and ext2 with their labels and UUIDs', () => {
    expect(readFilesystem(made('ext4.img', 32, 'mkfs.ext4', (f) => ['-q', '-F', '-L', 'data', '-U', '0f3c2a1e-1d2b-4c5d-8e9f-0a1b2c3d4e5f', f]))).toEqual({
      type: 'ext4',
      label: 'data',
      uuid: '0f3c2a1e-1d2b-4c5d-8e9f-0a1b2c3d4e5f',
    });
    expect(readFilesystem(made('ext3.img', 32, 'mkfs.ext3', (f) => ['-q', '-F', '-L', 'old', f]))).toMatchObject({ type: 'ext3', label: 'old' });
    expect(readFilesystem(made('ext2.img', 32, 'mkfs.ext2', (f) => ['-q', '-F', f]))).toMatchObject({ type: 'ext2', label: null });
  });

  it('xfs, btrfs and ntfs', () => {
    expect(readFilesystem(made('xfs.img', 300, 'mkfs.xfs', (f) => ['-q', '-L', 'scratch', f]))).toMatchObject({ type: 'xfs', label: 'scratch' });
    expect(readFilesystem(made('btrfs.img', 128, 'mkfs.btrfs', (f) => ['-q', '-L', 'pool', f]))).toMatchObject({ type: 'btrfs', label: 'pool' });
    expect(readFilesystem(made('ntfs.img', 16, 'mkntfs', (f) => ['-q', '-F', '-f', '-L', 'win', f]))).toMatchObject({ type: 'ntfs', label: null });
  });

  it('vfat (FAT16), swap and iso9660', () => {
    expect(readFilesystem(made('fat16.img', 32, 'mkfs.vfat', (f) => ['-F', '16', '-n', 'EFI', '-i', '1234ABCD', f]))).toEqual({ type: 'vfat', label: 'EFI', uuid: '1234-ABCD' });
    expect(readFilesystem(made('swap.img', 16, 'mkswap', (f) => ['-L', 'swappy', f]))).toMatchObject({ type: 'swap', label: 'swappy' });
    const isoDir = path.join(dir, 'iso-root');
    run('mkdir', ['-p', isoDir]);
    const iso = path.join(dir, 'cd.iso');
    run('genisoimage', ['-quiet', '-V', 'INSTALL_CD', '-o', iso, isoDir]);
    expect(readFilesystem(sample(iso))).toMatchObject({ type: 'iso9660', label: 'INSTALL_CD' });
  });

  it('LVM physical volumes and md RAID members by their labels (bytes laid out as LVM and mdadm write them)', () => {
    const pv = Buffer.alloc(128 * 1024);
    pv.write('LABELONE', 512, 'latin1');
    pv.writeUInt32LE(32, 512 + 20);
    pv.write('LVM2 001', 512 + 24, 'latin1');
    pv.write('AbCdEf0123456789AbCdEf0123456789', 512 + 32, 'latin1');
    expect(readFilesystem({ sizeBytes: pv.length, sectorSize: 512, head: pv, tail: Buffer.alloc(0) })).toEqual({
      type: 'LVM2_member',
      label: null,
      uuid: 'AbCdEf-0123-4567-89Ab-CdEf-0123-456789',
    });
    const md = Buffer.alloc(128 * 1024);
    md.writeUInt32LE(0xa92b4efc, 4096);
    md.writeUInt32LE(1, 4096 + 4);
    Buffer.from('00112233445566778899aabbccddeeff', 'hex').copy(md, 4096 + 16);
    md.write('host:root', 4096 + 32, 'utf8');
    expect(readFilesystem({ sizeBytes: md.length, sectorSize: 512, head: md, tail: Buffer.alloc(0) })).toEqual({
      type: 'linux_raid_member',
      label: 'host:root',
      uuid: '00112233-4455-6677-8899-aabbccddeeff',
    });
  });

  it('finds nothing on zeros, and nothing from a sample too short to hold a superblock', () => {
    expect(readFilesystem(sample(blankDisk('zeros.img', 4)))).toBeNull();
    expect(readFilesystem({ sizeBytes: 100, sectorSize: 512, head: Buffer.alloc(100), tail: Buffer.alloc(0) })).toBeNull();
  });
});
