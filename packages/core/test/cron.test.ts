import { describe, expect, it } from 'vitest';
import { ConfigurationError, Cron, Job, ScheduledJob } from '../src/index.js';

class DailyReport extends Job {
  constructor(public team = 'ops') {
    super();
  }
  handle() {}
}

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const at = (text: string) => Date.parse(text);

describe('Cron.next: occurrences strictly after a time', () => {
  it.each<[string, string, string, string[]]>([
    [
      '0 2 * * *',
      'UTC',
      '2026-01-01T00:00:00Z',
      ['2026-01-01T02:00:00Z', '2026-01-02T02:00:00Z', '2026-01-03T02:00:00Z'],
    ],
    [
      '*/15 * * * *',
      'UTC',
      '2026-01-01T00:07:00Z',
      ['2026-01-01T00:15:00Z', '2026-01-01T00:30:00Z', '2026-01-01T00:45:00Z'],
    ],
    // 2026-01-02 is a Friday: the next weekday mornings are Monday to Wednesday.
    [
      '0 9 * * 1-5',
      'UTC',
      '2026-01-02T10:00:00Z',
      ['2026-01-05T09:00:00Z', '2026-01-06T09:00:00Z', '2026-01-07T09:00:00Z'],
    ],
    [
      '0 0 L * *',
      'UTC',
      '2026-01-01T00:00:00Z',
      ['2026-01-31T00:00:00Z', '2026-02-28T00:00:00Z', '2026-03-31T00:00:00Z'],
    ],
    [
      '0 0 29 2 *',
      'UTC',
      '2026-01-01T00:00:00Z',
      ['2028-02-29T00:00:00Z', '2032-02-29T00:00:00Z', '2036-02-29T00:00:00Z'],
    ],
    [
      '0 0 1 */3 *',
      'UTC',
      '2026-01-15T00:00:00Z',
      ['2026-04-01T00:00:00Z', '2026-07-01T00:00:00Z', '2026-10-01T00:00:00Z'],
    ],
    // 6 fields: seconds first.
    [
      '*/10 * * * * *',
      'UTC',
      '2026-01-01T00:00:05Z',
      ['2026-01-01T00:00:10Z', '2026-01-01T00:00:20Z', '2026-01-01T00:00:30Z'],
    ],
    [
      '* * * * * *',
      'UTC',
      '2026-01-01T00:00:59Z',
      ['2026-01-01T00:01:00Z', '2026-01-01T00:01:01Z', '2026-01-01T00:01:02Z'],
    ],
    [
      '30 15 10 * * *',
      'UTC',
      '2026-01-01T12:00:00Z',
      ['2026-01-02T10:15:30Z', '2026-01-03T10:15:30Z', '2026-01-04T10:15:30Z'],
    ],
    // A timezone moves wall-clock times: 09:00 in Paris is 08:00 UTC in winter, 07:00 UTC in summer.
    [
      '0 9 * * *',
      'Europe/Paris',
      '2026-01-01T00:00:00Z',
      ['2026-01-01T08:00:00Z', '2026-01-02T08:00:00Z', '2026-01-03T08:00:00Z'],
    ],
    [
      '0 9 * * *',
      'Europe/Paris',
      '2026-07-01T00:00:00Z',
      ['2026-07-01T07:00:00Z', '2026-07-02T07:00:00Z', '2026-07-03T07:00:00Z'],
    ],
    // Europe/Paris springs forward on 2026-03-29 (02:00 CET -> 03:00 CEST): 02:00 does not exist that day and
    // runs at the first instant after the gap (03:00 CEST = 01:00 UTC).
    [
      '0 2 * * *',
      'Europe/Paris',
      '2026-03-28T00:00:00Z',
      ['2026-03-28T01:00:00Z', '2026-03-29T01:00:00Z', '2026-03-30T00:00:00Z'],
    ],
    [
      '30 2 * * *',
      'Europe/Paris',
      '2026-03-28T00:00:00Z',
      ['2026-03-28T01:30:00Z', '2026-03-29T01:30:00Z', '2026-03-30T00:30:00Z'],
    ],
    // Hourly keeps an hour of real time between runs through the gap.
    [
      '0 * * * *',
      'Europe/Paris',
      '2026-03-29T00:00:00Z',
      ['2026-03-29T01:00:00Z', '2026-03-29T02:00:00Z', '2026-03-29T03:00:00Z'],
    ],
    // Europe/Paris falls back on 2026-10-25 (03:00 CEST -> 02:00 CET): 02:30 happens twice and runs once, at
    // the first (00:30 UTC); the next day it is 01:30 UTC.
    [
      '30 2 * * *',
      'Europe/Paris',
      '2026-10-24T00:00:00Z',
      ['2026-10-24T00:30:00Z', '2026-10-25T00:30:00Z', '2026-10-26T01:30:00Z'],
    ],
    // Every 30 minutes keeps running through the repeated hour (real time between runs stays 30 minutes).
    [
      '*/30 * * * *',
      'Europe/Paris',
      '2026-10-25T00:00:00Z',
      ['2026-10-25T00:30:00Z', '2026-10-25T01:00:00Z', '2026-10-25T01:30:00Z'],
    ],
    // America/New_York springs forward on 2026-03-08 (02:00 EST -> 03:00 EDT) and falls back on 2026-11-01.
    [
      '0 2 * * *',
      'America/New_York',
      '2026-03-07T00:00:00Z',
      ['2026-03-07T07:00:00Z', '2026-03-08T07:00:00Z', '2026-03-09T06:00:00Z'],
    ],
    [
      '30 1 * * *',
      'America/New_York',
      '2026-10-31T00:00:00Z',
      ['2026-10-31T05:30:00Z', '2026-11-01T05:30:00Z', '2026-11-02T06:30:00Z'],
    ],
    [
      '0 9 * * *',
      'America/New_York',
      '2026-03-06T00:00:00Z',
      ['2026-03-06T14:00:00Z', '2026-03-07T14:00:00Z', '2026-03-08T13:00:00Z'],
    ],
  ])('%s in %s after %s', (expression, timezone, after, expected) => {
    expect(Cron.parse(expression, timezone).take(at(after), 3).map(iso)).toEqual(expected);
  });

  it('never returns the time it starts from', () => {
    const cron = Cron.parse('0 2 * * *');
    expect(iso(cron.next(at('2026-01-01T02:00:00Z'))!)).toBe('2026-01-02T02:00:00Z');
    expect(iso(cron.next(at('2026-01-01T01:59:59.999Z'))!)).toBe('2026-01-01T02:00:00Z');
  });

  it('normalizes the expression and the timezone', () => {
    expect(Cron.parse('  0   2 * *  * ', 'europe/paris')).toMatchObject({
      expression: '0 2 * * *',
      timezone: 'Europe/Paris',
    });
    expect(Cron.parse('@daily').expression).toBe('0 0 * * *');
    expect(Cron.parse('@secondly').hasSeconds).toBe(true);
    expect(Cron.parse('0 0 * * MON-FRI').next(at('2026-01-02T12:00:00Z'))).toBe(at('2026-01-05T00:00:00Z'));
  });

  it('defaults to UTC', () => {
    expect(Cron.parse('0 2 * * *').timezone).toBe('UTC');
  });
});

