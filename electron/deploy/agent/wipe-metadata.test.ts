// The agent's cleaning (wipe-metadata.sh) under busybox, on a disk file with a GPT and an ext4 partition made by the
// real tools: afterwards no partition table or filesystem is found, and the data between stays where it was.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { readFilesystem, readPartitionTable, type DiskSample } from '../disk-layout';

const SCRIPT = fileURLToPath(new URL('./wipe-metadata.sh', import.meta.url));
const MIB = 1024 * 1024;
const busybox = execFileSync('sh', ['-c', 'command -v busybox || true'], { encoding: 'utf8' }).trim();
const root = mkdtempSync(path.join(os.tmpdir(), 'rackboot-wipe-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function read(file: string, offset: number, length: number): Buffer {
  const fd = openSync(file, 'r');
  const buffer = Buffer.alloc(length);
  readSync(fd, buffer, 0, length, offset);
  closeSync(fd);
  return buffer;
}

it.skipIf(busybox === '')('wipes partition tables and filesystem signatures at both ends, and nothing between', () => {
  const disk = path.join(root, 'sda');
  writeFileSync(disk, Buffer.alloc(0));
  execFileSync('truncate', ['-s', '64M', disk]);
  const env = { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` };
  execFileSync('sgdisk', ['-n', '1:2048:+32M', disk], { stdio: 'ignore', env });
  execFileSync('mkfs.ext4', ['-q', '-F', '-L', 'data', '-E', `offset=${MIB}`, disk, '32M'], { stdio: 'ignore', env });
  const fd = openSync(disk, 'r+');
  writeSync(fd, Buffer.from('precious bytes in the middle'), 0, 28, 40 * MIB);
  closeSync(fd);
  for (const [file, value] of [['sys/block/sda/size', '131072'], ['sys/block/sda/sda1/start', '2048'], ['sys/block/sda/sda1/size', '65536']]) {
    mkdirSync(path.dirname(path.join(root, file!)), { recursive: true });
    writeFileSync(path.join(root, file!), `${value}\n`);
  }
  const sample = (offset: number, size: number): DiskSample => ({ sizeBytes: size, sectorSize: 512, head: read(disk, offset, 128 * 1024), tail: read(disk, offset + size - 65536, 65536) });
  expect(readPartitionTable(sample(0, 64 * MIB))?.type).toBe('gpt');
  expect(readFilesystem(sample(MIB, 32 * MIB))?.type).toBe('ext4');

  const bin = path.join(root, 'bin');
  mkdirSync(bin);
  for (const applet of ['sh', 'cat', 'dd', 'grep', 'tail', 'blockdev']) symlinkSync(busybox, path.join(bin, applet));
  execFileSync(busybox, ['sh', SCRIPT, disk], { env: { PATH: bin, SYS: path.join(root, 'sys') } });

  expect(readPartitionTable(sample(0, 64 * MIB))).toBeNull();
  expect(readFilesystem(sample(MIB, 32 * MIB))).toBeNull();
  expect(read(disk, 40 * MIB, 28).toString()).toBe('precious bytes in the middle');
});
