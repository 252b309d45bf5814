/** How each figure is measured: the end of docs/benchmarks/README.md. */
export const METHOD = `
Where the time goes, for each missed target, and what would close the gap: [notes.md](notes.md).

## How it is measured

- **Noise.** On a small shared machine (2 cores, other processes, a Redis others use too) absolute figures move by
  tens of percent between whole bench runs; ratios move less, because the two libraries' runs alternate. The
  load average at start and end is printed above. \`clientUsPerJob\` and \`redisUsPerJob\` (CPU per job, in
  latest.json) are steadier than throughput and show where the time goes.
- **Same server, alternating.** Both libraries use the same Redis server and the same database index
  (\`BENCH_REDIS_DB\`, default 13), each run under a fresh key prefix that is deleted after the run (the bench never
  flushes a database). Every run is a fresh Node process (\`bench/child.ts\`), so no run inherits another's heap, JIT
  state or connections; Conveyor and BullMQ runs alternate (C B, B C, C B). Each figure is the median of the runs.
- **Jobs.** Noop handlers; the payload is a ~100-byte object (\`bench/lib/payload.ts\`). Both libraries run with their
  defaults (BullMQ keeps completed jobs, Conveyor keeps them under its retention): nothing is tuned for the bench.
- **Dispatch, single**: 20,000 dispatches, 100 in flight (100 loops each awaiting one dispatch at a time).
  Conveyor \`await conveyor.dispatch(job)\`; BullMQ \`await queue.add(name, data)\`.
- **Bulk dispatch**: 10,000 jobs in one call, timed from building the call to its answer (median of 3 rounds after
  one warm-up round). Conveyor: one \`Batch\` of 10,000 jobs (batch record and members in one atomic script call);
  BullMQ: \`queue.addBulk\`.
- **Processing at concurrency 1 and 50**: the jobs (10,000 at concurrency 1, 30,000 at 50) are stored first; the time
  runs from starting one worker (in the measuring process) to the last job stored as completed (the handler count
  reaches N, then the library's own completed count, polled every 2 ms for that tail). \`clientUsPerJob\` and
  \`redisUsPerJob\` in latest.json are the CPU the worker process and the Redis server spent per job meanwhile (on a
  shared server the latter includes other clients). Both run with their defaults; one more concurrency-1 row runs
  Conveyor with the opt-in worker options \`settles: 'pipelined', prefetch: 4\` (a slot takes its next job when the
  handler ends, while the outcome is stored in the background, and the worker holds 4 jobs reserved ahead, so up to
  5 may run again after a crash; see docs/decisions.md) against the same BullMQ defaults. 4 is the smallest prefetch
  that cleared 1.5x BullMQ in every round of a sweep on this box (medians of 3 runs per round, 2 to 4 rounds per
  value; prefetch 1 / 2 / 4 / 8 / 16: 1.41-1.51x / 1.34-2.07x / 2.18-2.91x / 2.38-2.92x / 3.41-3.71x).
- **Latency**: a worker (concurrency 1) idles on an empty queue; 2,020 jobs are dispatched one at a time from another
  connection of the same process (the first 20 are warm-up), each carrying its dispatch time
  (\`performance.timeOrigin + performance.now()\`); the handler records start minus dispatch time. 5 ms pass after
  each start, so the worker is back in its blocking wait: this is the wake-up path of an idle worker. 2,000 samples
  per run (500 before), so p99 is a run's 20th slowest start and one stall of the box moves it less.
- **Batch with \`then\`**: a worker at concurrency 50 waits; the time runs from building a 10,000-job batch with a
  \`then\` callback job to the start of that callback (dispatch, every member processed and counted, the callback
  enqueued atomically by the last settle, then run). The target compares it with Conveyor's own processing figure
  at concurrency 50, which excludes dispatch; \`pushMs\` in latest.json is the dispatch part. BullMQ has no batch;
  its nearest equivalent, a FlowProducer parent with 10,000 children (the parent runs once all children completed),
  is timed the same way and shown for reference.
- **Memory driver**: 100,000 jobs stored in a \`MemoryDriver\` first, then one worker at concurrency 50; worker start
  to last completion. Conveyor only.
- **Worker RSS with 100,000 waiting**: 100,000 jobs are stored; then a separate worker process (concurrency 1) starts
  on that queue with a handler that never finishes, so it holds one job and leaves 99,999 waiting; 2 s after that
  job started, the VmRSS of the worker process is read from /proc. The worker is bundled with esbuild and run by plain
  \`node\` (no TypeScript loader in the process), as a deployed worker would be. A library that loaded the backlog
  into the worker would show it here. The baseline is a bare Node process started the same way.
`;
