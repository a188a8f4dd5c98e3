import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CIPHER_SUITES, decryptPayload, deriveSessionKeys, encryptPayload, integrityCode, keyBytes, type SupportedSuiteId } from './cipher';
import { rakp2AuthCode, rakp3AuthCode, rakp4CheckValue, sikInput, type RakpExchange } from './rakp';

/**
 * Independent arithmetic: every key and code is recomputed with the openssl CLI from inputs the test lays out by
 * hand from the spec (IPMI v2.0 §13.28–13.32), and compared with what the codec computes.
 */
function opensslHmac(digest: 'sha1' | 'sha256', key: Buffer, data: Buffer): Buffer {
  const out = execFileSync('openssl', ['dgst', `-${digest}`, '-mac', 'HMAC', '-macopt', `hexkey:${key.toString('hex')}`, '-binary'], { input: data });
  return Buffer.from(out);
}

function opensslAes(direction: '-e' | '-d', key: Buffer, iv: Buffer, data: Buffer): Buffer {
  return Buffer.from(
    execFileSync('openssl', ['enc', direction, '-aes-128-cbc', '-K', key.toString('hex'), '-iv', iv.toString('hex'), '-nopad'], { input: data }),
  );
}

const le32 = (value: number) => {
  const out = Buffer.alloc(4);
  out.writeUInt32LE(value);
  return out;
};

const fixed = {
  consoleSessionId: 0xa0a2a3a4,
  bmcSessionId: 0x00000201,
  consoleRandom: Buffer.from('8a3d2ef01c9b47d6a5e3f1029b7c6d54', 'hex'),
  bmcRandom: Buffer.from('1f2e3d4c5b6a79880f1e2d3c4b5a6978', 'hex'),
  bmcGuid: Buffer.from('efcdab892301674589abcdef01234567', 'hex'),
  role: 0x14,
  userName: Buffer.from('ADMIN'),
};
const password = 'Sup3r-Secret!';
const hashOf = (id: SupportedSuiteId) => (id === 17 ? 'sha256' : 'sha1');

describe.each([3, 17] as const)('cipher suite %i key exchange against openssl', (id) => {
  const suite = CIPHER_SUITES[id];
  const exchange: RakpExchange = { suite, ...fixed };
  const kuid = Buffer.concat([Buffer.from(password), Buffer.alloc(20 - password.length)]);
  const roleAndName = Buffer.concat([Buffer.from([fixed.role, fixed.userName.length]), fixed.userName]);

  it('computes the RAKP 2 auth code', () => {
    const data = Buffer.concat([le32(fixed.consoleSessionId), le32(fixed.bmcSessionId), fixed.consoleRandom, fixed.bmcRandom, fixed.bmcGuid, roleAndName]);
    expect(rakp2AuthCode(exchange, keyBytes(password))).toEqual(opensslHmac(hashOf(id), kuid, data));
  });

  it('computes the RAKP 3 auth code', () => {
    const data = Buffer.concat([fixed.bmcRandom, le32(fixed.consoleSessionId), roleAndName]);
    expect(rakp3AuthCode(exchange, keyBytes(password))).toEqual(opensslHmac(hashOf(id), kuid, data));
  });

  it('derives SIK, K1 and K2', () => {
    const sik = opensslHmac(hashOf(id), kuid, Buffer.concat([fixed.consoleRandom, fixed.bmcRandom, roleAndName]));
    const keys = deriveSessionKeys(suite, keyBytes(password), sikInput(exchange));
    expect(keys.sik).toEqual(sik);
    expect(keys.k1).toEqual(opensslHmac(hashOf(id), sik, Buffer.alloc(suite.hmacLength, 1)));
    expect(keys.k2).toEqual(opensslHmac(hashOf(id), sik, Buffer.alloc(suite.hmacLength, 2)));
  });

  it('derives SIK from the BMC key (Kg) when one is set', () => {
    const kg = Buffer.from('0102030405060708090a0b0c0d0e0f1011121314', 'hex');
    const keys = deriveSessionKeys(suite, kg, sikInput(exchange));
    expect(keys.sik).toEqual(opensslHmac(hashOf(id), kg, Buffer.concat([fixed.consoleRandom, fixed.bmcRandom, roleAndName])));
  });

  it('computes the truncated RAKP 4 check value and packet integrity codes', () => {
    const keys = deriveSessionKeys(suite, keyBytes(password), sikInput(exchange));
    const icv = opensslHmac(hashOf(id), keys.sik, Buffer.concat([fixed.consoleRandom, le32(fixed.bmcSessionId), fixed.bmcGuid]));
    expect(rakp4CheckValue(exchange, keys.sik)).toEqual(icv.subarray(0, id === 17 ? 16 : 12));
    const covered = Buffer.from('06c0a4a3a2a0010000002000', 'hex');
    expect(integrityCode(keys, covered)).toEqual(opensslHmac(hashOf(id), keys.k1, covered).subarray(0, id === 17 ? 16 : 12));
  });

  it('encrypts with AES-CBC-128 and the IPMI pad so openssl decrypts it, and decrypts what openssl encrypted', () => {
    const keys = deriveSessionKeys(suite, keyBytes(password), sikInput(exchange));
    const aesKey = keys.k2.subarray(0, 16);
    const iv = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
    const plain = Buffer.from('2018c88104010063', 'hex');
    const sealed = encryptPayload(keys, plain, iv);
    expect(sealed.subarray(0, 16)).toEqual(iv);
    // 8 data bytes + pad 1..7 + pad length 7 = one block.
    expect(opensslAes('-d', aesKey, iv, sealed.subarray(16))).toEqual(Buffer.concat([plain, Buffer.from([1, 2, 3, 4, 5, 6, 7, 7])]));
    const theirs = opensslAes('-e', aesKey, iv, Buffer.concat([plain, Buffer.from([1, 2, 3, 4, 5, 6, 7, 7])]));
    expect(decryptPayload(keys, Buffer.concat([iv, theirs]))).toEqual({ ok: true, value: plain });
  });
});

describe('IPMI confidentiality pad rules', () => {
  const keys = deriveSessionKeys(CIPHER_SUITES[3], keyBytes('x'), Buffer.alloc(34));
  const iv = Buffer.alloc(16, 7);

  it('adds a whole extra block when data plus the pad length byte fill one exactly', () => {
    expect(encryptPayload(keys, Buffer.alloc(15, 0xaa), iv)).toHaveLength(16 + 16);
    expect(encryptPayload(keys, Buffer.alloc(16, 0xaa), iv)).toHaveLength(16 + 32);
  });

  it('round-trips every length from 0 to 40 bytes', () => {
    for (let length = 0; length <= 40; length += 1) {
      const data = Buffer.alloc(length, length);
      expect(decryptPayload(keys, encryptPayload(keys, data, iv))).toEqual({ ok: true, value: data });
    }
  });

  it('refuses pad bytes that are not 1, 2, 3…', () => {
    const aesKey = keys.k2.subarray(0, 16);
    const forged = opensslAes('-e', aesKey, iv, Buffer.from('41414141414141410102030405060603', 'hex'));
    expect(decryptPayload(keys, Buffer.concat([iv, forged]))).toEqual({ ok: false, reason: 'confidentiality pad bytes are wrong' });
  });
});
