import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Lets a long job (a 1 MB import, a large snapshot) give the event loop back every few milliseconds, so requests of
 * other windows and clients are answered while it runs instead of after it.
 */
export class TimeSlicer {
  private since = performance.now();

  constructor(private readonly budgetMs = 8) {}

  /** True once the job has held the event loop for its whole budget. */
  get due(): boolean {
    return performance.now() - this.since >= this.budgetMs;
  }

  /** One turn for everyone else, then a fresh budget. */
  async yield(): Promise<void> {
    await nextTurn();
    this.since = performance.now();
  }

  /** Yields if the budget is spent; cheap to call on every step of a loop. */
  async pace(): Promise<void> {
    if (this.due) await this.yield();
  }
}
