import { describe, expect, it } from 'vitest';
import type { Inventory, InventoryDisk } from '../../shared/inventory';
import { disk as inventoryDisk } from '../inventory/test-fixtures';
import { chooseRootDisk, fromIronicNode, fromIronicRootDevice, ironicNameProblem, toIronicNode, toIronicRootDevice, type HandoffNode } from './node-mapping';

const GiB = 1024 ** 3;

function disk(name: string, sizeGiB: number, extra: Partial<InventoryDisk> = {}): InventoryDisk {
  return inventoryDisk({ name, byPath: `pci-0000:00:1f.2-ata-${name}`, model: `Model ${name}`, serial: `SN-${name}`, hctl: null, sizeBytes: sizeGiB * GiB + 12345, ...extra });
}

const inventory: Inventory = {
  collectedAt: '2026-12-02T07:00:00Z',
  system: { vendor: 'QEMU', product: 'Standard PC', serial: null, uuid: null },
  cpu: { model: 'EPYC', arch: 'x86_64', sockets: 2, cores: 16, threads: 32 },
  memoryBytes: 64 * GiB,
  bootMode: 'uefi',
  disks: [disk('sda', 960), disk('sdb', 240), disk('sdc', 2, { transport: 'usb', removable: true }), disk('sr0', 8, { virtualMedia: true })],
  nics: [],
};

const base: HandoffNode = {
  name: 'rack1-u07',
  bmc: { protocol: 'ipmi', address: '10.1.91.4', port: 623, username: 'admin', password: 'Zq9 secret' },
  mac: '52:54:00:AA:BB:01',
  systemGuid: '89ABCDEF-0123-4567-89AB-CDEF01234567',
  inventory: null,
  rootDeviceHints: null,
};

describe('toIronicNode', () => {
  it('maps an IPMI node without inventory: driver_info and port only, no made-up properties', () => {
    const { node, ports } = toIronicNode(base);
    expect(node).toEqual({
      name: 'rack1-u07',
      driver: 'ipmi',
      driver_info: { ipmi_address: '10.1.91.4', ipmi_port: 623, ipmi_username: 'admin', ipmi_password: 'Zq9 secret' },
      properties: {},
      extra: { system_uuid: '89abcdef-0123-4567-89ab-cdef01234567' },
    });
    expect(ports).toEqual([{ address: '52:54:00:aa:bb:01', pxe_enabled: true }]);
  });

  it('leaves the password key out when there is none to give, and the port out without a MAC', () => {
    const { node, ports } = toIronicNode({ ...base, mac: null, systemGuid: null, bmc: { ...base.bmc, password: null } as HandoffNode['bmc'] });
    expect(node.driver_info).not.toHaveProperty('ipmi_password');
    expect(node.extra).toEqual({});
    expect(ports).toEqual([]);
  });

  it('maps Redfish access to the redfish driver', () => {
    const { node } = toIronicNode({
      ...base,
      bmc: { protocol: 'redfish', address: 'https://10.1.91.5', systemId: '/redfish/v1/Systems/1', username: 'root', password: 'pw', verifyCa: false },
    });
    expect(node.driver).toBe('redfish');
    expect(node.driver_info).toEqual({
      redfish_address: 'https://10.1.91.5',
      redfish_system_id: '/redfish/v1/Systems/1',
      redfish_username: 'root',
      redfish_verify_ca: false,
      redfish_password: 'pw',
    });
  });

  it('fills properties from the inventory as Ironic inspection would, local_gb from the default root disk', () => {
    const { node } = toIronicNode({ ...base, inventory });
    // Default: the smallest non-removable disk of at least 4 GiB is sdb (240 GiB); one GiB is kept for partitioning.
    expect(node.properties).toEqual({ cpus: 32, memory_mb: 65536, cpu_arch: 'x86_64', local_gb: 239, capabilities: 'boot_mode:uefi' });
  });

  it('takes local_gb from the disk the hints choose, and passes the hints in Ironic syntax', () => {
    const { node } = toIronicNode({ ...base, inventory, rootDeviceHints: { serial: 'sn-SDA', size: '>= 900' } });
    expect(node.properties.local_gb).toBe(959);
    expect(node.properties.root_device).toEqual({ serial: 'sn-SDA', size: '>= 900' });
  });

  it('leaves local_gb out when the hints match no disk', () => {
    const { node } = toIronicNode({ ...base, inventory, rootDeviceHints: { name: 'nvme0n1' } });
    expect(node.properties).not.toHaveProperty('local_gb');
    expect(node.properties.root_device).toEqual({ name: '/dev/nvme0n1' });
  });
});

