import { ConfigurationError, quote } from './errors.js';

/**
 * Checks an options argument: a plain object (or undefined, read as `{}`) whose keys are all in `allowed`.
 * Throws a `ConfigurationError` that quotes the value and says what to pass (`usage`), so a typo such as
 * `{ per: '1m', limt: 10 }` fails at the call rather than being ignored.
 */
export function optionObject<T extends object>(
  value: unknown,
  allowed: readonly (keyof T & string)[],
  what: string,
  usage: string,
): Partial<T> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigurationError(`Invalid ${what} ${quote(value)}: pass an object like ${usage}.`);
  }
  for (const key of Object.keys(value)) {
    if (!(allowed as readonly string[]).includes(key)) {
      throw new ConfigurationError(
        `Invalid ${what} ${quote(value)}: unknown option ${quote(key)} (known: ${allowed.join(', ')}).`,
      );
    }
  }
  return value as Partial<T>;
}

/** A whole number >= `min`, or a `ConfigurationError` quoting the value. */
export function wholeNumber(value: unknown, what: string, min = 1): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new ConfigurationError(`Invalid ${what} ${quote(value)}: use a whole number >= ${min}.`);
  }
  return value;
}
