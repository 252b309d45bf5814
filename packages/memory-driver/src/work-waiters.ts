interface Waiter {
  queues: string[];
  resolve: () => void;
  timer: ReturnType<typeof setTimeout> | undefined;
  signal: AbortSignal;
  onAbort: () => void;
}

/** setTimeout's largest delay; a longer wait simply has no timer and ends on work, abort or close. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Idle workers waiting for work, indexed by queue. Each waiter ends exactly once: woken by work in one of its
 * queues, by its timeout (one real timer, cleared when the waiter ends), by its signal, or by `wakeAll`.
 */
export class WorkWaiters {
  private readonly byQueue = new Map<string, Set<Waiter>>();
  private readonly all = new Set<Waiter>();

  wait(queues: string[], timeoutMs: number, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const waiter: Waiter = { queues, resolve, timer: undefined, signal, onAbort: () => this.end(waiter) };
      this.all.add(waiter);
      for (const queue of queues) {
        let set = this.byQueue.get(queue);
        if (set === undefined) {
          set = new Set();
          this.byQueue.set(queue, set);
        }
        set.add(waiter);
      }
      signal.addEventListener('abort', waiter.onAbort, { once: true });
      if (timeoutMs <= MAX_TIMER_MS) waiter.timer = setTimeout(waiter.onAbort, Math.max(0, timeoutMs));
    });
  }

  /** Ends every wait that includes `queue`. */
  wake(queue: string): void {
    const set = this.byQueue.get(queue);
    if (set === undefined) return;
    for (const waiter of set) this.end(waiter);
  }

  wakeAll(): void {
    for (const waiter of this.all) this.end(waiter);
  }

  private end(waiter: Waiter): void {
    if (!this.all.delete(waiter)) return;
    for (const queue of waiter.queues) {
      const set = this.byQueue.get(queue);
      if (set === undefined) continue;
      set.delete(waiter);
      if (set.size === 0) this.byQueue.delete(queue);
    }
    if (waiter.timer !== undefined) clearTimeout(waiter.timer);
    waiter.signal.removeEventListener('abort', waiter.onAbort);
    waiter.resolve();
  }
}
