import { DRIVER_EVENT_TYPES, type DriverEvent } from '@conveyor/core/driver';

export type Listener = (event: DriverEvent) => void;
type EventType = DriverEvent['type'];

/**
 * In-process delivery of driver events. A transition only buffers its events (and only when someone listens
 * to that type, so events cost nothing otherwise: a worker listens only to `cancel`); `flush`, called when the
 * transition is over, hands them to the listeners in one microtask, so a listener never runs inside a
 * transition.
 */
export class EventBus {
  private readonly listeners = new Set<Listener>();
  /** How many listeners want each event type. */
  private readonly wanted = new Map<EventType, number>();
  private buffer: DriverEvent[] = [];

  /** Someone listens to events of this type. */
  wants(type: EventType): boolean {
    return (this.wanted.get(type) ?? 0) > 0;
  }

  subscribe(listener: Listener, types: ReadonlyArray<EventType> = DRIVER_EVENT_TYPES): () => void {
    const only = new Set(types);
    // A wrapper gives each subscription its own identity, so the same function subscribed twice is two
    // subscriptions and each unsubscribe removes only its own.
    const entry: Listener = (event) => {
      if (only.has(event.type)) listener(event);
    };
    this.listeners.add(entry);
    for (const type of only) this.wanted.set(type, (this.wanted.get(type) ?? 0) + 1);
    return () => {
      if (!this.listeners.delete(entry)) return;
      for (const type of only) this.wanted.set(type, (this.wanted.get(type) ?? 1) - 1);
    };
  }

  publish(event: DriverEvent): void {
    if (this.wants(event.type)) this.buffer.push(event);
  }

  flush(): void {
    if (this.buffer.length === 0) return;
    const events = this.buffer;
    this.buffer = [];
    queueMicrotask(() => this.deliver(events));
  }

  clear(): void {
    this.listeners.clear();
    this.wanted.clear();
    this.buffer = [];
  }

  private deliver(events: DriverEvent[]): void {
    for (const event of events) {
      for (const listener of this.listeners) {
        try {
          listener(event);
        } catch (error) {
          // One faulty listener must not starve the others; its error still surfaces, as an uncaught error
          // would from an EventEmitter listener.
          queueMicrotask(() => {
            throw error;
          });
        }
      }
    }
  }
}
