/** The cron expressions Chaos Mesh's Schedule accepts and rejects (robfig/cron v3, seconds optional, descriptors). */
import { describe, expect, it } from 'vitest'
import { parseCron } from './cron.js'

describe('parseCron accepts what Chaos Mesh accepts', () => {
  const accepted: [string, Record<string, unknown>][] = [
    ['*/5 * * * *', { second: [0], minute: [0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55] }],
    ['0 9 * * 1-5', { minute: [0], hour: [9], dayOfWeek: [1, 2, 3, 4, 5], dayOfMonthAny: true, dayOfWeekAny: false }],
    ['30 3 1,15 * *', { minute: [30], hour: [3], dayOfMonth: [1, 15] }],
    ['0 0 * jan,JUL sun', { month: [1, 7], dayOfWeek: [0] }],
    ['0 12 ? * mon-fri', { dayOfWeek: [1, 2, 3, 4, 5], dayOfMonthAny: true }],
    ['15 */20 * * * *', { second: [15], minute: [0, 20, 40] }],
    ['5/20 * * * *', { minute: [5, 25, 45] }],
    ['0 0-6/2 * * *', { hour: [0, 2, 4, 6] }],
    ['0  0   *  *  *', { minute: [0], hour: [0] }],
    ['@yearly', { second: [0], minute: [0], hour: [0], dayOfMonth: [1], month: [1] }],
    ['@annually', { dayOfMonth: [1], month: [1] }],
    ['@monthly', { dayOfMonth: [1], dayOfWeekAny: true }],
    ['@weekly', { dayOfWeek: [0], dayOfMonthAny: true }],
    ['@daily', { hour: [0], minute: [0] }],
    ['@midnight', { hour: [0], minute: [0] }],
    ['@hourly', { minute: [0], hour: Array.from({ length: 24 }, (_, i) => i) }],
    ['@every 5s', { kind: 'every', everyMs: 5000 }],
    ['@every 1h30m', { kind: 'every', everyMs: 5_400_000 }],
    ['@every 1.5s', { kind: 'every', everyMs: 1000 }],
    ['@every 100ms', { kind: 'every', everyMs: 1000 }],
    ['CRON_TZ=Asia/Shanghai 0 8 * * *', { hour: [8], timeZone: 'Asia/Shanghai' }],
    ['TZ=UTC @every 10m', { kind: 'every', everyMs: 600_000, timeZone: 'UTC' }],
    ['CRON_TZ=America/New_York @daily', { hour: [0], timeZone: 'America/New_York' }],
  ]
  for (const [text, expected] of accepted) {
    it(JSON.stringify(text), () => {
      const r = parseCron(text)
      expect(r.ok ? r.schedule : r.error).toMatchObject(expected)
    })
  }
})

describe('parseCron rejects what Chaos Mesh rejects, saying why', () => {
  const rejected: [string, string][] = [
    ['', 'the schedule is empty'],
    ['*/5 * * *', 'expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, found 4'],
    ['0 0 0 * * * *', 'expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, found 7'],
    ['60 * * * *', 'minute field: 60 is above the maximum 59 in "60"'],
    ['0 24 * * *', 'hour field: 24 is above the maximum 23 in "24"'],
    ['0 0 0 * *', 'day-of-month field: 0 is below the minimum 1 in "0"'],
    ['0 0 * 13 *', 'month field: 13 is above the maximum 12 in "13"'],
    ['0 0 * * 7', 'day-of-week field: 7 is above the maximum 6 in "7"'],
    ['0 0 * * mon-sun', 'day-of-week field: range "mon-sun" starts after it ends'],
    ['*/0 * * * *', 'minute field: the step in "*/0" must be a positive number'],
    ['1-2-3 * * * *', 'minute field: too many "-" in "1-2-3"'],
    ['*/2/2 * * * *', 'minute field: too many "/" in "*/2/2"'],
    ['x * * * *', 'minute field: "x" is not a number'],
    ['0 0 * foo *', 'month field: "foo" is not a number or a name'],
    ['-1 * * * *', 'minute field: "" is not a number'],
    ['@every', 'unknown descriptor "@every"'],
    ['@every 5', '"5" after @every is not a duration like "30s" or "1h30m"'],
    ['@every five seconds', '"five seconds" after @every is not a duration like "30s" or "1h30m"'],
    ['@fortnightly', 'unknown descriptor "@fortnightly"'],
    ['@daily ', 'unknown descriptor "@daily "'],
    ['CRON_TZ=Mars/Olympus 0 0 * * *', 'unknown time zone "Mars/Olympus"'],
    ['TZ=UTC', '"TZ=UTC" names a time zone but no schedule after it'],
  ]
  for (const [text, error] of rejected) {
    it(JSON.stringify(text), () => expect(parseCron(text)).toEqual({ ok: false, error }))
  }
})
