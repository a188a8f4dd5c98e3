import { Accordion, AccordionDetails, AccordionSummary, Alert, Button, FormControlLabel, Radio, RadioGroup, Stack, TextField, Typography } from '@mui/material';
import { useEffect, useState } from 'react';
import type { DeploySettings } from '../../../shared/deploy';
import { useClient } from '../api/context';
import { useDeploy } from '../store/deploy';
import { errorText } from '../api/client';
import { BuiltinRamdiskSummary, useBuiltinRamdisk } from './BuiltinRamdiskSummary';

type Kind = DeploySettings['ramdisk']['kind'];

/** Where the deploy ramdisk comes from, the target disk and what "up" looks like on the console. */
export function RamdiskSettings(): React.JSX.Element {
  const client = useClient();
  const [settings, setSettings] = useState<DeploySettings | null>(null);
  const [kind, setKind] = useState<Kind>('builtin');
  const builtin = useBuiltinRamdisk();
  const [advanced, setAdvanced] = useState(false);
  const [kernel, setKernel] = useState('');
  const [initrd, setInitrd] = useState('');
  const [modules, setModules] = useState('');
  const [busybox, setBusybox] = useState('/bin/busybox');
  const [disk, setDisk] = useState('auto');
  const [upMarker, setUpMarker] = useState('login:');
  const [message, setMessage] = useState<{ severity: 'success' | 'error'; text: string } | null>(null);

  useEffect(() => {
    void client.call('deploy.getSettings', {}).then((loaded) => {
      setSettings(loaded);
      setDisk(loaded.disk);
      setUpMarker(loaded.upMarker);
      setKind(loaded.ramdisk.kind);
      setAdvanced(loaded.ramdisk.kind !== 'builtin');
      if (loaded.ramdisk.kind !== 'builtin') setKernel(loaded.ramdisk.kernel);
      if (loaded.ramdisk.kind === 'append') setInitrd(loaded.ramdisk.initrd);
      if (loaded.ramdisk.kind === 'build') {
        setModules(loaded.ramdisk.modules);
        setBusybox(loaded.ramdisk.busybox);
      }
    });
  }, [client]);

  const save = async (): Promise<void> => {
    if (!settings) return;
    try {
      const ramdisk: DeploySettings['ramdisk'] =
        kind === 'builtin' ? { kind } : kind === 'append' ? { kind, kernel, initrd } : { kind, kernel, modules, busybox };
      const saved = await client.call('deploy.setSettings', { ...settings, ramdisk, disk, upMarker });
      setSettings(saved);
      useDeploy.setState({ settings: saved });
      setMessage({ severity: 'success', text: 'Deploy settings saved.' });
    } catch (failure) {
      setMessage({ severity: 'error', text: errorText(failure) });
    }
  };

  return (
    <Stack spacing={1} aria-label="Deploy ramdisk">
      <Typography variant="subtitle1">Deploy ramdisk</Typography>
      <Typography variant="body2" color="text.secondary">
        The server first boots a small Linux whose agent writes the image. Rackboot carries one with every storage and
        network driver and their firmware; under Advanced you can give your own kernel instead.
      </Typography>
      <BuiltinRamdiskSummary status={builtin} />
      <Accordion disableGutters expanded={advanced} onChange={(_event, open) => setAdvanced(open)} variant="outlined">
        <AccordionSummary aria-label="Advanced ramdisk settings">
          <Typography variant="body2">Advanced: {kind === 'builtin' ? 'the built-in ramdisk is used' : 'your own deploy kernel'}</Typography>
        </AccordionSummary>
        <AccordionDetails>
          <Stack spacing={1}>
            <RadioGroup row aria-label="Ramdisk source" value={kind} onChange={(event) => setKind(event.target.value as Kind)}>
              <FormControlLabel value="builtin" control={<Radio />} label="Built-in (recommended)" />
              <FormControlLabel value="build" control={<Radio />} label="Build from kernel modules + busybox" />
              <FormControlLabel value="append" control={<Radio />} label="Append the agent to my initrd" />
            </RadioGroup>
            {kind !== 'builtin' && (
              <Stack direction={{ xs: 'column', md: 'row' }} spacing={2}>
                <TextField size="small" label="Kernel (vmlinuz)" value={kernel} onChange={(event) => setKernel(event.target.value)} sx={{ flex: 1 }} />
                {kind === 'append' ? (
                  <TextField size="small" label="Initrd" value={initrd} onChange={(event) => setInitrd(event.target.value)} sx={{ flex: 1 }} />
                ) : (
                  <>
                    <TextField size="small" label="Kernel modules (folder or .deb)" value={modules} onChange={(event) => setModules(event.target.value)} sx={{ flex: 1 }} />
                    <TextField size="small" label="Static busybox" value={busybox} onChange={(event) => setBusybox(event.target.value)} />
                  </>
                )}
              </Stack>
            )}
          </Stack>
        </AccordionDetails>
      </Accordion>
      <Stack direction="row" spacing={2}>
        <TextField size="small" label="Target disk" value={disk} onChange={(event) => setDisk(event.target.value)} helperText="auto: the first disk the ramdisk finds" />
        <TextField size="small" label="Console text when up" value={upMarker} onChange={(event) => setUpMarker(event.target.value)} />
        <Button variant="outlined" disabled={!settings || (kind !== 'builtin' && kernel === '')} onClick={() => void save()}>
          Save deploy settings
        </Button>
      </Stack>
      {message && <Alert severity={message.severity}>{message.text}</Alert>}
    </Stack>
  );
}
