import type { Driver, ScheduleRecord } from '@conveyor/core/driver';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DriverFactory } from '../describe-driver.js';
import { MINUTE, T0 } from './fixtures.js';

function schedule(fields: Partial<ScheduleRecord> = {}): ScheduleRecord {
  return {
    name: 'daily-report',
    definition: '{"cron":"0 2 * * *", "timezone":"Europe/Paris","job":{"name":"DailyReport"}}',
    paused: false,
    nextRunAt: T0 + MINUTE,
    lastRunAt: null,
    ...fields,
  };
}

const byName = (records: ScheduleRecord[]) => [...records].sort((a, b) => a.name.localeCompare(b.name));

export function schedulesSuite(factory: DriverFactory): void {
  describe('schedules', () => {
    let driver: Driver;
    beforeEach(async () => {
      driver = await factory.create();
    });
    afterEach(async () => {
      await factory.destroy(driver);
    });

    it('saves, lists and removes schedules, definitions byte-identical', async () => {
      const daily = schedule();
      const hourly = schedule({
        name: 'hourly',
        definition: '{"cron": "0 * * * *"}',
        paused: true,
        nextRunAt: null,
      });
      await driver.saveSchedule(daily);
      await driver.saveSchedule(hourly);

      expect(byName(await driver.listSchedules())).toEqual([daily, hourly]);
      expect(await driver.removeSchedule('daily-report')).toBe(true);
      expect(await driver.removeSchedule('daily-report')).toBe(false);
      expect(await driver.listSchedules()).toEqual([hourly]);
    });

    it('replaces a schedule saved again under the same name', async () => {
      await driver.saveSchedule(schedule());
      const changed = schedule({ definition: '{"cron":"30 3 * * *"}', paused: true });

      await driver.saveSchedule(changed);

      expect(await driver.listSchedules()).toEqual([changed]);
    });

    it('never moves lastRunAt back: a save racing a claim cannot reopen a claimed occurrence', async () => {
      await driver.saveSchedule(schedule());
      expect(await driver.claimOccurrence('daily-report', T0 + MINUTE, T0 + 2 * MINUTE)).toBe(true);

      // A process that read the schedule before the claim saves it again (a deploy, a create()).
      await driver.saveSchedule(schedule({ definition: '{"cron":"0 2 * * *","v":2}', lastRunAt: null }));

      expect(await driver.claimOccurrence('daily-report', T0 + MINUTE, T0 + 2 * MINUTE)).toBe(false);
      const [saved] = await driver.listSchedules();
      expect(saved).toMatchObject({ definition: '{"cron":"0 2 * * *","v":2}', lastRunAt: T0 + MINUTE });

      await driver.saveSchedule(schedule({ lastRunAt: T0 + 5 * MINUTE }));
      expect((await driver.listSchedules())[0]?.lastRunAt).toBe(T0 + 5 * MINUTE);
    });

    it('claims an occurrence for exactly one caller and records it', async () => {
      await driver.saveSchedule(schedule());

      expect(await driver.claimOccurrence('daily-report', T0 + MINUTE, T0 + 2 * MINUTE)).toBe(true);
      expect(await driver.claimOccurrence('daily-report', T0 + MINUTE, T0 + 2 * MINUTE)).toBe(false);

      expect(await driver.listSchedules()).toEqual([
        schedule({ lastRunAt: T0 + MINUTE, nextRunAt: T0 + 2 * MINUTE }),
      ]);
    });

    it('gives each occurrence to exactly one of 50 concurrent claimers', async () => {
      await driver.saveSchedule(schedule());

      const claims = await Promise.all(
        Array.from({ length: 50 }, () =>
          driver.claimOccurrence('daily-report', T0 + MINUTE, T0 + 2 * MINUTE),
        ),
      );

      expect(claims.filter(Boolean)).toHaveLength(1);
    });

    it('claims only occurrences later than the last one claimed', async () => {
      await driver.saveSchedule(schedule());
      await driver.claimOccurrence('daily-report', T0 + 2 * MINUTE, T0 + 3 * MINUTE);

      expect(await driver.claimOccurrence('daily-report', T0 + MINUTE, T0 + 2 * MINUTE)).toBe(false);
      expect(await driver.claimOccurrence('daily-report', T0 + 3 * MINUTE, null)).toBe(true);
      expect(await driver.listSchedules()).toEqual([
        schedule({ lastRunAt: T0 + 3 * MINUTE, nextRunAt: null }),
      ]);
    });

    it('claims nothing for a paused schedule', async () => {
      await driver.saveSchedule(schedule({ paused: true }));

      expect(await driver.claimOccurrence('daily-report', T0 + MINUTE, T0 + 2 * MINUTE)).toBe(false);
      expect(await driver.listSchedules()).toEqual([schedule({ paused: true })]);
    });

    it('claims nothing for a schedule that does not exist', async () => {
      expect(await driver.claimOccurrence('no-such-schedule', T0, null)).toBe(false);
      expect(await driver.listSchedules()).toEqual([]);
    });

    it('keeps schedules apart: claiming one leaves the other claimable', async () => {
      await driver.saveSchedule(schedule());
      await driver.saveSchedule(schedule({ name: 'other' }));

      expect(await driver.claimOccurrence('daily-report', T0 + MINUTE, null)).toBe(true);
      expect(await driver.claimOccurrence('other', T0 + MINUTE, null)).toBe(true);
    });
  });
}
