import { Alert, Button, FormControlLabel, Radio, RadioGroup, Stack, TextField, Typography } from '@mui/material';
import { useEffect, useState } from 'react';
import type { DeploySettings } from '../../../shared/deploy';
import { useClient } from '../api/context';
import { useDeploy } from '../store/deploy';
import { errorText } from '../api/client';
import { FileField } from './FileField';

type Kind = DeploySettings['ramdisk']['kind'];

/** Where the deploy ramdisk comes from, the target disk and what "up" looks like on the console. */
export function RamdiskSettings(): React.JSX.Element {
  const client = useClient();
  const [settings, setSettings] = useState<DeploySettings | null>(null);
  const [kind, setKind] = useState<Kind>('builtin');
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
      if (loaded.ramdisk.kind !== 'builtin') setKernel(loaded.ramdisk.kernel);
      if (loaded.ramdisk.kind === 'append') setInitrd(loaded.ramdisk.initrd);
      if (loaded.ramdisk.kind === 'build') {
        setModules(loaded.ramdisk.modules);
        setBusybox(loaded.ramdisk.busybox);
      }
    });
  }, [client]);

  const showError = (text: string): void => setMessage({ severity: 'error', text });

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
    <Stack spacing={1} aria-label="Custom deploy ramdisk">
      <Typography variant="body2" color="text.secondary">
        The server first boots a small Linux whose agent writes the image. Rackboot carries one with every storage and
        network driver and their firmware; here you can give your own kernel instead: Rackboot builds the ramdisk from a
        kernel package (unpacked folder or .deb) and a static busybox, or appends its agent to an initrd.
      </Typography>
      <RadioGroup row aria-label="Ramdisk source" value={kind} onChange={(event) => setKind(event.target.value as Kind)}>
        <FormControlLabel value="builtin" control={<Radio />} label="Built-in (recommended)" />
        <FormControlLabel value="build" control={<Radio />} label="Build from kernel modules + busybox" />
        <FormControlLabel value="append" control={<Radio />} label="Append the agent to my initrd" />
      </RadioGroup>
      {kind !== 'builtin' && (
      <Stack direction={{ xs: 'column', md: 'row' }} spacing={2}>
        <FileField label="Kernel (vmlinuz)" purpose="kernel" value={kernel} onChange={setKernel} onError={showError} />
        {kind === 'append' ? (
          <FileField label="Initrd" purpose="initrd" value={initrd} onChange={setInitrd} onError={showError} />
        ) : (
          <>
            <FileField label="Kernel modules (folder or .deb)" purpose="modules" value={modules} onChange={setModules} onError={showError} />
            <FileField label="Static busybox" purpose="busybox" value={busybox} onChange={setBusybox} onError={showError} />
          </>
        )}
      </Stack>
      )}
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
