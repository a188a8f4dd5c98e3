// Turns a failed bind of a PXE service socket into a message that tells the technician what to do.

export interface BindTarget {
  service: string;
  protocol: 'udp' | 'tcp';
  address: string;
  port: number;
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

export function describeBindError(error: unknown, target: BindTarget, executable = process.execPath): ServiceBindError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? 'UNKNOWN';
  const where = `${target.protocol.toUpperCase()} port ${target.port} on ${target.address} for ${target.service}`;
  switch (code) {
    case 'EACCES':
      return new ServiceBindError(
        `Rackboot may not open ${where}: on Linux, ports below 1024 need privileges. Do one of these, then start ` +
          `the ${target.service} service again: give Rackboot the capability once with ` +
          `\`sudo setcap cap_net_bind_service=+ep ${executable}\`; or allow unprivileged low ports with ` +
          `\`sudo sysctl -w net.ipv4.ip_unprivileged_port_start=${target.port}\` (put ` +
          `\`net.ipv4.ip_unprivileged_port_start=${target.port}\` in /etc/sysctl.d/60-rackboot.conf to keep it); ` +
          `or run Rackboot as root.`,
        code,
        target,
      );
    case 'EADDRINUSE':
      return new ServiceBindError(
        `Another program already uses ${where}. Stop it (for TFTP usually tftpd-hpa, atftpd or dnsmasq: ` +
          `\`sudo systemctl stop tftpd-hpa atftpd dnsmasq\`; \`sudo ss -lunp 'sport = :${target.port}'\` shows which), ` +
          `then start the ${target.service} service again.`,
        code,
        target,
      );
    case 'EADDRNOTAVAIL':
      return new ServiceBindError(
        `Cannot open ${where}: no network interface has the address ${target.address}. Apply the provisioning ` +
          `network settings first (or pick the interface that has this address), then start the service again.`,
        code,
        target,
      );
    default:
      return new ServiceBindError(
        `Cannot open ${where}: ${(error as Error | undefined)?.message ?? String(error)}.`,
        code,
        target,
      );
  }
}
