import type { ImportResult } from '../../shared/nodes';
import type { InventoryStore } from './inventory-store';
import type { NodeStore } from './node-store';

/**
 * Takes back a part of Rackboot's own export: the servers are enrolled in one node-store write, then each one's
 * inventory is put back in its own file. A kill between the two leaves servers whose inventory the next Inspect
 * collects again; nothing is half-written.
 */
export async function importNodeLines(nodes: NodeStore, inventories: InventoryStore, text: string, firstLine: number): Promise<ImportResult> {
  const { result, added } = await nodes.importNodeLines(text, firstLine);
  for (const { id, entry } of added) {
    if (entry.inventory && nodes.has(id)) await inventories.restore(id, entry.inventory);
  }
  return result;
}
