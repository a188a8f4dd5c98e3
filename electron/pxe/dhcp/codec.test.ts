import { describe, expect, it } from 'vitest';
import { BOOTREPLY, buildDhcp, type DhcpPacket, ipToBytes, Option, parseDhcp, readIp, readSubOptions, readText, text, u8 } from './codec';
import {
  allCaptured,
  dhclientDiscover,
  dnsmasqOfferToDhclient,
  dnsmasqOfferToUdhcpc,
  ipxeDiscover,
  udhcpcDiscover,
} from './fixtures';
import { describeRequest } from './request';

function parsed(bytes: Uint8Array): DhcpPacket {
  const result = parseDhcp(bytes);
  if (!result.ok) throw new Error(result.error.message);
  return result.packet;
}

describe('DHCP codec on captured packets', () => {
  it('reads the PXE fields of a dhclient DISCOVER', () => {
    const request = describeRequest(parsed(dhclientDiscover));
    expect(request).toMatchObject({
      messageType: 'discover',
      mac: '52:54:00:12:34:56',
      uuid: '89abcdef-0123-4567-89ab-cdef01234567',
      archCode: 0,
      arch: 'bios',
      vendorClass: 'PXEClient:Arch:00000:UNDI:002001',
      isPxe: true,
      isIpxe: false,
    });
  });

  it('reads arch 7 as UEFI x64 and the broadcast flag from udhcpc', () => {
    const request = describeRequest(parsed(udhcpcDiscover));
    expect(request).toMatchObject({ arch: 'uefi-x64', archCode: 7, broadcast: true, mac: '52:54:00:ab:cd:ef' });
  });

  it('recognises the iPXE ROM by its user class and option 175', () => {
    const packet = parsed(ipxeDiscover);
    const request = describeRequest(packet);
    expect(request.userClass).toBe('iPXE');
    expect(request.isIpxe).toBe(true);
    expect(readSubOptions(packet.options.get(Option.ipxeEncapsulated))?.size).toBeGreaterThan(5);
  });

  it('keeps the UUID bytes as the ROM sent them (SMBIOS little-endian first fields)', () => {
    expect(describeRequest(parsed(ipxeDiscover)).uuid).toBe('efcdab89-2301-6745-89ab-cdef01234567');
  });

  it("reads dnsmasq's OFFER: address, server id, boot file", () => {
    const offer = parsed(dnsmasqOfferToDhclient);
    expect(offer.op).toBe(BOOTREPLY);
    expect(offer.yiaddr).toMatch(/^10\.77\.0\.\d+$/);
    expect(readIp(offer.options.get(Option.serverId))).toBe('10.77.0.1');
    expect(readText(offer.options.get(Option.bootFileName))).toBe('undionly.kpxe');
    expect(readIp(offer.options.get(Option.subnetMask))).toBe('255.255.255.0');
  });

  it('rebuilds every captured packet so that it parses to the same values', () => {
    for (const bytes of allCaptured) {
      const first = parsed(bytes);
      expect(parsed(buildDhcp(first))).toEqual(first);
    }
  });

  it('rebuilds a captured OFFER byte for byte up to the end option', () => {
    const rebuilt = buildDhcp(parsed(dnsmasqOfferToUdhcpc));
    const end = dnsmasqOfferToUdhcpc.lastIndexOf(255);
    expect(Buffer.from(rebuilt.subarray(0, end + 1))).toEqual(Buffer.from(dnsmasqOfferToUdhcpc.subarray(0, end + 1)));
  });
});

