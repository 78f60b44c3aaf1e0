/** The recorder: one row per busy http sidecar per step, from the difference of two snapshots of its counters. */
import { describe, expect, it } from 'vitest'
import { startRecorder, stepRows } from './recorder.js'
import type { SidecarCounters } from './recorder.js'
import type { ExemplarRow, SignalRow } from './store/store.js'

const bounds = [10, 100, 1000]
function sidecar(name: string, ok: number, errors: number, counts: number[], extra: Partial<SidecarCounters> = {}): SidecarCounters {
  return {
    name, mode: 'http', labels: { source: 'web', destination: name },
    requests: { '2xx': ok, '5xx': errors }, latency: { boundsMs: bounds, counts, sumMs: counts.reduce((a, b) => a + b, 0) * 5, count: counts.reduce((a, b) => a + b, 0) }, ...extra,
  }
}

describe('stepRows', () => {
  it('gives nothing for a sidecar seen the first time, then what its counters gained', () => {
    const first = stepRows(new Map(), [sidecar('api', 10, 0, [10, 0, 0, 0])], 1000)
    expect(first.rows).toEqual([])
    const second = stepRows(first.next, [sidecar('api', 15, 2, [13, 3, 1, 0])], 2000)
    expect(second.rows).toEqual([{ sidecar: 'api', t: 1000, stepMs: 1000, source: 'web', destination: 'api', requests: { '2xx': 5, '5xx': 2 }, bounds, counts: [3, 3, 1, 0], sumMs: 35 }])
  })

  it('skips idle sidecars and tcp ones, and counts a re-created sidecar from zero', () => {
    const a = stepRows(new Map(), [sidecar('api', 10, 0, [10, 0, 0, 0]), sidecar('db', 5, 0, [5, 0, 0, 0], { mode: 'tcp' })], 0)
    const idle = stepRows(a.next, [sidecar('api', 10, 0, [10, 0, 0, 0])], 1000)
    expect(idle.rows).toEqual([])
    const reset = stepRows(idle.next, [sidecar('api', 2, 0, [2, 0, 0, 0])], 2000)
    expect(reset.rows[0]?.requests).toEqual({ '2xx': 2 })
    expect(reset.rows[0]?.counts).toEqual([2, 0, 0, 0])
  })
})

describe('startRecorder', () => {
  it('writes signal rows and each exemplar span once, and survives a failed read', async () => {
    const signals: SignalRow[] = []
    const spans: ExemplarRow[] = []
    let n = 0
    let fail = false
    const ex = { traceId: 't1', spanId: 's1', start: 5, durationMs: 300, method: 'GET', path: '/', status: 503, faults: ['f1'] }
    let clock = 10_000
    const rec = startRecorder({
      everyMs: 3_600_000, // ticks are driven by hand below
      now: () => clock,
      read: async () => {
        if (fail) throw new Error('runtime restarting')
        n += 10
        return [sidecar('api', n, 0, [n, 0, 0, 0], { exemplars: [ex] })]
      },
      sink: { appendSignals: (r) => signals.push(...r), appendExemplars: (r) => spans.push(...r) },
    })
    await rec.tick()
    clock += 1000
    await rec.tick()
    fail = true
    clock += 1000
    await rec.tick()
    fail = false
    clock += 1000
    await rec.tick()
    await rec.stop()
    expect(signals.map((r) => [r.t, r.stepMs, r.requests['2xx']])).toEqual([[10_000, 1000, 10], [11_000, 2000, 10]])
    expect(spans).toHaveLength(1)
    expect(spans[0]).toMatchObject({ traceId: 't1', sidecar: 'api', source: 'web', destination: 'api', status: 503, faults: ['f1'], parentSpanId: null })
  })
})

describe('exemplars kept', () => {
  it('one trace a step, failing first, with every hop of it (also those read a step later)', async () => {
    const spans: ExemplarRow[] = []
    const ex = (trace: string, span: string, status: number, reason: 'failed' | 'fault' | 'slow', d = 10) => ({ traceId: trace, spanId: span, start: 1, durationMs: d, method: 'GET', path: '/', status, faults: [], reason })
    let round = 0
    const reads = [
      [ex('ok', 'a', 200, 'slow', 900), ex('bad', 'b', 503, 'failed'), ex('fault', 'c', 200, 'fault')],
      [ex('ok', 'a', 200, 'slow', 900), ex('bad', 'b', 503, 'failed'), ex('fault', 'c', 200, 'fault'), ex('bad', 'b2', 503, 'failed')],
    ]
    const rec = startRecorder({
      everyMs: 3_600_000,
      read: async () => [sidecar('api', 10 + round, 0, [10 + round, 0, 0, 0], { exemplars: reads[Math.min(round++, 1)] })],
      sink: { appendSignals: () => {}, appendExemplars: (r) => spans.push(...r) },
    })
    await rec.tick()
    await rec.tick()
    await rec.stop()
    expect(spans.map((s) => `${s.traceId}/${s.spanId}`)).toEqual(['bad/b', 'bad/b2'])
  })
})
