import type { EventEmitter } from 'eventemitter3';
import { asError } from './attempt-failure.js';
import type { ConveyorEvents } from './events.js';

export type EventName = EventEmitter.EventNames<ConveyorEvents>;
export type EventArgs<E extends EventName> = EventEmitter.EventArgs<ConveyorEvents, E>;

/**
 * Emits a worker's events on the worker and on its conveyor. `wants()` lets the hot path skip building a
 * payload nobody listens to. A listener that throws cannot break the worker: its error becomes an `error`
 * event (and an `error` listener that throws is ignored).
 */
export class EventRelay {
  readonly #targets: ReadonlyArray<EventEmitter<ConveyorEvents>>;

  constructor(...targets: Array<EventEmitter<ConveyorEvents>>) {
    this.#targets = targets;
  }

  wants(event: EventName): boolean {
    for (const target of this.#targets) if (target.listenerCount(event) > 0) return true;
    return false;
  }

  emit<E extends EventName>(event: E, ...args: EventArgs<E>): void {
    for (const target of this.#targets) {
      try {
        target.emit(event, ...args);
      } catch (error) {
        if (event !== 'error') this.error(error);
      }
    }
  }

  /** A fault the worker survived. */
  error(error: unknown): void {
    this.emit('error', asError(error));
  }
}
