import { describe, expect, it } from 'vitest';
import { decodeChannelAuthCapabilities, decodeCipherSuiteIds, decodeDeviceId, decodeSystemGuid } from './codec/app-commands';
import { decodeBootFlags, decodeBootOption, decodeChassisStatus } from './codec/chassis-commands';
import { CIPHER_SUITES, decryptPayload, deriveSessionKeys, keyBytes, type SupportedSuiteId } from './codec/cipher';
import { decodeLanParameter } from './codec/lan-commands';
import { decodeResponseMessage } from './codec/message';
import { decodeSolActivation } from './codec/payload-commands';
import { decodeOpenSessionResponse, decodeRakp2, decodeRakp4 } from './codec/rakp';
import { decodePresencePong, rmcpClassOf } from './codec/rmcp';
import { decodeV15Packet, decodeV20Packet, peekV20Header, PayloadType } from './codec/session-wrapper';
import { decodeSolPacket } from './codec/sol-packet';
import { SecureChannel } from './secure-channel';

/** Deterministic xorshift32, so a failure can be replayed from its iteration number. */
function generator(seed: number) {
  let state = seed >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
  return {
    below: (limit: number) => next() % limit,
    bytes: (length: number) => {
      const out = Buffer.allocUnsafe(length);
      for (let index = 0; index < length; index += 1) out[index] = next() & 0xff;
      return out;
    },
  };
}

const CONSOLE_ID = 0xa0a2a3a4;
const BMC_ID = 0x02000011;

function endpoints(id: SupportedSuiteId) {
  const keys = deriveSessionKeys(CIPHER_SUITES[id], keyBytes('fuzz-password'), Buffer.alloc(40, 3));
  return { keys, bmc: new SecureChannel(keys, CONSOLE_ID, BMC_ID), console: new SecureChannel(keys, BMC_ID, CONSOLE_ID) };
}

/** Every decoder, on the same hostile bytes; any exception escaping one of them fails the test. */
function decodeEverything(bytes: Buffer, keys: ReturnType<typeof endpoints>['keys']): void {
  rmcpClassOf(bytes);
  decodePresencePong(bytes);
  decodeV15Packet(bytes);
  peekV20Header(bytes);
  decodeV20Packet(bytes, null);
  decodeV20Packet(bytes, keys);
  decryptPayload(keys, bytes);
  const body = bytes.subarray(Math.min(16, bytes.length));
  decodeResponseMessage(body);
  for (const decode of [
    decodeDeviceId,
    decodeSystemGuid,
    decodeChannelAuthCapabilities,
    decodeCipherSuiteIds,
    decodeChassisStatus,
    decodeBootOption,
    decodeBootFlags,
    decodeOpenSessionResponse,
    decodeRakp2,
    decodeRakp4,
    decodeSolPacket,
    decodeSolActivation,
  ]) {
    decode(body);
  }
  decodeLanParameter(body, 6);
}

function mutate(random: ReturnType<typeof generator>, genuine: Buffer): Buffer {
  const copy = Buffer.from(genuine);
  switch (random.below(5)) {
    case 0: {
      const flips = 1 + random.below(4);
      for (let flip = 0; flip < flips; flip += 1) {
        const at = random.below(copy.length);
        copy[at] = (copy[at] ?? 0) ^ (1 + random.below(255));
      }
      return copy;
    }
    case 1:
      return copy.subarray(0, random.below(copy.length));
    case 2:
      return Buffer.concat([copy, random.bytes(1 + random.below(64))]);
    case 3: {
      // Right session, fresh sequence number, random payload: a forger who knows the ids but not the key.
      copy.writeUInt32LE(0x7fffffff - random.below(1000), 10);
      random.bytes(copy.length - 16).copy(copy, 16);
      return copy;
    }
    default: {
      const length = copy.readUInt16LE(14);
      copy.writeUInt16LE((length + 1 + random.below(40)) & 0xffff, 14);
      return copy;
    }
  }
}

describe('fuzzing the decoders and the session receive path', () => {
  it.each([3, 17] as const)('suite %i: 50,000 random and mutated packets never throw and no forgery is accepted', (id) => {
    const random = generator(0x1bad5eed + id);
    const { keys, bmc, console: receiver } = endpoints(id);
    const problems: string[] = [];
    let accepted = 0;
    for (let iteration = 0; iteration < 50_000 && problems.length === 0; iteration += 1) {
      const payload = random.bytes(random.below(48));
      const genuine = bmc.seal(iteration % 7 === 0 ? PayloadType.Sol : PayloadType.Ipmi, payload, random.bytes(16));
      const hostile = iteration % 3 === 0 ? random.bytes(random.below(300)) : mutate(random, genuine);
      try {
        decodeEverything(hostile, keys);
      } catch (error) {
        problems.push(`iteration ${iteration}: a decoder threw on ${hostile.toString('hex')}: ${String(error)}`);
      }
      const forged = receiver.open(hostile);
      // Only a mutation of the unauthenticated RMCP header can pass, and then it must carry the genuine payload.
      if (forged.ok && (!forged.value.payload.equals(payload) || !hostile.subarray(4).equals(genuine.subarray(4)))) {
        problems.push(`iteration ${iteration}: accepted a forged packet ${hostile.toString('hex')}`);
      }
      const real = receiver.open(genuine);
      if (real.ok === forged.ok) problems.push(`iteration ${iteration}: genuine packet ${forged.ok ? 'accepted twice' : 'refused'}`);
      if (real.ok) accepted += 1;
      if (receiver.open(genuine).ok) problems.push(`iteration ${iteration}: replayed packet accepted`);
    }
    expect(problems).toEqual([]);
    expect(accepted).toBeGreaterThan(45_000);
  });
});
