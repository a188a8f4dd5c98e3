import {
  Alert,
  Box,
  Button,
  Checkbox,
  Chip,
  LinearProgress,
  List,
  ListItem,
  MenuItem,
  Stack,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  TextField,
  Typography,
} from '@mui/material';
import { useState } from 'react';
import { DEPLOY_PHASES, type DeployRecord, type TransferProgress } from '../../../shared/deploy';
import type { NodeView } from '../../../shared/nodes';
import { useClient } from '../api/context';
import { useDeploy } from '../store/deploy';
import { useImages } from '../store/images';
import { errorText } from '../api/client';
import { DiskCell } from './DiskCell';
import { StepLink } from './StepLink';
import { useBuiltinRamdisk } from './BuiltinRamdiskSummary';

const STATUS_COLOR = { idle: 'default', running: 'info', failed: 'error', cancelled: 'warning', deployed: 'success' } as const;

function seconds(from: string, to: string): string {
  return `${((Date.parse(to) - Date.parse(from)) / 1000).toFixed(1)} s`;
}

/** The phases a node went through, each with when it began and how long it lasted. */
function Timeline({ record }: { record: DeployRecord }): React.JSX.Element {
  return (
    <Box component="ol" aria-label="Deploy timeline" sx={{ m: 0, pl: 2, fontSize: 12 }}>
      {record.history.map((entry, index) => {
        const next = record.history[index + 1]?.at ?? (record.status === 'running' ? new Date().toISOString() : record.updatedAt);
        return (
          <li key={`${entry.phase}-${index}`}>
            {entry.phase} · {entry.at.slice(11, 19)} · {seconds(entry.at, next)}
          </li>
        );
      })}
    </Box>
  );
}

function Progress({ record, transfer }: { record: DeployRecord; transfer: TransferProgress | undefined }): React.JSX.Element | null {
  if (record.status === 'running' && record.bytesTotal > 0 && ['writing-image', 'verifying'].includes(record.phase)) {
    return (
      <Box aria-label="Image write progress">
        <Typography variant="caption">
          image {Math.round(record.bytesWritten / 1048576)} / {Math.round(record.bytesTotal / 1048576)} MiB
        </Typography>
        <LinearProgress variant="determinate" value={(100 * record.bytesWritten) / record.bytesTotal} />
      </Box>
    );
  }
  if (record.status === 'running' && transfer && transfer.total && transfer.phase !== 'done') {
    return (
      <Box aria-label="Download progress">
        <Typography variant="caption">
          {transfer.file} {Math.round(transfer.bytes / 1024)} / {Math.round(transfer.total / 1024)} KiB
        </Typography>
        <LinearProgress variant="determinate" value={(100 * transfer.bytes) / transfer.total} />
      </Box>
    );
  }
  return null;
}

/** What a deploy needs from the other steps and does not have yet, each with where to get it. */
function MissingForDeploy({ needs }: { needs: { key: string; text: React.ReactNode }[] }): React.JSX.Element | null {
  if (needs.length === 0) return null;
  return (
    <Alert severity="info" aria-label="Before deploying">
      Deploying needs:
      <List dense disablePadding>
        {needs.map((need) => (
          <ListItem key={need.key} disableGutters>
            {/* One inline run: as flex items, the words and the link would lose the space between them. */}
            <span>• {need.text}</span>
          </ListItem>
        ))}
      </List>
    </Alert>
  );
}

