import type { Inventory, InventoryDisk, InventoryNic } from '../../shared/inventory';

/** A disk as the agent reports a blank SATA SSD; tests override what they are about. */
export function disk(fields: Partial<InventoryDisk> & Pick<InventoryDisk, 'name'>): InventoryDisk {
  return {
    byPath: `pci-0000:00:1f.2-ata-1`,
    model: 'MZ7LH480HAHQ',
    vendor: 'ATA',
    serial: `S45N-${fields.name}`,
    wwn: null,
    hctl: '0:0:0:0',
    sizeBytes: 480_103_981_056,
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

export function nic(fields: Partial<InventoryNic> & Pick<InventoryNic, 'name' | 'mac'>): InventoryNic {
  return { driver: 'ixgbe', pciAddress: '0000:3b:00.0', hasLink: true, speedMbps: 10_000, lldp: null, ...fields };
}

/** A two-disk, two-NIC server as an inspection finds it. */
export function inventory(fields: Partial<Inventory> = {}): Inventory {
  return {
    collectedAt: '2026-12-01T10:00:00.000Z',
    system: { vendor: 'Dell Inc.', product: 'PowerEdge R640', serial: 'CN7016', uuid: '4c4c4544-0051-3510-8052-b4c04f4d4a32' },
    cpu: { model: 'Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz', arch: 'x86_64', sockets: 2, cores: 32, threads: 64 },
    memoryBytes: 64 * 1024 ** 3,
    bootMode: 'uefi',
    disks: [
      disk({ name: 'sda' }),
      disk({
        name: 'sdb',
        byPath: 'pci-0000:00:1f.2-ata-2',
        model: 'ST2000NM0055',
        serial: 'ZC20ABCD',
        wwn: '0x5000c500a1b2c3d4',
        hctl: '1:0:0:0',
        sizeBytes: 2_000_398_934_016,
        rotational: true,
        partitionTable: 'gpt',
        partitions: [
          { number: 1, name: 'sdb1', startBytes: 1_048_576, sizeBytes: 1_073_741_824, filesystem: { type: 'vfat', label: null, uuid: 'ABCD-1234' } },
          { number: 2, name: 'sdb2', startBytes: 1_074_790_400, sizeBytes: 1_999_000_000_000, filesystem: { type: 'ext4', label: 'data', uuid: null } },
        ],
      }),
    ],
    nics: [
      nic({ name: 'eno1', mac: '24:6e:96:00:00:01', lldp: { chassisId: '00:1c:73:aa:bb:cc', portId: 'Gi1/0/3', portDescription: null, systemName: 'sw-a', vlans: [100] } }),
      nic({ name: 'eno2', mac: '24:6e:96:00:00:02', hasLink: false, speedMbps: null }),
    ],
    ...fields,
  };
}
