import { Conveyor } from '../conveyor.js';
import { Queue } from '../queue.js';
import { type FakeOptions, QueueFake } from './queue-fake.js';

/** The fake currently standing in for each conveyor. */
const active = new WeakMap<Conveyor, QueueFake>();

/**
 * Fakes a conveyor (the default `Queue` unless one is given): from now on it records what is dispatched
 * instead of storing it, and the returned `QueueFake` asserts on it. `restore()` puts the real driver back.
 *
 * Faking a conveyor that is already faked restores the earlier fake first (its recordings stay on it), so a
 * forgotten `restore()` cannot stack fakes. Works with no driver configured: everything faked is recorded.
 *
 * ```ts
 * const queue = fake(conveyor, { only: [SendEmail] });  // SendEmail recorded; other jobs run as usual
 * await signup(conveyor, 'a@b.c');
 * queue.assertDispatched(SendEmail, (job) => job.to === 'a@b.c');
 * queue.restore();
 * ```
 */
export function fake(options?: FakeOptions): QueueFake;
export function fake(conveyor: Conveyor, options?: FakeOptions): QueueFake;
export function fake(first?: Conveyor | FakeOptions, second?: FakeOptions): QueueFake {
  const [conveyor, options] = first instanceof Conveyor ? [first, second] : [Queue, first];
  active.get(conveyor)?.restore();
  const queueFake = new QueueFake(conveyor, options);
  active.set(conveyor, queueFake);
  return queueFake;
}
