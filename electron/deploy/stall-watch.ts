/**
 * Says when a wait makes no progress: `warn` after `afterMs` without a call to `progress()`, then again after twice
 * as long, and so on (at most every `maxMs`), so a long stall is visible in the log without flooding it. `resumed`
 * hears how long the stall lasted when progress comes back after a warning.
 */
export class StallWatch {
  private timer: NodeJS.Timeout | null = null;
  private lastProgress = Date.now();
  private nextWarnMs: number;
  private warned = false;
  private stopped = false;

  constructor(
    private readonly afterMs: number,
    private readonly warn: (silentMs: number) => void,
    private readonly resumed: (silentMs: number) => void = () => undefined,
    private readonly maxMs = 60_000,
  ) {
    this.nextWarnMs = afterMs;
    this.arm();
  }

  progress(): void {
    if (this.stopped) return;
    const silent = Date.now() - this.lastProgress;
    this.lastProgress = Date.now();
    if (this.warned) this.resumed(silent);
    this.warned = false;
    this.nextWarnMs = this.afterMs;
    this.arm();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    const due = this.lastProgress + this.nextWarnMs - Date.now();
    this.timer = setTimeout(() => {
      this.warned = true;
      this.warn(Date.now() - this.lastProgress);
      this.nextWarnMs = Math.min(this.nextWarnMs * 2, this.nextWarnMs + this.maxMs);
      this.arm();
    }, Math.max(0, due));
    this.timer.unref?.();
  }
}
