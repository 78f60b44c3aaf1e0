/**
 * @module engine/schedule-decide: what a Schedule does now, decided from its spec, its status and the clock (pure:
 * no store, no timers). Chaos Mesh's rules (controllers/schedule/{cron,gc,pause}):
 *
 *   next(schedule, t)         robfig/cron v3's Next: the first matching whole second after t, or t + @every
 *   recentUnmet(...)          getRecentUnmetScheduleTime: the most recent run in (earliest, now], where earliest is
 *                             lastScheduleTime (else creation), raised to now − startingDeadlineSeconds; > 100 runs
 *                             in that window is an error
 *   decideRun(...)            paused → nothing; no run due → wait; an unfinished child under Forbid → forbid;
 *                             else spawn (and lastScheduleTime = now)
 *   historyToRemove(...)      the oldest children beyond historyLimit that have finished (unset limit: every finished one)
 *   spawnedName(base, random) Kubernetes' SimpleNameGenerator: base (cut to 58) + 5 of "bcdfghjklmnpqrstvwxz2456789"
 *
 * Time zone: robfig/cron reads the fields in the zone of the time it is given, which in Chaos Mesh is the
 * controller's local zone (time.Local; UTC in its container image), unless the schedule names one with CRON_TZ= or
 * TZ=. So here: `localZone` (the process's zone by default), or the schedule's own.
 */
import { parseCron } from '../manifest/cron.js'
import type { CronFields, CronSchedule } from '../manifest/cron.js'

const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE

/** Chaos Mesh's limit on the runs looked at in one reconcile (getRecentUnmetScheduleTime). */
export const MAX_MISSED_RUNS = 100

/** The zone this process reads local times in (Go's time.Local). */
export function processZone(): string {
  return new Intl.DateTimeFormat().resolvedOptions().timeZone
}

// ── wall-clock fields in a zone ──────────────────────────────────────────────────────────────────────────────

interface Wall {
  year: number
  month: number // 1-12
  day: number
  hour: number
  minute: number
  second: number
  weekday: number // 0 = Sunday
}

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' })
    formatters.set(zone, f)
  }
  return f
}

function wallOf(ms: number, zone: string): Wall {
  if (zone === 'UTC') {
    const d = new Date(ms)
    return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), weekday: d.getUTCDay() }
  }
  const p: Record<string, number> = {}
  for (const part of formatter(zone).formatToParts(ms)) if (part.type !== 'literal') p[part.type] = Number(part.value)
  const year = p.year!
  const month = p.month!
  const day = p.day!
  return { year, month, day, hour: p.hour!, minute: p.minute!, second: p.second!, weekday: new Date(Date.UTC(year, month - 1, day)).getUTCDay() }
}

/** The zone's offset from UTC at instant `ms`, in ms. */
function offsetAt(ms: number, zone: string): number {
  if (zone === 'UTC') return 0
  const w = wallOf(ms, zone)
  const whole = ms - mod(ms, SECOND)
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - whole
}

/** Go's time.Date in `zone`: out-of-range fields normalise (month 13 is January next year), DST as Go resolves it. */
function dateIn(year: number, month: number, day: number, hour: number, minute: number, second: number, zone: string): number {
  const guess = Date.UTC(year, month - 1, day, hour, minute, second)
  let off = offsetAt(guess, zone)
  const utc = guess - off
  const there = offsetAt(utc, zone)
  if (there !== off) off = there
  return guess - off
}

function mod(a: number, b: number): number {
  return ((a % b) + b) % b
}

// ── next ────────────────────────────────────────────────────────────────────────────────────────────────────

function zoneOf(schedule: CronSchedule, localZone: string): string {
  const z = schedule.timeZone
  return z === undefined || z === 'Local' ? localZone : z
}

/**
 * The schedule's first run after `afterMs` (ms since the epoch), as robfig/cron v3 computes it; undefined when a
 * field schedule never matches in the next five years (e.g. February 30th).
 *
 * @example next(parseCron('@every 5s').schedule, Date.parse('2021-04-28T05:59:38.400Z'))  // 05:59:43.000Z
 * @example next(parseCron('0 * * * *').schedule, Date.parse('2021-04-28T05:59:38Z'), 'UTC')  // 06:00:00Z
 */
export function next(schedule: CronSchedule, afterMs: number, localZone: string = processZone()): number | undefined {
  if (schedule.kind === 'every') return afterMs - mod(afterMs, SECOND) + schedule.everyMs
  return nextMatch(schedule, afterMs, zoneOf(schedule, localZone))
}

