import { Alert, Box, Button, CircularProgress, Typography } from '@mui/material';
import type { BmcTestResult, RedfishTestResult } from '../../../shared/bmc';
import type { TlsCertificate } from '../../../shared/redfish';

export type ConnectionTest = { state: 'running' } | { state: 'ok'; result: BmcTestResult } | { state: 'error'; message: string };

function CertificateLines({ certificate }: { certificate: TlsCertificate }): React.JSX.Element {
  return (
    <Typography variant="body2" component="div" sx={{ fontFamily: 'monospace', fontSize: 12, wordBreak: 'break-all' }}>
      SHA-256 {certificate.sha256}
      <br />
      Subject {certificate.subject} · Issuer {certificate.issuer}
      <br />
      Valid {certificate.notBefore.slice(0, 10)} to {certificate.notAfter.slice(0, 10)}
    </Typography>
  );
}

function RedfishSummary({ result, onTrust }: { result: RedfishTestResult; onTrust?: ((certificate: TlsCertificate) => void) | undefined }): React.JSX.Element {
  const { certificate } = result;
  if (result.trust === 'untrusted') {
    return (
      <Alert severity="info" sx={{ py: 0 }} action={certificate && onTrust ? <Button onClick={() => onTrust(certificate)}>Trust this certificate</Button> : undefined}>
        Redfish {result.redfishVersion ?? ''} answers. Compare its certificate with the one the BMC shows on its own screen or web
        page; no password is sent until you trust it.
        {certificate && <CertificateLines certificate={certificate} />}
      </Alert>
    );
  }
  if (result.trust === 'changed') {
    return (
      <Alert severity="warning" sx={{ py: 0 }} action={certificate && onTrust ? <Button onClick={() => onTrust(certificate)}>Accept the new certificate</Button> : undefined}>
        The BMC’s TLS certificate changed (trusted was {result.pinnedSha256}). Accept the new one only if the BMC was reset or its
        certificate renewed; no password was sent.
        {certificate && <CertificateLines certificate={certificate} />}
      </Alert>
    );
  }
  const system = result.system;
  return (
    <Typography variant="body2" component="div">
      Redfish {result.redfishVersion ?? ''} · {system?.manufacturer ?? 'maker not reported'} {system?.model ?? ''} · BIOS {system?.biosVersion ?? '?'} ·{' '}
      {system?.auth === 'session' ? 'session login' : 'HTTP Basic login'}
      <br />
      Power {result.powerOn ? 'on' : 'off'} · UUID {result.systemGuid ?? 'not reported'} · serial console: none (IPMI only)
      {certificate && <CertificateLines certificate={certificate} />}
    </Typography>
  );
}

/** What "Test connection" found: the BMC's identity, firmware, power and GUID, or the problem in plain words. */
export function ConnectionSummary({
  test,
  onTrust,
}: {
  test: ConnectionTest;
  /** Offered when a Redfish BMC's certificate is new or changed: the operator trusts the one shown. */
  onTrust?: (certificate: TlsCertificate) => void;
}): React.JSX.Element {
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
  if (test.result.protocol === 'redfish') return <RedfishSummary result={test.result} onTrust={onTrust} />;
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
