import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { NetworkJournal, type Journal } from './journal';
import { tempDirPerTest } from './test-fixtures';

const journal: Journal = {
  version: 1,
  runId: 'run-1',
  interface: 'eth2',
  bridge: { name: 'br-eth2', kind: 'linux' },
  mode: 'bridge',
  address: '192.168.2.10',
  prefixLength: 24,
  prior: { interface: 'eth2', adminUp: false, master: null, ipv4: [], routes: [], managedByNetworkManager: null },
  startedAt: '2026-11-25T03:00:00.000Z',
  phase: 'applying',
  stepsStarted: 2,
  stepsTotal: 5,
};

describe('network journal', () => {
  const tempDir = tempDirPerTest('rackboot-journal-');

  it('reads back what it wrote, private to the user', async () => {
    const store = NetworkJournal.inDataDir(tempDir());
    await store.write(journal);
    expect(await store.read()).toEqual(journal);
    expect((await stat(store.file)).mode & 0o777).toBe(0o600);
  });

  it('is null when there is no change to undo, and after clear', async () => {
    const store = NetworkJournal.inDataDir(tempDir());
    expect(await store.read()).toBeNull();
    await store.write(journal);
    await store.clear();
    expect(await store.read()).toBeNull();
  });

  it('refuses a journal that does not match the format rather than guessing an undo', async () => {
    const store = NetworkJournal.inDataDir(tempDir());
    await writeFile(store.file, JSON.stringify({ ...journal, version: 2 }));
    await expect(store.read()).rejects.toThrow(/unreadable/);
  });

  it('leaves no temporary files beside it', async () => {
    const store = NetworkJournal.inDataDir(tempDir());
    await store.write(journal);
    await store.write({ ...journal, stepsStarted: 3 });
    expect(await readdir(tempDir())).toEqual(['network-journal.json']);
    expect(JSON.parse(await readFile(store.file, 'utf8'))).toMatchObject({ stepsStarted: 3 });
  });
});
