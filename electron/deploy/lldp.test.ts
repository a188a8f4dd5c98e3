import { describe, expect, it } from 'vitest';
import { parseLldpFrame } from './lldp';

function tlv(type: number, value: Buffer): Buffer {
  const header = Buffer.alloc(2);
  header.writeUInt16BE((type << 9) | value.length);
  return Buffer.concat([header, value]);
}

const hex = (text: string): Buffer => Buffer.from(text.replace(/[\s:]/g, ''), 'hex');
const ethernet = (tag = ''): Buffer => hex(`0180c200000e 001122334455 ${tag} 88cc`);
const vlanTlv = (subtype: number, vid: number, name = ''): Buffer => {
  const value = Buffer.concat([hex(`0080c2 ${subtype.toString(16).padStart(2, '0')}`), Buffer.from([vid >> 8, vid & 0xff])]);
  return tlv(127, name ? Buffer.concat([value, Buffer.from([name.length]), Buffer.from(name)]) : value);
};

/** A Cisco-style LLDPDU: MAC chassis id, interface-name port id, description, system name, PVID and a VLAN name. */
const ciscoLike = Buffer.concat([
  ethernet(),
  tlv(1, hex('04 00:1b:54:aa:bb:cc')),
  tlv(2, Buffer.concat([hex('05'), Buffer.from('Gi1/0/7')])),
  tlv(3, hex('0078')),
  tlv(4, Buffer.from('GigabitEthernet1/0/7')),
  tlv(5, Buffer.from('rack3-tor.example.net')),
  vlanTlv(1, 120),
  vlanTlv(3, 130, 'storage'),
  tlv(0, Buffer.alloc(0)),
]);

describe('LLDP frames', () => {
  it('reads chassis id, port id, port description, system name and the 802.1 VLANs', () => {
    expect(parseLldpFrame(ciscoLike)).toEqual({
      chassisId: '00:1b:54:aa:bb:cc',
      portId: 'Gi1/0/7',
      portDescription: 'GigabitEthernet1/0/7',
      systemName: 'rack3-tor.example.net',
      vlans: [120, 130],
    });
  });

  it('reads a frame behind an 802.1Q tag, a MAC port id and an IPv4 chassis id', () => {
    const frame = Buffer.concat([ethernet('8100 0064'), tlv(1, hex('05 01 0a000001')), tlv(2, hex('03 52:54:00:00:00:07')), tlv(3, hex('0078')), tlv(0, Buffer.alloc(0))]);
    expect(parseLldpFrame(frame)).toEqual({ chassisId: '10.0.0.1', portId: '52:54:00:00:00:07', portDescription: null, systemName: null, vlans: [] });
  });

  it('drops control characters a switch puts in its names', () => {
    const frame = Buffer.concat([ethernet(), tlv(1, Buffer.from('\x07sw\x1b[31m1')), tlv(2, Buffer.from('\x05eth0\n')), tlv(0, Buffer.alloc(0))]);
    expect(parseLldpFrame(frame)).toMatchObject({ chassisId: 'sw[31m1', portId: 'eth0' });
  });

  it('refuses what is not a whole LLDPDU: another ethertype, a TLV running past the frame, no port id', () => {
    expect(parseLldpFrame(Buffer.concat([hex('0180c200000e 001122334455 0800'), ciscoLike.subarray(14)]))).toBeNull();
    expect(parseLldpFrame(ciscoLike.subarray(0, 30))).toBeNull();
    expect(parseLldpFrame(Buffer.concat([ethernet(), tlv(1, hex('04 001b54aabbcc')), tlv(0, Buffer.alloc(0))]))).toBeNull();
    expect(parseLldpFrame(Buffer.alloc(10))).toBeNull();
  });
});
