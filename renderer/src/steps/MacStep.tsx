import {
  Alert,
  Button,
  Chip,
  List,
  ListItem,
  Stack,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  ToggleButton,
  ToggleButtonGroup,
  Typography,
} from '@mui/material';
import { useEffect, useState } from 'react';
import type { BootMode } from '../../../shared/deploy';
import type { NodeView } from '../../../shared/nodes';
import { useClient } from '../api/context';
import { ServicesPanel } from '../components/ServicesPanel';
import { StepLink } from '../components/StepLink';
import { useDeploy } from '../store/deploy';
import { useNodes } from '../store/nodes';
import { errorText } from '../api/client';
import type { MatchedBy } from '../../../shared/deploy';

type Capture =
  | { state: 'waiting'; since: number }
  | { state: 'bound'; mac: string; matchedBy: MatchedBy }
  | { state: 'failed'; message: string };

function Waiting({ node, since }: { node: NodeView; since: number }): React.JSX.Element {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return (
    <Alert severity="info" role="status" aria-label={`Capturing ${node.name}`}>
      Waiting {Math.round((now - since) / 1000)} s for {node.name}’s PXE request —{' '}
      {node.systemGuid ? `listening for a DHCP request whose UUID is the BMC’s System GUID ${node.systemGuid}` : 'listening for the first new PXE client'}.
      <List dense disablePadding>
        <ListItem disableGutters>• Network boot (PXE) enabled for NIC1 in the BIOS, and first in the boot order or chosen by IPMI</ListItem>
        <ListItem disableGutters>• NIC1’s cable in the provisioning switch, on the same VLAN as this laptop</ListItem>
        <ListItem disableGutters>• The server powers on (watch its console in the Boot step)</ListItem>
      </List>
    </Alert>
  );
}

/** Binds each server to the MAC its NIC PXE-boots with, by powering it on and catching its DHCP request. */
export function MacStep(): React.JSX.Element {
  const client = useClient();
  const nodes = useNodes((state) => state.nodes);
  const running = useDeploy((state) => state.services?.running ?? false);
  const [captures, setCaptures] = useState<Record<string, Capture>>({});
  const [bootMode, setBootMode] = useState<BootMode>('bios');

  const capture = async (node: NodeView): Promise<void> => {
    setCaptures((current) => ({ ...current, [node.id]: { state: 'waiting', since: Date.now() } }));
    try {
      const result = await client.call('capture.start', { nodeId: node.id, bootMode });
      setCaptures((current) => ({ ...current, [node.id]: { state: 'bound', ...result } }));
    } catch (failure) {
      setCaptures((current) => ({ ...current, [node.id]: { state: 'failed', message: errorText(failure) } }));
    }
  };

  return (
    <Stack spacing={2}>
      <Typography variant="body2" color="text.secondary">
        Each server needs the MAC of the NIC it network-boots from. Rackboot powers the server on to PXE over IPMI and
        binds the DHCP request whose UUID matches the BMC’s System GUID. You can also type the MAC in the BMC step (Edit).
      </Typography>
      <ServicesPanel />
      {!running && (
        <Alert severity="info" aria-label="Capture needs the services">
          Capturing a MAC needs the network boot services, which answer the server’s PXE request: start them above.
        </Alert>
      )}
      {nodes.length === 0 && (
        <Alert severity="info">
          No servers yet: enrol them by their BMC in the <StepLink to="BMC">BMC step</StepLink>.
        </Alert>
      )}
      <Stack direction="row" spacing={2} sx={{ alignItems: 'center' }}>
        <Typography variant="body2">The servers network-boot in</Typography>
        <ToggleButtonGroup
          size="small"
          exclusive
          value={bootMode}
          aria-label="Firmware boot mode for the capture"
          onChange={(_, value: BootMode | null) => value && setBootMode(value)}
        >
          <ToggleButton value="bios">BIOS (legacy)</ToggleButton>
          <ToggleButton value="uefi">UEFI</ToggleButton>
        </ToggleButtonGroup>
      </Stack>
      <Table size="small" aria-label="MAC addresses">
        <TableHead>
          <TableRow>
            <TableCell>Server</TableCell>
            <TableCell>MAC</TableCell>
            <TableCell>System GUID</TableCell>
            <TableCell align="right">Capture</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {nodes.map((node) => {
            const state = captures[node.id];
            return (
              <TableRow key={node.id}>
                <TableCell>{node.name}</TableCell>
                <TableCell sx={{ fontFamily: 'monospace' }}>
                  {node.mac ?? '—'}
                  {state?.state === 'bound' && (
                    <Chip
                      size="small"
                      sx={{ ml: 1 }}
                      color={state.matchedBy === 'system-guid' ? 'success' : 'warning'}
                      label={state.matchedBy === 'system-guid' ? 'matched System GUID' : 'first new PXE client — check it'}
                    />
                  )}
                </TableCell>
                <TableCell sx={{ fontFamily: 'monospace' }}>
                  {node.systemGuid ?? <StepLink to="BMC">test the BMC connection first</StepLink>}
                </TableCell>
                <TableCell align="right">
                  <Button
                    size="small"
                    variant={node.mac ? 'text' : 'contained'}
                    aria-label={`Capture MAC of ${node.name}`}
                    disabled={!running || state?.state === 'waiting'}
                    onClick={() => void capture(node)}
                  >
                    {node.mac ? 'Capture again' : 'Capture'}
                  </Button>
                </TableCell>
              </TableRow>
            );
          })}
        </TableBody>
      </Table>
      {nodes.map((node) => {
        const state = captures[node.id];
        if (state?.state === 'waiting') return <Waiting key={node.id} node={node} since={state.since} />;
        if (state?.state === 'failed')
          return (
            <Alert key={node.id} severity="error">
              {node.name}: {state.message}
            </Alert>
          );
        return null;
      })}
    </Stack>
  );
}
