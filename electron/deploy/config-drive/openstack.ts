import type { InstanceSettings } from '../../../shared/instance';
import { buildIso9660, type IsoFile } from './iso9660';

/** The label cloud-init's ConfigDrive datasource looks for (`blkid -t LABEL=config-2`). */
export const CONFIG_DRIVE_LABEL = 'config-2';

export interface ConfigDriveNode {
  /** Stable per node: cloud-init's instance-id, so a redeploy of the same node keeps its identity. */
  uuid: string;
  name: string;
  /** The NIC the settings apply to: the MAC Rackboot captured. */
  mac: string;
  instance: InstanceSettings;
}

function netmask(prefixLength: number): string {
  const bits = prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
  return [24, 16, 8, 0].map((shift) => (bits >>> shift) & 0xff).join('.');
}

/** `openstack/latest/meta_data.json`: who the instance is. */
export function metaData(node: ConfigDriveNode): Record<string, unknown> {
  return {
    uuid: node.uuid,
    name: node.name,
    hostname: node.instance.hostname,
    public_keys: Object.fromEntries(node.instance.sshKeys.map((key, index) => [`key-${index}`, key])),
    launch_index: 0,
    availability_zone: 'rackboot',
    meta: {},
  };
}

/** `openstack/latest/network_data.json`: one link (by MAC), its IPv4 network (static or DHCP), DNS services. */
export function networkData(node: ConfigDriveNode): Record<string, unknown> {
  const link = { id: 'nic0', type: 'phy', ethernet_mac_address: node.mac.toLowerCase(), mtu: null };
  const network = node.instance.network;
  if (network.kind === 'dhcp') {
    return { links: [link], networks: [{ id: 'network0', type: 'ipv4_dhcp', link: 'nic0', network_id: 'provisioning' }], services: [] };
  }
  return {
    links: [link],
    networks: [
      {
        id: 'network0',
        type: 'ipv4',
        link: 'nic0',
        network_id: 'provisioning',
        ip_address: network.address,
        netmask: netmask(network.prefixLength),
        routes: network.gateway ? [{ network: '0.0.0.0', netmask: '0.0.0.0', gateway: network.gateway }] : [],
        dns_nameservers: network.dns,
      },
    ],
    services: network.dns.map((address) => ({ type: 'dns', address })),
  };
}

/** The files of the drive, as Nova and Ironic lay them out (only `latest`: cloud-init reads it first). */
export function configDriveFiles(node: ConfigDriveNode): IsoFile[] {
  const encoder = new TextEncoder();
  const json = (value: unknown): Uint8Array => encoder.encode(`${JSON.stringify(value, null, 2)}\n`);
  const files: IsoFile[] = [
    { path: 'openstack/latest/meta_data.json', data: json(metaData(node)) },
    { path: 'openstack/latest/network_data.json', data: json(networkData(node)) },
  ];
  if (node.instance.userData !== '') files.push({ path: 'openstack/latest/user_data', data: encoder.encode(node.instance.userData) });
  return files;
}

/** The config drive file system: ISO 9660 with Rock Ridge, label `config-2`. */
export function buildConfigDrive(node: ConfigDriveNode, date: Date): Uint8Array {
  return buildIso9660(configDriveFiles(node), { volumeId: CONFIG_DRIVE_LABEL, date });
}
