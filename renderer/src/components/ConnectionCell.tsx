import { Alert, Box, CircularProgress, Typography } from '@mui/material';
import type { BmcTestResult } from '../../../shared/bmc';

export type ConnectionTest = { state: 'running' } | { state: 'ok'; result: BmcTestResult } | { state: 'error'; message: string };

/** What "Test connection" found: the BMC's identity, firmware, power and GUID, or the problem in plain words. */
export function ConnectionSummary({ test }: { test: ConnectionTest }): React.JSX.Element {
  if (test.state === 'running') {
    return (
      <Box sx={{ display: 'flex', gap: 1, alignItems: 'center' }}>
        <CircularProgress size={14} aria-label="Testing connection" />
        <Typography variant="body2">Logging in…</Typography>
      </Box>
    );
  }
  if (test.state === 'error') {
    return (
      <Alert severity="error" sx={{ py: 0 }}>
        {test.message}
      </Alert>
    );
  }
  const { deviceId, systemGuid, powerOn, cipherSuite } = test.result;
  return (
    <Typography variant="body2" component="div">
      {deviceId.manufacturerName} · firmware {deviceId.firmwareVersion} · IPMI {deviceId.ipmiVersion}
      {cipherSuite ? ` · cipher suite ${cipherSuite}` : ''}
      <br />
      Power {powerOn ? 'on' : 'off'} · GUID {systemGuid ?? 'not reported'}
    </Typography>
  );
}
