/**
 * Reads what the e2e jobs recorded (see fixtures/recorder.ts) and the jobs' final records, and classifies
 * every job: ran once, ran twice, never ran, or ran more often than at-least-once delivery allows.
 */
import type { Conveyor, JobRecord } from '@conveyor/core';
import type { Redis } from 'ioredis';
import { type Run, readRuns, readSettled } from './fixtures/recorder.js';

export interface RunReport {
  jobs: number;
  /** Jobs whose final state is `completed`. */
  completed: number;
  /** Jobs not `completed`, with their state (at most 10 listed). */
  notCompleted: string[];
  ranOnce: number;
  ranTwice: number;
  /** Jobs with no recorded run. */
  neverRan: string[];
  /**
   * Jobs the killed worker started and never saw settled: the only jobs allowed a second run.
   * Empty when no worker was killed.
   */
  killedInFlight: Set<string>;
  /** Jobs that ran more than once although no killed worker had them in flight, or ran more than twice. */
  unexpectedRepeats: string[];
  /** Jobs whose error history shows a `StalledError` (their lease expired and they were recovered). */
  recoveredStalled: number;
  runs: Map<string, Run[]>;
}

/** Every record of `ids`, fetched 1,000 at a time. Missing records come back as null. */
export async function fetchRecords(conveyor: Conveyor, ids: string[]): Promise<(JobRecord | null)[]> {
  const records: (JobRecord | null)[] = [];
  for (let i = 0; i < ids.length; i += 1_000) {
    records.push(...(await Promise.all(ids.slice(i, i + 1_000).map((id) => conveyor.driver.get(id)))));
  }
  return records;
}

/**
 * Classifies the runs of `ids`. With `killed` (a worker name), a job may run twice only if that worker
 * started it and never saw its completion acknowledged; without, every repeat is listed as unexpected unless
 * `allowRepeats` is set (faults that drop every connection may legitimately re-deliver any job in flight).
 */
export async function analyseRuns(options: {
  conveyor: Conveyor;
  redis: Redis;
  prefix: string;
  ids: string[];
  killed?: string;
  allowRepeats?: boolean;
}): Promise<RunReport> {
  const { conveyor, redis, prefix, ids, killed } = options;
  const [records, runs, settled] = await Promise.all([
    fetchRecords(conveyor, ids),
    readRuns(redis, prefix),
    readSettled(redis, prefix),
  ]);

  const killedInFlight = new Set<string>();
  if (killed !== undefined) {
    const acknowledged = settled.get(killed) ?? new Set<string>();
    for (const [id, list] of runs) {
      if (list.some((run) => run.worker === killed) && !acknowledged.has(id)) killedInFlight.add(id);
    }
  }

  const report: RunReport = {
    jobs: ids.length,
    completed: 0,
    notCompleted: [],
    ranOnce: 0,
    ranTwice: 0,
    neverRan: [],
    killedInFlight,
    unexpectedRepeats: [],
    recoveredStalled: 0,
    runs,
  };
  ids.forEach((id, i) => {
    const record = records[i];
    if (record?.state === 'completed') report.completed++;
    else if (report.notCompleted.length < 10) {
      const last = record?.errors.at(-1);
      report.notCompleted.push(
        `${id}: ${record ? record.state : 'missing'}${last ? ` (${last.name}: ${last.message})` : ''}`,
      );
    }
    if (record?.errors.some((e) => e.name === 'StalledError')) report.recoveredStalled++;
    const list = runs.get(id) ?? [];
    if (list.length === 0) report.neverRan.push(id);
    else if (list.length === 1) report.ranOnce++;
    else {
      if (list.length === 2) report.ranTwice++;
      const allowed =
        options.allowRepeats || (list.length === 2 && killedInFlight.has(id) && firstRunWasOn(list, killed!));
      if (!allowed) {
        report.unexpectedRepeats.push(
          `${id}: ${list.map((r) => `attempt ${r.attempt} on ${r.worker}`).join(', ')}`,
        );
      }
    }
  });
  return report;
}

/** The earlier attempt of a repeated job ran on `worker` (the repeat is the recovery, not the other way round). */
function firstRunWasOn(list: Run[], worker: string): boolean {
  const first = list.reduce((a, b) => (b.attempt < a.attempt ? b : a));
  return first.worker === worker && list.filter((r) => r.attempt === first.attempt).length === 1;
}
