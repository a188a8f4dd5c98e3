import { decodeCipherSuiteIds, decodeCipherSuitePage, CIPHER_SUITE_PAGE_SIZE } from './app-commands';
import { decodeResponseMessage, encodeRequestMessage, type IpmiRequest, type IpmiResponse } from './message';
import { refuse, type Decoded } from './result';
import { decodeV15Packet, decodeV20Packet, encodeV15Packet, encodeV20Packet, isV20Packet, PayloadType } from './session-wrapper';

/**
 * Commands asked before any session exists: Get Channel Authentication Capabilities travels in a v1.5 wrapper
 * (every BMC answers that), Get Channel Cipher Suites in a v2.0 wrapper with session id 0.
 */
export type PreSessionWrapper = 'v1.5' | 'v2.0';

export function encodePreSessionRequest(request: IpmiRequest, requestSequence: number, wrapper: PreSessionWrapper): Buffer {
  const message = encodeRequestMessage(request, requestSequence);
  return wrapper === 'v1.5'
    ? encodeV15Packet(message)
    : encodeV20Packet({ payloadType: PayloadType.Ipmi, sessionId: 0, sequence: 0, payload: message }, null);
}

/** The response inside an unauthenticated v1.5 or v2.0 datagram. */
export function decodePreSessionResponse(datagram: Buffer): Decoded<IpmiResponse> {
  if (isV20Packet(datagram)) {
    const packet = decodeV20Packet(datagram, null);
    if (!packet.ok) return packet;
    if (packet.value.payloadType !== PayloadType.Ipmi) return refuse('not an IPMI message payload');
    return decodeResponseMessage(packet.value.payload);
  }
  const message = decodeV15Packet(datagram);
  return message.ok ? decodeResponseMessage(message.value) : message;
}

/**
 * Collects Get Channel Cipher Suites pages (16 record bytes each; a shorter page is the last) through `askPage`,
 * which returns null when the BMC did not answer, and decodes the suite ids. Null when the BMC gave no list.
 */
export async function listCipherSuites(askPage: (index: number) => Promise<IpmiResponse | null>): Promise<number[] | null> {
  const pages: Buffer[] = [];
  for (let index = 0; index < 64; index += 1) {
    const response = await askPage(index);
    if (!response || response.completionCode !== 0) return null;
    const page = decodeCipherSuitePage(response.data);
    if (!page.ok) return null;
    pages.push(page.value);
    if (page.value.length < CIPHER_SUITE_PAGE_SIZE) break;
  }
  const ids = decodeCipherSuiteIds(Buffer.concat(pages));
  return ids.ok ? ids.value : null;
}
