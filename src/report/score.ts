/**
 * @module report/score: the resilience score of a run, and across runs of one experiment.
 *
 * In the spirit of Litmus's probe-success weighting: each probe of the steady-state hypothesis has a weight (1;
 * Litmus weighs experiments alike by default) and a success rate, the share of its checks (before the method, each
 * check during it, after it) that ran and met the tolerance. A probe the hypothesis did not reach in a phase
 * (an earlier probe of that phase missed) counts as a missed check there: the steady state was not shown.
 *
 *   score = 100 × Σ(weight × passed / checks) / Σ weight
 *
 * A run whose steady state did not hold before the method tested nothing and scores 0. Across runs of one
 * experiment, the history gives every score, their mean and the trend (the latest minus the one before it).
 */
import type { ActivityRun, Journal, SteadyState } from '../verdict/types.js'
import type { HypothesisCheck, RunSummary, Score, ScoreHistory } from './types.js'

export const SCORE_FORMULA = 'score = 100 × Σ(weight × passed ÷ checks) ÷ Σ weight, over the hypothesis probes (weight 1 each); 0 when the steady state did not hold before the method'

type ProbeDef = { name?: unknown; ref?: unknown }
const nameOf = (p: ProbeDef): string => (typeof p.ref === 'string' ? p.ref : String(p.name ?? '?'))

/** The probes the hypothesis declares, in order. */
function declaredProbes(journal: Journal): string[] {
  const h = (journal.experiment as { 'steady-state-hypothesis'?: { probes?: ProbeDef[] } })['steady-state-hypothesis']
  return (h?.probes ?? []).map(nameOf)
}

const passed = (r: ActivityRun) => r.status === 'succeeded' && r.tolerance_met === true

/** The hypothesis checks of a journal, phase by phase, with every declared probe (unreached ones as missed). */
export function hypothesisChecks(journal: Journal): HypothesisCheck[] {
  const probes = declaredProbes(journal)
  const one = (phase: HypothesisCheck['phase'], s: SteadyState): HypothesisCheck => {
    const ran = new Map(s.probes.map((p) => [nameOf(p.activity as ProbeDef), p]))
    const names = probes.length > 0 ? probes : [...ran.keys()]
    const at = s.probes[0]?.start ?? journal.start
    return {
      phase,
      at: isoOf(at),
      met: s.steady_state_met === true,
      probes: names.map((name) => {
        const r = ran.get(name)
        return {
          name,
          met: r ? passed(r) : false,
          ran: r ? r.status === 'succeeded' : false,
          observed: r?.chaoscope?.observed ?? (r ? null : 'not reached'),
          expected: r?.chaoscope?.expected ?? null,
        }
      }),
    }
  }
  const out: HypothesisCheck[] = []
  const ss = journal.steady_states
  if (ss.before) out.push(one('before', ss.before))
  for (const d of ss.during) out.push(one('during', d))
  if (ss.after) out.push(one('after', ss.after))
  return out
}

/** The score of one run from its checks. */
export function runScore(checks: HypothesisCheck[]): Score {
  const by = new Map<string, { checks: number; passed: number }>()
  for (const c of checks) {
    for (const p of c.probes) {
      const s = by.get(p.name) ?? { checks: 0, passed: 0 }
      s.checks++
      if (p.met) s.passed++
      by.set(p.name, s)
    }
  }
  const inputs = [...by].map(([probe, s]) => ({ probe, weight: 1, ...s }))
  const before = checks.find((c) => c.phase === 'before')
  const weights = inputs.reduce((a, i) => a + i.weight, 0)
  let value = weights === 0 ? 0 : (100 * inputs.reduce((a, i) => a + (i.weight * i.passed) / i.checks, 0)) / weights
  if (before && !before.met) value = 0
  return { value: Math.round(value * 10) / 10, formula: SCORE_FORMULA, inputs }
}

/** A journal as a report's run: checks, verdict and score. */
export function runSummary(journal: Journal, experiment: string): RunSummary {
  const hypothesis = hypothesisChecks(journal)
  const before = hypothesis.find((c) => c.phase === 'before')
  const status = journal.status ?? 'interrupted'
  let verdict: RunSummary['verdict']
  if (status === 'failed' || status === 'aborted' || status === 'interrupted') verdict = status
  else if (before && !before.met) verdict = 'not-tested'
  else if (journal.deviated) verdict = 'deviated'
  // Chaos Toolkit's journal deviates only after the method; a check during it that missed is shown as such
  else verdict = hypothesis.some((c) => c.phase === 'during' && !c.met) ? 'deviated-during' : 'passed'
  return {
    title: journal.experiment.title,
    experiment,
    startedAt: isoOf(journal.start),
    endedAt: isoOf(journal.end ?? journal.start),
    status,
    deviated: journal.deviated,
    verdict,
    hypothesis,
    score: runScore(hypothesis),
  }
}

/** Each experiment's scores in the order its runs ended. */
export function scoreHistory(runs: RunSummary[]): ScoreHistory[] {
  const by = new Map<string, RunSummary[]>()
  for (const r of runs) by.set(r.experiment, [...(by.get(r.experiment) ?? []), r])
  return [...by].map(([experiment, rs]) => {
    const sorted = [...rs].sort((a, b) => a.endedAt.localeCompare(b.endedAt))
    const scores = sorted.map((r) => r.score.value)
    const mean = scores.reduce((a, b) => a + b, 0) / scores.length
    return {
      experiment,
      runs: sorted.map((r) => ({ at: r.endedAt, score: r.score.value, verdict: r.verdict })),
      mean: Math.round(mean * 10) / 10,
      trend: scores.length < 2 ? null : Math.round((scores[scores.length - 1]! - scores[scores.length - 2]!) * 10) / 10,
    }
  })
}

/** Chaos Toolkit writes local times without a zone (`2026-12-04T21:15:42.123456`): they are UTC in its journals. */
export function isoOf(t: string): string {
  const zoned = /([zZ]|[+-]\d\d:?\d\d)$/.test(t) ? t : `${t}Z`
  const ms = Date.parse(zoned)
  return Number.isNaN(ms) ? t : new Date(ms).toISOString()
}
