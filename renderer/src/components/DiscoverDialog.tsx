import {
  Alert,
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  LinearProgress,
  List,
  ListItem,
  ListItemText,
  Stack,
  TextField,
  Typography,
} from '@mui/material';
import { useEffect, useState } from 'react';
import type { DiscoveredBmc } from '../../../shared/bmc';
import type { BmcProtocol } from '../../../shared/redfish';
import { useClient } from '../api/context';
import { errorText } from '../api/client';

interface Props {
  enrolled: Set<string>;
  /** Opens the add form with the address and the protocol that answered (auto where both did). */
  onAdd(address: string, protocol: BmcProtocol): void;
  onClose(): void;
}

/** The protocol a new node starts with: the one that answered, or auto (Redfish first) where both did. */
function protocolOf(bmc: DiscoveredBmc): BmcProtocol {
  return bmc.protocols.length === 1 ? bmc.protocols[0]! : 'auto';
}

function describeBmc(bmc: DiscoveredBmc): string {
  const parts: string[] = [];
  if (bmc.redfish) {
    const name = [bmc.redfish.vendor, bmc.redfish.product].filter(Boolean).join(' ');
    parts.push(`Redfish ${bmc.redfish.redfishVersion ?? ''} (HTTPS ${bmc.redfish.port})${name ? `, ${name}` : ''}`);
  }
  if (bmc.ipmi) parts.push(`IPMI ${bmc.ipmi.ipmiVersion}${bmc.ipmi.cipherSuites.length ? `, cipher suites ${bmc.ipmi.cipherSuites.join(', ')}` : ''}`);
  return parts.join(' · ');
}

/**
 * Scans a subnet for BMCs — IPMI (RMCP ping and channel capabilities) and Redfish (the HTTPS service root), no
 * password sent — and offers to enrol what it finds with the protocol that answered.
 */
export function DiscoverDialog({ enrolled, onAdd, onClose }: Props): React.JSX.Element {
  const client = useClient();
  const [cidr, setCidr] = useState('');
  const [port, setPort] = useState('623');
  const [redfishPort, setRedfishPort] = useState('443');
  const [progress, setProgress] = useState<{ probed: number; total: number; found: number } | null>(null);
  const [found, setFound] = useState<DiscoveredBmc[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => client.on('bmc.discovery', (event) => setProgress(event)), [client]);

  const scan = async (): Promise<void> => {
    setError(null);
    setFound(null);
    setProgress({ probed: 0, total: 1, found: 0 });
    try {
      setFound(await client.call('bmc.discover', { cidr, port: Number(port), redfishPort: Number(redfishPort) }));
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setProgress(null);
    }
  };

  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="sm" aria-labelledby="discover-title">
      <DialogTitle id="discover-title">Discover BMCs</DialogTitle>
      <DialogContent>
        <Stack spacing={2} sx={{ pt: 1 }}>
          <Stack direction="row" spacing={2}>
            <TextField label="Subnet to scan" placeholder="10.1.91.0/24" value={cidr} onChange={(event) => setCidr(event.target.value)} sx={{ flex: 3 }} />
            <TextField label="UDP port" helperText="IPMI" value={port} onChange={(event) => setPort(event.target.value)} sx={{ flex: 1 }} inputMode="numeric" />
            <TextField label="HTTPS port" helperText="Redfish" value={redfishPort} onChange={(event) => setRedfishPort(event.target.value)} sx={{ flex: 1 }} inputMode="numeric" />
          </Stack>
          {progress && (
            <div>
              <Typography variant="body2">
                Probed {progress.probed} of {progress.total} addresses, {progress.found} BMC(s) found
              </Typography>
              <LinearProgress
                variant="determinate"
                value={(100 * progress.probed) / Math.max(1, progress.total)}
                aria-label="Discovery progress"
              />
            </div>
          )}
          {error && <Alert severity="error">{error}</Alert>}
          {found && found.length === 0 && (
            <Alert severity="info">No BMC answered IPMI or Redfish. Check that the BMCs’ LAN ports are cabled to this network and enabled.</Alert>
          )}
          {found && found.length > 0 && (
            <List dense aria-label="Discovered BMCs">
              {found.map((bmc) => (
                <ListItem
                  key={bmc.address}
                  aria-label={bmc.address}
                  secondaryAction={
                    enrolled.has(bmc.address) ? (
                      <Typography variant="caption">enrolled</Typography>
                    ) : (
                      <Button size="small" aria-label={`Add ${bmc.address}`} onClick={() => onAdd(bmc.address, protocolOf(bmc))}>
                        Add
                      </Button>
                    )
                  }
                >
                  <ListItemText primary={bmc.address} secondary={describeBmc(bmc)} />
                </ListItem>
              ))}
            </List>
          )}
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Close</Button>
        <Button variant="contained" disabled={cidr.trim() === '' || progress !== null} onClick={() => void scan()}>
          Scan
        </Button>
      </DialogActions>
    </Dialog>
  );
}
