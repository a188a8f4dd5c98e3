// UDP on one interface without SO_BINDTODEVICE (Node's dgram has no such option).
//
// Sending: a socket bound to the interface's own address that sends to 255.255.255.255 leaves through that
// interface (Linux routes limited broadcast by source address); a socket bound to 0.0.0.0 would leave through the
// interface holding the default route instead — on a laptop, the Wi-Fi. So every reply goes out of `sender`.
// Receiving: a socket bound to a unicast address does not see broadcasts, so clients without an address are heard
// on a second socket bound to 0.0.0.0 (all interfaces; see docs/decisions.md for what that implies).
import dgram from 'node:dgram';

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
    case 'EADDRNOTAVAIL':
      return `${address} is not an address of this computer: give ${interfaceName} that address first (Network step).`;
    default:
      return `Could not open UDP port ${port} on ${address} (${interfaceName}): ${code}.`;
  }
}

function bindSocket(address: string, port: number, interfaceName: string): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    const onError = (error: NodeJS.ErrnoException) => {
      socket.close();
      const code = error.code ?? 'unknown error';
      reject(new PortBindError(bindErrorMessage(code, address, port, interfaceName), code));
    };
    socket.once('error', onError);
    socket.bind({ address, port }, () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

export class InterfaceSocket {
  private handler: MessageHandler = () => undefined;
  private errorHandler: (error: Error) => void = () => undefined;

  private constructor(
    private readonly sender: dgram.Socket,
    private readonly listener: dgram.Socket | null,
  ) {
    for (const socket of [sender, listener]) {
      socket?.on('message', (message, remote) => this.handler(message, { address: remote.address, port: remote.port }));
      socket?.on('error', (error) => this.errorHandler(error));
    }
  }

  static async open(options: InterfaceSocketOptions): Promise<InterfaceSocket> {
    const sender = await bindSocket(options.address, options.port, options.interfaceName);
    sender.setBroadcast(true);
    if (!options.hearBroadcasts) return new InterfaceSocket(sender, null);
    try {
      return new InterfaceSocket(sender, await bindSocket('0.0.0.0', options.port, options.interfaceName));
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
