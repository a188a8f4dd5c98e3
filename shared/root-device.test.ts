import { describe, expect, it } from 'vitest';
import type { InventoryDisk } from './inventory';
import { chooseRootDisk, describeContents, sizeMatches, writeRefusal } from './root-device';

const GIB = 1024 ** 3;

function disk(name: string, fields: Partial<InventoryDisk> = {}): InventoryDisk {
  return {
    name,
    byPath: null,
    model: null,
    vendor: null,
    serial: null,
    wwn: null,
    hctl: null,
    sizeBytes: 100 * GIB,
    rotational: false,
    transport: 'sata',
    removable: false,
    readOnly: false,
    virtualMedia: false,
    partitionTable: null,
    partitions: [],
    filesystem: null,
    ...fields,
  };
}

describe('the default rule', () => {
  it('takes the smallest fixed disk of at least 4 GiB, passing over smaller ones', () => {
    const choice = chooseRootDisk([disk('nvme0n1', { sizeBytes: 960 * GIB, transport: 'nvme' }), disk('sda', { sizeBytes: 240 * GIB }), disk('sdb', { sizeBytes: 2 * GIB })], null);
    expect(choice.ok && choice.disk.name).toBe('sda');
    expect(choice.why).toMatch(/smallest fixed disk of at least 4 GiB/);
    expect(choice.why).toMatch(/sdb: it is smaller than 4 GiB/);
  });

  it('never takes a USB stick, a removable, a read-only disk or virtual media, however small', () => {
    const disks = [
      disk('sdc', { sizeBytes: 8 * GIB, transport: 'usb' }),
      disk('sdd', { sizeBytes: 8 * GIB, removable: true }),
      disk('sde', { sizeBytes: 8 * GIB, readOnly: true }),
      disk('sr0', { sizeBytes: 8 * GIB, virtualMedia: true }),
      disk('vda', { sizeBytes: 50 * GIB, transport: 'virtio' }),
    ];
    const choice = chooseRootDisk(disks, null);
    expect(choice.ok && choice.disk.name).toBe('vda');
    expect(choice.why).toMatch(/sdc: it is a USB device.*sdd: it is removable.*sde: it is read-only.*sr0: it is the BMC’s virtual media/);
  });

  it('says so when no disk qualifies, and when there is no disk at all', () => {
    const none = chooseRootDisk([disk('sda', { transport: 'usb' })], null);
    expect(none.ok).toBe(false);
    expect(none.why).toMatch(/no disk qualifies.*sda: it is a USB device/);
    expect(chooseRootDisk([], null).why).toMatch(/no disk at all/);
  });
});

describe('root device hints', () => {
  const disks = [
    disk('sda', { serial: 'S3Z2NB0K', model: 'Samsung SSD 870', sizeBytes: 500 * GIB, hctl: '0:0:0:0', byPath: 'pci-0000:00:1f.2-ata-1' }),
    disk('sdb', { serial: 'WD-123', model: 'WDC WD20', sizeBytes: 2000 * GIB, rotational: true, wwn: '0x50014ee2b5e7c1a0' }),
    disk('sdc', { serial: 'USB-1', transport: 'usb', sizeBytes: 16 * GIB }),
  ];

  it('matches by serial, case and spaces aside', () => {
    const choice = chooseRootDisk(disks, { serial: ' wd-123 ' });
    expect(choice.ok && choice.disk.name).toBe('sdb');
    expect(choice.why).toMatch(/matches the root device hints \(serial= wd-123 \)/);
  });

  it('matches a size range in GiB, and names every disk it passed over', () => {
    expect(chooseRootDisk(disks, { size: '>= 1000' })).toMatchObject({ ok: true, disk: { name: 'sdb' } });
    const none = chooseRootDisk(disks, { size: '> 3000' });
    expect(none.ok).toBe(false);
    expect(none.why).toMatch(/sda: size is 500 GiB, not > 3000 GiB; sdb: size is 2000 GiB/);
  });

  it('matches name with or without /dev/, by-path, WWN, HCTL, model and rotational together', () => {
    expect(chooseRootDisk(disks, { name: '/dev/sda', hctl: '0:0:0:0', model: 'samsung ssd 870' })).toMatchObject({ ok: true, disk: { name: 'sda' } });
    expect(chooseRootDisk(disks, { byPath: '/dev/disk/by-path/pci-0000:00:1f.2-ata-1' })).toMatchObject({ ok: true, disk: { name: 'sda' } });
    expect(chooseRootDisk(disks, { wwn: '0x50014EE2B5E7C1A0', rotational: true })).toMatchObject({ ok: true, disk: { name: 'sdb' } });
    expect(chooseRootDisk(disks, { name: 'sda', rotational: true }).why).toMatch(/sda: it is not rotational/);
  });

  it('lets a hint choose a USB disk the operator names, but never a read-only one', () => {
    expect(chooseRootDisk(disks, { serial: 'USB-1' })).toMatchObject({ ok: true, disk: { name: 'sdc' } });
    const readOnly = chooseRootDisk([disk('sda', { readOnly: true, serial: 'X' })], { serial: 'X' });
    expect(readOnly.ok).toBe(false);
    expect(readOnly.why).toMatch(/sda matches but it is read-only/);
  });

  it('compares sizes in whole GiB rounded down, with each operator', () => {
    const size = 480 * GIB + 123;
    expect(sizeMatches('480', size)).toBe(true);
    expect(sizeMatches('== 481', size)).toBe(false);
    expect(sizeMatches('<= 480', size)).toBe(true);
    expect(sizeMatches('< 480', size)).toBe(false);
    expect(sizeMatches('!= 0', size)).toBe(true);
    expect(sizeMatches('about 480', size)).toBe(false);
  });
});

describe('what a deploy refuses to write over', () => {
  const withData = disk('sda', {
    partitionTable: 'gpt',
    partitions: [
      { number: 1, name: 'sda1', startBytes: 1048576, sizeBytes: 512 * 1048576, filesystem: { type: 'vfat', label: 'EFI', uuid: null } },
      { number: 2, name: 'sda2', startBytes: 513 * 1048576, sizeBytes: 10 * GIB, filesystem: { type: 'ext4', label: 'data', uuid: null } },
    ],
  });

  it('names what the disk holds', () => {
    expect(describeContents(withData)).toBe('GPT partition table with 2 partitions, vfat ‘EFI’, ext4 ‘data’');
    expect(describeContents(disk('sdb'))).toBeNull();
    expect(describeContents(disk('sdb', { filesystem: { type: 'LVM2_member', label: null, uuid: 'x' } }))).toBe('LVM2_member');
  });

  it('refuses a disk holding data unless erasing was confirmed', () => {
    expect(writeRefusal(withData, GIB, false)).toMatch(/sda holds data \(GPT partition table with 2 partitions.*nothing was written/);
    expect(writeRefusal(withData, GIB, true)).toBeNull();
    expect(writeRefusal(disk('sdb'), GIB, false)).toBeNull();
  });

  it('refuses an image bigger than the disk, erase or not', () => {
    expect(writeRefusal(disk('sdb', { sizeBytes: GIB }), GIB + 1, true)).toMatch(/the image needs .* but sdb .* holds only 1073741824 bytes/);
  });
});
