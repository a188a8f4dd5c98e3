import { describe, expect, it } from 'vitest';
import {
  buildAck,
  buildError,
  buildOack,
  buildRequest,
  ErrorCode,
  parsePacket,
  writeDataHeader,
  type TftpPacket,
} from './codec';
import * as captured from './fixtures/captured';

const hex = (text: string): Buffer => Buffer.from(text, 'hex');

/** A DATA packet as the engines build it: the payload in place, then the header written in front. */
function dataPacket(block: number, payload: Buffer): Buffer {
  const packet = Buffer.alloc(4 + payload.length);
  payload.copy(packet, 4);
  writeDataHeader(packet, block);
  return packet;
}

describe('TFTP codec with captured bytes', () => {
  it('reads an atftp read request with all four options, in the order sent', () => {
    const packet = parsePacket(hex(captured.ATFTP_RRQ_WITH_OPTIONS));
    expect(packet).toEqual({
      type: 'rrq',
      filename: 'hello.txt',
      mode: 'octet',
      options: new Map([
        ['tsize', '0'],
        ['timeout', '3'],
        ['blksize', '1468'],
        ['windowsize', '4'],
      ]),
    });
  });

  it('reads the request curl sends, which always asks for tsize and timeout', () => {
    expect(parsePacket(hex(captured.CURL_RRQ))).toEqual({
      type: 'rrq',
      filename: 'hello.txt',
      mode: 'octet',
      options: new Map([
        ['tsize', '0'],
        ['blksize', '1468'],
        ['timeout', '6'],
      ]),
    });
  });

  it('reads an atftp request for a file it will not find', () => {
    expect(parsePacket(hex(captured.ATFTP_RRQ_MISSING))).toEqual({ type: 'rrq', filename: 'missing.bin', mode: 'octet', options: new Map() });
  });

  it('reads a tftp-hpa request without options', () => {
    expect(parsePacket(hex(captured.TFTP_HPA_RRQ))).toEqual({
      type: 'rrq',
      filename: 'hello.txt',
      mode: 'octet',
      options: new Map(),
    });
  });

  it('builds the same OACK bytes atftpd sent for the same options', () => {
    const oack = buildOack(
      new Map([
        ['tsize', '11'],
        ['timeout', '3'],
        ['blksize', '1468'],
        ['windowsize', '4'],
      ]),
    );
    expect(oack.toString('hex')).toBe(captured.ATFTPD_OACK);
  });

  it('reads the OACK atftpd sent to curl', () => {
    const packet = parsePacket(hex(captured.ATFTPD_OACK_TO_CURL)) as Extract<TftpPacket, { type: 'oack' }>;
    expect([...packet.options]).toEqual([
      ['tsize', '11'],
      ['timeout', '6'],
      ['blksize', '1468'],
    ]);
  });

  it('builds DATA and ACK exactly as captured', () => {
    expect(dataPacket(1, Buffer.from('hello tftp\n')).toString('hex')).toBe(captured.ATFTPD_DATA_1_HELLO);
    expect(buildAck(0).toString('hex')).toBe(captured.ATFTP_ACK_0);
    expect(parsePacket(hex(captured.ATFTP_ACK_1))).toEqual({ type: 'ack', block: 1 });
  });

  it('builds the same "File not found" error atftpd sent', () => {
    expect(buildError(ErrorCode.FILE_NOT_FOUND, 'File not found').toString('hex')).toBe(captured.ATFTPD_ERROR_NOT_FOUND);
    expect(parsePacket(hex(captured.ATFTPD_ERROR_NOT_FOUND))).toEqual({
      type: 'error',
      code: 1,
      message: 'File not found',
    });
  });

  it('round-trips a request it built', () => {
    const bytes = buildRequest('rrq', 'undionly.kpxe', 'octet', new Map([['blksize', '1468']]));
    expect(parsePacket(bytes)).toEqual({
      type: 'rrq',
      filename: 'undionly.kpxe',
      mode: 'octet',
      options: new Map([['blksize', '1468']]),
    });
  });

  it('writes block numbers modulo 2^16 (rollover)', () => {
    expect(dataPacket(65536, Buffer.alloc(0)).toString('hex')).toBe('00030000');
    expect(buildAck(65537).toString('hex')).toBe('00040001');
  });
});

describe('TFTP codec with malformed input', () => {
  const cases: [string, string, string][] = [
    ['an empty datagram', '', 'too-short'],
    ['a single byte', '00', 'too-short'],
    ['an unknown opcode', '0009abcd', 'unknown-opcode'],
    ['a request whose filename is not terminated', '000168656c6c6f', 'unterminated-string'],
    ['a request without a mode', '000168656c6c6f00', 'unterminated-string'],
    ['a request with an empty filename', '0001006f6374657400', 'empty-filename'],
    ['a request in "mail" mode', '000178006d61696c00', 'unknown-mode'],
    ['an option without a value', '000178006f6374657400626c6b73697a6500', 'bad-option'],
    ['an ACK shorter than 4 bytes', '000400', 'too-short'],
    ['a DATA shorter than 4 bytes', '000300', 'too-short'],
  ];
  for (const [what, bytes, reason] of cases) {
    it(`reports ${what} as malformed (${reason})`, () => {
      expect(parsePacket(hex(bytes))).toMatchObject({ type: 'malformed', reason });
    });
  }

  it('refuses requests larger than 512 bytes before reading them', () => {
    const big = Buffer.concat([hex('0001'), Buffer.alloc(600, 0x41), hex('00'), Buffer.from('octet\0')]);
    expect(parsePacket(big)).toMatchObject({ type: 'malformed', reason: 'trailing-bytes' });
  });

  it('accepts a request padded with one trailing NUL, as some PXE ROMs send', () => {
    expect(parsePacket(hex(`${captured.TFTP_HPA_RRQ}00`))).toMatchObject({ type: 'rrq', filename: 'hello.txt' });
  });

  it('never throws on 100,000 random and mutated datagrams', () => {
    let seed = 0x12345678;
    const random = (): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 0x100000000;
    };
    const seedPacket = hex(captured.ATFTP_RRQ_WITH_OPTIONS);
    for (let i = 0; i < 100_000; i += 1) {
      let bytes: Buffer;
      if (i % 2 === 0) {
        bytes = Buffer.from(Array.from({ length: Math.floor(random() * 80) }, () => Math.floor(random() * 256)));
      } else {
        bytes = Buffer.from(seedPacket.subarray(0, Math.floor(random() * (seedPacket.length + 1))));
        for (let flips = 0; flips < 3; flips += 1) {
          if (bytes.length > 0) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
        }
      }
      const packet = parsePacket(bytes);
      expect(typeof packet.type).toBe('string');
    }
  });
});
