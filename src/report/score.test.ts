/** The resilience score: probe success weighted per probe, 0 when nothing was tested; the history's trend. */
import { describe, expect, it } from 'vitest'
import { hypothesisChecks, isoOf, runScore, runSummary, scoreHistory } from './score.js'
import type { ActivityRun, Journal } from '../verdict/types.js'

const probe = (name: string, met: boolean, ran = true): ActivityRun => ({
  activity: { type: 'probe', name, provider: { type: 'http', url: 'http://x' } } as ActivityRun['activity'],
  output: null, start: '2026-12-04T10:00:00.100000', status: ran ? 'succeeded' : 'failed', tolerance_met: met,
  chaoscope: { observed: met ? '200' : '503', expected: '200' },
})

function journal(phases: { before: ActivityRun[]; during?: ActivityRun[][]; after?: ActivityRun[] }, extra: Partial<Journal> = {}): Journal {
  const ss = (probes: ActivityRun[]) => ({ steady_state_met: probes.every((p) => p.tolerance_met), probes })
  return {
    'chaoslib-version': '1.44.0', platform: 'linux', node: 'n',
    experiment: { title: 'front survives a slow back', description: '', 'steady-state-hypothesis': { title: 'h', probes: [{ name: 'front-ok' }, { name: 'fast-enough' }] }, method: [] } as unknown as Journal['experiment'],
    start: '2026-12-04T10:00:00.000000', end: '2026-12-04T10:01:00.000000', status: 'completed', deviated: false,
    steady_states: { before: ss(phases.before), during: (phases.during ?? []).map(ss), after: phases.after ? ss(phases.after) : null },
    run: [], rollbacks: [], ...extra,
  }
}

describe('runScore', () => {
  it('is 100 when every check of every probe passed', () => {
    const j = journal({ before: [probe('front-ok', true), probe('fast-enough', true)], after: [probe('front-ok', true), probe('fast-enough', true)] })
    const s = runScore(hypothesisChecks(j))
    expect(s.value).toBe(100)
    expect(s.inputs).toEqual([{ probe: 'front-ok', weight: 1, checks: 2, passed: 2 }, { probe: 'fast-enough', weight: 1, checks: 2, passed: 2 }])
  })

  it('weighs each probe alike, counting a probe the hypothesis did not reach as missed', () => {
    // during: front-ok passed twice of three, fast-enough once of three (and not reached once)
    const j = journal({
      before: [probe('front-ok', true), probe('fast-enough', true)],
      during: [[probe('front-ok', true), probe('fast-enough', false)], [probe('front-ok', false)]],
      after: [probe('front-ok', true), probe('fast-enough', true)],
    }, { deviated: false })
    const checks = hypothesisChecks(j)
    expect(checks[2]!.probes[1]).toMatchObject({ name: 'fast-enough', met: false, observed: 'not reached' })
    // front-ok 3/4, fast-enough 2/4: (0.75 + 0.5) / 2
    expect(runScore(checks).value).toBe(62.5)
  })

  it('is 0 when the steady state did not hold before the method (nothing was tested)', () => {
    const j = journal({ before: [probe('front-ok', false)] })
    const r = runSummary(j, 'e')
    expect(r.verdict).toBe('not-tested')
    expect(r.score.value).toBe(0)
  })

  it('gives the verdict Chaos Toolkit would', () => {
    expect(runSummary(journal({ before: [probe('front-ok', true), probe('fast-enough', true)] }), 'e').verdict).toBe('passed')
    expect(runSummary(journal({ before: [probe('front-ok', true), probe('fast-enough', true)] }, { deviated: true }), 'e').verdict).toBe('deviated')
    expect(runSummary(journal({ before: [probe('front-ok', true, false)] }, { status: 'failed' }), 'e').verdict).toBe('failed')
  })

  it('says deviated during the method when a check during it missed, though the journal (as Chaos Toolkit\'s) is not deviated', () => {
    const ok = [probe('front-ok', true), probe('fast-enough', true)]
    const j = journal({ before: ok, during: [ok, [probe('front-ok', true), probe('fast-enough', false)], ok], after: ok })
    expect(j.deviated).toBe(false)
    expect(runSummary(j, 'e').verdict).toBe('deviated-during')
    expect(runSummary(journal({ before: ok, during: [ok, ok], after: ok }), 'e').verdict).toBe('passed')
  })
})

describe('scoreHistory', () => {
  it('lists the runs of each experiment in time order, with the mean and the trend', () => {
    const run = (end: string, score: number) => ({ ...runSummary(journal({ before: [probe('front-ok', true)] }), 'exp'), endedAt: end, score: { value: score, formula: '', inputs: [] } })
    const [h] = scoreHistory([run('2026-12-04T12:00:00.000Z', 80), run('2026-12-04T10:00:00.000Z', 50), run('2026-12-04T11:00:00.000Z', 60)])
    expect(h!.runs.map((r) => r.score)).toEqual([50, 60, 80])
    expect(h!.mean).toBe(63.3)
    expect(h!.trend).toBe(20)
  })
})

describe('isoOf', () => {
  it('reads Chaos Toolkit\'s zone-less times as UTC', () => {
    expect(isoOf('2026-12-04T10:00:00.123456')).toBe('2026-12-04T10:00:00.123Z')
    expect(isoOf('2026-12-04T11:00:00+01:00')).toBe('2026-12-04T10:00:00.000Z')
  })
})
