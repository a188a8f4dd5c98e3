import { Link } from '@mui/material';
import { useWizard, type StepLabel } from '../store/wizard';

/** Sends the technician to the wizard step that holds what this one needs (the services' address, the ramdisk, …). */
export function StepLink({ to, children }: { to: StepLabel; children: React.ReactNode }): React.JSX.Element {
  const goTo = useWizard((state) => state.goTo);
  return (
    <Link component="button" type="button" variant="inherit" sx={{ verticalAlign: 'baseline' }} onClick={() => goTo(to)}>
      {children}
    </Link>
  );
}
