// The server against a scripted client on loopback: behaviours a stock client cannot provoke on demand.
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tftpTransferEventSchema, type TftpTransferEvent } from '../../../shared/pxe-transfer';
import { ServiceBindError } from '../../lib/bind-errors';
import { buildAck, buildError, buildRequest, parsePacket, type Malformed, type TftpPacket } from './codec';
import { TftpServer, type TftpEngine, type TftpServerOptions } from './server';

let dir: string;
const content = randomBytes(512 * 5 + 100);
const evenContent = randomBytes(512 * 2);
/** More than 65535 blocks of 8 bytes: the wire block number rolls over to 0. */
const rolloverContent = randomBytes(8 * 65_600 + 3);
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'rackboot-tftp-'));
  await writeFile(path.join(dir, 'file.bin'), content);
  await writeFile(path.join(dir, 'even.bin'), evenContent);
  await writeFile(path.join(dir, 'rollover.bin'), rolloverContent);
  await writeFile(path.join(dir, 'outside.bin'), 'bootloader');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

let servers: TftpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

async function startServer(
  engine: TftpEngine,
  options: Partial<TftpServerOptions> = {},
): Promise<{ server: TftpServer; port: number; events: TftpTransferEvent[] }> {
  const server = new TftpServer({ address: '127.0.0.1', port: 0, root: dir, engine, ...options });
  servers.push(server);
  const events: TftpTransferEvent[] = [];
  server.onTransfer((e) => events.push(e));
  const { port } = await server.listen();
  return { server, port, events };
}

/** A scripted client: records every packet with its source port. */
class Client {
  readonly received: { packet: TftpPacket | Malformed; port: number }[] = [];
  private readonly socket = dgram.createSocket('udp4');
  private waiters: (() => void)[] = [];

  static async open(): Promise<Client> {
    const client = new Client();
    await new Promise<void>((resolve) => client.socket.bind(0, '127.0.0.1', resolve));
    client.socket.on('message', (message, peer) => {
      client.received.push({ packet: parsePacket(message), port: peer.port });
      for (const w of client.waiters.splice(0)) w();
    });
    return client;
  }

  /** DATA packets received so far. */
  get data(): Extract<TftpPacket, { type: 'data' }>[] {
    return this.received.flatMap((r) => (r.packet.type === 'data' ? [r.packet] : []));
  }

  send(bytes: Buffer, port: number): void {
    this.socket.send(bytes, port, '127.0.0.1');
  }

