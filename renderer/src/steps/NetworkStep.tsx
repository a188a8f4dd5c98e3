import {
  Alert,
  Box,
  Button,
  Chip,
  FormControlLabel,
  LinearProgress,
  List,
  ListItem,
  ListItemText,
  Radio,
  RadioGroup,
  Stack,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  TextField,
  Typography,
} from '@mui/material';
import { useCallback, useEffect, useState } from 'react';
import type {
  NetworkApplyResult,
  NetworkCheck,
  NetworkInterface,
  NetworkMode,
  NetworkPlan,
  NetworkProgress,
  PendingNetworkChange,
} from '../../../shared/network';
import { useClient } from '../api/context';
import { errorText } from '../api/client';

const SEVERITY = { blocker: 'error', warning: 'warning', info: 'info' } as const;

function Checks({ checks }: { checks: NetworkCheck[] }): React.JSX.Element | null {
  if (checks.length === 0) return null;
  return (
    <Stack spacing={1} aria-label="Checks">
      {checks.map((check) => (
        <Alert key={check.id + check.message} severity={SEVERITY[check.severity]}>
          {check.message}
        </Alert>
      ))}
    </Stack>
  );
}

function InterfaceTable({
  interfaces,
  selected,
  onSelect,
}: {
  interfaces: NetworkInterface[];
  selected: string;
  onSelect(name: string): void;
}): React.JSX.Element {
  return (
    <Table size="small" aria-label="Network interfaces">
      <TableHead>
        <TableRow>
          <TableCell padding="checkbox" />
          <TableCell>Interface</TableCell>
          <TableCell>Kind</TableCell>
          <TableCell>Link</TableCell>
          <TableCell>Addresses</TableCell>
          <TableCell>Notes</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {interfaces.map((nic) => (
          <TableRow key={nic.name} selected={nic.name === selected} hover onClick={() => onSelect(nic.name)}>
            <TableCell padding="checkbox">
              <Radio checked={nic.name === selected} onChange={() => onSelect(nic.name)} slotProps={{ input: { 'aria-label': `Use ${nic.name}` } }} />
            </TableCell>
            <TableCell>
              {nic.name} {nic.recommended && <Chip size="small" color="primary" label="recommended" />}
              <Typography variant="caption" component="div" color="text.secondary">
                {nic.mac ?? ''}
              </Typography>
            </TableCell>
            <TableCell>
              {nic.kind}
              {nic.carriesDefaultRoute ? ' · default route' : ''}
            </TableCell>
            <TableCell>
              <Chip
                size="small"
                color={nic.carrier ? 'success' : 'default'}
                label={nic.carrier === null ? 'unknown' : nic.carrier ? `up${nic.speedMbps ? ` ${nic.speedMbps} Mb/s` : ''}` : 'no link'}
              />
            </TableCell>
            <TableCell sx={{ fontFamily: 'monospace' }}>
              {nic.addresses
                .filter((address) => address.family === 'inet')
                .map((address) => `${address.address}/${address.prefixLength}`)
                .join(', ') || '—'}
            </TableCell>
            <TableCell>
              <Typography variant="caption">{nic.notes.join(' ')}</Typography>
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

/** Laptop side of the provisioning network: pick the wired NIC, preview every change, apply, undo. */
export function NetworkStep(): React.JSX.Element {
  const client = useClient();
  const [interfaces, setInterfaces] = useState<NetworkInterface[]>([]);
  const [selected, setSelected] = useState('');
  const [subnet, setSubnet] = useState('192.168.2.0/24');
  const [address, setAddress] = useState('');
  const [mode, setMode] = useState<NetworkMode>('bridge');
  const [plan, setPlan] = useState<NetworkPlan | null>(null);
  const [applied, setApplied] = useState<NetworkApplyResult | null>(null);
  const [pending, setPending] = useState<PendingNetworkChange | null>(null);
  const [progress, setProgress] = useState<NetworkProgress | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const refresh = useCallback(async (): Promise<void> => {
    const [nics, change] = await Promise.all([client.call('network.interfaces', {}), client.call('network.pendingChange', {})]);
    setInterfaces(nics);
    setPending(change);
    setSelected((current) => current || nics.find((nic) => nic.recommended)?.name || '');
  }, [client]);

  useEffect(() => {
    refresh().catch((failure: unknown) => setError(errorText(failure)));
    return client.on('network.progress', setProgress);
  }, [client, refresh]);

  const act = async (work: () => Promise<void>): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setBusy(false);
      setProgress(null);
    }
  };

  const preview = (): Promise<void> =>
    act(async () => {
      setApplied(null);
      setPlan(await client.call('network.plan', { interface: selected, subnet, mode, ...(address.trim() ? { address: address.trim() } : {}) }));
    });

  const apply = (): Promise<void> =>
    act(async () => {
      if (!plan) return;
      setApplied(await client.call('network.apply', { planId: plan.id }));
      setPlan(null);
      await refresh();
    });

  const undo = (): Promise<void> =>
    act(async () => {
      await client.call('network.undo', {});
      setApplied(null);
      await refresh();
    });

  return (
    <Stack spacing={2}>
      <Typography variant="body2" color="text.secondary">
        Plug the laptop’s wired port into the servers’ access switch. Rackboot gives it an address on a provisioning subnet
        (a bridge such as the DevStack guide’s br-eth2, or just an address) and serves DHCP, TFTP and HTTP there. Wi-Fi and
        the default route are never touched.
      </Typography>
      {pending && (
        <Alert
          severity={pending.fromEarlierRun ? 'warning' : 'success'}
          action={
            <Button color="inherit" size="small" disabled={busy} onClick={() => void undo()}>
              Undo
            </Button>
          }
        >
          {pending.fromEarlierRun
            ? `An earlier run of Rackboot left ${pending.interface} changed (${pending.address}, ${pending.mode}). Undo it to restore the previous settings.`
            : `${pending.interface} is set up for provisioning (${pending.address}${pending.bridge ? ` on ${pending.bridge}` : ''}). Undo restores the previous settings; quitting Rackboot does it too.`}
        </Alert>
      )}
      <InterfaceTable interfaces={interfaces} selected={selected} onSelect={(name) => setSelected(name)} />
      <Stack direction={{ xs: 'column', md: 'row' }} spacing={2} sx={{ alignItems: { md: 'center' } }}>
        <TextField label="Provisioning subnet" value={subnet} onChange={(event) => setSubnet(event.target.value)} />
        <TextField label="Laptop address" placeholder="(the subnet’s .10)" value={address} onChange={(event) => setAddress(event.target.value)} />
        <RadioGroup row aria-label="Mode" value={mode} onChange={(event) => setMode(event.target.value as NetworkMode)}>
          <FormControlLabel value="bridge" control={<Radio />} label="Bridge" />
          <FormControlLabel value="address-only" control={<Radio />} label="Address only" />
        </RadioGroup>
        <Button variant="outlined" disabled={!selected || busy} onClick={() => void preview()}>
          Preview changes
        </Button>
      </Stack>
      {plan && (
        <Box aria-label="Planned changes">
          <Typography variant="subtitle1">
            Planned changes on {plan.interface}: {plan.address}/{plan.prefixLength}
            {plan.bridge ? ` on bridge ${plan.bridge}` : ''}, DHCP pool {plan.pool.start}–{plan.pool.end}
          </Typography>
          <List dense>
            {plan.steps.map((step, index) => (
              <ListItem key={index} disableGutters>
                <ListItemText primary={step.description} secondary={step.command.join(' ')} slotProps={{ secondary: { sx: { fontFamily: 'monospace' } } }} />
              </ListItem>
            ))}
          </List>
          <Checks checks={plan.checks} />
          <Stack direction="row" spacing={1} sx={{ mt: 1 }}>
            <Button variant="contained" disabled={!plan.canApply || busy} onClick={() => void apply()}>
              Apply
            </Button>
            <Button onClick={() => setPlan(null)}>Cancel</Button>
          </Stack>
          {!plan.canApply && (
            <Alert severity="info" sx={{ mt: 1 }}>
              Rackboot cannot make these changes itself here. Run them as administrator:
              <Box component="pre" sx={{ whiteSpace: 'pre-wrap', fontSize: 12 }}>
                {plan.script}
              </Box>
            </Alert>
          )}
        </Box>
      )}
      {progress && (
        <Box aria-label="Apply progress">
          <Typography variant="body2">
            {progress.phase} {progress.index + 1}/{progress.total}: {progress.description}
          </Typography>
          <LinearProgress variant="determinate" value={(100 * (progress.index + (progress.status === 'done' ? 1 : 0))) / Math.max(1, progress.total)} />
        </Box>
      )}
      {applied && (
        <Alert severity="success" role="status">
          {applied.serviceInterface} is ready: Rackboot’s services will listen there.
        </Alert>
      )}
      {applied && <Checks checks={applied.checks} />}
      {error && <Alert severity="error">{error}</Alert>}
    </Stack>
  );
}
