import type { Driver, WorkerRecord } from '@conveyor/core/driver';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DriverFactory } from '../describe-driver.js';
import { MINUTE, PATIENCE_MS, SECOND, T0 } from './fixtures.js';

const HOUR = 60 * MINUTE;

function worker(id: string, fields: Partial<WorkerRecord> = {}): WorkerRecord {
  return {
    id,
    info: `{"host":"box-1","pid":${id.length},"queues":["default"]}`,
    heartbeatAt: T0,
    expiresAt: T0 + MINUTE,
    ...fields,
  };
}

const ids = (records: WorkerRecord[]) => records.map((record) => record.id);

/** The worker registry (`saveWorker`, `removeWorker`, `listWorkers`) and per-minute metrics buckets. */
export function workersMetricsSuite(factory: DriverFactory): void {
  describe('worker registry', () => {
    let driver: Driver;
    beforeEach(async () => {
      driver = await factory.create();
    });
    afterEach(async () => {
      await factory.destroy(driver);
    });

    it('lists saved workers soonest to expire first, info byte-identical', async () => {
      const info = '{"host":"ünïcode-höst","pid":42,"note":"a \\"quoted\\" value","queues":["a","b"]}';
      await driver.saveWorker(worker('w-late', { expiresAt: T0 + 3 * MINUTE }));
      await driver.saveWorker(worker('w-soon', { info, expiresAt: T0 + MINUTE }));

      expect(await driver.listWorkers(T0)).toEqual([
        worker('w-soon', { info, expiresAt: T0 + MINUTE }),
        worker('w-late', { expiresAt: T0 + 3 * MINUTE }),
      ]);
    });

    it('replaces a worker saved again under the same id (a heartbeat)', async () => {
      await driver.saveWorker(worker('w-1'));
      const beat = worker('w-1', {
        info: '{"processed":5}',
        heartbeatAt: T0 + 5 * SECOND,
        expiresAt: T0 + 5 * SECOND + MINUTE,
      });
      await driver.saveWorker(beat);

      expect(await driver.listWorkers(T0 + 5 * SECOND)).toEqual([beat]);
    });

    it('hides and drops a worker once now reaches its expiresAt', async () => {
      await driver.saveWorker(worker('w-1', { expiresAt: T0 + MINUTE }));
      await driver.saveWorker(worker('w-2', { expiresAt: T0 + 2 * MINUTE }));

      expect(ids(await driver.listWorkers(T0 + MINUTE - 1))).toEqual(['w-1', 'w-2']);
      expect(ids(await driver.listWorkers(T0 + MINUTE))).toEqual(['w-2']);
      // dropped, not only hidden: an earlier `now` does not bring it back
      expect(ids(await driver.listWorkers(T0))).toEqual(['w-2']);
    });

    it('brings an expired worker back when it beats again', async () => {
      await driver.saveWorker(worker('w-1', { expiresAt: T0 + MINUTE }));
      expect(await driver.listWorkers(T0 + 2 * MINUTE)).toEqual([]);

      const beat = worker('w-1', { heartbeatAt: T0 + 2 * MINUTE, expiresAt: T0 + 3 * MINUTE });
      await driver.saveWorker(beat);

      expect(await driver.listWorkers(T0 + 2 * MINUTE)).toEqual([beat]);
    });

    it('removes a worker (clean shutdown); removing an unknown id is a no-op', async () => {
      await driver.saveWorker(worker('w-1'));
      await driver.saveWorker(worker('w-2'));

      await driver.removeWorker('w-1');
      await driver.removeWorker('never-saved');

      expect(ids(await driver.listWorkers(T0))).toEqual(['w-2']);
    });

    it('keeps ids with separators and unusual characters apart', async () => {
      const odd = ['host:1:abc', 'host:1', 'wörker {tag}', 'a*b?'];
      for (const [i, id] of odd.entries()) {
        await driver.saveWorker(worker(id, { expiresAt: T0 + (i + 1) * MINUTE }));
      }

      expect(ids(await driver.listWorkers(T0))).toEqual(odd);
      await driver.removeWorker('host:1');
      expect(ids(await driver.listWorkers(T0))).toEqual(['host:1:abc', 'wörker {tag}', 'a*b?']);
    });
  });

  describe('metrics buckets', () => {
    let driver: Driver;
    beforeEach(async () => {
      driver = await factory.create();
    });
    afterEach(async () => {
      await factory.destroy(driver);
    });

    it('adds increments into per-(queue, minute) buckets and reads a range oldest first', async () => {
      await driver.incrementMetrics(
        [
          { queue: 'emails', minute: T0 + MINUTE, fields: { completed: 1 } },
          { queue: 'emails', minute: T0, fields: { completed: 2, failed: 1 } },
          { queue: 'reports', minute: T0, fields: { completed: 7 } },
        ],
        HOUR,
      );
      await driver.incrementMetrics([{ queue: 'emails', minute: T0, fields: { completed: 3 } }], HOUR);

      expect(await driver.readMetrics('emails', T0 - 10 * MINUTE, T0 + 10 * MINUTE)).toEqual([
        { minute: T0, fields: { completed: 5, failed: 1 } },
        { minute: T0 + MINUTE, fields: { completed: 1 } },
      ]);
      expect(await driver.readMetrics('reports', T0, T0)).toEqual([{ minute: T0, fields: { completed: 7 } }]);
    });

    it('reads bounds inclusively and leaves out minutes with nothing', async () => {
      await driver.incrementMetrics(
        [0, 1, 3, 4].map((m) => ({ queue: 'q', minute: T0 + m * MINUTE, fields: { n: m + 1 } })),
        HOUR,
      );

      const minutes = async (from: number, to: number) =>
        (await driver.readMetrics('q', from, to)).map((b) => (b.minute - T0) / MINUTE);
      expect(await minutes(T0 + MINUTE, T0 + 3 * MINUTE)).toEqual([1, 3]);
      expect(await minutes(T0 + 2 * MINUTE, T0 + 2 * MINUTE)).toEqual([]);
      expect(await minutes(T0 + 4 * MINUTE, T0 + 9 * MINUTE)).toEqual([4]);
      expect(await driver.readMetrics('never-written', T0, T0 + HOUR)).toEqual([]);
    });

    it('adds fractions and negative numbers exactly enough for sums', async () => {
      await driver.incrementMetrics(
        [{ queue: 'q', minute: T0, fields: { runMs: 10.5, gauge: 4, ratio: 0.25 } }],
        HOUR,
      );
      await driver.incrementMetrics([{ queue: 'q', minute: T0, fields: { runMs: 0.25, gauge: -3 } }], HOUR);

      const [bucket] = await driver.readMetrics('q', T0, T0);
      expect(bucket!.fields.runMs).toBeCloseTo(10.75, 9);
      expect(bucket!.fields).toMatchObject({ gauge: 1, ratio: 0.25 });
    });

    it('keeps field names as given (core builds them from job names)', async () => {
      const fields = {
        'h.12': 2,
        'name:Send:Email:completed': 1,
        'name:Résumé {x}:h.3': 4,
        __proto__: 1,
        constructor: 2,
      };
      await driver.incrementMetrics([{ queue: 'q', minute: T0, fields: { ...fields } }], HOUR);
      // an own property named `__proto__` (as JSON.parse would make it)
      const proto = JSON.parse('{"__proto__": 5}') as Record<string, number>;
      await driver.incrementMetrics([{ queue: 'q', minute: T0, fields: proto }], HOUR);

      const [bucket] = await driver.readMetrics('q', T0, T0);
      expect(Object.getPrototypeOf(bucket!.fields)).toBe(Object.prototype);
      expect(bucket!.fields['name:Send:Email:completed']).toBe(1);
      expect(bucket!.fields['name:Résumé {x}:h.3']).toBe(4);
      expect(bucket!.fields['h.12']).toBe(2);
      expect(bucket!.fields.constructor).toBe(2);
      expect(Object.getOwnPropertyDescriptor(bucket!.fields, '__proto__')?.value).toBe(5);
    });

    it('loses no increment when many are sent at once', async () => {
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          driver.incrementMetrics(
            [
              { queue: 'q', minute: T0, fields: { completed: 1, runMs: 2 } },
              { queue: 'q', minute: T0 + MINUTE * (i % 2), fields: { submitted: 1 } },
            ],
            HOUR,
          ),
        ),
      );

      expect(await driver.readMetrics('q', T0, T0 + MINUTE)).toEqual([
        { minute: T0, fields: { completed: 50, runMs: 100, submitted: 25 } },
        { minute: T0 + MINUTE, fields: { submitted: 25 } },
      ]);
    });

    it('accepts an empty list of increments', async () => {
      await driver.incrementMetrics([], HOUR);
      expect(await driver.readMetrics('q', T0, T0 + HOUR)).toEqual([]);
    });

    it('lets a bucket expire after its ttl while newer buckets stay', async () => {
      await driver.incrementMetrics([{ queue: 'q', minute: T0, fields: { completed: 1 } }], 50);
      // Redis expires the first bucket 50 ms after the write; the memory driver once its time (here the later
      // bucket's minute) is 50 ms past the bucket's minute. Either way the old one goes, the new one stays.
      await driver.incrementMetrics([{ queue: 'q', minute: T0 + MINUTE, fields: { completed: 2 } }], HOUR);

      const deadline = Date.now() + PATIENCE_MS;
      let buckets = await driver.readMetrics('q', T0, T0 + MINUTE);
      while (buckets.length > 1 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        buckets = await driver.readMetrics('q', T0, T0 + MINUTE);
      }
      expect(buckets).toEqual([{ minute: T0 + MINUTE, fields: { completed: 2 } }]);
    });
  });
}
