import { inventorySchema, type DiskTransport, type Inventory, type InventoryDisk, type InventoryNic, type Partition } from '../../shared/inventory';
import { parseMac } from '../../shared/mac';
import { readFilesystem, readPartitionTable, type DiskSample } from './disk-layout';
import { parseLldpFrame } from './lldp';

/**
 * The agent's inventory report (agent/inventory.sh: key=value lines of raw sysfs facts, sampled disk bytes, LLDP
 * frames) read into an `Inventory`. Pure: text in, typed inventory out; what the kernel path of a device says about
 * its transport, by-path name and HCTL is worked out here, as udev would in a full system.
 */

/** A report line that is not key=value, or a value the inventory cannot take, is named in this error. */
export class InventoryReportError extends Error {}

type RawFields = Record<string, string>;
interface RawPartition {
  name: string;
  number: number;
  startSectors: number;
  sizeSectors: number;
  head: Buffer | null;
}

const SECTOR = 512;

/** Text from sysfs or a switch: control characters gone, padding trimmed, at most 256 characters, empty as none. */
function clean(value: string | undefined): string | null {
  if (value === undefined) return null;
  // eslint-disable-next-line no-control-regex -- dropping control characters is the point
  const text = value.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 256);
  return text === '' ? null : text;
}

const integer = (value: string | undefined): number | null => (value !== undefined && /^\d+$/.test(value.trim()) ? Number(value.trim()) : null);
const flag = (value: string | undefined): boolean => value?.trim() === '1';

