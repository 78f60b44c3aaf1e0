/**
 * @module engine/status-check-decide: what a StatusCheck's status becomes (pure, table-tested): given the status
 * stored so far, the spec's settings, the time, and perhaps the outcome of one probe, the new status (records kept
 * under recordsHistoryLimit, count, Chaos Mesh's four conditions), the events to write, whether it is completed,
 * and when to probe next.
 *
 * Chaos Mesh's rules (controllers/statuscheck): a threshold is exceeded by that many consecutive outcomes at the
 * end of the history; Completed is True for DurationExceed, else FailureThresholdExceed, else (Synchronous only)
 * SuccessThresholdExceed, and its reason names which. Probes tick every interval from the start (the first one an
 * interval after it); the duration, when given, is counted from status.startTime.
 */
import { parseDuration } from '../manifest/duration.js'
import type { StatusCheckSpec } from '../manifest/kinds/status-check.js'

export type StatusCheckMode = 'Synchronous' | 'Continuous'
export type ProbeOutcome = 'Success' | 'Failure'
export type ConditionType = 'Completed' | 'DurationExceed' | 'FailureThresholdExceed' | 'SuccessThresholdExceed'
export type StatusCheckReason = '' | 'StatusCheckDurationExceed' | 'StatusCheckFailureThresholdExceed' | 'StatusCheckSuccessThresholdExceed'
export type StatusCheckPhase = 'Running' | 'Succeeded' | 'Failed'

export const CONDITION_TYPES: readonly ConditionType[] = ['Completed', 'DurationExceed', 'FailureThresholdExceed', 'SuccessThresholdExceed']

/** Chaos Mesh's StatusCheckRecord: when the probe started, and how it came out. */
export interface StatusCheckRecord {
  startTime: string
  outcome: ProbeOutcome
}

export interface StatusCheckCondition {
  type: ConditionType
  status: 'True' | 'False'
  reason: StatusCheckReason
  lastProbeTime: string
  lastTransitionTime: string
}

/** Chaos Mesh's StatusCheckStatus plus `chaoscope`. */
export interface StatusCheckStatus {
  startTime?: string
  completionTime?: string
  count?: number
  conditions?: StatusCheckCondition[]
  records?: StatusCheckRecord[]
  chaoscope?: {
    phase: StatusCheckPhase
    /** The outcomes at the end of the history that are alike (also past recordsHistoryLimit). */
    streak?: { outcome: ProbeOutcome; count: number }
    /** Why the last probe failed (e.g. "unexpected status code: 503"). */
    lastFailure?: string
  }
}

/** The spec with Chaos Mesh's defaults, in milliseconds. */
export interface StatusCheckSettings {
  mode: StatusCheckMode
  intervalMs: number
  timeoutMs: number
  failureThreshold: number
  successThreshold: number
  recordsHistoryLimit: number
  /** Absent: no duration (a Continuous check then runs until its failure threshold, or until deleted). */
  durationMs?: number
}

/** Chaos Mesh's defaults (the CRD's and the webhook's): Synchronous, every 10 s, 1 s timeout, 3 failures, 1 success, 100 records. */
export function settingsOf(spec: Partial<StatusCheckSpec>): StatusCheckSettings {
  const durationMs = spec.duration !== undefined ? parseDuration(spec.duration) : undefined
  return {
    mode: spec.mode ?? 'Synchronous',
    intervalMs: (spec.intervalSeconds ?? 10) * 1000,
    timeoutMs: (spec.timeoutSeconds ?? 1) * 1000,
    failureThreshold: spec.failureThreshold ?? 3,
    successThreshold: spec.successThreshold ?? 1,
    recordsHistoryLimit: spec.recordsHistoryLimit ?? 100,
    ...(durationMs !== undefined ? { durationMs } : {}),
  }
}

/** One probe's outcome, as the worker saw it. */
export interface ProbeResult {
  /** When it started (ms since the epoch). */
  startedAt: number
  outcome: ProbeOutcome
  /** Why it failed, for the event. */
  message?: string
}

export interface DecisionEvent {
  type: 'Normal' | 'Warning'
  reason: string
  message: string
  /** When it happened (ms), when earlier than now (a duration's end noticed late). */
  at?: number
}

