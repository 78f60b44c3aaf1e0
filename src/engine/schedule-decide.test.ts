/**
 * The Schedule's pure decisions as tables with literal timestamps: robfig/cron v3's Next (its own test cases,
 * DST in New York included), Chaos Mesh's getRecentUnmetScheduleTime (its utils_test.go cases, the deadline and
 * the > 100 runs error), Forbid, the history limit, MissSchedule, the spawned names and the event texts.
 */
import { describe, expect, it } from 'vitest'
import { parseCron } from '../manifest/cron.js'
import type { CronSchedule } from '../manifest/cron.js'
import { decideRun, historyToRemove, lastRunIn, missedBeyondDeadline, next, recentUnmet, rfc1123z, rfc3339, scheduleEvents, spawnedName } from './schedule-decide.js'
import type { ChildFacts, RunInput } from './schedule-decide.js'

const T = (iso: string) => Date.parse(iso)
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString())
const cron = (text: string): CronSchedule => {
  const r = parseCron(text)
  if (!r.ok) throw new Error(r.error)
  return r.schedule
}

describe('next: robfig/cron v3 SpecSchedule.Next and ConstantDelaySchedule.Next', () => {
  // from robfig/cron's spec_test.go TestNext (read in UTC)
  const utc: [from: string, spec: string, want: string | undefined][] = [
    ['2012-07-09T14:45:00Z', '0 0/15 * * * *', '2012-07-09T15:00:00.000Z'],
    ['2012-07-09T14:59:00Z', '0 0/15 * * * *', '2012-07-09T15:00:00.000Z'],
    ['2012-07-09T14:59:59Z', '0 0/15 * * * *', '2012-07-09T15:00:00.000Z'],
    ['2012-07-09T15:45:00Z', '0 20-35/15 * * * *', '2012-07-09T16:20:00.000Z'],
    ['2012-07-09T23:46:00Z', '0 */15 * * * *', '2012-07-10T00:00:00.000Z'],
    ['2012-07-09T23:45:00Z', '0 20-35/15 * * * *', '2012-07-10T00:20:00.000Z'],
    ['2012-07-09T23:35:51Z', '15/35 20-35/15 * * * *', '2012-07-10T00:20:15.000Z'],
    ['2012-07-09T23:35:51Z', '15/35 20-35/15 1/2 * * *', '2012-07-10T01:20:15.000Z'],
    ['2012-07-09T23:35:51Z', '15/35 20-35/15 10-12 * * *', '2012-07-10T10:20:15.000Z'],
    ['2012-07-09T23:35:51Z', '15/35 20-35/15 1/2 */2 * *', '2012-07-11T01:20:15.000Z'],
    ['2012-07-09T23:35:51Z', '15/35 20-35/15 * 9-20 * *', '2012-07-10T00:20:15.000Z'],
    ['2012-07-09T23:35:51Z', '15/35 20-35/15 * 9-20 Jul *', '2012-07-10T00:20:15.000Z'],
    ['2012-07-09T23:35:00Z', '0 0 0 9 Apr-Oct ?', '2012-08-09T00:00:00.000Z'],
    ['2012-07-09T23:35:00Z', '0 0 0 */5 Apr,Aug,Oct Mon', '2012-08-01T00:00:00.000Z'],
    ['2012-07-09T23:35:00Z', '0 0 0 */5 Oct Mon', '2012-10-01T00:00:00.000Z'],
    ['2012-07-09T23:35:00Z', '0 0 0 * Feb Mon', '2013-02-04T00:00:00.000Z'],
    ['2012-07-09T23:35:00Z', '0 0 0 * Feb Mon/2', '2013-02-01T00:00:00.000Z'],
    ['2012-12-31T23:59:45Z', '0 * * * * *', '2013-01-01T00:00:00.000Z'],
    ['2012-07-09T23:35:00Z', '0 0 0 29 Feb ?', '2016-02-29T00:00:00.000Z'],
    // five fields: seconds are 0
    ['2021-04-28T05:59:38Z', '*/5 * * * *', '2021-04-28T06:00:00.000Z'],
    ['2021-04-28T06:00:00Z', '*/5 * * * *', '2021-04-28T06:05:00.000Z'],
    ['2021-04-28T06:00:00.999Z', '@hourly', '2021-04-28T07:00:00.000Z'],
    ['2021-04-28T06:00:00Z', '@daily', '2021-04-29T00:00:00.000Z'],
    ['2021-04-28T06:00:00Z', '@weekly', '2021-05-02T00:00:00.000Z'],
    ['2021-04-28T06:00:00Z', '@monthly', '2021-05-01T00:00:00.000Z'],
    ['2021-04-28T06:00:00Z', '@yearly', '2022-01-01T00:00:00.000Z'],
    ['2021-04-28T06:00:00Z', '0 9 * * 1-5', '2021-04-28T09:00:00.000Z'],
    ['2021-04-30T09:00:00Z', '0 9 * * 1-5', '2021-05-03T09:00:00.000Z'],
    // never: February 30th
    ['2021-04-28T06:00:00Z', '0 0 30 2 *', undefined],
    // @every: whole seconds of `after`, plus the interval
    ['2021-04-28T05:59:38.000Z', '@every 5s', '2021-04-28T05:59:43.000Z'],
    ['2021-04-28T05:59:38.999Z', '@every 5s', '2021-04-28T05:59:43.000Z'],
    ['2021-04-28T05:59:38.400Z', '@every 1m', '2021-04-28T06:00:38.000Z'],
    ['2021-04-28T05:59:38.400Z', '@every 100ms', '2021-04-28T05:59:39.000Z'],
  ]
  it.each(utc)('from %s, %s → %s', (from, spec, want) => {
    expect(iso(next(cron(spec), T(from), 'UTC'))).toBe(want)
  })

  // robfig/cron's DST cases: New York, spring forward on 2012-03-11 (02:00 EST → 03:00 EDT), fall back on 2012-11-04
  const dst: [from: string, spec: string, want: string][] = [
    ['2012-03-11T00:00:00-05:00', '0 30 2 11 Mar ?', '2013-03-11T02:30:00-04:00'],
    ['2012-03-11T00:00:00-05:00', '0 0 * * * ?', '2012-03-11T01:00:00-05:00'],
    ['2012-03-11T01:00:00-05:00', '0 0 * * * ?', '2012-03-11T03:00:00-04:00'],
    ['2012-03-11T03:00:00-04:00', '0 0 * * * ?', '2012-03-11T04:00:00-04:00'],
    ['2012-03-11T00:00:00-05:00', '0 0 1 * * ?', '2012-03-11T01:00:00-05:00'],
    ['2012-03-11T01:00:00-05:00', '0 0 1 * * ?', '2012-03-12T01:00:00-04:00'],
    ['2012-03-11T00:00:00-05:00', '0 0 2 * * ?', '2012-03-12T02:00:00-04:00'],
    ['2012-11-04T00:00:00-04:00', '0 30 2 04 Nov ?', '2012-11-04T02:30:00-05:00'],
    ['2012-11-04T00:00:00-04:00', '0 0 * * * ?', '2012-11-04T01:00:00-04:00'],
    ['2012-11-04T01:00:00-04:00', '0 0 * * * ?', '2012-11-04T01:00:00-05:00'],
    ['2012-11-04T01:00:00-05:00', '0 0 * * * ?', '2012-11-04T02:00:00-05:00'],
    ['2012-11-04T00:00:00-04:00', '0 0 1 * * ?', '2012-11-04T01:00:00-04:00'],
    ['2012-11-04T01:00:00-04:00', '0 0 1 * * ?', '2012-11-04T01:00:00-05:00'],
    ['2012-11-04T01:00:00-05:00', '0 0 1 * * ?', '2012-11-05T01:00:00-05:00'],
  ]
  it.each(dst)('TZ=America/New_York, from %s, %s → %s', (from, spec, want) => {
    expect(iso(next(cron(`TZ=America/New_York ${spec}`), T(from), 'UTC'))).toBe(iso(T(want)))
    // the same fields without the prefix read in the local zone given
    expect(iso(next(cron(spec), T(from), 'America/New_York'))).toBe(iso(T(want)))
  })

  it('CRON_TZ names the zone whatever the local one', () => {
    expect(iso(next(cron('CRON_TZ=Asia/Shanghai 0 8 * * *'), T('2021-04-28T00:30:00Z'), 'America/New_York'))).toBe('2021-04-29T00:00:00.000Z')
    expect(iso(next(cron('CRON_TZ=Asia/Shanghai 0 8 * * *'), T('2021-04-27T23:30:00Z'), 'UTC'))).toBe('2021-04-28T00:00:00.000Z')
  })
})

