import type { LldpNeighbour } from '../../shared/inventory';

/**
 * LLDP (IEEE 802.1AB) frames as the agent's lldp-listen helper hears them, read into the switch port a NIC is cabled
 * to. Pure: a frame's bytes in, the neighbour out (or null for anything that is not a usable LLDPDU).
 */

const ETHERTYPE_LLDP = 0x88cc;
const ETHERTYPE_VLAN = 0x8100;
const OUI_IEEE_8021 = '0080c2';

const TLV = { end: 0, chassisId: 1, portId: 2, portDescription: 4, systemName: 5, organisational: 127 } as const;

const mac = (bytes: Buffer): string => [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join(':');

/** Text a switch sent: control characters dropped, at most what the inventory keeps. */
function printable(bytes: Buffer): string {
  // eslint-disable-next-line no-control-regex -- dropping control characters a switch may send is the point
  return bytes.toString('utf8').replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 256);
}

/** A chassis or port id by its subtype: MAC addresses and IP addresses spelled out, names as text. */
function identifier(value: Buffer, macSubtype: number, addressSubtype: number): string {
  const subtype = value[0];
  const body = value.subarray(1);
  if (subtype === macSubtype && body.length === 6) return mac(body);
  if (subtype === addressSubtype && body[0] === 1 && body.length === 5) return [...body.subarray(1)].join('.');
  const text = printable(body);
  return text !== '' ? text : body.toString('hex');
}

/** The LLDPDU's TLVs after the Ethernet header (with or without one 802.1Q tag), or null if it is not LLDP. */
function lldpPayload(frame: Buffer): Buffer | null {
  if (frame.length < 14) return null;
  let offset = 12;
  if (frame.readUInt16BE(offset) === ETHERTYPE_VLAN) offset += 4;
  if (frame.length < offset + 2 || frame.readUInt16BE(offset) !== ETHERTYPE_LLDP) return null;
  return frame.subarray(offset + 2);
}

export function parseLldpFrame(frame: Buffer): LldpNeighbour | null {
  const payload = lldpPayload(frame);
  if (!payload) return null;
  let chassisId: string | null = null;
  let portId: string | null = null;
  let portDescription: string | null = null;
  let systemName: string | null = null;
  const vlans = new Set<number>();
  for (let offset = 0; offset + 2 <= payload.length; ) {
    const header = payload.readUInt16BE(offset);
    const type = header >> 9;
    const length = header & 0x1ff;
    const value = payload.subarray(offset + 2, offset + 2 + length);
    if (value.length < length) return null;
    offset += 2 + length;
    if (type === TLV.end) break;
    if (type === TLV.chassisId && length >= 2) chassisId = identifier(value, 4, 5);
    else if (type === TLV.portId && length >= 2) portId = identifier(value, 3, 4);
    else if (type === TLV.portDescription) portDescription = printable(value) || null;
    else if (type === TLV.systemName) systemName = printable(value) || null;
    else if (type === TLV.organisational && length >= 4 && value.subarray(0, 3).toString('hex') === OUI_IEEE_8021) {
      const subtype = value[3];
      // Port VLAN ID (the untagged VLAN), and each VLAN Name TLV's VID: the VLANs the switch port carries.
      const vid = (subtype === 1 && length >= 6) || (subtype === 3 && length >= 6) ? value.readUInt16BE(4) : 0;
      if (vid >= 1 && vid <= 4094) vlans.add(vid);
    }
  }
  // Chassis id and port id are mandatory: without them the frame names no port.
  if (chassisId === null || portId === null) return null;
  return { chassisId, portId, portDescription, systemName, vlans: [...vlans].sort((a, b) => a - b) };
}