describe('root device hints', () => {
  it('writes names as /dev paths, by-path under /dev/disk/by-path, a bare size as an integer', () => {
    expect(toIronicRootDevice({ name: 'sda', byPath: 'pci-0000:00:1f.2-ata-1', size: '480', rotational: false, hctl: '0:0:0:0' })).toEqual({
      name: '/dev/sda',
      by_path: '/dev/disk/by-path/pci-0000:00:1f.2-ata-1',
      size: 480,
      rotational: false,
      hctl: '0:0:0:0',
    });
    expect(toIronicRootDevice({ name: '/dev/vda', size: '<=2000' })).toEqual({ name: '/dev/vda', size: '<= 2000' });
  });

  it('reads them back, dropping what Rackboot cannot hold', () => {
    expect(fromIronicRootDevice({ name: '/dev/sda', size: 480, rotational: 'false', wwn: '0x5000', foo: 'bar', hctl: 'x' })).toEqual({
      name: 'sda',
      size: '480',
      rotational: false,
      wwn: '0x5000',
    });
    expect(fromIronicRootDevice({ size: 'huge' })).toBeNull();
    expect(fromIronicRootDevice('sda')).toBeNull();
    expect(fromIronicRootDevice(null)).toBeNull();
  });

  it('chooses by every hint at once, never virtual media', () => {
    expect(chooseRootDisk(inventory.disks, { rotational: false, size: '< 100' })?.name).toBe('sdc');
    expect(chooseRootDisk(inventory.disks, { name: 'sr0' })).toBeNull();
    expect(chooseRootDisk([], null)).toBeNull();
  });
});

describe('ironicNameProblem', () => {
  it('accepts host-name-like names and refuses spaces and slashes', () => {
    expect(ironicNameProblem('rack1-u07.dc_2~a')).toBeNull();
    expect(ironicNameProblem('rack 1')).toMatch(/not a name Ironic takes/);
    expect(ironicNameProblem('../x')).toMatch(/rename the server/);
  });
});

describe('fromIronicNode', () => {
  const record = {
    uuid: '1be26c0b-03f2-4d2e-ae87-c02d7f33c123',
    name: 'r1-u07',
    driver: 'ipmi',
    driver_info: { ipmi_address: '10.1.91.4', ipmi_port: '6230', ipmi_username: 'admin', ipmi_password: '******' },
    properties: { root_device: { serial: 'SN-1' } },
    extra: { system_uuid: '89abcdef-0123-4567-89ab-cdef01234567' },
  };

  it('takes the BMC, the PXE port and the hints; never the masked password', () => {
    const outcome = fromIronicNode(record, [
      { address: '52:54:00:00:00:09', node_uuid: 'someone-else', pxe_enabled: true },
      { address: '52:54:00:00:00:02', node_uuid: record.uuid, pxe_enabled: false },
      { address: '52:54:00:00:00:01', node_uuid: record.uuid, pxe_enabled: true },
    ]);
    expect(outcome).toEqual({
      ok: true,
      node: {
        name: 'r1-u07',
        bmc: { protocol: 'ipmi', address: '10.1.91.4', port: 6230, username: 'admin' },
        mac: '52:54:00:00:00:01',
        systemGuid: '89abcdef-0123-4567-89ab-cdef01234567',
        rootDeviceHints: { serial: 'SN-1' },
      },
    });
  });

  it('takes a Redfish node\'s BMC from its URL or bare host, with its system; the certificate is left to be pinned', () => {
    const redfish = (info: Record<string, unknown>) => fromIronicNode({ ...record, driver: 'redfish', driver_info: { redfish_username: 'root', redfish_password: '******', ...info } }, []);
    expect(redfish({ redfish_address: 'https://10.1.91.8:8443', redfish_system_id: '/redfish/v1/Systems/System.Embedded.1', redfish_verify_ca: false })).toMatchObject({
      ok: true,
      node: { bmc: { protocol: 'redfish', address: '10.1.91.8', port: 8443, systemId: '/redfish/v1/Systems/System.Embedded.1', username: 'root' } },
    });
    expect(redfish({ redfish_address: 'ilo-r1-u07.lab' })).toMatchObject({ ok: true, node: { bmc: { address: 'ilo-r1-u07.lab', port: 443, systemId: null } } });
    expect(redfish({ redfish_address: 'https://[fd00::8]', redfish_system_id: '/redfish/v1/Systems/../../x' })).toMatchObject({ ok: true, node: { bmc: { address: 'fd00::8', systemId: null } } });
    expect(redfish({ redfish_address: 'http://10.1.91.8' })).toMatchObject({ ok: false, reason: expect.stringMatching(/not https/) });
    expect(redfish({})).toMatchObject({ ok: false, reason: expect.stringMatching(/redfish_address/) });
    expect(redfish({ redfish_address: 'https://exa mple' })).toMatchObject({ ok: false, reason: expect.stringMatching(/no URL or host/) });
  });

  it('says why a node cannot come in', () => {
    expect(fromIronicNode({ ...record, driver: 'idrac' }, [])).toMatchObject({ ok: false, reason: expect.stringMatching(/idrac/) });
    expect(fromIronicNode({ ...record, name: null, driver_info: {} }, [])).toMatchObject({ ok: false, name: record.uuid, reason: expect.stringMatching(/ipmi_address/) });
  });

  it('falls back to port 623 for a port number out of range', () => {
    const outcome = fromIronicNode({ ...record, driver_info: { ...record.driver_info, ipmi_port: 99999 } }, []);
    expect(outcome.ok && outcome.node.bmc.port).toBe(623);
  });
});