describe('recentUnmet: Chaos Mesh getRecentUnmetScheduleTime', () => {
  const zero = undefined
  // controllers/schedule/cron/utils_test.go, then the deadline and the limit
  const table: [name: string, now: string, last: string | undefined, created: string, schedule: string, deadline: number | undefined, want: Record<string, string | undefined>][] = [
    ['a run due since the last', '2021-04-28T05:59:43.5Z', '2021-04-28T05:59:38.0Z', '2021-01-01T00:00:00Z', '@every 5s', undefined, { missedRun: '2021-04-28T05:59:43.000Z', nextRun: '2021-04-28T05:59:48.000Z' }],
    ['just ran', '2021-04-28T06:49:35.079Z', '2021-04-28T06:49:35.000Z', '2021-01-01T00:00:00Z', '@every 5s', undefined, { nextRun: '2021-04-28T06:49:40.000Z' }],
    ['never ran, just created', '2021-04-28T06:49:35.079Z', zero, '2021-04-28T06:49:35.000Z', '@every 5s', undefined, { nextRun: '2021-04-28T06:49:40.000Z' }],
    ['never ran, first run not due', '2021-04-28T06:49:38.079Z', zero, '2021-04-28T06:49:35.000Z', '@every 5s', undefined, { nextRun: '2021-04-28T06:49:40.000Z' }],
    ['never ran, first run due', '2021-04-28T06:49:40.079Z', zero, '2021-04-28T06:49:35.000Z', '@every 5s', undefined, { missedRun: '2021-04-28T06:49:40.000Z', nextRun: '2021-04-28T06:49:45.000Z' }],
    ['several missed: only the most recent', '2021-04-28T06:00:12Z', '2021-04-28T06:00:00Z', '2021-01-01T00:00:00Z', '@every 5s', undefined, { missedRun: '2021-04-28T06:00:10.000Z', nextRun: '2021-04-28T06:00:15.000Z' }],
    // the window starts at now − deadline, and @every counts from the window's start
    ['the deadline moves the window up: no @every run in its 3 s', '2021-04-28T06:10:00.5Z', '2021-04-28T06:00:00Z', '2021-01-01T00:00:00Z', '@every 5s', 3, { nextRun: '2021-04-28T06:10:02.000Z' }],
    ['the deadline moves the window up: an @every run in its 10 s', '2021-04-28T06:10:00.5Z', '2021-04-28T06:00:00Z', '2021-01-01T00:00:00Z', '@every 5s', 10, { missedRun: '2021-04-28T06:10:00.000Z', nextRun: '2021-04-28T06:10:05.000Z' }],
    ['cron fields: the 07:00 run is within 10 min', '2021-04-28T07:05:00Z', '2021-04-28T05:00:00Z', '2021-01-01T00:00:00Z', '0 * * * *', 600, { missedRun: '2021-04-28T07:00:00.000Z', nextRun: '2021-04-28T08:00:00.000Z' }],
    ['cron fields: no run within 10 min', '2021-04-28T07:30:00Z', '2021-04-28T05:00:00Z', '2021-01-01T00:00:00Z', '0 * * * *', 600, { nextRun: '2021-04-28T08:00:00.000Z' }],
    ['a deadline longer than the gap changes nothing', '2021-04-28T06:00:12Z', '2021-04-28T06:00:00Z', '2021-01-01T00:00:00Z', '@every 5s', 3600, { missedRun: '2021-04-28T06:00:10.000Z', nextRun: '2021-04-28T06:00:15.000Z' }],
    ['cron fields', '2021-04-28T07:30:00Z', '2021-04-28T05:00:00Z', '2021-01-01T00:00:00Z', '0 * * * *', undefined, { missedRun: '2021-04-28T07:00:00.000Z', nextRun: '2021-04-28T08:00:00.000Z' }],
    ['100 missed runs is still fine', '2021-04-28T06:08:20Z', '2021-04-28T06:00:00Z', '2021-01-01T00:00:00Z', '@every 5s', undefined, { missedRun: '2021-04-28T06:08:20.000Z', nextRun: '2021-04-28T06:08:25.000Z' }],
    ['101 are too many', '2021-04-28T06:08:25Z', '2021-04-28T06:00:00Z', '2021-01-01T00:00:00Z', '@every 5s', undefined, { error: 'too many missed start time (> 100). Set or decrease .spec.startingDeadlineSeconds or check clock skew' }],
    ['a deadline keeps a long gap under the limit', '2021-04-29T06:00:00.2Z', '2021-04-28T06:00:00Z', '2021-01-01T00:00:00Z', '@every 5s', 60, { missedRun: '2021-04-29T06:00:00.000Z', nextRun: '2021-04-29T06:00:05.000Z' }],
    ['clock skew: last run after now', '2021-04-28T06:00:00Z', '2021-04-28T06:00:10Z', '2021-01-01T00:00:00Z', '@every 5s', undefined, { error: 'earliestTime is later than now: earliestTime: 2021-04-28 06:00:10 +0000 UTC, now: 2021-04-28 06:00:00 +0000 UTC', retryAfterMs: '10000' }],
    ['unparseable', '2021-04-28T06:00:00Z', undefined, '2021-01-01T00:00:00Z', '* * *', undefined, { error: 'unparseable schedule: * * * : expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, found 3' }],
    ['a schedule that never fires', '2021-04-28T06:00:00Z', undefined, '2021-01-01T00:00:00Z', '0 0 30 2 *', undefined, {}],
  ]
  it.each(table)('%s', (_name, now, last, created, schedule, deadline, want) => {
    const u = recentUnmet({ schedule, creationTimestamp: T(created), ...(last ? { lastScheduleTime: T(last) } : {}), ...(deadline !== undefined ? { startingDeadlineSeconds: deadline } : {}) }, T(now), 'UTC')
    const got = 'error' in u ? { error: u.error, ...(u.retryAfterMs !== undefined ? { retryAfterMs: String(u.retryAfterMs) } : {}) } : { ...(u.missedRun !== undefined ? { missedRun: iso(u.missedRun) } : {}), ...(u.nextRun !== undefined ? { nextRun: iso(u.nextRun) } : {}) }
    expect(got).toEqual(want)
  })
})

