/**
 * Bad data: a job record corrupted by hand in Redis goes to `failed` with a parse error, its handler never
 * runs, and the worker goes on processing the other jobs (including jobs dispatched after the bad ones).
 * Runs an in-process Worker against the real Redis; the corruption is written with plain HSET on the job's
 * hash, exactly where the Redis driver keeps it (`<prefix>:{<queue>}:job:<id>`, see redis-driver/src/keys.ts).
 */
import { Conveyor, type JobRecord, Worker } from '@conveyor/core';
import { RedisDriver } from '@conveyor/redis-driver';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eJobs, RecordRun } from './fixtures/jobs.js';
import { RunRecorder, readRuns, useRecorder } from './fixtures/recorder.js';
import {
  adminClient,
  assertRedisAnswers,
  cleanupPrefix,
  dispatchMany,
  randomPrefix,
  redisUrl,
  waitUntil,
} from './support.js';

const PREFIX = randomPrefix('baddata');
const QUEUE = 'default';

describe('e2e bad data', () => {
  let admin: Redis;
  let conveyor: Conveyor;
  let worker: Worker | undefined;

  beforeAll(async () => {
    await assertRedisAnswers();
    admin = adminClient();
    await admin.connect();
    conveyor = new Conveyor({ driver: new RedisDriver({ url: redisUrl(), prefix: PREFIX }), jobs: e2eJobs });
    useRecorder(new RunRecorder(admin, PREFIX, 'in-process'));
  });

  afterAll(async () => {
    await worker?.close();
    await conveyor?.close();
    useRecorder(undefined);
    await cleanupPrefix(PREFIX);
    admin?.disconnect();
  });

  /** Overwrites one field of a stored job; fails if the field is not there (the layout changed). */
  async function corrupt(id: string, field: string, value: string): Promise<void> {
    const key = `${PREFIX}:{${QUEUE}}:job:${id}`;
    expect(await admin.hexists(key, field), `${key} has no field ${field}`).toBe(1);
    await admin.hset(key, field, value);
  }

  /**
   * Overwrites the options of a stored job: they are the end of its `meta` field, after createdAt, maxAttempts,
   * the name's length and the name (docs/redis-keys.md).
   */
  async function corruptOptions(id: string, value: string): Promise<void> {
    const key = `${PREFIX}:{${QUEUE}}:job:${id}`;
    const meta = await admin.hget(key, 'meta');
    expect(meta, `${key} has no field meta`).not.toBeNull();
    const [createdAt, maxAttempts, length] = meta!.split(',', 3) as [string, string, string];
    const nameAt = createdAt.length + maxAttempts.length + length.length + 3;
    await admin.hset(key, 'meta', meta!.slice(0, nameAt + Number(length)) + value);
    expect((await conveyor.driver.get(id))?.options).toBe(value);
  }

  const get = async (id: string): Promise<JobRecord> => {
    const record = await conveyor.driver.get(id);
    expect(record, `job ${id}`).not.toBeNull();
    return record!;
  };

  it('a job whose stored payload or options do not parse fails with a ParseError; the worker goes on', {
    timeout: 30_000,
  }, async () => {
    const before = await dispatchMany(conveyor, 10, (n) => new RecordRun(n));
    const [badPayload, badOptions] = (await dispatchMany(conveyor, 2, (n) => new RecordRun(100 + n))) as [
      string,
      string,
    ];
    const between = await dispatchMany(conveyor, 10, (n) => new RecordRun(200 + n));
    await corrupt(badPayload, 'payload', '{"json": this is not superjson');
    await corruptOptions(badOptions, '\u0000\u00ff not json {');

    const failures: string[] = [];
    const errors: string[] = [];
    worker = new Worker({ conveyor, jobs: e2eJobs, queues: [QUEUE], concurrency: 4 });
    worker.on('failed', (job) => failures.push(job.id));
    worker.on('error', (error) => errors.push(`${error.name}: ${error.message}`));
    const status = async () =>
      `${JSON.stringify(await conveyor.counts(QUEUE))}; last worker errors: ${JSON.stringify(errors.slice(-3))}`;
    await worker.start();

    const good = [...before, ...between];
    await waitUntil(
      async () => {
        const counts = await conveyor.counts(QUEUE);
        return counts.completed >= good.length && counts.failed >= 2;
      },
      {
        timeout: 15_000,
        what: 'the good jobs to complete and the bad ones to fail',
        describe: status,
      },
    );

    // The worker goes on: jobs dispatched after the failures run too.
    const after = await dispatchMany(conveyor, 10, (n) => new RecordRun(300 + n));
    await waitUntil(async () => (await conveyor.counts(QUEUE)).completed >= good.length + after.length, {
      timeout: 15_000,
      what: 'jobs dispatched after the bad ones to complete',
      describe: status,
    });

    const payloadRecord = await get(badPayload);
    const optionsRecord = await get(badOptions);
    for (const [record, what] of [
      [payloadRecord, /payload/i],
      [optionsRecord, /options/i],
    ] as const) {
      expect(record.state).toBe('failed');
      const last = record.errors.at(-1);
      expect(last?.name).toBe('ParseError');
      expect(last?.message).toMatch(what);
      expect(last?.message).toMatch(/does not parse|not valid|unexpected|parse/i);
    }
    for (const id of [...good, ...after]) expect((await get(id)).state).toBe('completed');

    // Neither bad job's handler ran; every good one ran once.
    const runs = await readRuns(admin, PREFIX);
    expect(runs.has(badPayload)).toBe(false);
    expect(runs.has(badOptions)).toBe(false);
    for (const id of [...good, ...after]) expect(runs.get(id)?.length, id).toBe(1);
    expect(failures.sort()).toEqual([badPayload, badOptions].sort());
    expect(errors).toEqual([]);
    console.log(
      `[e2e bad data] ${good.length + after.length} good jobs completed; ` +
        `corrupt payload -> ${payloadRecord.state} (${payloadRecord.errors.at(-1)?.message}); ` +
        `corrupt options -> ${optionsRecord.state} (${optionsRecord.errors.at(-1)?.message})`,
    );
  });
});
