import type { NetworkProgress, NetworkStep } from '../../shared/network';
import { UserFacingError } from '../lib/user-facing-error';
import type { NetworkExecutor } from './executor';
import type { SystemNetworkState } from './interfaces';
import type { Journal, NetworkJournal } from './journal';
import { differencesFromPlan, differencesFromPrior, findInterface, newJournal, priorStateOf, undoSteps, type ResolvedRequest } from './plan';

export interface ChangeContext {
  executor: NetworkExecutor;
  journal: NetworkJournal;
  readState: () => Promise<SystemNetworkState>;
  /** Identifies this run of Rackboot in the journal. */
  runId: string;
  onProgress?: (progress: NetworkProgress) => void;
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function runSteps(steps: NetworkStep[], phase: NetworkProgress['phase'], context: ChangeContext, beforeEach?: (index: number) => Promise<void>): Promise<void> {
  for (const [index, step] of steps.entries()) {
    await beforeEach?.(index);
    const progress = { phase, index, total: steps.length, description: step.description, command: step.command };
    context.onProgress?.({ ...progress, status: 'running' });
    try {
      await context.executor.run(step.op);
    } catch (error) {
      context.onProgress?.({ ...progress, status: 'failed' });
      throw Object.assign(new Error(`"${step.description}" (${step.command.join(' ')}) failed: ${reason(error)}`), { cause: error });
    }
    context.onProgress?.({ ...progress, status: 'done' });
  }
}

/**
 * Puts the interface back as the journal recorded it and deletes the journal. Every step is computed from the state
 * found now, so it works after a finished apply, half-way through a failed one, or after a kill -9.
 * Returns false when there was nothing to undo.
 */
export async function undoChange(context: ChangeContext, phase: 'undo' | 'rollback' = 'undo'): Promise<boolean> {
  const journal = await context.journal.read();
  if (!journal) return false;
  await context.journal.write({ ...journal, phase: 'undoing' });
  const steps = undoSteps(journal, await context.readState());
  const failures: string[] = [];
  for (const step of steps) {
    // One failed step must not stop the others: each is computed independently from the state found.
    await runSteps([step], phase, context).catch((error: unknown) => failures.push(reason(error)));
  }
  const left = differencesFromPrior(journal, await context.readState());
  if (left.length) {
    throw new UserFacingError(
      'undo-incomplete',
      `Rackboot could not put ${journal.interface} back completely: ${left.join('; ')}.` +
        `${failures.length ? ` ${failures.join(' ')}` : ''} The record of the change is kept: try Undo again, or restart the laptop's networking.`,
    );
  }
  await context.journal.clear();
  return true;
}

/**
 * Applies the steps with a write-ahead journal: the prior state is recorded before the first change and the journal
 * is rewritten before every step. A failing step rolls everything back before the error is reported.
 */
export async function applyChange(
  resolved: ResolvedRequest,
  steps: NetworkStep[],
  context: ChangeContext,
): Promise<SystemNetworkState> {
  const pending = await context.journal.read();
  if (pending) {
    throw new UserFacingError(
      'change-pending',
      `${pending.interface} still carries an earlier Rackboot change (${pending.address}). Undo it first, then apply again.`,
    );
  }
  const state = await context.readState();
  const iface = findInterface(state, resolved.interface);
  if (!iface) throw new UserFacingError('interface-missing', `${resolved.interface} is gone: plug the adapter back in and plan again.`);
  let journal: Journal = newJournal(resolved, priorStateOf(state, iface), context.runId, steps.length, new Date().toISOString());
  await context.journal.write(journal);
  try {
    await runSteps(steps, 'apply', context, async (index) => {
      journal = { ...journal, stepsStarted: index + 1 };
      await context.journal.write(journal);
    });
    const after = await context.readState();
    const missing = differencesFromPlan(resolved, after);
    if (missing.length) throw new Error(`after the last step ${missing.join('; ')}`);
    await context.journal.write({ ...journal, phase: 'applied' });
    return after;
  } catch (error) {
    try {
      await undoChange(context, 'rollback');
    } catch (rollbackError) {
      throw new UserFacingError(
        'rollback-failed',
        `Setting up ${resolved.interface} failed (${reason(error)}), and putting it back failed too: ${reason(rollbackError)}`,
      );
    }
    throw new UserFacingError('apply-failed', `Setting up ${resolved.interface} failed: ${reason(error)} Rackboot put ${resolved.interface} back as it was.`);
  }
}