describe('runs missed beyond the deadline (MissSchedule)', () => {
  const table: [name: string, now: string, last: string, lastMissed: string | undefined, schedule: string, deadline: number | undefined, want: string | undefined][] = [
    ['down 30 s, deadline 3 s: the latest run older than 3 s', '2021-04-28T06:00:30.5Z', '2021-04-28T06:00:00Z', undefined, '@every 5s', 3, '2021-04-28T06:00:25.000Z'],
    ['already reported', '2021-04-28T06:00:30.5Z', '2021-04-28T06:00:00Z', '2021-04-28T06:00:25Z', '@every 5s', 3, undefined],
    ['a later one after a report', '2021-04-28T06:00:35.5Z', '2021-04-28T06:00:00Z', '2021-04-28T06:00:25Z', '@every 5s', 3, '2021-04-28T06:00:30.000Z'],
    ['nothing older than the deadline since the last run', '2021-04-28T06:00:07Z', '2021-04-28T06:00:00Z', undefined, '@every 5s', 3, undefined],
    ['no deadline: never', '2021-04-28T07:00:00Z', '2021-04-28T06:00:00Z', undefined, '@every 5s', undefined, undefined],
    ['a day down, every second: found in the last minute', '2021-04-29T06:00:00Z', '2021-04-28T06:00:00Z', undefined, '* * * * * *', 10, '2021-04-29T05:59:50.000Z'],
    ['a day down, daily at 05:00', '2021-04-29T06:00:00Z', '2021-04-28T05:00:00Z', undefined, '0 5 * * *', 600, '2021-04-29T05:00:00.000Z'],
    ['a day down, daily at 05:55, deadline 10 min: within it, not missed', '2021-04-29T06:00:00Z', '2021-04-28T05:55:00Z', undefined, '55 5 * * *', 600, undefined],
  ]
  it.each(table)('%s', (_name, now, last, lastMissed, schedule, deadline, want) => {
    const got = missedBeyondDeadline({ schedule, creationTimestamp: 0, lastScheduleTime: T(last), ...(lastMissed ? { lastMissedRun: T(lastMissed) } : {}), ...(deadline !== undefined ? { startingDeadlineSeconds: deadline } : {}) }, T(now), 'UTC')
    expect(iso(got)).toBe(want)
  })

  it('lastRunIn: (after, until], every and fields', () => {
    expect(iso(lastRunIn(cron('@every 5s'), T('2021-04-28T06:00:00Z'), T('2021-04-28T06:00:05Z'), 'UTC'))).toBe('2021-04-28T06:00:05.000Z')
    expect(lastRunIn(cron('@every 5s'), T('2021-04-28T06:00:00Z'), T('2021-04-28T06:00:04.9Z'), 'UTC')).toBeUndefined()
    expect(iso(lastRunIn(cron('0 0 1 1 *'), T('2019-06-01T00:00:00Z'), T('2021-04-28T06:00:00Z'), 'UTC'))).toBe('2021-01-01T00:00:00.000Z')
    expect(lastRunIn(cron('0 0 1 1 *'), T('2021-02-01T00:00:00Z'), T('2021-04-28T06:00:00Z'), 'UTC')).toBeUndefined()
  })
})

