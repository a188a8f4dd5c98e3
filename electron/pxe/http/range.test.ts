import { expect, it } from 'vitest';
import { decideRange } from './range';

it.each([
  [undefined, { kind: 'full' }],
  ['bytes=0-99', { kind: 'partial', start: 0, end: 99 }],
  ['bytes=900-', { kind: 'partial', start: 900, end: 999 }],
  ['bytes=-100', { kind: 'partial', start: 900, end: 999 }],
  ['bytes=-5000', { kind: 'partial', start: 0, end: 999 }],
  ['bytes=990-5000', { kind: 'partial', start: 990, end: 999 }],
  ['bytes=1000-', { kind: 'unsatisfiable' }],
  ['bytes=-0', { kind: 'unsatisfiable' }],
  ['bytes=0-1,5-6', { kind: 'full' }],
  ['items=0-1', { kind: 'full' }],
  ['bytes=50-10', { kind: 'full' }],
])('Range %j on a 1000-byte file → %j', (header, decision) => {
  expect(decideRange(header, 1000)).toEqual(decision);
});
