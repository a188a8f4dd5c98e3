import { Alert, Box, Button, LinearProgress, Stack, TextField, Typography } from '@mui/material';
import { useClient } from '../api/context';
import { formatBytes } from '../format-bytes';
import { addImageFile, isDesktop, pickImage, useImageAdding } from '../store/image-adding';
import { useImages } from '../store/images';

/** The button that adds an image: the open dialog in the desktop app, a file upload in the browser. */
export function AddImageButton({ label = 'Add image…' }: { label?: string }): React.JSX.Element {
  const client = useClient();
  const busy = useImageAdding((state) => state.busy !== null);
  if (isDesktop()) {
    return (
      <Button variant="contained" disabled={busy} onClick={() => void pickImage(client)}>
        {label}
      </Button>
    );
  }
  return (
    <Button variant="contained" component="label" disabled={busy}>
      {label}
      <input
        type="file"
        hidden
        aria-label="Image file to upload"
        onChange={(event) => {
          const file = event.target.files?.[0];
          event.target.value = '';
          if (file) void addImageFile(client, file);
        }}
      />
    </Button>
  );
}

/** The checksum the operator expects of the next upload; a file that arrives with another one is refused. */
export function ExpectedChecksumField(): React.JSX.Element | null {
  const value = useImageAdding((state) => state.expectedSha256);
  if (isDesktop()) return null;
  return (
    <TextField
      size="small"
      label="Expected SHA-256 (optional)"
      value={value}
      onChange={(event) => useImageAdding.setState({ expectedSha256: event.target.value })}
      sx={{ flex: 1, minWidth: 260 }}
      slotProps={{ htmlInput: { spellCheck: false, style: { fontFamily: 'monospace' } } }}
    />
  );
}

/** Upload and checksum progress of the image being added, and why the last one failed. */
export function ImageAddStatus(): React.JSX.Element | null {
  const { busy, error } = useImageAdding();
  const measured = useImages((state) => (busy?.path ? state.adding[busy.path] : undefined));
  if (!busy && !error) return null;
  if (!busy) {
    return (
      <Alert severity="error" onClose={() => useImageAdding.setState({ error: null })}>
        {error}
      </Alert>
    );
  }
  const uploading = busy.upload && !busy.path;
  const done = uploading ? busy.upload!.sent : (measured?.read ?? 0);
  const total = uploading ? busy.upload!.total : (measured?.total ?? 0);
  const resumed = busy.upload?.resumedAt;
  return (
    <Box role="status" aria-label="Image progress">
      <Typography variant="body2">
        {uploading
          ? `Uploading ${busy.name}: ${formatBytes(done)} of ${formatBytes(total)}${resumed !== null && resumed !== undefined ? ` (continued from ${formatBytes(resumed)} the server already had)` : ''}…`
          : `Computing the SHA-256 of ${busy.name}…`}
      </Typography>
      <LinearProgress variant={total > 0 ? 'determinate' : 'indeterminate'} value={total > 0 ? (100 * done) / total : 0} aria-label={uploading ? 'Upload progress' : 'Checksum progress'} />
    </Box>
  );
}

/** The whole "add an image" row: button, checksum field and progress. */
export function AddImage(): React.JSX.Element {
  return (
    <Stack spacing={1}>
      <Stack direction={{ xs: 'column', sm: 'row' }} spacing={2} sx={{ alignItems: { sm: 'center' } }}>
        <AddImageButton />
        <ExpectedChecksumField />
      </Stack>
      <ImageAddStatus />
    </Stack>
  );
}
