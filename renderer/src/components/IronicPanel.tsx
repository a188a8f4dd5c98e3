import {
  Alert,
  Button,
  Checkbox,
  FormControlLabel,
  MenuItem,
  Stack,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  TextField,
  Typography,
} from '@mui/material';
import { useEffect, useState } from 'react';
import type { IronicAuth, IronicConnection, IronicNodeProgress } from '../../../shared/ironic';
import type { ExportResult, NodeView } from '../../../shared/nodes';
import { errorText, launchToken } from '../api/client';
import { useClient } from '../api/context';

type AuthKind = IronicAuth['kind'];

const STEP_TEXT: Record<IronicNodeProgress['step'], string> = {
  queued: 'waiting',
  sending: 'sending',
  sent: 'sent',
  verifying: 'Ironic checks the BMC',
  manageable: 'manageable',
  failed: 'failed',
};

function followDownload(url: string, name: string): void {
  const link = document.createElement('a');
  link.href = `${url}?token=${encodeURIComponent(launchToken())}`;
  link.download = name;
  link.click();
}

function exportOutcome(result: ExportResult): string {
  const servers = `${result.exported} server(s), ${result.passwordsIncluded ? 'with their BMC passwords' : 'without passwords'}`;
  if (result.delivery.kind === 'saved') return `Saved ${servers} to ${result.delivery.path} (readable by you only). Load it with: baremetal create ${result.delivery.path}`;
  if (result.delivery.kind === 'download') return `Downloading ironic-nodes.json: ${servers}. Load it with: baremetal create ironic-nodes.json`;
  return 'Nothing was saved.';
}

/**
 * Hands the servers Rackboot knows to a running OpenStack Ironic (or to a file for its `baremetal create`), and shows
 * what Ironic makes of each BMC, live. The BMC passwords go from the core to Ironic; this panel never sees them.
 */