describe('bad expressions and timezones: ConfigurationError quoting the value', () => {
  it.each([
    ['61 * * * *', /"61 \* \* \* \*".*expected range 0-59/],
    ['0 25 * * *', /"0 25 \* \* \*"/],
    ['* * *', /"\* \* \*": it has 3 fields/],
    ['0 0 0 * * * *', /it has 7 fields/],
    ['', /"": it has 0 fields/],
    ['every day', /"every day"/],
    ['0 0 30 2 *', /"0 0 30 2 \*"/],
    ['@fortnightly', /Unknown cron alias "@fortnightly"/],
    ['*/0 * * * *', /"\*\/0 \* \* \* \*"/],
  ])('cron %j', (expression, message) => {
    expect(() => Cron.parse(expression)).toThrow(ConfigurationError);
    expect(() => Cron.parse(expression)).toThrow(message);
    expect(() => new ScheduledJob(new DailyReport()).cron(expression)).toThrow(ConfigurationError);
  });

  it('a cron expression that is not a string', () => {
    expect(() => Cron.parse(42)).toThrow(/Invalid cron expression 42/);
  });

  it.each(['Mars/Base', 'Europe/Pariss', '', '+02:00'])('timezone %j', (timezone) => {
    expect(() => Cron.parse('0 2 * * *', timezone)).toThrow(ConfigurationError);
    expect(() => Cron.parse('0 2 * * *', timezone)).toThrow(`Unknown timezone ${JSON.stringify(timezone)}`);
    expect(() => new ScheduledJob(new DailyReport()).timezone(timezone)).toThrow(
      `Unknown timezone ${JSON.stringify(timezone)}`,
    );
  });
});

