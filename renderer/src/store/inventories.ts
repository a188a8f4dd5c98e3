import { create } from 'zustand';
import type { RackbootClient } from '../../../shared/api';
import type { NodeInventory } from '../../../shared/inventory';
import type { NodeView } from '../../../shared/nodes';
import { errorText } from '../api/client';

/** A node's inventory as last fetched, and for which inspection: a newer `inspectedAt` on the node means fetch again. */
export interface CachedInventory {
  inspectedAt: string | null;
  inventory: NodeInventory | null;
  error: string | null;
}

interface InventoriesState {
  byNode: Record<string, CachedInventory>;
}

/**
 * Inventories are fetched one node at a time, when a view needs one (the details panel, a row of the Boot step), and
 * kept until the node's `inspectedAt` moves on: they never travel with the node list or its deltas.
 */
export const useInventories = create<InventoriesState>()(() => ({ byNode: {} }));

const loading = new Map<string, Promise<void>>();

/** Fetches the node's inventory unless the one held is of its latest inspection; never inspected is known without asking. */
export function loadInventory(client: RackbootClient, node: NodeView): Promise<void> {
  const held = useInventories.getState().byNode[node.id];
  if (held && held.inspectedAt === node.inspectedAt && held.error === null) return Promise.resolve();
  if (node.inspectedAt === null) {
    store(node.id, { inspectedAt: null, inventory: null, error: null });
    return Promise.resolve();
  }
  const key = `${node.id} ${node.inspectedAt}`;
  const pending = loading.get(key);
  if (pending) return pending;
  const load = client
    .call('nodes.inventory', { id: node.id })
    .then(
      (inventory) => store(node.id, { inspectedAt: node.inspectedAt, inventory, error: null }),
      (error: unknown) => store(node.id, { inspectedAt: node.inspectedAt, inventory: null, error: errorText(error) }),
    )
    .finally(() => loading.delete(key));
  loading.set(key, load);
  return load;
}

function store(nodeId: string, cached: CachedInventory): void {
  useInventories.setState((state) => ({ byNode: { ...state.byNode, [nodeId]: cached } }));
}
