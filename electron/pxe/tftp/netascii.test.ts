import { expect, it } from 'vitest';
import { toNetascii } from './netascii';

it('turns LF into CR LF and a bare CR into CR NUL (RFC 1350 netascii)', () => {
  expect(toNetascii(Buffer.from('a\nb\rc')).toString('hex')).toBe(Buffer.from('a\r\nb\r\0c').toString('hex'));
});
