import { create } from 'zustand';
import type { LogEvent, RackbootClient } from '../../../shared/api';

/** Lines kept in the window; older ones drop off the top (the full log stays on disk in the core). */
export const LOG_CAPACITY = 200_000;

export interface LogLine extends LogEvent {
  seq: number;
}

interface LogState {
  lines: LogLine[];
  /** Total lines ever received, so a test can tell none were lost. */
  received: number;
}

export const useLog = create<LogState>()(() => ({ lines: [], received: 0 }));

/**
 * Follows the core's log events. Lines arrive in floods (thousands a second while an image streams), so they are
 * collected and handed to React once per animation frame instead of once per line.
 */
export function followLog(client: RackbootClient): () => void {
  let pending: LogLine[] = [];
  let scheduled = false;
  let seq = 0;
  const flush = (): void => {
    scheduled = false;
    const batch = pending;
    pending = [];
    useLog.setState((state) => {
      const merged = state.lines.concat(batch);
      return {
        lines: merged.length > LOG_CAPACITY ? merged.slice(merged.length - LOG_CAPACITY) : merged,
        received: state.received + batch.length,
      };
    });
  };
  return client.on('log', (event) => {
    pending.push({ ...event, seq: seq++ });
    if (!scheduled) {
      scheduled = true;
      requestAnimationFrame(flush);
    }
  });
}
