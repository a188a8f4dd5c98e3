import { describe, expect, it } from 'vitest';
import { ReadTransfer, type TransferPlan } from './transfer';

const plan = (overrides: Partial<TransferPlan> = {}): TransferPlan => ({
  size: 2000,
  blksize: 512,
  windowsize: 1,
  oack: false,
  maxRetries: 3,
  ...overrides,
});

describe('ReadTransfer', () => {
  it('starts with DATA 1 when no option was acknowledged', () => {
    expect(new ReadTransfer(plan()).start()).toEqual({ kind: 'send-blocks', from: 1, to: 1 });
  });

  it('starts with an OACK and waits for ACK 0 before DATA 1', () => {
    const t = new ReadTransfer(plan({ oack: true }));
    expect(t.start()).toEqual({ kind: 'send-oack' });
    expect(t.ack(1)).toEqual({ kind: 'ignore' });
    expect(t.ack(0)).toEqual({ kind: 'send-blocks', from: 1, to: 1 });
  });

  it('ends with a block shorter than blksize', () => {
    const t = new ReadTransfer(plan({ size: 2000 }));
    expect(t.totalBlocks).toBe(4);
    expect(t.blockRange(4)).toEqual({ offset: 1536, length: 464 });
  });

  it('ends with a zero-length block when the size divides evenly by blksize', () => {
    const t = new ReadTransfer(plan({ size: 1024 }));
    expect(t.totalBlocks).toBe(3);
    expect(t.blockRange(3)).toEqual({ offset: 1024, length: 0 });
  });

  it('sends one zero-length block for an empty file', () => {
    const t = new ReadTransfer(plan({ size: 0 }));
    expect(t.start()).toEqual({ kind: 'send-blocks', from: 1, to: 1 });
    expect(t.blockRange(1).length).toBe(0);
    expect(t.ack(1)).toEqual({ kind: 'done' });
  });

  it('advances in lock-step and finishes on the ACK of the last block', () => {
    const t = new ReadTransfer(plan({ size: 2000 }));
    t.start();
    expect(t.ack(1)).toEqual({ kind: 'send-blocks', from: 2, to: 2 });
    expect(t.ack(2)).toEqual({ kind: 'send-blocks', from: 3, to: 3 });
    expect(t.ack(3)).toEqual({ kind: 'send-blocks', from: 4, to: 4 });
    expect(t.ack(4)).toEqual({ kind: 'done' });
    expect(t.bytesAcked).toBe(2000);
  });

  it('does not resend on a duplicate ACK with windowsize 1 (Sorcerer\'s Apprentice)', () => {
    const t = new ReadTransfer(plan());
    t.start();
    t.ack(1);
    for (let i = 0; i < 50; i += 1) expect(t.ack(1)).toEqual({ kind: 'ignore' });
  });

  it('resends the outstanding block on timeout, and gives up after maxRetries', () => {
    const t = new ReadTransfer(plan({ maxRetries: 2 }));
    t.start();
    t.ack(1);
    expect(t.timeout()).toEqual({ kind: 'send-blocks', from: 2, to: 2 });
    expect(t.timeout()).toEqual({ kind: 'send-blocks', from: 2, to: 2 });
    expect(t.timeout()).toMatchObject({ kind: 'failed', reason: 'timeout' });
    expect(t.finished).toBe(true);
  });

  it('resends the OACK on timeout before ACK 0', () => {
    const t = new ReadTransfer(plan({ oack: true }));
    t.start();
    expect(t.timeout()).toEqual({ kind: 'send-oack' });
  });

  it('progress resets the retry count', () => {
    const t = new ReadTransfer(plan({ size: 5000, maxRetries: 1 }));
    t.start();
    t.timeout();
    t.ack(1);
    expect(t.timeout()).toEqual({ kind: 'send-blocks', from: 2, to: 2 });
  });

  it('sends a whole window and the next one when the window\'s last block is acknowledged', () => {
    const t = new ReadTransfer(plan({ size: 512 * 40, windowsize: 16 }));
    expect(t.start()).toEqual({ kind: 'send-blocks', from: 1, to: 16 });
    expect(t.ack(16)).toEqual({ kind: 'send-blocks', from: 17, to: 32 });
    expect(t.ack(32)).toEqual({ kind: 'send-blocks', from: 33, to: 41 });
    expect(t.ack(41)).toEqual({ kind: 'done' });
  });

  it('resumes after the acknowledged block when the client reports a gap inside the window (RFC 7440)', () => {
    const t = new ReadTransfer(plan({ size: 512 * 40, windowsize: 16 }));
    t.start();
    expect(t.ack(9)).toEqual({ kind: 'send-blocks', from: 10, to: 25 });
  });

  it('answers a repeated ACK with a window at most once, however many copies arrive', () => {
    const t = new ReadTransfer(plan({ size: 512 * 40, windowsize: 8 }));
    t.start();
    t.ack(8);
    expect(t.ack(8)).toEqual({ kind: 'send-blocks', from: 9, to: 16 });
    for (let i = 0; i < 20; i += 1) expect(t.ack(8)).toEqual({ kind: 'ignore' });
  });

  it('ignores ACKs for blocks it has not sent', () => {
    const t = new ReadTransfer(plan({ size: 512 * 40, windowsize: 4 }));
    t.start();
    expect(t.ack(5)).toEqual({ kind: 'ignore' });
    expect(t.ack(300)).toEqual({ kind: 'ignore' });
  });

  it('rolls block numbers over to 0 after 65535 and keeps counting', () => {
    const size = 512 * 70_000;
    const t = new ReadTransfer(plan({ size, windowsize: 1 }));
    t.start();
    for (let block = 1; block <= 65_535; block += 1) t.ack(block & 0xffff);
    expect(t.ack(0)).toEqual({ kind: 'send-blocks', from: 65_537, to: 65_537 });
    expect(t.ack(1)).toEqual({ kind: 'send-blocks', from: 65_538, to: 65_538 });
    expect(t.bytesAcked).toBe(65_537 * 512);
  });

  it('stops on an error from the client', () => {
    const t = new ReadTransfer(plan());
    t.start();
    expect(t.peerError(8, 'option refused')).toMatchObject({ kind: 'failed', reason: 'peer-error' });
    expect(t.ack(1)).toEqual({ kind: 'ignore' });
  });
});
