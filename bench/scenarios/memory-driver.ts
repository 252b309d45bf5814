/**
 * Memory-driver processing throughput at concurrency 50 (Conveyor only): 100,000 jobs stored first (untimed),
 * then a worker runs them; the time runs from the worker's start to the last job completed.
 */
import { Conveyor } from '@conveyor/core';
import { MemoryDriver } from '@conveyor/memory-driver';
import { JOBS as JOB_CLASSES } from '../lib/conveyor-setup.js';
import type { Scenario } from '../lib/scenario.js';
import { conveyorProcessing } from './processing.js';

const JOBS = 100_000;

export const memoryDriver: Scenario = {
  id: 'memory-driver',
  async conveyor() {
    const conveyor = new Conveyor({ driver: new MemoryDriver(), jobs: JOB_CLASSES });
    const figures = await conveyorProcessing(conveyor, JOBS, 50);
    await conveyor.close();
    return figures;
  },
};
