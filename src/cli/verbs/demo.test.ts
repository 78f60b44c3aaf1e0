/**
 * `chaoscope demo`'s own arithmetic: --fast's durations, a workflow's steps and their verdicts from the checks of
 * the hypothesis, and a scenario's time to recover read from the report.
 */
import { describe, expect, it } from 'vitest'
import type { FaultWindow, Journal, ReportData, SteadyState } from '../../index.js'
import { demo, madeByTemplate, scaledDuration, scaledExperiment, stepOutcomes, timeToRecover, workflowSteps } from './demo.js'

describe('--fast', () => {
  it('scales Go durations to whole seconds, never below one', () => {
    expect(scaledDuration('20s', 0.3)).toBe('6s')
    expect(scaledDuration('1m', 0.3)).toBe('18s')
    expect(scaledDuration('500ms', 0.3)).toBe('1s')
    expect(scaledDuration('nonsense', 0.3)).toBe('nonsense')
  })

  it('scales the duration and every SLO window, and leaves the thresholds and faults alone', () => {
    const doc = { kind: 'Experiment', spec: { duration: '20s', hypothesis: [{ service: 'frontend', window: '10s', latency: { p99: '500ms' } }, { http: { url: 'http://x/' } }], faults: [{ kind: 'PodChaos', metadata: { name: 'kill' } }] } }
    expect(scaledExperiment(doc, 0.3)).toEqual({ kind: 'Experiment', spec: { duration: '6s', hypothesis: [{ service: 'frontend', window: '3s', latency: { p99: '500ms' } }, { http: { url: 'http://x/' } }], faults: [{ kind: 'PodChaos', metadata: { name: 'kill' } }] } })
  })

  it('scales a workflow\'s deadlines, keeps 12 s of calm in each Suspend, and leaves the duration and the Serial room for them and each node\'s start', () => {
    const doc = { spec: { duration: '60s', faults: [{ kind: 'Workflow', metadata: { name: 'wf' }, spec: { entry: 's', templates: [
      { name: 's', templateType: 'Serial', deadline: '2m', children: ['kill', 'calm'] },
      { name: 'kill', templateType: 'PodChaos', deadline: '20s' },
      { name: 'calm', templateType: 'Suspend', deadline: '15s' },
    ] } }] } }
    const scaled = scaledExperiment(doc, 0.3)
    // 7 s more calm (12 s where 5 s was scaled) + 2 × 1 s for the nodes to start: 9 s more for the Serial and the run
    expect(scaled.spec.faults[0]!.spec!.templates!.map((t) => t.deadline)).toEqual(['45s', '6s', '12s'])
    expect(scaled.spec.duration).toBe('27s')
  })
})

describe('a workflow\'s steps', () => {
  it('are its chaos templates in the order it reaches them from its entry', () => {
    const wf = { kind: 'Workflow', spec: { entry: 'all', templates: [
      { name: 'ad', templateType: 'HTTPChaos' },
      { name: 'all', templateType: 'Serial', children: ['kill', 'pause', 'both', 'unused-is-not-a-child'] },
      { name: 'both', templateType: 'Parallel', children: ['cpu', 'ad'] },
      { name: 'cpu', templateType: 'StressChaos' },
      { name: 'kill', templateType: 'PodChaos' },
      { name: 'pause', templateType: 'Suspend', deadline: '5s' },
      { name: 'never', templateType: 'NetworkChaos' },
    ] } }
    expect(workflowSteps(wf)).toEqual([{ template: 'kill', kind: 'PodChaos' }, { template: 'cpu', kind: 'StressChaos' }, { template: 'ad', kind: 'HTTPChaos' }])
  })

  it('own the chaos their nodes make, named <template>-xxxxx-xxxxx', () => {
    expect(madeByTemplate('ad-errors-b4x9z-2kq7m', 'ad-errors')).toBe(true)
    expect(madeByTemplate('ad-errors-b4x9z', 'ad-errors')).toBe(false)
    expect(madeByTemplate('ad-errors-more-b4x9z-2kq7m', 'ad-errors')).toBe(false)
    expect(madeByTemplate('ad-b4x9z-2kq7m', 'ad-errors')).toBe(false)
    // a long template: the node's prefix is cut to 58 characters, and the chaos's prefix too
    const long = 'x'.repeat(55)
    expect(madeByTemplate(`${long}-b4x`.slice(0, 58) + '2kq7m', long)).toBe(true)
    expect(madeByTemplate(`${'y'.repeat(58)}2kq7m`, 'y'.repeat(60))).toBe(true)
    expect(madeByTemplate(`${long}-b4x9z-2kq7m`, long)).toBe(false)
  })
})

