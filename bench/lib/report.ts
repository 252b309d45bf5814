/** Turns the runs into figures (medians, ratios, targets) and writes docs/benchmarks/latest.json and README.md. */
import { writeFileSync } from 'node:fs';
import type { Figures, Lib } from './scenario.js';
import { median } from './stats.js';

/** Every run's figures, by scenario then library. */
export type Runs = Record<string, Partial<Record<Lib, Figures[]>>>;

export interface Row {
  figure: string;
  unit: string;
  conveyor: number | null;
  bullmq: number | null;
  /** How many times better Conveyor is (higher is better: conveyor / bullmq; lower is better: bullmq / conveyor). */
  ratio: number | null;
  target: string;
  pass: boolean | null;
  note?: string;
}

export interface Environment {
  date: string;
  machine: { cpu: string; cores: number; memoryGb: number; loadAverage: { start: number[]; end: number[] } };
  node: string;
  redis: string;
  /** The server's script cache and Lua memory at the start (absent in runs before it was recorded). */
  redisLua?: { cachedScripts: number; memoryMb: number };
  bullmq: string;
  conveyor: string;
  runsPerFigure: number;
  durationS: number;
}

const med = (runs: Runs, scenario: string, lib: Lib, key: string): number | null => {
  const list = runs[scenario]?.[lib];
  if (!list || list.length === 0) return null;
  return median(list.map((f) => f[key]!).filter((v) => typeof v === 'number'));
};

/** The table: one row per figure of the issue, with its target. */
export function rows(runs: Runs): Row[] {
  const out: Row[] = [];
  const higher = (figure: string, scenario: string, key: string, unit: string, min: number) => {
    const c = med(runs, scenario, 'conveyor', key);
    const b = med(runs, scenario, 'bullmq', key);
    const ratio = c !== null && b !== null ? c / b : null;
    out.push({
      figure,
      unit,
      conveyor: c,
      bullmq: b,
      ratio,
      target: `≥ ${min}x BullMQ`,
      pass: ratio === null ? null : ratio >= min,
    });
  };
  higher('Dispatch, single (100 in flight)', 'dispatch', 'jobsPerSecond', 'jobs/s', 1.5);
  higher('Bulk dispatch, 10,000 jobs (Batch vs addBulk)', 'bulk-dispatch', 'jobsPerSecond', 'jobs/s', 4);
  higher('Processing, concurrency 50', 'process-c50', 'jobsPerSecond', 'jobs/s', 1.5);
  higher('Processing, concurrency 1', 'process-c1', 'jobsPerSecond', 'jobs/s', 1.5);
  higher(
    "Processing, concurrency 1, Conveyor worker options `settles: 'pipelined', prefetch: 4` (opt-in; BullMQ as above)",
    'process-c1-pipelined',
    'jobsPerSecond',
    'jobs/s',
    1.5,
  );
  for (const key of ['p50', 'p99'] as const) {
    const c = med(runs, 'latency', 'conveyor', key);
    const b = med(runs, 'latency', 'bullmq', key);
    out.push({
      figure: `Dispatch-to-start latency ${key}, idle worker`,
      unit: 'ms',
      conveyor: c,
      bullmq: b,
      ratio: c !== null && b !== null ? b / c : null,
      target: key === 'p99' ? '≤ BullMQ' : '(none)',
      pass: key === 'p99' && c !== null && b !== null ? c <= b : null,
    });
  }
  const batch = med(runs, 'batch-then', 'conveyor', 'jobsPerSecond');
  const flow = med(runs, 'batch-then', 'bullmq', 'jobsPerSecond');
  const plain = med(runs, 'process-c50', 'conveyor', 'jobsPerSecond');
  const afterPush = med(runs, 'batch-then', 'conveyor', 'afterPushJobsPerSecond');
  out.push({
    figure: '10,000-job batch with `then`, end to end (BullMQ: FlowProducer parent + 10,000 children)',
    unit: 'jobs/s',
    conveyor: batch,
    bullmq: flow,
    ratio: batch !== null && flow !== null ? batch / flow : null,
    target: '≥ 0.8x Conveyor processing at concurrency 50',
    pass: batch !== null && plain !== null ? batch >= 0.8 * plain : null,
    note:
      batch !== null && plain !== null && afterPush !== null
        ? `end to end ${(batch / plain).toFixed(2)}x Conveyor's plain processing; after the push ` +
          `${Math.round(afterPush).toLocaleString('en-US')} jobs/s, ${(afterPush / plain).toFixed(2)}x`
        : undefined,
  });
  const memory = med(runs, 'memory-driver', 'conveyor', 'jobsPerSecond');
  out.push({
    figure: 'Memory driver, processing at concurrency 50',
    unit: 'jobs/s',
    conveyor: memory,
    bullmq: null,
    ratio: null,
    target: '≥ 100,000 jobs/s',
    pass: memory === null ? null : memory >= 100_000,
  });
  const rssC = med(runs, 'worker-rss', 'conveyor', 'rssMb');
  const rssB = med(runs, 'worker-rss', 'bullmq', 'rssMb');
  const baseline = med(runs, 'worker-rss', 'conveyor', 'baselineMb');
  out.push({
    figure: 'Worker RSS, 100,000 jobs waiting',
    unit: 'MB',
    conveyor: rssC,
    bullmq: rssB,
    ratio: rssC !== null && rssB !== null ? rssB / rssC : null,
    target: '< 150 MB',
    pass: rssC === null ? null : rssC < 150,
    note: baseline === null ? undefined : `bare Node process started the same way: ${baseline.toFixed(0)} MB`,
  });
  return out;
}

