/**
 * @module verdict/junit: a journal as a JUnit XML report, for CI viewers (GitLab, Jenkins, GitHub test reporters):
 * one testsuite per hypothesis phase (before, each run during the method, after), one testcase per probe in it;
 * a probe that is not met is a <failure> with the observed and the expected value, one that errored an <error>, and
 * a probe the hypothesis never reached (an earlier one was not met) is <skipped>. Method and rollback activities
 * that failed are testcases of their own suites, so a broken action is not silent.
 */
import type { ActivityRun, ChaosToolkitActivity, Journal, SteadyState } from './types.js'

function esc(s: string): string {
  // XML 1.0 forbids most control characters even escaped: they are dropped
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

const probeName = (p: ChaosToolkitActivity): string => ('ref' in p && typeof p.ref === 'string' ? p.ref : String((p as { name?: unknown }).name ?? '?'))

interface Case {
  name: string
  time: number
  failure?: { message: string; body: string }
  error?: { message: string; body: string }
  skipped?: string
}

function caseOf(run: ActivityRun): Case {
  const c: Case = { name: run.activity.name, time: run.duration ?? 0 }
  if (run.status === 'failed') {
    const message = run.chaoscope?.error?.message ?? (run.exception ?? []).join('').trim() ?? 'failed'
    c.error = { message, body: (run.exception ?? [message]).join('') }
  } else if (run.tolerance_met === false) {
    const message = `observed ${run.chaoscope?.observed ?? JSON.stringify(run.output)}, expected ${run.chaoscope?.expected ?? JSON.stringify(run.activity.tolerance)}`
    c.failure = { message, body: `${message}\noutput: ${JSON.stringify(run.output, null, 2)}` }
  }
  return c
}

function hypothesisCases(state: SteadyState, probes: ChaosToolkitActivity[]): Case[] {
  const cases = state.probes.map(caseOf)
  for (const p of probes.slice(state.probes.length)) cases.push({ name: probeName(p), time: 0, skipped: 'not run: an earlier probe of the hypothesis was not met' })
  return cases
}

function suite(name: string, classname: string, cases: Case[], timestamp?: string): string {
  const failures = cases.filter((c) => c.failure).length
  const errors = cases.filter((c) => c.error).length
  const skipped = cases.filter((c) => c.skipped).length
  const time = cases.reduce((s, c) => s + c.time, 0)
  const body = cases
    .map((c) => {
      const open = `    <testcase classname="${esc(classname)}" name="${esc(c.name)}" time="${c.time.toFixed(3)}"`
      if (c.failure) return `${open}>\n      <failure message="${esc(c.failure.message)}" type="ToleranceNotMet">${esc(c.failure.body)}</failure>\n    </testcase>`
      if (c.error) return `${open}>\n      <error message="${esc(c.error.message)}" type="ActivityFailed">${esc(c.error.body)}</error>\n    </testcase>`
      if (c.skipped) return `${open}>\n      <skipped message="${esc(c.skipped)}"/>\n    </testcase>`
      return `${open}/>`
    })
    .join('\n')
  return `  <testsuite name="${esc(name)}" tests="${cases.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${time.toFixed(3)}"${timestamp ? ` timestamp="${esc(timestamp.replace(/(\.\d{3})\d*/, '$1').replace(/\+00:00$|Z$/, ''))}"` : ''}>\n${body}\n  </testsuite>`
}

/** The JUnit XML of a journal. */
export function junitXml(journal: Journal): string {
  const title = journal.experiment.title
  const probes = journal.experiment['steady-state-hypothesis']?.probes ?? []
  const suites: string[] = []
  const { before, after, during } = journal.steady_states
  if (before) suites.push(suite(`${title}: steady state before the method`, 'steady-state.before', hypothesisCases(before, probes), before.probes[0]?.start))
  during.forEach((s, i) => suites.push(suite(`${title}: steady state during the method #${i + 1}`, `steady-state.during.${i + 1}`, hypothesisCases(s, probes), s.probes[0]?.start)))
  if (after) suites.push(suite(`${title}: steady state after the method`, 'steady-state.after', hypothesisCases(after, probes), after.probes[0]?.start))
  if (journal.run.length > 0) suites.push(suite(`${title}: method`, 'method', journal.run.map(caseOf), journal.run[0]?.start))
  if (journal.rollbacks.length > 0) suites.push(suite(`${title}: rollbacks`, 'rollbacks', journal.rollbacks.map(caseOf), journal.rollbacks[0]?.start))
  const count = (re: RegExp) => suites.reduce((n, s) => n + Number(re.exec(s)?.[1] ?? 0), 0)
  const tests = count(/tests="(\d+)"/)
  const failures = count(/failures="(\d+)"/)
  const errors = count(/errors="(\d+)"/)
  const verdict = journal.deviated ? 'deviated' : journal.status
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${esc(`${title} (${verdict})`)}" tests="${tests}" failures="${failures}" errors="${errors}" time="${(journal.duration ?? 0).toFixed(3)}">\n${suites.join('\n')}\n</testsuites>\n`
}