describe('ScheduledJob helpers: the cron expression each one builds', () => {
  const schedule = () => new ScheduledJob(new DailyReport());
  it.each<[string, (s: ScheduledJob) => ScheduledJob, string]>([
    ['(nothing: every minute)', (s) => s, '* * * * *'],
    ['everySecond()', (s) => s.everySecond(), '* * * * * *'],
    ['everySeconds(1)', (s) => s.everySeconds(1), '* * * * * *'],
    ['everySeconds(5)', (s) => s.everySeconds(5), '*/5 * * * * *'],
    ['everySeconds(30)', (s) => s.everySeconds(30), '*/30 * * * * *'],
    ['everyMinute()', (s) => s.everyMinute(), '* * * * *'],
    ['everyTwoMinutes()', (s) => s.everyTwoMinutes(), '*/2 * * * *'],
    ['everyThreeMinutes()', (s) => s.everyThreeMinutes(), '*/3 * * * *'],
    ['everyFourMinutes()', (s) => s.everyFourMinutes(), '*/4 * * * *'],
    ['everyFiveMinutes()', (s) => s.everyFiveMinutes(), '*/5 * * * *'],
    ['everyTenMinutes()', (s) => s.everyTenMinutes(), '*/10 * * * *'],
    ['everyFifteenMinutes()', (s) => s.everyFifteenMinutes(), '*/15 * * * *'],
    ['everyThirtyMinutes()', (s) => s.everyThirtyMinutes(), '*/30 * * * *'],
    ['hourly()', (s) => s.hourly(), '0 * * * *'],
    ['hourlyAt(17)', (s) => s.hourlyAt(17), '17 * * * *'],
    ['everyTwoHours()', (s) => s.everyTwoHours(), '0 */2 * * *'],
    ['everyThreeHours(5)', (s) => s.everyThreeHours(5), '5 */3 * * *'],
    ['everyFourHours()', (s) => s.everyFourHours(), '0 */4 * * *'],
    ['everySixHours()', (s) => s.everySixHours(), '0 */6 * * *'],
    ['daily()', (s) => s.daily(), '0 0 * * *'],
    ["dailyAt('13:00')", (s) => s.dailyAt('13:00'), '0 13 * * *'],
    ["dailyAt('9:05')", (s) => s.dailyAt('9:05'), '5 9 * * *'],
    ["dailyAt('13:00:30')", (s) => s.dailyAt('13:00:30'), '30 0 13 * * *'],
    ['twiceDaily()', (s) => s.twiceDaily(), '0 1,13 * * *'],
    ['twiceDaily(8, 20)', (s) => s.twiceDaily(8, 20), '0 8,20 * * *'],
    ['twiceDailyAt(1, 13, 15)', (s) => s.twiceDailyAt(1, 13, 15), '15 1,13 * * *'],
    ['weekly()', (s) => s.weekly(), '0 0 * * 0'],
    ["weeklyOn(1, '8:00')", (s) => s.weeklyOn(1, '8:00'), '0 8 * * 1'],
    ["weeklyOn('friday', '17:30')", (s) => s.weeklyOn('friday', '17:30'), '30 17 * * 5'],
    ['weekdays()', (s) => s.weekdays(), '* * * * 1-5'],
    ['weekends()', (s) => s.weekends(), '* * * * 0,6'],
    ['mondays()', (s) => s.mondays(), '* * * * 1'],
    ['sundays()', (s) => s.sundays(), '* * * * 0'],
    ["days('mon', 'wed', 7)", (s) => s.days('mon', 'wed', 7), '* * * * 0,1,3'],
    ['monthly()', (s) => s.monthly(), '0 0 1 * *'],
    ["monthlyOn(4, '15:00')", (s) => s.monthlyOn(4, '15:00'), '0 15 4 * *'],
    ["twiceMonthly(1, 16, '13:00')", (s) => s.twiceMonthly(1, 16, '13:00'), '0 13 1,16 * *'],
    ["lastDayOfMonth('15:00')", (s) => s.lastDayOfMonth('15:00'), '0 15 L * *'],
    ['quarterly()', (s) => s.quarterly(), '0 0 1 1-12/3 *'],
    ['yearly()', (s) => s.yearly(), '0 0 1 1 *'],
    ["yearlyOn(6, 1, '17:00')", (s) => s.yearlyOn(6, 1, '17:00'), '0 17 1 6 *'],
    // Helpers compose, as in Laravel: each sets its own fields.
    ["weekdays().dailyAt('08:00')", (s) => s.weekdays().dailyAt('08:00'), '0 8 * * 1-5'],
    ['weekends().hourly()', (s) => s.weekends().hourly(), '0 * * * 0,6'],
    ['weekdays().everySecond()', (s) => s.weekdays().everySecond(), '* * * * * 1-5'],
    [
      'everySecond().hourly() (a minute helper sets seconds to 0)',
      (s) => s.everySecond().hourly(),
      '0 * * * *',
    ],
    ["cron('0 2 * * *').weekdays()", (s) => s.cron('0 2 * * *').weekdays(), '0 2 * * 1-5'],
    ["cron('@hourly')", (s) => s.cron('@hourly'), '0 * * * *'],
    ["cron('*/5 * * * * *')", (s) => s.cron('*/5 * * * * *'), '*/5 * * * * *'],
  ])('%s is %j', (_, build, expression) => {
    const built = build(schedule());
    expect(built.expression).toBe(expression);
    expect(Cron.parse(built.expression).expression).toBe(expression);
  });

  it.each<[string, (s: ScheduledJob) => unknown, RegExp]>([
    ["dailyAt('25:00')", (s) => s.dailyAt('25:00'), /Invalid time "25:00"/],
    ["dailyAt('1pm')", (s) => s.dailyAt('1pm'), /Invalid time "1pm"/],
    ['everySeconds(7)', (s) => s.everySeconds(7), /everySeconds\(\) interval 7.*divides 60/],
    ['everySeconds(0)', (s) => s.everySeconds(0), /everySeconds\(\) interval 0/],
    ['hourlyAt(60)', (s) => s.hourlyAt(60), /Invalid minute 60/],
    ["weeklyOn('funday')", (s) => s.weeklyOn('funday' as never), /Invalid day of week "funday"/],
    ['monthlyOn(32)', (s) => s.monthlyOn(32), /Invalid day of month 32/],
    ['yearlyOn(13)', (s) => s.yearlyOn(13), /Invalid month 13/],
    ['days()', (s) => s.days(), /at least one day/],
    ["name('')", (s) => s.name(''), /Invalid schedule name ""/],
    ["missed('always')", (s) => s.missed('always' as never), /Invalid missed policy "always"/],
    ["onQueue('bad queue')", (s) => s.onQueue('bad queue'), /Invalid queue name "bad queue"/],
    ['maxAttempts(0)', (s) => s.maxAttempts(0), /Invalid maxAttempts 0/],
    ["withoutOverlapping('soon')", (s) => s.withoutOverlapping('soon'), /"soon"/],
    ["startsAt('tomorrow')", (s) => s.startsAt('tomorrow'), /Invalid date "tomorrow"/],
    ["between('07:00', '22:00')", (s) => s.between('07:00', '22:00'), /Invalid date "07:00".*hour field/],
    [
      'between(end, start)',
      (s) => s.between(at('2026-02-01T00:00:00Z'), at('2026-01-01T00:00:00Z')),
      /window/,
    ],
  ])('%s is a ConfigurationError', (_, call, message) => {
    const s = schedule();
    expect(() => call(s)).toThrow(ConfigurationError);
    expect(() => call(s)).toThrow(message);
    expect(s.expression).toBe('* * * * *'); // a rejected call changes nothing
  });

  it('names a schedule after its job, cron and timezone unless named', () => {
    expect(schedule().dailyAt('02:00').timezone('Europe/Paris').scheduleName).toBe(
      'DailyReport 0 2 * * * Europe/Paris',
    );
    expect(schedule().daily().name('daily-report').scheduleName).toBe('daily-report');
  });

  it('schedules only jobs, and only payloads that can be stored', () => {
    expect(() => new ScheduledJob({ handle() {} } as never)).toThrow(TypeError);
    expect(() => new ScheduledJob(new DailyReport((() => {}) as never))).toThrow(/team is a function/);
  });
});
