import { createSocket, type RemoteInfo } from 'node:dgram';

/**
 * A loopback UDP relay between one client and one BMC that can drop datagrams and counts what passes, so tests
 * can make the network lossy and watch how many requests are outstanding at once.
 */
export interface UdpProxy {
  readonly port: number;
  /** Return true to drop a datagram travelling to the BMC. */
  dropToBmc: (datagram: Buffer, index: number) => boolean;
  readonly stats: { toBmc: number; toClient: number; dropped: number; maxOutstanding: number };
  close(): Promise<void>;
}

export async function startUdpProxy(bmcPort: number, bmcAddress = '127.0.0.1'): Promise<UdpProxy> {
  const front = createSocket('udp4');
  const back = createSocket('udp4');
  await new Promise<void>((resolve) => front.bind(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => back.bind(0, '127.0.0.1', resolve));
  let client: RemoteInfo | null = null;
  const stats = { toBmc: 0, toClient: 0, dropped: 0, maxOutstanding: 0 };
  const proxy: UdpProxy = {
    port: front.address().port,
    dropToBmc: () => false,
    stats,
    async close() {
      await Promise.all([new Promise<void>((resolve) => front.close(() => resolve())), new Promise<void>((resolve) => back.close(() => resolve()))]);
    },
  };
  let index = 0;
  front.on('message', (datagram, from) => {
    client = from;
    if (proxy.dropToBmc(datagram, index++)) {
      stats.dropped += 1;
      return;
    }
    stats.toBmc += 1;
    stats.maxOutstanding = Math.max(stats.maxOutstanding, stats.toBmc - stats.toClient);
    back.send(datagram, bmcPort, bmcAddress);
  });
  back.on('message', (datagram) => {
    stats.toClient += 1;
    if (client) front.send(datagram, client.port, client.address);
  });
  return proxy;
}
