import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ID_PATTERN } from '../../shared/ids';
import { inventorySchema, type Inventory, type InventoryChange, type NodeInventory } from '../../shared/inventory';
import type { NodeDelta } from '../../shared/nodes';
import { readJsonFile, removeStaleTemporariesInFolder, writeFileAtomic } from '../lib/atomic-file';
import { UserFacingError } from '../lib/user-facing-error';
import { diffInventories } from './inventory-diff';

/** The folder of the data directory that holds one file per inspected node. */
export const INVENTORY_DIR = 'inventory';

const inventoryFileSchema = z.object({
  version: z.literal(1),
  latest: inventorySchema,
  previous: inventorySchema.nullable(),
});
type InventoryFile = z.infer<typeof inventoryFileSchema>;

/** What the inventory store needs of the node store: which nodes exist, where to note an inspection, and removals. */
export interface InventoryNodes {
  has(id: string): boolean;
  recordFacts(id: string, facts: { inspectedAt: string }): Promise<unknown>;
  onChange(listener: (delta: NodeDelta) => void): () => void;
}

/**
 * Each node's latest inventory and the one before it, in a file of its own (`inventory/<node id>.json`), so thousands
 * of inventories of several KB each never weigh on `nodes.json` or on the node deltas every window receives: a file is
 * read only when its node's inventory is asked for. Both are replaced together by one atomic write, so a kill -9 leaves
 * the old pair or the new one. A node's file goes with the node.
 */
export class InventoryStore {
  /** One chain of writes per node, so two saves (or a save and a removal) of one node never interleave. */
  private readonly queues = new Map<string, Promise<void>>();

  private constructor(
    private readonly dir: string,
    private readonly nodes: InventoryNodes,
  ) {
    nodes.onChange((delta) => {
      for (const id of delta.removed) void this.remove(id);
    });
  }

  /**
   * Opens the folder: temp files a killed write left are removed, and so are the files of nodes that were removed while
   * their inventory's removal had not happened yet (a kill between the two).
   */
  static async open(dataDir: string, nodes: InventoryNodes): Promise<InventoryStore> {
    const dir = path.join(dataDir, INVENTORY_DIR);
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    await removeStaleTemporariesInFolder(dir);
    for (const name of await fs.readdir(dir)) {
      const id = /^(.+)\.json$/.exec(name)?.[1];
      if (id !== undefined && ID_PATTERN.test(id) && !nodes.has(id)) await fs.rm(path.join(dir, name), { force: true });
    }
    return new InventoryStore(dir, nodes);
  }

  /**
   * Keeps `inventory` as the node's latest, the latest so far as its previous, notes the inspection on the node, and
   * answers what changed since the previous inspection (nothing for a first one).
   */
  async save(nodeId: string, inventory: Inventory): Promise<InventoryChange[]> {
    const parsed = inventorySchema.parse(inventory);
    return this.queued(nodeId, async () => {
      this.assertNode(nodeId);
      // A stored file this Rackboot cannot read is replaced: the fresh inventory is what the operator asked for.
      const current = await this.readFile(nodeId).catch((error: unknown) => {
        if (error instanceof UnreadableInventory) return null;
        throw error;
      });
      const file: InventoryFile = { version: 1, latest: parsed, previous: current?.latest ?? null };
      await writeFileAtomic(this.fileOf(nodeId), JSON.stringify(file));
      try {
        await this.nodes.recordFacts(nodeId, { inspectedAt: new Date().toISOString() });
      } catch (error) {
        // Removed while its inventory was being written: the inventory goes too, as it would have with the node.
        if (!this.nodes.has(nodeId)) await fs.rm(this.fileOf(nodeId), { force: true });
        throw error;
      }
      return current ? diffInventories(current.latest, parsed) : [];
    });
  }

  /**
   * Puts back an inventory an export carried, for a node the same import just enrolled (with its `inspectedAt`):
   * the node is not touched again, so an import of thousands costs one node-store write, not one per node.
   */
  async restore(nodeId: string, inventory: Inventory): Promise<void> {
    const parsed = inventorySchema.parse(inventory);
    await this.queued(nodeId, async () => {
      this.assertNode(nodeId);
      const file: InventoryFile = { version: 1, latest: parsed, previous: null };
      await writeFileAtomic(this.fileOf(nodeId), JSON.stringify(file));
    });
  }

  /** The node's latest inventory with what changed since the one before; null when it was never inspected. */
  async get(nodeId: string): Promise<NodeInventory | null> {
    this.assertNode(nodeId);
    const file = await this.readFile(nodeId);
    if (!file) return null;
    return {
      inventory: file.latest,
      previousCollectedAt: file.previous?.collectedAt ?? null,
      changes: file.previous ? diffInventories(file.previous, file.latest) : [],
    };
  }

  /** The latest inventory alone, for the export and the disk choice; null when never inspected. */
  async latest(nodeId: string): Promise<Inventory | null> {
    return (await this.readFile(nodeId))?.latest ?? null;
  }

  /** Forgets the node's inventories (its node was removed). */
  async remove(nodeId: string): Promise<void> {
    await this.queued(nodeId, () => fs.rm(this.fileOf(nodeId), { force: true }));
  }

  private assertNode(nodeId: string): void {
    if (!this.nodes.has(nodeId)) {
      throw new UserFacingError('node-not-found', 'That server is no longer in the inventory; refresh the list.');
    }
  }

  private async readFile(nodeId: string): Promise<InventoryFile | null> {
    const file = this.fileOf(nodeId);
    const raw = await readJsonFile(file);
    if (raw === undefined) return null;
    const parsed = inventoryFileSchema.safeParse(raw);
    if (!parsed.success) {
      throw new UnreadableInventory(file);
    }
    return parsed.data;
  }

  private fileOf(nodeId: string): string {
    if (!ID_PATTERN.test(nodeId)) throw new Error(`Not a node id: ${JSON.stringify(nodeId.slice(0, 80))}.`);
    return path.join(this.dir, `${nodeId}.json`);
  }

  private queued<T>(nodeId: string, work: () => Promise<T>): Promise<T> {
    const run = (this.queues.get(nodeId) ?? Promise.resolve()).then(work);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(nodeId, settled);
    void settled.then(() => {
      if (this.queues.get(nodeId) === settled) this.queues.delete(nodeId);
    });
    return run;
  }
}

class UnreadableInventory extends UserFacingError {
  constructor(file: string) {
    super('inventory-unreadable', `The stored inventory ${file} is not in a format this Rackboot understands: inspect the server again to replace it.`);
  }
}
