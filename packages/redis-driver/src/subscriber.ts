import type { DriverEvent, Unsubscribe } from '@conveyor/core/driver';
import type { Redis } from 'ioredis';

type Listener = (event: DriverEvent) => void;

/**
 * Cross-process events: scripts PUBLISH JSON `DriverEvent`s on one channel; this class holds one lazily
 * created subscriber connection per driver, fans each message out to the listeners, and drops the connection
 * when the last listener leaves.
 */
export class Subscriber {
  readonly #create: () => Redis;
  readonly #channel: string;
  readonly #listeners = new Set<Listener>();
  #connection: Promise<Redis> | undefined;

  constructor(create: () => Redis, channel: string) {
    this.#create = create;
    this.#channel = channel;
  }

  async subscribe(listener: Listener): Promise<Unsubscribe> {
    this.#listeners.add(listener);
    try {
      await (this.#connection ??= this.#open());
    } catch (error) {
      this.#listeners.delete(listener);
      this.#connection = undefined;
      throw error;
    }
    let active = true;
    return async () => {
      if (!active) return;
      active = false;
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) await this.close();
    };
  }

  async close(): Promise<void> {
    const pending = this.#connection;
    this.#connection = undefined;
    if (!pending) return;
    const connection = await pending.catch(() => undefined);
    connection?.disconnect();
  }

  async #open(): Promise<Redis> {
    const connection = this.#create();
    connection.on('error', () => {});
    connection.on('message', (_channel: string, message: string) => this.#deliver(message));
    try {
      await connection.subscribe(this.#channel);
    } catch (error) {
      connection.disconnect();
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
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch {
        // a listener's fault is its own; the others still get the event
      }
    }
  }
}
