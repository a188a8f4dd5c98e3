import { Alert } from '@mui/material';

/** Steps whose services have not landed yet say so plainly instead of pretending. */
export function PendingStep({ name }: { name: string }): React.JSX.Element {
  return (
    <Alert severity="info">
      The {name} step arrives with its service in a coming release. Enrol your servers in the BMC step meanwhile; they are
      kept across restarts.
    </Alert>
  );
}
