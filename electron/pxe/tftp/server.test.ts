// The server against a scripted client on loopback: behaviours a stock client cannot provoke on demand.
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TftpTransferEventSchema, type TftpTransferEvent } from '../../../shared/pxe-transfer';
import { ServiceBindError } from '../bind-errors';
import { buildAck, buildRequest, parsePacket, type Malformed, type TftpPacket } from './codec';
import { TftpServer, type TftpServerOptions } from './server';

let dir: string;
const content = randomBytes(512 * 5 + 100);
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'rackboot-tftp-'));
  await writeFile(path.join(dir, 'file.bin'), content);
  await writeFile(path.join(dir, 'outside.bin'), 'bootloader');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

let servers: TftpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

async function startServer(options: Partial<TftpServerOptions> = {}): Promise<{ server: TftpServer; port: number; events: TftpTransferEvent[] }> {
  const server = new TftpServer({ address: '127.0.0.1', port: 0, root: dir, ...options });
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

describe('TftpServer', () => {
  it('answers from a new port (its transfer ID), not from the request port', async () => {
    const { port } = await startServer();
    const client = await Client.open();
    client.send(buildRequest('rrq', 'file.bin', 'octet'), port);
    await client.waitFor(1);
    expect(client.received[0]?.packet).toMatchObject({ type: 'data', block: 1 });
    expect(client.received[0]?.port).not.toBe(port);
    client.close();
  });

  it('refuses a write request: the server is read-only', async () => {
    const { port } = await startServer();
    const client = await Client.open();
    client.send(buildRequest('wrq', 'x', 'octet'), port);
    await client.waitFor(1);
    expect(client.received[0]?.packet).toMatchObject({ type: 'error', code: 2 });
    client.close();
  });

  it('ignores a storm of duplicate ACKs and resends only when the timeout expires', async () => {
    const { port } = await startServer({ limits: { defaultTimeoutMs: 300 } });
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
    const { port, events } = await startServer({ progressIntervalMs: 0 });
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
    for (const event of events) expect(TftpTransferEventSchema.parse(event)).toEqual(event);
    client.close();
  });

  it('reports a refused request as an event with the reason', async () => {
    const { port, events } = await startServer();
    const client = await Client.open();
    client.send(buildRequest('rrq', '../etc/passwd', 'octet'), port);
    await client.waitFor(1);
    expect(client.received[0]?.packet).toMatchObject({ type: 'error', code: 2 });
    expect(events).toMatchObject([{ phase: 'refused', file: '../etc/passwd', error: expect.stringContaining('..') }]);
    client.close();
  });

  it('serves an extra file by its exact name from outside the root', async () => {
    const { port } = await startServer({
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
    const { port, server } = await startServer();
    const client = await Client.open();
    for (let i = 0; i < 5; i += 1) client.send(buildRequest('rrq', 'file.bin', 'octet'), port);
    await client.waitFor(1);
    await sleep(100);
    expect(server.activeTransfers).toBe(1);
    expect(new Set(client.received.map((r) => r.port)).size).toBe(1);
    client.close();
  });

  it('tells a client "busy" beyond the transfer limit', async () => {
    const { port } = await startServer({ maxTransfers: 1 });
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
    const { port } = await startServer();
    const second = new TftpServer({ address: '127.0.0.1', port, root: dir });
    const failure = await second.listen().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ServiceBindError);
    expect((failure as ServiceBindError).code).toBe('EADDRINUSE');
    expect((failure as Error).message).toMatch(/systemctl stop tftpd-hpa/);
  });
});