describe('decideRun', () => {
  const base: RunInput = { schedule: '@every 2s', creationTimestamp: T('2024-05-01T10:00:00Z'), lastScheduleTime: T('2024-05-01T10:00:02Z'), paused: false, children: [] }
  const child = (name: string, finished: boolean, deleting = false): ChildFacts => ({ name, createdAt: '2024-05-01T10:00:02.100Z', finished, deleting })
  const table: [name: string, input: Partial<RunInput>, now: string, want: Record<string, unknown>][] = [
    ['paused: nothing, even with a run due', { paused: true }, '2024-05-01T10:00:09Z', { action: 'paused' }],
    ['no run due: wait for the next', {}, '2024-05-01T10:00:03Z', { action: 'wait', nextRun: '2024-05-01T10:00:04.000Z' }],
    ['due, no children: spawn', {}, '2024-05-01T10:00:04.2Z', { action: 'spawn', run: '2024-05-01T10:00:04.000Z', nextRun: '2024-05-01T10:00:06.000Z' }],
    ['due, a child still running, Forbid (the default): forbid, naming it', { children: [child('s-old', true), child('s-run', false)] }, '2024-05-01T10:00:04.2Z', { action: 'forbid', run: '2024-05-01T10:00:04.000Z', running: 's-run', nextRun: '2024-05-01T10:00:06.000Z' }],
    ["'' is Forbid too", { concurrencyPolicy: '', children: [child('s-run', false)] }, '2024-05-01T10:00:04.2Z', { action: 'forbid', running: 's-run' }],
    ['a child being deleted that has not finished forbids as well', { children: [child('s-going', false, true)] }, '2024-05-01T10:00:04.2Z', { action: 'forbid', running: 's-going' }],
    ['due, every child finished: spawn', { children: [child('s-a', true), child('s-b', true)] }, '2024-05-01T10:00:04.2Z', { action: 'spawn' }],
    ['Allow: spawn beside a running child', { concurrencyPolicy: 'Allow', children: [child('s-run', false)] }, '2024-05-01T10:00:04.2Z', { action: 'spawn', run: '2024-05-01T10:00:04.000Z' }],
    ['restart after 20 s with a 3 s deadline: spawn once, report the latest run beyond it', { startingDeadlineSeconds: 3 }, '2024-05-01T10:00:22.5Z', { action: 'spawn', run: '2024-05-01T10:00:21.000Z', nextRun: '2024-05-01T10:00:23.000Z', missed: '2024-05-01T10:00:18.000Z' }],
    ['restart after 20 s with no deadline: spawn the latest, no report', {}, '2024-05-01T10:00:22.5Z', { action: 'spawn', run: '2024-05-01T10:00:22.000Z', missed: undefined }],
    ['forbidden and the deadline passed: report it', { startingDeadlineSeconds: 3, children: [child('s-run', false)] }, '2024-05-01T10:00:08.5Z', { action: 'forbid', run: '2024-05-01T10:00:07.000Z', missed: '2024-05-01T10:00:04.000Z' }],
    ['too many missed', { lastScheduleTime: T('2024-05-01T09:00:00Z') }, '2024-05-01T10:00:00Z', { action: 'error', error: expect.stringContaining('too many missed start time (> 100)') }],
  ]
  it.each(table)('%s', (_name, over, now, want) => {
    const d = decideRun({ ...base, ...over }, T(now), 'UTC') as Record<string, unknown>
    const shown = Object.fromEntries(Object.entries(d).map(([k, v]) => [k, typeof v === 'number' && k !== 'retryAfterMs' ? iso(v) : v]))
    expect(shown).toMatchObject(Object.fromEntries(Object.entries(want).filter(([, v]) => v !== undefined)))
    for (const [k, v] of Object.entries(want)) if (v === undefined) expect(shown).not.toHaveProperty(k)
  })
})

