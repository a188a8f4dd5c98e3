import {
  Alert,
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  List,
  ListItem,
  ListItemText,
  Stack,
  TextField,
  Typography,
} from '@mui/material';
import { useState } from 'react';
import { hardwareInfoTextSchema, type ImportResult } from '../../../shared/nodes';
import { useClient } from '../api/context';
import { errorText } from '../api/client';

/** Imports DevStack's hardware_info (`IP MAC USER PASS` per line) from a file or pasted text. */
export function ImportDialog({ onClose }: { onClose(): void }): React.JSX.Element {
  const client = useClient();
  const [text, setText] = useState('');
  const [result, setResult] = useState<ImportResult | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

  const readFile = async (file: File | undefined): Promise<void> => {
    if (file) setText(await file.text());
  };

  const runImport = async (): Promise<void> => {
    setFailure(null);
    const checked = hardwareInfoTextSchema.safeParse(text);
    if (!checked.success) {
      setFailure(checked.error.issues[0]!.message);
      return;
    }
    try {
      setResult(await client.call('nodes.importHardwareInfo', { text }));
    } catch (error) {
      setFailure(errorText(error));
    }
  };

  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="md" aria-labelledby="import-dialog-title">
      <DialogTitle id="import-dialog-title">Import hardware_info</DialogTitle>
      <DialogContent>
        <Stack spacing={2} sx={{ pt: 1 }}>
          <Typography variant="body2">
            One server per line: <code>BMC-IP MAC USER PASSWORD</code>, as DevStack’s <code>/var/tmp/hardware_info</code>.
          </Typography>
          <Button variant="outlined" component="label" sx={{ alignSelf: 'flex-start' }}>
            Choose file…
            <input
              type="file"
              hidden
              aria-label="hardware_info file"
              onChange={(event) => void readFile(event.target.files?.[0])}
            />
          </Button>
          <TextField
            label="hardware_info lines"
            multiline
            minRows={5}
            value={text}
            onChange={(event) => setText(event.target.value)}
            slotProps={{ htmlInput: { spellCheck: false, style: { fontFamily: 'monospace' } } }}
          />
          {failure && <Alert severity="error">{failure}</Alert>}
          {result && (
            <Alert severity={result.problems.length ? 'warning' : 'success'} role="status">
              {result.added} server(s) added
              {result.problems.length ? `, ${result.problems.length} line(s) skipped:` : '.'}
              {result.problems.length > 0 && (
                <List dense aria-label="Skipped lines">
                  {result.problems.map((problem) => (
                    <ListItem key={problem.line} disableGutters>
                      <ListItemText primary={`Line ${problem.line}: ${problem.reason}`} secondary={problem.text} />
                    </ListItem>
                  ))}
                </List>
              )}
            </Alert>
          )}
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>{result ? 'Done' : 'Cancel'}</Button>
        <Button variant="contained" disabled={text.trim() === ''} onClick={() => void runImport()}>
          Import
        </Button>
      </DialogActions>
    </Dialog>
  );
}
