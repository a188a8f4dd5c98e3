import { Alert, Box, Button, Stack, Typography } from '@mui/material';
import { useState } from 'react';
import type { NodeView } from '../../../shared/nodes';
import type { BmcProtocol, TlsCertificate } from '../../../shared/redfish';
import { useClient } from '../api/context';
import { ExportDialog } from '../components/ExportDialog';
import { ImportDialog } from '../components/ImportDialog';
import { NodeDialog } from '../components/NodeDialog';
import { NodeTable } from '../components/NodeTable';
import { NodeDetails } from '../components/NodeDetails';
import type { ConnectionTest } from '../components/ConnectionCell';
import { DiscoverDialog } from '../components/DiscoverDialog';
import { useNodes } from '../store/nodes';
import { usePower } from '../store/power';
import { errorText } from '../api/client';

type DialogState =
  | { kind: 'closed' }
  | { kind: 'node'; node: NodeView | null; address?: string; protocol?: BmcProtocol }
  | { kind: 'import' }
  | { kind: 'export' }
  | { kind: 'details'; nodeId: string }
  | { kind: 'discover' };

export function BmcStep(): React.JSX.Element {
  const client = useClient();
  const { nodes, loaded, loadError } = useNodes();
  const [dialog, setDialog] = useState<DialogState>({ kind: 'closed' });
  const [message, setMessage] = useState<{ severity: 'error' | 'info'; text: string } | null>(null);
  const [tests, setTests] = useState<Record<string, ConnectionTest>>({});
  const powerOn = usePower((state) => state.powerOn);

  const test = async (node: NodeView): Promise<void> => {
    setTests((current) => ({ ...current, [node.id]: { state: 'running' } }));
    try {
      const result = await client.call('bmc.test', { nodeId: node.id });
      setTests((current) => ({ ...current, [node.id]: { state: 'ok', result } }));
    } catch (error) {
      const text = errorText(error);
      setTests((current) => ({ ...current, [node.id]: { state: 'error', message: text } }));
    }
  };

  const trust = async (node: NodeView, certificate: TlsCertificate): Promise<void> => {
    try {
      await client.call('nodes.update', { id: node.id, changes: { tlsTrust: { kind: 'pin', ...certificate } } });
      await test(node);
    } catch (error) {
      setTests((current) => ({ ...current, [node.id]: { state: 'error', message: errorText(error) } }));
    }
  };

  const remove = async (node: NodeView): Promise<void> => {
    try {
      await client.call('nodes.remove', { id: node.id });
      setMessage({ severity: 'info', text: `Removed ${node.name}.` });
    } catch (error) {
      setMessage({ severity: 'error', text: errorText(error) });
    }
  };

  return (
    <Stack spacing={2}>
      <Typography variant="body2" color="text.secondary">
        For each server, enter the BMC’s IP address, user and password as set in the BIOS under Server Management → BMC
        LAN Configuration, or import a DevStack hardware_info file.
      </Typography>
      <Box sx={{ display: 'flex', gap: 1, flexWrap: 'wrap' }}>
        <Button variant="contained" onClick={() => setDialog({ kind: 'node', node: null })}>
          Add server
        </Button>
        <Button variant="outlined" onClick={() => setDialog({ kind: 'import' })}>
          Import servers
        </Button>
        <Button variant="outlined" disabled={nodes.length === 0} onClick={() => setDialog({ kind: 'export' })}>
          Export servers
        </Button>
        <Button variant="outlined" onClick={() => setDialog({ kind: 'discover' })}>
          Discover BMCs
        </Button>
      </Box>
      {loadError && <Alert severity="error">Could not load the inventory: {loadError}</Alert>}
      {message && (
        <Alert severity={message.severity} onClose={() => setMessage(null)}>
          {message.text}
        </Alert>
      )}
      {loaded && (
        <NodeTable
          nodes={nodes}
          tests={tests}
          powerOn={powerOn}
          onTest={(node) => void test(node)}
          onTrust={(node, certificate) => void trust(node, certificate)}
          onEdit={(node) => setDialog({ kind: 'node', node })}
          onDetails={(node) => setDialog({ kind: 'details', nodeId: node.id })}
          onRemove={(node) => void remove(node)}
        />
      )}
      {dialog.kind === 'node' && (
        <NodeDialog node={dialog.node} initialAddress={dialog.address} initialProtocol={dialog.protocol} onClose={() => setDialog({ kind: 'closed' })} />
      )}
      {dialog.kind === 'discover' && (
        <DiscoverDialog
          enrolled={new Set(nodes.map((node) => node.bmcAddress))}
          onAdd={(address, protocol) => setDialog({ kind: 'node', node: null, address, protocol })}
          onClose={() => setDialog({ kind: 'closed' })}
        />
      )}
      {dialog.kind === 'details' && <NodeDetails nodeId={dialog.nodeId} onClose={() => setDialog({ kind: 'closed' })} />}
      {dialog.kind === 'import' && <ImportDialog onClose={() => setDialog({ kind: 'closed' })} />}
      {dialog.kind === 'export' && <ExportDialog onClose={() => setDialog({ kind: 'closed' })} />}
    </Stack>
  );
}
