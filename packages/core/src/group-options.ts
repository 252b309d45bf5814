import { decodeValue, encodeValue } from './serializer.js';

/** Core's own data about a chain or a batch, stored in its record's opaque `options` string. */
export interface GroupOptions {
  /** The name given with `.name()`, for people reading dashboards and logs. */
  name?: string;
  /** The queue given with `.onQueue()`, reused for jobs added later (`batch.add`, `ctx.chain.append`). */
  queue?: string;
}

export function encodeGroupOptions(options: GroupOptions): string {
  const stored: GroupOptions = {};
  if (options.name !== undefined) stored.name = options.name;
  if (options.queue !== undefined) stored.queue = options.queue;
  return encodeValue(stored, 'chain or batch options');
}

/** Decodes what `encodeGroupOptions` wrote; anything unreadable is treated as no options. */
export function decodeGroupOptions(text: string): GroupOptions {
  try {
    const value = decodeValue(text, 'chain or batch options');
    if (value === null || typeof value !== 'object') return {};
    const { name, queue } = value as Record<string, unknown>;
    return {
      ...(typeof name === 'string' ? { name } : {}),
      ...(typeof queue === 'string' ? { queue } : {}),
    };
  } catch {
    return {};
  }
}