export function IronicPanel({ nodes }: { nodes: NodeView[] }): React.JSX.Element {
  const client = useClient();
  const [url, setUrl] = useState('http://');
  const [authKind, setAuthKind] = useState<AuthKind>('noauth');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [authUrl, setAuthUrl] = useState('');
  const [projectName, setProjectName] = useState('');
  const [verifyTls, setVerifyTls] = useState(true);
  const [includePasswords, setIncludePasswords] = useState(false);
  const [chosen, setChosen] = useState<Set<string> | null>(null);
  const [progress, setProgress] = useState<Record<string, IronicNodeProgress>>({});
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<{ severity: 'success' | 'info' | 'warning' | 'error'; text: string } | null>(null);

  useEffect(() => client.on('ironic.progress', (update) => setProgress((current) => ({ ...current, [update.nodeId]: update }))), [client]);

  const selected = nodes.filter((node) => (chosen === null ? true : chosen.has(node.id)));
  const toggle = (id: string): void =>
    setChosen((current) => {
      const next = new Set(current ?? nodes.map((node) => node.id));
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  const connection = (): IronicConnection => {
    const auth: IronicAuth =
      authKind === 'noauth'
        ? { kind: 'noauth' }
        : authKind === 'http_basic'
          ? { kind: 'http_basic', username, password }
          : { kind: 'keystone', authUrl, username, password, projectName };
    return { url: url.trim(), auth, verifyTls };
  };

  const run = async (work: () => Promise<void>): Promise<void> => {
    setBusy(true);
    setNotice(null);
    try {
      await work();
    } catch (error) {
      setNotice({ severity: 'error', text: errorText(error) });
    } finally {
      setBusy(false);
    }
  };

  const enroll = (): Promise<void> =>
    run(async () => {
      setProgress({});
      const result = await client.call('ironic.enroll', { connection: connection(), nodeIds: selected.map((node) => node.id) });
      const failed = result.nodes.filter((node) => node.step === 'failed').length;
      setNotice(
        failed
          ? { severity: 'warning', text: `${result.nodes.length - failed} of ${result.nodes.length} server(s) are in Ironic and manageable; ${failed} need attention (below).` }
          : { severity: 'success', text: `All ${result.nodes.length} server(s) are in Ironic (API ${result.apiVersion}).` },
      );
    });

  const exportFile = (): Promise<void> =>
    run(async () => {
      const result = await client.call('ironic.export', { nodeIds: selected.map((node) => node.id), includePasswords });
      if (result.delivery.kind === 'download') followDownload(result.delivery.url, 'ironic-nodes.json');
      setNotice({ severity: result.delivery.kind === 'cancelled' ? 'info' : 'success', text: exportOutcome(result) });
    });

  const importNodes = (): Promise<void> =>
    run(async () => {
      const result = await client.call('ironic.import', { connection: connection(), names: [] });
      const skipped = result.skipped.map((entry) => `${entry.name} (${entry.reason})`).join('; ');
      setNotice({
        severity: result.skipped.length ? 'warning' : 'success',
        text: `Added ${result.added.length} server(s) from Ironic${result.added.length ? ': type their BMC passwords, Ironic never gives them out' : ''}.${skipped ? ` Left out: ${skipped}.` : ''}`,
      });
    });

  return (
    <Stack spacing={2} component="section" aria-labelledby="ironic-title">
      <Typography id="ironic-title" variant="h6" component="h3">
        Hand off to Ironic
      </Typography>
      <Typography variant="body2">
        When the rack moves to OpenStack Ironic: send it these servers (BMC, PXE MAC, disk choice, inventory) and let Ironic check each BMC.
      </Typography>
      <Stack direction="row" spacing={2} sx={{ flexWrap: 'wrap', rowGap: 2 }}>
        <TextField size="small" label="Ironic API URL" value={url} onChange={(event) => setUrl(event.target.value)} sx={{ minWidth: 280 }} helperText="like http://ironic.example:6385" />
        <TextField select size="small" label="Authentication" value={authKind} onChange={(event) => setAuthKind(event.target.value as AuthKind)} sx={{ minWidth: 160 }}>
          <MenuItem value="noauth">none (noauth)</MenuItem>
          <MenuItem value="http_basic">HTTP basic</MenuItem>
          <MenuItem value="keystone">Keystone</MenuItem>
        </TextField>
        {authKind === 'keystone' && (
          <>
            <TextField size="small" label="Keystone URL" value={authUrl} onChange={(event) => setAuthUrl(event.target.value)} />
            <TextField size="small" label="Project" value={projectName} onChange={(event) => setProjectName(event.target.value)} />
          </>
        )}
        {authKind !== 'noauth' && (
          <>
            <TextField size="small" label="User" value={username} onChange={(event) => setUsername(event.target.value)} autoComplete="off" />
            <TextField size="small" label="Password" type="password" value={password} onChange={(event) => setPassword(event.target.value)} autoComplete="off" />
          </>
        )}
        {url.trim().startsWith('https:') && (
          <FormControlLabel control={<Checkbox checked={verifyTls} onChange={(event) => setVerifyTls(event.target.checked)} />} label="Verify TLS certificate" />
        )}
      </Stack>
      {nodes.length === 0 ? (
        <Alert severity="info">No servers yet: enrol them in the first step, or import them from Ironic.</Alert>
      ) : (
        <Table size="small" aria-label="Servers for Ironic">
          <TableHead>
            <TableRow>
              <TableCell padding="checkbox">Send</TableCell>
              <TableCell>Server</TableCell>
              <TableCell>Ironic state</TableCell>
              <TableCell>What Ironic says</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {nodes.map((node) => {
              const state = progress[node.id];
              return (
                <TableRow key={node.id} aria-label={`Ironic hand-off of ${node.name}`}>
                  <TableCell padding="checkbox">
                    <Checkbox checked={chosen === null || chosen.has(node.id)} onChange={() => toggle(node.id)} slotProps={{ input: { 'aria-label': `Send ${node.name}` } }} />
                  </TableCell>
                  <TableCell>{node.name}</TableCell>
                  <TableCell>
                    {state ? `${STEP_TEXT[state.step]}${state.provisionState && state.step !== 'manageable' ? ` (${state.provisionState})` : ''}` : '—'}
                  </TableCell>
                  <TableCell sx={{ color: state?.step === 'failed' ? 'error.main' : undefined }}>{state?.message ?? ''}</TableCell>
                </TableRow>
              );
            })}
          </TableBody>
        </Table>
      )}
      <Stack direction="row" spacing={2} sx={{ alignItems: 'center', flexWrap: 'wrap', rowGap: 1 }}>
        <Button variant="contained" disabled={busy || selected.length === 0} onClick={() => void enroll()}>
          Enrol in Ironic
        </Button>
        <Button disabled={busy} onClick={() => void importNodes()}>
          Import from Ironic
        </Button>
        <Button disabled={busy || selected.length === 0} onClick={() => void exportFile()}>
          Export file for baremetal create
        </Button>
        <FormControlLabel control={<Checkbox checked={includePasswords} onChange={(event) => setIncludePasswords(event.target.checked)} />} label="Include passwords" />
      </Stack>
      {includePasswords && <Alert severity="warning">The file will hold the BMC passwords in clear text: keep it somewhere only you can read.</Alert>}
      {notice && (
        <Alert severity={notice.severity} role="status">
          {notice.text}
        </Alert>
      )}
    </Stack>
  );
}
