#!/usr/bin/env node
/** The `conveyor` executable: runs the CLI on this process's arguments and exits with its code. */
import { run } from './program.js';

const code = await run(process.argv.slice(2));
process.exit(code);
