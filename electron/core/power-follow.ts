import type { ChassisAction } from '../../shared/ipmi';

/** Where a power order leaves the server: powered on after on, cycle and reset; off after off and soft-off. */
export function poweredOnAfter(action: ChassisAction): boolean {
  return action === 'on' || action === 'cycle' || action === 'reset';
}

/**
 * When the power state is read again after an order: BMCs carry orders out seconds later (a Redfish reset 1–11 s
 * after it was accepted, an ACPI soft-off as long as the OS takes to shut down), so the read right after the order
 * often shows the state before it.
 */
export const POWER_FOLLOW_DELAYS_MS = [1000, 2000, 4000, 8000, 15000];

export interface PowerFollow {
  /** What the order leads to (poweredOnAfter). */
  expected: boolean;
  /** The state read right after the order, already reported. */
  seen: boolean;
  delaysMs: readonly number[];
  sleep: (ms: number) => Promise<void>;
}

/**
 * Reads the power state again after each delay until it is what the order leads to, reporting each change. Ends
 * quietly at a failed read: the next order or refresh reads again.
 */
export async function followPowerOrder(read: () => Promise<boolean>, report: (powerOn: boolean) => void, follow: PowerFollow): Promise<void> {
  let last = follow.seen;
  for (const delay of follow.delaysMs) {
    if (last === follow.expected) return;
    await follow.sleep(delay);
    let now: boolean;
    try {
      now = await read();
    } catch {
      return;
    }
    if (now !== last) report(now);
    last = now;
  }
}
