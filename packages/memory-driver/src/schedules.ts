import type { ScheduleRecord } from '@conveyor/core/driver';

/** Persisted schedules by name, with exactly-once claiming of occurrences. */
export class ScheduleStore {
  private readonly schedules = new Map<string, ScheduleRecord>();

  /** Stores a schedule whole, but `lastRunAt` never goes back (a save racing a claim cannot undo it). */
  save(schedule: ScheduleRecord): void {
    const stored = this.schedules.get(schedule.name)?.lastRunAt ?? null;
    const lastRunAt =
      stored !== null && (schedule.lastRunAt === null || stored > schedule.lastRunAt)
        ? stored
        : schedule.lastRunAt;
    this.schedules.set(schedule.name, { ...schedule, lastRunAt });
  }

  list(): ScheduleRecord[] {
    return [...this.schedules.values()]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((schedule) => ({ ...schedule }));
  }

  remove(name: string): boolean {
    return this.schedules.delete(name);
  }

  /**
   * True for exactly one caller per (name, at): the schedule exists, is not paused, and `at` is later than
   * the last occurrence claimed. Records `lastRunAt = at` and `nextRunAt`.
   */
  claim(name: string, at: number, nextRunAt: number | null): boolean {
    const schedule = this.schedules.get(name);
    if (schedule === undefined || schedule.paused) return false;
    if (schedule.lastRunAt !== null && at <= schedule.lastRunAt) return false;
    schedule.lastRunAt = at;
    schedule.nextRunAt = nextRunAt;
    return true;
  }
}
