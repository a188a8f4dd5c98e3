import { Alert, Box, Button, CircularProgress, List, ListItem, ListItemIcon, ListItemText, Paper, Stack, Typography } from '@mui/material';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { SetupCheck as Check, SetupReport } from '../../../shared/setup';
import { errorText } from '../api/client';
import { useClient } from '../api/context';
import { useDeploy } from '../store/deploy';
import { useImages } from '../store/images';
import { useNodes } from '../store/nodes';
import { useWizard } from '../store/wizard';
import { AddImageButton, ImageAddStatus } from './AddImage';
import { NodeDialog } from './NodeDialog';

/** The button that fixes one missing need: it does the work here, or opens the step where it is done. */
function FixButton({ check, onEnrol }: { check: Check; onEnrol(): void }): React.JSX.Element {
  const goTo = useWizard((state) => state.goTo);
  const servers = useNodes((state) => state.nodes.length);
  switch (check.need) {
    case 'wired-nic':
      return <Button onClick={() => goTo('Network')}>Show network ports</Button>;
    case 'provisioning-address':
      return <Button onClick={() => goTo('Network')}>Set up the address</Button>;
    case 'boot-services':
      return <Button onClick={() => goTo('Boot')}>Start boot services</Button>;
    case 'image':
      return <AddImageButton label="Add an image…" />;
    case 'working-bmc':
      return servers === 0 ? <Button onClick={onEnrol}>Enrol a server</Button> : <Button onClick={() => goTo('BMC')}>Show servers</Button>;
  }
}

/**
 * The first-run screen, also opened by "Check setup": what a deploy needs, each need met or not in plain words, with
 * the button that fixes what is missing. The core checks (setup.check); it runs again whenever servers, images or the
 * boot services change.
 */
export function SetupCheck({ onChecked }: { onChecked?: () => void }): React.JSX.Element {
  const client = useClient();
  const showSetup = useWizard((state) => state.showSetup);
  const onImageStep = useWizard((state) => state.active === 'Image');
  const servers = useNodes((state) => state.nodes.length);
  const images = useImages((state) => state.images.length);
  const servicesRunning = useDeploy((state) => state.services?.running ?? false);
  const [report, setReport] = useState<SetupReport | null>(null);
  const [checking, setChecking] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [enrolling, setEnrolling] = useState(false);
  const latest = useRef(0);
  const checked = useRef(onChecked);
  checked.current = onChecked;

  const check = useCallback(async (): Promise<void> => {
    const run = ++latest.current;
    setChecking(true);
    try {
      const answer = await client.call('setup.check', {});
      if (run === latest.current) {
        setReport(answer);
        setError(null);
      }
    } catch (failure) {
      if (run === latest.current) setError(errorText(failure));
    } finally {
      if (run === latest.current) {
        setChecking(false);
        checked.current?.();
      }
    }
  }, [client]);

  useEffect(() => {
    void check();
  }, [check, servers, images, servicesRunning]);

  return (
    <Paper component="section" variant="outlined" aria-labelledby="setup-title" sx={{ p: 2, mb: 3 }}>
      <Stack direction="row" spacing={2} sx={{ alignItems: 'center', mb: 1 }}>
        <Typography id="setup-title" variant="h6" component="h3" sx={{ flexGrow: 1 }}>
          {report?.ready ? 'Ready to deploy' : 'What a deploy needs'}
        </Typography>
        {checking && <CircularProgress size={20} aria-label="Checking" />}
        <Button onClick={() => void check()} disabled={checking}>
          Check again
        </Button>
        <Button onClick={() => showSetup(false)}>Hide</Button>
      </Stack>
      {error && <Alert severity="error">{error}</Alert>}
      <List dense aria-label="Setup checks">
        {(report?.checks ?? []).map((entry) => (
          <ListItem
            key={entry.need}
            aria-label={`${entry.title}: ${entry.ok ? 'ready' : 'missing'}`}
            secondaryAction={entry.ok ? undefined : <FixButton check={entry} onEnrol={() => setEnrolling(true)} />}
          >
            <ListItemIcon sx={{ minWidth: 32, color: entry.ok ? 'success.main' : 'warning.main', fontSize: 20 }} aria-hidden>
              {entry.ok ? '✓' : '✗'}
            </ListItemIcon>
            <ListItemText primary={entry.title} secondary={entry.detail} sx={{ pr: 22 }} />
          </ListItem>
        ))}
      </List>
      {/* The Image step shows the same progress itself. */}
      {!onImageStep && (
        <Box sx={{ mt: 1 }}>
          <ImageAddStatus />
        </Box>
      )}
      {enrolling && <NodeDialog node={null} onClose={() => setEnrolling(false)} />}
    </Paper>
  );
}
