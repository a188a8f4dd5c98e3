import { Alert, Button, Checkbox, FormControlLabel, MenuItem, Radio, RadioGroup, Stack, TextField, Typography } from '@mui/material';
import { useEffect, useState } from 'react';
import type { NetworkInterface } from '../../../shared/network';
import { useClient } from '../api/context';
import { refreshServices, useDeploy } from '../store/deploy';
import { errorText } from '../api/client';
import { StepLink } from './StepLink';
import type { DhcpMode } from '../../../shared/pxe';

function ipv4Of(nic: NetworkInterface | undefined): { address: string; prefixLength: number } | null {
  const address = nic?.addresses.find((candidate) => candidate.family === 'inet');
  return address ? { address: address.address, prefixLength: address.prefixLength } : null;
}

function poolFor(address: string): string {
  const base = address.split('.').slice(0, 3).join('.');
  return `${base}.100-${base}.200`;
}

/** Starts and stops Rackboot's DHCP, TFTP and HTTP on the provisioning interface. */
export function ServicesPanel(): React.JSX.Element {
  const client = useClient();
  const services = useDeploy((state) => state.services);
  const [interfaces, setInterfaces] = useState<NetworkInterface[]>([]);
  /** The wired NIC Rackboot recommends for provisioning, when it has no IPv4 address for the services yet. */
  const [unaddressed, setUnaddressed] = useState<string | null>(null);
  const [nicName, setNicName] = useState('');
  const [mode, setMode] = useState<DhcpMode>('full');
  const [pool, setPool] = useState('');
  const [routerAdvertisements, setRouterAdvertisements] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    void client.call('network.interfaces', {}).then((nics) => {
      const usable = nics.filter((nic) => ipv4Of(nic) && nic.kind !== 'loopback');
      setInterfaces(usable);
      setUnaddressed(nics.find((nic) => nic.recommended && !ipv4Of(nic))?.name ?? null);
      const preferred = usable.find((nic) => nic.recommended || nic.kind === 'bridge') ?? usable[0];
      if (preferred) {
        setNicName(preferred.name);
        // A pool typed while the interfaces were still being read stays.
        setPool((typed) => typed || poolFor(ipv4Of(preferred)!.address));
      }
    });
  }, [client]);

  const nic = interfaces.find((candidate) => candidate.name === nicName);
  const ip = ipv4Of(nic);

  const act = async (work: () => Promise<unknown>): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await work();
      await refreshServices(client);
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setBusy(false);
    }
  };

  const start = (): Promise<void> =>
    act(() => {
      const [poolStart, poolEnd] = pool.split('-').map((part) => part.trim());
      return client.call('services.start', {
        interfaceName: nicName,
        address: ip!.address,
        prefixLength: ip!.prefixLength,
        mode,
        routerAdvertisements,
        ...(mode === 'full' && poolStart && poolEnd ? { pool: { start: poolStart, end: poolEnd } } : {}),
      });
    });

  if (services?.running && services.config) {
    return (
      <Stack spacing={1}>
        <Alert
          severity="success"
          action={
            <Button color="inherit" size="small" disabled={busy} onClick={() => void act(() => client.call('services.stop', {}))}>
              Stop services
            </Button>
          }
        >
          Network boot services are running on {services.config.interfaceName} ({services.config.address}, DHCP {services.config.mode}
          {services.config.pool ? ` ${services.config.pool.start}–${services.config.pool.end}` : ''}).
        </Alert>
        {services.bootloaders?.advice && <Alert severity="warning">{services.bootloaders.advice}</Alert>}
      </Stack>
    );
  }
  return (
    <Stack spacing={1} aria-label="Network boot services">
      <Typography variant="subtitle2">Network boot services (DHCP, TFTP, HTTP)</Typography>
      <Stack direction={{ xs: 'column', md: 'row' }} spacing={2} sx={{ alignItems: { md: 'center' } }}>
        <TextField select size="small" label="Provisioning interface" value={nicName} onChange={(event) => setNicName(event.target.value)} sx={{ minWidth: 220 }}>
          {interfaces.map((candidate) => (
            <MenuItem key={candidate.name} value={candidate.name}>
              {candidate.name} ({ipv4Of(candidate)?.address})
            </MenuItem>
          ))}
        </TextField>
        <RadioGroup row aria-label="DHCP mode" value={mode} onChange={(event) => setMode(event.target.value as DhcpMode)}>
          <FormControlLabel value="full" control={<Radio />} label="Full DHCP" />
          <FormControlLabel value="proxy" control={<Radio />} label="Proxy (another DHCP server hands out addresses)" />
        </RadioGroup>
        {mode === 'full' && <TextField size="small" label="Address pool" value={pool} onChange={(event) => setPool(event.target.value)} />}
        <FormControlLabel
          control={<Checkbox checked={routerAdvertisements} onChange={(event) => setRouterAdvertisements(event.target.checked)} />}
          label="Fast iPXE start (IPv6 router advertisement)"
        />
        <Button variant="contained" disabled={!ip || busy} onClick={() => void start()}>
          Start services
        </Button>
      </Stack>
      {interfaces.length === 0 ? (
        <Alert severity="info">
          The services listen on the laptop’s provisioning address, and no interface has an IPv4 address yet: set one up in
          the <StepLink to="Network">Network step</StepLink>.
        </Alert>
      ) : (
        unaddressed && (
          <Alert severity="warning">
            {unaddressed}, the wired NIC recommended for provisioning, has no IPv4 address yet, so the services cannot listen
            on it: give it the provisioning address in the <StepLink to="Network">Network step</StepLink>.
          </Alert>
        )
      )}
      {error && <Alert severity="error">{error}</Alert>}
    </Stack>
  );
}
