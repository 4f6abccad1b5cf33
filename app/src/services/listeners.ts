// A set of listeners for one kind of event; adding returns the way to remove.
import type { Unsubscribe } from '../api/wirefly-api.js';

export class Listeners<T> {
  private readonly listeners = new Set<(value: T) => void>();

  add(listener: (value: T) => void): Unsubscribe {
    const own = (value: T): void => listener(value);
    this.listeners.add(own);
    return () => this.listeners.delete(own);
  }

  /** Calls every listener; one that throws does not keep the others from hearing. */
  emit(value: T): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(value);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  get size(): number {
    return this.listeners.size;
  }
}
