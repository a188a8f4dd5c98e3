import { z } from 'zod';

/**
 * What the lab's Redfish hook does with one report of sushy-tools' external notifier (its fake-systems driver PUTs the
 * whole system as JSON on every change): which boot device chassis-control.sh gets, and which power steps it runs
 * when. Pure; notifier-hook.ts runs the plan.
 *
 * The fake driver applies a reset 1–11 s after it is asked, like hardware (`pending_power.apply_time`, Unix seconds),
 * and shows the new state at the next read after that time: the hook powers QEMU at that same time, so what Redfish
 * reports and what the server does agree.
 */

export const fakeSystemNoticeSchema = z.object({
  uuid: z.string(),
  name: z.string(),
  power_state: z.string(),
  /** Absent until first set; the driver reads it as Hdd. */
  boot_device: z.string().optional(),
  pending_power: z.object({ power_state: z.string(), apply_time: z.number() }).nullable().optional(),
});
export type FakeSystemNotice = z.infer<typeof fakeSystemNoticeSchema>;

/** Boot device names chassis-control.sh takes (`set boot NAME`); `default` is the disk. */
export type ChassisBootDevice = 'pxe' | 'default' | 'cdrom' | 'bios' | 'none';
export type PowerStep = 'on' | 'off';

export interface HookPlan {
  bootDevice: ChassisBootDevice;
  /** null: no power change is pending in this report. */
  power: { atMs: number; steps: PowerStep[] } | null;
}

const BOOT_DEVICES: Record<string, ChassisBootDevice> = { Pxe: 'pxe', Hdd: 'default', Cd: 'cdrom', BiosSetup: 'bios', None: 'none' };

export function chassisBootDevice(redfishTarget: string | undefined): ChassisBootDevice {
  const device = BOOT_DEVICES[redfishTarget ?? 'Hdd'];
  if (!device) throw new Error(`The lab server cannot boot from ${redfishTarget}: its chassis control knows ${Object.keys(BOOT_DEVICES).join(', ')}`);
  return device;
}

/** The reset the fake driver accepted (On, ForceOff, GracefulShutdown → Off, ForceRestart, GracefulRestart) as power steps. */
export function powerSteps(pendingState: string): PowerStep[] {
  if (pendingState === 'On') return ['on'];
  if (pendingState === 'Off') return ['off'];
  if (pendingState.includes('Restart')) return ['off', 'on'];
  throw new Error(`Unknown pending power state ${pendingState}`);
}

export function planNotice(notice: FakeSystemNotice): HookPlan {
  const pending = notice.pending_power;
  return {
    bootDevice: chassisBootDevice(notice.boot_device),
    power: pending ? { atMs: pending.apply_time * 1000, steps: powerSteps(pending.power_state) } : null,
  };
}
