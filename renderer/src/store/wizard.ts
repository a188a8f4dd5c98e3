import { create } from 'zustand';

/** The wizard's steps in the order a technician follows them. */
export const STEPS = [
  { label: 'BMC', title: 'Servers and their BMCs' },
  { label: 'MAC', title: 'Capture each server’s network MAC' },
  { label: 'Network', title: 'Set up the laptop’s provisioning network' },
  { label: 'Image', title: 'Choose the OS image' },
  { label: 'Boot', title: 'Boot and watch the deploy' },
] as const;

export type StepLabel = (typeof STEPS)[number]['label'];

interface WizardState {
  active: StepLabel;
  /** The setup check above the steps: open on an empty app, and whenever "Check setup" is pressed. */
  setupOpen: boolean;
  goTo(step: StepLabel): void;
  showSetup(open: boolean): void;
}

/** Which step is shown; any step can send the technician to the one whose work it needs first. */
export const useWizard = create<WizardState>()((set) => ({
  active: 'BMC',
  setupOpen: false,
  goTo: (step) => set({ active: step }),
  showSetup: (open) => set({ setupOpen: open }),
}));