/** How a disk is attached, from its kernel device path (/devices/pci0000:00/0000:00:1f.2/ata1/host0/…/block/sda). */
export function transportOf(name: string, path: string): DiskTransport {
  if (name.startsWith('nvme') || path.includes('/nvme/')) return 'nvme';
  if (/\/usb\d+\//.test(path)) return 'usb';
  if (/\/virtio\d+\//.test(path)) return 'virtio';
  if (/\/ata\d+\//.test(path)) return 'sata';
  if (/\/(end_device|expander|port)-\d+/.test(path)) return 'sas';
  if (name.startsWith('mmcblk') || path.includes('/mmc_host/')) return 'mmc';
  if (/\/host\d+\/(rport-[^/]+\/)?target\d+/.test(path)) return 'scsi';
  return 'unknown';
}

/** SCSI host:channel:target:lun of a disk, from its device path; null for NVMe, virtio-blk and the like. */
export function hctlOf(path: string): string | null {
  return /\/(\d+:\d+:\d+:\d+)\/block\/[^/]+$/.exec(path)?.[1] ?? null;
}

const PCI_ADDRESS = /[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]/g;

/** The PCI address nearest the device: the last one on its path. */
export function pciAddressOf(path: string): string | null {
  return path.match(PCI_ADDRESS)?.at(-1) ?? null;
}

/**
 * The name /dev/disk/by-path would give the disk, as udev's path_id builds it for the usual buses (there is no udev
 * in the ramdisk): pci-ADDR for virtio-blk, pci-ADDR-ata-PORT, pci-ADDR-nvme-NSID, pci-ADDR-usb-0:PORT:CONFIG-scsi-HCTL,
 * pci-ADDR-scsi-HCTL.
 */
export function byPathOf(name: string, path: string, transport: DiskTransport): string | null {
  const pci = pciAddressOf(path);
  if (!pci) return null;
  const hctl = hctlOf(path);
  switch (transport) {
    case 'virtio':
      return hctl ? `pci-${pci}-scsi-${hctl}` : `pci-${pci}`;
    case 'sata': {
      const port = /\/ata(\d+)\//.exec(path)?.[1];
      return port ? `pci-${pci}-ata-${port}` : null;
    }
    case 'nvme': {
      const namespace = /n(\d+)$/.exec(name)?.[1];
      return namespace ? `pci-${pci}-nvme-${namespace}` : null;
    }
    case 'usb': {
      const usbInterface = /\/\d+-([\d.]+):(\d+)\.(\d+)\//.exec(path);
      return usbInterface && hctl ? `pci-${pci}-usb-0:${usbInterface[1]}:${usbInterface[2]}.${usbInterface[3]}-scsi-${hctl}` : null;
    }
    default:
      return hctl ? `pci-${pci}-scsi-${hctl}` : null;
  }
}

/** BMC virtual media as iDRAC, iLO, Supermicro (ATEN), AMI, Lenovo XCC and Cisco CIMC present it. */
export function isVirtualMedia(vendor: string | null, model: string | null): boolean {
  const text = `${vendor ?? ''} ${model ?? ''}`;
  return /\bvirtual\s*(cd|dvd|floppy|hdisk|media|disk|fdd|usb)|\bvirtual[\s_-]?(cdrom|dvd-?rom)|\biDRAC\b|\biLO\b|\bLCDRIVE\b|\bCimc\b|\bIMM2?\b.*virtual/i.test(text);
}

/** The serial from SCSI VPD page 0x80 (what libata reports for a SATA disk): 4 header bytes, then the text. */
function vpdSerial(hex: string | undefined): string | null {
  if (!hex || !/^([0-9a-f]{2})+$/.test(hex)) return null;
  const page = Buffer.from(hex, 'hex');
  if (page.length < 4 || page[1] !== 0x80) return null;
  return clean(page.subarray(4, 4 + page.readUInt16BE(2)).toString('latin1'));
}

/** A WWN as udev's ID_WWN spells it: NAA identifiers as 0x…; EUI-64 and others as the kernel's wwid says them. */
function wwnOf(wwid: string | null): string | null {
  if (!wwid) return null;
  const naa = /^naa\.([0-9a-f]+)$/i.exec(wwid);
  if (naa) return `0x${naa[1]!.toLowerCase()}`;
  return /^(eui|nvme|t10)\./i.test(wwid) && !wwid.toLowerCase().startsWith('t10.') ? wwid : null;
}

/** A vendor that is only a PCI vendor number (virtio's 0x1af4) names nothing a technician would read. */
const vendorText = (value: string | undefined): string | null => {
  const text = clean(value);
  return text && /^0x[0-9a-f]+$/i.test(text) ? null : text;
};

function base64(value: string | undefined): Buffer {
  return value && /^[A-Za-z0-9+/]*={0,2}$/.test(value) ? Buffer.from(value, 'base64') : Buffer.alloc(0);
}

function partitionName(disk: string, number: number): string {
  return /\d$/.test(disk) ? `${disk}p${number}` : `${disk}${number}`;
}

function readDisk(name: string, raw: RawFields, kernelPartitions: RawPartition[]): InventoryDisk {
  const sectors = integer(raw.sectors);
  if (sectors === null) throw new InventoryReportError(`disk ${name} has no size in the report`);
  const sizeBytes = sectors * SECTOR;
  const path = raw.path ?? '';
  const transport = transportOf(name, path);
  const model = clean(raw.model);
  const vendor = vendorText(raw.vendor);
  const sample: DiskSample = { sizeBytes, sectorSize: integer(raw.sector_bytes) ?? SECTOR, head: base64(raw.head), tail: base64(raw.tail) };
  const table = readPartitionTable(sample);
  // The kernel's list is complete (logical MBR partitions too) and each of its partitions was sampled.
  const partitions: Partition[] =
    kernelPartitions.length > 0
      ? kernelPartitions
          .sort((a, b) => a.number - b.number)
          .map((partition) => ({
            number: partition.number,
            name: partition.name,
            startBytes: partition.startSectors * SECTOR,
            sizeBytes: partition.sizeSectors * SECTOR,
            filesystem: partition.head ? readFilesystem({ sizeBytes: partition.sizeSectors * SECTOR, sectorSize: sample.sectorSize, head: partition.head, tail: Buffer.alloc(0) }) : null,
          }))
      : (table?.entries ?? []).map((entry) => ({ number: entry.number, name: partitionName(name, entry.number), startBytes: entry.startBytes, sizeBytes: entry.sizeBytes, filesystem: null }));
  return {
    name,
    byPath: byPathOf(name, path, transport),
    model,
    vendor,
    serial: clean(raw.serial) ?? vpdSerial(raw.vpd80) ?? clean(raw.usb_serial),
    wwn: wwnOf(clean(raw.wwid)),
    hctl: hctlOf(path),
    sizeBytes,
    rotational: flag(raw.rotational),
    transport,
    removable: flag(raw.removable),
    readOnly: flag(raw.ro),
    virtualMedia: isVirtualMedia(vendor, model),
    partitionTable: table?.type ?? (partitions.length > 0 ? 'mbr' : null),
    partitions,
    filesystem: table ? null : readFilesystem(sample),
  };
}

function readNic(name: string, raw: RawFields): InventoryNic | null {
  const mac = raw.mac ? parseMac(raw.mac.trim()) : null;
  if (!mac || mac === '00:00:00:00:00:00') return null;
  const speed = raw.speed !== undefined && /^\d+$/.test(raw.speed.trim()) ? Number(raw.speed.trim()) : null;
  return {
    name,
    mac,
    driver: clean(raw.driver),
    pciAddress: raw.device ? pciAddressOf(raw.device) : null,
    hasLink: flag(raw.carrier),
    speedMbps: speed !== null && speed > 0 ? speed : null,
    // Heard later, on its own (agent/lldp.sh): see withLldpReport.
    lldp: null,
  };
}

export function parseInventoryReport(report: string, collectedAt: string): Inventory {
  const top = new Map<string, string>();
  const disks = new Map<string, RawFields>();
  const partitions = new Map<string, Map<string, RawPartition>>();
  const nics = new Map<string, RawFields>();
  const entry = <T>(map: Map<string, T>, key: string, make: () => T): T => {
    const found = map.get(key);
    if (found) return found;
    const made = make();
    map.set(key, made);
    return made;
  };
  for (const line of report.split('\n')) {
    if (line.trim() === '') continue;
    const equals = line.indexOf('=');
    if (equals <= 0) throw new InventoryReportError(`inventory report line without key=value: ${line.slice(0, 80)}`);
    const key = line.slice(0, equals);
    const value = line.slice(equals + 1);
    let match: RegExpExecArray | null;
    if ((match = /^disk\.([A-Za-z0-9_!:-]+)\.([a-z_0-9]+)$/.exec(key))) {
      const disk = entry(disks, match[1]!, (): RawFields => ({}));
      // The first value of a field wins (the agent lists the likelier source first).
      if (disk[match[2]!] === undefined || disk[match[2]!] === '') disk[match[2]!] = value;
    } else if ((match = /^part\.([A-Za-z0-9_!:-]+)\.([A-Za-z0-9_!:-]+?)(\.head)?$/.exec(key))) {
      const list = entry(partitions, match[1]!, () => new Map<string, RawPartition>());
      const partition = entry(list, match[2]!, () => ({ name: match![2]!, number: 0, startSectors: 0, sizeSectors: 0, head: null as Buffer | null }));
      if (match[3]) partition.head = base64(value);
      else {
        const [number, start, size] = value.trim().split(/\s+/).map((part) => integer(part));
        if (!number || start === null || start === undefined || size === null || size === undefined) {
          throw new InventoryReportError(`partition ${match[2]} of ${match[1]} has no number, start and size: ${value.slice(0, 80)}`);
        }
        Object.assign(partition, { number, startSectors: start, sizeSectors: size });
      }
    } else if ((match = /^nic\.([A-Za-z0-9_@:-]+)\.([a-z_]+)$/.exec(key))) {
      entry(nics, match[1]!, (): RawFields => ({}))[match[2]!] = value;
    } else {
      top.set(key, value);
    }
  }
  const memoryBlocks = integer(top.get('memory.blocks_online'));
  const blockBytes = top.get('memory.block_bytes') !== undefined ? Number.parseInt(top.get('memory.block_bytes')!, 16) : NaN;
  const memoryBytes = memoryBlocks && Number.isSafeInteger(blockBytes) ? memoryBlocks * blockBytes : (integer(top.get('memory.kib')) ?? 0) * 1024;
  const inventory = {
    collectedAt,
    system: {
      vendor: clean(top.get('dmi.sys_vendor')),
      product: clean(top.get('dmi.product_name')),
      serial: clean(top.get('dmi.product_serial')),
      uuid: clean(top.get('dmi.product_uuid'))?.toLowerCase() ?? null,
    },
    cpu: {
      model: clean(top.get('cpu.model')),
      arch: clean(top.get('arch')) ?? 'unknown',
      sockets: integer(top.get('cpu.sockets')) ?? 0,
      cores: integer(top.get('cpu.cores')) ?? 0,
      threads: integer(top.get('cpu.threads')) ?? 0,
    },
    memoryBytes,
    bootMode: top.get('boot')?.trim() === 'uefi' ? ('uefi' as const) : ('bios' as const),
    disks: [...disks.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, raw]) => readDisk(name, raw, [...(partitions.get(name)?.values() ?? [])])),
    nics: [...nics.entries()].sort(([a], [b]) => a.localeCompare(b)).flatMap(([name, raw]) => readNic(name, raw) ?? []),
  };
  const checked = inventorySchema.safeParse(inventory);
  if (!checked.success) throw new InventoryReportError(`inventory report does not fit the inventory: ${checked.error.issues[0]?.path.join('.')}: ${checked.error.issues[0]?.message}`);
  return checked.data;
}

/**
 * The inventory with the LLDP report the agent sends once its listening window ends (agent/lldp.sh: one
 * `lldp.NIC=HEX` line per NIC that heard a switch; none when no switch spoke). A frame heard proves the link.
 */
export function withLldpReport(inventory: Inventory, report: string): Inventory {
  const heard = new Map<string, Buffer>();
  for (const line of report.split('\n')) {
    if (line.trim() === '') continue;
    const match = /^lldp\.([A-Za-z0-9_@:-]+)=((?:[0-9a-f]{2})+)$/.exec(line.trim());
    if (!match) throw new InventoryReportError(`LLDP report line is not lldp.NIC=HEX: ${line.slice(0, 80)}`);
    heard.set(match[1]!, Buffer.from(match[2]!, 'hex'));
  }
  return {
    ...inventory,
    nics: inventory.nics.map((nic) => {
      const frame = heard.get(nic.name);
      const lldp = frame ? parseLldpFrame(frame) : null;
      return lldp ? { ...nic, hasLink: true, lldp } : nic;
    }),
  };
}
