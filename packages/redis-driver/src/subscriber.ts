import { DRIVER_EVENT_TYPES, type DriverEvent, type Unsubscribe } from '@conveyor/core/driver';
import type { Redis } from 'ioredis';

type Listener = (event: DriverEvent) => void;
type EventType = DriverEvent['type'];

interface Entry {
  listener: Listener;
  types: ReadonlySet<EventType>;
}

/**
 * Cross-process events: scripts PUBLISH JSON `DriverEvent`s on one channel per event type
 * (`Keys.eventChannel`). This class holds one lazily created subscriber connection per driver, subscribed to
 * just the channels some listener wants (a worker wants only `cancel`, so it is not sent every job's
 * completion), fans each message out to the listeners of its type, and drops the connection when the last
 * listener leaves.
 */
export class Subscriber {
  readonly #create: () => Redis;
  readonly #channel: (type: EventType) => string;
  readonly #entries = new Set<Entry>();
  #connection: Promise<Redis> | undefined;
  /** Channel types subscribed on the connection; changes go one after another through `#syncing`. */
  #subscribed = new Set<EventType>();
  #syncing: Promise<void> = Promise.resolve();

  constructor(create: () => Redis, channel: (type: EventType) => string) {
    this.#create = create;
    this.#channel = channel;
  }

  async subscribe(
    listener: Listener,
    types: ReadonlyArray<EventType> = DRIVER_EVENT_TYPES,
  ): Promise<Unsubscribe> {
    const entry: Entry = { listener, types: new Set(types) };
    this.#entries.add(entry);
    try {
      await this.#sync();
    } catch (error) {
      this.#entries.delete(entry);
      if (this.#entries.size === 0) await this.close();
      throw error;
    }
    let active = true;
    return async () => {
      if (!active) return;
      active = false;
      this.#entries.delete(entry);
      if (this.#entries.size === 0) await this.close();
      else await this.#sync().catch(() => {});
    };
  }

  async close(): Promise<void> {
    const pending = this.#connection;
    this.#connection = undefined;
    this.#subscribed = new Set();
    if (!pending) return;
    const connection = await pending.catch(() => undefined);
    connection?.disconnect();
  }

  /** Brings the connection's channels in line with what the listeners want (queued after earlier changes). */
  #sync(): Promise<void> {
    const run = this.#syncing.then(async () => {
      const wanted = new Set<EventType>();
      for (const entry of this.#entries) for (const type of entry.types) wanted.add(type);
      const add = [...wanted].filter((type) => !this.#subscribed.has(type));
      const drop = [...this.#subscribed].filter((type) => !wanted.has(type));
      if (add.length === 0 && drop.length === 0) return;
      this.#connection ??= this.#open();
      const connection = await this.#connection;
      if (add.length > 0) await connection.subscribe(...add.map(this.#channel));
      if (drop.length > 0) await connection.unsubscribe(...drop.map(this.#channel));
      for (const type of add) this.#subscribed.add(type);
      for (const type of drop) this.#subscribed.delete(type);
    });
    this.#syncing = run.catch(() => {});
    return run;
  }

  async #open(): Promise<Redis> {
    const connection = this.#create();
    connection.on('error', () => {});
    connection.on('message', (_channel: string, message: string) => this.#deliver(message));
    try {
      await connection.connect();
    } catch (error) {
      connection.disconnect();
      if (this.#connection !== undefined) this.#connection = undefined;
      throw error;
    }
    return connection;
  }

  #deliver(message: string): void {
    let event: DriverEvent;
    try {
      event = JSON.parse(message) as DriverEvent;
    } catch {
      return;
    }
    for (const entry of [...this.#entries]) {
      if (!entry.types.has(event.type)) continue;
      try {
        entry.listener(event);
      } catch {
        // a listener's fault is its own; the others still get the event
      }
    }
  }
}
