import { Button, Chip, Table, TableBody, TableCell, TableContainer, TableHead, TableRow, Typography } from '@mui/material';
import type { NodeView } from '../../../shared/nodes';

interface Props {
  nodes: NodeView[];
  onEdit(node: NodeView): void;
  onRemove(node: NodeView): void;
}

export function NodeTable({ nodes, onEdit, onRemove }: Props): React.JSX.Element {
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
            <TableCell align="right">Actions</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {nodes.map((node) => (
            <TableRow key={node.id} hover>
              <TableCell>{node.name}</TableCell>
              <TableCell>
                {node.bmcAddress}
                {node.bmcPort !== 623 ? `:${node.bmcPort}` : ''}
              </TableCell>
              <TableCell>
                {node.bmcUser}
                {!node.hasPassword && <Chip size="small" label="no password" sx={{ ml: 1 }} />}
              </TableCell>
              <TableCell sx={{ fontFamily: 'monospace' }}>
                {node.mac ?? <Chip size="small" variant="outlined" label="to capture" />}
              </TableCell>
              <TableCell align="right">
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
    </TableContainer>
  );
}
