import { describe, expect, it } from 'vitest';
import { dnsmasqOfferToDhclient, dnsmasqOfferToProbe, dnsmasqProxyOfferToProbe, probeDiscover } from './fixtures';
import { buildProbeDiscover, readOffer } from './probe';

describe('the other-DHCP-server probe on captured packets', () => {
  it('sends the same DISCOVER that was captured on the wire (a BIOS PXE client, so proxyDHCP servers answer)', () => {
    expect(Buffer.from(buildProbeDiscover('ae:b9:67:a6:91:6b', 0xef4419e9)).equals(Buffer.from(probeDiscover))).toBe(true);
  });

  it("reads dnsmasq's OFFER: server, offered address, boot file", () => {
    expect(readOffer(dnsmasqOfferToProbe, 0xef4419e9, '192.168.2.1')).toEqual({
      server: '192.168.2.1',
      offeredAddress: '192.168.2.157',
      bootFile: 'pxelinux.0',
      proxy: false,
    });
  });

  it('recognises a proxyDHCP OFFER (no address offered)', () => {
    expect(readOffer(dnsmasqProxyOfferToProbe, 0xcd720f4f, '192.168.2.1')).toMatchObject({ server: '192.168.2.1', offeredAddress: null, proxy: true });
  });

  it('names the server by its server identifier, not by the address the OFFER came from (a relay)', () => {
    expect(readOffer(dnsmasqOfferToProbe, 0xef4419e9, '192.168.2.254')?.server).toBe('192.168.2.1');
  });

  it("ignores an OFFER for another client's transaction", () => {
    expect(readOffer(dnsmasqOfferToProbe, 0x12345678, '192.168.2.1')).toBeNull();
    expect(readOffer(dnsmasqOfferToDhclient, 0xef4419e9, '10.77.0.1')).toBeNull();
  });

  it('ignores our own DISCOVER echoed back, and truncated packets', () => {
    expect(readOffer(probeDiscover, 0xef4419e9, '192.168.2.10')).toBeNull();
    expect(readOffer(dnsmasqOfferToProbe.subarray(0, 250), 0xef4419e9, '192.168.2.1')).toBeNull();
  });
});
