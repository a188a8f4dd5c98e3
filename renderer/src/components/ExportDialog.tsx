import {
  Alert,
  Button,
  Checkbox,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  FormControlLabel,
  Radio,
  RadioGroup,
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
function followDownload(url: string, name: string): void {
  const link = document.createElement('a');
  link.href = `${url}?token=${encodeURIComponent(launchToken())}`;
  link.download = name;
  link.click();
}

type Format = 'hardware_info' | 'rackboot-nodes';

const FILE_NAMES: Record<Format, string> = { hardware_info: 'hardware_info', 'rackboot-nodes': 'rackboot-nodes.jsonl' };

function outcome(result: ExportResult, format: Format): string {
  const servers = `${result.exported} server(s), ${result.passwordsIncluded ? 'with their passwords' : 'without passwords'}`;
  switch (result.delivery.kind) {
    case 'saved':
      return `Saved ${servers} to ${result.delivery.path} (readable by you only).`;
    case 'download':
      return `Downloading ${FILE_NAMES[format]}: ${servers}.`;
    case 'cancelled':
      return 'Nothing was saved.';
  }
}

/**
 * Exports the servers as DevStack's hardware_info or as Rackboot's own file (with names, disk choice and inventories);
 * the core writes the file, passwords only when ticked.
 */
export function ExportDialog({ onClose }: { onClose(): void }): React.JSX.Element {
  const client = useClient();
  const [includePasswords, setIncludePasswords] = useState(false);
  const [format, setFormat] = useState<Format>('hardware_info');
  const [result, setResult] = useState<ExportResult | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const runExport = async (): Promise<void> => {
    setFailure(null);
    setBusy(true);
    try {
      const answer = await client.call('nodes.exportHardwareInfo', { includePasswords, format });
      if (answer.delivery.kind === 'download') followDownload(answer.delivery.url, FILE_NAMES[format]);
      setResult(answer);
    } catch (error) {
      setFailure(errorText(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="sm" aria-labelledby="export-dialog-title">
      <DialogTitle id="export-dialog-title">Export servers</DialogTitle>
      <DialogContent>
        <Stack spacing={2} sx={{ pt: 1 }}>
          <RadioGroup
            aria-label="Format"
            value={format}
            onChange={(event) => {
              setFormat(event.target.value as Format);
              setResult(null);
            }}
          >
            <FormControlLabel value="hardware_info" control={<Radio />} label="hardware_info (DevStack)" />
            <FormControlLabel value="rackboot-nodes" control={<Radio />} label="Rackboot export, with inventories (JSON Lines)" />
          </RadioGroup>
          <Typography variant="body2">
            {format === 'hardware_info' ? (
              <>
                One line per server with a MAC: <code>BMC-IP MAC USER PASSWORD</code>. Without passwords, each line has{' '}
                <code>********</code> where the password goes.
              </>
            ) : (
              <>
                One JSON line per server: its name, BMC, MAC, notes, disk choice, cleaning and latest inventory, which Import
                takes back. The “erase this disk” confirmation is not exported. Without passwords, each line has{' '}
                <code>********</code> where the password goes.
              </>
            )}
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
              {outcome(result, format)}
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
