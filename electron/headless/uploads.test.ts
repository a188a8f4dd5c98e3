import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../core/core';
import { KeyFileSecretBox } from '../inventory/secret-box';
import { startHeadlessServer, type HeadlessServer } from './server';
import type { UploadStatus } from '../../shared/uploads';

let dir: string;
let core: Core;
let server: HeadlessServer;
const file = randomBytes(300_000);
const sha256 = createHash('sha256').update(file).digest('hex');

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-upload-http-'));
  const rendererDir = path.join(dir, 'renderer');
  await mkdir(rendererDir);
  await writeFile(path.join(rendererDir, 'index.html'), '<!doctype html><title>Rackboot</title>');
  core = await createCore({
    dataDir: path.join(dir, 'data'),
    secrets: await KeyFileSecretBox.load(path.join(dir, 'data', 'secret.key')),
    shell: 'headless',
    version: 'test',
    uploadMaxBytes: 1_000_000,
  });
  server = await startHeadlessServer({ core, rendererDir, host: '127.0.0.1', port: 0 });
});
afterEach(async () => {
  await server.close();
  await core.close();
  await rm(dir, { recursive: true, force: true });
});

const at = (suffix: string, token: string | null = server.token): string =>
  `http://127.0.0.1:${server.port}${suffix}${token === null ? '' : `?token=${token}`}`;

async function begin(body: unknown, token: string | null = server.token): Promise<Response> {
  return fetch(at('/upload', token), { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
}

function put(id: string, start: number, bytes: Uint8Array, total = file.length): Promise<Response> {
  return fetch(at(`/upload/${id}`), {
    method: 'PUT',
    body: new Uint8Array(bytes),
    headers: { 'Content-Range': `bytes ${start}-${start + bytes.length - 1}/${total}` },
  });
}

/** A PUT whose connection breaks after `sent` of the announced bytes, as a laptop losing its cable would. */
function cutPut(id: string, start: number, bytes: Uint8Array, sent: number): Promise<void> {
  return new Promise((resolve) => {
    const request = http.request(at(`/upload/${id}`), {
      method: 'PUT',
      headers: { 'Content-Range': `bytes ${start}-${start + bytes.length - 1}/${file.length}`, 'Content-Length': bytes.length },
    });
    request.on('error', () => resolve());
    request.write(bytes.subarray(0, sent), () => setTimeout(() => request.destroy(), 200));
  });
}

describe('headless uploads', () => {
  it('refuses every upload request without the launch token', async () => {
    expect((await begin({ name: 'a.raw', size: 10 }, null)).status).toBe(403);
    expect((await begin({ name: 'a.raw', size: 10 }, 'wrong')).status).toBe(403);
    const started = (await (await begin({ name: 'a.raw', size: 10 })).json()) as UploadStatus;
    expect((await fetch(at(`/upload/${started.id}`, null))).status).toBe(403);
  });

  it('resumes a PUT cut off halfway from the bytes the core reports, and the image library takes the result', async () => {
    const started = (await (await begin({ name: 'disk.raw', size: file.length, lastModified: 42, sha256 })).json()) as UploadStatus;
    await cutPut(started.id, 0, file, 150_000);
    const again = (await (await begin({ name: 'disk.raw', size: file.length, lastModified: 42, sha256 })).json()) as UploadStatus;
    expect(again.id).toBe(started.id);
    expect(again.received).toBeGreaterThan(0);
    expect(again.received).toBeLessThanOrEqual(150_000);

    const wrongOffset = await put(started.id, 0, file);
    expect(wrongOffset.status).toBe(409);
    expect(((await wrongOffset.json()) as { status: UploadStatus }).status.received).toBe(again.received);

    const done = (await (await put(started.id, again.received, file.subarray(again.received))).json()) as UploadStatus;
    expect(done).toMatchObject({ complete: true, sha256 });
    expect(await readFile(done.path!)).toEqual(file);

    const added = await core.call('images.addUpload', { uploadId: started.id, bootMode: 'bios' });
    expect(added.ok && added.output).toMatchObject({ name: 'disk.raw', sha256, size: file.length });
  });

  it('refuses a file whose checksum is wrong with 422 and leaves nothing of it', async () => {
    const started = (await (await begin({ name: 'disk.raw', size: file.length, sha256: 'ab'.repeat(32) })).json()) as UploadStatus;
    const refused = await put(started.id, 0, file);
    expect(refused.status).toBe(422);
    expect(((await refused.json()) as { message: string }).message).toContain('Rackboot removed it');
    expect(await readdir(path.join(dir, 'data', 'uploads'))).toEqual([]);
    expect((await fetch(at(`/upload/${started.id}`))).status).toBe(404);
  });

  it('answers bad requests with what is wrong', async () => {
    expect((await begin({ name: '../../etc/passwd', size: 10 })).status).toBe(400);
    expect((await begin({ name: 'big.raw', size: 1_000_001 })).status).toBe(413);
    const started = (await (await begin({ name: 'disk.raw', size: file.length })).json()) as UploadStatus;
    const noRange = await fetch(at(`/upload/${started.id}`), { method: 'PUT', body: file });
    expect(noRange.status).toBe(400);
    expect((await put(started.id, 0, file.subarray(0, 10), 99)).status).toBe(400);
    expect((await fetch(at('/upload/not-an-id'))).status).toBe(404);
    const unfinished = await core.call('images.addUpload', { uploadId: started.id, bootMode: 'bios' });
    expect(unfinished.ok ? 'added' : unfinished.error.message).toContain('finish the upload first');
  });
});
