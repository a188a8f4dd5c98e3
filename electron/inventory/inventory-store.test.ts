import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NodeDelta } from '../../shared/nodes';
import { INVENTORY_DIR, InventoryStore, type InventoryNodes } from './inventory-store';
import { NODES_FILE, NodeStore } from './node-store';
import { disk, inventory } from './test-fixtures';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-inventory-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const plainBox = { scheme: 'plain-for-tests', seal: (text: string) => text, open: (text: string) => text };
const server = { name: 'r1-s1', bmcAddress: '10.1.91.4', bmcUser: 'root', bmcPassword: 'Pa55word' };

async function openBoth(): Promise<{ nodes: NodeStore; inventories: InventoryStore }> {
  const nodes = await NodeStore.open(dir, plainBox);
  return { nodes, inventories: await InventoryStore.open(dir, nodes) };
}

/** Node ids this process knows, without a node store: for the kill -9 child and the orphan test. */
function fixedNodes(ids: string[]): InventoryNodes {
  return { has: (id) => ids.includes(id), recordFacts: async () => undefined, onChange: () => () => undefined };
}

describe('InventoryStore', () => {
  it('keeps the latest inventory and the one before it across a reopen, and answers the changes', async () => {
    const { nodes, inventories } = await openBoth();
    const node = await nodes.add(server);
    expect(await inventories.get(node.id)).toBeNull();

    const first = inventory();
    expect(await inventories.save(node.id, first)).toEqual([]);
    const second = inventory({ collectedAt: '2026-12-02T10:00:00.000Z', disks: [first.disks[0]!] });
    const changes = await inventories.save(node.id, second);
    expect(changes.map((change) => change.text)).toEqual(['disk sdb is gone (2 TB SATA HDD, ATA ST2000NM0055, serial ZC20ABCD)']);

    const reopened = await openBoth();
    expect(await reopened.inventories.get(node.id)).toEqual({ inventory: second, previousCollectedAt: first.collectedAt, changes });
  });

  it('notes the inspection on the node, and the node delta carries the time, not the inventory', async () => {
    const { nodes, inventories } = await openBoth();
    const node = await nodes.add(server);
    const deltas: NodeDelta[] = [];
    nodes.onChange((delta) => deltas.push(delta));
    const before = Date.now();
    await inventories.save(node.id, inventory());
    const inspectedAt = nodes.get(node.id).inspectedAt;
    expect(Date.parse(inspectedAt!)).toBeGreaterThanOrEqual(before);
    expect(deltas).toHaveLength(1);
    expect(deltas[0]!.changed[0]!.inspectedAt).toBe(inspectedAt);
    expect(JSON.stringify(deltas)).not.toContain('ST2000NM0055');
    expect(await readFile(path.join(dir, NODES_FILE), 'utf8')).not.toContain('ST2000NM0055');
  });

  it('writes one private file per node, beside nodes.json rather than in it', async () => {
    const { nodes, inventories } = await openBoth();
    const a = await nodes.add(server);
    const b = await nodes.add({ ...server, name: 'r1-s2', bmcAddress: '10.1.91.5' });
    await inventories.save(a.id, inventory());
    await inventories.save(b.id, inventory());
    expect((await readdir(path.join(dir, INVENTORY_DIR))).sort()).toEqual([`${a.id}.json`, `${b.id}.json`].sort());
    expect((await stat(path.join(dir, INVENTORY_DIR, `${a.id}.json`))).mode & 0o777).toBe(0o600);
  });

  it('removes a node inventory with the node, and on opening the one of a node removed before it could be', async () => {
    const { nodes, inventories } = await openBoth();
    const a = await nodes.add(server);
    const b = await nodes.add({ ...server, name: 'r1-s2', bmcAddress: '10.1.91.5' });
    await inventories.save(a.id, inventory());
    await inventories.save(b.id, inventory());
    await nodes.remove(a.id);
    await inventories.remove(a.id); // waits for the removal the node store's delta queued
    expect(await readdir(path.join(dir, INVENTORY_DIR))).toEqual([`${b.id}.json`]);

    await InventoryStore.open(dir, fixedNodes([]));
    expect(await readdir(path.join(dir, INVENTORY_DIR))).toEqual([]);
  });

  it('refuses an inventory for a node that does not exist, and ids that would climb out of the folder', async () => {
    const { inventories } = await openBoth();
    await expect(inventories.save('n1', inventory())).rejects.toThrow(/no longer in the inventory/);
    const open = await InventoryStore.open(dir, fixedNodes(['..', '../nodes', 'a/b']));
    for (const id of ['..', '../nodes', 'a/b']) await expect(open.save(id, inventory()), id).rejects.toThrow(/^Not a node id/);
    expect(await readdir(path.join(dir, INVENTORY_DIR))).toEqual([]);
  });

  it('refuses an inventory that breaks the schema, naming the field', async () => {
    const { nodes, inventories } = await openBoth();
    const node = await nodes.add(server);
    const bad = { ...inventory(), disks: [{ ...disk({ name: 'sda' }), sizeBytes: -1 }] };
    await expect(inventories.save(node.id, bad)).rejects.toThrow(/sizeBytes/);
    expect(await inventories.get(node.id)).toBeNull();
  });

  it('ignores a torn temp file a kill -9 left and keeps the inventories written before it', async () => {
    const { nodes, inventories } = await openBoth();
    const node = await nodes.add(server);
    const first = inventory();
    const second = inventory({ collectedAt: '2026-12-02T10:00:00.000Z', memoryBytes: 128 * 1024 ** 3 });
    await inventories.save(node.id, first);
    await inventories.save(node.id, second);
    const gone = spawnSync(process.execPath, ['-e', '']).pid!;
    const torn = `.${node.id}.json.${gone}.0a1b2c3d.tmp`;
    await writeFile(path.join(dir, INVENTORY_DIR, torn), JSON.stringify({ version: 1, latest: inventory() }).slice(0, 300));

    const reopened = await openBoth();
    expect(await readdir(path.join(dir, INVENTORY_DIR))).toEqual([`${node.id}.json`]);
    const stored = await reopened.inventories.get(node.id);
    expect(stored?.inventory).toEqual(second);
    expect(stored?.previousCollectedAt).toBe(first.collectedAt);
    expect(stored?.changes.map((change) => change.text)).toEqual(['memory 64 GiB → 128 GiB']);
  });

  it('replaces a stored file it cannot read when the server is inspected again', async () => {
    const { nodes, inventories } = await openBoth();
    const node = await nodes.add(server);
    await writeFile(path.join(dir, INVENTORY_DIR, `${node.id}.json`), '{"version":0}');
    await expect(inventories.get(node.id)).rejects.toThrow(/inspect the server again/);
    expect(await inventories.save(node.id, inventory())).toEqual([]);
    expect((await inventories.get(node.id))?.inventory).toEqual(inventory());
  });

  it('survives kill -9 in the middle of a stream of saves: each file holds a whole latest and previous pair', async () => {
    const script = `
      const { InventoryStore } = await import(${JSON.stringify(path.resolve('electron/inventory/inventory-store.ts'))});
      const { inventory } = await import(${JSON.stringify(path.resolve('electron/inventory/test-fixtures.ts'))});
      const nodes = { has: () => true, recordFacts: async () => undefined, onChange: () => () => undefined };
      const store = await InventoryStore.open(process.argv[1], nodes);
      for (let i = 0; ; i++) {
        await store.save('n' + (i % 3), inventory({ collectedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(), memoryBytes: i * 1024 }));
        if (i === 20) process.stdout.write('busy\\n');
      }
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));

    const reopened = await InventoryStore.open(dir, fixedNodes(['n0', 'n1', 'n2']));
    expect((await readdir(path.join(dir, INVENTORY_DIR))).sort()).toEqual(['n0.json', 'n1.json', 'n2.json']);
    for (const id of ['n0', 'n1', 'n2']) {
      const stored = await reopened.get(id);
      const saved = stored!.inventory.memoryBytes / 1024;
      expect(saved % 3, id).toBe(Number(id.slice(1)));
      expect(stored!.previousCollectedAt, id).toBe(new Date(Date.UTC(2026, 0, 1, 0, 0, saved - 3)).toISOString());
    }
  }, 30_000);
});