describe('historyToRemove: Chaos Mesh schedule gc', () => {
  const c = (name: string, createdAt: string, finished: boolean, deleting = false): ChildFacts => ({ name, createdAt, finished, deleting })
  const kids = [c('s-3', '2024-05-01T10:00:03Z', true), c('s-1', '2024-05-01T10:00:01Z', true), c('s-2', '2024-05-01T10:00:02Z', false), c('s-4', '2024-05-01T10:00:04Z', false)]
  const table: [name: string, children: ChildFacts[], limit: number | undefined, want: string[]][] = [
    ['within the limit', kids, 4, []],
    ['one over: the oldest, finished', kids, 3, ['s-1']],
    ['two over: the oldest two, but s-2 runs: kept until it finishes', kids, 2, ['s-1']],
    ['three over', kids, 1, ['s-1', 's-3']],
    ['no limit: every finished child', kids, undefined, ['s-1', 's-3']],
    ['children being deleted do not count', [...kids, c('s-0', '2024-05-01T10:00:00Z', true, true)], 3, ['s-1']],
    ['same creation time: by name', [c('s-b', '2024-05-01T10:00:00Z', true), c('s-a', '2024-05-01T10:00:00Z', true)], 1, ['s-a']],
  ]
  it.each(table)('%s', (_name, children, limit, want) => {
    expect(historyToRemove(children, limit)).toEqual(want)
  })
})

