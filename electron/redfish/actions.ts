import type { SystemFacts } from './payloads';
import type { Quirks } from './vendor';

/**
 * What to send for the deploy's orders, chosen from what the system allows. Pure: a system's facts and a wish in,
 * a request body (or a reason it cannot be done) out.
 */

export type BootDevice = 'pxe' | 'disk';
export interface BootWish {
  device: BootDevice;
  persistent: boolean;
  mode: 'bios' | 'uefi';
}

export type Planned<T> = { ok: true; value: T } | { ok: false; reason: string };

export interface BootPatch {
  body: { Boot: Record<string, string> };
  /** What was asked and what is sent instead, said for the log (a Continuous the system lacks, a mode it cannot set). */
  notes: string[];
}

const TARGETS: Record<BootDevice, string> = { pxe: 'Pxe', disk: 'Hdd' };
const MODES = { bios: 'Legacy', uefi: 'UEFI' } as const;

/** The boot override PATCH body for the wish, within the system's allowable values. */
export function bootOverridePatch(system: SystemFacts, wish: BootWish, quirks: Quirks): Planned<BootPatch> {
  const notes: string[] = [];
  const target = TARGETS[wish.device];
  const { allowedTargets, allowedEnabled, allowedModes, mode: currentMode } = system.boot;
  if (allowedTargets && !allowedTargets.includes(target)) {
    return { ok: false, reason: `the system does not offer boot device ${target} (it offers ${allowedTargets.join(', ') || 'none'})` };
  }
  let enabled = wish.persistent ? 'Continuous' : 'Once';
  if (allowedEnabled && !allowedEnabled.includes(enabled)) {
    const fallback = enabled === 'Continuous' ? 'Once' : 'Continuous';
    if (!allowedEnabled.includes(fallback)) {
      return { ok: false, reason: `the system allows no boot override (BootSourceOverrideEnabled: ${allowedEnabled.join(', ')})` };
    }
    notes.push(`the system has no ${enabled} boot override: ${fallback} is set instead`);
    enabled = fallback;
  }
  const boot: Record<string, string> = { BootSourceOverrideEnabled: enabled, BootSourceOverrideTarget: target };
  const mode = MODES[wish.mode];
  // A system that reports no mode has none to set (sending it fails on such BMCs).
  if (currentMode !== null) {
    const settable = !allowedModes || allowedModes.includes(mode);
    if (!settable) {
      if (currentMode !== mode) notes.push(`the system cannot switch its boot mode to ${mode} (it allows ${allowedModes?.join(', ')}); it stays ${currentMode}`);
    } else if (currentMode !== mode || quirks.alwaysSendBootMode) {
      // Unchanged, the mode stays out: iLO refuses a whole PATCH whose mode is read-only, even when it changes nothing.
      boot.BootSourceOverrideMode = mode;
    }
  }
  return { ok: true, value: { body: { Boot: boot }, notes } };
}

/** The same PATCH without the boot mode: the retry when a BMC refuses the mode as not writable. */
export function withoutBootMode(patch: BootPatch): BootPatch {
  const { BootSourceOverrideMode: _mode, ...rest } = patch.body.Boot;
  return { body: { Boot: rest }, notes: [...patch.notes, 'the BMC does not let the boot mode be set: it is left as it is'] };
}

export type PowerOrder = 'on' | 'off' | 'restart' | 'soft-off';

/** The ResetType values for each order, the best first; the system's allowable values pick among them. */
const RESET_PREFERENCES: Record<PowerOrder, string[]> = {
  on: ['On', 'ForceOn'],
  off: ['ForceOff', 'GracefulShutdown'],
  restart: ['ForceRestart', 'PowerCycle', 'GracefulRestart'],
  'soft-off': ['GracefulShutdown', 'ForceOff'],
};

/** The ResetType for an order; a system that lists no allowable values gets the standard first choice. */
export function resetTypeFor(system: Pick<SystemFacts, 'allowedResetTypes'>, order: PowerOrder): Planned<string> {
  const preferred = RESET_PREFERENCES[order];
  const allowed = system.allowedResetTypes;
  if (!allowed || allowed.length === 0) return { ok: true, value: preferred[0]! };
  const choice = preferred.find((type) => allowed.includes(type));
  if (choice) return { ok: true, value: choice };
  return { ok: false, reason: `the system offers no reset for "${order}" (it allows ${allowed.join(', ')})` };
}

/** Whether the system counts as on: PoweringOn is on its way (a restart is due), PoweringOff is as good as off. */
export function isPoweredOn(system: Pick<SystemFacts, 'powerState'>): boolean {
  return system.powerState === 'On' || system.powerState === 'PoweringOn' || system.powerState === 'Paused';
}
