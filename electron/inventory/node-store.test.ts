import { spawnSync } from 'node:child_process';
import { appendFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NodeDelta } from '../../shared/nodes';
import { NODES_FILE, NODES_JOURNAL, NodeStore } from './node-store';
import { KeyFileSecretBox, type SecretBox } from './secret-box';

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

  it('takes a Redfish password longer than IPMI allows, and refuses to switch that node to IPMI', async () => {
    const store = await openStore();
    const long = 'Correct-Horse-Battery-Staple-42';
    await expect(store.add({ ...server, bmcProtocol: 'ipmi', bmcPassword: long })).rejects.toThrow(/IPMI 2.0 passwords are at most 20 bytes.*Redfish/);
    const node = await store.add({ ...server, bmcProtocol: 'redfish', bmcPassword: long });
    expect(store.passwordOf(node.id)).toBe(long);
    await expect(store.update({ id: node.id, changes: { bmcProtocol: 'ipmi' } })).rejects.toThrow(/at most 20 bytes/);
    expect((await store.update({ id: node.id, changes: { bmcProtocol: 'ipmi', bmcPassword: 'short' } })).bmcProtocol).toBe('ipmi');
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
    expect(result.added).toBe(1);
    expect(result.problems.map((problem) => problem.line)).toEqual([2, 3, 4]);
    expect((await openStore()).list().map((node) => node.bmcAddress)).toEqual(['10.0.0.9', '10.0.0.1']);
  });

  it('tells its listeners each change as a numbered delta of the nodes it touched', async () => {
    const store = await openStore();
    const deltas: NodeDelta[] = [];
    store.onChange((delta) => deltas.push(delta));
    const a = await store.add(server);
    await store.update({ id: a.id, changes: { notes: 'U12' } });
    await store.remove(a.id);
    await store.remove(a.id);
    expect(deltas).toEqual([
      { revision: 1, added: [a], changed: [], removed: [] },
      { revision: 2, added: [], changed: [expect.objectContaining({ id: a.id, notes: 'U12' })], removed: [] },
      { revision: 3, added: [], changed: [], removed: [a.id] },
    ]);
  });

  it('announces a large import in parts, numbered one after another', async () => {
    const store = await openStore();
    const deltas: NodeDelta[] = [];
    store.onChange((delta) => deltas.push(delta));
    const result = await store.importHardwareInfo(hardwareInfo(250));
    expect(result.added).toBe(250);
    expect(deltas.map((delta) => delta.revision)).toEqual([1, 2, 3]);
    expect(deltas.map((delta) => delta.added.length)).toEqual([100, 100, 50]);
  });

  it('appends a small change to the journal and leaves nodes.json as it was, however many nodes there are', async () => {
    const store = await openStore();
    await store.importHardwareInfo(hardwareInfo(2000));
    const snapshot = await readFile(path.join(dir, NODES_FILE), 'utf8');
    await store.add(server);
    expect(await readFile(path.join(dir, NODES_FILE), 'utf8')).toBe(snapshot);
    const journal = await readFile(path.join(dir, NODES_JOURNAL), 'utf8');
    expect(journal.split('\n')).toHaveLength(2);
    expect(journal).not.toContain('Pa55word');
    expect((await stat(path.join(dir, NODES_JOURNAL))).mode & 0o777).toBe(0o600);
    expect((await openStore()).list()).toHaveLength(2001);
  });

  it('drops a change whose journal line a kill -9 cut short, and keeps the ones before it', async () => {
    const store = await openStore();
    await store.add(server);
    await store.add({ ...server, name: 'r1-s2', bmcAddress: '10.1.91.5' });
    await appendFile(path.join(dir, NODES_JOURNAL), '{"changes":[{"put":{"id":"torn","na');
    const reopened = await openStore();
    expect(reopened.list().map((node) => node.name)).toEqual(['r1-s1', 'r1-s2']);
    await reopened.add({ ...server, name: 'r1-s3', bmcAddress: '10.1.91.6' });
    expect((await openStore()).list().map((node) => node.name)).toEqual(['r1-s1', 'r1-s2', 'r1-s3']);
  });

  it('removes the temp files a kill -9 mid-write left, but not those of a process still running', async () => {
    const gone = spawnSync(process.execPath, ['-e', '']).pid!;
    const stale = [`.${NODES_FILE}.${gone}.0a1b2c3d.tmp`, `.${NODES_FILE}.${process.pid}.0a1b2c3e.tmp`, `.secret.key.${gone}.0a1b2c3f.tmp`];
    const live = `.${NODES_FILE}.${process.ppid}.0a1b2c40.tmp`;
    for (const name of [...stale, live]) await writeFile(path.join(dir, name), 'half a file');
    await openStore();
    const left = await readdir(dir);
    for (const name of stale) expect(left).not.toContain(name);
    expect(left).toContain(live);
  });

  it('imports in time linear in the number of lines (a tenfold file takes nowhere near a hundredfold time)', async () => {
    const plainBox: SecretBox = { scheme: 'plain-for-tests', seal: (text) => text, open: (text) => text };
    const importTime = async (lines: number): Promise<number> => {
      let best = Number.POSITIVE_INFINITY;
      for (let run = 0; run < 3; run += 1) {
        const runDir = await mkdtemp(path.join(dir, 'scale-'));
        const store = await NodeStore.open(runDir, plainBox);
        await store.add({ ...server, bmcAddress: '10.255.255.255' });
        const text = hardwareInfo(lines);
        const started = performance.now();
        const result = await store.importHardwareInfo(text);
        best = Math.min(best, performance.now() - started);
        expect(result.added).toBe(lines);
      }
      return best;
    };
    const small = await importTime(1000);
    const large = await importTime(10_000);
    // Linear is ~10×; the quadratic duplicate checks this replaced were ~100×. The margin absorbs a busy machine.
    expect(large / small).toBeLessThan(35);
  }, 60_000);

  it('refuses to open a store sealed by a different secret scheme', async () => {
    const store = await openStore();
    await store.add(server);
    const otherBox = { scheme: 'electron-safe-storage', seal: (s: string) => s, open: (s: string) => s };
    await expect(NodeStore.open(dir, otherBox)).rejects.toThrow(/sealed with aes-256-gcm-keyfile/);
  });
});

/** `count` distinct hardware_info lines. */
function hardwareInfo(count: number): string {
  const hex = (value: number): string => value.toString(16).padStart(2, '0');
  return Array.from({ length: count }, (_, i) => {
    const [a, b, c] = [(i >> 16) & 255, (i >> 8) & 255, i & 255];
    return `10.${a}.${b}.${c} 52:54:00:${hex(a)}:${hex(b)}:${hex(c)} root pw${i}`;
  }).join('\n');
}
