import {
  Chain,
  type ChainInfo,
  ConfigurationError,
  type Conveyor,
  Job,
  type JobContext,
  Queue,
  WaitTimeoutError,
} from '@conveyor/core';
import { beforeEach, describe, expect, it } from 'vitest';
import type { DriverFactory } from '../describe-driver.js';
import { deferred, MINUTE, SECOND, useHarness, within } from './fixtures.js';

/** What `QueueStep` ran. The class is shared by every run of the suite, as `Queue` (one per process) is. */
const queueRan: string[] = [];
class QueueStep extends Job {
  constructor(public label: string) {
    super();
  }
  handle() {
    queueRan.push(this.label);
  }
}

/**
 * Chains: jobs that run one after another. `conveyor.chain([...])` (or `Chain.of([...])` on `Queue`, or
 * `conveyor.dispatch(a).chain([b, c])`) sends them; each link runs only after the previous one completed.
 */
export function chainApiSuite(factory: DriverFactory): void {
  describe('api: chains', () => {
    const h = useHarness(factory);
    /** What ran, in order: each job pushes its label. */
    let ran: string[];
    /** What each catch callback saw. */
    let caught: Array<{
      chainId: string | undefined;
      callback: string | null | undefined;
      info: ChainInfo | null;
    }>;

    class Step extends Job<string> {
      constructor(
        public label: string,
        public data: unknown = null,
      ) {
        super();
      }
      handle(ctx: JobContext) {
        ran.push(this.label);
        return `${this.label}@${ctx.queue}`;
      }
    }

    class Boom extends Job {
      constructor(public label: string) {
        super();
      }
      handle(): never {
        ran.push(this.label);
        throw new Error(`${this.label} broke`);
      }
    }

    /** Fails its first attempt and completes the second. */
    class Flaky extends Job<string> {
      static maxAttempts = 2;
      constructor(public label: string) {
        super();
      }
      handle(ctx: JobContext) {
        ran.push(`${this.label}#${ctx.attempt}`);
        if (ctx.attempt === 1) throw new Error('first try fails');
        return this.label;
      }
    }

    /** Adds links to its own chain while it runs. */
    class Grow extends Job {
      handle(ctx: JobContext) {
        ran.push('grow');
        return Promise.all([
          ctx.chain!.append(new Step('appended')),
          ctx.chain!.prepend(new Step('right-after-grow')),
        ]).then(() => undefined);
      }
    }

    /** A chain's `catch` job: reads the chain through `ctx.chain`. */
    class OnChainFailed extends Job {
      async handle(ctx: JobContext) {
        caught.push({
          chainId: ctx.chain?.id,
          callback: ctx.chain?.callback,
          info: (await ctx.chain?.info()) ?? null,
        });
      }
    }

    const jobs = [Step, Boom, Flaky, Grow, OnChainFailed];
    let conveyor: Conveyor;

    beforeEach(() => {
      ran = [];
      caught = [];
      conveyor = h.conveyor(jobs);
    });

    async function statesOf(ids: string[]) {
      return Promise.all(ids.map(async (id) => (await h.driver.get(id))?.state ?? null));
    }

    it('runs links in order, each after the previous completed, with its own data', async () => {
      const when = new Date('2026-03-01T10:00:00Z');
      const chain = await conveyor
        .chain([new Step('a', { when }), new Step('b', new Map([['k', 1n]])), new Step('c')])
        .name('onboarding')
        .dispatch();

      expect(await chain.status()).toBe('running');
      const links = await chain.jobs();
      expect(links).toHaveLength(3);
      // Only the first link is enqueued; the next one is enqueued when it completes.
      expect(await links[0]!.status()).toBe('pending');

      await conveyor.drain();

      expect(ran).toEqual(['a', 'b', 'c']);
      expect(await chain.status()).toBe('completed');
      expect(await Promise.all(links.map((link) => link.result()))).toEqual([
        'a@default',
        'b@default',
        'c@default',
      ]);
      const views = await Promise.all(links.map((link) => conveyor.getJob(link.id)));
      expect(views.map((view) => view?.data)).toEqual([
        { label: 'a', data: { when } },
        { label: 'b', data: new Map([['k', 1n]]) },
        { label: 'c', data: null },
      ]);
      expect(views.every((view) => view?.chainId === chain.id)).toBe(true);
      expect(await chain.info()).toMatchObject({ id: chain.id, name: 'onboarding', state: 'completed' });
    });

    it('dispatch(a).chain([b, c]) turns a dispatch into a chain; the first link keeps its own options', async () => {
      const chain = await conveyor
        .dispatch(new Step('a'))
        .onQueue('first')
        .meta({ tenant: 't-1' })
        .chain([new Step('b'), new Step('c')]);

      const [first, second, third] = await chain.jobs();
      expect((await conveyor.getJob(first!.id))?.meta).toEqual({ tenant: 't-1' });
      await conveyor.drain({ queues: ['first', 'default'] });
      expect(ran).toEqual(['a', 'b', 'c']);
      expect(await first!.result()).toBe('a@first');
      expect(await second!.result()).toBe('b@default');
      expect(await third!.result()).toBe('c@default');
    });

    it('onQueue sends every link to a queue; delay holds the first link only', async () => {
      const chain = await conveyor
        .chain([new Step('a'), new Step('b')])
        .onQueue('slow')
        .delay('1m');
      const [first] = await chain.jobs();
      expect(await first!.status()).toBe('delayed');
      expect(await conveyor.drain({ queues: ['slow'] })).toBe(0);

      await h.clock.advance(MINUTE);
      expect(await conveyor.drain({ queues: ['slow'] })).toBe(2);
      expect(ran).toEqual(['a', 'b']);
      const results = await Promise.all((await chain.jobs()).map((link) => link.result()));
      expect(results).toEqual(['a@slow', 'b@slow']);
    });

    it('a link that fails finally cancels the remaining links and fires catch once', async () => {
      const functionCatches: Array<{ state: string; message: string }> = [];
      const caughtByFunction = deferred();
      const chain = await conveyor
        .chain([new Step('a'), new Boom('b'), new Step('c'), new Step('d')])
        .catch(new OnChainFailed())
        .catch((info, error) => {
          functionCatches.push({ state: info.state, message: error.message });
          caughtByFunction.resolve();
        })
        .dispatch();

      await conveyor.drain();
      await conveyor.drain();

      expect(ran).toEqual(['a', 'b']);
      expect(await chain.status()).toBe('failed');
      const links = await chain.jobs();
      expect(await statesOf(links.map((link) => link.id))).toEqual([
        'completed',
        'failed',
        'cancelled',
        'cancelled',
      ]);
      expect(caught).toEqual([
        {
          chainId: chain.id,
          callback: 'catch',
          info: expect.objectContaining({ id: chain.id, state: 'failed', position: 1 }),
        },
      ]);
      await within(caughtByFunction.promise, 'the catch function');
      expect(functionCatches).toEqual([{ state: 'failed', message: 'b broke' }]);
      // A catch job is not a link: the chain still has its four links.
      expect(links).toHaveLength(4);
    });

    it('a failed attempt that is retried does not fail the chain', async () => {
      const chain = await conveyor
        .chain([new Flaky('a'), new Step('b')])
        .catch(new OnChainFailed())
        .dispatch();
      await conveyor.drain();
      await conveyor.drain();
      expect(ran).toEqual(['a#1', 'a#2', 'b']);
      expect(await chain.status()).toBe('completed');
      expect(caught).toEqual([]);
    });

    it('a running link can append links to its chain, or prepend them to run next', async () => {
      const chain = await conveyor.chain([new Step('a'), new Grow(), new Step('b')]).dispatch();
      await conveyor.drain();
      expect(ran).toEqual(['a', 'grow', 'right-after-grow', 'b', 'appended']);
      const info = await chain.info();
      expect(info).toMatchObject({ state: 'completed' });
      expect(info?.jobIds).toHaveLength(5);
    });

    it('cancelling a link cancels the rest of the chain, without catch', async () => {
      const chain = await conveyor
        .chain([new Step('a'), new Step('b')])
        .catch(new OnChainFailed())
        .dispatch();
      const [first, second] = await chain.jobs();
      expect(await first!.cancel()).toBe('cancelled');
      await conveyor.drain();
      expect(ran).toEqual([]);
      expect(await chain.status()).toBe('cancelled');
      expect(await second!.status()).toBe('cancelled');
      expect(caught).toEqual([]);
    });

    it('wait() resolves when the chain is over, and times out on the conveyor clock', async () => {
      const chain = await conveyor.chain([new Step('a'), new Boom('b')]).dispatch();
      const timedOut = expect(chain.wait({ timeout: '30s' })).rejects.toThrow(WaitTimeoutError);
      await h.clock.advance(30 * SECOND);
      await timedOut;

      const waiting = chain.wait();
      await conveyor.drain();
      expect(await within(waiting, 'chain.wait()')).toMatchObject({ id: chain.id, state: 'failed' });
    });

    it('findChain(id) finds a chain by id; an unknown id is null', async () => {
      const chain = await conveyor.chain([new Step('a')]).dispatch();
      const found = await conveyor.findChain(chain.id);
      expect(found?.id).toBe(chain.id);
      expect(await found?.status()).toBe('running');
      expect(await conveyor.findChain('no-such-chain')).toBeNull();
    });

    it('Chain.of and Chain.find work on the default Queue', async () => {
      queueRan.length = 0;
      Queue.use(h.driver).register(QueueStep);
      const chain = await Chain.of([new QueueStep('a'), new QueueStep('b')]).dispatch();
      expect((await Chain.find(chain.id))?.id).toBe(chain.id);
      expect(await Chain.find('no-such-chain')).toBeNull();
      await Queue.drain();
      expect(queueRan).toEqual(['a', 'b']);
    });

    it('emits dispatched for the first link', async () => {
      const seen: string[] = [];
      conveyor.on('dispatched', (job) => seen.push(job.id));
      const chain = await conveyor.chain([new Step('a'), new Step('b')]).dispatch();
      expect(seen).toEqual([(await chain.info())!.jobIds[0]]);
    });

    it('a builder sends once, however often it is awaited', async () => {
      const pending = conveyor.chain([new Step('a')]);
      const [one, two] = await Promise.all([pending, pending.dispatch()]);
      expect(one.id).toBe(two.id);
    });

    describe('bad input', () => {
      it('an empty chain is a ConfigurationError', () => {
        expect(() => conveyor.chain([])).toThrow(ConfigurationError);
        expect(() => conveyor.chain([])).toThrow('empty chain');
      });

      it('anything but a job is a TypeError naming the value', () => {
        expect(() => conveyor.chain([new Step('a'), 'nope' as never])).toThrow(TypeError);
        expect(() => conveyor.chain([new Step('a'), 'nope' as never])).toThrow('"nope"');
        expect(() => conveyor.chain([{ handle() {} } as never])).toThrow(/item \[0\]/);
        expect(() => conveyor.chain('abc' as never)).toThrow(TypeError);
        expect(() => conveyor.dispatch(new Step('a')).chain([42 as never])).toThrow('42');
        expect(() => conveyor.chain([new Step('a')]).catch('x' as never)).toThrow(TypeError);
      });

      it('a bad queue or delay is a ConfigurationError at the call', () => {
        expect(() => conveyor.chain([new Step('a')]).onQueue('has space')).toThrow(ConfigurationError);
        expect(() => conveyor.chain([new Step('a')]).delay(-1)).toThrow(ConfigurationError);
      });
    });
  });
}
