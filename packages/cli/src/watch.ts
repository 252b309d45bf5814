/** How a `--watch` loop learns it should stop (SIGINT/SIGTERM in the CLI; a test's own trigger in tests). */
export interface Watch {
  /** Calls `listener` once when the user asks to stop; returns a function that removes it. */
  onStop(listener: () => void): () => void;
}

export const signalWatch: Watch = {
  onStop(listener) {
    const once = () => listener();
    process.once('SIGINT', once);
    process.once('SIGTERM', once);
    return () => {
      process.off('SIGINT', once);
      process.off('SIGTERM', once);
    };
  },
};

/**
 * Runs `tick` every `intervalMs` (after the previous one finished) until the user stops it or `tick` returns
 * true (done).
 */
export async function untilStopped(
  watch: Watch,
  intervalMs: number,
  tick: () => Promise<boolean | undefined>,
): Promise<'stopped' | 'done'> {
  let stopped = false;
  let wake: () => void = () => {};
  const off = watch.onStop(() => {
    stopped = true;
    wake();
  });
  try {
    for (;;) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        const timer = setTimeout(resolve, intervalMs);
        const clear = wake;
        wake = () => {
          clearTimeout(timer);
          clear();
        };
      });
      if (stopped) return 'stopped';
      if ((await tick()) === true) return 'done';
      if (stopped) return 'stopped';
    }
  } finally {
    off();
  }
}
