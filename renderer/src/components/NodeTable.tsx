import {
  Button,
  Chip,
  Table,
  TableBody,
  TableCell,
  TableContainer,
  TableHead,
  TablePagination,
  TableRow,
  Typography,
} from '@mui/material';
import { useState } from 'react';
import type { NodeView } from '../../../shared/nodes';
import type { TlsCertificate } from '../../../shared/redfish';
import { ConnectionSummary, type ConnectionTest } from './ConnectionCell';

interface Props {
  nodes: NodeView[];
  tests: Record<string, ConnectionTest>;
  powerOn: Record<string, boolean>;
  onTest(node: NodeView): void;
  /** The operator trusts the certificate a Redfish test showed for this node. */
  onTrust(node: NodeView, certificate: TlsCertificate): void;
  onEdit(node: NodeView): void;
  onDetails(node: NodeView): void;
  onRemove(node: NodeView): void;
}

const ROWS_PER_PAGE = [50, 200, 1000];

/** A page of the inventory at a time: a rack of thousands of servers would otherwise be thousands of rows to draw. */
export function NodeTable({ nodes, tests, powerOn, onTest, onTrust, onEdit, onDetails, onRemove }: Props): React.JSX.Element {
  const [page, setPage] = useState(0);
  const [rowsPerPage, setRowsPerPage] = useState(ROWS_PER_PAGE[0]!);
  const lastPage = Math.max(0, Math.ceil(nodes.length / rowsPerPage) - 1);
  const shownPage = Math.min(page, lastPage);
  const shown = nodes.slice(shownPage * rowsPerPage, (shownPage + 1) * rowsPerPage);
  if (nodes.length === 0) {
    return <Typography color="text.secondary">No servers yet. Add one, or import a hardware_info file.</Typography>;
  }
  return (
    <TableContainer>
      <Table size="small" aria-label="Servers">
        <TableHead>
          <TableRow>
            <TableCell>Name</TableCell>
            <TableCell>BMC</TableCell>
            <TableCell>User</TableCell>
            <TableCell>MAC</TableCell>
            <TableCell>Power</TableCell>
            <TableCell>Connection</TableCell>
            <TableCell align="right">Actions</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {shown.map((node) => (
            <TableRow key={node.id} hover>
              <TableCell>{node.name}</TableCell>
              <TableCell>
                {node.bmcAddress}
                {node.bmcPort !== 623 ? `:${node.bmcPort}` : ''}
                {node.bmcProtocol !== 'auto' || node.bmcProtocolSeen ? (
                  <Chip size="small" variant="outlined" sx={{ ml: 1 }} label={node.bmcProtocol === 'auto' ? `auto: ${node.bmcProtocolSeen}` : node.bmcProtocol} />
                ) : null}
              </TableCell>
              <TableCell>
                {node.bmcUser}
                {!node.hasPassword && <Chip size="small" label="no password" sx={{ ml: 1 }} />}
              </TableCell>
              <TableCell sx={{ fontFamily: 'monospace' }}>
                {node.mac ?? <Chip size="small" variant="outlined" label="to capture" />}
              </TableCell>
              <TableCell>
                {node.id in powerOn ? (
                  <Chip size="small" color={powerOn[node.id] ? 'success' : 'default'} label={powerOn[node.id] ? 'on' : 'off'} />
                ) : (
                  '—'
                )}
              </TableCell>
              <TableCell sx={{ maxWidth: 420 }}>{tests[node.id] ? <ConnectionSummary test={tests[node.id]!} onTrust={(certificate) => onTrust(node, certificate)} /> : null}</TableCell>
              <TableCell align="right" sx={{ whiteSpace: 'nowrap' }}>
                <Button
                  size="small"
                  aria-label={`Test connection to ${node.name}`}
                  disabled={tests[node.id]?.state === 'running'}
                  onClick={() => onTest(node)}
                >
                  Test
                </Button>
                <Button size="small" aria-label={`Hardware of ${node.name}`} onClick={() => onDetails(node)}>
                  Hardware
                </Button>
                <Button size="small" aria-label={`Edit ${node.name}`} onClick={() => onEdit(node)}>
                  Edit
                </Button>
                <Button size="small" color="error" aria-label={`Remove ${node.name}`} onClick={() => onRemove(node)}>
                  Remove
                </Button>
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      {nodes.length > ROWS_PER_PAGE[0]! && (
        <TablePagination
          component="div"
          count={nodes.length}
          page={shownPage}
          rowsPerPage={rowsPerPage}
          rowsPerPageOptions={ROWS_PER_PAGE}
          onPageChange={(_event, next) => setPage(next)}
          onRowsPerPageChange={(event) => {
            setRowsPerPage(Number(event.target.value));
            setPage(0);
          }}
        />
      )}
    </TableContainer>
  );
}
