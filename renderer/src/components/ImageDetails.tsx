import { Alert, Box, Button, Stack, TextField, Typography } from '@mui/material';
import { useState } from 'react';
import type { Image } from '../../../shared/deploy';
import { expectedChecksum } from '../../../shared/image-checksum';
import { formatBytes } from '../format-bytes';

const FORMAT_NAMES: Record<Image['format'], string> = { raw: 'raw', gzip: 'raw, gzip-compressed', xz: 'raw, xz-compressed', zstd: 'raw, zstd-compressed', qcow2: 'qcow2' };

type Verdict = { kind: 'match' } | { kind: 'mismatch'; expected: string } | { kind: 'unusable'; reason: string };

/**
 * What the library measured of one image — format, the disk it describes, the data that will be sent and written, the
 * file's sha256 — and a check of that sha256 against the vendor's hash or SHA256SUMS, pasted by the operator.
 */
export function ImageDetails({ image }: { image: Image }) {
  const [checksum, setChecksum] = useState('');
  const [verdict, setVerdict] = useState<Verdict | null>(null);
  const fileName = image.path.split(/[\\/]/).pop() ?? image.name;
  const share = image.virtualSize > 0 ? (100 * image.dataSize) / image.virtualSize : 0;

  const check = (): void => {
    const expected = expectedChecksum(checksum, fileName);
    if (!expected.ok) setVerdict({ kind: 'unusable', reason: expected.reason });
    else setVerdict(expected.sha256 === image.sha256 ? { kind: 'match' } : { kind: 'mismatch', expected: expected.sha256 });
  };

  return (
    <Box data-testid={`image-details-${image.id}`} sx={{ py: 1 }}>
      <Stack direction={{ xs: 'column', md: 'row' }} spacing={3}>
        <Typography variant="body2">Format: {FORMAT_NAMES[image.format]}</Typography>
        <Typography variant="body2">Disk: {formatBytes(image.virtualSize)}</Typography>
        <Typography variant="body2" title={`${image.dataSize} bytes in ${image.extentCount} extent(s); the rest is zeroed on the target, not sent`}>
          Data: {formatBytes(image.dataSize)} ({share.toFixed(share < 10 ? 1 : 0)} %, {image.extentCount} extent{image.extentCount === 1 ? '' : 's'})
        </Typography>
        <Typography variant="body2">File: {formatBytes(image.size)}</Typography>
      </Stack>
      <Typography variant="body2" sx={{ fontFamily: 'monospace', wordBreak: 'break-all', mt: 0.5 }}>
        SHA-256 {image.sha256}
        {image.checksumMatched ? ' — matched the checksum given when added' : ''}
      </Typography>
      <Stack direction="row" spacing={1} sx={{ mt: 1, alignItems: 'flex-start' }}>
        <TextField
          size="small"
          label="Check against a SHA-256 or SHA256SUMS"
          value={checksum}
          onChange={(event) => {
            setChecksum(event.target.value);
            setVerdict(null);
          }}
          multiline
          maxRows={4}
          sx={{ flex: 1 }}
          slotProps={{ htmlInput: { 'aria-label': `Checksum for ${image.name}` } }}
        />
        <Button variant="outlined" disabled={!checksum.trim()} onClick={check}>
          Check
        </Button>
      </Stack>
      {verdict?.kind === 'match' && <Alert severity="success" sx={{ mt: 1 }}>The file's SHA-256 matches: this is the image its publisher released.</Alert>}
      {verdict?.kind === 'mismatch' && (
        <Alert severity="error" sx={{ mt: 1 }}>
          The file's SHA-256 is {image.sha256}, not {verdict.expected}: it is damaged or another version. Download it again before deploying it.
        </Alert>
      )}
      {verdict?.kind === 'unusable' && <Alert severity="warning" sx={{ mt: 1 }}>{verdict.reason}</Alert>}
    </Box>
  );
}