  async waitFor(count: number, timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < count) {
      if (Date.now() > deadline) throw new Error(`got ${this.received.length} packets, wanted ${count}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  close(): void {
    this.socket.close();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Fetches `file` as a windowed client (ACK 0 after the OACK, then the last block of each window), checking that
 * wire block numbers follow each other modulo 2^16. Resolves with the bytes and the wire numbers seen.
 */
async function fetchWindowed(port: number, file: string, blksize: number, windowsize: number): Promise<{ bytes: Buffer; wireBlocks: number[] }> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const parts: Buffer[] = [];
  const wireBlocks: number[] = [];
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`stalled after ${parts.length} blocks`)), 20_000);
      let inWindow = 0;
      socket.on('message', (message, peer) => {
        const packet = parsePacket(message);
        if (packet.type === 'oack') socket.send(buildAck(0), peer.port, '127.0.0.1');
        if (packet.type !== 'data') return;
        if (packet.block !== ((parts.length + 1) & 0xffff)) return reject(new Error(`block ${packet.block} after ${parts.length}`));
        parts.push(Buffer.from(packet.data));
        wireBlocks.push(packet.block);
        inWindow += 1;
        const last = packet.data.length < blksize;
        if (inWindow === windowsize || last) {
          inWindow = 0;
          socket.send(buildAck(packet.block), peer.port, '127.0.0.1');
        }
        if (last) {
          clearTimeout(timer);
          resolve({ bytes: Buffer.concat(parts), wireBlocks });
        }
      });
      const options = new Map([['blksize', String(blksize)], ['windowsize', String(windowsize)]]);
      socket.send(buildRequest('rrq', file, 'octet', options), port, '127.0.0.1');
    });
  } finally {
    socket.close();
  }
}

const openDescriptors = (): number => readdirSync('/proc/self/fd').length;
const threads = (): number => readdirSync('/proc/self/task').length;

async function eventually(check: () => boolean, timeoutMs = 1000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

describe.each(['native', 'javascript'] as const)('TftpServer (%s engine)', (engine) => {
  it('answers from a new port (its transfer ID), not from the request port', async () => {
    const { port } = await startServer(engine);
    const client = await Client.open();
    client.send(buildRequest('rrq', 'file.bin', 'octet'), port);
    await client.waitFor(1);
    expect(client.received[0]?.packet).toMatchObject({ type: 'data', block: 1 });
    expect(client.received[0]?.port).not.toBe(port);
    client.close();
  });

  it('refuses a write request: the server is read-only', async () => {
    const { port } = await startServer(engine);
    const client = await Client.open();
    client.send(buildRequest('wrq', 'x', 'octet'), port);
    await client.waitFor(1);
    expect(client.received[0]?.packet).toMatchObject({ type: 'error', code: 2 });
    client.close();
  });

  it('ignores a storm of duplicate ACKs and resends only when the timeout expires', async () => {
    const { port } = await startServer(engine, { limits: { defaultTimeoutMs: 300 } });
    const client = await Client.open();
    client.send(buildRequest('rrq', 'file.bin', 'octet'), port);
    await client.waitFor(1);
    const tid = client.received[0]?.port as number;
    client.send(buildAck(1), tid);
    await client.waitFor(2);
    for (let i = 0; i < 30; i += 1) client.send(buildAck(1), tid);
    await sleep(150);
    expect(client.received).toHaveLength(2);
    await client.waitFor(3, 1000);
    expect(client.received[2]?.packet).toMatchObject({ type: 'data', block: 2 });
    client.close();
  });

  it('emits started, progress and done with bytes, total, blksize and windowsize', async () => {
    const { port, events } = await startServer(engine, { progressIntervalMs: 0 });
    const client = await Client.open();
    client.send(buildRequest('rrq', 'file.bin', 'octet', new Map([['blksize', '1024'], ['windowsize', '2']])), port);
    await client.waitFor(1);
    const tid = client.received[0]?.port as number;
    client.send(buildAck(0), tid);
    await client.waitFor(3);
    client.send(buildAck(2), tid);
    await client.waitFor(4);
    client.send(buildAck(3), tid);
    await sleep(50);
    expect(events.map((e) => e.phase)).toEqual(['started', 'progress', 'progress', 'done']);
    expect(events[2]).toMatchObject({ bytes: 2048, total: content.length, blksize: 1024, windowsize: 2 });
    expect(events[3]).toMatchObject({ bytes: content.length, file: 'file.bin', client: { address: '127.0.0.1' } });
    for (const event of events) expect(tftpTransferEventSchema.parse(event)).toEqual(event);
    client.close();
  });

  it('reports a refused request as an event with the reason', async () => {
    const { port, events } = await startServer(engine);
    const client = await Client.open();
    client.send(buildRequest('rrq', '../etc/passwd', 'octet'), port);
    await client.waitFor(1);
    expect(client.received[0]?.packet).toMatchObject({ type: 'error', code: 2 });
    expect(events).toMatchObject([{ phase: 'refused', file: '../etc/passwd', error: expect.stringContaining('..') }]);
    client.close();
  });

  it('serves an extra file by its exact name from outside the root', async () => {
    const { port } = await startServer(engine, {
      root: path.join(dir, 'missing-root'),
      extraFiles: new Map([['undionly.kpxe', path.join(dir, 'outside.bin')]]),
    });
    const client = await Client.open();
    client.send(buildRequest('rrq', 'undionly.kpxe', 'octet'), port);
    await client.waitFor(1);
    const first = client.received[0]?.packet as Extract<TftpPacket, { type: 'data' }>;
    expect(first.data.toString()).toBe('bootloader');
    client.close();
  });

  it('starts a single transfer when a client repeats its request', async () => {
    const { port, server } = await startServer(engine);
    const client = await Client.open();
    for (let i = 0; i < 5; i += 1) client.send(buildRequest('rrq', 'file.bin', 'octet'), port);
    await client.waitFor(1);
    await sleep(100);
    expect(server.activeTransfers).toBe(1);
    expect(new Set(client.received.map((r) => r.port)).size).toBe(1);
    client.close();
  });

  it('tells a client "busy" beyond the transfer limit', async () => {
    const { port } = await startServer(engine, { maxTransfers: 1 });
    const first = await Client.open();
    const second = await Client.open();
    first.send(buildRequest('rrq', 'file.bin', 'octet'), port);
    await first.waitFor(1);
    second.send(buildRequest('rrq', 'file.bin', 'octet'), port);
    await second.waitFor(1);
    expect(second.received[0]?.packet).toMatchObject({ type: 'error', code: 0, message: expect.stringMatching(/busy/) });
    first.close();
    second.close();
  });

  it('says what to do when the port is already taken', async () => {
    const { port } = await startServer(engine);
    const second = new TftpServer({ address: '127.0.0.1', port, root: dir, engine });
    const failure = await second.listen().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ServiceBindError);
    expect((failure as ServiceBindError).code).toBe('EADDRINUSE');
    expect((failure as Error).message).toMatch(/systemctl stop tftpd-hpa/);
  });
  it('sends the whole file, with an empty last block when the size divides evenly', async () => {
    const { port, events } = await startServer(engine);
    const client = await Client.open();
    client.send(buildRequest('rrq', 'even.bin', 'octet'), port);
    for (let block = 1; block <= 3; block += 1) {
      await client.waitFor(block);
      client.send(buildAck(block), client.received[0]?.port as number);
    }
    await eventually(() => events.some((e) => e.phase === 'done'));
    expect(client.data.map((d) => d.block)).toEqual([1, 2, 3]);
    expect(Buffer.concat(client.data.map((d) => d.data))).toEqual(evenContent);
    expect(client.data[2]?.data.length).toBe(0);
    client.close();
  });

  it('rolls block numbers over from 65535 to 0 and delivers every byte', async () => {
    const { port, events } = await startServer(engine);
    const { bytes, wireBlocks } = await fetchWindowed(port, 'rollover.bin', 8, 64);
    expect(bytes.equals(rolloverContent)).toBe(true);
    expect(wireBlocks.slice(65_534, 65_537)).toEqual([65_535, 0, 1]);
    await eventually(() => events.some((e) => e.phase === 'done'));
    expect(events.at(-1)).toMatchObject({ phase: 'done', bytes: rolloverContent.length });
  });

  it('resumes after the block a windowed client acknowledges, and rewinds once per repeated ACK', async () => {
    // A timeout far away: every resend below must come from an ACK, not from the timer.
    const { port } = await startServer(engine, { limits: { defaultTimeoutMs: 10_000 } });
    const client = await Client.open();
    client.send(buildRequest('rrq', 'file.bin', 'octet', new Map([['windowsize', '4']])), port);
    await client.waitFor(1);
    const tid = client.received[0]?.port as number;
    client.send(buildAck(0), tid);
    await client.waitFor(5);
    expect(client.data.map((d) => d.block)).toEqual([1, 2, 3, 4]);
    // The client lost block 3: resume from it, the window reaching up to the last block (6).
    client.send(buildAck(2), tid);
    await client.waitFor(9);
    expect(client.data.slice(4).map((d) => d.block)).toEqual([3, 4, 5, 6]);
    // The same ACK again earns one early resend; a third copy earns nothing.
    client.send(buildAck(2), tid);
    await client.waitFor(13, 1000);
    expect(client.data.slice(8).map((d) => d.block)).toEqual([3, 4, 5, 6]);
    client.send(buildAck(2), tid);
    await sleep(200);
    expect(client.received).toHaveLength(13);
    client.close();
  });

  it('gives up after maxRetries timeouts in a row and tells the client', async () => {
    const { port, events } = await startServer(engine, { maxRetries: 2, limits: { defaultTimeoutMs: 100 } });
    const client = await Client.open();
    client.send(buildRequest('rrq', 'file.bin', 'octet'), port);
    await client.waitFor(4);
    expect(client.received.map((r) => r.packet.type)).toEqual(['data', 'data', 'data', 'error']);
    expect(client.received[3]?.packet).toMatchObject({ type: 'error', code: 0, message: 'Transfer timed out' });
    await eventually(() => events.some((e) => e.phase === 'failed'));
    expect(events.at(-1)).toMatchObject({ phase: 'failed', bytes: 0, error: 'no acknowledgement after 2 retries' });
    client.close();
  });

  it('ends the transfer when the client sends an ERROR', async () => {
    const { port, events } = await startServer(engine);
    const client = await Client.open();
    client.send(buildRequest('rrq', 'file.bin', 'octet'), port);
    await client.waitFor(1);
    const tid = client.received[0]?.port as number;
    client.send(buildAck(1), tid);
    await client.waitFor(2);
    client.send(buildError(0, 'disk full, sorry'), tid);
    await eventually(() => events.some((e) => e.phase === 'failed'));
    expect(events.at(-1)).toMatchObject({ phase: 'failed', bytes: 512, error: 'client sent error 0: disk full, sorry' });
    client.close();
  });

  it('stops a waiting transfer at once when the service closes, and keeps no socket or thread', async () => {
    const { server, port, events } = await startServer(engine, { limits: { defaultTimeoutMs: 60_000 } });
    const client = await Client.open();
    const descriptorsBefore = openDescriptors();
    const threadsBefore = threads();
    client.send(buildRequest('rrq', 'file.bin', 'octet'), port);
    await client.waitFor(1);
    await eventually(() => events.length === 2);
    const startedAt = Date.now();
    await server.close();
    expect(Date.now() - startedAt).toBeLessThan(500);
    expect(events.map((e) => e.phase)).toEqual(['started', 'progress', 'failed']);
    expect(events.at(-1)).toMatchObject({ error: 'the TFTP service was stopped' });
    // The listening socket is gone too, hence one descriptor fewer than before the request. A pump thread is
    // joined (and its eventfd closed) just after its last report, so allow that a moment.
    await eventually(() => openDescriptors() === descriptorsBefore - 1 && threads() === threadsBefore);
    client.close();
  });

  it('stops a lock-step transfer at once when the service closes while the client keeps acknowledging', async () => {
    const { server, port, events } = await startServer(engine);
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    let blocks = 0;
    socket.on('message', (message, peer) => {
      const packet = parsePacket(message);
      if (packet.type === 'oack') socket.send(buildAck(0), peer.port, '127.0.0.1');
      if (packet.type !== 'data') return;
      blocks += 1;
      socket.send(buildAck(packet.block), peer.port, '127.0.0.1');
    });
    // 65,601 blocks of 8 bytes: far more than can go by before the close.
    socket.send(buildRequest('rrq', 'rollover.bin', 'octet', new Map([['blksize', '8']])), port, '127.0.0.1');
    await eventually(() => blocks > 100);
    const startedAt = Date.now();
    await server.close();
    expect(Date.now() - startedAt).toBeLessThan(500);
    expect(events.at(-1)).toMatchObject({ phase: 'failed', error: 'the TFTP service was stopped' });
    expect(blocks).toBeLessThan(65_601);
    socket.close();
  });

  it('reports exactly one outcome per transfer when the service closes as transfers complete', async () => {
    const { server, port, events } = await startServer(engine);
    const clients = await Promise.all(Array.from({ length: 20 }, () => Client.open()));
    for (const client of clients) client.send(buildRequest('rrq', 'outside.bin', 'octet'), port);
    await Promise.all(clients.map((client) => client.waitFor(1)));
    // Block 1 is the whole (10-byte) file: acknowledge it and close while the ACKs are in flight.
    for (const client of clients) client.send(buildAck(1), client.received[0]?.port as number);
    await server.close();
    const outcomes = events.filter((e) => e.phase === 'done' || e.phase === 'failed');
    expect(outcomes).toHaveLength(20);
    expect(new Set(outcomes.map((e) => e.id)).size).toBe(20);
    for (const client of clients) client.close();
  });
});
