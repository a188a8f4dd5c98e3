import { describe, expect, it } from 'vitest';
import { networkPlanInputSchema, type NetworkOp } from '../../shared/network';
import { applyChange, type ChangeContext } from './apply';
import type { NetworkExecutor } from './executor';
import { parseNetworkState } from './interfaces';
import { NetworkJournal } from './journal';
import { applySteps, findInterface, newJournal, priorStateOf, resolveRequest } from './plan';
import { capturedState, tempDirPerTest } from './test-fixtures';

const state = parseNetworkState(capturedState());
const resolved = resolveRequest(networkPlanInputSchema.parse({ interface: 'eth-prov', subnet: '10.77.0.0/24' }), { nmcli: false, ovsVsctl: false, arping: false });
const eth = findInterface(state, 'eth-prov')!;
const steps = applySteps(resolved, eth);

/** Records, at each change, how many steps the journal on disk said had started; fails the change numbered `failAt`. */
function journalWatchingExecutor(journal: NetworkJournal, failAt: number): NetworkExecutor & { seen: Array<{ op: NetworkOp['op']; stepsStarted: number | undefined }> } {
  const seen: Array<{ op: NetworkOp['op']; stepsStarted: number | undefined }> = [];
  return {
    seen,
    run: async (op) => {
      seen.push({ op: op.op, stepsStarted: (await journal.read())?.stepsStarted });
      if (seen.length === failAt) throw new Error('RTNETLINK answers: Operation not permitted');
    },
    arpProbe: async () => ({ inUse: false, mac: null }),
    dhcpProbe: async () => [],
    bindUdp: async () => {
      throw new Error('not used');
    },
    close: async () => undefined,
  };
}

describe('applying with a write-ahead journal', () => {
  const tempDir = tempDirPerTest('rackboot-apply-');

  const contextWith = (executor: NetworkExecutor, journal: NetworkJournal): ChangeContext => ({
    executor,
    journal,
    // The fake kernel never changes, so rollback finds the prior state at once.
    readState: async () => state,
    runId: 'run-a',
  });

  it('records each step in the journal before running it, and a failure rolls back and clears the journal', async () => {
    const journal = NetworkJournal.inDataDir(tempDir());
    const executor = journalWatchingExecutor(journal, 3);
    await expect(applyChange(resolved, steps, contextWith(executor, journal))).rejects.toMatchObject({
      code: 'apply-failed',
      message: expect.stringContaining('Operation not permitted'),
    });
    expect(executor.seen).toEqual([
      { op: 'bridge-create', stepsStarted: 1 },
      { op: 'address-delete', stepsStarted: 2 },
      { op: 'set-master', stepsStarted: 3 },
    ]);
    expect(await journal.read()).toBeNull();
  });

  it('refuses to start while an earlier change is still recorded, without touching anything', async () => {
    const journal = NetworkJournal.inDataDir(tempDir());
    await journal.write(newJournal(resolved, priorStateOf(state, eth), 'crashed-run', steps.length, '2026-11-25T01:00:00.000Z'));
    const executor = journalWatchingExecutor(journal, 0);
    await expect(applyChange(resolved, steps, contextWith(executor, journal))).rejects.toMatchObject({ code: 'change-pending' });
    expect(executor.seen).toEqual([]);
  });
});
