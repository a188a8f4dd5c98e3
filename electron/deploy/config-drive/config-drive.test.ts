// The config drive as real tools read it: isoinfo (Rock Ridge names, contents), blkid (label and type, what
// cloud-init's ConfigDrive datasource searches for), sgdisk / sfdisk (the partition table written around an image).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InstanceSettings } from '../../../shared/instance';
import { buildConfigDrive, networkData, type ConfigDriveNode } from './openstack';
import { ConfigDriveRefusal, guidBytes, IMAGE_HEAD_BYTES, planConfigDrive, readImageTable, SECTOR_BYTES } from './partition-table';

const has = (tool: string): boolean => {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`]);
    return true;
  } catch {
    return false;
  }
};
const tool = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx0ZXN0a2V5Zm9ycmFja2Jvb3Rjb25maWdkcml2ZQ operator@laptop';
const instance = (overrides: Partial<InstanceSettings> = {}): InstanceSettings => ({
  hostname: 'web-07',
  sshKeys: [KEY],
  network: { kind: 'static', address: '10.77.0.50', prefixLength: 24, gateway: '10.77.0.1', dns: ['10.77.0.1', '9.9.9.9'] },
  userData: '#cloud-config\nruncmd:\n  - [touch, /var/tmp/rackboot]\n',
  upSignal: { kind: 'ssh' },
  ...overrides,
});
const node = (settings = instance()): ConfigDriveNode => ({ uuid: '6f1c1c2e-2b4b-4d59-9d1e-3c0a7a1e2f10', name: 'rack1-u7', mac: '52:54:00:AB:CD:EF', instance: settings });
const DATE = new Date('2026-12-02T07:00:00Z');

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'config-drive-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('config drive file system', () => {
  it.skipIf(!has('isoinfo') || !has('blkid'))('reads back with isoinfo and blkid: label config-2, Rock Ridge names, the files cloud-init reads', async () => {
    const iso = path.join(dir, 'drive.iso');
    await writeFile(iso, buildConfigDrive(node(), DATE));
    const probe = tool('blkid', ['-p', '-o', 'export', iso]);
    expect(probe).toContain('TYPE=iso9660');
    expect(probe).toContain('LABEL=config-2');
    expect(tool('isoinfo', ['-d', '-i', iso])).toContain('Rock Ridge signatures version 1 found');
    const listing = tool('isoinfo', ['-R', '-f', '-i', iso]).trim().split('\n').sort();
    expect(listing).toEqual(['/openstack', '/openstack/latest', '/openstack/latest/meta_data.json', '/openstack/latest/network_data.json', '/openstack/latest/user_data']);
    // Without Rock Ridge the ISO names still map to the same names, lower-cased, as Linux's default `map=normal` does.
    const plain = tool('isoinfo', ['-f', '-i', iso]).trim().split('\n');
    expect(plain.map((name) => name.replace(/;1$/, '').replace(/\.$/, '').toLowerCase()).sort()).toEqual(listing);
    const meta = JSON.parse(tool('isoinfo', ['-R', '-x', '/openstack/latest/meta_data.json', '-i', iso])) as Record<string, unknown>;
    expect(meta).toMatchObject({ uuid: node().uuid, name: 'rack1-u7', hostname: 'web-07', public_keys: { 'key-0': KEY } });
    const network = JSON.parse(tool('isoinfo', ['-R', '-x', '/openstack/latest/network_data.json', '-i', iso])) as Record<string, unknown>;
    expect(network).toEqual(networkData(node()));
    expect(tool('isoinfo', ['-R', '-x', '/openstack/latest/user_data', '-i', iso])).toBe(instance().userData);
  });

  it('describes the NIC by its MAC, static with netmask, route and DNS, or DHCP', () => {
    expect(networkData(node())).toEqual({
      links: [{ id: 'nic0', type: 'phy', ethernet_mac_address: '52:54:00:ab:cd:ef', mtu: null }],
      networks: [
        {
          id: 'network0', type: 'ipv4', link: 'nic0', network_id: 'provisioning', ip_address: '10.77.0.50', netmask: '255.255.255.0',
          routes: [{ network: '0.0.0.0', netmask: '0.0.0.0', gateway: '10.77.0.1' }], dns_nameservers: ['10.77.0.1', '9.9.9.9'],
        },
      ],
      services: [{ type: 'dns', address: '10.77.0.1' }, { type: 'dns', address: '9.9.9.9' }],
    });
    const dhcp = networkData(node(instance({ network: { kind: 'dhcp' } })));
    expect(dhcp.networks).toEqual([{ id: 'network0', type: 'ipv4_dhcp', link: 'nic0', network_id: 'provisioning' }]);
  });

  it('leaves user_data out when there is none, and gives the same bytes for the same input', () => {
    const a = buildConfigDrive(node(instance({ userData: '' })), DATE);
    const b = buildConfigDrive(node(instance({ userData: '' })), DATE);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(Buffer.from(a).includes(Buffer.from('USER_DATA'))).toBe(false);
  });
});

const MIB_SECTORS = 2048;

function writeAt(file: string, lba: number, data: Uint8Array): void {
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, data, 0, data.length, lba * SECTOR_BYTES);
  } finally {
    closeSync(fd);
  }
}

/** Makes a disk of `diskMib` holding the image, then writes the planned regions, as the agent does. */
function deploy(image: string, diskMib: number, drive: Uint8Array): { disk: string; layout: ReturnType<typeof planConfigDrive> } {
  const bytes = readFileSync(image);
  const table = readImageTable(bytes.subarray(0, IMAGE_HEAD_BYTES), bytes.length);
  const disk = path.join(dir, 'disk.raw');
  tool('truncate', ['-s', `${diskMib}M`, disk]);
  writeAt(disk, 0, bytes);
  const layout = planConfigDrive(table, drive, diskMib * MIB_SECTORS, guidBytes('8c8e9f0a-1b2c-4d3e-8f40-5a6b7c8d9e0f'));
  for (const region of layout.regions) writeAt(disk, region.lba, region.data);
  return { disk, layout };
}

describe('config drive partition', () => {
  it.skipIf(!has('sgdisk') || !has('blkid'))('GPT: a new entry at the disk end, the backup header moved there, both tables valid', async () => {
    const image = path.join(dir, 'image.raw');
    tool('truncate', ['-s', '40M', image]);
    tool('sgdisk', ['-n', '1:1M:+8M', '-t', '1:ef00', '-n', '2:0:+20M', '-t', '2:8300', image]);
    const drive = buildConfigDrive(node(), DATE);
    const { disk, layout } = deploy(image, 200, drive);
    expect(layout.partitionNumber).toBe(3);
    expect(tool('sgdisk', ['-v', disk])).toContain('No problems found');
    const printed = tool('sgdisk', ['-p', disk]);
    expect(printed).toMatch(/Disk .* 409600 sectors/);
    expect(printed).toMatch(new RegExp(`\\n\\s+3\\s+${layout.startLba}\\s+409566\\s.*config-2`));
    expect(layout.startLba % MIB_SECTORS).toBe(0);
    expect(409566 - layout.startLba + 1).toBeGreaterThanOrEqual(64 * MIB_SECTORS);
    // The partition holds the drive, as blkid finds it at the partition's offset.
    const probe = tool('blkid', ['-p', '-o', 'export', '-O', String(layout.startLba * SECTOR_BYTES), disk]);
    expect(probe).toContain('LABEL=config-2');
    // The image's partitions are untouched.
    expect(printed).toMatch(/\n\s+1\s+2048\s+18431\s/);
    // The image's old backup header is gone: only the two real headers remain.
    const all = readFileSync(disk);
    const headers: number[] = [];
    for (let at = all.indexOf('EFI PART'); at >= 0; at = all.indexOf('EFI PART', at + 1)) headers.push(at / SECTOR_BYTES);
    expect(headers).toEqual([1, 409599]);
  });

  it.skipIf(!has('sfdisk'))('MBR: the first free primary slot, at the disk end, after the image', async () => {
    const image = path.join(dir, 'image.raw');
    tool('truncate', ['-s', '40M', image]);
    execFileSync('sfdisk', ['-q', image], { input: 'label: dos\nstart=2048, size=16384, type=83, bootable\nstart=18432, size=20480, type=83\n' });
    const drive = buildConfigDrive(node(), DATE);
    const { disk, layout } = deploy(image, 120, drive);
    const table = JSON.parse(tool('sfdisk', ['--json', disk])) as { partitiontable: { partitions: { start: number; size: number; type: string; bootable?: boolean }[] } };
    expect(table.partitiontable.partitions).toEqual([
      { node: `${disk}1`, start: 2048, size: 16384, type: '83', bootable: true },
      { node: `${disk}2`, start: 18432, size: 20480, type: '83' },
      { node: `${disk}3`, start: layout.startLba, size: 120 * MIB_SECTORS - layout.startLba, type: '83' },
    ]);
    expect(layout.partitionNumber).toBe(3);
    expect(readFileSync(disk).subarray(layout.startLba * SECTOR_BYTES + 32768 + 40, layout.startLba * SECTOR_BYTES + 32768 + 48).toString()).toBe('config-2');
  });

  it.skipIf(!has('sfdisk'))('MBR with four primaries: refused, naming the slots, before anything is planned', async () => {
    const image = path.join(dir, 'image.raw');
    tool('truncate', ['-s', '20M', image]);
    execFileSync('sfdisk', ['-q', image], { input: 'label: dos\nsize=4M\nsize=4M\nsize=4M\nsize=4M\n' });
    const bytes = readFileSync(image);
    expect(() => readImageTable(bytes.subarray(0, IMAGE_HEAD_BYTES), bytes.length)).toThrow(ConfigDriveRefusal);
    expect(() => readImageTable(bytes.subarray(0, IMAGE_HEAD_BYTES), bytes.length)).toThrow(/all four primary partitions in use \(1: type 0x83, 2: type 0x83, 3: type 0x83, 4: type 0x83\)/);
  });

  it('refuses an image without a partition table, a damaged GPT and a disk with no room', () => {
    expect(() => readImageTable(new Uint8Array(4096), 4096)).toThrow(/no partition table/);
    const gpt = new Uint8Array(34 * SECTOR_BYTES);
    gpt[510] = 0x55;
    gpt[511] = 0xaa;
    gpt[446 + 4] = 0xee;
    gpt.set(new TextEncoder().encode('EFI PART'), SECTOR_BYTES);
    new DataView(gpt.buffer).setUint32(SECTOR_BYTES + 12, 92, true);
    expect(() => readImageTable(gpt, gpt.length)).toThrow(/GPT header fails its CRC check/);
    const mbr = new Uint8Array(SECTOR_BYTES);
    mbr[510] = 0x55;
    mbr[511] = 0xaa;
    mbr.set([0, 0, 0, 0, 0x83], 446);
    new DataView(mbr.buffer).setUint32(446 + 8, 2048, true);
    new DataView(mbr.buffer).setUint32(446 + 12, 100 * MIB_SECTORS, true);
    const table = readImageTable(mbr, 101 * 1024 * 1024);
    expect(() => planConfigDrive(table, new Uint8Array(2048), 140 * MIB_SECTORS, randomBytes(16))).toThrow(/no room after the image/);
    expect(() => planConfigDrive(table, new Uint8Array(2048), 90 * MIB_SECTORS, randomBytes(16))).toThrow(/larger than the target disk/);
  });
});
