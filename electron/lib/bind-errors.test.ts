import { expect, it } from 'vitest';
import { describeBindError, describeHelperBindError } from './bind-errors';

const tftp = { service: 'TFTP', protocol: 'udp' as const, address: '10.77.0.1', port: 69 };
const dhcp = { service: 'DHCP', protocol: 'udp' as const, address: '0.0.0.0', port: 67, interfaceName: 'enp3s0' };
const http = { service: 'HTTP boot', protocol: 'tcp' as const, address: '10.77.0.1', port: 80 };
const failure = (code: string) => Object.assign(new Error(`bind ${code}`), { code });

it('tells how to get the privilege for a port below 1024: the helper, one setcap line, the sysctl, or root', () => {
  const message = describeBindError(failure('EACCES'), dhcp, '/opt/Rackboot/rackboot').message;
  expect(message).toContain('UDP port 67 on 0.0.0.0 (enp3s0) for DHCP');
  expect(message).toContain("set up the provisioning network in Rackboot's Network step, so its privileged helper opens this port");
  expect(message).toContain('`sudo setcap cap_net_bind_service,cap_net_raw+ep /opt/Rackboot/rackboot`');
  expect(message).toContain('net.ipv4.ip_unprivileged_port_start=67');
  expect(describeBindError(failure('EPERM'), tftp).message).toContain('net.ipv4.ip_unprivileged_port_start=69');
});

it('does not offer the helper for a port it cannot open (HTTP on TCP 80)', () => {
  const message = describeBindError(failure('EACCES'), http, '/opt/Rackboot/rackboot').message;
  expect(message).not.toContain('helper');
  expect(message).toContain('`sudo setcap cap_net_bind_service,cap_net_raw+ep /opt/Rackboot/rackboot`');
});

it('names the usual culprits when the port is taken, and how to find the one', () => {
  const message = describeBindError(failure('EADDRINUSE'), tftp).message;
  expect(message).toContain('Another program already uses UDP port 69 on 10.77.0.1 for TFTP');
  expect(message).toContain('sudo systemctl stop tftpd-hpa atftpd dnsmasq isc-dhcp-server');
  expect(message).toContain("sudo ss -lunp 'sport = :69'");
  expect(describeBindError(failure('EADDRINUSE'), http).message).toContain("sudo ss -ltnp 'sport = :80'");
});

it('says the address must be applied first when no interface has it', () => {
  expect(describeBindError(failure('EADDRNOTAVAIL'), tftp).message).toMatch(/no network interface has the address 10\.77\.0\.1/);
});

it('says the interface is gone', () => {
  expect(describeBindError(failure('ENODEV'), dhcp).message).toMatch(/the interface enp3s0 does not exist \(any more\)/);
});

it("passes on what the helper said when it failed without a system error", () => {
  const error = describeHelperBindError(new Error('rejected: bind-udp on eth9 is outside this helper\'s scope'), dhcp);
  expect(error.code).toBe('EHELPER');
  expect(error.message).toContain("Rackboot's network helper could not open UDP port 67 on 0.0.0.0 (enp3s0) for DHCP: rejected: bind-udp on eth9");
});
