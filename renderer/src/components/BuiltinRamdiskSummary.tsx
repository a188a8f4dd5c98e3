import { Alert, Typography } from '@mui/material';
import { useEffect, useState } from 'react';
import type { BuiltinRamdiskStatus } from '../../../shared/deploy';
import { useClient } from '../api/context';

/** What the built-in deploy ramdisk holds, or why it is missing; null until the core has answered. */
export function useBuiltinRamdisk(): BuiltinRamdiskStatus | null {
  const client = useClient();
  const [status, setStatus] = useState<BuiltinRamdiskStatus | null>(null);
  useEffect(() => {
    void client.call('deploy.builtinRamdisk', {}).then(setStatus, () => setStatus(null));
  }, [client]);
  return status;
}

/** The built-in ramdisk in one line: "Built-in: Debian 12.15 (bookworm), kernel 6.1.176, 412 drivers, 233 firmware files". */
export function BuiltinRamdiskSummary({ status }: { status: BuiltinRamdiskStatus | null }): React.JSX.Element | null {
  if (!status) return null;
  if (!status.available) {
    return (
      <Alert severity="warning" aria-label="Built-in ramdisk">
        {status.reason}
      </Alert>
    );
  }
  const { manifest } = status;
  return (
    <Typography variant="body2" aria-label="Built-in ramdisk" title={manifest.packages.map((entry) => `${entry.name} ${entry.version}`).join('\n')}>
      Built-in: {manifest.distribution.replace(/ \(.*\)$/, '')}, kernel {manifest.kernelVersion}, {manifest.drivers} drivers,{' '}
      {manifest.firmwareFiles} firmware files ({((manifest.kernelBytes + manifest.initrdBytes) / 1048576).toFixed(0)} MiB to boot)
    </Typography>
  );
}
