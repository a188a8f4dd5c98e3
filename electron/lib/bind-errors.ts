// Turns a failed bind of a PXE service socket into a message that tells the technician what to do. The one place
// where these words live: DHCP, proxyDHCP, TFTP, HTTP and the DHCP probe all explain a failure the same way.

export interface BindTarget {
  service: string;
  protocol: 'udp' | 'tcp';
  address: string;
  port: number;
  /** The interface the socket is tied to or meant for, when there is one. */
  interfaceName?: string | undefined;
}

export class ServiceBindError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly target: BindTarget,
  ) {
    super(message);
    this.name = 'ServiceBindError';
  }
}

/** The errno name of a system error (`EACCES`, …), also when it crossed from the helper; null for anything else. */
export function errnoCode(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : null;
}

/** The UDP ports Rackboot's privileged network helper opens for the services: DHCP, TFTP, proxyDHCP boot server. */
export const PRIVILEGED_UDP_PORTS = [67, 69, 4011] as const;
export type PrivilegedUdpPort = (typeof PRIVILEGED_UDP_PORTS)[number];

export function isPrivilegedUdpPort(port: number): port is PrivilegedUdpPort {
  return (PRIVILEGED_UDP_PORTS as readonly number[]).includes(port);
}

function where(target: BindTarget): string {
  const on = target.interfaceName ? `${target.address} (${target.interfaceName})` : target.address;
  return `${target.protocol.toUpperCase()} port ${target.port} on ${on} for ${target.service}`;
}

export function describeBindError(error: unknown, target: BindTarget, executable = process.execPath): ServiceBindError {
  const code = errnoCode(error) ?? 'UNKNOWN';
  const again = `then start the ${target.service} service again`;
  switch (code) {
    case 'EACCES':
    case 'EPERM': {
      // One setcap line for every service: a second setcap replaces the first, so two different ones would undo each other.
      const helper =
        target.protocol === 'udp' && isPrivilegedUdpPort(target.port)
          ? "set up the provisioning network in Rackboot's Network step, so its privileged helper opens this port for the service; or "
          : '';
      return new ServiceBindError(
        `Rackboot may not open ${where(target)}: on Linux, ports below 1024 need privileges. Do one of these, ${again}: ` +
          `${helper}give Rackboot the capability once with \`sudo setcap cap_net_bind_service,cap_net_raw+ep ${executable}\`; ` +
          `or allow unprivileged low ports with \`sudo sysctl -w net.ipv4.ip_unprivileged_port_start=${target.port}\` (put ` +
          `\`net.ipv4.ip_unprivileged_port_start=${target.port}\` in /etc/sysctl.d/60-rackboot.conf to keep it); ` +
          `or run Rackboot as root.`,
        code,
        target,
      );
    }
    case 'EADDRINUSE': {
      const usual =
        target.protocol === 'udp'
          ? 'usually dnsmasq, dhcpd, tftpd-hpa, atftpd or a second Rackboot: `sudo systemctl stop tftpd-hpa atftpd dnsmasq isc-dhcp-server`'
          : 'usually a web server or a second Rackboot';
      return new ServiceBindError(
        `Another program already uses ${where(target)}. Stop it (${usual}; ` +
          `\`sudo ss -l${target.protocol === 'udp' ? 'u' : 't'}np 'sport = :${target.port}'\` shows which), ${again}.`,
        code,
        target,
      );
    }
    case 'ENODEV':
      return new ServiceBindError(
        `Cannot open ${where(target)}: the interface ${target.interfaceName ?? ''} does not exist (any more). Pick it again in the Network step, ${again}.`,
        code,
        target,
      );
    case 'EADDRNOTAVAIL':
      return new ServiceBindError(
        `Cannot open ${where(target)}: no network interface has the address ${target.address}. Apply the provisioning ` +
          `network settings first (or pick the interface that has this address), ${again}.`,
        code,
        target,
      );
    default:
      return new ServiceBindError(`Cannot open ${where(target)}: ${(error as Error | undefined)?.message ?? String(error)}.`, code, target);
  }
}

/** The privileged helper was asked and failed without a system error (not running, refused the request, addon missing). */
export function describeHelperBindError(error: unknown, target: BindTarget): ServiceBindError {
  const reason = error instanceof Error ? error.message : String(error);
  return new ServiceBindError(
    `Rackboot's network helper could not open ${where(target)}: ${reason}. Set up the provisioning network again in ` +
      `the Network step, then start the ${target.service} service again.`,
    'EHELPER',
    target,
  );
}
