import { describe, expect, it } from 'vitest';
import { decodeOffer, encodeDiscover } from './dhcp-probe-codec';
import { fixtureBytes } from './test-fixtures';

describe('DHCP probe codec', () => {
  it('encodes the same DISCOVER that was sent on the wire', () => {
    expect(encodeDiscover('ae:b9:67:a6:91:6b', 0xef4419e9).equals(fixtureBytes('discover.hex'))).toBe(true);
  });

  it('reads a real dnsmasq OFFER: server, offered address, boot file', () => {
    expect(decodeOffer(fixtureBytes('dnsmasq-offer.hex'), 0xef4419e9)).toEqual({
      server: '192.168.2.1',
      offeredAddress: '192.168.2.157',
      bootFile: 'pxelinux.0',
      proxy: false,
    });
  });

  it('recognises a proxyDHCP OFFER (no address offered)', () => {
    expect(decodeOffer(fixtureBytes('dnsmasq-proxy-offer.hex'), 0xcd720f4f)).toMatchObject({ server: '192.168.2.1', offeredAddress: null, proxy: true });
  });

  it("ignores an OFFER for another client's transaction", () => {
    expect(decodeOffer(fixtureBytes('dnsmasq-offer.hex'), 0x12345678)).toBeNull();
  });

  it('ignores our own DISCOVER echoed back, and truncated packets', () => {
    expect(decodeOffer(fixtureBytes('discover.hex'), 0xef4419e9)).toBeNull();
    expect(decodeOffer(fixtureBytes('dnsmasq-offer.hex').subarray(0, 250), 0xef4419e9)).toBeNull();
  });
});
