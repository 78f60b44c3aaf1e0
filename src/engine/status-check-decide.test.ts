/** engine/status-check-decide: Chaos Mesh's StatusCheck rules as tables, with literal times. */
import { describe, expect, it } from 'vitest'
import {
  decideStatusCheck,
  limitRecords,
  nextProbeAt,
  phaseOfStatus,
  settingsOf,
  statusCodeMatches,
  streakOf,
  thresholdExceeded,
} from './status-check-decide.js'
import type { ProbeOutcome, StatusCheckSettings, StatusCheckStatus } from './status-check-decide.js'

const T0 = Date.parse('2024-05-01T10:00:00.000Z')
const at = (s: number) => T0 + s * 1000
const iso = (s: number) => new Date(at(s)).toISOString()
const S = 'Success' as const
const F = 'Failure' as const

const sync: StatusCheckSettings = { mode: 'Synchronous', intervalMs: 1000, timeoutMs: 1000, failureThreshold: 3, successThreshold: 2, recordsHistoryLimit: 100 }
const cont: StatusCheckSettings = { ...sync, mode: 'Continuous', durationMs: 10_000 }

/** A status started at T0 with one record per outcome, probed at 1 s, 2 s, ... */
function started(outcomes: ProbeOutcome[]): StatusCheckStatus {
  return { startTime: iso(0), count: outcomes.length, records: outcomes.map((outcome, i) => ({ startTime: iso(i + 1), outcome })) }
}

const trueOnes = (s: StatusCheckStatus) => (s.conditions ?? []).filter((c) => c.status === 'True').map((c) => c.type)
const completedReason = (s: StatusCheckStatus) => s.conditions?.find((c) => c.type === 'Completed')?.reason

describe('settingsOf: Chaos Mesh defaults', () => {
  it.each([
    [{}, { mode: 'Synchronous', intervalMs: 10_000, timeoutMs: 1000, failureThreshold: 3, successThreshold: 1, recordsHistoryLimit: 100 }],
    [{ mode: 'Continuous' as const, intervalSeconds: 2, timeoutSeconds: 5, failureThreshold: 1, successThreshold: 4, recordsHistoryLimit: 7, duration: '1m30s' }, { mode: 'Continuous', intervalMs: 2000, timeoutMs: 5000, failureThreshold: 1, successThreshold: 4, recordsHistoryLimit: 7, durationMs: 90_000 }],
  ])('%j', (spec, want) => expect(settingsOf(spec)).toEqual(want))
})

describe('thresholdExceeded (Chaos Mesh isThresholdExceed cases)', () => {
  it.each([
    [[F, S, F], F, 2, false],
    [[F], F, 1, true],
    [[S, F, F], F, 2, true],
    [[F, F], F, 3, false],
    [[], S, 1, false],
  ] as [ProbeOutcome[], ProbeOutcome, number, boolean][])('%j %s %i → %s', (outcomes, outcome, n, want) => {
    expect(thresholdExceeded(outcomes.map((o) => ({ outcome: o })), outcome, n)).toBe(want)
  })
})

describe('statusCodeMatches', () => {
  it.each([
    ['200', 200, true],
    ['200', 201, false],
    ['200-299', 200, true],
    ['200-299', 299, true],
    ['200-299', 300, false],
    ['200-299', 199, false],
    ['500-599', 503, true],
    ['abc', 200, false],
    ['200-', 200, false],
  ] as [string, number, boolean][])('%s vs %i → %s', (c, code, want) => expect(statusCodeMatches(c, code)).toBe(want))
})

describe('limitRecords and streakOf', () => {
  it('keeps the last ones', () => {
    expect(limitRecords([1, 2, 3, 4], 2)).toEqual([3, 4])
    expect(limitRecords([1, 2], 5)).toEqual([1, 2])
  })
  it('counts the run at the end from the records, or takes the stored one (past the history limit)', () => {
    expect(streakOf(started([S, F, F]))).toEqual({ outcome: F, count: 2 })
    expect(streakOf({ ...started([F]), chaoscope: { phase: 'Running', streak: { outcome: F, count: 5 } } })).toEqual({ outcome: F, count: 5 })
    expect(streakOf({})).toBeUndefined()
  })
})

describe('nextProbeAt: the interval grid from the start', () => {
  it.each([
    ['first probe one interval after the start', undefined, 0, 10],
    ['after a probe at 10 s: 20 s', 10, 10.05, 20],
    ['a probe that took longer than the interval: the next one at once', 10, 21.5, 21.5],
    ['restarted long after: one at once', 30, 95, 95],
    ['restarted before the next tick: that tick', 30, 35, 40],
  ])('%s', (_, last, now, want) => {
    expect(nextProbeAt(at(0), 10_000, last === undefined ? undefined : at(last), at(now))).toBe(at(want))
  })
})