export interface StatusCheckDecision {
  status: StatusCheckStatus
  /** The status changed in a way worth writing (started, a probe recorded, completed). */
  write: boolean
  events: DecisionEvent[]
  completed: boolean
  /** When the next probe is due (ms), or undefined when none is (completed, or the duration ends first). */
  nextProbeAt?: number
  /** When the duration ends (ms), if it has one. */
  deadline?: number
}

export interface DecideInput {
  status: StatusCheckStatus
  settings: StatusCheckSettings
  now: number
  probe?: ProbeResult
  /** The executor named in the per-probe events (Chaos Mesh: "HTTP"). */
  executor?: string
}

const iso = (ms: number) => new Date(ms).toISOString()

/** Whether the last `threshold` outcomes are all `outcome` (Chaos Mesh's isThresholdExceed). */
export function thresholdExceeded(records: readonly Pick<StatusCheckRecord, 'outcome'>[], outcome: ProbeOutcome, threshold: number): boolean {
  let n = 0
  for (let i = records.length - 1; i >= 0; i--) {
    if (records[i]!.outcome !== outcome) return false
    if (++n >= threshold) return true
  }
  return false
}

/** The last `limit` records (Chaos Mesh's limitRecords). */
export function limitRecords<T>(records: readonly T[], limit: number): T[] {
  return records.length <= limit ? [...records] : records.slice(records.length - limit)
}

/** The run of like outcomes at the end: the stored one, else counted from the records. */
export function streakOf(status: StatusCheckStatus): { outcome: ProbeOutcome; count: number } | undefined {
  if (status.chaoscope?.streak) return status.chaoscope.streak
  const records = status.records ?? []
  const last = records.at(-1)
  if (!last) return undefined
  let count = 0
  for (let i = records.length - 1; i >= 0 && records[i]!.outcome === last.outcome; i--) count++
  return { outcome: last.outcome, count }
}

/**
 * When the probe after the one that started at `lastStart` is due: the first tick of the interval grid from
 * `start` after it (the first probe one interval after the start), or `now` when that tick has passed already
 * (a probe slower than the interval, or a controller restarted: one probe at once, then on the grid again).
 */
export function nextProbeAt(start: number, intervalMs: number, lastStart: number | undefined, now: number): number {
  const k = lastStart === undefined || lastStart < start ? 1 : Math.floor((lastStart - start) / intervalMs) + 1
  return Math.max(start + k * intervalMs, now)
}

function setCondition(list: StatusCheckCondition[], type: ConditionType, on: boolean, reason: StatusCheckReason, at: string): boolean {
  const status = on ? 'True' : 'False'
  const i = list.findIndex((c) => c.type === type)
  const old = list[i]
  if (!old) {
    list.push({ type, status, reason, lastProbeTime: at, lastTransitionTime: at })
    return on
  }
  list[i] = { ...old, status, reason, lastProbeTime: at, ...(old.status !== status ? { lastTransitionTime: at } : {}) }
  return on && old.status !== 'True'
}

const isTrue = (s: StatusCheckStatus, type: ConditionType) => s.conditions?.some((c) => c.type === type && c.status === 'True') ?? false

/** The phase of a stored status: Running until Completed, then Failed (failure threshold) or Succeeded. */
export function phaseOfStatus(s: StatusCheckStatus): StatusCheckPhase {
  if (!isTrue(s, 'Completed')) return 'Running'
  return isTrue(s, 'FailureThresholdExceed') ? 'Failed' : 'Succeeded'
}

/**
 * The next status. A completed status stays as it is (nothing written, no probe). Otherwise: start it (startTime
 * = now) if new, record the probe (unless the duration is over: a probe cut off by the end is thrown away), then
 * set the conditions, and complete it when one says so.
 */
