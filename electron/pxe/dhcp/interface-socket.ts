// UDP on one interface. With Rackboot's `udp_device` addon the socket is tied to the interface (SO_BINDTODEVICE): it
// hears only that interface's clients and its broadcasts leave through it, as dnsmasq and ISC dhcpd do.
//
// Without the addon (no C compiler at build time), plain Node: a socket bound to the interface's own address that
// sends to 255.255.255.255 leaves through that interface (Linux routes limited broadcast by source address); a socket
// bound to 0.0.0.0 would leave through the interface holding the default route instead — on a laptop, the Wi-Fi. So
// every reply goes out of `sender`. A socket bound to a unicast address does not see broadcasts, so clients without an
// address are heard on a second socket bound to 0.0.0.0, on every interface (never answered there: replies only leave
// through `sender`), and the services warn that this is so.
//
// Either way the sockets come from `openUdpSocket`: bound here, or by the privileged helper when ports below 1024
// are refused to this process.
import type dgram from 'node:dgram';
import { openUdpSocket, udpDeviceAddon, type PrivilegedUdpSource } from '../../lib/udp-bind';

export interface Endpoint {
  address: string;
  port: number;
}

export interface InterfaceSocketOptions {
  interfaceName: string;
  /** The interface's IPv4 address. */
  address: string;
  port: number;
  /** Also listen for broadcasts (clients without an address). */
  hearBroadcasts: boolean;
  /** Named in errors ("DHCP", "proxyDHCP boot server", …). */
  service: string;
  /** Where a port this process may not bind comes from (the privileged helper); null: nowhere. */
  privilegedUdp?: PrivilegedUdpSource | null;
}

export type MessageHandler = (bytes: Uint8Array, from: Endpoint) => void;

/**
 * Checks that `address` really is on `interfaceName` (from `os.networkInterfaces()`), so a wrong setting cannot put
 * a DHCP server on another network. Returns the problem in words, or null.
 */
export function interfaceAddressProblem(
  interfaces: NodeJS.Dict<{ address: string; family: string | number }[]>,
  interfaceName: string,
  address: string,
): string | null {
  const entries = interfaces[interfaceName];
  if (!entries) return `The provisioning interface ${interfaceName} does not exist (any more): pick it again in the Network step.`;
  if (entries.some((entry) => entry.address === address)) return null;
  const owner = Object.entries(interfaces).find(([, list]) => list?.some((entry) => entry.address === address))?.[0];
  return owner
    ? `${address} belongs to ${owner}, not to the provisioning interface ${interfaceName}: fix the address in the Network step.`
    : `${interfaceName} does not have the address ${address}: give it that address first (Network step).`;
}

export class InterfaceSocket {
  private handler: MessageHandler = () => undefined;
  private errorHandler: (error: Error) => void = () => undefined;

  private constructor(
    private readonly sender: dgram.Socket,
    private readonly listener: dgram.Socket | null,
    /** Why broadcasts from other interfaces are heard too (the addon is missing), or null. */
    readonly filterProblem: string | null,
  ) {
    for (const socket of [sender, listener]) {
      socket?.on('message', (message, remote) => this.handler(message, { address: remote.address, port: remote.port }));
      socket?.on('error', (error) => this.errorHandler(error));
    }
  }

  static async open(options: InterfaceSocketOptions): Promise<InterfaceSocket> {
    const { address, port, interfaceName, service } = options;
    const open = (bindAddress: string, device: string | null): Promise<dgram.Socket> =>
      openUdpSocket({ port, address: bindAddress, device, reuseAddress: true }, { service, interfaceName }, options.privilegedUdp ?? null);
    const device = options.hearBroadcasts ? udpDeviceAddon() : null;
    if (device?.addon) {
      const socket = await open('0.0.0.0', interfaceName);
      socket.setBroadcast(true);
      return new InterfaceSocket(socket, null, null);
    }
    const sender = await open(address, null);
    sender.setBroadcast(true);
    if (!device) return new InterfaceSocket(sender, null, null);
    try {
      const listener = await open('0.0.0.0', null);
      const problem = `DHCP requests arriving on other interfaces than ${interfaceName} are seen (never answered): ${device.problem}`;
      return new InterfaceSocket(sender, listener, problem);
    } catch (error) {
      sender.close();
      throw error;
    }
  }

  onMessage(handler: MessageHandler): void {
    this.handler = handler;
  }

  onError(handler: (error: Error) => void): void {
    this.errorHandler = handler;
  }

  send(bytes: Uint8Array, to: Endpoint): Promise<void> {
    return new Promise((resolve, reject) => {
      this.sender.send(bytes, to.port, to.address, (error) => (error ? reject(error) : resolve()));
    });
  }

  async close(): Promise<void> {
    await Promise.all(
      [this.sender, this.listener].map((socket) => (socket ? new Promise<void>((resolve) => socket.close(() => resolve())) : undefined)),
    );
  }
}