describe('decideStatusCheck', () => {
  it('a new check starts now: startTime, count 0, every condition False, first probe one interval later', () => {
    const d = decideStatusCheck({ status: {}, settings: sync, now: at(0) })
    expect(d).toMatchObject({ write: true, completed: false, nextProbeAt: at(1), events: [] })
    expect(d.status).toMatchObject({ startTime: iso(0), count: 0, records: [], chaoscope: { phase: 'Running' } })
    expect(d.status.conditions).toEqual(
      ['Completed', 'DurationExceed', 'FailureThresholdExceed', 'SuccessThresholdExceed'].map((type) => ({ type, status: 'False', reason: '', lastProbeTime: iso(0), lastTransitionTime: iso(0) })),
    )
  })

  it('between probes nothing is written', () => {
    const first = decideStatusCheck({ status: {}, settings: sync, now: at(0) }).status
    const d = decideStatusCheck({ status: first, settings: sync, now: at(0.5) })
    expect(d).toMatchObject({ write: false, events: [], nextProbeAt: at(1) })
    expect(d.status.conditions).toEqual(first.conditions)
  })

  it('a success is recorded with its event; Synchronous completes at successThreshold consecutive successes', () => {
    const one = decideStatusCheck({ status: decideStatusCheck({ status: {}, settings: sync, now: at(0) }).status, settings: sync, now: at(1.01), probe: { startedAt: at(1), outcome: S } })
    expect(one).toMatchObject({ write: true, completed: false, nextProbeAt: at(2) })
    expect(one.status.records).toEqual([{ startTime: iso(1), outcome: S }])
    expect(one.status.count).toBe(1)
    expect(one.events).toEqual([{ type: 'Normal', reason: 'StatusCheckExecutionSucceed', message: 'HTTP execution of status check succeed' }])

    const two = decideStatusCheck({ status: one.status, settings: sync, now: at(2.01), probe: { startedAt: at(2), outcome: S } })
    expect(two).toMatchObject({ completed: true, write: true })
    expect(two.nextProbeAt).toBeUndefined()
    expect(trueOnes(two.status)).toEqual(['Completed', 'SuccessThresholdExceed'])
    expect(completedReason(two.status)).toBe('StatusCheckSuccessThresholdExceed')
    expect(two.status).toMatchObject({ completionTime: new Date(at(2.01)).toISOString(), count: 2, chaoscope: { phase: 'Succeeded' } })
    expect(two.events.map((e) => `${e.type} ${e.reason}: ${e.message}`)).toEqual([
      'Normal StatusCheckExecutionSucceed: HTTP execution of status check succeed',
      'Normal StatusCheckSuccessThresholdExceed: success threshold exceed',
      'Normal StatusCheckCompleted: status check completed: StatusCheckSuccessThresholdExceed',
    ])
    const transition = two.status.conditions!.find((c) => c.type === 'Completed')!
    expect(transition.lastTransitionTime).toBe(new Date(at(2.01)).toISOString())
  })

  it('a failure between successes resets the run', () => {
    const d = decideStatusCheck({ status: started([S, F]), settings: sync, now: at(3.01), probe: { startedAt: at(3), outcome: S } })
    expect(d.completed).toBe(false)
    expect(d.status.chaoscope?.streak).toEqual({ outcome: S, count: 1 })
  })

  it('failureThreshold consecutive failures complete it as Failed, with the failure message', () => {
    const d = decideStatusCheck({ status: started([S, F, F]), settings: sync, now: at(4.2), probe: { startedAt: at(4), outcome: F, message: 'unexpected status code: 503' } })
    expect(d.completed).toBe(true)
    expect(trueOnes(d.status)).toEqual(['Completed', 'FailureThresholdExceed'])
    expect(completedReason(d.status)).toBe('StatusCheckFailureThresholdExceed')
    expect(d.status.chaoscope).toMatchObject({ phase: 'Failed', lastFailure: 'unexpected status code: 503' })
    expect(d.events.map((e) => `${e.type} ${e.reason}: ${e.message}`)).toEqual([
      'Warning StatusCheckExecutionFailed: HTTP execution of status check failed: unexpected status code: 503',
      'Warning StatusCheckFailureThresholdExceed: failure threshold exceed',
      'Normal StatusCheckCompleted: status check completed: StatusCheckFailureThresholdExceed',
    ])
  })

  it('Continuous does not complete on successes (SuccessThresholdExceed is still reported), but does on failures', () => {
    const ok = decideStatusCheck({ status: started([S]), settings: cont, now: at(2.01), probe: { startedAt: at(2), outcome: S } })
    expect(ok.completed).toBe(false)
    expect(trueOnes(ok.status)).toEqual(['SuccessThresholdExceed'])
    expect(ok.nextProbeAt).toBe(at(3))
    const bad = decideStatusCheck({ status: started([F, F]), settings: cont, now: at(3.01), probe: { startedAt: at(3), outcome: F } })
    expect(completedReason(bad.status)).toBe('StatusCheckFailureThresholdExceed')
  })

  it('the duration (from startTime) completes it at its end, stamped with the end; no probe is due at or after it', () => {
    const near = decideStatusCheck({ status: started([S, S, S, S, S, S, S, S]), settings: cont, now: at(9.01), probe: { startedAt: at(9), outcome: S } })
    expect(near).toMatchObject({ completed: false, deadline: at(10) })
    expect(near.nextProbeAt).toBeUndefined() // the 10 s tick is the end
    const late = decideStatusCheck({ status: near.status, settings: cont, now: at(12) })
    expect(late).toMatchObject({ completed: true, write: true })
    expect(trueOnes(late.status)).toEqual(['Completed', 'DurationExceed', 'SuccessThresholdExceed'])
    expect(completedReason(late.status)).toBe('StatusCheckDurationExceed')
    expect(late.status.completionTime).toBe(iso(10))
    expect(late.status.chaoscope?.phase).toBe('Succeeded')
    expect(late.events.map((e) => [e.reason, e.at])).toEqual([
      ['StatusCheckDurationExceed', at(10)],
      ['StatusCheckCompleted', at(10)],
    ])
  })

  it('a probe that comes back after the end is thrown away', () => {
    const d = decideStatusCheck({ status: started([S]), settings: cont, now: at(10.5), probe: { startedAt: at(9.9), outcome: F } })
    expect(d.status.records).toHaveLength(1)
    expect(d.status.count).toBe(1)
    expect(completedReason(d.status)).toBe('StatusCheckDurationExceed')
  })

  it('DurationExceed wins over a failure threshold reached at the same time (Chaos Mesh order)', () => {
    const d = decideStatusCheck({ status: started([F, F, F]), settings: { ...cont, failureThreshold: 3 }, now: at(10) })
    expect(completedReason(d.status)).toBe('StatusCheckDurationExceed')
    expect(trueOnes(d.status)).toEqual(['Completed', 'DurationExceed', 'FailureThresholdExceed'])
    expect(phaseOfStatus(d.status)).toBe('Failed')
  })

  it('records are kept under recordsHistoryLimit while count goes on; the run is counted past the limit', () => {
    const settings = { ...sync, recordsHistoryLimit: 2, failureThreshold: 3 }
    let s = decideStatusCheck({ status: {}, settings, now: at(0) }).status
    for (const k of [1, 2]) s = decideStatusCheck({ status: s, settings, now: at(k + 0.01), probe: { startedAt: at(k), outcome: F } }).status
    expect(s.records).toEqual([{ startTime: iso(1), outcome: F }, { startTime: iso(2), outcome: F }])
    const d = decideStatusCheck({ status: s, settings, now: at(3.01), probe: { startedAt: at(3), outcome: F } })
    expect(d.status.records).toEqual([{ startTime: iso(2), outcome: F }, { startTime: iso(3), outcome: F }])
    expect(d.status.count).toBe(3)
    expect(completedReason(d.status)).toBe('StatusCheckFailureThresholdExceed') // 3 failures though 2 are kept
  })

  it('a completed status is left as it is, probe or not', () => {
    const done = decideStatusCheck({ status: started([S]), settings: { ...sync, successThreshold: 1 }, now: at(1.5) }).status
    expect(done.chaoscope?.phase).toBe('Succeeded')
    const d = decideStatusCheck({ status: done, settings: sync, now: at(5), probe: { startedAt: at(4), outcome: F } })
    expect(d).toEqual({ status: done, write: false, events: [], completed: true })
  })

  it('a restarted controller resumes from the stored records: next tick on the grid, or one at once', () => {
    const stored = started([S, F])
    expect(decideStatusCheck({ status: stored, settings: { ...sync, intervalMs: 10_000 }, now: at(2.5) }).nextProbeAt).toBe(at(10))
    expect(decideStatusCheck({ status: stored, settings: sync, now: at(60) }).nextProbeAt).toBe(at(60))
  })
})
