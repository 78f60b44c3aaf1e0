/**
 * The report's data from recorded signals: histogram quantiles as Prometheus computes them, the fault window's
 * effect on the edge it targeted (and not on the others), time to recover, per-service impact, the picked trace.
 */
import { describe, expect, it } from 'vitest'
import { LATENCY_BOUNDS_MS } from '../wire/histogram.js'
import { buildReport, pickTrace, quantile } from './build.js'
import type { ExemplarRow, SignalRow } from '../store/store.js'
import type { FaultWindow } from './types.js'

const T0 = Date.parse('2026-12-04T10:00:00.000Z')
const bounds = [...LATENCY_BOUNDS_MS]

/** One second of `n` requests of ~`ms` latency (all in one bucket) on an edge, `errors` of them 5xx. */
function row(source: string, destination: string, sec: number, n: number, ms: number, errors = 0): SignalRow {
  const counts = new Array<number>(bounds.length + 1).fill(0)
  const i = bounds.findIndex((b) => ms <= b)
  counts[i === -1 ? bounds.length : i] = n
  return { sidecar: `${source}>${destination}`, t: T0 + sec * 1000, stepMs: 1000, source, destination, requests: { '2xx': n - errors, ...(errors ? { '5xx': errors } : {}) }, bounds, counts, sumMs: n * ms }
}

const fault: FaultWindow = {
  id: 'NetworkChaos/default/slow-back#1', experiment: { kind: 'NetworkChaos', namespace: 'default', name: 'slow-back' }, action: 'delay',
  targets: ['back-1'], services: ['back'], start: new Date(T0 + 60_000).toISOString(), end: new Date(T0 + 80_000).toISOString(),
}

/** 120 s: back is 4 ms, then 180 ms during 60-80 s, then 120 ms for 3 s more, then 4 ms; front→cart stays 4 ms. */
function scenario(): SignalRow[] {
  const rows: SignalRow[] = []
  for (let s = 0; s < 120; s++) {
    const slow = s >= 60 && s < 80 ? 180 : s >= 80 && s < 83 ? 120 : 4
    rows.push(row('front', 'back', s, 20, slow), row('ingress', 'back', s, 20, slow), row('front', 'cart', s, 10, 4))
  }
  return rows
}

describe('quantile', () => {
  it('interpolates within the bucket, as histogram_quantile does', () => {
    // 100 observations in (10, 25]: the median is half way through the bucket
    expect(quantile([10, 25, 50], [0, 100, 0, 0], 0.5)).toBe(17.5)
    expect(quantile([10, 25, 50], [50, 50, 0, 0], 0.99)).toBeCloseTo(24.7, 5)
    // the +Inf bucket answers with the largest finite bound
    expect(quantile([10, 25, 50], [0, 0, 0, 5], 0.5)).toBe(50)
    expect(quantile([10], [0, 0], 0.5)).toBeNull()
  })
})

