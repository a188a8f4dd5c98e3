import { describe, expect, it } from 'vitest';
import { diffInventories } from './inventory-diff';
import { disk, inventory, nic } from './test-fixtures';

const texts = (before: ReturnType<typeof inventory>, after: ReturnType<typeof inventory>): string[] =>
  diffInventories(before, after).map((change) => change.text);

describe('diffInventories', () => {
  it('finds nothing between two identical inspections', () => {
    expect(diffInventories(inventory(), inventory({ collectedAt: '2026-12-09T00:00:00.000Z' }))).toEqual([]);
  });

  it('says a disk is gone and a new one came, with what identifies it', () => {
    const before = inventory();
    const nvme = disk({
      name: 'nvme0n1',
      transport: 'nvme',
      vendor: null,
      model: 'Samsung SSD 980 PRO 1TB',
      serial: 'S5GXNF0R',
      sizeBytes: 960_197_124_096,
      byPath: 'pci-0000:5e:00.0-nvme-1',
      hctl: null,
    });
    const after = inventory({ disks: [before.disks[0]!, nvme] });
    expect(diffInventories(before, after)).toEqual([
      { kind: 'disk-removed', subject: 'sdb', text: 'disk sdb is gone (2 TB SATA HDD, ATA ST2000NM0055, serial ZC20ABCD)' },
      { kind: 'disk-added', subject: 'nvme0n1', text: 'new disk nvme0n1 (960 GB NVMe SSD, Samsung SSD 980 PRO 1TB, serial S5GXNF0R)' },
    ]);
  });

  it('follows a disk by serial when the kernel names it differently, and says its new size', () => {
    const before = inventory();
    const [sda, sdb] = before.disks;
    const after = inventory({ disks: [{ ...sdb!, name: 'sda', sizeBytes: 1_800_000_000_000 }, { ...sda!, name: 'sdb' }] });
    expect(texts(before, after)).toEqual([
      'disk sdb is now called sda (1.8 TB SATA HDD, ATA ST2000NM0055, serial ZC20ABCD)',
      'disk sda is now 1.8 TB (was 2 TB)',
      'disk sda is now called sdb (480 GB SATA SSD, ATA MZ7LH480HAHQ, serial S45N-sda)',
    ]);
  });

  it('follows a disk by WWN when its serial reads differently', () => {
    const before = inventory();
    const after = inventory({ disks: [before.disks[0]!, { ...before.disks[1]!, serial: 'ZC20ABCD-0001', name: 'sdc' }] });
    expect(texts(before, after)).toEqual(['disk sdb is now called sdc (2 TB SATA HDD, ATA ST2000NM0055, serial ZC20ABCD-0001)']);
  });

  it('never takes a different disk under the same name for the old one', () => {
    const before = inventory({ disks: [disk({ name: 'sda', serial: 'OLD1' })] });
    const after = inventory({ disks: [disk({ name: 'sda', serial: 'NEW1' })] });
    expect(diffInventories(before, after).map((change) => change.kind)).toEqual(['disk-removed', 'disk-added']);
  });

  it('matches disks without serial or WWN by name, and two disks sharing a cloned serial too', () => {
    const before = inventory({ disks: [disk({ name: 'vda', serial: null, sizeBytes: 10_737_418_240 }), disk({ name: 'sdx', serial: 'CLONE' }), disk({ name: 'sdy', serial: 'CLONE' })] });
    const after = inventory({ disks: [disk({ name: 'vda', serial: null, sizeBytes: 21_474_836_480 }), disk({ name: 'sdx', serial: 'CLONE' }), disk({ name: 'sdy', serial: 'CLONE' })] });
    expect(texts(before, after)).toEqual(['disk vda is now 21.5 GB (was 10.7 GB)']);
  });

  it('says what a disk holds now when someone wrote to it', () => {
    const before = inventory();
    const written = {
      ...before.disks[0]!,
      partitionTable: 'mbr' as const,
      partitions: [{ number: 1, name: 'sda1', startBytes: 1_048_576, sizeBytes: 4_000_000_000, filesystem: { type: 'xfs', label: 'scratch', uuid: null } }],
    };
    expect(texts(before, inventory({ disks: [written, before.disks[1]!] }))).toEqual(["disk sda now holds 1 partition, xfs 'scratch' (was empty)"]);
  });

  it('says a NIC moved to another switch port, and what LLDP shows when a switch appears or goes quiet', () => {
    const before = inventory();
    const [eno1, eno2] = before.nics;
    const moved = { ...eno1!, lldp: { ...eno1!.lldp!, portId: 'Gi1/0/7' } };
    expect(texts(before, inventory({ nics: [moved, eno2!] }))).toEqual(['NIC eno1 moved to switch port Gi1/0/7 on sw-a (was Gi1/0/3 on sw-a)']);
    expect(texts(before, inventory({ nics: [{ ...eno1!, lldp: null }, eno2!] }))).toEqual(['NIC eno1 no longer hears a switch (was on Gi1/0/3 on sw-a)']);
    const cabled = { ...eno2!, hasLink: true, speedMbps: 25_000, lldp: { chassisId: '00:1c:73:dd:ee:ff', portId: 'Eth1/12', portDescription: null, systemName: null, vlans: [] } };
    expect(texts(before, inventory({ nics: [eno1!, cabled] }))).toEqual([
      'NIC eno2: link up, 25 Gb/s (was no link)',
      'NIC eno2 is on switch port Eth1/12 on 00:1c:73:dd:ee:ff (no switch announced itself before)',
    ]);
  });

  it('follows a NIC by MAC across a rename, and tells a replaced card from a renamed one', () => {
    const before = inventory();
    const [eno1, eno2] = before.nics;
    expect(texts(before, inventory({ nics: [{ ...eno1!, name: 'enp59s0f0' }, eno2!] }))).toEqual(['NIC eno1 (24:6e:96:00:00:01) is now called enp59s0f0']);
    const replaced = nic({ name: 'eno2', mac: '3c:fd:fe:00:00:09', hasLink: false, speedMbps: null });
    expect(texts(before, inventory({ nics: [eno1!, replaced] }))).toEqual([
      'NIC eno2 (24:6e:96:00:00:02) is gone',
      'new NIC eno2 (3c:fd:fe:00:00:09, no link)',
    ]);
  });

  it('reports memory, CPUs, boot mode and a swapped mainboard in words', () => {
    const before = inventory();
    const after = inventory({
      memoryBytes: 128 * 1024 ** 3,
      cpu: { ...before.cpu, sockets: 1, cores: 16, threads: 32 },
      bootMode: 'bios',
      system: { ...before.system, serial: 'CN9999' },
    });
    expect(texts(before, after)).toEqual([
      'system serial CN7016 → CN9999: a different mainboard, or a different server behind this BMC',
      'CPUs 2 × Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz, 32 cores, 64 threads (x86_64) → Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz, 16 cores, 32 threads (x86_64)',
      'memory 64 GiB → 128 GiB',
      'boot mode UEFI → BIOS',
    ]);
  });
});
