/** `chaoscope demo`'s own arithmetic: --fast's durations, and a scenario's time to recover read from the report. */
import { describe, expect, it } from 'vitest'
import type { ReportData } from '../../index.js'
import { scaledDuration, scaledExperiment, timeToRecover } from './demo.js'

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
