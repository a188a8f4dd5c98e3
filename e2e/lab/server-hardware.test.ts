import { describe, expect, it } from 'vitest';
import { checkHardware, hardwareArgs, type LabDisk, type ServerHardware } from './server-hardware';

const hardware: ServerHardware = {
  disks: [
    { bus: 'virtio', sizeMiB: 8192, serial: 'VIRT-1' },
    { bus: 'sata', sizeMiB: 5120, serial: 'SATA-1', wwn: '5000c500a1b2c3d4', model: 'LabSSD', boot: true },
    { bus: 'nvme', sizeMiB: 16, serial: 'NVME-1' },
    { bus: 'usb', sizeMiB: 4160, serial: 'USB-1' },
  ],
  system: { manufacturer: 'Rackboot-Labs', product: 'R-42', serial: 'CHASSIS-7' },
};
const disks: LabDisk[] = hardware.disks.map((disk, index) => ({ ...disk, path: `/lab/disk${index}.raw` }));

describe('lab server hardware', () => {
  it('boots the marked disk (the firmware adds its boot index) and puts every other disk on its own bus', () => {
    const args = hardwareArgs(hardware, disks);
    expect(args.bootDrive).toBe('disk1');
    expect(args.bootDevice).toBe('ide-hd,bus=ahci0.0,drive=disk1,serial=SATA-1,wwn=0x5000c500a1b2c3d4,model=LabSSD');
    expect(args.otherArgs).toEqual([
      '-device', 'ahci,id=ahci0',
      '-device', 'qemu-xhci,id=xhci0',
      '-drive', 'file=/lab/disk0.raw,format=raw,if=none,id=disk0', '-device', 'virtio-blk-pci,drive=disk0,serial=VIRT-1',
      '-drive', 'file=/lab/disk2.raw,format=raw,if=none,id=disk2', '-device', 'nvme,drive=disk2,serial=NVME-1',
      '-drive', 'file=/lab/disk3.raw,format=raw,if=none,id=disk3', '-device', 'usb-storage,bus=xhci0.0,drive=disk3,serial=USB-1,removable=on',
      '-smbios', 'type=1,manufacturer=Rackboot-Labs,product=R-42,serial=CHASSIS-7',
    ]);
  });

  it('boots the first disk when none is marked, and needs no controller it has no disk for', () => {
    const plain: ServerHardware = { disks: [{ bus: 'nvme', sizeMiB: 64, serial: 'N1' }] };
    const args = hardwareArgs(plain, [{ ...plain.disks[0]!, path: '/lab/n.raw' }]);
    expect(args).toEqual({ bootDrive: 'disk0', bootDevice: 'nvme,drive=disk0,serial=N1', otherArgs: [] });
  });

  it('refuses what QEMU or the shell would split or misread', () => {
    expect(() => checkHardware(hardware)).not.toThrow();
    expect(() => checkHardware({ disks: [] })).toThrow(/at least one disk/);
    expect(() => checkHardware({ disks: [{ bus: 'sata', sizeMiB: 1, serial: 'a,b' }] })).toThrow(/serial/);
    expect(() => checkHardware({ disks: [{ bus: 'sata', sizeMiB: 1, serial: 'a b' }] })).toThrow(/serial/);
    expect(() => checkHardware({ disks: [{ bus: 'nvme', sizeMiB: 1, serial: 'a', wwn: '5000c500a1b2c3d4' }] })).toThrow(/SATA disk only/);
    expect(() => checkHardware({ disks: [{ bus: 'sata', sizeMiB: 1, serial: 'a', wwn: '0x5000' }] })).toThrow(/16 lower-case hex/);
    expect(() => checkHardware({ disks: [{ bus: 'virtio', sizeMiB: 0.5, serial: 'a' }] })).toThrow(/whole MiB/);
    expect(() => checkHardware({ disks: [{ bus: 'virtio', sizeMiB: 1, serial: 'a', boot: true }, { bus: 'nvme', sizeMiB: 1, serial: 'b', boot: true }] })).toThrow(/one disk/);
    expect(() => checkHardware({ ...hardware, system: { manufacturer: 'Dell Inc.', product: 'x', serial: 'y' } })).toThrow(/manufacturer/);
  });
});