const fmt = (value: number | null, unit: string): string => {
  if (value === null || Number.isNaN(value)) return '–';
  if (unit === 'ms') return value.toFixed(2);
  if (unit === 'MB') return value.toFixed(0);
  return Math.round(value).toLocaleString('en-US');
};

export function markdown(env: Environment, table: Row[], method: string): string {
  const lines = [
    '# Benchmarks: Conveyor and BullMQ on the same Redis',
    '',
    `Written by \`pnpm bench\` on ${env.date}. Each figure is the median of ${env.runsPerFigure} runs; Conveyor and BullMQ`,
    'runs alternate, each run in a fresh process. Ratios are Conveyor relative to BullMQ (above 1: Conveyor is better).',
    '',
    '| | |',
    '| --- | --- |',
    `| Machine | ${env.machine.cpu}, ${env.machine.cores} cores, ${env.machine.memoryGb.toFixed(0)} GB |`,
    `| Load average (1 min) at start / end | ${env.machine.loadAverage.start[0]!.toFixed(2)} / ${env.machine.loadAverage.end[0]!.toFixed(2)} |`,
    `| Node | ${env.node} |`,
    `| Redis | ${env.redis} |`,
    ...(env.redisLua
      ? [
          `| Redis scripts cached / Lua memory at start | ${env.redisLua.cachedScripts} / ${env.redisLua.memoryMb.toFixed(1)} MB |`,
        ]
      : []),
    `| BullMQ | ${env.bullmq} |`,
    `| Conveyor | ${env.conveyor} |`,
    `| Bench time | ${Math.round(env.durationS)} s |`,
    '',
    '| Figure | Unit | Conveyor | BullMQ | Ratio | Target | Pass |',
    '| --- | --- | ---: | ---: | ---: | --- | :---: |',
  ];
  for (const row of table) {
    const ratio = row.ratio === null ? '–' : `${row.ratio.toFixed(2)}x`;
    const pass = row.pass === null ? '–' : row.pass ? 'pass' : '**FAIL**';
    const note = row.note ? ` (${row.note})` : '';
    lines.push(
      `| ${row.figure}${note} | ${row.unit} | ${fmt(row.conveyor, row.unit)} | ${fmt(row.bullmq, row.unit)} | ${ratio} | ${row.target} | ${pass} |`,
    );
  }
  lines.push('', method.trim(), '');
  return lines.join('\n');
}

export function writeReport(dir: URL, env: Environment, table: Row[], runs: Runs, method: string): void {
  writeFileSync(
    new URL('latest.json', dir),
    `${JSON.stringify({ ...env, figures: table, runs }, null, 2)}\n`,
  );
  writeFileSync(new URL('README.md', dir), markdown(env, table, method));
}
