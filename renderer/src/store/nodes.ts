import { create } from 'zustand';
import type { RackbootClient } from '../../../shared/api';
import type { NodeView } from '../../../shared/nodes';
import { errorText } from '../api/client';

interface NodesState {
  nodes: NodeView[];
  loaded: boolean;
  loadError: string | null;
  setNodes(nodes: NodeView[]): void;
}

export const useNodes = create<NodesState>()((set) => ({
  nodes: [],
  loaded: false,
  loadError: null,
  setNodes: (nodes) => set({ nodes, loaded: true, loadError: null }),
}));

/** Loads the inventory once, then follows the core's pushed changes; the renderer never polls. */
export function followNodes(client: RackbootClient): () => void {
  const stop = client.on('nodes.changed', (nodes) => useNodes.getState().setNodes(nodes));
  client
    .call('nodes.list', {})
    .then((nodes) => useNodes.getState().setNodes(nodes))
    .catch((error: unknown) => useNodes.setState({ loadError: errorText(error) }));
  return stop;
}
