import {
  Alert,
  Box,
  Button,
  FormControlLabel,
  LinearProgress,
  Radio,
  RadioGroup,
  Stack,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  TextField,
  Typography,
} from '@mui/material';
import { useState } from 'react';
import type { BootMode } from '../../../shared/deploy';
import { useClient } from '../api/context';
import { ImageDetails, formatBytes } from '../components/ImageDetails';
import { RamdiskSettings } from '../components/RamdiskSettings';
import { useImages } from '../store/images';
import { errorText } from '../api/client';

export function ImageStep(): React.JSX.Element {
  const client = useClient();
  const { images, adding } = useImages();
  const [path, setPath] = useState('');
  const [bootMode, setBootMode] = useState<BootMode>('bios');
  const [busyPath, setBusyPath] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const add = async (): Promise<void> => {
    setError(null);
    setBusyPath(path);
    try {
      await client.call('images.add', { path, bootMode });
      setPath('');
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setBusyPath(null);
    }
  };

  const progress = busyPath ? adding[busyPath] : undefined;

  return (
    <Stack spacing={2}>
      <Typography variant="body2" color="text.secondary">
        The image is written to the server’s disk as it is: a raw disk image, or one compressed with gzip. Rackboot
        computes its SHA-256 once here and checks that the disk holds exactly these bytes after the write.
      </Typography>
      <Stack direction={{ xs: 'column', sm: 'row' }} spacing={2} sx={{ alignItems: { sm: 'center' } }}>
        <TextField
          label="Image file path"
          placeholder="/srv/images/debian-12.raw"
          value={path}
          onChange={(event) => setPath(event.target.value)}
          sx={{ flex: 1 }}
        />
        <RadioGroup row aria-label="Boot mode" value={bootMode} onChange={(event) => setBootMode(event.target.value as BootMode)}>
          <FormControlLabel value="bios" control={<Radio />} label="BIOS" />
          <FormControlLabel value="uefi" control={<Radio />} label="UEFI" />
        </RadioGroup>
        <Button variant="contained" disabled={path.trim() === '' || busyPath !== null} onClick={() => void add()}>
          Add image
        </Button>
      </Stack>
      {busyPath && (
        <Box aria-label="Checksum progress">
          <Typography variant="body2">Computing SHA-256 of {busyPath}…</Typography>
          <LinearProgress
            variant={progress ? 'determinate' : 'indeterminate'}
            value={progress && progress.total > 0 ? (100 * progress.read) / progress.total : 0}
          />
        </Box>
      )}
      {error && <Alert severity="error">{error}</Alert>}
      {images.length === 0 ? (
        <Typography color="text.secondary">No images yet.</Typography>
      ) : (
        <Table size="small" aria-label="Images">
          <TableHead>
            <TableRow>
              <TableCell>Name</TableCell>
              <TableCell>Format</TableCell>
              <TableCell>Size on disk</TableCell>
              <TableCell>Boot</TableCell>
              <TableCell>SHA-256</TableCell>
              <TableCell align="right">Actions</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {images.map((image) => [
              <TableRow key={image.id} sx={{ '& > td': { borderBottom: 'none' } }}>
                <TableCell title={image.path}>{image.name}</TableCell>
                <TableCell>{image.format}</TableCell>
                <TableCell>{formatBytes(image.virtualSize)}</TableCell>
                <TableCell>{image.bootMode.toUpperCase()}</TableCell>
                <TableCell sx={{ fontFamily: 'monospace' }} title={image.sha256}>
                  {image.sha256.slice(0, 16)}…
                </TableCell>
                <TableCell align="right">
                  <Button
                    size="small"
                    color="error"
                    aria-label={`Remove image ${image.name}`}
                    onClick={() => void client.call('images.remove', { id: image.id })}
                  >
                    Remove
                  </Button>
                </TableCell>
              </TableRow>,
              <TableRow key={`${image.id}-details`}>
                <TableCell colSpan={6}>
                  <ImageDetails image={image} />
                </TableCell>
              </TableRow>,
            ])}
          </TableBody>
        </Table>
      )}
      <RamdiskSettings />
    </Stack>
  );
}
