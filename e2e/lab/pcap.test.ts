import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { clientUuid, dhcpMessages, dhcpMessageTypeName, parsePcap, routerAdvertisements, routerSolicitations, tcpSyns } from './pcap';

// Captured in the lab with tcpdump -w: QEMU's iPXE ROM (BIOS) sending DHCPDISCOVER twice, dnsmasq 2.90 offering.
const capture = readFileSync(new URL('./fixtures/ipxe-discover-dnsmasq-offer.pcap', import.meta.url));
const SERVER_MAC = '52:54:00:ca:57:01';
const SERVER_UUID = 'd6767362-37d7-4879-9509-b29b477b48ce';

describe('parsePcap', () => {
  it('reads every frame of a tcpdump capture with its time', () => {
    const frames = parsePcap(capture);
    expect(frames).toHaveLength(4);
    expect(frames[1]!.timeMs - frames[0]!.timeMs).toBeGreaterThan(900);
    expect(new Date(frames[0]!.timeMs).getUTCFullYear()).toBeGreaterThanOrEqual(2024);
  });

  it('leaves out a record that tcpdump has not finished writing', () => {
    expect(parsePcap(capture.subarray(0, capture.length - 10))).toHaveLength(3);
  });

  it('refuses a file that is not a pcap', () => {
    expect(() => parsePcap(Buffer.alloc(64, 0x41))).toThrow(/Not a pcap file/);
  });
});

describe('dhcpMessages', () => {
  const [discover, , offer] = dhcpMessages(parsePcap(capture));

  it('decodes a PXE DHCPDISCOVER: client MAC, message type, broadcast from port 68 to 67', () => {
    expect(discover).toMatchObject({
      sourceMac: SERVER_MAC,
      clientMac: SERVER_MAC,
      op: 1,
      messageType: 1,
      sourceIp: '0.0.0.0',
      destinationIp: '255.255.255.255',
      sourcePort: 68,
      destinationPort: 67,
    });
    expect(dhcpMessageTypeName(discover!.messageType)).toBe('DHCPDISCOVER');
  });

  it('reads option 97 in SMBIOS byte order back into the UUID given to QEMU', () => {
    expect(clientUuid(discover!)).toBe(SERVER_UUID);
  });

  it('keeps the PXE options as bytes: option 93 architecture 0 (BIOS), option 60 PXEClient', () => {
    expect(discover!.options.get(93)).toEqual(Buffer.from([0, 0]));
    expect(discover!.options.get(60)?.toString()).toMatch(/^PXEClient:Arch:00000/);
  });

  it('decodes the server reply: DHCPOFFER from the provisioner to the offered address, same xid', () => {
    expect(offer).toMatchObject({ op: 2, messageType: 2, sourceIp: '10.77.0.1', destinationIp: '10.77.0.213' });
    expect(offer!.xid).toBe(discover!.xid);
    expect(clientUuid(offer!)).toBeUndefined();
  });
});

// Captured with tcpdump on a veth: dnsmasq 2.90 in RA-only mode (--ra-param=IF,high,0,0, prefix fd12:3456:789a::/64)
// answering the peer's router solicitation, then its periodic RA; router solicitations and neighbour discovery around.
const raCapture = readFileSync(new URL('./fixtures/dnsmasq-ra-lifetime-0.pcap', import.meta.url));

describe('routerAdvertisements', () => {
  const advertisements = routerAdvertisements(parsePcap(raCapture));

  it('picks only the ICMPv6 type 134 messages out of the neighbour discovery traffic', () => {
    expect(parsePcap(raCapture)).toHaveLength(9);
    expect(advertisements).toHaveLength(2);
  });

  it('picks out the router solicitations (type 133): one from each end of the veth', () => {
    expect(routerSolicitations(parsePcap(raCapture)).map((rs) => rs.sourceMac)).toEqual(['52:54:00:aa:bb:01', '8a:58:f5:aa:e2:f9']);
  });

  it('reads the router lifetime field: 0 from dnsmasq with --ra-param=IF,high,0,0', () => {
    expect(advertisements.map((ra) => ra.routerLifetime)).toEqual([0, 0]);
  });

  it('reads sender, hop limit 255, flags and the prefix information option', () => {
    expect(advertisements[0]).toMatchObject({
      sourceMac: '52:54:00:aa:bb:01',
      sourceIp: 'fe80:0:0:0:5054:ff:feaa:bb01',
      ipHopLimit: 255,
      managed: false,
      otherConfig: false,
      prefixes: [{ prefix: 'fd12:3456:789a:0:0:0:0:0', length: 64, validLifetime: 1800, autonomous: true }],
    });
  });
});

// Captured with tcpdump on lo: curl fetching /boot.ipxe from busybox httpd on 127.0.0.1:8080.
const fetchCapture = readFileSync(new URL('./fixtures/http-fetch-8080.pcap', import.meta.url));

describe('tcpSyns', () => {
  it('finds the one SYN that opens the fetch, not the SYN-ACK nor later segments', () => {
    const syns = tcpSyns(parsePcap(fetchCapture));
    expect(syns).toEqual([{ timeMs: expect.any(Number), sourceIp: '127.0.0.1', destinationIp: '127.0.0.1', destinationPort: 8080 }]);
    expect(syns[0]!.timeMs).toBe(parsePcap(fetchCapture)[0]!.timeMs);
  });
});
