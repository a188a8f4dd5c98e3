import { describe, expect, it } from 'vitest';
import { negotiate } from './negotiate';

const limits = { maxBlksize: 1468, maxWindowsize: 64, defaultTimeoutMs: 1000 };
const ask = (entries: [string, string][], size = 11) => negotiate(new Map(entries), size, limits);

describe('TFTP option negotiation', () => {
  it('sends no OACK when the client asked for nothing (RFC 1350 defaults)', () => {
    expect(ask([])).toEqual({ blksize: 512, windowsize: 1, timeoutMs: 1000, oack: null });
  });

  it('acknowledges the atftp options in the order asked, with the file size for tsize', () => {
    const result = ask([
      ['tsize', '0'],
      ['timeout', '3'],
      ['blksize', '1468'],
      ['windowsize', '4'],
    ]);
    expect([...(result.oack ?? [])]).toEqual([
      ['tsize', '11'],
      ['timeout', '3'],
      ['blksize', '1468'],
      ['windowsize', '4'],
    ]);
    expect(result).toMatchObject({ blksize: 1468, windowsize: 4, timeoutMs: 3000 });
  });

  it('lowers blksize to what fits an Ethernet frame', () => {
    expect(ask([['blksize', '65464']])).toMatchObject({ blksize: 1468, oack: new Map([['blksize', '1468']]) });
  });

  it('lowers windowsize to the configured maximum', () => {
    expect(ask([['windowsize', '1000']]).windowsize).toBe(64);
  });

  it('ignores out-of-range or non-numeric values instead of failing the request', () => {
    const result = ask([
      ['blksize', '7'],
      ['windowsize', '0'],
      ['timeout', '256'],
      ['tsize', '-1'],
      ['blksize', 'x'],
    ]);
    expect(result).toEqual({ blksize: 512, windowsize: 1, timeoutMs: 1000, oack: null });
  });

  it('ignores unknown options', () => {
    expect(ask([['multicast', ''], ['rollover', '0']]).oack).toBeNull();
  });
});
