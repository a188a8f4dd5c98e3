import {
  Alert,
  Button,
  Checkbox,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  FormControlLabel,
  Stack,
  Typography,
} from '@mui/material';
import { useState } from 'react';
import type { ExportResult } from '../../../shared/nodes';
import { useClient } from '../api/context';
import { errorText, launchToken } from '../api/client';

/**
 * Starts a headless-mode download: the browser fetches the file from the server straight into its downloads, so the
 * page's code never reads it.
 */
function followDownload(url: string): void {
  const link = document.createElement('a');
  link.href = `${url}?token=${encodeURIComponent(launchToken())}`;
  link.download = 'hardware_info';
  link.click();
}

function outcome(result: ExportResult): string {
  const servers = `${result.exported} server(s), ${result.passwordsIncluded ? 'with their passwords' : 'without passwords'}`;
  switch (result.delivery.kind) {
    case 'saved':
      return `Saved ${servers} to ${result.delivery.path} (readable by you only).`;
    case 'download':
      return `Downloading hardware_info: ${servers}.`;
    case 'cancelled':
      return 'Nothing was saved.';
  }
}

/** Exports the inventory as DevStack's hardware_info; the core writes the file, passwords only when ticked. */
export function ExportDialog({ onClose }: { onClose(): void }): React.JSX.Element {
  const client = useClient();
  const [includePasswords, setIncludePasswords] = useState(false);
  const [result, setResult] = useState<ExportResult | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const runExport = async (): Promise<void> => {
    setFailure(null);
    setBusy(true);
    try {
      const answer = await client.call('nodes.exportHardwareInfo', { includePasswords });
      if (answer.delivery.kind === 'download') followDownload(answer.delivery.url);
      setResult(answer);
    } catch (error) {
      setFailure(errorText(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="sm" aria-labelledby="export-dialog-title">
      <DialogTitle id="export-dialog-title">Export hardware_info</DialogTitle>
      <DialogContent>
        <Stack spacing={2} sx={{ pt: 1 }}>
          <Typography variant="body2">
            One line per server with a MAC: <code>BMC-IP MAC USER PASSWORD</code>. Without passwords, each line has{' '}
            <code>********</code> where the password goes.
          </Typography>
          <FormControlLabel
            control={
              <Checkbox
                checked={includePasswords}
                onChange={(event) => {
                  setIncludePasswords(event.target.checked);
                  setResult(null);
                }}
              />
            }
            label="Include passwords"
          />
          {includePasswords && (
            <Alert severity="warning">The file will hold every BMC password in clear text: keep it somewhere only you can read.</Alert>
          )}
          {failure && <Alert severity="error">{failure}</Alert>}
          {result && (
            <Alert severity={result.delivery.kind === 'cancelled' ? 'info' : 'success'} role="status">
              {outcome(result)}
              {result.skipped.length > 0 &&
                ` Left out: ${result.skipped.map((skipped) => `${skipped.name} (${skipped.reason})`).join('; ')}.`}
            </Alert>
          )}
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>{result ? 'Done' : 'Cancel'}</Button>
        <Button variant="contained" disabled={busy} onClick={() => void runExport()}>
          Export
        </Button>
      </DialogActions>
    </Dialog>
  );
}
