// A minimal typed listener list: services own one and callers subscribe to their events.

export class Listeners<E> {
  private readonly fns = new Set<(event: E) => void>();

  /** Subscribes; returns the function that unsubscribes. */
  add(fn: (event: E) => void): () => void {
    this.fns.add(fn);
    return () => this.fns.delete(fn);
  }

  emit(event: E): void {
    for (const fn of this.fns) {
      try {
        fn(event);
      } catch {
        // A failing listener must not break the transfer that reported the event.
      }
    }
  }
}
