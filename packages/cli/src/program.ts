import { Command, CommanderError, Option } from 'commander';
import { showBatch } from './commands/batch.js';
import { flushFailed, forgetFailed, listFailed, retryFailed } from './commands/failed.js';
import { listJobs, showJob } from './commands/jobs.js';
import { clearQueue, pauseQueue } from './commands/queue.js';
import { changeSchedule, listSchedules } from './commands/schedule.js';
import { stats } from './commands/stats.js';
import { type ProcessControl, processControl, work } from './commands/work.js';
import { health, listWorkers } from './commands/workers.js';
import { type CliContext, type GlobalOptions, openContext } from './context.js';
import { CliError, EXIT, oneLine } from './errors.js';
import { type Io, processIo } from './io.js';
import { durationMs, jobState, logFormat, queueList, since, wholeNumber } from './options.js';
import { signalWatch, type Watch } from './watch.js';

export const VERSION = '0.1.0';

/** What the CLI runs on; tests replace parts of it. */
export interface Runtime {
  io: Io;
  control: ProcessControl;
  watch: Watch;
  open(options: GlobalOptions, io: Io): Promise<CliContext>;
}

export const defaultRuntime: Runtime = {
  io: processIo,
  control: processControl,
  watch: signalWatch,
  open: openContext,
};

/** Every command line, for `conveyor --help`. */
const OVERVIEW = `
Every command:
  conveyor work [--queue high,default] [--concurrency n] [--max-jobs n] [--max-time 1h]
                [--stop-when-empty] [--no-scheduler] [--timeout 30s] [--lease 30s] [--log text|json]
  conveyor stats [--watch] [--interval 2s] [--since 1h] [--json]
  conveyor jobs list [--status s] [--queue q] [--name n] [--limit n] [--offset n] [--json]
  conveyor job <id> [--json]
  conveyor batch <id> [--watch] [--interval 500ms] [--json]
  conveyor workers [--json]
  conveyor health [--timeout 5s] [--json]
  conveyor failed list [--queue q] [--limit n] [--offset n] [--json]
  conveyor failed retry <id|all> [--queue q]
  conveyor failed forget <id>
  conveyor failed flush [--queue q]
  conveyor schedule list [--json]
  conveyor schedule pause|resume|delete <name>
  conveyor queue pause|resume|clear <name>

Every command takes --config <path> (default: conveyor.config.ts, .mjs or .js here), --redis <url>
(a RedisDriver instead of the config's driver; env CONVEYOR_REDIS_URL) and --prefix <prefix>.
`;

/**
 * Builds the `conveyor` command. Actions store their exit code in `exit.code`; errors are thrown (commander's
 * own as `CommanderError`, ours as `CliError`) and turned into one line by `run`.
 */
