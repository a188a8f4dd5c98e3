import type { EventName, WsEvent } from '../../shared/api';

/**
 * Collects the events raised in one turn of the event loop and hands them on as one batch: a log flood raises dozens
 * per timer tick, and one message per tick spares the page a message task and a parse per line. `flush()` sends what is
 * pending at once, so a call's result can follow the events raised before it, in the order they happened.
 */
export function createEventBatcher(send: (batch: WsEvent[]) => void): {
  push(event: EventName, payload: unknown): void;
  flush(): void;
} {
  let batch: WsEvent[] = [];
  const flush = (): void => {
    if (batch.length === 0) return;
    const sending = batch;
    batch = [];
    send(sending);
  };
  return {
    push(event, payload) {
      if (batch.length === 0) setImmediate(flush);
      batch.push({ event, payload });
    },
    flush,
  };
}
