import { ConfigurationError, JOB_STATES, type JobState, toMs } from '@conveyor/core';
import { InvalidArgumentError } from 'commander';

/** Parsers for flag values: a bad value becomes commander's one-line "argument ... is invalid" error. */

export function wholeNumber(min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min) {
      throw new InvalidArgumentError(`use a whole number >= ${min}.`);
    }
    return n;
  };
}

/** A duration in ms: `500ms`, `30s`, `5m`, `2h`, `1d`, or a number of ms. */
export function durationMs(value: string): number {
  const text = value.trim();
  try {
    return toMs(/^\d+(\.\d+)?$/.test(text) ? Number(text) : text, 'duration');
  } catch (error) {
    if (error instanceof ConfigurationError) {
      throw new InvalidArgumentError("use a duration like '500ms', '30s', '5m', '2h' or a number of ms.");
    }
    throw error;
  }
}

/** `high,default` → `['high', 'default']` (order kept: strict priority). */
export function queueList(value: string): string[] {
  const queues = value.split(',').map((q) => q.trim());
  if (queues.some((q) => q === ''))
    throw new InvalidArgumentError("list queue names separated by commas, like 'high,default'.");
  if (new Set(queues).size !== queues.length) throw new InvalidArgumentError('a queue is listed twice.');
  return queues;
}

export function jobState(value: string): JobState {
  if (!(JOB_STATES as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`use one of ${JOB_STATES.join(', ')}.`);
  }
  return value as JobState;
}

/** A point in time: an ISO date, or a duration meaning that long ago (`15m`, `1h`). */
export function since(now: () => number): (value: string) => number {
  return (value) => {
    const text = value.trim();
    if (/^\d+(\.\d+)?\s*(ms|s|m|h|d)$/.test(text)) return now() - toMs(text, 'since');
    const at = Date.parse(text);
    if (Number.isNaN(at))
      throw new InvalidArgumentError("use a duration ago like '15m' or '1h', or an ISO date.");
    return at;
  };
}

export function logFormat(value: string): 'text' | 'json' {
  if (value !== 'text' && value !== 'json') throw new InvalidArgumentError('use text or json.');
  return value;
}
