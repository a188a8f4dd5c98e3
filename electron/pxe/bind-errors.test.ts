import { expect, it } from 'vitest';
import { describeBindError } from './bind-errors';

const target = { service: 'TFTP', protocol: 'udp' as const, address: '10.77.0.1', port: 69 };

it('tells how to get the privilege for port 69 when binding is not permitted', () => {
  const error = describeBindError(Object.assign(new Error('bind EACCES'), { code: 'EACCES' }), target, '/opt/Rackboot/rackboot');
  expect(error.message).toContain('sudo setcap cap_net_bind_service=+ep /opt/Rackboot/rackboot');
  expect(error.message).toContain('net.ipv4.ip_unprivileged_port_start=69');
  expect(error.message).toContain('UDP port 69 on 10.77.0.1');
});

it('says the address must be applied first when no interface has it', () => {
  const error = describeBindError(Object.assign(new Error('x'), { code: 'EADDRNOTAVAIL' }), target);
  expect(error.message).toMatch(/no network interface has the address 10\.77\.0\.1/);
});
