import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NODES_FILE, NodeStore } from './node-store';
import { KeyFileSecretBox } from './secret-box';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function openStore(): Promise<NodeStore> {
  return NodeStore.open(dir, await KeyFileSecretBox.load(path.join(dir, 'secret.key')));
}

const server = { name: 'r1-s1', bmcAddress: '10.1.91.4', bmcUser: 'root', bmcPassword: 'Pa55word' };

describe('NodeStore', () => {
  it('keeps nodes across a reopen, password included', async () => {
    const store = await openStore();
    const added = await store.add(server);
    const reopened = await openStore();
    expect(reopened.list()).toEqual([added]);
    expect(reopened.passwordOf(added.id)).toBe('Pa55word');
  });

  it('never writes the password in clear, and keeps the key file private', async () => {
    const store = await openStore();
    await store.add(server);
    const raw = await readFile(path.join(dir, NODES_FILE), 'utf8');
    expect(raw).not.toContain('Pa55word');
    expect((await stat(path.join(dir, 'secret.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(path.join(dir, NODES_FILE))).mode & 0o777).toBe(0o600);
  });

  it('hides the password from every view it returns', async () => {
    const store = await openStore();
    const view = await store.add(server);
    expect(JSON.stringify(view)).not.toContain('Pa55word');
    expect(view.hasPassword).toBe(true);
    expect((await store.add({ ...server, name: 'nopw', bmcAddress: '10.1.91.5', bmcPassword: '' })).hasPassword).toBe(false);
  });

  it('keeps the stored password when an update does not name one', async () => {
    const store = await openStore();
    const view = await store.add(server);
    await store.update({ id: view.id, changes: { notes: 'rack 4, U12' } });
    expect(store.passwordOf(view.id)).toBe('Pa55word');
    await store.update({ id: view.id, changes: { bmcPassword: 'n3w' } });
    expect(store.passwordOf(view.id)).toBe('n3w');
  });

  it('refuses a second node with the same BMC, name or MAC', async () => {
    const store = await openStore();
    await store.add({ ...server, mac: '52:54:00:00:00:01' });
    await expect(store.add({ ...server, name: 'other' })).rejects.toThrow(/already enrolled/);
    await expect(store.add({ ...server, bmcAddress: '10.1.91.9' })).rejects.toThrow(/already enrolled/);
    await expect(store.add({ ...server, name: 'z', bmcAddress: '10.1.91.9', mac: '52-54-00-00-00-01' })).rejects.toThrow(/already belongs/);
  });

  it('loses no write when many changes arrive at once', async () => {
    const store = await openStore();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.add({ ...server, name: `n${i}`, bmcAddress: `10.0.0.${i + 1}` })),
    );
    expect((await openStore()).list()).toHaveLength(20);
  });

  it('imports the good hardware_info lines, reports the bad and duplicate ones', async () => {
    const store = await openStore();
    await store.add({ ...server, bmcAddress: '10.0.0.9' });
    const result = await store.importHardwareInfo(
      ['10.0.0.1 52:54:00:00:00:01 root pw', 'garbage line', '10.0.0.9 52:54:00:00:00:09 root pw', '10.0.0.1 52:54:00:00:00:02 root pw'].join('\n'),
    );
    expect(result.added.map((node) => node.bmcAddress)).toEqual(['10.0.0.1']);
    expect(result.problems.map((problem) => problem.line)).toEqual([2, 3, 4]);
    expect((await openStore()).list()).toHaveLength(2);
  });

  it('refuses to open a store sealed by a different secret scheme', async () => {
    const store = await openStore();
    await store.add(server);
    const otherBox = { scheme: 'electron-safe-storage', seal: (s: string) => s, open: (s: string) => s };
    await expect(NodeStore.open(dir, otherBox)).rejects.toThrow(/sealed with aes-256-gcm-keyfile/);
  });
});
