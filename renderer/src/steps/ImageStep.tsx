import {
  Accordion,
  AccordionDetails,
  AccordionSummary,
  Button,
  FormControlLabel,
  Radio,
  RadioGroup,
  Stack,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Typography,
} from '@mui/material';
import type { BootMode } from '../../../shared/deploy';
import { useClient } from '../api/context';
import { AddImageButton, ExpectedChecksumField, ImageAddStatus } from '../components/AddImage';
import { BuiltinRamdiskSummary, useBuiltinRamdisk } from '../components/BuiltinRamdiskSummary';
import { ImageDetails } from '../components/ImageDetails';
import { RamdiskSettings } from '../components/RamdiskSettings';
import { formatBytes } from '../format-bytes';
import { isDesktop, useImageAdding } from '../store/image-adding';
import { useImages } from '../store/images';

export function ImageStep(): React.JSX.Element {
  const client = useClient();
  const { images } = useImages();
  const bootMode = useImageAdding((state) => state.bootMode);
  const builtinRamdisk = useBuiltinRamdisk();

  return (
    <Stack spacing={2}>
      <Typography variant="body2" color="text.secondary">
        A whole-disk image: raw, compressed with gzip, xz or zstd, or qcow2 (a distribution’s cloud image). Only its data is sent to the server; the rest of its disk reads as zeros.{' '}
        {isDesktop() ? 'Choose the file, or drop it anywhere on this window.' : 'Upload the file, or drop it anywhere on this window.'}{' '}
        Rackboot computes its SHA-256 and checks that the disk holds exactly these bytes after the write.
      </Typography>
      <Stack direction={{ xs: 'column', sm: 'row' }} spacing={2} sx={{ alignItems: { sm: 'center' } }}>
        <AddImageButton />
        <RadioGroup
          row
          aria-label="Boot mode"
          value={bootMode}
          onChange={(event) => useImageAdding.setState({ bootMode: event.target.value as BootMode })}
        >
          <FormControlLabel value="bios" control={<Radio />} label="BIOS" />
          <FormControlLabel value="uefi" control={<Radio />} label="UEFI" />
        </RadioGroup>
        <ExpectedChecksumField />
      </Stack>
      <ImageAddStatus />
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
      <Stack spacing={1} aria-label="Deploy ramdisk">
        <Typography variant="subtitle1">Deploy ramdisk</Typography>
        <BuiltinRamdiskSummary status={builtinRamdisk} />
        <Accordion disableGutters variant="outlined">
          <AccordionSummary aria-controls="advanced-ramdisk" id="advanced-ramdisk-header">
            <Typography>Advanced: my own kernel or initrd, target disk, console text</Typography>
          </AccordionSummary>
          <AccordionDetails id="advanced-ramdisk">
            <RamdiskSettings />
          </AccordionDetails>
        </Accordion>
      </Stack>
    </Stack>
  );
}