function dayMatches(s: CronFields, w: Wall, dom: Set<number>, dow: Set<number>): boolean {
  const domMatch = dom.has(w.day)
  const dowMatch = dow.has(w.weekday)
  if (s.dayOfMonthAny || s.dayOfWeekAny) return domMatch && dowMatch
  return domMatch || dowMatch
}

const fieldSets = new WeakMap<CronFields, { second: Set<number>; minute: Set<number>; hour: Set<number>; dom: Set<number>; month: Set<number>; dow: Set<number> }>()

function setsOf(s: CronFields) {
  let sets = fieldSets.get(s)
  if (!sets) {
    sets = { second: new Set(s.second), minute: new Set(s.minute), hour: new Set(s.hour), dom: new Set(s.dayOfMonth), month: new Set(s.month), dow: new Set(s.dayOfWeek) }
    fieldSets.set(s, sets)
  }
  return sets
}

/** robfig/cron's SpecSchedule.Next: walk month, day, hour, minute, second up to the first that all match. */
function nextMatch(s: CronFields, afterMs: number, zone: string): number | undefined {
  const f = setsOf(s)
  let t = afterMs - mod(afterMs, SECOND) + SECOND
  let added = false
  const yearLimit = wallOf(t, zone).year + 5
  wrap: for (;;) {
    let w = wallOf(t, zone)
    if (w.year > yearLimit) return undefined
    while (!f.month.has(w.month)) {
      if (!added) {
        added = true
        t = dateIn(w.year, w.month, 1, 0, 0, 0, zone)
        w = wallOf(t, zone)
      }
      t = dateIn(w.year, w.month + 1, w.day, w.hour, w.minute, w.second, zone)
      w = wallOf(t, zone)
      if (w.month === 1) continue wrap
    }
    while (!dayMatches(s, w, f.dom, f.dow)) {
      if (!added) {
        added = true
        t = dateIn(w.year, w.month, w.day, 0, 0, 0, zone)
        w = wallOf(t, zone)
      }
      t = dateIn(w.year, w.month, w.day + 1, w.hour, w.minute, w.second, zone)
      w = wallOf(t, zone)
      // a day that does not start at midnight (DST): back to it, or on to the next one
      if (w.hour !== 0) {
        t += w.hour > 12 ? (24 - w.hour) * HOUR : -w.hour * HOUR
        w = wallOf(t, zone)
      }
      if (w.day === 1) continue wrap
    }
    while (!f.hour.has(w.hour)) {
      if (!added) {
        added = true
        t = dateIn(w.year, w.month, w.day, w.hour, 0, 0, zone)
      }
      t += HOUR
      w = wallOf(t, zone)
      if (w.hour === 0) continue wrap
    }
    while (!f.minute.has(w.minute)) {
      if (!added) {
        added = true
        t -= mod(t, MINUTE)
      }
      t += MINUTE
      w = wallOf(t, zone)
      if (w.minute === 0) continue wrap
    }
    while (!f.second.has(w.second)) {
      if (!added) {
        added = true
        t -= mod(t, SECOND)
      }
      t += SECOND
      w = wallOf(t, zone)
      if (w.second === 0) continue wrap
    }
    return t
  }
}

// ── the most recent unmet run ───────────────────────────────────────────────────────────────────────────────

export interface ScheduleTimes {
  /** The `schedule` field as written. */
  schedule: string
  startingDeadlineSeconds?: number
  /** status.time (Chaos Mesh's lastScheduleTime), ms; undefined when it never ran. */
  lastScheduleTime?: number
  /** metadata.creationTimestamp, ms. */
  creationTimestamp: number
}

export type Unmet = { missedRun?: number; nextRun?: number } | { error: string; retryAfterMs?: number }