export function decideStatusCheck(input: DecideInput): StatusCheckDecision {
  const { settings: cfg, now, probe } = input
  const executor = input.executor ?? 'HTTP'
  const prev = input.status
  if (isTrue(prev, 'Completed')) return { status: prev, write: false, events: [], completed: true }

  let write = false
  const status: StatusCheckStatus = structuredClone(prev)
  if (status.startTime === undefined) {
    status.startTime = iso(now)
    status.count ??= 0
    status.records ??= []
    write = true
  }
  const start = Date.parse(status.startTime)
  const deadline = cfg.durationMs !== undefined ? start + cfg.durationMs : undefined
  const over = deadline !== undefined && now >= deadline
  const events: DecisionEvent[] = []

  if (probe && !over) {
    status.records = limitRecords([...(status.records ?? []), { startTime: iso(probe.startedAt), outcome: probe.outcome }], cfg.recordsHistoryLimit)
    status.count = (status.count ?? 0) + 1
    const streak = streakOf(prev)
    const count = streak?.outcome === probe.outcome ? streak.count + 1 : 1
    status.chaoscope = { ...(status.chaoscope ?? { phase: 'Running' }), streak: { outcome: probe.outcome, count } }
    if (probe.outcome === 'Success') {
      delete status.chaoscope.lastFailure
      events.push({ type: 'Normal', reason: 'StatusCheckExecutionSucceed', message: `${executor} execution of status check succeed` })
    } else {
      status.chaoscope.lastFailure = probe.message ?? 'failed'
      events.push({ type: 'Warning', reason: 'StatusCheckExecutionFailed', message: `${executor} execution of status check failed: ${probe.message ?? ''}` })
    }
    write = true
  }

  const streak = streakOf(status)
  const failed = streak?.outcome === 'Failure' && streak.count >= cfg.failureThreshold
  const succeeded = streak?.outcome === 'Success' && streak.count >= cfg.successThreshold
  const reason: StatusCheckReason = over
    ? 'StatusCheckDurationExceed'
    : failed
      ? 'StatusCheckFailureThresholdExceed'
      : succeeded && cfg.mode === 'Synchronous'
        ? 'StatusCheckSuccessThresholdExceed'
        : ''
  const completed = reason !== ''
  // Chaos Mesh stamps the conditions at each status update; here at each write (the probe, the start, the end)
  const at = iso(over && deadline !== undefined ? deadline : now)
  if (write || completed) {
    const conditions = [...(status.conditions ?? [])]
    const became = {
      DurationExceed: setCondition(conditions, 'DurationExceed', over, '', at),
      FailureThresholdExceed: setCondition(conditions, 'FailureThresholdExceed', failed, '', at),
      SuccessThresholdExceed: setCondition(conditions, 'SuccessThresholdExceed', succeeded, '', at),
    }
    setCondition(conditions, 'Completed', completed, reason, at)
    status.conditions = CONDITION_TYPES.map((t) => conditions.find((c) => c.type === t)!).filter(Boolean)
    const when = over ? { at: deadline } : {}
    if (became.DurationExceed) events.push({ type: 'Warning', reason: 'StatusCheckDurationExceed', message: 'duration exceed', ...when })
    if (became.SuccessThresholdExceed) events.push({ type: 'Normal', reason: 'StatusCheckSuccessThresholdExceed', message: 'success threshold exceed' })
    if (became.FailureThresholdExceed) events.push({ type: 'Warning', reason: 'StatusCheckFailureThresholdExceed', message: 'failure threshold exceed' })
    if (completed) {
      status.completionTime = at
      events.push({ type: 'Normal', reason: 'StatusCheckCompleted', message: `status check completed: ${reason}`, ...when })
    }
    write = true
  }
  status.chaoscope = { ...(status.chaoscope ?? {}), phase: phaseOfStatus(status) }

  const lastStart = status.records?.length ? Date.parse(status.records.at(-1)!.startTime) : undefined
  const next = completed ? undefined : nextProbeAt(start, cfg.intervalMs, lastStart, now)
  return {
    status,
    write,
    events,
    completed,
    ...(next !== undefined && (deadline === undefined || next < deadline) ? { nextProbeAt: next } : {}),
    ...(deadline !== undefined ? { deadline } : {}),
  }
}

/**
 * Whether `code` meets `criteria`: one code ("200") or an inclusive range ("200-299"), as Chaos Mesh's
 * validateStatusCode reads it (a criteria it cannot read matches nothing; admission refuses those).
 */
export function statusCodeMatches(criteria: string, code: number): boolean {
  const int = (s: string) => (/^[+-]?\d+$/.test(s) ? Number(s) : undefined)
  const one = int(criteria)
  if (one !== undefined) return one === code
  const dash = criteria.indexOf('-')
  if (dash < 0) return false
  const lo = int(criteria.slice(0, dash))
  const hi = int(criteria.slice(dash + 1))
  return lo !== undefined && hi !== undefined && code >= lo && code <= hi
}
