import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import type { DhcpOffer } from '../../shared/network';
import { decodeOffer, encodeDiscover } from './dhcp-probe-codec';

const CLIENT_PORT = 68;
const SERVER_PORT = 67;

function bound(address: string): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    socket.once('error', reject);
    socket.bind(CLIENT_PORT, address, () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

/**
 * Broadcasts one DHCPDISCOVER out of the interface that holds `source` and collects the OFFERs for `waitMs`
 * (longer than the 3 s ping check dnsmasq and others make before offering an address they have not leased yet).
 * Linux sends a limited broadcast out of the device owning the socket's bound source address, which is how this
 * stays on the provisioning segment without SO_BINDTODEVICE (that Node lacks). Binding port 68 needs root or
 * CAP_NET_BIND_SERVICE, so in the app it runs inside the privileged helper.
 */
export async function probeDhcp(source: string, mac: string, waitMs = 4500): Promise<DhcpOffer[]> {
  const xid = randomInt(1, 0xffffffff);
  const listener = await bound('0.0.0.0');
  let sender: dgram.Socket | undefined;
  try {
    sender = await bound(source);
    sender.setBroadcast(true);
    const offers = new Map<string, DhcpOffer>();
    const collect = (packet: Buffer): void => {
      const offer = decodeOffer(packet, xid);
      if (offer && offer.server !== source) offers.set(`${offer.server}/${offer.proxy}`, offer);
    };
    listener.on('message', collect);
    sender.on('message', collect);
    const discover = encodeDiscover(mac, xid);
    const send = sender;
    await new Promise<void>((resolve, reject) =>
      send.send(discover, SERVER_PORT, '255.255.255.255', (error) => (error ? reject(error) : resolve())),
    );
    await new Promise((resolve) => setTimeout(resolve, waitMs));
    return [...offers.values()];
  } finally {
    listener.close();
    sender?.close();
  }
}