/** Go's %v of a time.Time, in UTC: `2021-04-28 06:49:35.079 +0000 UTC`. */
function goTime(ms: number): string {
  const iso = new Date(ms).toISOString()
  const frac = iso.slice(20, 23).replace(/0+$/, '')
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac ? `.${frac}` : ''} +0000 UTC`
}

/**
 * Chaos Mesh's getRecentUnmetScheduleTime: the most recent run that should have started by `now` and has not, and
 * the run after it (or after the window's start when none is due).
 *
 * @example recentUnmet({ schedule: '@every 5s', lastScheduleTime: Date.parse('2021-04-28T05:59:38Z'), creationTimestamp: 0 }, Date.parse('2021-04-28T05:59:43.5Z'))
 *          // { missedRun: 05:59:43Z, nextRun: 05:59:48Z }
 */
export function recentUnmet(s: ScheduleTimes, now: number, localZone: string = processZone()): Unmet {
  const parsed = parseCron(s.schedule)
  if (!parsed.ok) return { error: `unparseable schedule: ${s.schedule} : ${parsed.error}` }
  const sched = parsed.schedule
  let earliest = s.lastScheduleTime ?? s.creationTimestamp
  if (s.startingDeadlineSeconds !== undefined) earliest = Math.max(earliest, now - s.startingDeadlineSeconds * SECOND)
  if (earliest > now) return { error: `earliestTime is later than now: earliestTime: ${goTime(earliest)}, now: ${goTime(now)}`, retryAfterMs: earliest - now }
  let missedRun: number | undefined
  let nextRun = next(sched, earliest, localZone)
  let n = 0
  for (let t = nextRun; t !== undefined && t <= now; t = next(sched, t, localZone)) {
    missedRun = t
    nextRun = next(sched, t, localZone)
    if (++n > MAX_MISSED_RUNS) return { error: `too many missed start time (> ${MAX_MISSED_RUNS}). Set or decrease .spec.startingDeadlineSeconds or check clock skew` }
  }
  return { ...(missedRun !== undefined ? { missedRun } : {}), ...(nextRun !== undefined ? { nextRun } : {}) }
}

/** Windows looked back through for the latest run before a time, shortest first (see {@link lastRunIn}). */
const LOOK_BACK = [MINUTE, HOUR, 24 * HOUR, 32 * 24 * HOUR, 367 * 24 * HOUR, 6 * 367 * 24 * HOUR]

/**
 * The latest run in (after, until], or undefined. Looks back in widening windows from `until`, so a day's downtime
 * of an every-second schedule costs a minute's runs, not a day's.
 */
export function lastRunIn(schedule: CronSchedule, after: number, until: number, localZone: string = processZone()): number | undefined {
  if (until <= after) return undefined
  if (schedule.kind === 'every') {
    const first = after - mod(after, SECOND) + schedule.everyMs
    if (first > until) return undefined
    return first + Math.floor((until - first) / schedule.everyMs) * schedule.everyMs
  }
  for (const w of [...LOOK_BACK, Infinity]) {
    const from = Math.max(after, until - w)
    let last: number | undefined
    for (let t = next(schedule, from, localZone); t !== undefined && t <= until; t = next(schedule, t, localZone)) last = t
    if (last !== undefined) return last
    if (from === after) return undefined
  }
  return undefined
}

/**
 * The run missed beyond startingDeadlineSeconds to report (event MissSchedule), once: the latest run after the
 * last one that ran (or creation, or the last one reported) that is older than the deadline. Chaos Mesh writes this
 * event only when the run it found is older than the deadline, which its own window (never older than the
 * deadline) rules out; here it says which runs a restart or a long Forbid skipped.
 */
export function missedBeyondDeadline(s: ScheduleTimes & { lastMissedRun?: number }, now: number, localZone: string = processZone()): number | undefined {
  if (s.startingDeadlineSeconds === undefined) return undefined
  const parsed = parseCron(s.schedule)
  if (!parsed.ok) return undefined
  const after = Math.max(s.lastScheduleTime ?? s.creationTimestamp, s.lastMissedRun ?? -Infinity)
  return lastRunIn(parsed.schedule, after, now - s.startingDeadlineSeconds * SECOND, localZone)
}

// ── one reconcile's decision ────────────────────────────────────────────────────────────────────────────────

export type ConcurrencyPolicy = 'Forbid' | 'Allow'

/** A child as the decisions see it. */
export interface ChildFacts {
  name: string
  /** creationTimestamp, ISO. */
  createdAt: string
  finished: boolean
  deleting: boolean
}

export interface RunInput extends ScheduleTimes {
  paused: boolean
  /** Absent or '' means Forbid, as Chaos Mesh's IsForbid. */
  concurrencyPolicy?: ConcurrencyPolicy | ''
  lastMissedRun?: number
  /** The children, oldest first. */
  children: readonly ChildFacts[]
}

export type RunDecision =
  | { action: 'paused' }
  | { action: 'error'; error: string; retryAfterMs?: number; missed?: number }
  | { action: 'wait'; nextRun?: number; missed?: number }
  | { action: 'forbid'; run: number; running: string; nextRun?: number; missed?: number }
  | { action: 'spawn'; run: number; nextRun?: number; missed?: number }

/**
 * What the schedule does at `now` (Chaos Mesh's cron controller): nothing while paused; the error of
 * {@link recentUnmet}; wait for the next run; or, for a due run, forbid it (Forbid and an unfinished child, the
 * first named) or spawn. `missed`: a run to report as MissSchedule ({@link missedBeyondDeadline}).
 */
export function decideRun(input: RunInput, now: number, localZone: string = processZone()): RunDecision {
  if (input.paused) return { action: 'paused' }
  const m = missedBeyondDeadline(input, now, localZone)
  const missed = m !== undefined ? { missed: m } : {}
  const u = recentUnmet(input, now, localZone)
  if ('error' in u) return { action: 'error', error: u.error, ...(u.retryAfterMs !== undefined ? { retryAfterMs: u.retryAfterMs } : {}), ...missed }
  const nextRun = u.nextRun !== undefined ? { nextRun: u.nextRun } : {}
  if (u.missedRun === undefined) return { action: 'wait', ...nextRun, ...missed }
  if (input.concurrencyPolicy !== 'Allow') {
    const running = input.children.find((c) => !c.finished)
    if (running) return { action: 'forbid', run: u.missedRun, running: running.name, ...nextRun, ...missed }
  }
  return { action: 'spawn', run: u.missedRun, ...nextRun, ...missed }
}

/**
 * The children the history limit removes (Chaos Mesh's schedule gc): of those not already being deleted, oldest
 * first, the ones beyond the newest `historyLimit` that have finished; unfinished ones are kept until they finish.
 * An unset limit counts as 0: every finished child goes.
 */
export function historyToRemove(children: readonly ChildFacts[], historyLimit: number | undefined): string[] {
  const kept = children.filter((c) => !c.deleting).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name))
  const exceeded = kept.length - (historyLimit ?? 0)
  return exceeded > 0 ? kept.slice(0, exceeded).filter((c) => c.finished).map((c) => c.name) : []
}

// ── names and times ─────────────────────────────────────────────────────────────────────────────────────────

/** Kubernetes' utilrand alphabet: no vowels (no words), no 0, 1, 3 (no look-alikes). */
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789'
const MAX_NAME = 63
const RANDOM_LENGTH = 5

/** Kubernetes' SimpleNameGenerator.GenerateName(`${schedule}-`). */
export function spawnedName(schedule: string, random: () => number): string {
  let base = `${schedule}-`
  if (base.length > MAX_NAME - RANDOM_LENGTH) base = base.slice(0, MAX_NAME - RANDOM_LENGTH)
  let suffix = ''
  for (let i = 0; i < RANDOM_LENGTH; i++) suffix += ALPHANUMS[Math.min(ALPHANUMS.length - 1, Math.floor(random() * ALPHANUMS.length))]
  return base + suffix
}

/** metav1.Time as Kubernetes writes it: RFC 3339 in UTC, whole seconds. */
export function rfc3339(ms: number): string {
  return new Date(ms - mod(ms, SECOND)).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const pad = (n: number, w = 2) => String(n).padStart(w, '0')

/** Go's time.RFC1123Z in `zone`: `Wed, 28 Apr 2021 13:59:43 +0800`. */
export function rfc1123z(ms: number, zone: string = processZone()): string {
  const w = wallOf(ms, zone)
  const off = Math.round(offsetAt(ms, zone) / MINUTE)
  const sign = off < 0 ? '-' : '+'
  const a = Math.abs(off)
  return `${DAYS[w.weekday]}, ${pad(w.day)} ${MONTHS[w.month - 1]} ${pad(w.year, 4)} ${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)} ${sign}${pad(Math.floor(a / 60))}${pad(a % 60)}`
}

/** Chaos Mesh's event texts for a Schedule (controllers/utils/recorder/schedule.go, error.go, controller.go, common.go). */
export const scheduleEvents = {
  spawned: (name: string) => ({ type: 'Normal', reason: 'Spawned', message: `Create new object: ${name}` }) as const,
  forbid: (running: string) => ({ type: 'Warning', reason: 'Forbid', message: `Forbid spawning new job because: ${running} is still running` }) as const,
  missed: (run: number, zone?: string) => ({ type: 'Warning', reason: 'MissSchedule', message: `Missed scheduled time to start a job: ${rfc1123z(run, zone)}` }) as const,
  failed: (activity: string, err: string) => ({ type: 'Warning', reason: 'Failed', message: `Failed to ${activity}: ${err}` }) as const,
  updated: (field: string) => ({ type: 'Normal', reason: 'Updated', message: `Successfully update ${field} of resource` }) as const,
  notSupported: (activity: string) => ({ type: 'Warning', reason: 'NotSupported', message: `${activity} is not supported` }) as const,
}
