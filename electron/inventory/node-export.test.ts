import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { linesInParts } from '../../shared/nodes';
import { exportNodeLines, type ExportDestination } from './hardware-info-export';
import { InventoryStore } from './inventory-store';
import { importNodeLines } from './node-import';
import { NodeStore } from './node-store';
import { KeyFileSecretBox } from './secret-box';
import { inventory } from './test-fixtures';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-node-lines-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function openRackboot(name: string): Promise<{ nodes: NodeStore; inventories: InventoryStore }> {
  const dataDir = path.join(dir, name);
  const nodes = await NodeStore.open(dataDir, await KeyFileSecretBox.load(path.join(dataDir, 'secret.key')));
  return { nodes, inventories: await InventoryStore.open(dataDir, nodes) };
}

const saveTo = (target: string): ExportDestination => ({ kind: 'save-dialog', choosePath: async () => target });

describe('Rackboot export (JSON Lines) and its import', () => {
  it('carries every server with its settings, disk choice and latest inventory to another Rackboot', async () => {
    const source = await openRackboot('source');
    const inspected = await source.nodes.add({
      name: 'r1-s1',
      bmcAddress: '10.1.91.4',
      bmcUser: 'root',
      bmcPassword: 'Zq9secret',
      mac: '52:54:00:00:00:01',
      notes: 'rack 1, U12',
      rootDeviceHints: { serial: 'ZC20ABCD', size: '>= 100' },
      eraseTargetDisk: true,
      cleaning: 'target',
    });
    await source.nodes.add({ name: 'r1-s2', bmcAddress: '10.1.91.5', bmcUser: 'admin', bmcPassword: 'other' });
    await source.inventories.save(inspected.id, inventory({ collectedAt: '2026-11-30T10:00:00.000Z' }));
    await source.inventories.save(inspected.id, inventory());
    const file = path.join(dir, 'rackboot-nodes.jsonl');
    const exported = await exportNodeLines(source.nodes, source.inventories, saveTo(file), true);
    expect(exported).toMatchObject({ exported: 2, skipped: [], delivery: { kind: 'saved', path: file } });

    const target = await openRackboot('target');
    const text = await readFile(file, 'utf8');
    expect(await importNodeLines(target.nodes, target.inventories, text, 1)).toEqual({ added: 2, problems: [] });
    const [first, second] = target.nodes.list();
    expect(first).toMatchObject({
      name: 'r1-s1',
      bmcAddress: '10.1.91.4',
      bmcUser: 'root',
      mac: '52:54:00:00:00:01',
      notes: 'rack 1, U12',
      rootDeviceHints: { serial: 'ZC20ABCD', size: '>= 100' },
      // A confirmation to destroy data is given in the wizard for what the disk holds then, never carried by a file.
      eraseTargetDisk: false,
      cleaning: 'target',
      inspectedAt: source.nodes.get(inspected.id).inspectedAt,
    });
    expect(target.nodes.passwordOf(first!.id)).toBe('Zq9secret');
    expect(await target.inventories.get(first!.id)).toEqual({ inventory: inventory(), previousCollectedAt: null, changes: [] });
    expect(second).toMatchObject({ name: 'r1-s2', inspectedAt: null, mac: null });
    expect(await target.inventories.get(second!.id)).toBeNull();

    const reopened = await openRackboot('target');
    expect((await reopened.inventories.get(first!.id))?.inventory).toEqual(inventory());
  });

  it('writes no password unless asked, and refuses the placeholder on import, naming the line', async () => {
    const source = await openRackboot('source');
    await source.nodes.add({ name: 'r1-s1', bmcAddress: '10.1.91.4', bmcUser: 'root', bmcPassword: 'Zq9secret' });
    const file = path.join(dir, 'out.jsonl');
    await exportNodeLines(source.nodes, source.inventories, saveTo(file), false);
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain('Zq9secret');
    const target = await openRackboot('target');
    const result = await importNodeLines(target.nodes, target.inventories, `\n${text}`, 1);
    expect(result.added).toBe(0);
    expect(result.problems).toEqual([{ line: 2, text: 'r1-s1 (BMC 10.1.91.4)', reason: expect.stringContaining("put the BMC's password in its place") }]);
    expect(JSON.stringify(result)).not.toContain('Zq9secret');
  });

  it('reports bad lines by their number in the whole file and imports the good ones', async () => {
    const source = await openRackboot('source');
    const node = await source.nodes.add({ name: 'r1-s1', bmcAddress: '10.1.91.4', bmcUser: 'root', bmcPassword: 'pw' });
    await source.inventories.save(node.id, inventory());
    const file = path.join(dir, 'out.jsonl');
    await exportNodeLines(source.nodes, source.inventories, saveTo(file), true);
    const good = (await readFile(file, 'utf8')).trim();
    const line = JSON.parse(good) as Record<string, unknown>;
    const badDisk = JSON.stringify({ ...line, bmcAddress: '10.1.91.9', inventory: { ...inventory(), memoryBytes: 'lots' } });
    const badHint = JSON.stringify({ ...line, bmcAddress: '10.1.91.8', rootDeviceHints: { size: 'big' } });
    const lines = ['10.1.91.7 52:54:00:00:00:07 root pw', badDisk, badHint, good, good];
    const target = await openRackboot('target');
    const result = await importNodeLines(target.nodes, target.inventories, lines.join('\n'), 41);
    expect(result.added).toBe(1);
    expect(result.problems).toEqual([
      { line: 41, text: '(not shown: it may hold a password)', reason: expect.stringContaining('not JSON') },
      { line: 42, text: 'r1-s1 (BMC 10.1.91.9)', reason: expect.stringMatching(/^inventory\.memoryBytes: /) },
      { line: 43, text: 'r1-s1 (BMC 10.1.91.8)', reason: expect.stringMatching(/^rootDeviceHints\.size: size is whole GiB/) },
      { line: 45, text: 'r1-s1 (BMC 10.1.91.4)', reason: 'already enrolled as "r1-s1" (same BMC address)' },
    ]);
  });

  it('cuts a large file into parts of whole lines numbered by their first line', () => {
    const lines = Array.from({ length: 10 }, (_, index) => `line-${index + 1}`.padEnd(99, '.'));
    const parts = linesInParts(lines.join('\n'), 350);
    expect(parts.map((part) => part.firstLine)).toEqual([1, 4, 7, 10]);
    expect(parts.flatMap((part) => part.text.split('\n'))).toEqual(lines);
    expect(linesInParts('\n\n')).toEqual([]);
  });
});
