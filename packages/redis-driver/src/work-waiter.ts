import type { Redis } from 'ioredis';

/** How long past its own timeout a wait may run before the watchdog resolves it anyway. */
const WATCHDOG_GRACE_MS = 1_000;
/** After a failed blocking pop (Redis down), wait this long before resolving, so callers do not spin. */
const ERROR_PAUSE_MS = 100;

/** A command sent right behind a blocking pop on its connection (so Redis runs it the moment the pop returns). */
export type Behind = (connection: Redis) => Promise<unknown>;

interface Waiter {
  deadline: number;
  /** Sent behind the group's next blocking pop, once; its reply is this wait's result. */
  behind: Behind | undefined;
  /** Resolves the wait and tidies up (watchdog, abort listener) at once: abort, watchdog, close, timeout. */
  finish(): void;
  /** Resolves the wait and tidies up later (see `WorkWaiter.#later`): a wake-up by a popped marker. */
  wake(): void;
  /** Resolves the wait with the reply of its `behind` command (a wake-up, tidied up later). */
  deliver(reply: unknown): void;
}

/** Every local wait on the same queues shares one blocking pop. */
interface Group {
  key: string;
  markers: string[];
  waiters: Set<Waiter>;
  /** The connection blocked for this group, while a BLPOP is in flight. */
  blocking: Redis | undefined;
}

/**
 * `waitForWork`: a blocking pop (BLPOP) on the marker lists of the queues, on connections of its own.
 *
 * - A push, a release, a retry that is due, or a reserve that left ready jobs behind pushes a marker (a list
 *   kept at one element), so an idle process wakes within a round trip of the push.
 * - Local waits on the same queues share one BLPOP and all wake together; across processes one process wakes
 *   per marker, and its reserve re-marks while work is left, so idle workers join one after another rather
 *   than all at once.
 * - A connection blocked in BLPOP can do nothing else, so each group blocks on its own connection, back to an
 *   idle pool when the BLPOP returns.
 * - Watchdog: each wait resolves after `timeoutMs` plus a grace period whatever the connection does, and at
 *   once when its connection closes, so a reconnect never leaves a worker silently idle.
 * - An aborted wait resolves at once; `close()` disconnects every blocking connection and resolves every wait.
 * - A wake-up resolves its waits first and leaves the chores (clearing the watchdog, removing the abort and
 *   close listeners: about 40 µs on a small machine) for after the woken callers ran on, so an idle worker's
 *   reserve is written that much sooner.
 * - A wait may carry a command to send right behind the blocking pop on the same connection (`behind`: the
 *   reserve of `waitAndReserve`): Redis runs it the moment the pop returns, woken or timed out, and the wait
 *   resolves with its reply, one round trip sooner than a reserve sent after the wake-up. One such command per
 *   pop: a wait that joins a pop already sent, or shares one with a carrier, is woken plainly (resolves
 *   undefined). A reply whose wait left meanwhile (aborted) goes to `orphan`, which hands back what it took.
 */
export class WorkWaiter {
  readonly #create: () => Redis;
  readonly #restore: (marker: string) => void;
  readonly #orphan: (reply: unknown) => void;
  readonly #idle: Redis[] = [];
  readonly #all = new Set<Redis>();
  readonly #groups = new Map<string, Group>();
  /** Chores left by wake-ups, run in one `setImmediate` (after this turn's callbacks and their microtasks). */
  #chores: Array<() => void> = [];
  #closed = false;

  /**
   * `restore` puts back a marker that was popped after every waiter of its group had left; `orphan` takes the
   * reply of a `behind` command whose wait had left.
   */
  constructor(create: () => Redis, restore: (marker: string) => void, orphan: (reply: unknown) => void) {
    this.#create = create;
    this.#restore = restore;
    this.#orphan = orphan;
  }

