import type { DeployPhase } from '../../shared/deploy';

interface PhaseLimit {
  seconds: number;
  /** What did not happen, as the sentence's subject: "No PXE request". */
  missing: string;
  /** What to check on real hardware. */
  hint: string;
}

/**
 * How long each step may take, and what to check when it does not finish. A phase the server shows (dhcp … verifying,
 * deployed) keys the wait for it; a phase that is an order to the BMC (booting-pxe, switching-to-disk, rebooting) is
 * entered when the order is given and keys the time the BMC has to carry it out, retries included.
 */
export const PHASE_LIMITS: Partial<Record<DeployPhase, PhaseLimit>> = {
  'bmc-verified': { seconds: 30, missing: 'No answer from the BMC', hint: 'check its address, user and password (BIOS → Server Management → BMC LAN Configuration) and that the laptop can reach it' },
  'mac-captured': { seconds: 90, missing: 'No PXE request', hint: 'is PXE enabled on NIC1 and the cable in the provisioning switch?' },
  'booting-pxe': { seconds: 120, missing: 'The BMC did not set network boot and power the server on', hint: 'check that the BMC answers (network, power) and that its user has administrator privilege' },
  dhcp: { seconds: 90, missing: 'No DHCP request from the server', hint: 'is network boot first in the BIOS boot order, and is its NIC on the provisioning switch?' },
  bootloader: { seconds: 60, missing: 'The boot loader was not fetched', hint: 'is another DHCP server answering on this segment? Try proxy mode.' },
  ramdisk: { seconds: 90, missing: 'The deploy kernel was not fetched', hint: 'can the server reach the laptop’s HTTP port (firewall)?' },
  'agent-connected': { seconds: 240, missing: 'The deploy agent never called back', hint: 'does the ramdisk have a driver for this NIC? Watch the serial console.' },
  'writing-image': { seconds: 120, missing: 'The agent did not start writing', hint: 'does the server have the target disk? Check the agent log.' },
  verifying: { seconds: 3600, missing: 'The image write did not finish', hint: 'check the agent log and the disk' },
  'switching-to-disk': { seconds: 120, missing: 'The BMC did not accept boot-from-disk', hint: 'check that the BMC answers (its network, its power) and that its user has administrator privilege' },
  rebooting: { seconds: 120, missing: 'The BMC did not power cycle the server', hint: 'check that the BMC answers (its network, its power)' },
  deployed: { seconds: 300, missing: 'The installed OS did not come up', hint: 'is the disk in the boot order and the image bootable in this mode (BIOS/UEFI)?' },
};

export class PhaseTimeout extends Error {
  constructor(
    readonly phase: DeployPhase,
    readonly seconds: number,
    /** What the last try ran into, when the step was retried until the time was up. */
    lastError?: string,
  ) {
    const limit = PHASE_LIMITS[phase];
    const last = lastError ? ` (last try: ${lastError})` : '';
    super(`${limit?.missing ?? `No ${phase}`} within ${seconds} s${last}: ${limit?.hint ?? 'check the log'}`);
    this.name = 'PhaseTimeout';
  }
}
