// Opens the UDP sockets of the PXE services (DHCP 67, proxyDHCP 4011, TFTP 69; the DHCP probe's 68). Rackboot binds
// them itself first; ports below 1024 need privileges, so when that is refused and the privileged network helper
// is running, the helper (root) opens the very same socket and hands the descriptor over (docs/network.md). The
// helper binds with `bindUdpSocket` below, so both ends make identical sockets.
import dgram from 'node:dgram';
import { loadAddon, type AddonLoad } from '../native/addon';
import { describeBindError, describeHelperBindError, errnoCode, isPrivilegedUdpPort, type PrivilegedUdpPort } from './bind-errors';

export interface UdpBindRequest {
  port: number;
  /** The local address; 0.0.0.0 for every address (of `device`, when set). */
  address: string;
  /**
   * Ties the socket to this interface (SO_BINDTODEVICE, through the udp_device addon): it hears only that interface
   * and its broadcasts leave through it, whatever the routing table says. null: an ordinary socket.
   */
  device: string | null;
  /**
   * SO_REUSEADDR. The DHCP sockets share their port (the plain-Node fallback binds address:67 and 0.0.0.0:67 together;
   * the probe's 68 lives beside a running dhclient); the TFTP listener does not, so a running tftpd is reported.
   */
  reuseAddress: boolean;
}

export type PrivilegedUdpRequest = UdpBindRequest & { port: PrivilegedUdpPort };

/** Opens a socket on a privileged port as root and hands it over: the helper that applied the network change. */
export type PrivilegedUdpSource = (request: PrivilegedUdpRequest) => Promise<dgram.Socket>;

interface UdpDeviceAddon {
  /** A UDP socket on address:port tied to the interface; returns its file descriptor. */
  openUdpSocket(interfaceName: string, address: string, port: number, reuseAddress: boolean): number;
}

function isUdpDeviceAddon(value: unknown): value is UdpDeviceAddon {
  return typeof value === 'object' && value !== null && typeof (value as Partial<UdpDeviceAddon>).openUdpSocket === 'function';
}

/** The addon that ties sockets to an interface, or why it cannot be used. */
export function udpDeviceAddon(): AddonLoad<UdpDeviceAddon> {
  return loadAddon('udp_device', isUdpDeviceAddon);
}

/** Binds in this process. Failures keep the system's code (EACCES, …); `openUdpSocket` puts them into words. */
export function bindUdpSocket(request: UdpBindRequest): Promise<dgram.Socket> {
  let target: { fd: number } | { address: string; port: number } = { address: request.address, port: request.port };
  if (request.device !== null) {
    const device = udpDeviceAddon();
    if (!device.addon) return Promise.reject(new Error(`cannot tie a socket to ${request.device}: ${device.problem}`));
    try {
      target = { fd: device.addon.openUdpSocket(request.device, request.address, request.port, request.reuseAddress) };
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
  const bindTarget = target;
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket({ type: 'udp4', reuseAddr: request.reuseAddress });
    const onError = (error: Error): void => {
      socket.close();
      reject(error);
    };
    socket.once('error', onError);
    socket.bind(bindTarget, () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

/**
 * The socket `request` asks for: bound here, or — when this process may not use the port and `privileged` is given —
 * by the privileged helper. Rejects with a ServiceBindError that says what to do.
 */
export async function openUdpSocket(
  request: UdpBindRequest,
  /** Named in errors: the service, and the interface the socket is meant for when `request.device` does not say. */
  about: { service: string; interfaceName?: string },
  privileged: PrivilegedUdpSource | null = null,
  bindHere: (request: UdpBindRequest) => Promise<dgram.Socket> = bindUdpSocket,
): Promise<dgram.Socket> {
  const interfaceName = request.device ?? about.interfaceName;
  const target = { service: about.service, protocol: 'udp' as const, address: request.address, port: request.port, interfaceName };
  try {
    return await bindHere(request);
  } catch (error) {
    const refused = errnoCode(error) === 'EACCES' || errnoCode(error) === 'EPERM';
    const { port } = request;
    if (!refused || !privileged || !isPrivilegedUdpPort(port)) throw describeBindError(error, target);
    try {
      return await privileged({ ...request, port });
    } catch (helperError) {
      throw errnoCode(helperError) ? describeBindError(helperError, target) : describeHelperBindError(helperError, target);
    }
  }
}
