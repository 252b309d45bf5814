import type { Driver, JobRecord } from '@conveyor/core/driver';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DriverFactory } from '../describe-driver.js';
import { completed, newJob, reserveOne, SECOND, settle, T0, uniqueJob } from './fixtures.js';

/** Strings a driver must carry untouched: it stores them, it never parses or re-encodes them. */
const OPAQUE_STRINGS = [
  '',
  '{"b": 1,  "a": [1.0, 2e3, -0]}',
  'not json at all {',
  'quotes " and \\ backslashes \\" and \\u0041',
  'line\nbreaks\r\nand\ttabs and \u2028 separators',
  'unicode: héllo wörld ✓ 日本語 🚀👩‍👩‍👧',
  `{"big":"${'x'.repeat(100_000)}"}`,
];

export function pushSuite(factory: DriverFactory): void {
  describe('push', () => {
    let driver: Driver;
    beforeEach(async () => {
      driver = await factory.create();
    });
    afterEach(async () => {
      await factory.destroy(driver);
    });

    it('has a short name for error messages', () => {
      expect(driver.name).toMatch(/^[a-z][a-z0-9-]*$/);
    });

    it('stores a job without delay as pending, with every driver-filled field set', async () => {
      const job = newJob({ name: 'SendEmail', queue: 'emails', priority: 3, maxAttempts: 5 });

      const result = await driver.push({ jobs: [job] }, T0);

      expect(result).toEqual({ jobs: [{ outcome: 'added', id: job.id }], chains: [] });
      expect(await driver.get(job.id)).toEqual<JobRecord>({
        id: job.id,
        name: 'SendEmail',
        queue: 'emails',
        payload: job.payload,
        options: job.options,
        state: 'pending',
        priority: 3,
        attempts: 0,
        maxAttempts: 5,
        createdAt: T0,
        availableAt: T0,
        startedAt: null,
        finishedAt: null,
        progress: null,
        result: null,
        errors: [],
        batchId: null,
        chainId: null,
        chainIndex: null,
        uniqueKey: null,
        workerId: null,
        leaseExpiresAt: null,
        cancelRequested: false,
      });
    });

    it('stores a job with delayMs as delayed until now + delayMs', async () => {
      const job = newJob({ delayMs: 5 * SECOND });

      await driver.push({ jobs: [job] }, T0);

      expect(await driver.get(job.id)).toMatchObject({
        state: 'delayed',
        createdAt: T0,
        availableAt: T0 + 5 * SECOND,
        attempts: 0,
      });
    });

    it('records the uniqueness key of a unique job', async () => {
      const job = uniqueJob('email:a@b.c', 'completed');
      await driver.push({ jobs: [job] }, T0);
      expect((await driver.get(job.id))?.uniqueKey).toBe('email:a@b.c');
    });

    it('returns one outcome per job, in input order, and stores each', async () => {
      const jobs = [newJob(), newJob({ queue: 'other' }), newJob({ delayMs: 1 })];

      const result = await driver.push({ jobs }, T0);

      expect(result.jobs).toEqual(jobs.map((job) => ({ outcome: 'added', id: job.id })));
      expect(result.chains).toEqual([]);
      const stored = await Promise.all(jobs.map((job) => driver.get(job.id)));
      expect(stored.map((record) => record?.state)).toEqual(['pending', 'pending', 'delayed']);
    });

    it('returns null for a job that was never pushed', async () => {
      expect(await driver.get('no-such-job')).toBeNull();
    });

    it.each(
      OPAQUE_STRINGS.map((value) => [
        value.length > 60 ? `${value.slice(0, 40)}… (${value.length})` : value,
        value,
      ]),
    )('returns payload and options byte-identical: %j', async (_label, value) => {
      const job = newJob({ payload: value, options: value });

      await driver.push({ jobs: [job] }, T0);
      const stored = await driver.get(job.id);
      const reserved = await reserveOne(driver, T0);

      expect(stored?.payload).toBe(value);
      expect(stored?.options).toBe(value);
      expect(reserved.payload).toBe(value);
      expect(reserved.options).toBe(value);
    });

    it('keeps payload and options byte-identical through every transition', async () => {
      const payload = '{"z":1, "a":"é\\n", "n":1.50}';
      const options = '{ "meta": {"tenant":"t-1"} }';
      const job = newJob({ payload, options });
      await driver.push({ jobs: [job] }, T0);

      const reserved = await reserveOne(driver, T0);
      await driver.setProgress({ jobId: job.id, token: reserved.token }, '{"pct": 50.0}', T0 + 1);
      await settle(driver, reserved, completed('{"messageId": "m-1" }'), T0 + 2);

      expect(await driver.get(job.id)).toMatchObject({
        payload,
        options,
        progress: '{"pct": 50.0}',
        result: '{"messageId": "m-1" }',
      });
    });

    it('returns records as snapshots: changing one changes nothing stored', async () => {
      const job = newJob();
      await driver.push({ jobs: [job] }, T0);
      job.payload = 'mutated after push';

      const first = await driver.get(job.id);
      if (!first) throw new Error('job missing');
      first.state = 'completed';
      first.errors.push({ name: 'Error', message: 'injected', attempt: 1, at: T0 });

      expect(await driver.get(job.id)).toMatchObject({
        state: 'pending',
        errors: [],
        payload: '{"to":"a@b.c","subject":"Hi"}',
      });
    });
  });
}
