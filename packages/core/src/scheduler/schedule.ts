import type { Job } from '../job.js';
import { Queue } from '../queue.js';
import type { ScheduledJob } from './scheduled-job.js';

/**
 * Laravel's `Schedule`, on the default `Queue` conveyor:
 * `Schedule.job(new DailyReport()).dailyAt('02:00').timezone('Europe/Paris')`. For another instance, use
 * `conveyor.schedule(job)`, which returns the same builder; manage stored schedules with `Queue.schedules`.
 */
export class Schedule {
  private constructor() {}

  /** Defines a recurring job in code; a scheduler saves it when it starts. */
  static job<J extends Job>(job: J): ScheduledJob<J> {
    return Queue.schedule(job);
  }
}
