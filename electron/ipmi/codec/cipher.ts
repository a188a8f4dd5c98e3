import { createCipheriv, createDecipheriv, createHmac, timingSafeEqual } from 'node:crypto';
import { accept, refuse, type Decoded } from './result';

/** IPMI v2.0 table 22-19/20/21 algorithm numbers. */
export const enum AuthAlgorithm {
  None = 0x00,
  HmacSha1 = 0x01,
  HmacSha256 = 0x03,
}
export const enum IntegrityAlgorithm {
  None = 0x00,
  HmacSha1_96 = 0x01,
  HmacSha256_128 = 0x04,
}
export const enum ConfidentialityAlgorithm {
  None = 0x00,
  AesCbc128 = 0x01,
}

export type SupportedSuiteId = 3 | 17;

export interface CipherSuite {
  readonly id: SupportedSuiteId;
  readonly auth: AuthAlgorithm;
  readonly integrity: IntegrityAlgorithm;
  readonly confidentiality: ConfidentialityAlgorithm;
  /** Digest used for RAKP auth codes, SIK, K1/K2 and message integrity. */
  readonly hash: 'sha1' | 'sha256';
  /** Full HMAC length: RAKP2/RAKP3 auth codes and the K1/K2 constants. */
  readonly hmacLength: number;
  /** Truncated length of RAKP4's integrity check value and of each packet's auth code. */
  readonly integrityLength: number;
}

export const CIPHER_SUITES: Readonly<Record<SupportedSuiteId, CipherSuite>> = {
  3: {
    id: 3,
    auth: AuthAlgorithm.HmacSha1,
    integrity: IntegrityAlgorithm.HmacSha1_96,
    confidentiality: ConfidentialityAlgorithm.AesCbc128,
    hash: 'sha1',
    hmacLength: 20,
    integrityLength: 12,
  },
  17: {
    id: 17,
    auth: AuthAlgorithm.HmacSha256,
    integrity: IntegrityAlgorithm.HmacSha256_128,
    confidentiality: ConfidentialityAlgorithm.AesCbc128,
    hash: 'sha256',
    hmacLength: 32,
    integrityLength: 16,
  },
};

export function hmac(suite: CipherSuite, key: Buffer, ...parts: Buffer[]): Buffer {
  const mac = createHmac(suite.hash, key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/** Constant-time comparison that also refuses different lengths (a truncated code is a wrong code). */
export function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Passwords and BMC keys are up to 20 bytes, zero padded (IPMI v2.0 §13.31). HMAC zero-pads short keys anyway,
 * so padding matters only for keys given as longer strings, which we refuse earlier.
 */
export function keyBytes(secret: string): Buffer {
  const bytes = Buffer.alloc(20);
  Buffer.from(secret, 'utf8').copy(bytes, 0, 0, 20);
  return bytes;
}

export interface SessionKeys {
  readonly suite: CipherSuite;
  readonly sik: Buffer;
  /** Integrity key. */
  readonly k1: Buffer;
  /** First 16 bytes are the AES-128 key. */
  readonly k2: Buffer;
}

/** IPMI v2.0 §13.31/13.32: SIK = HMAC(Kg or Kuid, Rm | Rc | role | name length | name); Kn = HMAC(SIK, n repeated). */
export function deriveSessionKeys(suite: CipherSuite, sikKey: Buffer, sikInput: Buffer): SessionKeys {
  const sik = hmac(suite, sikKey, sikInput);
  const constant = (value: number) => Buffer.alloc(suite.hmacLength, value);
  return { suite, sik, k1: hmac(suite, sik, constant(0x01)), k2: hmac(suite, sik, constant(0x02)) };
}

export function integrityCode(keys: SessionKeys, covered: Buffer): Buffer {
  return hmac(keys.suite, keys.k1, covered).subarray(0, keys.suite.integrityLength);
}

const AES_BLOCK = 16;

/**
 * IPMI v2.0 §13.29: payload = IV | AES-CBC(data | 1,2,3…n | n), with n the pad count that makes the plaintext
 * a whole number of blocks. OpenSSL's own padding is off because IPMI's differs from PKCS#7.
 */
export function encryptPayload(keys: SessionKeys, plaintext: Buffer, iv: Buffer): Buffer {
  const padCount = (AES_BLOCK - ((plaintext.length + 1) % AES_BLOCK)) % AES_BLOCK;
  const pad = Buffer.from(Array.from({ length: padCount }, (_, index) => index + 1));
  const cipher = createCipheriv('aes-128-cbc', keys.k2.subarray(0, 16), iv).setAutoPadding(false);
  const body = Buffer.concat([plaintext, pad, Buffer.from([padCount])]);
  return Buffer.concat([iv, cipher.update(body), cipher.final()]);
}

export function decryptPayload(keys: SessionKeys, payload: Buffer): Decoded<Buffer> {
  if (payload.length < 2 * AES_BLOCK || payload.length % AES_BLOCK !== 0) {
    return refuse('encrypted payload is not an IV plus whole AES blocks');
  }
  const decipher = createDecipheriv('aes-128-cbc', keys.k2.subarray(0, 16), payload.subarray(0, AES_BLOCK)).setAutoPadding(false);
  const plain = Buffer.concat([decipher.update(payload.subarray(AES_BLOCK)), decipher.final()]);
  const padCount = plain[plain.length - 1] ?? 0;
  if (padCount >= AES_BLOCK) return refuse('confidentiality pad length is out of range');
  const dataEnd = plain.length - 1 - padCount;
  for (let index = 0; index < padCount; index += 1) {
    if (plain[dataEnd + index] !== index + 1) return refuse('confidentiality pad bytes are wrong');
  }
  return accept(plain.subarray(0, dataEnd));
}