describe('DHCP codec on malformed input', () => {
  it('returns too-short for a truncated header instead of throwing', () => {
    const result = parseDhcp(dhclientDiscover.subarray(0, 100));
    expect(result).toMatchObject({ ok: false, error: { code: 'too-short' } });
  });

  it('rejects a packet without the magic cookie', () => {
    const bytes = Uint8Array.from(dhclientDiscover);
    bytes[236] = 0;
    expect(parseDhcp(bytes)).toMatchObject({ ok: false, error: { code: 'bad-magic-cookie' } });
  });

  it('rejects an option whose length runs past the end', () => {
    const bytes = Uint8Array.from([...dhclientDiscover.subarray(0, 240), Option.vendorClass, 200, 0x50]);
    expect(parseDhcp(bytes)).toMatchObject({ ok: false, error: { code: 'truncated-option' } });
  });

  it('rejects a chaddr length above 16', () => {
    const bytes = Uint8Array.from(dhclientDiscover);
    bytes[2] = 17;
    expect(parseDhcp(bytes)).toMatchObject({ ok: false, error: { code: 'bad-hardware-address' } });
  });

  it('rejects an overload option with a value other than 1, 2 or 3', () => {
    const bytes = Uint8Array.from([...dhclientDiscover.subarray(0, 240), Option.overload, 1, 4, 255]);
    expect(parseDhcp(bytes)).toMatchObject({ ok: false, error: { code: 'bad-overload' } });
  });

  it('never throws on random bytes or bit-flipped captures', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let i = 0; i < 20_000; i++) {
      const base = allCaptured[i % allCaptured.length]!;
      const bytes = Uint8Array.from(base.subarray(0, Math.floor(random() * (base.length + 20))));
      for (let flips = 0; flips < 4; flips++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      const result = parseDhcp(bytes);
      if (result.ok) describeRequest(result.packet);
    }
  });
});

describe('DHCP option handling', () => {
  it('reads options carried in the file and sname fields when option 52 says so', () => {
    const bytes = Uint8Array.from(dhclientDiscover);
    bytes.fill(0, 240);
    bytes.set([Option.messageType, 1, 1, Option.overload, 1, 3, 255], 240);
    bytes.set([Option.vendorClass, 9, ...Buffer.from('PXEClient'), 255], 108);
    bytes.set([Option.clientArch, 2, 0, 7, 255], 44);
    const request = describeRequest(parsed(bytes));
    expect(request).toMatchObject({ vendorClass: 'PXEClient', arch: 'uefi-x64', isPxe: true });
    expect(parsed(bytes).file).toBe('');
  });

  it('concatenates repeated instances of one option (RFC 3396)', () => {
    const bytes = Uint8Array.from([
      ...dhclientDiscover.subarray(0, 240),
      Option.vendorClass, 3, ...Buffer.from('PXE'),
      Option.vendorClass, 6, ...Buffer.from('Client'),
      255,
    ]);
    expect(describeRequest(parsed(bytes)).vendorClass).toBe('PXEClient');
  });

  it('splits a value longer than 255 bytes into consecutive options and reads it back whole', () => {
    const url = `http://10.77.0.1:8080/${'a'.repeat(400)}`;
    const packet = parsed(dnsmasqOfferToDhclient);
    packet.options.set(Option.bootFileName, text(url));
    expect(readText(parsed(buildDhcp(packet)).options.get(Option.bootFileName))).toBe(url);
  });

  it('pads built replies to the 300-byte BOOTP minimum', () => {
    const packet = parsed(dnsmasqOfferToDhclient);
    packet.options = new Map([[Option.messageType, u8(2)]]);
    expect(buildDhcp(packet).length).toBe(300);
  });

  it('reads an RFC 3004 user class with several instances', () => {
    const packet = parsed(dhclientDiscover);
    packet.options.set(Option.userClass, Uint8Array.from([4, ...Buffer.from('iPXE'), 3, ...Buffer.from('foo')]));
    expect(describeRequest(packet)).toMatchObject({ userClass: 'iPXE,foo', isIpxe: true });
  });

  it('keeps an option with an empty value as code and zero length', () => {
    const packet = parsed(dnsmasqOfferToDhclient);
    packet.options = new Map([[Option.messageType, u8(2)], [Option.userClass, new Uint8Array(0)]]);
    expect(parsed(buildDhcp(packet)).options.get(Option.userClass)).toEqual(new Uint8Array(0));
  });
});

describe('IPv4 text to bytes', () => {
  it('reads dotted quads', () => {
    expect(ipToBytes('10.77.0.1')).toEqual(Uint8Array.from([10, 77, 0, 1]));
    expect(ipToBytes('255.255.255.0')).toEqual(Uint8Array.from([255, 255, 255, 0]));
  });

  it('refuses anything else', () => {
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '1.2.3.', '.1.2.3', '1..2.3', '256.0.0.1', '1.2.3.1000', '1.2.3.a', ' 1.2.3.4', '1.2.3.4 ']) {
      expect(ipToBytes(bad), bad).toBeNull();
    }
  });
});
