import {
  Alert,
  Box,
  Button,
  Chip,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  Divider,
  List,
  ListItem,
  Stack,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Typography,
} from '@mui/material';
import { useEffect, useState } from 'react';
import type { Inventory, InventoryDisk, RootDeviceHints } from '../../../shared/inventory';
import {
  describeCpus,
  describeDiskContents,
  describeLink,
  describeSwitchPort,
  diskKind,
  formatDiskSize,
  formatMemory,
} from '../../../shared/inventory-text';
import { errorText } from '../api/client';
import { useClient } from '../api/context';
import { useDeploy } from '../store/deploy';
import { loadInventory, useInventories } from '../store/inventories';
import { useNodes } from '../store/nodes';
import { hintsForDisk } from './disk-hints';
import { DiskChoice, diskChoiceText } from './DiskChoice';

function when(iso: string): string {
  return new Date(iso).toLocaleString();
}

function Facts({ inventory }: { inventory: Inventory }): React.JSX.Element {
  const { system } = inventory;
  const rows: [string, string][] = [
    ['System', [system.vendor, system.product].filter(Boolean).join(' ') || 'unknown'],
    ['Serial', system.serial ?? 'unknown'],
    ['UUID', system.uuid ?? 'unknown'],
    ['CPUs', describeCpus(inventory.cpu)],
    ['Memory', formatMemory(inventory.memoryBytes)],
    ['Boot mode', inventory.bootMode === 'uefi' ? 'UEFI' : 'BIOS (legacy)'],
  ];
  return (
    <Table size="small" aria-label="System">
      <TableBody>
        {rows.map(([label, value]) => (
          <TableRow key={label}>
            <TableCell component="th" scope="row" sx={{ width: 140 }}>
              {label}
            </TableCell>
            <TableCell>{value}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

interface DisksProps {
  disks: InventoryDisk[];
  target: string | null;
  onPick(hints: RootDeviceHints): void;
}

function Disks({ disks, target, onPick }: DisksProps): React.JSX.Element {
  if (disks.length === 0) return <Alert severity="warning">The agent saw no disk: is the storage controller’s driver in the ramdisk?</Alert>;
  return (
    <Table size="small" aria-label="Disks">
      <TableHead>
        <TableRow>
          <TableCell>Disk</TableCell>
          <TableCell>Size and kind</TableCell>
          <TableCell>Model and serial</TableCell>
          <TableCell>Holds</TableCell>
          <TableCell>Path</TableCell>
          <TableCell align="right" />
        </TableRow>
      </TableHead>
      <TableBody>
        {disks.map((disk) => (
          <TableRow key={disk.name}>
            <TableCell>
              {disk.name}
              {disk.name === target && <Chip size="small" color="primary" label="deploy target" sx={{ ml: 1 }} />}
              {(disk.removable || disk.readOnly || disk.virtualMedia) && (
                <Chip
                  size="small"
                  variant="outlined"
                  label={disk.virtualMedia ? 'virtual media' : disk.readOnly ? 'read-only' : 'removable'}
                  sx={{ ml: 1 }}
                />
              )}
            </TableCell>
            <TableCell>
              {formatDiskSize(disk.sizeBytes)} {diskKind(disk)}
            </TableCell>
            <TableCell>
              {[disk.vendor, disk.model].filter(Boolean).join(' ') || '—'}
              {disk.serial && (
                <Typography variant="caption" component="div">
                  serial {disk.serial}
                  {disk.wwn ? ` · WWN ${disk.wwn}` : ''}
                </Typography>
              )}
            </TableCell>
            <TableCell>{describeDiskContents(disk)}</TableCell>
            <TableCell sx={{ fontFamily: 'monospace', fontSize: 12 }}>{disk.byPath ?? '—'}</TableCell>
            <TableCell align="right">
              <Button size="small" aria-label={`Deploy to ${disk.name}`} onClick={() => onPick(hintsForDisk(disk, disks))}>
                Use this disk
              </Button>
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

function Nics({ inventory }: { inventory: Inventory }): React.JSX.Element {
  return (
    <Table size="small" aria-label="Network interfaces">
      <TableHead>
        <TableRow>
          <TableCell>NIC</TableCell>
          <TableCell>MAC</TableCell>
          <TableCell>Driver</TableCell>
          <TableCell>Link</TableCell>
          <TableCell>Switch port (LLDP)</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {inventory.nics.map((nic) => (
          <TableRow key={nic.mac}>
            <TableCell>{nic.name}</TableCell>
            <TableCell sx={{ fontFamily: 'monospace' }}>{nic.mac}</TableCell>
            <TableCell>
              {nic.driver ?? '—'}
              {nic.pciAddress && (
                <Typography variant="caption" component="div">
                  {nic.pciAddress}
                </Typography>
              )}
            </TableCell>
            <TableCell>{describeLink(nic)}</TableCell>
            <TableCell>
              {nic.lldp ? (
                <>
                  {describeSwitchPort(nic.lldp)}
                  {(nic.lldp.portDescription || nic.lldp.vlans.length > 0) && (
                    <Typography variant="caption" component="div">
                      {[nic.lldp.portDescription, nic.lldp.vlans.length ? `VLAN ${nic.lldp.vlans.join(', ')}` : null].filter(Boolean).join(' · ')}
                    </Typography>
                  )}
                </>
              ) : (
                '—'
              )}
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

/** Everything Rackboot knows of one server's hardware, its Inspect action, and the choice of the disk to deploy to. */
export function NodeDetails({ nodeId, onClose }: { nodeId: string; onClose(): void }): React.JSX.Element | null {
  const client = useClient();
  const node = useNodes((state) => state.nodes.find((candidate) => candidate.id === nodeId));
  const cached = useInventories((state) => state.byNode[nodeId]);
  const record = useDeploy((state) => state.records[nodeId]);
  const settingsDisk = useDeploy((state) => state.settings?.disk ?? 'auto');
  const [failure, setFailure] = useState<string | null>(null);

  useEffect(() => {
    if (node) void loadInventory(client, node);
  }, [client, node]);

  if (!node) return null;
  const stored = cached && cached.inspectedAt === node.inspectedAt ? cached : undefined;
  const inventory = stored?.inventory?.inventory ?? null;
  const choice = inventory ? diskChoiceText(node, inventory, settingsDisk).choice : null;

  const inspect = async (): Promise<void> => {
    setFailure(null);
    try {
      await client.call('nodes.inspect', { id: node.id });
    } catch (error) {
      setFailure(errorText(error));
    }
  };

  const pick = async (hints: RootDeviceHints): Promise<void> => {
    setFailure(null);
    try {
      // Another disk than the one the erase confirmation named: the confirmation is asked again.
      await client.call('nodes.update', { id: node.id, changes: { rootDeviceHints: hints, eraseTargetDisk: false } });
    } catch (error) {
      setFailure(errorText(error));
    }
  };

  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="lg" aria-labelledby="node-details-title">
      <DialogTitle id="node-details-title">Hardware of {node.name}</DialogTitle>
      <DialogContent>
        <Stack spacing={2}>
          <Stack direction="row" spacing={2} sx={{ alignItems: 'center', flexWrap: 'wrap' }}>
            <Typography variant="body2" aria-label="Inspected">
              {node.inspectedAt ? `Inspected ${when(node.inspectedAt)}` : 'Not inspected yet'}
              {stored?.inventory?.previousCollectedAt && ` (the inspection before: ${when(stored.inventory.previousCollectedAt)})`}
            </Typography>
            <Button variant="outlined" size="small" disabled={record?.status === 'running'} onClick={() => void inspect()}>
              Inspect
            </Button>
            {record?.status === 'running' && <Chip size="small" color="info" aria-label="Inspect progress" label={`running · ${record.phase}`} />}
          </Stack>
          {record?.status === 'failed' && record.failure && (
            <Alert severity="error">
              {record.failure.phase}: {record.failure.reason}
            </Alert>
          )}
          {failure && <Alert severity="error">{failure}</Alert>}
          {stored?.error && <Alert severity="error">Could not load the inventory: {stored.error}</Alert>}
          {stored?.inventory && stored.inventory.changes.length > 0 && (
            <Alert severity="warning" aria-label="Changes since the inspection before">
              Changed since the inspection before:
              <List dense disablePadding>
                {stored.inventory.changes.map((change, index) => (
                  <ListItem key={index} disableGutters>
                    • {change.text}
                  </ListItem>
                ))}
              </List>
            </Alert>
          )}
          {inventory ? (
            <>
              <Facts inventory={inventory} />
              <Typography variant="subtitle1">Disks</Typography>
              <Disks disks={inventory.disks} target={choice?.ok ? choice.disk.name : null} onPick={(hints) => void pick(hints)} />
              <Typography variant="subtitle1">Network interfaces</Typography>
              <Nics inventory={inventory} />
            </>
          ) : (
            node.inspectedAt === null && (
              <Typography color="text.secondary">
                Inspect boots the server into the deploy agent, which lists its hardware and powers it off again; nothing is written.
              </Typography>
            )
          )}
          <Divider />
          <DiskChoice key={JSON.stringify(node.rootDeviceHints)} node={node} inventory={inventory} />
        </Stack>
      </DialogContent>
      <DialogActions>
        <Box sx={{ flexGrow: 1 }} />
        <Button onClick={onClose}>Close</Button>
      </DialogActions>
    </Dialog>
  );
}
