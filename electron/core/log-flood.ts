export interface FloodRequest {
  linesPerSecond: number;
  seconds: number;
}

const TICK_MS = 10;

/** Every flood line starts with this, so a benchmark can find and count them in the log view. */
export const FLOOD_MARKER = 'flood line';

/** The text of flood line `seq` (1-based) of `total`. */
export function floodLine(seq: number, total: number): string {
  return `${FLOOD_MARKER} ${seq}/${total}: wrote block ${seq} of the image to /dev/sda at offset ${seq * 4096}`;
}

/**
 * Emits `linesPerSecond × seconds` numbered lines through `emit`, in a batch per 10 ms tick. Each tick sends what the
 * elapsed time calls for, so a late timer (a busy machine) catches up instead of stretching the flood.
 */
export function floodLog(emit: (message: string) => void, { linesPerSecond, seconds }: FloodRequest): Promise<{ sent: number }> {
  const total = Math.round(linesPerSecond * seconds);
  const started = performance.now();
  let sent = 0;
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * linesPerSecond));
      while (sent < due) {
        sent += 1;
        emit(floodLine(sent, total));
      }
      if (sent === total) {
        clearInterval(timer);
        resolve({ sent });
      }
    }, TICK_MS);
  });
}
