import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { ServiceBindError } from './bind-errors';
import { openUdpSocket, type PrivilegedUdpRequest, type UdpBindRequest } from './udp-bind';

const dhcp: UdpBindRequest = { port: 67, address: '0.0.0.0', device: 'enp3s0', reuseAddress: true };
const refused = (code: string) => async (): Promise<dgram.Socket> => {
  throw Object.assign(new Error(`bind ${code}`), { code });
};

describe('opening a service socket: ourselves first, then the privileged helper', () => {
  const opened: dgram.Socket[] = [];
  afterEach(() => {
    for (const socket of opened.splice(0)) socket.close();
  });

  function helper(): { asked: PrivilegedUdpRequest[]; source: (request: PrivilegedUdpRequest) => Promise<dgram.Socket> } {
    const asked: PrivilegedUdpRequest[] = [];
    return {
      asked,
      source: async (request) => {
        asked.push(request);
        const socket = dgram.createSocket('udp4');
        opened.push(socket);
        return socket;
      },
    };
  }

  it('asks the privileged helper for the same socket when this process may not bind the port', async () => {
    for (const code of ['EACCES', 'EPERM']) {
      const { asked, source } = helper();
      const socket = await openUdpSocket(dhcp, { service: 'DHCP' }, source, refused(code));
      expect(opened).toContain(socket);
      expect(asked).toEqual([dhcp]);
    }
  });

  it('without a helper, says how to get the privilege (helper, setcap)', async () => {
    const failure = await openUdpSocket(dhcp, { service: 'DHCP' }, null, refused('EACCES')).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ServiceBindError);
    expect((failure as ServiceBindError).code).toBe('EACCES');
    expect((failure as Error).message).toContain('Rackboot may not open UDP port 67 on 0.0.0.0 (enp3s0) for DHCP');
    expect((failure as Error).message).toContain('sudo setcap cap_net_bind_service,cap_net_raw+ep');
    expect((failure as Error).message).toContain('privileged helper');
  });

  it('does not ask the helper when the port is taken: another program holds it, root would not help', async () => {
    const { asked, source } = helper();
    const failure = await openUdpSocket(dhcp, { service: 'DHCP' }, source, refused('EADDRINUSE')).catch((error: unknown) => error);
    expect(asked).toEqual([]);
    expect((failure as ServiceBindError).code).toBe('EADDRINUSE');
  });

  it('does not ask the helper for a port it does not open', async () => {
    const { asked, source } = helper();
    const request = { port: 68, address: '0.0.0.0', device: 'enp3s0', reuseAddress: true };
    const failure = await openUdpSocket(request, { service: 'the DHCP probe' }, source, refused('EACCES')).catch((error: unknown) => error);
    expect(asked).toEqual([]);
    expect((failure as ServiceBindError).code).toBe('EACCES');
  });

  it("explains the helper's own failure: a system error in the same words, anything else as the helper's", async () => {
    const taken = await openUdpSocket(dhcp, { service: 'DHCP' }, refused('EADDRINUSE'), refused('EACCES')).catch((error: unknown) => error);
    expect((taken as ServiceBindError).code).toBe('EADDRINUSE');
    expect((taken as Error).message).toContain('Another program already uses UDP port 67');
    const gone = async (): Promise<dgram.Socket> => {
      throw new Error('the network helper stopped (exit 1)');
    };
    const stopped = await openUdpSocket(dhcp, { service: 'DHCP' }, gone, refused('EACCES')).catch((error: unknown) => error);
    expect((stopped as ServiceBindError).code).toBe('EHELPER');
    expect((stopped as Error).message).toContain("Rackboot's network helper could not open UDP port 67 on 0.0.0.0 (enp3s0) for DHCP: the network helper stopped");
  });

  it('binds a real socket itself when it may, without asking anyone', async () => {
    const { asked, source } = helper();
    const socket = await openUdpSocket({ port: 0, address: '127.0.0.1', device: null, reuseAddress: false }, { service: 'TFTP' }, source);
    opened.push(socket);
    expect(socket.address()).toMatchObject({ address: '127.0.0.1' });
    expect(asked).toEqual([]);
  });
});
