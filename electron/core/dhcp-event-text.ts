import type { DhcpServerEvent } from '../../shared/pxe';

type DhcpEventType = DhcpServerEvent['type'];

/** One line of the live log for each kind of DHCP event. */
const DHCP_EVENT_TEXT: { [Type in DhcpEventType]: (event: Extract<DhcpServerEvent, { type: Type }>) => string } = {
  'pxe-request': (event) => `PXE ${event.messageType} from ${event.mac} (${event.arch}${event.isIpxe ? ', iPXE' : ''}${event.uuid ? `, UUID ${event.uuid}` : ''})`,
  'dhcp-reply': (event) => {
    const address = event.address ? ` (${event.address})` : '';
    const boot = event.boot ? `, boot ${event.boot.kind === 'http' ? event.boot.url : event.boot.file}` : '';
    return `DHCP ${event.messageType} to ${event.mac}${address}${boot}`;
  },
  'lease-granted': (event) => `lease ${event.address} to ${event.mac}`,
  'request-ignored': (event) => `ignored ${event.mac}: ${event.reason}`,
  'packet-rejected': (event) => `${event.count} malformed datagram(s) from ${event.from}: ${event.reason}`,
};

export function dhcpEventText(event: DhcpServerEvent): string {
  // TypeScript cannot pair a union's member with the table entry its tag selects; the table's type does that check.
  const format = DHCP_EVENT_TEXT[event.type] as (event: DhcpServerEvent) => string;
  return format(event);
}
