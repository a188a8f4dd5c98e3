import type { NetworkInterfaceInfo } from 'node:os';
import type { NetworkInterface } from '../../shared/network';
import { netmaskOf } from '../lib/ipv4';
import { shellQuote } from './ops';

/**
 * macOS and Windows: Rackboot cannot change the network for the technician there, so the plan is "address only",
 * shown as the commands to run in an administrator terminal.
 */
export function manualInstructions(platform: NodeJS.Platform, iface: string, address: string, prefixLength: number): string {
  const mask = netmaskOf(prefixLength);
  if (platform === 'darwin') {
    const name = shellQuote(iface);
    return [
      `# macOS: run in Terminal. Adds ${address} beside the port's current settings.`,
      `sudo ifconfig ${name} alias ${address} netmask ${mask}`,
      '# To undo:',
      `# sudo ifconfig ${name} -alias ${address}`,
      '',
    ].join('\n');
  }
  if (platform === 'win32') {
    return [
      `REM Windows: run in a Command Prompt opened with "Run as administrator". Adds ${address} to "${iface}".`,
      `netsh interface ipv4 add address name="${iface}" address=${address} mask=${mask}`,
      'REM To undo:',
      `REM netsh interface ipv4 delete address name="${iface}" address=${address}`,
      'REM Windows Firewall must allow UDP 67, 69 and 4011 and TCP 8080 in for Rackboot.',
      '',
    ].join('\r\n');
  }
  return `# Set ${address}/${prefixLength} on ${iface} with your system's network tools.\n`;
}

/** The interface list where iproute2 does not exist: what Node itself can see (no link state, no Wi-Fi flag). */
export function interfacesFromOs(table: NodeJS.Dict<NetworkInterfaceInfo[]>): NetworkInterface[] {
  return Object.entries(table).map(([name, entries = []]) => {
    const loopback = entries.some((entry) => entry.internal);
    const mac = entries.find((entry) => entry.mac && entry.mac !== '00:00:00:00:00:00')?.mac ?? null;
    return {
      name,
      mac,
      kind: loopback ? 'loopback' : 'other',
      linkKind: null,
      adminUp: true,
      carrier: null,
      speedMbps: null,
      operState: 'UNKNOWN',
      mtu: 0,
      master: null,
      addresses: entries.map((entry) => ({
        family: entry.family === 'IPv4' ? ('inet' as const) : ('inet6' as const),
        address: entry.address,
        prefixLength: Number(entry.cidr?.split('/')[1] ?? 0),
        scope: entry.internal ? 'host' : 'global',
        broadcast: null,
        label: null,
        validLifetime: null,
        preferredLifetime: null,
      })),
      carriesDefaultRoute: false,
      managedByNetworkManager: null,
      recommended: false,
      notes: loopback ? [] : ['On this system Rackboot shows the commands to set the address; it cannot tell Wi-Fi from wired.'],
    };
  });
}
