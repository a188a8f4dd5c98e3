import { describe, expect, it } from 'vitest';
import type { DhcpServerEvent } from '../../shared/pxe';
import { dhcpEventText } from './dhcp-event-text';

const base = { time: '2026-12-02T05:00:00.000Z', interface: 'prov0' };
const mac = '52:54:00:12:34:56';

describe('DHCP events in the live log', () => {
  it.each<[DhcpServerEvent, string]>([
    [
      { type: 'pxe-request', ...base, mac, uuid: 'db65d61c-6f37-421c-82ec-3c6de0e18df1', arch: 'uefi-x64', archCode: 7, vendorClass: null, userClass: 'iPXE', isIpxe: true, messageType: 'discover', port: 67 },
      `PXE discover from ${mac} (uefi-x64, iPXE, UUID db65d61c-6f37-421c-82ec-3c6de0e18df1)`,
    ],
    [
      { type: 'dhcp-reply', ...base, mac, messageType: 'offer', mode: 'full', nodeId: 'n1', address: '10.77.0.100', boot: { kind: 'tftp', nextServer: '10.77.0.1', file: 'undionly.kpxe' } },
      `DHCP offer to ${mac} (10.77.0.100), boot undionly.kpxe`,
    ],
    [
      { type: 'dhcp-reply', ...base, mac, messageType: 'ack', mode: 'proxy', nodeId: 'n1', address: null, boot: { kind: 'http', url: 'http://10.77.0.1:8080/ipxe/x.ipxe' } },
      `DHCP ack to ${mac}, boot http://10.77.0.1:8080/ipxe/x.ipxe`,
    ],
    [{ type: 'lease-granted', ...base, mac, nodeId: null, address: '10.77.0.100', expiresAt: base.time }, `lease 10.77.0.100 to ${mac}`],
    [{ type: 'request-ignored', ...base, mac, reason: 'unknown-machine' }, `ignored ${mac}: unknown-machine`],
    [{ type: 'packet-rejected', ...base, from: '10.77.0.9:68', reason: 'too short', count: 3 }, '3 malformed datagram(s) from 10.77.0.9:68: too short'],
  ])('writes DHCP event %# as its one log line', (event, text) => {
    expect(dhcpEventText(event)).toBe(text);
  });
});