/** The rack view: every server's deploy state, select many and deploy, cancel or retry one. */
export function DeployPanel({ nodes }: { nodes: NodeView[] }): React.JSX.Element {
  const client = useClient();
  const { records, transfers, services, settings } = useDeploy();
  const images = useImages((state) => state.images);
  const builtin = useBuiltinRamdisk();
  const [imageId, setImageId] = useState('');
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [error, setError] = useState<string | null>(null);
  const image = imageId || images[0]?.id || '';
  const needs = [
    ...(images.length === 0
      ? [{ key: 'image', text: <>the OS image: add it in the <StepLink to="Image">Image step</StepLink></> }]
      : []),
    ...(settings?.ramdisk.kind === 'builtin' && builtin && !builtin.available
      ? [{ key: 'ramdisk', text: <>the deploy ramdisk: {builtin.reason} (<StepLink to="Image">Image step</StepLink>)</> }]
      : []),
    ...(services && !services.running ? [{ key: 'services', text: <>the network boot services: start them above</> }] : []),
  ];

  const toggle = (nodeId: string): void => {
    const next = new Set(selected);
    if (next.has(nodeId)) next.delete(nodeId);
    else next.add(nodeId);
    setSelected(next);
  };

  const deploy = async (nodeIds: string[]): Promise<void> => {
    setError(null);
    try {
      await client.call('deploy.start', { nodeIds, imageId: image });
    } catch (failure) {
      setError(errorText(failure));
    }
  };

  return (
    <Stack spacing={1}>
      <Stack direction="row" spacing={2} sx={{ alignItems: 'center' }}>
        <TextField select size="small" label="Image" value={image} onChange={(event) => setImageId(event.target.value)} sx={{ minWidth: 220 }}>
          {images.map((candidate) => (
            <MenuItem key={candidate.id} value={candidate.id}>
              {candidate.name} ({candidate.bootMode.toUpperCase()})
            </MenuItem>
          ))}
        </TextField>
        <Button variant="contained" disabled={selected.size === 0 || !image || needs.length > 0} onClick={() => void deploy([...selected])}>
          Deploy selected ({selected.size})
        </Button>
      </Stack>
      <MissingForDeploy needs={needs} />
      {error && <Alert severity="error">{error}</Alert>}
      <Table size="small" aria-label="Rack">
        <TableHead>
          <TableRow>
            <TableCell padding="checkbox" />
            <TableCell>Server</TableCell>
            <TableCell>Disk</TableCell>
            <TableCell>Status</TableCell>
            <TableCell>Progress</TableCell>
            <TableCell>Timeline</TableCell>
            <TableCell align="right">Actions</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {nodes.map((node) => {
            const record = records[node.id];
            const status = record?.status ?? 'idle';
            return (
              <TableRow key={node.id}>
                <TableCell padding="checkbox">
                  <Checkbox checked={selected.has(node.id)} onChange={() => toggle(node.id)} slotProps={{ input: { 'aria-label': `Select ${node.name}` } }} />
                </TableCell>
                <TableCell>{node.name}</TableCell>
                <TableCell sx={{ maxWidth: 320 }}><DiskCell node={node} /></TableCell>
                <TableCell>
                  <Chip size="small" color={STATUS_COLOR[status]} label={record ? `${status} · ${record.phase}` : 'not deployed'} />
                  {record?.failure && (
                    <Typography variant="caption" color="error" component="div" sx={{ maxWidth: 360 }}>
                      {record.failure.phase}: {record.failure.reason}
                    </Typography>
                  )}
                  {record && (
                    <Typography variant="caption" component="div" color="text.secondary">
                      phase {DEPLOY_PHASES.indexOf(record.phase) + 1} of {DEPLOY_PHASES.length}
                    </Typography>
                  )}
                </TableCell>
                <TableCell sx={{ minWidth: 180 }}>{record && <Progress record={record} transfer={transfers[node.id]} />}</TableCell>
                <TableCell>{record && <Timeline record={record} />}</TableCell>
                <TableCell align="right">
                  {status === 'running' ? (
                    <Button size="small" color="warning" onClick={() => void client.call('deploy.cancel', { nodeId: node.id })}>
                      Cancel
                    </Button>
                  ) : status === 'failed' || status === 'cancelled' ? (
                    <Button size="small" aria-label={`Retry ${node.name}`} onClick={() => void deploy([node.id])}>
                      Retry
                    </Button>
                  ) : null}
                </TableCell>
              </TableRow>
            );
          })}
        </TableBody>
      </Table>
    </Stack>
  );
}
