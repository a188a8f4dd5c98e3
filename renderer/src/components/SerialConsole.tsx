import { Alert, Box, Button, Stack, Typography } from '@mui/material';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef, useState } from 'react';
import type { NodeView } from '../../../shared/nodes';
import { useClient } from '../api/context';
import { errorText } from '../api/client';

/** A node driven over Redfish (chosen, or what `auto` found) has no console here: SOL is IPMI. */
export function drivenOverRedfish(node: Pick<NodeView, 'bmcProtocol' | 'bmcProtocolSeen'>): boolean {
  return node.bmcProtocol === 'redfish' || (node.bmcProtocol === 'auto' && node.bmcProtocolSeen === 'redfish');
}

/**
 * The node's serial console over IPMI Serial-over-LAN: what the server prints streams in, and keystrokes typed here go
 * to the server, as on a crash cart. A node driven over Redfish gets the reason it has none instead.
 */
export function SerialConsole({ node }: { node: NodeView }): React.JSX.Element {
  if (drivenOverRedfish(node)) {
    return (
      <Alert severity="info" aria-label={`No serial console for ${node.name}`}>
        No serial console for {node.name}: the console is IPMI Serial-over-LAN, and this server’s BMC is driven over Redfish.
        To see it, enable IPMI over LAN on the BMC and set the server’s BMC protocol to auto or IPMI in the BMC step. Its
        deploy is judged by the BMC’s boot progress, or by SSH when the installed OS has SSH settings.
      </Alert>
    );
  }
  return <SolConsole nodeId={node.id} nodeName={node.name} />;
}

function SolConsole({ nodeId, nodeName }: { nodeId: string; nodeName: string }): React.JSX.Element {
  const client = useClient();
  const host = useRef<HTMLDivElement>(null);
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!open || !host.current) return undefined;
    const terminal = new Terminal({ convertEol: true, fontSize: 13, rows: 24, cols: 100, scrollback: 5000 });
    terminal.open(host.current);
    const stops = [
      client.on('console.output', (output) => {
        if (output.nodeId === nodeId) terminal.write(output.data);
      }),
      client.on('console.closed', (event) => {
        if (event.nodeId === nodeId) setOpen(false);
      }),
    ];
    const typing = terminal.onData((data) => {
      client.call('console.input', { nodeId, data }).catch((failure: unknown) => setError(errorText(failure)));
    });
    terminal.focus();
    return () => {
      stops.forEach((stop) => stop());
      typing.dispose();
      terminal.dispose();
    };
  }, [client, nodeId, open]);

  const connect = async (): Promise<void> => {
    setError(null);
    try {
      await client.call('console.open', { nodeId });
      setOpen(true);
    } catch (failure) {
      setError(errorText(failure));
    }
  };

  const disconnect = async (): Promise<void> => {
    setOpen(false);
    await client.call('console.close', { nodeId }).catch(() => undefined);
  };

  return (
    <Stack spacing={1}>
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
        <Typography variant="subtitle2">Serial console of {nodeName}</Typography>
        {open ? (
          <Button size="small" onClick={() => void disconnect()}>
            Disconnect
          </Button>
        ) : (
          <Button size="small" variant="outlined" onClick={() => void connect()}>
            Open console
          </Button>
        )}
      </Stack>
      {error && <Alert severity="error">{error}</Alert>}
      {open && <Box ref={host} role="region" aria-label={`Serial console of ${nodeName}`} sx={{ bgcolor: '#000', p: 1, borderRadius: 1 }} />}
    </Stack>
  );
}
