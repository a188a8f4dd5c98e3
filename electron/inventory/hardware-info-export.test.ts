import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exportHardwareInfo, type ExportDestination } from './hardware-info-export';
import { NodeStore } from './node-store';
import { KeyFileSecretBox } from './secret-box';

let dir: string;
let store: NodeStore;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-export-'));
  store = await NodeStore.open(dir, await KeyFileSecretBox.load(path.join(dir, 'secret.key')));
  await store.add({ name: 'a', bmcAddress: '10.0.0.1', bmcUser: 'root', bmcPassword: 'Zq9secret', mac: '52:54:00:00:00:01' });
  await store.add({ name: 'b', bmcAddress: '10.0.0.2', bmcUser: 'root', bmcPassword: 'pw' });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const saveTo = (target: string | null): ExportDestination => ({ kind: 'save-dialog', choosePath: async () => target });

describe('hardware_info export to a file', () => {
  it('writes where the save dialog says, readable by the owner only, and answers without the file', async () => {
    const target = path.join(dir, 'out', 'hardware_info');
    const result = await exportHardwareInfo(store, saveTo(target), true);
    expect(result).toEqual({
      delivery: { kind: 'saved', path: target },
      exported: 1,
      passwordsIncluded: true,
      skipped: [{ name: 'b', reason: expect.stringContaining('no MAC') }],
    });
    expect(JSON.stringify(result)).not.toContain('Zq9secret');
    expect(await readFile(target, 'utf8')).toBe('10.0.0.1 52:54:00:00:00:01 root Zq9secret\n');
    expect((await stat(target)).mode & 0o777).toBe(0o600);
  });

  it('makes an existing file private when it replaces it', async () => {
    const target = path.join(dir, 'hardware_info');
    await writeFile(target, 'old', { mode: 0o644 });
    await exportHardwareInfo(store, saveTo(target), false);
    expect((await stat(target)).mode & 0o777).toBe(0o600);
  });

  it('writes no password unless asked', async () => {
    const target = path.join(dir, 'hardware_info');
    const result = await exportHardwareInfo(store, saveTo(target), false);
    expect(result.passwordsIncluded).toBe(false);
    const text = await readFile(target, 'utf8');
    expect(text).toContain('10.0.0.1 52:54:00:00:00:01 root ********');
    expect(text).not.toContain('Zq9secret');
  });

  it('writes nothing when the operator cancels the dialog', async () => {
    const result = await exportHardwareInfo(store, saveTo(null), true);
    expect(result.delivery).toEqual({ kind: 'cancelled' });
  });
});