describe('buildReport', () => {
  const data = buildReport({ from: T0, to: T0 + 120_000, signals: scenario(), exemplars: [], faults: [fault], runs: [], now: T0 + 121_000 })

  it('charts the faulted edge as affected, and the untouched edge as not', () => {
    const back = data.edges.find((e) => e.id === 'front→back')!
    const cart = data.edges.find((e) => e.id === 'front→cart')!
    expect(back.affected).toBe(true)
    expect(cart.affected).toBe(false)
    expect(back.points).toHaveLength(120)
    expect(back.points[30]!.p99Ms).toBeLessThan(5)
    expect(back.points[70]!.p99Ms).toBeGreaterThan(150)
    expect(back.points[30]!.rps).toBe(20)
    expect(back.baseline!.p99Ms).toBeLessThan(5)
    expect(back.tolerance!.p99Ms).toBeGreaterThanOrEqual(back.baseline!.p99Ms! + 10)
  })

  it('says when the edge was back within tolerance after the fault ended', () => {
    const back = data.edges.find((e) => e.id === 'front→back')!
    expect(back.recovery).toEqual([{ faultId: fault.id, faultEnd: fault.end, recoveredAt: new Date(T0 + 83_000).toISOString(), secondsToRecover: 3, trafficAfter: true }])
    const svc = data.services.find((s) => s.service === 'back')!
    expect(svc.affected).toBe(true)
    expect(svc.secondsToRecover).toBe(3)
    // a service's numbers are its ingress traffic only (not the caller's egress hop as well)
    expect(svc.requests).toBe(20 * 120)
    expect(svc.before.p99Ms).toBeLessThan(5)
    expect(svc.during.p99Ms).toBeGreaterThan(150)
    expect(data.services[0]!.service).toBe('back')
  })

  it('says the recovery is unknown, not never, when no traffic followed the fault', () => {
    const until79 = scenario().filter((r) => r.t < T0 + 79_000)
    const r = buildReport({ from: T0, to: T0 + 120_000, signals: until79, exemplars: [], faults: [fault], runs: [] })
    const back = r.edges.find((e) => e.id === 'front→back')!
    expect(back.recovery[0]).toMatchObject({ recoveredAt: null, secondsToRecover: null, trafficAfter: false })
    expect(r.services.find((s) => s.service === 'back')).toMatchObject({ secondsToRecover: null, recoveryUnknown: true })
    expect(r.notes.join(' ')).toMatch(/no traffic after the fault ended/)
    // slow until the end of the range: that is never
    const slowToEnd = scenario().map((x) => (x.t >= T0 + 80_000 && x.destination === 'back' ? row(x.source, x.destination, (x.t - T0) / 1000, 20, 180) : x))
    const never = buildReport({ from: T0, to: T0 + 120_000, signals: slowToEnd, exemplars: [], faults: [fault], runs: [] })
    expect(never.edges.find((e) => e.id === 'front→back')!.recovery[0]).toMatchObject({ secondsToRecover: null, trafficAfter: true })
    expect(never.services.find((s) => s.service === 'back')).toMatchObject({ secondsToRecover: null, recoveryUnknown: false })
  })

  it('counts errors into the error rate and notes what is missing', () => {
    const r = buildReport({ from: T0, to: T0 + 10_000, signals: [row('ingress', 'api', 1, 10, 4, 4)], exemplars: [], faults: [], runs: [] })
    expect(r.edges[0]!.points[1]!.errorRate).toBe(0.4)
    expect(r.edges[0]!.points[0]!.errorRate).toBeNull()
    expect(r.notes.join(' ')).toMatch(/no fault was active/)
    expect(r.notes.join(' ')).toMatch(/no request trace/)
    const empty = buildReport({ from: T0, to: T0 + 10_000, signals: [], exemplars: [], faults: [], runs: [] })
    expect(empty.notes.join(' ')).toMatch(/no sidecar carried an HTTP request/)
  })

  it('uses coarser steps for long ranges (at most 900 points)', () => {
    const r = buildReport({ from: T0, to: T0 + 6 * 3_600_000, signals: [row('ingress', 'api', 5, 10, 4)], exemplars: [], faults: [], runs: [] })
    expect(r.stepSeconds).toBe(24)
    expect(r.edges[0]!.points.length).toBeLessThanOrEqual(900)
    expect(r.edges[0]!.points[0]!.rps).toBeCloseTo(10 / 24, 2)
  })
})

describe('pickTrace', () => {
  const span = (trace: string, id: string, parent: string | null, t: number, d: number, status: number, faults: string[] = []): ExemplarRow => ({
    traceId: trace, spanId: id, parentSpanId: parent, t, durationMs: d, sidecar: `sc-${id}`, source: 'a', destination: 'b', method: 'GET', path: '/', status, faults,
  })
  it('prefers a failing request, the one with most hops, with offsets from its first span', () => {
    const spans = [span('slow', 'x', null, T0, 900, 200), span('bad', 'a', null, T0 + 10, 300, 503), span('bad', 'b', 'a', T0 + 12, 290, 503, ['f1'])]
    const t = pickTrace(spans)!
    expect(t.why).toBe('failed')
    expect(t.traceId).toBe('bad')
    expect(t.spans.map((s) => [s.spanId, s.parentSpanId, s.startOffsetMs, s.faults])).toEqual([['a', null, 0, []], ['b', 'a', 2, ['f1']]])
  })
  it('else the slowest', () => {
    expect(pickTrace([span('fast', 'a', null, T0, 5, 200), span('slow', 'b', null, T0, 50, 200)])!.traceId).toBe('slow')
    expect(pickTrace([])).toBeNull()
  })
})
