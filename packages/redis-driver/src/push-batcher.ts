import type { PushInput, PushResult } from '@conveyor/core/driver';

/**
 * A group goes out as soon as it holds this many jobs and chains, without waiting for the end of the tick: its
 * call is written at once, so Redis runs it while this process prepares the next group (many dispatches in
 * flight resume together and would otherwise go out as one call, leaving Redis idle while they are prepared
 * and this process idle while Redis runs them). 32 rather than 64: with 100 dispatches in flight, Redis starts on
 * the first group a third of the way through instead of two thirds (bench \`dispatch\`, one run each, alternated:
 * 64 -> 30-40k jobs/s, median 34.7k; 32 -> 39-47k, median 41.8k; 16 -> 33-37k, the script's fixed cost paid more
 * often).
 */
const EAGER_ITEMS = 32;

type Input = Omit<PushInput, 'batch'>;

interface Pending {
  input: Input;
  resolve(result: PushResult): void;
  reject(error: unknown): void;
}

interface Group {
  pending: Pending[];
  items: number;
}

/**
 * Coalesces pushes (without a batch) issued in the same tick with the same `now` into one `push` script call
 * (up to `EAGER_ITEMS` items each), the way many dispatches in flight arrive: one script entry for all of them
 * instead of one each. Each call is written to the socket at once (not with the tick's auto-pipeline). Every job
 * keeps the `now` its caller gave. The combined call is atomic as a whole (stronger than each push being
 * atomic), and every caller gets its own results.
 */
export class PushBatcher {
  readonly #send: (input: Input, now: number) => Promise<PushResult>;
  #groups = new Map<number, Group>();
  #scheduled = false;

  constructor(send: (input: Input, now: number) => Promise<PushResult>) {
    this.#send = send;
  }

  push(input: Input, now: number): Promise<PushResult> {
    return new Promise<PushResult>((resolve, reject) => {
      let group = this.#groups.get(now);
      if (!group) this.#groups.set(now, (group = { pending: [], items: 0 }));
      group.pending.push({ input, resolve, reject });
      group.items += (input.jobs?.length ?? 0) + (input.chains?.length ?? 0);
      if (group.items >= EAGER_ITEMS) {
        this.#groups.delete(now);
        this.#flush(group, now);
      } else if (!this.#scheduled) {
        this.#scheduled = true;
        process.nextTick(() => this.#flushAll());
      }
    });
  }

  #flushAll(): void {
    const groups = this.#groups;
    this.#groups = new Map();
    this.#scheduled = false;
    for (const [now, group] of groups) this.#flush(group, now);
  }

  #flush({ pending }: Group, now: number): void {
    if (pending.length === 1) {
      const [only] = pending as [Pending];
      this.#send(only.input, now).then(only.resolve, only.reject);
      return;
    }
    const jobs = pending.flatMap((p) => p.input.jobs ?? []);
    const chains = pending.flatMap((p) => p.input.chains ?? []);
    this.#send({ jobs, chains }, now).then(
      (result) => {
        let j = 0;
        let c = 0;
        for (const p of pending) {
          const jobCount = p.input.jobs?.length ?? 0;
          const chainCount = p.input.chains?.length ?? 0;
          p.resolve({
            jobs: result.jobs.slice(j, j + jobCount),
            chains: result.chains.slice(c, c + chainCount),
          });
          j += jobCount;
          c += chainCount;
        }
      },
      (error: unknown) => {
        for (const p of pending) p.reject(error);
      },
    );
  }
}