describe('a step\'s verdict', () => {
  const T0 = Date.parse('2026-12-08T00:00:00Z')
  const at = (s: number) => new Date(T0 + s * 1000).toISOString()
  /** A check of the hypothesis at second `s`: met, or an error rate observed over its tolerance. */
  const check = (s: number, observed?: number): SteadyState => ({
    steady_state_met: observed === undefined,
    probes: [{ activity: { type: 'probe', name: 'frontend error rate <= 1%' } as never, output: observed ?? 0, start: at(s), status: 'succeeded', tolerance_met: observed === undefined, ...(observed !== undefined ? { chaoscope: { observed: String(observed), expected: 'between 0 and 0.01' } } : {}) }],
  })
  const journal = (states: { before?: SteadyState; during: SteadyState[]; after?: SteadyState }, status = 'completed') =>
    ({ status, deviated: false, steady_states: { before: states.before ?? null, during: states.during, after: states.after ?? null }, run: [], rollbacks: [] }) as unknown as Journal
  const window = (name: string, start: number, end: number): FaultWindow => ({ id: `${name}#1`, experiment: { kind: 'PodChaos', namespace: 'default', name }, action: null, targets: [], services: [], start: at(start), end: at(end) })
  const steps = [{ template: 'kill', kind: 'PodChaos' }, { template: 'slow', kind: 'NetworkChaos' }]
  const windows = [window('kill-aaaaa-bbbbb', 10, 10), window('slow-ccccc-ddddd', 30, 50)]

  it('holds when every check from its fault\'s start to the next step\'s start met the hypothesis; the next step owns the rest', () => {
    const out = stepOutcomes(journal({ before: check(0), during: [check(5), check(15), check(25), check(35, 0.4), check(45, 0.9), check(55)], after: check(60) }), steps, windows)
    expect(out.map((o) => [o.title, o.verdict, o.exit, o.faults])).toEqual([
      ['kill (PodChaos)', 'held (2 checks)', 0, ['kill-aaaaa-bbbbb']],
      ['slow (NetworkChaos)', 'DEVIATED (2 of 4 checks)', 1, ['slow-ccccc-ddddd']],
    ])
    expect(out[1]!.why).toEqual(['frontend error rate <= 1%: observed 0.9, expected between 0 and 0.01 (the worst of 2 checks)'])
  })

  it('is not tested without a steady state before, not run when its fault never came, interrupted when the run was', () => {
    expect(stepOutcomes(journal({ before: check(0, 0.5), during: [] }), steps, []).map((o) => [o.verdict, o.injected])).toEqual([
      ['not tested (no steady state before the faults)', false], ['not tested (no steady state before the faults)', false],
    ])
    expect(stepOutcomes(journal({ before: check(0), during: [check(15)] }, 'interrupted'), steps, windows.slice(0, 1)).map((o) => o.verdict)).toEqual(['interrupted', 'not run (interrupted)'])
    expect(stepOutcomes(journal({ before: check(0), during: [check(15)] }), steps, windows.slice(0, 1)).map((o) => o.verdict)).toEqual(['held (1 check)', 'not run (its fault was never injected)'])
  })
})

describe('time to recover', () => {
  const fault = (id: string) => ({ id, experiment: { kind: 'PodChaos', namespace: 'default', name: id }, action: 'pod-kill', targets: [], services: [], start: '2026-12-07T00:00:00Z', end: '2026-12-07T00:00:00Z' })
  const edge = (affected: boolean, recovery: { faultId: string; secondsToRecover: number | null; trafficAfter: boolean }[]) => ({ id: 'a→b', source: 'a', destination: 'b', affected, points: [], baseline: null, tolerance: null, recovery: recovery.map((r) => ({ ...r, faultEnd: '', recoveredAt: null })) })
  const data = (edges: ReturnType<typeof edge>[]) => ({ faults: [fault('f1'), fault('f2')], edges }) as unknown as ReportData

  it('is the slowest affected edge of the faults named', () => {
    const d = data([edge(true, [{ faultId: 'f1', secondsToRecover: 3, trafficAfter: true }, { faultId: 'f2', secondsToRecover: 1, trafficAfter: true }]), edge(true, [{ faultId: 'f1', secondsToRecover: 7, trafficAfter: true }]), edge(false, [{ faultId: 'f1', secondsToRecover: 99, trafficAfter: true }])])
    expect(timeToRecover(d, ['f1'])).toBe('7 s')
    expect(timeToRecover(d, ['f2'])).toBe('1 s')
  })

  it('says never, unknown, or nothing to recover', () => {
    expect(timeToRecover(data([edge(true, [{ faultId: 'f1', secondsToRecover: null, trafficAfter: true }])]), ['f1'])).toMatch(/^never/)
    expect(timeToRecover(data([edge(true, [{ faultId: 'f1', secondsToRecover: null, trafficAfter: false }])]), ['f1'])).toMatch(/^unknown/)
    expect(timeToRecover(data([]), ['f1'])).toMatch(/^nothing to recover/)
    expect(timeToRecover(data([]), ['nope'])).toMatch(/^unknown/)
  })
})

describe('refused before anything starts', () => {
  const io = () => ({ out: () => {}, err: () => {}, exitCode: 0 })
  it('an unknown demo, a report of another format, a report in a directory that does not exist', async () => {
    await expect(demo('bank', { hostPorts: 'fixed' }, io())).rejects.toMatchObject({ code: 'CLI_USAGE', message: 'there is no demo "bank"' })
    await expect(demo('shop', { hostPorts: 'fixed', report: 'demo.pdf' }, io())).rejects.toMatchObject({ code: 'CLI_USAGE' })
    await expect(demo('shop', { hostPorts: 'fixed', report: '/nonexistent-dir/demo.html' }, io())).rejects.toMatchObject({ code: 'CLI_USAGE', message: expect.stringContaining('the directory /nonexistent-dir does not exist') })
    await expect(demo('chain', { hostPorts: 'ephemeral' }, io())).rejects.toMatchObject({ code: 'CLI_USAGE', message: expect.stringContaining('fixed host ports') })
  })
})
