/**
 * One run of one scenario for one library, in a process of its own (so no run inherits another's heap, JIT
 * state or connections): `child.ts <scenario> <conveyor|bullmq> <run>`. Prints `RESULT <json>` as its last line.
 * The run's keys (its own prefix in the bench database) are deleted afterwards, whatever happened.
 */
import { adminClient, deletePrefix, runPrefix } from './lib/env.js';
import type { Lib, Scenario } from './lib/scenario.js';
import { scenarios } from './scenarios/index.js';

const [id, lib, runText] = process.argv.slice(2) as [string, Lib, string];
const scenario: Scenario | undefined = scenarios[id];
if (!scenario) throw new Error(`unknown scenario ${id}`);
const measure = lib === 'conveyor' ? scenario.conveyor : scenario.bullmq;
if (!measure) throw new Error(`scenario ${id} has no ${lib} side`);

const admin = adminClient();
const prefix = runPrefix(lib === 'conveyor' ? 'c' : 'b', id);
try {
  const figures = await measure.call(scenario, { prefix, admin, run: Number(runText ?? 0) });
  process.stdout.write(`RESULT ${JSON.stringify(figures)}\n`);
} finally {
  await deletePrefix(admin, prefix);
  admin.disconnect();
}
// Libraries may leave timers or sockets behind after close: the run is over.
process.exit(0);
