import { Button, Stack, TextField } from '@mui/material';
import { useState } from 'react';
import type { FilePurpose } from '../../../shared/setup';
import { errorText } from '../api/client';
import { useClient } from '../api/context';
import { uploadFile } from '../api/upload';
import { formatBytes } from '../format-bytes';
import { isDesktop } from '../store/image-adding';

interface Props {
  label: string;
  purpose: FilePurpose;
  value: string;
  onChange(value: string): void;
  onError(message: string): void;
}

/**
 * A file the core reads (a kernel, an initrd, a busybox): chosen in the open dialog in the desktop app, uploaded to the
 * data folder in the browser (which cannot name a laptop path); the field then shows where the core has it.
 */
export function FileField({ label, purpose, value, onChange, onError }: Props): React.JSX.Element {
  const client = useClient();
  const [progress, setProgress] = useState<string | null>(null);

  const pick = async (): Promise<void> => {
    try {
      const { path } = await client.call('files.pick', { purpose });
      if (path) onChange(path);
    } catch (error) {
      onError(errorText(error));
    }
  };

  const upload = async (file: File): Promise<void> => {
    try {
      const done = await uploadFile(file, undefined, ({ sent, total }) => setProgress(`${formatBytes(sent)} of ${formatBytes(total)}`));
      if (done.path) onChange(done.path);
    } catch (error) {
      onError(errorText(error));
    } finally {
      setProgress(null);
    }
  };

  return (
    <Stack direction="row" spacing={1} sx={{ flex: 1, alignItems: 'flex-start' }}>
      <TextField
        size="small"
        label={label}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        helperText={progress ? `Uploading: ${progress}` : undefined}
        sx={{ flex: 1 }}
      />
      {isDesktop() ? (
        <Button variant="outlined" aria-label={`Choose ${label}`} onClick={() => void pick()}>
          Choose…
        </Button>
      ) : (
        <Button variant="outlined" component="label" aria-label={`Upload ${label}`} disabled={progress !== null}>
          Upload…
          <input
            type="file"
            hidden
            onChange={(event) => {
              const file = event.target.files?.[0];
              event.target.value = '';
              if (file) void upload(file);
            }}
          />
        </Button>
      )}
    </Stack>
  );
}
