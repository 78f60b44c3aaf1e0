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

describe('time to recover, as a user reads it', () => {
  const win = (id: string, services: string[], start: number, end: number | null, uid = id): FaultWindow => ({
    id, experiment: { kind: 'NetworkChaos', namespace: 'default', name: id, uid }, action: 'delay', targets: [], services, start: new Date(T0 + start * 1000).toISOString(), end: end === null ? null : new Date(T0 + end * 1000).toISOString(),
  })
  /** 120 s of 10 requests a second into `svc`, `bad(s)` seconds failing half of them. */
  const traffic = (svc: string, bad: (s: number) => boolean) => Array.from({ length: 120 }, (_, s) => row('ingress', svc, s, 10, 4, bad(s) ? 5 : 0))

  it('is measured only against the faults that touched the edge: a later fault elsewhere does not make it never', () => {
    const r = buildReport({
      from: T0, to: T0 + 120_000, exemplars: [], runs: [],
      signals: [...traffic('a', (s) => s >= 60 && s < 75), ...traffic('b', (s) => s >= 72 && s < 90)],
      faults: [win('A', ['a'], 60, 70), win('B', ['b'], 72, 85)],
    })
    const a = r.edges.find((e) => e.id === 'ingress→a')!
    expect(a.recovery.map((x) => [x.faultId, x.secondsToRecover])).toEqual([['A', 5]])
    expect(r.services.find((x) => x.service === 'a')!.secondsToRecover).toBe(5)
    expect(r.edges.find((e) => e.id === 'ingress→b')!.recovery.map((x) => [x.faultId, x.secondsToRecover])).toEqual([['B', 5]])
  })

  it('needs several good seconds in a row: one good second between bad ones is not a recovery', () => {
    const r = buildReport({ from: T0, to: T0 + 120_000, exemplars: [], runs: [], signals: traffic('a', (s) => s >= 60 && s < 90 && s !== 70), faults: [win('A', ['a'], 60, 70)] })
    expect(r.edges[0]!.recovery[0]!.secondsToRecover).toBe(20)
  })

  it('a one-shot fault (an instant) is watched after it acts: its damage is "during", its recovery from the kill', () => {
    const kill = { ...win('K', ['a'], 60.5, 60.5), action: 'pod-kill' }
    const r = buildReport({ from: T0, to: T0 + 120_000, exemplars: [], runs: [], signals: traffic('a', (s) => s >= 61 && s < 71), faults: [kill] })
    expect(r.edges[0]!.recovery[0]!.secondsToRecover).toBe(10.5)
    const svc = r.services[0]!
    expect(svc.during.requests).toBeGreaterThan(0)
    expect(svc.during.errorRate).toBeGreaterThan(0.1)
    expect(svc.before.errorRate).toBe(0)
  })

  it('has no recovery for a fault that ends after the range, and knows no more than the range for one still active', () => {
    const r = buildReport({ from: T0, to: T0 + 80_000, exemplars: [], runs: [], signals: traffic('a', (s) => s >= 60), faults: [win('A', ['a'], 60, 100), win('B', ['a'], 65, null)] })
    expect(r.edges[0]!.affected).toBe(true)
    expect(r.edges[0]!.recovery).toEqual([])
    expect(r.notes.join(' ')).not.toMatch(/no traffic after/)
  })

  it('gives a cut-short last step its own rate, and spreads a row of a missed reading over its seconds', () => {
    const long = buildReport({ from: T0, to: T0 + 1_001_000, exemplars: [], runs: [], faults: [], signals: Array.from({ length: 1001 }, (_, s) => row('ingress', 'a', s, 10, 4)) })
    expect(long.stepSeconds).toBe(2)
    expect(long.edges[0]!.points.at(-1)!.rps).toBe(10)
    const gap = { ...row('ingress', 'a', 3, 30, 4), stepMs: 3000 }
    const r = buildReport({ from: T0, to: T0 + 10_000, exemplars: [], runs: [], faults: [], signals: [row('ingress', 'a', 2, 10, 4), gap, row('ingress', 'a', 6, 10, 4)] })
    expect(r.edges[0]!.points.map((p) => p.rps)).toEqual([0, 0, 10, 10, 10, 10, 10, 0, 0, 0])
    expect(r.notes.join(' ')).toMatch(/missed 2 s of the sidecars' readings/)
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
  it('else the slowest (not the one with most hops)', () => {
    expect(pickTrace([span('fast', 'a', null, T0, 5, 200), span('fast', 'a2', 'a', T0, 4, 200), span('slow', 'b', null, T0, 2500, 200)])!).toMatchObject({ traceId: 'slow', why: 'slowest' })
    expect(pickTrace([])).toBeNull()
  })
  it('names a hop\'s faults by the fault window of their experiment', () => {
    const w: FaultWindow = { ...fault, experiment: { ...fault.experiment, uid: 'u-123' }, start: new Date(T0 - 5000).toISOString(), end: new Date(T0 + 5000).toISOString() }
    const t = pickTrace([span('x', 'a', null, T0, 300, 200, ['chaoscope:u-123:back-1:delay@back-1', 'chaoscope:u-999:z'])], undefined, [w])!
    expect(t.spans[0]!.faults).toEqual([w.id, 'chaoscope:u-999:z'])
  })
})