describe('names, times and event texts', () => {
  it("spawnedName: Kubernetes' SimpleNameGenerator", () => {
    let i = 0
    const seq = [0, 0.99999, 0.5, 0.1, 0.75]
    expect(spawnedName('web-show-pod-kill', () => seq[i++ % seq.length]!)).toBe('web-show-pod-kill-b9rd2')
    const long = 'a'.repeat(70)
    const name = spawnedName(long, Math.random)
    expect(name).toHaveLength(63)
    expect(name.slice(0, 58)).toBe('a'.repeat(58))
    expect(name.slice(58)).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{5}$/)
    expect(spawnedName('s', Math.random)).toMatch(/^s-[bcdfghjklmnpqrstvwxz2456789]{5}$/)
  })

  it('rfc3339: whole seconds, UTC; rfc1123z: Go time.RFC1123Z in a zone', () => {
    expect(rfc3339(T('2021-04-28T05:59:38.999Z'))).toBe('2021-04-28T05:59:38Z')
    expect(rfc1123z(T('2021-04-28T05:59:43Z'), 'UTC')).toBe('Wed, 28 Apr 2021 05:59:43 +0000')
    expect(rfc1123z(T('2021-04-28T05:59:43Z'), 'Asia/Shanghai')).toBe('Wed, 28 Apr 2021 13:59:43 +0800')
    expect(rfc1123z(T('2021-01-02T03:04:05Z'), 'America/New_York')).toBe('Fri, 01 Jan 2021 22:04:05 -0500')
  })

  it("Chaos Mesh's reasons and messages", () => {
    expect(scheduleEvents.spawned('s-abcde')).toEqual({ type: 'Normal', reason: 'Spawned', message: 'Create new object: s-abcde' })
    expect(scheduleEvents.forbid('s-abcde')).toEqual({ type: 'Warning', reason: 'Forbid', message: 'Forbid spawning new job because: s-abcde is still running' })
    expect(scheduleEvents.missed(T('2021-04-28T05:59:43Z'), 'UTC')).toEqual({ type: 'Warning', reason: 'MissSchedule', message: 'Missed scheduled time to start a job: Wed, 28 Apr 2021 05:59:43 +0000' })
    expect(scheduleEvents.failed('create new object', 'boom')).toEqual({ type: 'Warning', reason: 'Failed', message: 'Failed to create new object: boom' })
    expect(scheduleEvents.updated('lastScheduleTime')).toEqual({ type: 'Normal', reason: 'Updated', message: 'Successfully update lastScheduleTime of resource' })
    expect(scheduleEvents.notSupported('pausing a workflow schedule')).toEqual({ type: 'Warning', reason: 'NotSupported', message: 'pausing a workflow schedule is not supported' })
  })
})
