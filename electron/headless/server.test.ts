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

  it('serves the wizard with its content security policy, and nothing outside its folder', async () => {
    const page = await fetch(`http://127.0.0.1:${server.port}/`);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('Rackboot');
    const escape = await fetch(`http://127.0.0.1:${server.port}/..%2fdata%2fsecret.key`);
    expect(escape.status).toBe(404);
  });
});