  /** Resolves undefined, or with the reply of `behind` when it was sent behind this wait's pop. */
  wait(markers: string[], timeoutMs: number, signal: AbortSignal, behind?: Behind): Promise<unknown> {
    if (this.#closed || signal.aborted) return Promise.resolve(undefined);
    if (markers.length === 0) return sleep(timeoutMs, signal);
    const key = markers.join('\u0000');
    let group = this.#groups.get(key);
    if (!group) {
      group = { key, markers, waiters: new Set(), blocking: undefined };
      this.#groups.set(key, group);
    }
    const owner = group;
    const wait = Math.max(0, timeoutMs);

    const done = new Promise<unknown>((resolve) => {
      // a carrier leaves its group when its pop returns, but waits on for its command's reply
      let over = false;
      const end = (): boolean => {
        if (over) return false;
        over = true;
        owner.waiters.delete(waiter);
        return true;
      };
      const tidy = () => {
        clearTimeout(watchdog);
        signal.removeEventListener('abort', waiter.finish);
      };
      const waiter: Waiter = {
        deadline: Date.now() + wait,
        // only a pop not sent yet can carry it
        behind: owner.blocking ? undefined : behind,
        finish: () => {
          if (!end()) return;
          tidy();
          resolve(undefined);
        },
        wake: () => {
          if (!end()) return;
          resolve(undefined);
          this.#later(tidy);
        },
        deliver: (reply) => {
          if (!end()) return this.#orphan(reply);
          resolve(reply);
          this.#later(tidy);
        },
      };
      const watchdog = setTimeout(waiter.finish, wait + WATCHDOG_GRACE_MS);
      signal.addEventListener('abort', waiter.finish, { once: true });
      owner.waiters.add(waiter);
    });
    if (!owner.blocking) this.#block(owner);
    return done;
  }

  /** Disconnects every blocking connection at once and resolves every wait. */
  close(): void {
    this.#closed = true;
    for (const group of this.#groups.values()) finishAll(group);
    this.#groups.clear();
    for (const connection of this.#all) connection.disconnect();
    this.#all.clear();
    this.#idle.length = 0;
  }

  #block(group: Group): void {
    const connection = this.#idle.pop() ?? this.#connect();
    group.blocking = connection;
    const now = Date.now();
    let soonest = Number.POSITIVE_INFINITY;
    for (const waiter of group.waiters) soonest = Math.min(soonest, waiter.deadline - now);
    const seconds = Math.max(1, Math.ceil(soonest)) / 1000;
    const onClose = () => finishAll(group);
    connection.once('close', onClose);
    // the first waiter that carries a command: it waits for that command's reply, not for the pop
    let carrier: Waiter | undefined;
    for (const waiter of group.waiters) {
      if (waiter.behind) {
        carrier = waiter;
        break;
      }
    }

    const settled = (popped: boolean, failed: boolean) => {
      if (popped) this.#later(() => connection.off('close', onClose));
      else connection.off('close', onClose);
      if (group.blocking === connection) group.blocking = undefined;
      this.#release(connection);
      if (this.#closed) return;
      if (failed) {
        setTimeout(() => finishAll(group), ERROR_PAUSE_MS);
      } else {
        // the carrier's command runs behind the pop whatever the pop did: its reply ends its wait
        if (carrier) group.waiters.delete(carrier);
        if (popped) {
          // deleting the visited entry of a Set while iterating it is safe: no copy on this path
          for (const waiter of group.waiters) waiter.wake();
        } else {
          const late = Date.now() + 1;
          for (const waiter of [...group.waiters]) if (waiter.deadline <= late) waiter.finish();
        }
      }
      if (group.waiters.size > 0) {
        if (!failed && !group.blocking) this.#block(group);
      } else if (this.#groups.get(group.key) === group && !group.blocking) {
        this.#groups.delete(group.key);
      }
    };

    const pop = connection.blpop(group.markers, seconds);
    if (carrier) {
      // written after the pop on the same connection: Redis runs it the moment the pop returns
      const send = carrier.behind!;
      const target = carrier;
      carrier.behind = undefined;
      send(connection).then(target.deliver, target.finish);
    }
    pop.then(
      (reply) => {
        // a marker popped for nobody (every waiter aborted) goes back for other processes
        if (reply && group.waiters.size === 0 && !this.#closed) this.#restore(reply[0]);
        settled(reply !== null, false);
      },
      () => settled(false, true),
    );
  }

  /** Runs `chore` once the callbacks of this turn (and their promise chains) are done. */
  #later(chore: () => void): void {
    if (this.#chores.length === 0) setImmediate(this.#runChores);
    this.#chores.push(chore);
  }

  readonly #runChores = (): void => {
    const chores = this.#chores;
    this.#chores = [];
    for (const chore of chores) chore();
  };

  #connect(): Redis {
    const connection = this.#create();
    connection.on('error', () => {});
    this.#all.add(connection);
    return connection;
  }

  #release(connection: Redis): void {
    if (this.#closed || !this.#all.has(connection)) return;
    if (connection.status === 'end') {
      this.#all.delete(connection);
      return;
    }
    this.#idle.push(connection);
  }
}

/** Nothing to watch: just wait out the timeout (or the abort), so a caller never spins. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal.addEventListener('abort', done, { once: true });
  });
}

function finishAll(group: Group): void {
  for (const waiter of [...group.waiters]) waiter.finish();
}