export function buildProgram(runtime: Runtime, exit: { code: number }): Command {
  const { io } = runtime;
  const program = new Command('conveyor')
    .description('Run Conveyor workers and look after queues, jobs, batches and schedules.')
    .version(VERSION, '-v, --version')
    .option('-c, --config <path>', 'config file (default: conveyor.config.ts, .mjs or .js in this directory)')
    .option('--redis <url>', 'use a RedisDriver at this URL instead of the config’s driver')
    .option('--prefix <prefix>', 'Redis key prefix (with --redis, or passed to a driver factory)')
    .addHelpText('after', OVERVIEW)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.out(text),
      writeErr: (text) => io.err(text),
      outputError: (text, write) =>
        write(`conveyor: ${text.replace(/^error: /, '').trim()} (see conveyor --help)\n`),
    });

  /** Opens the context for a command, runs it, closes it, records the exit code. */
  const run =
    <A extends unknown[]>(body: (ctx: CliContext, ...args: A) => Promise<number>) =>
    async (...args: A): Promise<void> => {
      const command = args[args.length - 1] as Command;
      const ctx = await runtime.open(command.optsWithGlobals() as GlobalOptions, io);
      try {
        exit.code = await body(ctx, ...args);
      } finally {
        await ctx.close();
      }
    };
  const commandOf = (args: unknown[]) => args[args.length - 1] as Command;
  const optionsOf = <T>(args: unknown[]) => commandOf(args).opts() as T;
  const json = () => new Option('--json', 'print JSON');

  program
    .command('work')
    .description('run a worker until SIGTERM/SIGINT (graceful), --max-jobs, --max-time or --stop-when-empty')
    .option(
      '-q, --queue <queues>',
      'queues in strict order, comma-separated (default: config queues)',
      queueList,
    )
    .option('--concurrency <n>', 'jobs run at once (default: config concurrency, else 1)', wholeNumber(1))
    .option('--max-jobs <n>', 'stop after this many attempts', wholeNumber(1))
    .option('--max-time <duration>', 'stop after this long, e.g. 1h', durationMs)
    .option('--stop-when-empty', 'stop once no job is ready in its queues')
    .option('--no-scheduler', 'do not run the schedules in this process')
    .option('--timeout <duration>', 'grace period for running jobs when stopping', durationMs, 30_000)
    .option('--lease <duration>', 'how long a taken job stays owned between heartbeats', durationMs)
    .addOption(new Option('--log <format>', 'log lines as text or json').default('text').argParser(logFormat))
    .action(
      run((ctx, ...args) => work(ctx, optionsOf<Parameters<typeof work>[1]>(args), io, runtime.control)),
    );

  program
    .command('stats')
    .description('counts per queue and state, workers, throughput, run-time percentiles, success rate')
    .option('-w, --watch', 'redraw until Ctrl-C')
    .option('--interval <duration>', 'time between redraws with --watch', durationMs, 2_000)
    .option(
      '--since <when>',
      'start of the figures: a duration ago (15m, 1h) or an ISO date (default 1h)',
      since(Date.now),
    )
    .addOption(json())
    .action(run((ctx, ...args) => stats(ctx, optionsOf(args), io, runtime.watch)));

  const jobs = program.command('jobs').description('list jobs');
  jobs
    .command('list')
    .description('jobs, newest first')
    .option(
      '--status <state>',
      'pending, delayed, processing, retrying, completed, failed or cancelled',
      jobState,
    )
    .option('--queue <queue>', 'only this queue')
    .option('--name <name>', 'only jobs of this name')
    .option('--limit <n>', 'at most this many', wholeNumber(1), 20)
    .option('--offset <n>', 'skip this many', wholeNumber(0), 0)
    .addOption(json())
    .action(run((ctx, ...args) => listJobs(ctx, optionsOf(args), io)));

  program
    .command('job')
    .description('one job: state, attempts, progress, error history')
    .argument('<id>', 'job id')
    .addOption(json())
    .action(run((ctx, id: string, ...args) => showJob(ctx, id, optionsOf(args), io)));

  program
    .command('batch')
    .description('a batch’s progress; with --watch, a live progress bar until it finishes')
    .argument('<id>', 'batch id')
    .option('-w, --watch', 'follow until every member settled')
    .option('--interval <duration>', 'time between reads with --watch', durationMs, 500)
    .addOption(json())
    .action(run((ctx, id: string, ...args) => showBatch(ctx, id, optionsOf(args), io, runtime.watch)));

  program
    .command('workers')
    .description('live workers from their heartbeats')
    .addOption(json())
    .action(run((ctx, ...args) => listWorkers(ctx, optionsOf(args), io)));

  program
    .command('health')
    .description('storage reachable, workers healthy, queue depths (exit 1 unless ok)')
    .option('--timeout <duration>', 'how long the storage may take to answer', durationMs, 5_000)
    .addOption(json())
    .action(run((ctx, ...args) => health(ctx, optionsOf(args), io)));

  const failed = program.command('failed').description('failed jobs (the dead-letter state)');
  failed
    .command('list')
    .description('failed jobs, newest first')
    .option('--queue <queue>', 'only this queue')
    .option('--limit <n>', 'at most this many', wholeNumber(1), 20)
    .option('--offset <n>', 'skip this many', wholeNumber(0), 0)
    .addOption(json())
    .action(run((ctx, ...args) => listFailed(ctx, optionsOf(args), io)));
  failed
    .command('retry')
    .description('put a failed job (or all) back with fresh attempts')
    .argument('<id|all>', 'a job id, or all')
    .option('--queue <queue>', 'with all: only this queue')
    .addOption(json())
    .action(run((ctx, target: string, ...args) => retryFailed(ctx, target, optionsOf(args), io)));
  failed
    .command('forget')
    .description('delete one failed job')
    .argument('<id>', 'job id')
    .addOption(json())
    .action(run((ctx, id: string, ...args) => forgetFailed(ctx, id, optionsOf(args), io)));
  failed
    .command('flush')
    .description('delete every failed job')
    .option('--queue <queue>', 'only this queue')
    .addOption(json())
    .action(run((ctx, ...args) => flushFailed(ctx, optionsOf(args), io)));

  const schedule = program.command('schedule').description('stored schedules');
  schedule
    .command('list')
    .description('schedules with their next and last runs')
    .addOption(json())
    .action(run((ctx, ...args) => listSchedules(ctx, optionsOf(args), io)));
  for (const action of ['pause', 'resume', 'delete'] as const) {
    schedule
      .command(action)
      .description(`${action} a schedule`)
      .argument('<name>', 'schedule name')
      .addOption(json())
      .action(run((ctx, name: string, ...args) => changeSchedule(ctx, action, name, optionsOf(args), io)));
  }

  const queue = program.command('queue').description('pause, resume or clear a queue for every worker');
  for (const action of ['pause', 'resume'] as const) {
    queue
      .command(action)
      .description(`${action} a queue for every worker (running jobs finish)`)
      .argument('<name>', 'queue name')
      .addOption(json())
      .action(
        run((ctx, name: string, ...args) => pauseQueue(ctx, name, action === 'pause', optionsOf(args), io)),
      );
  }
  queue
    .command('clear')
    .description('delete the waiting jobs of a queue (pending, delayed, retrying)')
    .argument('<name>', 'queue name')
    .addOption(json())
    .action(run((ctx, name: string, ...args) => clearQueue(ctx, name, optionsOf(args), io)));

  return program;
}

/**
 * Runs the CLI on `argv` (without `node` and the script) and resolves with the exit code; every error is one
 * line on stderr.
 */
export async function run(argv: string[], runtime: Runtime = defaultRuntime): Promise<number> {
  const exit = { code: EXIT.ok as number };
  const program = buildProgram(runtime, exit);
  if (argv.length === 0) {
    program.outputHelp({ error: true });
    return EXIT.usage;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exit.code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // help and version print and exit 0; a usage error was printed by outputError
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    runtime.io.err(`conveyor: ${oneLine(error)}\n`);
    return error instanceof CliError ? error.exitCode : EXIT.failure;
  }
}
