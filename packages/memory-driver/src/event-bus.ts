import type { DriverEvent } from '@conveyor/core/driver';

export type Listener = (event: DriverEvent) => void;

/**
 * In-process delivery of driver events. A transition only buffers its events (and only when someone listens,
 * so events cost nothing otherwise); `flush`, called when the transition is over, hands them to the
 * listeners in one microtask, so a listener never runs inside a transition.
 */
export class EventBus {
  private readonly listeners = new Set<Listener>();
  private buffer: DriverEvent[] = [];

  get listening(): boolean {
    return this.listeners.size > 0;
  }

  subscribe(listener: Listener): () => void {
    // A wrapper gives each subscription its own identity, so the same function subscribed twice is two
    // subscriptions and each unsubscribe removes only its own.
    const entry: Listener = (event) => listener(event);
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  publish(event: DriverEvent): void {
    if (this.listeners.size > 0) this.buffer.push(event);
  }

  flush(): void {
    if (this.buffer.length === 0) return;
    const events = this.buffer;
    this.buffer = [];
    queueMicrotask(() => this.deliver(events));
  }

  clear(): void {
    this.listeners.clear();
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
