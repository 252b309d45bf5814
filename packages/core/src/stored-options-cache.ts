import { ParseError, quote } from './errors.js';
import type { StoredJobOptions } from './job-options.js';
import { decodeValue } from './serializer.js';

const CACHE_SIZE = 256;
const CACHEABLE_LENGTH = 1_024;

/**
 * Decodes the `options` string of stored jobs. Jobs of one class dispatched the same way share one options
 * string, so decoded options are cached (frozen) by their text; options with `meta` are per job and are not.
 */
export class StoredOptionsCache {
  readonly #cache = new Map<string, StoredJobOptions>();

  decode(text: string): StoredJobOptions {
    const cached = this.#cache.get(text);
    if (cached) return cached;
    const options = decodeValue(text, 'job options');
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new ParseError(`Stored job options are not an object: ${quote(options)}`);
    }
    const decoded = options as StoredJobOptions;
    if (decoded.meta === undefined && text.length <= CACHEABLE_LENGTH) {
      if (this.#cache.size >= CACHE_SIZE) this.#cache.clear();
      this.#cache.set(text, Object.freeze(decoded));
    }
    return decoded;
  }
}
