import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CIPHER_SUITES, deriveSessionKeys, keyBytes } from './codec/cipher';
import { PayloadType } from './codec/session-wrapper';
import { ReplayWindow, SecureChannel } from './secure-channel';

describe('replay window', () => {
  it('accepts late packets once while they are within the window', () => {
    const window = new ReplayWindow(32);
    expect([5, 3, 4, 3, 5].map((sequence) => window.accept(sequence))).toEqual([true, true, true, false, false]);
  });

  it('refuses sequence numbers 32 or more behind the newest, and zero', () => {
    const window = new ReplayWindow(32);
    window.accept(100);
    expect(window.accept(68)).toBe(false);
    expect(window.accept(69)).toBe(true);
    expect(window.accept(0)).toBe(false);
  });
});

describe('secure channel', () => {
  const keys = deriveSessionKeys(CIPHER_SUITES[17], keyBytes('pw'), Buffer.alloc(34, 1));

  it('opens what the other end sealed, once', () => {
    const bmc = new SecureChannel(keys, 0x11, 0x22);
    const console = new SecureChannel(keys, 0x22, 0x11);
    const packet = bmc.seal(PayloadType.Ipmi, Buffer.from('answer'), randomBytes(16));
    expect(console.open(packet)).toMatchObject({ ok: true, value: { payload: Buffer.from('answer'), sequence: 1 } });
    expect(console.open(packet)).toEqual({ ok: false, reason: 'sequence number replayed or too old' });
  });

  it('refuses a packet sealed for another session, even with the right key', () => {
    const other = new SecureChannel(keys, 0x33, 0x22);
    const console = new SecureChannel(keys, 0x22, 0x11);
    expect(console.open(other.seal(PayloadType.Ipmi, Buffer.from('x'), randomBytes(16)))).toEqual({ ok: false, reason: 'packet belongs to another session' });
  });

  it('numbers outgoing packets from 1 upwards', () => {
    const console = new SecureChannel(keys, 0x22, 0x11);
    const first = console.seal(PayloadType.Ipmi, Buffer.alloc(1), randomBytes(16));
    const second = console.seal(PayloadType.Ipmi, Buffer.alloc(1), randomBytes(16));
    expect([first.readUInt32LE(10), second.readUInt32LE(10)]).toEqual([1, 2]);
  });
});
