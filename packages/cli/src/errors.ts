/**
 * An error the CLI reports as one line on stderr (never a stack trace) with a non-zero exit code: bad input
 * (exit 2, like a bad flag) or something it could not do (exit 1).
 */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** Exit codes. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
} as const;

/** One line for any thrown value: its message (and its cause's), never its stack. */
export function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : undefined;
  const text = cause && !message.includes(cause) ? `${message} (${cause})` : message;
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
