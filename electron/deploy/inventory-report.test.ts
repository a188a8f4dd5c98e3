// The agent's inventory script run by busybox (only the applets the ramdisk has) over a sysfs/procfs/dev tree laid out
// as the kernel lays it out for a SATA disk with a GPT and an ext4 partition, a USB stick, a virtio disk and a virtio
// NIC; then its report read by Rackboot.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Inventory } from '../../shared/inventory';
import { byPathOf, InventoryReportError, isVirtualMedia, parseInventoryReport, transportOf, withLldpReport } from './inventory-report';

const SCRIPT = fileURLToPath(new URL('./agent/inventory.sh', import.meta.url));
const LLDP_SCRIPT = fileURLToPath(new URL('./agent/lldp.sh', import.meta.url));
const APPLETS = ['sh', 'cat', 'head', 'sed', 'grep', 'sort', 'wc', 'readlink', 'dd', 'base64', 'od', 'tr', 'uname', 'rm', 'ip'];
const MIB = 1024 * 1024;
const root = mkdtempSync(path.join(os.tmpdir(), 'rackboot-inventory-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const busybox = execFileSync('sh', ['-c', 'command -v busybox || true'], { encoding: 'utf8' }).trim();

function put(relative: string, content: string | Buffer): void {
  const file = path.join(root, relative);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
}
function link(relative: string, target: string): void {
  mkdirSync(path.dirname(path.join(root, relative)), { recursive: true });
  symlinkSync(target, path.join(root, relative));
}
const sbin = (command: string, args: string[]): void => {
  execFileSync(command, args, { stdio: 'ignore', env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` } });
};

/** sda: SATA, 64 MiB, GPT with one ext4 partition labelled "data"; sdb: a 16 MiB USB stick; vda: an empty virtio disk. */
function buildTree(): void {
  const sdaFile = path.join(root, 'dev/sda');
  mkdirSync(path.dirname(sdaFile), { recursive: true });
  writeFileSync(sdaFile, Buffer.alloc(0));
  execFileSync('truncate', ['-s', '64M', sdaFile]);
  sbin('sgdisk', ['-n', '1:2048:+32M', sdaFile]);
  sbin('mkfs.ext4', ['-q', '-F', '-L', 'data', '-E', `offset=${MIB}`, sdaFile, '32M']);
  put('dev/sdb', Buffer.alloc(16 * MIB));
  put('dev/vda', Buffer.alloc(8 * MIB));

  const sata = 'sys/devices/pci0000:00/0000:00:1f.2/ata3/host2/target2:0:0/2:0:0:0';
  put(`${sata}/model`, 'QEMU HARDDISK   \n');
  put(`${sata}/vendor`, 'ATA     \n');
  // VPD page 0x80 as libata answers it: header, then the ATA serial.
  put(`${sata}/vpd_pg80`, Buffer.concat([Buffer.from([0, 0x80, 0, 8]), Buffer.from('SATA-DAT')]));
  put(`${sata}/wwid`, 'naa.5000c50015ea71ac\n');
  put(`${sata}/block/sda/size`, `${(64 * MIB) / 512}\n`);
  put(`${sata}/block/sda/removable`, '0\n');
  put(`${sata}/block/sda/ro`, '0\n');
  put(`${sata}/block/sda/queue/rotational`, '1\n');
  put(`${sata}/block/sda/queue/logical_block_size`, '512\n');
  link(`${sata}/block/sda/device`, '../../../2:0:0:0');
  put(`${sata}/block/sda/sda1/partition`, '1\n');
  put(`${sata}/block/sda/sda1/start`, '2048\n');
  put(`${sata}/block/sda/sda1/size`, `${(32 * MIB) / 512}\n`);
  link('sys/block/sda', `../devices/pci0000:00/0000:00:1f.2/ata3/host2/target2:0:0/2:0:0:0/block/sda`);

  const usbDevice = 'sys/devices/pci0000:00/0000:00:04.0/usb2/2-1';
  put(`${usbDevice}/idVendor`, '46f4\n');
  put(`${usbDevice}/serial`, 'STICK-0042\n');
  const usbDisk = `${usbDevice}/2-1:1.0/host3/target3:0:0/3:0:0:0`;
  put(`${usbDisk}/model`, 'QEMU HARDDISK\n');
  put(`${usbDisk}/vendor`, 'QEMU\n');
  put(`${usbDisk}/block/sdb/size`, `${(16 * MIB) / 512}\n`);
  put(`${usbDisk}/block/sdb/removable`, '1\n');
  put(`${usbDisk}/block/sdb/ro`, '0\n');
  put(`${usbDisk}/block/sdb/queue/rotational`, '1\n');
  link(`${usbDisk}/block/sdb/device`, '../../../3:0:0:0');
  link('sys/block/sdb', '../devices/pci0000:00/0000:00:04.0/usb2/2-1/2-1:1.0/host3/target3:0:0/3:0:0:0/block/sdb');

  const virtio = 'sys/devices/pci0000:00/0000:00:05.0/virtio1';
  put(`${virtio}/vendor`, '0x1af4\n');
  put(`${virtio}/block/vda/size`, `${(8 * MIB) / 512}\n`);
  put(`${virtio}/block/vda/serial`, 'VIRT-1\n');
  put(`${virtio}/block/vda/removable`, '0\n');
  put(`${virtio}/block/vda/ro`, '0\n');
  put(`${virtio}/block/vda/queue/rotational`, '0\n');
  link(`${virtio}/block/vda/device`, '../../../virtio1');
  link('sys/block/vda', '../devices/pci0000:00/0000:00:05.0/virtio1/block/vda');
  link('sys/block/loop0', '../devices/virtual/block/loop0');

  const nic = 'sys/devices/pci0000:00/0000:00:03.0/virtio0';
  put(`${nic}/net/eth0/address`, '52:54:00:AA:BB:01\n');
  put(`${nic}/net/eth0/carrier`, '1\n');
  put(`${nic}/net/eth0/speed`, '-1\n');
  link(`${nic}/net/eth0/device`, '../../../virtio0');
  link(`${nic}/driver`, '../../../../bus/virtio/drivers/virtio_net');
  link('sys/class/net/eth0', '../../devices/pci0000:00/0000:00:03.0/virtio0/net/eth0');
  put('sys/devices/virtual/net/lo/address', '00:00:00:00:00:00\n');
  link('sys/class/net/lo', '../../devices/virtual/net/lo');

  put('sys/class/dmi/id/sys_vendor', 'Rackboot Lab\n');
  put('sys/class/dmi/id/product_name', 'Virtual R640\n');
  put('sys/class/dmi/id/product_serial', 'SN-LAB-7\n');
  put('sys/class/dmi/id/product_uuid', 'A1B2C3D4-0000-4000-8000-000000000007\n');
  mkdirSync(path.join(root, 'sys/firmware/efi'), { recursive: true });
  for (const [cpu, pkg, core] of [[0, 0, 0], [1, 0, 0], [2, 0, 1], [3, 0, 1]] as const) {
    put(`sys/devices/system/cpu/cpu${cpu}/topology/physical_package_id`, `${pkg}\n`);
    put(`sys/devices/system/cpu/cpu${cpu}/topology/core_id`, `${core}\n`);
  }
  put('sys/devices/system/memory/block_size_bytes', '8000000\n');
  for (let block = 0; block < 16; block++) put(`sys/devices/system/memory/memory${block}/online`, '1\n');
  put('proc/cpuinfo', [0, 1, 2, 3].map((n) => `processor\t: ${n}\nmodel name\t: QEMU Virtual CPU version 2.5+\n`).join('\n'));
  put('proc/meminfo', 'MemTotal:        2010000 kB\n');
}

/** Runs the scripts as the ramdisk would: the inventory, and the LLDP report with a stand-in lldp-listen that heard one frame on eth0. */
function runScripts(): { inventory: string; lldp: string } {
  const bin = path.join(root, 'bin');
  mkdirSync(bin, { recursive: true });
  for (const applet of APPLETS) symlinkSync(busybox, path.join(bin, applet));
  const frame = '0180c200000e001122334455' + '88cc' + '020704001b54aabbcc' + '0408054769312f302f37' + '06020078' + '0a097261636b332d746f72' + '0000';
  writeFileSync(path.join(bin, 'lldp-listen'), `#!${busybox} sh\n[ "$1" = 2 ] && [ "$2" = eth0 ] && echo "eth0 ${frame}"\n`, { mode: 0o755 });
  const env = { PATH: bin, INVENTORY_ROOT: root };
  return {
    inventory: execFileSync(busybox, ['sh', SCRIPT], { encoding: 'utf8', env }),
    lldp: execFileSync(busybox, ['sh', LLDP_SCRIPT, '2'], { encoding: 'utf8', env }),
  };
}

describe.skipIf(busybox === '')('the agent inventory, from sysfs to Rackboot', () => {
  buildTree();
  const reports = runScripts();
  const inventory = withLldpReport(parseInventoryReport(reports.inventory, '2026-12-02T07:00:00.000Z'), reports.lldp);

  it('reads system, CPU, memory and boot mode', () => {
    expect(inventory.system).toEqual({ vendor: 'Rackboot Lab', product: 'Virtual R640', serial: 'SN-LAB-7', uuid: 'a1b2c3d4-0000-4000-8000-000000000007' });
    expect(inventory.cpu).toMatchObject({ model: 'QEMU Virtual CPU version 2.5+', sockets: 1, cores: 2, threads: 4 });
    expect(inventory.memoryBytes).toBe(16 * 0x8000000);
    expect(inventory.bootMode).toBe('uefi');
  });

  it('reads each disk: transport, by-path, serial from wherever the bus keeps it, WWN, HCTL, and what it holds', () => {
    expect(inventory.disks.map((disk) => disk.name)).toEqual(['sda', 'sdb', 'vda']);
    const [sda, sdb, vda] = inventory.disks;
    expect(sda).toMatchObject({
      transport: 'sata',
      byPath: 'pci-0000:00:1f.2-ata-3',
      model: 'QEMU HARDDISK',
      vendor: 'ATA',
      serial: 'SATA-DAT',
      wwn: '0x5000c50015ea71ac',
      hctl: '2:0:0:0',
      sizeBytes: 64 * MIB,
      rotational: true,
      partitionTable: 'gpt',
      partitions: [{ number: 1, name: 'sda1', startBytes: MIB, sizeBytes: 32 * MIB, filesystem: { type: 'ext4', label: 'data' } }],
      filesystem: null,
    });
    expect(sdb).toMatchObject({ transport: 'usb', serial: 'STICK-0042', removable: true, byPath: 'pci-0000:00:04.0-usb-0:1:1.0-scsi-3:0:0:0', partitionTable: null });
    expect(vda).toMatchObject({ transport: 'virtio', serial: 'VIRT-1', vendor: null, byPath: 'pci-0000:00:05.0', hctl: null, partitions: [], filesystem: null });
  });

  it('reads each physical NIC, and leaves out loopback; the LLDP report adds the switch port heard', () => {
    expect(parseInventoryReport(reports.inventory, '2026-12-02T07:00:00.000Z').nics.map((nic) => nic.lldp)).toEqual([null]);
    expect(inventory.nics).toEqual([
      { name: 'eth0', mac: '52:54:00:aa:bb:01', driver: 'virtio_net', pciAddress: '0000:00:03.0', hasLink: true, speedMbps: null, lldp: { chassisId: '00:1b:54:aa:bb:cc', portId: 'Gi1/0/7', portDescription: null, systemName: 'rack3-tor', vlans: [] } },
    ]);
  });
});

describe('kernel device paths', () => {
  it('tells NVMe, SAS, virtio-scsi and plain SCSI apart, with by-path names as udev gives them', () => {
    const nvme = '/devices/pci0000:00/0000:00:06.0/nvme/nvme0/nvme0n1';
    expect(transportOf('nvme0n1', nvme)).toBe('nvme');
    expect(byPathOf('nvme0n1', nvme, 'nvme')).toBe('pci-0000:00:06.0-nvme-1');
    expect(transportOf('sdc', '/devices/pci0000:00/0000:03:00.0/host0/port-0:1/end_device-0:1/target0:0:1/0:0:1:0/block/sdc')).toBe('sas');
    const virtioScsi = '/devices/pci0000:00/0000:00:07.0/virtio3/host4/target4:0:0/4:0:0:1/block/sdd';
    expect(transportOf('sdd', virtioScsi)).toBe('virtio');
    expect(byPathOf('sdd', virtioScsi, 'virtio')).toBe('pci-0000:00:07.0-scsi-4:0:0:1');
    expect(transportOf('sde', '/devices/pci0000:00/0000:02:00.0/host5/target5:2:0/5:2:0:0/block/sde')).toBe('scsi');
  });

  it('knows BMC virtual media by what iDRAC, iLO and Supermicro call it, and not a plain QEMU DVD', () => {
    expect(isVirtualMedia('iDRAC', 'Virtual CD')).toBe(true);
    expect(isVirtualMedia('HP iLO', 'Virtual DVD-ROM')).toBe(true);
    expect(isVirtualMedia('ATEN', 'Virtual CDROM')).toBe(true);
    expect(isVirtualMedia('QEMU', 'QEMU DVD-ROM')).toBe(false);
  });

  it('names the line it cannot read', () => {
    expect(() => parseInventoryReport('arch=x86_64\ngarbage line', 'now')).toThrow(InventoryReportError);
    expect(() => parseInventoryReport('disk.sda.model=X', 'now')).toThrow(/disk sda has no size/);
  });
});

describe('the LLDP report', () => {
  const blank = (): Inventory => parseInventoryReport('arch=x86_64\nnic.eth0.mac=52:54:00:aa:bb:01\nnic.eth0.carrier=0\nnic.eth1.mac=52:54:00:aa:bb:02\n', '2026-12-02T07:00:00.000Z');

  it('adds nothing when no switch spoke, and counts a NIC that heard one as linked', () => {
    expect(withLldpReport(blank(), '').nics.map((nic) => nic.lldp)).toEqual([null, null]);
    const frame = '0180c200000e001122334455' + '88cc' + '020704001b54aabbcc' + '0408054769312f302f37' + '06020078' + '0000';
    const eth0 = withLldpReport(blank(), `lldp.eth0=${frame}\n`).nics[0];
    expect(eth0).toMatchObject({ hasLink: true, lldp: { chassisId: '00:1b:54:aa:bb:cc', portId: 'Gi1/0/7' } });
  });

  it('refuses lines that are not lldp.NIC=HEX, and ignores a frame that is no LLDP', () => {
    expect(() => withLldpReport(blank(), 'disk.sda.sectors=1\n')).toThrow(/not lldp.NIC=HEX/);
    expect(() => withLldpReport(blank(), 'lldp.eth0=zz\n')).toThrow(/not lldp.NIC=HEX/);
    expect(withLldpReport(blank(), 'lldp.eth0=00ff\n').nics[0]).toMatchObject({ hasLink: false, lldp: null });
  });
});
