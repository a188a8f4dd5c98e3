import { expect, it } from 'vitest';
import { parseMac } from './mac';

it('reads MACs spelled with hyphens, colons or bare hex, and nothing else', () => {
  expect(parseMac('52-54-00-12-34-AB')).toBe('52:54:00:12:34:ab');
  expect(parseMac('525400123456')).toBe('52:54:00:12:34:56');
  expect(parseMac('52-54-00-12-34')).toBeNull();
  expect(parseMac('52:54:00:12:34:5g')).toBeNull();
});
