import { create } from 'zustand';
import type { RackbootClient } from '../../../shared/api';
import type { NodeDelta, NodeView } from '../../../shared/nodes';
import { errorText } from '../api/client';

interface NodesState {
  nodes: NodeView[];
  loaded: boolean;
  loadError: string | null;
}

export const useNodes = create<NodesState>()(() => ({
  nodes: [],
  loaded: false,
  loadError: null,
}));

/**
 * The list with a delta applied, in one pass: changed nodes keep their place, added ones go to the end, removed ones
 * go. Every node a delta names carries its whole new state, so applying a delta the list already reflects changes
 * nothing — which lets deltas heard while the list was loading be replayed on it safely.
 */
export function applyNodeDelta(nodes: NodeView[], delta: Omit<NodeDelta, 'revision'>): NodeView[] {
  const removed = new Set(delta.removed);
  const updated = new Map<string, NodeView>();
  for (const node of delta.added) updated.set(node.id, node);
  for (const node of delta.changed) updated.set(node.id, node);
  const next: NodeView[] = [];
  for (const node of nodes) {
    if (removed.has(node.id)) continue;
    const update = updated.get(node.id);
    next.push(update ?? node);
    updated.delete(node.id);
  }
  for (const node of updated.values()) if (!removed.has(node.id)) next.push(node);
  return next;
}

/**
 * Loads the inventory, then follows the core's pushed deltas; the renderer never polls. A delta whose number is not
 * the one expected means one was missed (a dropped connection): the list is loaded again.
 */
export function followNodes(client: RackbootClient): () => void {
  /** The revision the next delta should carry; null until one has been seen since the last load. */
  let expected: number | null = null;
  /** Deltas heard while the list is loading, replayed on it once it arrives; null when no load is under way. */
  let heardWhileLoading: NodeDelta[] | null = null;

  const load = (): void => {
    heardWhileLoading = [];
    client
      .call('nodes.list', {})
      .then((nodes) => {
        const heard = heardWhileLoading ?? [];
        heardWhileLoading = null;
        expected = heard.length ? heard[heard.length - 1]!.revision + 1 : null;
        useNodes.setState({ nodes: heard.reduce(applyNodeDelta, nodes), loaded: true, loadError: null });
      })
      .catch((error: unknown) => {
        heardWhileLoading = null;
        useNodes.setState({ loadError: errorText(error) });
      });
  };

  const stop = client.on('nodes.changed', (delta) => {
    if (heardWhileLoading) {
      heardWhileLoading.push(delta);
      return;
    }
    if (expected !== null && delta.revision !== expected) {
      load();
      return;
    }
    expected = delta.revision + 1;
    useNodes.setState((state) => ({ nodes: applyNodeDelta(state.nodes, delta) }));
  });
  load();
  return stop;
}
