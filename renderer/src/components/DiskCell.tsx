import { Typography } from '@mui/material';
import { useEffect } from 'react';
import type { NodeView } from '../../../shared/nodes';
import { useClient } from '../api/context';
import { useDeploy } from '../store/deploy';
import { loadInventory, useInventories } from '../store/inventories';
import { diskChoiceText } from './DiskChoice';

/** A row's disk to deploy to, and why, before its deploy starts; its inventory is fetched only once it was inspected. */
export function DiskCell({ node }: { node: NodeView }): React.JSX.Element {
  const client = useClient();
  const cached = useInventories((state) => state.byNode[node.id]);
  const settingsDisk = useDeploy((state) => state.settings?.disk ?? 'auto');
  useEffect(() => {
    void loadInventory(client, node);
  }, [client, node]);
  const inventory = cached && cached.inspectedAt === node.inspectedAt ? (cached.inventory?.inventory ?? null) : null;
  const { choice, text } = diskChoiceText(node, inventory, settingsDisk);
  return (
    <Typography variant="caption" component="div" color={choice && !choice.ok ? 'error' : 'text.secondary'} aria-label={`Disk of ${node.name}`}>
      {text}
      {node.eraseTargetDisk && ' Erase confirmed.'}
      {node.cleaning !== 'none' && ` Cleaning: ${node.cleaning === 'target' ? 'the target disk' : 'every disk'}.`}
    </Typography>
  );
}
