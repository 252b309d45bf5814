/** Where the CLI writes, so tests can capture it. */
export interface Io {
  /** Results (tables, JSON, log lines). */
  out(text: string): void;
  /** Errors, progress bars, hints. */
  err(text: string): void;
  /** True when stdout is a terminal (colours, screen redraws). */
  readonly isTty: boolean;
  /** The stream progress bars draw on. */
  readonly progressStream: NodeJS.WritableStream;
  /** The working directory (where `conveyor.config.*` is looked up). */
  readonly cwd: string;
  /** Environment variables (`CONVEYOR_REDIS_URL`, `CONVEYOR_PREFIX`). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

export const processIo: Io = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  get isTty() {
    return process.stdout.isTTY === true;
  },
  progressStream: process.stderr,
  get cwd() {
    return process.cwd();
  },
  env: process.env,
};
