import type { Io } from './io.js';

export type LogFormat = 'text' | 'json';
export type LogLevel = 'info' | 'warn' | 'error';

/**
 * Structured log lines of `conveyor work`. `json`: one object per line, `{ time, level, event, ...fields }`,
 * for log shippers. `text`: `time LEVEL event key=value ...`, for people. Both on stdout.
 */
export class Logger {
  readonly #io: Io;
  readonly #format: LogFormat;
  readonly #now: () => number;

  constructor(io: Io, format: LogFormat, now: () => number = Date.now) {
    this.#io = io;
    this.#format = format;
    this.#now = now;
  }

  info(event: string, fields: Record<string, unknown> = {}): void {
    this.#write('info', event, fields);
  }

  warn(event: string, fields: Record<string, unknown> = {}): void {
    this.#write('warn', event, fields);
  }

  error(event: string, fields: Record<string, unknown> = {}): void {
    this.#write('error', event, fields);
  }

  #write(level: LogLevel, event: string, fields: Record<string, unknown>): void {
    const time = new Date(this.#now()).toISOString();
    if (this.#format === 'json') {
      this.#io.out(`${JSON.stringify({ time, level, event, ...fields })}\n`);
      return;
    }
    const pairs = Object.entries(fields)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => `${key}=${textValue(value)}`);
    this.#io.out(
      `${time} ${level.toUpperCase().padEnd(5)} ${event}${pairs.length ? ` ${pairs.join(' ')}` : ''}\n`,
    );
  }
}

function textValue(value: unknown): string {
  const text =
    typeof value === 'string'
      ? value
      : Array.isArray(value) && value.every((item) => typeof item === 'string')
        ? value.join(',')
        : JSON.stringify(value);
  return /[\s"=]/.test(text) || text === '' ? JSON.stringify(text) : text;
}
