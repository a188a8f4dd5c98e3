// UDP on one interface. With Rackboot's `udp_device` addon the socket is tied to the interface (SO_BINDTODEVICE): it
// hears only that interface's clients and its broadcasts leave through it, as dnsmasq and ISC dhcpd do.
//
// Without the addon (no C compiler at build time), plain Node: a socket bound to the interface's own address that
// sends to 255.255.255.255 leaves through that interface (Linux routes limited broadcast by source address); a socket
// bound to 0.0.0.0 would leave through the interface holding the default route instead — on a laptop, the Wi-Fi. So
// every reply goes out of `sender`. A socket bound to a unicast address does not see broadcasts, so clients without an
// address are heard on a second socket bound to 0.0.0.0, on every interface (never answered there: replies only leave
// through `sender`), and the services warn that this is so.
import dgram from 'node:dgram';
import { loadAddon } from '../../native/addon';

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
}

export type MessageHandler = (bytes: Uint8Array, from: Endpoint) => void;

/** A bind that failed, with what the technician has to do about it. */
export class PortBindError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'PortBindError';
  }
}

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

export function bindErrorMessage(code: string, address: string, port: number, interfaceName: string): string {
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return (
        `Rackboot may not use UDP port ${port} on ${address} (${interfaceName}): ports below 1024 need privileges. ` +
        `Grant them once with \`sudo setcap cap_net_bind_service,cap_net_raw+ep ${process.execPath}\` ` +
        `(or start Rackboot's privileged network helper), then start the PXE services again.`
      );
    case 'EADDRINUSE':
      return (
        `UDP port ${port} on ${address} is already taken by another program on this computer (often dnsmasq, ` +
        `dhcpd or a second Rackboot). Stop it, then start the PXE services again.`
      );
    case 'ENODEV':
      return `The provisioning interface ${interfaceName} does not exist (any more): pick it again in the Network step.`;
    case 'EADDRNOTAVAIL':
      return `${address} is not an address of this computer: give ${interfaceName} that address first (Network step).`;
    default:
      return `Could not open UDP port ${port} on ${address} (${interfaceName}): ${code}.`;
  }
}

interface UdpDeviceAddon {
  /** A UDP socket on 0.0.0.0:port (or address:port) tied to the interface; returns its file descriptor. */
  openUdpSocket(interfaceName: string, address: string, port: number): number;
}

function isUdpDeviceAddon(value: unknown): value is UdpDeviceAddon {
  return typeof value === 'object' && value !== null && typeof (value as Partial<UdpDeviceAddon>).openUdpSocket === 'function';
}

function portBindError(error: unknown, address: string, port: number, interfaceName: string): PortBindError {
  const code = (error as NodeJS.ErrnoException | null)?.code ?? 'unknown error';
  return new PortBindError(bindErrorMessage(code, address, port, interfaceName), code);
}

/** Binds a dgram socket (to an address, or onto a file descriptor the addon opened) and turns failures into words. */
function bindSocket(target: { address: string } | { fd: number }, port: number, interfaceName: string, shownAddress: string): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    const onError = (error: NodeJS.ErrnoException) => {
      socket.close();
      reject(portBindError(error, shownAddress, port, interfaceName));
    };
    socket.once('error', onError);
    socket.bind('fd' in target ? { fd: target.fd } : { address: target.address, port }, () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

function bindDeviceSocket(addon: UdpDeviceAddon, options: InterfaceSocketOptions): Promise<dgram.Socket> {
  let fd: number;
  try {
    fd = addon.openUdpSocket(options.interfaceName, '0.0.0.0', options.port);
  } catch (error) {
    return Promise.reject(portBindError(error, options.address, options.port, options.interfaceName));
  }
  return bindSocket({ fd }, options.port, options.interfaceName, options.address);
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
    const { address, port, interfaceName } = options;
    const device = options.hearBroadcasts ? loadAddon('udp_device', isUdpDeviceAddon) : null;
    if (device?.addon) {
      const socket = await bindDeviceSocket(device.addon, options);
      socket.setBroadcast(true);
      return new InterfaceSocket(socket, null, null);
    }
    const sender = await bindSocket({ address }, port, interfaceName, address);
    sender.setBroadcast(true);
    if (!device) return new InterfaceSocket(sender, null, null);
    try {
      const listener = await bindSocket({ address: '0.0.0.0' }, port, interfaceName, '0.0.0.0');
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
