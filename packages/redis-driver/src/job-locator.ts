import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';

/** How many job id -> queue entries a driver remembers, at least (up to twice as many). */
const CACHE_LIMIT = 100_000;

/**
 * Finds the queue of a job from its id alone (`get`, `cancel`, `settle`, ...): job hashes live under their
 * queue's hash tag, and ids carry no queue. Jobs this process pushed or reserved are remembered; any other id
 * is looked up in every registered queue in one pipelined round trip (a job id never changes queue).
 *
 * The memory is two generations: new ids go to the young map; when it is full it becomes the old one and the
 * previous old one is dropped whole, so forgetting costs nothing per id (a 10,000-job push used to spend
 * about 20 ms deleting old entries one by one).
 */
export class JobLocator {
  readonly #keys: Keys;
  #young = new Generation();
  #old = new Generation();

  constructor(keys: Keys) {
    this.#keys = keys;
  }

  remember(id: string, queue: string): void {
    if (this.#young.size >= CACHE_LIMIT) {
      this.#old = this.#young;
      this.#young = new Generation();
    }
    this.#young.add(id, queue);
  }

  forget(id: string): void {
    this.#young.delete(id);
    this.#old.delete(id);
  }

  cached(id: string): string | undefined {
    return this.#young.get(id) ?? this.#old.get(id);
  }

  /** The queue of each id that exists (ids not found are absent from the map). */
  async locate(redis: Redis, ids: string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const unknown: string[] = [];
    for (const id of ids) {
      const queue = this.#young.get(id) ?? this.#old.get(id);
      if (queue === undefined) unknown.push(id);
      else found.set(id, queue);
    }
    if (unknown.length === 0) return found;
    const queues = await redis.smembers(this.#keys.queues);
    if (queues.length === 0) return found;
    const pipeline = redis.pipeline();
    for (const id of unknown) for (const queue of queues) pipeline.exists(this.#keys.job(queue, id));
    const replies = (await pipeline.exec()) ?? [];
    let i = 0;
    for (const id of unknown) {
      for (const queue of queues) {
        const [error, exists] = replies[i++] ?? [null, 0];
        if (error) throw error;
        if (exists === 1) {
          found.set(id, queue);
          this.remember(id, queue);
        }
      }
    }
    return found;
  }
}

/**
 * One generation of remembered ids. New ids go to two arrays and are indexed in the map only at the next
 * lookup: a process that dispatches and never looks a job up (most producers) pays two array appends per job
 * instead of a map insertion.
 */
class Generation {
  readonly #map = new Map<string, string>();
  #ids: string[] = [];
  #queues: string[] = [];

  get size(): number {
    return this.#map.size + this.#ids.length;
  }

  add(id: string, queue: string): void {
    this.#ids.push(id);
    this.#queues.push(queue);
  }

  get(id: string): string | undefined {
    this.#index();
    return this.#map.get(id);
  }

  delete(id: string): void {
    this.#index();
    this.#map.delete(id);
  }

  #index(): void {
    const ids = this.#ids;
    if (ids.length === 0) return;
    const queues = this.#queues;
    for (let i = 0; i < ids.length; i++) this.#map.set(ids[i]!, queues[i]!);
    this.#ids = [];
    this.#queues = [];
  }
}
