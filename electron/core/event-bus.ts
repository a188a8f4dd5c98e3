import type { EventName, EventPayload } from '../../shared/api';

type AnyListener = (event: EventName, payload: unknown) => void;

/** Every service publishes here; each shell forwards what it hears to its windows or sockets. */
export class EventBus {
  private readonly listeners = new Set<AnyListener>();

  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    for (const listener of this.listeners) listener(event, payload);
  }

  subscribe(listener: AnyListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Listens to one kind of event, typed. */
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
    return this.subscribe((name, payload) => {
      if (name === event) listener(payload as EventPayload<E>);
    });
  }
}
