import { createSocket, type Socket } from 'node:dgram';

/** The one thing a session needs from the network: datagrams to and from one BMC. Tests inject their own. */
export interface DatagramChannel {
  send(datagram: Buffer): void;
  onDatagram(listener: (datagram: Buffer) => void): void;
  close(): void;
}

/** A UDP socket that talks to one BMC address and port only; datagrams from anyone else are dropped. */
export async function openUdpChannel(address: string, port: number): Promise<DatagramChannel> {
  const socket: Socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.connect(port, address, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  // An ICMP port-unreachable surfaces as an error on a connected socket; retries and timeouts handle it.
  socket.on('error', () => undefined);
  let closed = false;
  return {
    send(datagram) {
      if (!closed) socket.send(datagram);
    },
    onDatagram(listener) {
      socket.on('message', (datagram) => listener(datagram));
    },
    close() {
      if (closed) return;
      closed = true;
      socket.close();
    },
  };
}
