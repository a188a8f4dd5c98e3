import { Alert, Button, ButtonGroup, Divider, MenuItem, Stack, TextField, Typography } from '@mui/material';
import { useState } from 'react';
import type { ChassisAction } from '../../../shared/ipmi';
import { useClient } from '../api/context';
import { DeployPanel } from '../components/DeployPanel';
import { IronicPanel } from '../components/IronicPanel';
import { LogView } from '../components/LogView';
import { ServicesPanel } from '../components/ServicesPanel';
import { StepLink } from '../components/StepLink';
import { SerialConsole } from '../components/SerialConsole';
import { useNodes } from '../store/nodes';
import { usePower } from '../store/power';
import { errorText } from '../api/client';

const POWER_ACTIONS: { action: ChassisAction; label: string }[] = [
  { action: 'on', label: 'Power on' },
  { action: 'cycle', label: 'Power cycle' },
  { action: 'soft', label: 'Shut down' },
  { action: 'off', label: 'Power off' },
];

/** Watching and steering the servers: power, the serial console and the live log. */
export function BootStep(): React.JSX.Element {
  const client = useClient();
  const nodes = useNodes((state) => state.nodes);
  const powerOn = usePower((state) => state.powerOn);
  const [selected, setSelected] = useState<string>('');
  const [error, setError] = useState<string | null>(null);
  const node = nodes.find((candidate) => candidate.id === selected) ?? nodes[0];

  const power = async (action: ChassisAction): Promise<void> => {
    if (!node) return;
    setError(null);
    try {
      await client.call('bmc.power', { nodeId: node.id, action });
    } catch (failure) {
      setError(errorText(failure));
    }
  };

  return (
    <Stack spacing={2}>
      <ServicesPanel />
      <DeployPanel nodes={nodes} />
      <Divider />
      <IronicPanel nodes={nodes} />
      <Divider />
      {node ? (
        <Stack spacing={2}>
          <Stack direction="row" spacing={2} sx={{ alignItems: 'center', flexWrap: 'wrap' }}>
            <TextField select size="small" label="Server" value={node.id} onChange={(event) => setSelected(event.target.value)} sx={{ minWidth: 200 }}>
              {nodes.map((candidate) => (
                <MenuItem key={candidate.id} value={candidate.id}>
                  {candidate.name}
                </MenuItem>
              ))}
            </TextField>
            <Typography variant="body2" aria-label="Power state">
              Power: {node.id in powerOn ? (powerOn[node.id] ? 'on' : 'off') : 'unknown'}
            </Typography>
            <ButtonGroup size="small" aria-label="Power">
              {POWER_ACTIONS.map(({ action, label }) => (
                <Button key={action} onClick={() => void power(action)}>
                  {label}
                </Button>
              ))}
            </ButtonGroup>
          </Stack>
          {error && <Alert severity="error">{error}</Alert>}
          <SerialConsole key={node.id} node={node} />
        </Stack>
      ) : (
        <Typography color="text.secondary">
          Enrol a server in the <StepLink to="BMC">BMC step</StepLink> first.
        </Typography>
      )}
      <Divider />
      <Typography variant="subtitle1">Live log</Typography>
      <LogView nodes={nodes} />
    </Stack>
  );
}
