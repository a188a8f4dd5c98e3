import type { IronicApi } from './api-client';
import { fromIronicNode, type ImportOutcome } from './node-mapping';

/** Ironic's nodes (all, or those named or with these UUIDs) as Rackboot could enrol them, each with why not if not. */
export async function readIronicNodes(api: IronicApi, names: readonly string[]): Promise<ImportOutcome[]> {
  const [nodes, ports] = await Promise.all([api.listNodes(), api.listPorts()]);
  const wanted = new Set(names);
  const chosen = wanted.size ? nodes.filter((node) => wanted.has(node.uuid) || (node.name !== null && wanted.has(node.name))) : nodes;
  const outcomes = chosen.map((node) => fromIronicNode(node, ports));
  const found = new Set(chosen.flatMap((node) => [node.uuid, node.name ?? '']));
  for (const name of wanted) {
    if (!found.has(name)) outcomes.push({ ok: false, name, reason: 'Ironic has no node with this name or UUID' });
  }
  return outcomes;
}
