import { describe, expect, it } from 'vitest';
import { followPowerOrder, poweredOnAfter } from './power-follow';

/** A BMC whose reads return `states` in turn; records the delays slept. */
function bmc(states: (boolean | Error)[]) {
  const slept: number[] = [];
  const reported: boolean[] = [];
  return {
    slept,
    reported,
    read: async () => {
      const next = states.shift();
      if (next === undefined) throw new Error('read more often than the test expected');
      if (next instanceof Error) throw next;
      return next;
    },
    report: (powerOn: boolean) => reported.push(powerOn),
    sleep: async (ms: number) => {
      slept.push(ms);
    },
  };
}

describe('following a power order', () => {
  it('knows where each order leaves the server', () => {
    expect(['on', 'off', 'cycle', 'reset', 'soft'].map((action) => poweredOnAfter(action as never))).toEqual([true, false, true, true, false]);
  });

  it('reads again until the BMC has carried the order out, and reports the change once', async () => {
    const fake = bmc([true, true, false]);
    await followPowerOrder(fake.read, fake.report, { expected: false, seen: true, delaysMs: [1000, 2000, 4000, 8000], sleep: fake.sleep });
    expect(fake.reported).toEqual([false]);
    expect(fake.slept).toEqual([1000, 2000, 4000]);
  });

  it('reads nothing more when the state right after the order is already the one ordered', async () => {
    const fake = bmc([]);
    await followPowerOrder(fake.read, fake.report, { expected: true, seen: true, delaysMs: [1000, 2000], sleep: fake.sleep });
    expect(fake.slept).toEqual([]);
  });

  it('gives up after the last delay when the server never gets there (an OS that ignores soft-off)', async () => {
    const fake = bmc([true, true]);
    await followPowerOrder(fake.read, fake.report, { expected: false, seen: true, delaysMs: [1000, 2000], sleep: fake.sleep });
    expect(fake.reported).toEqual([]);
    expect(fake.slept).toEqual([1000, 2000]);
  });

  it('stops quietly at a read that fails', async () => {
    const fake = bmc([new Error('BMC 10.0.0.1 did not answer'), false]);
    await followPowerOrder(fake.read, fake.report, { expected: false, seen: true, delaysMs: [1000, 2000], sleep: fake.sleep });
    expect(fake.reported).toEqual([]);
    expect(fake.slept).toEqual([1000]);
  });
});
