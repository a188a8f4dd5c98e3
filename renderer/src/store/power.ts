import { create } from 'zustand';
import type { RackbootClient } from '../../../shared/api';

/** Last known power state per node, as the core pushes it. */
export const usePower = create<{ powerOn: Record<string, boolean> }>()(() => ({ powerOn: {} }));

export function followPower(client: RackbootClient): () => void {
  return client.on('power.changed', ({ nodeId, powerOn }) =>
    usePower.setState((state) => ({ powerOn: { ...state.powerOn, [nodeId]: powerOn } })),
  );
}
