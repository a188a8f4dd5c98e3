/** IPv4 arithmetic on unsigned 32-bit numbers. */

/** A dotted quad checked part by part (0–255, digits only); null for anything else. */
export function parseIpv4(address: string): number | null {
  const parts = address.split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return null;
    value = value * 256 + Number(part);
  }
  return value;
}

/** An address already known to be valid (schema-checked) as a number. */
export function ipToNumber(address: string): number {
  const parts = address.split('.').map(Number);
  return (((parts[0] ?? 0) << 24) | ((parts[1] ?? 0) << 16) | ((parts[2] ?? 0) << 8) | (parts[3] ?? 0)) >>> 0;
}

export function numberToIp(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

export interface Subnet {
  network: number;
  prefixLength: number;
}

function mask(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

/** Dotted netmask of a prefix length: 24 → 255.255.255.0. */
export function netmaskOf(prefixLength: number): string {
  return numberToIp(mask(prefixLength));
}

export function subnetOf(address: string, prefixLength: number): Subnet {
  return { network: (ipToNumber(address) & mask(prefixLength)) >>> 0, prefixLength };
}

export function parseCidr(cidr: string): Subnet {
  const [address = '', prefix = '32'] = cidr.split('/');
  return subnetOf(address, Number(prefix));
}

export function formatSubnet(subnet: Subnet): string {
  return `${numberToIp(subnet.network)}/${subnet.prefixLength}`;
}

export function broadcastOf(subnet: Subnet): number {
  return (subnet.network | ~mask(subnet.prefixLength)) >>> 0;
}

export function contains(subnet: Subnet, address: string): boolean {
  return ((ipToNumber(address) & mask(subnet.prefixLength)) >>> 0) === subnet.network;
}

/** A host address: inside the subnet and neither its network nor its broadcast address. */
export function isHostOf(subnet: Subnet, address: string): boolean {
  const value = ipToNumber(address);
  return contains(subnet, address) && value !== subnet.network && value !== broadcastOf(subnet);
}

export function overlaps(a: Subnet, b: Subnet): boolean {
  const shorter = Math.min(a.prefixLength, b.prefixLength);
  return ((a.network & mask(shorter)) >>> 0) === ((b.network & mask(shorter)) >>> 0);
}

/** The nth address of the subnet (n = 10 gives 192.168.2.10 for 192.168.2.0/24). */
export function nthAddress(subnet: Subnet, n: number): string {
  return numberToIp((subnet.network + n) >>> 0);
}
