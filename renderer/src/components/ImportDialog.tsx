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
import { hardwareInfoTextSchema, linesInParts, type ImportResult } from '../../../shared/nodes';
import { useClient } from '../api/context';
import { errorText } from '../api/client';

/** A file this big is imported without being shown: a text box of megabytes would hold the page up. */
const SHOWN_FILE_CHARACTERS = 200_000;

/** Rackboot's own export is JSON Lines; hardware_info lines never start with `{`. */
function isRackbootExport(text: string): boolean {
  return text.trimStart().startsWith('{');
}

/**
 * Imports DevStack's hardware_info (`IP MAC USER PASS` per line) or Rackboot's own export (one JSON line per server,
 * with its inventory) from a file or pasted text. An export is sent in parts of whole lines, so any size fits.
 */
export function ImportDialog({ onClose }: { onClose(): void }): React.JSX.Element {
  const client = useClient();
  const [text, setText] = useState('');
  const [bigFile, setBigFile] = useState<{ name: string; text: string } | null>(null);
  const [result, setResult] = useState<ImportResult | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const readFile = async (file: File | undefined): Promise<void> => {
    if (!file) return;
    const content = await file.text();
    if (content.length > SHOWN_FILE_CHARACTERS) {
      setBigFile({ name: file.name, text: content });
      setText('');
    } else {
      setBigFile(null);
      setText(content);
    }
  };

  const importExport = async (content: string): Promise<ImportResult> => {
    const total: ImportResult = { added: 0, problems: [] };
    for (const part of linesInParts(content)) {
      const answer = await client.call('nodes.importNodeLines', part);
      total.added += answer.added;
      total.problems.push(...answer.problems);
    }
    return total;
  };

  const runImport = async (): Promise<void> => {
    setFailure(null);
    const content = bigFile?.text ?? text;
    if (isRackbootExport(content)) {
      setBusy(true);
      try {
        setResult(await importExport(content));
      } catch (error) {
        setFailure(errorText(error));
      } finally {
        setBusy(false);
      }
      return;
    }
    const checked = hardwareInfoTextSchema.safeParse(content);
    if (!checked.success) {
      setFailure(checked.error.issues[0]!.message);
      return;
    }
    try {
      setResult(await client.call('nodes.importHardwareInfo', { text: content }));
    } catch (error) {
      setFailure(errorText(error));
    }
  };

  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="md" aria-labelledby="import-dialog-title">
      <DialogTitle id="import-dialog-title">Import servers</DialogTitle>
      <DialogContent>
        <Stack spacing={2} sx={{ pt: 1 }}>
          <Typography variant="body2">
            One server per line: <code>BMC-IP MAC USER PASSWORD</code>, as DevStack’s <code>/var/tmp/hardware_info</code>, or a
            Rackboot export (<code>rackboot-nodes.jsonl</code>), which brings names, disk choices and inventories along.
          </Typography>
          <Button variant="outlined" component="label" sx={{ alignSelf: 'flex-start' }}>
            Choose file…
            <input
              type="file"
              hidden
              aria-label="File to import"
              onChange={(event) => void readFile(event.target.files?.[0])}
            />
          </Button>
          {bigFile && (
            <Typography variant="body2" role="note">
              {bigFile.name}: {bigFile.text.length.toLocaleString('en-US')} characters, not shown here.
            </Typography>
          )}
          <TextField
            label="Lines to import"
            multiline
            minRows={5}
            value={text}
            onChange={(event) => {
              setBigFile(null);
              setText(event.target.value);
            }}
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
        <Button variant="contained" disabled={busy || (bigFile === null && text.trim() === '')} onClick={() => void runImport()}>
          Import
        </Button>
      </DialogActions>
    </Dialog>
  );
}
