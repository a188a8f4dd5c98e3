import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { WsMessage } from '../../shared/api';
import { createCore } from '../core/core';
import { KeyFileSecretBox } from '../inventory/secret-box';
import { DownloadShelf } from './downloads';
import { startHeadlessServer, type HeadlessServer } from './server';

let dir: string;
let server: HeadlessServer;
let shelf: DownloadShelf;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-downloads-'));
  const rendererDir = path.join(dir, 'renderer');
  await mkdir(rendererDir);
  await writeFile(path.join(rendererDir, 'index.html'), '<!doctype html><title>Rackboot</title>');
  shelf = new DownloadShelf();
  const core = await createCore({
    dataDir: path.join(dir, 'data'),
    secrets: await KeyFileSecretBox.load(path.join(dir, 'data', 'secret.key')),
    shell: 'headless',
    version: 'test',
    exportDestination: shelf.destination,
  });
  server = await startHeadlessServer({ core, rendererDir, host: '127.0.0.1', port: 0, downloads: shelf });
});
afterEach(async () => {
  shelf.clear();
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

/** One call over the API as the page makes it; every message the socket received comes back too. */
async function call(method: string, input: unknown): Promise<{ output: unknown; heard: string }> {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api?token=${server.token}`);
  let heard = '';
  try {
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    return await new Promise((resolve, reject) => {
      ws.on('message', (data) => {
        heard += data.toString();
        const message = JSON.parse(data.toString()) as WsMessage;
        if (message.kind !== 'result') return;
        if (message.ok) resolve({ output: message.output, heard });
        else reject(new Error(message.error.message));
      });
      ws.send(JSON.stringify({ id: 1, method, input }));
    });
  } finally {
    ws.close();
  }
}

const download = (url: string, token: string | null): Promise<Response> =>
  fetch(`http://127.0.0.1:${server.port}${url}${token === null ? '' : `?token=${token}`}`);

describe('hardware_info export in headless mode', () => {
  beforeEach(async () => {
    await call('nodes.add', { name: 'a', bmcAddress: '10.0.0.1', bmcUser: 'root', bmcPassword: 'Zq9secret', mac: '52:54:00:00:00:01' });
  });

  it('answers the API with a download link, never with the file or a password', async () => {
    const { output, heard } = await call('nodes.exportHardwareInfo', { includePasswords: true });
    expect(output).toEqual({
      delivery: { kind: 'download', url: expect.stringMatching(/^\/download\/[\w-]{24}$/) },
      exported: 1,
      passwordsIncluded: true,
      skipped: [],
    });
    expect(heard).not.toContain('Zq9secret');
  });

  it('serves the file once, as an attachment, to a request with the launch token', async () => {
    const { output } = await call('nodes.exportHardwareInfo', { includePasswords: true });
    const { url } = (output as { delivery: { url: string } }).delivery;
    expect((await download(url, null)).status).toBe(403);
    expect((await download(url, 'wrong-token')).status).toBe(403);
    const response = await download(url, server.token);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="hardware_info"');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.text()).toBe('10.0.0.1 52:54:00:00:00:01 root Zq9secret\n');
    expect((await download(url, server.token)).status).toBe(404);
  });

  it('leaves passwords out unless the operator asks for them', async () => {
    const { output } = await call('nodes.exportHardwareInfo', {});
    const { url } = (output as { delivery: { url: string } }).delivery;
    const text = await (await download(url, server.token)).text();
    expect(text).toContain('10.0.0.1 52:54:00:00:00:01 root ********');
    expect(text).not.toContain('Zq9secret');
  });

  it('has no file for a ticket it never offered', async () => {
    expect((await download('/download/made-up-ticket', server.token)).status).toBe(404);
  });
});
