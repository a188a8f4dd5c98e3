import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { WsMessage } from '../../shared/api';
import { createCore } from '../core/core';
import { KeyFileSecretBox } from '../inventory/secret-box';
import { startHeadlessServer, type HeadlessServer } from './server';

let dir: string;
let server: HeadlessServer;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-headless-'));
  const rendererDir = path.join(dir, 'renderer');
  await mkdir(rendererDir);
  await writeFile(path.join(rendererDir, 'index.html'), '<!doctype html><title>Rackboot</title>');
  const core = await createCore({
    dataDir: path.join(dir, 'data'),
    secrets: await KeyFileSecretBox.load(path.join(dir, 'data', 'secret.key')),
    shell: 'headless',
    version: 'test',
  });
  server = await startHeadlessServer({ core, rendererDir, host: '127.0.0.1', port: 0 });
});
afterEach(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

function open(query: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api${query}`, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function request(ws: WebSocket, id: number, method: string, input: unknown): Promise<WsMessage> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData): void => {
      const message = JSON.parse(data.toString()) as WsMessage;
      if (message.kind === 'result' && message.id === id) {
        ws.off('message', onMessage);
        resolve(message);
      }
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ id, method, input }));
  });
}

describe('headless server', () => {
  it('prints a URL carrying the launch token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`);
    expect(server.token.length).toBeGreaterThanOrEqual(32);
  });

  it('refuses an API connection without the token or with a wrong one', async () => {
    await expect(open('')).rejects.toThrow(/403/);
    await expect(open('?token=nope')).rejects.toThrow(/403/);
  });

  it('refuses a page from another site even with the token', async () => {
    await expect(open(`?token=${server.token}`, { Origin: 'http://evil.example' })).rejects.toThrow(/403/);
  });

  it('answers calls and validates their payloads against the shared schema', async () => {
    const ws = await open(`?token=${server.token}`, { Origin: `http://127.0.0.1:${server.port}` });
    const bad = await request(ws, 1, 'nodes.add', { name: 'x', bmcAddress: 'not an address!', bmcUser: 'root', bmcPassword: 'pw' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid-input', message: expect.stringContaining('bmcAddress') } });
    const unknown = await request(ws, 2, 'nodes.format', {});
    expect(unknown).toMatchObject({ ok: false, error: { code: 'unknown-method' } });
    const good = await request(ws, 3, 'nodes.add', { name: 'x', bmcAddress: '10.0.0.5', bmcUser: 'root', bmcPassword: 'pw' });
    expect(good).toMatchObject({ ok: true, output: { name: 'x', bmcPort: 623, hasPassword: true } });
    ws.close();
  });

  it('refuses to flood the log unless started for a benchmark', async () => {
    const ws = await open(`?token=${server.token}`);
    const answer = await request(ws, 1, 'diagnostics.floodLog', { linesPerSecond: 100, seconds: 1 });
    expect(answer).toMatchObject({ ok: false, error: { code: 'disabled', message: expect.stringContaining('RACKBOOT_BENCH=1') } });
    ws.close();
  });

  it('pushes inventory changes to every connected client', async () => {
    const watcher = await open(`?token=${server.token}`);
    const changed = new Promise<unknown>((resolve) =>
      watcher.on('message', (data) => {
        const message = JSON.parse(data.toString()) as WsMessage;
        if (message.kind !== 'events') return;
        const changed = message.events.find((entry) => entry.event === 'nodes.changed');
        if (changed) resolve(changed.payload);
      }),
    );
    const actor = await open(`?token=${server.token}`);
    await request(actor, 1, 'nodes.add', { name: 'y', bmcAddress: '10.0.0.6', bmcUser: 'root', bmcPassword: 'pw' });
    expect(await changed).toEqual({ revision: 1, added: [expect.objectContaining({ name: 'y' })], changed: [], removed: [] });
    watcher.close();
    actor.close();
  });

  it('sends the events a call raised together in one message, in order, before the call’s result', async () => {
    const ws = await open(`?token=${server.token}`);
    const received: WsMessage[] = [];
    ws.on('message', (data) => received.push(JSON.parse(data.toString()) as WsMessage));
    await request(ws, 1, 'nodes.add', { name: 'z', bmcAddress: '10.0.0.7', bmcUser: 'root', bmcPassword: 'pw' });
    expect(received).toEqual([
      { kind: 'events', events: [expect.objectContaining({ event: 'nodes.changed' }), expect.objectContaining({ event: 'log' })] },
      expect.objectContaining({ kind: 'result', id: 1, ok: true }),
    ]);
    ws.close();
  });

  it('closes a connection whose message is over the size limit with 1009, and keeps serving the others', async () => {
    const other = await open(`?token=${server.token}`);
    const ws = await open(`?token=${server.token}`);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.on('error', () => undefined);
    ws.send(Buffer.alloc(5 * 1024 * 1024, 0x20), { binary: false });
    expect(await closed).toBe(1009);
    expect(await request(other, 1, 'app.info', {})).toMatchObject({ ok: true, output: { shell: 'headless' } });
    other.close();
  });

  it('closes a connection that sends invalid UTF-8 in a text message with 1007, and keeps serving the others', async () => {
    const other = await open(`?token=${server.token}`);
    const ws = await open(`?token=${server.token}`);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.on('error', () => undefined);
    ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect(await closed).toBe(1007);
    expect(await request(other, 1, 'app.info', {})).toMatchObject({ ok: true, output: { shell: 'headless' } });
    other.close();
  });

  it('answers a message that is not a request with an error, and keeps the connection', async () => {
    const ws = await open(`?token=${server.token}`);
    const replies: WsMessage[] = [];
    ws.on('message', (data) => replies.push(JSON.parse(data.toString()) as WsMessage));
    ws.send('not json');
    ws.send(Buffer.from('{"id":1,"method":"app.info"}'), { binary: true });
    ws.send('[1,2]');
    ws.send('{"id":"7","method":"app.info"}');
    ws.send('{"id":8,"method":42}');
    expect(await request(ws, 9, 'app.info', {})).toMatchObject({ ok: true });
    expect(replies.slice(0, 5)).toEqual([
      { kind: 'error', error: { code: 'malformed-request', message: expect.stringContaining('not JSON') } },
      { kind: 'error', error: { code: 'malformed-request', message: expect.stringContaining('binary message') } },
      { kind: 'error', error: { code: 'malformed-request', message: expect.stringContaining('expected object') } },
      { kind: 'error', error: { code: 'malformed-request', message: expect.stringContaining('id') } },
      { kind: 'result', id: 8, ok: false, error: { code: 'malformed-request', message: expect.stringContaining('method') } },
    ]);
    ws.close();
  });

  it('refuses prototype keys as methods and anywhere in a message, without touching any prototype', async () => {
    const ws = await open(`?token=${server.token}`);
    const replies: WsMessage[] = [];
    ws.on('message', (data) => replies.push(JSON.parse(data.toString()) as WsMessage));
    const ask = async (id: number, text: string): Promise<WsMessage> => {
      ws.send(text);
      await expect.poll(() => replies.some((reply) => reply.kind === 'result' && reply.id === id)).toBe(true);
      return replies.find((reply) => reply.kind === 'result' && reply.id === id)!;
    };
    for (const [id, method] of ['__proto__', 'constructor', 'toString', 'hasOwnProperty'].entries()) {
      expect(await ask(id, JSON.stringify({ id, method, input: {} }))).toMatchObject({ ok: false, error: { code: expect.stringMatching(/unknown-method|malformed-request/) } });
    }
    const node = '"name":"p","bmcAddress":"10.0.0.9","bmcUser":"root","bmcPassword":"pw"';
    expect(await ask(10, `{"id":10,"method":"nodes.add","input":{"__proto__":{"polluted":"yes","bmcPort":1},${node}}}`)).toEqual({
      kind: 'result',
      id: 10,
      ok: false,
      error: { code: 'malformed-request', message: 'A request may not contain the key "__proto__"; this one was refused whole.' },
    });
    expect(await ask(11, `{"constructor":{"prototype":{"polluted":"yes"}},"id":11,"method":"nodes.add","input":{${node}}}`)).toMatchObject({
      ok: false,
      error: { message: expect.stringContaining('"constructor"') },
    });
    expect(await ask(12, `{"id":12,"method":"nodes.add","input":{${node},"x":[[{"prototype":1}]]}}`)).toMatchObject({ ok: false, error: { message: expect.stringContaining('"prototype"') } });
    ws.send('[{"__proto__":{"polluted":"yes"}}]');
    await expect.poll(() => replies.some((reply) => reply.kind === 'error' && reply.error.message.includes('__proto__'))).toBe(true);
    expect(await ask(13, JSON.stringify({ id: 13, method: 'nodes.list', input: {} }))).toEqual({ kind: 'result', id: 13, ok: true, output: [] });
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('bmcPort');
    ws.close();
  });

  it('answers an address with bad percent-encoding with 400', async () => {
    const page = await fetch(`http://127.0.0.1:${server.port}/%E0%A4%A`);
    expect(page.status).toBe(400);
    expect(await page.text()).toContain('%-escapes');
    expect((await fetch(`http://127.0.0.1:${server.port}/`)).status).toBe(200);
  });

  it('serves the wizard with its content security policy, and nothing outside its folder', async () => {
    const page = await fetch(`http://127.0.0.1:${server.port}/`);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('Rackboot');
    const escape = await fetch(`http://127.0.0.1:${server.port}/..%2fdata%2fsecret.key`);
    expect(escape.status).toBe(404);
  });
});
