/**
 * Golden signals from sidecar counters: quantiles from cumulative buckets as Prometheus' histogram_quantile
 * gives them (hand-computed cases, and a known distribution bucketed as the sidecars bucket it), increases over a
 * window with resets and replaced sidecars, and the sampler's window (waiting for history it does not have yet).
 */
import { describe, expect, it } from 'vitest'
import { LATENCY_BOUNDS_MS } from '../../wire/histogram.js'
import type { SidecarSnapshot } from '../types.js'
import { SidecarSampler, goldenSignals, histogramQuantile, increaseOver } from './signals.js'
import type { Sample } from './signals.js'

const b = (pairs: [number, number][]) => pairs.map(([le, count]) => ({ le, count }))

describe('histogramQuantile', () => {
  // cumulative counts 50, 70, 110, 120 at 0.1, 0.2, 1, +Inf
  const positive = b([[0.1, 50], [0.2, 70], [1, 110], [Infinity, 120]])
  // with negative bounds: 10, 20, 20, 30 at -0.2, -0.1, 0.3, +Inf
  const negative = b([[-0.2, 10], [-0.1, 20], [0.3, 20], [Infinity, 30]])

  it('interpolates inside the bucket the rank falls in, the first bucket starting at 0', () => {
    expect(histogramQuantile(0, positive)).toBe(0)
    expect(histogramQuantile(0.2, positive)).toBeCloseTo(0.048, 10) // rank 24 of 50 in [0, 0.1]
    expect(histogramQuantile(0.5, positive)).toBeCloseTo(0.15, 10) // rank 60: 10 of 20 in [0.1, 0.2]
    expect(histogramQuantile(0.8, positive)).toBeCloseTo(0.72, 10) // rank 96: 26 of 40 in [0.2, 1]
  })

  it('gives the highest finite bound for a rank in the +Inf bucket, and the bound itself for a first bucket at or below 0', () => {
    expect(histogramQuantile(1, positive)).toBe(1)
    expect(histogramQuantile(0, negative)).toBe(-0.2)
    expect(histogramQuantile(0.5, negative)).toBeCloseTo(-0.15, 10)
    expect(histogramQuantile(0.8, negative)).toBe(0.3)
  })

  it('is NaN without observations or without a +Inf bucket, and infinite outside 0..1', () => {
    expect(histogramQuantile(0.5, b([[0.1, 0], [Infinity, 0]]))).toBeNaN()
    expect(histogramQuantile(0.5, b([[0.1, 3], [0.2, 5]]))).toBeNaN()
    expect(histogramQuantile(-0.1, positive)).toBe(-Infinity)
    expect(histogramQuantile(1.1, positive)).toBe(Infinity)
  })

  it('does not change the buckets it is given, and reads unsorted or non-monotonic ones as Prometheus does', () => {
    const given = b([[Infinity, 120], [0.2, 70], [0.1, 50], [1, 69]])
    expect(histogramQuantile(0.8, given)).toBeCloseTo(1, 10) // 1's count is raised to 70: rank 96 is in +Inf
    expect(given[3]!.count).toBe(69)
  })

  it('estimates a known distribution bucketed like the sidecars bucket it within the bucket width', () => {
    // 20 000 latencies uniform in [0, 100) ms, and 1% of them at 700 ms
    const counts = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0)
    const record = (ms: number) => counts[LATENCY_BOUNDS_MS.findIndex((x) => ms <= x) === -1 ? LATENCY_BOUNDS_MS.length : LATENCY_BOUNDS_MS.findIndex((x) => ms <= x)]!++
    for (let i = 0; i < 19_800; i++) record((i / 19_800) * 100)
    for (let i = 0; i < 200; i++) record(700)
    let total = 0
    const buckets = [...LATENCY_BOUNDS_MS.map((ms, i) => ({ le: ms / 1000, count: (total += counts[i]!) })), { le: Infinity, count: 20_000 }]
    expect(histogramQuantile(0.5, buckets) * 1000).toBeCloseTo(50.5, 0) // the median of 0..100 and 200 at 700
    expect(histogramQuantile(0.9, buckets) * 1000).toBeGreaterThan(88)
    expect(histogramQuantile(0.9, buckets) * 1000).toBeLessThan(93)
    // p99.5 falls among the 700 ms ones: in the (500, 750] bucket
    expect(histogramQuantile(0.995, buckets) * 1000).toBeGreaterThan(500)
    expect(histogramQuantile(0.995, buckets) * 1000).toBeLessThanOrEqual(750)
    expect(histogramQuantile(1, buckets) * 1000).toBe(750)
  })
})

/** A sidecar with `n` requests of class `cls`, all at `ms`. */
function snap(name: string, labels: Record<string, string>, counts: Record<string, number>, ms = 5): SidecarSnapshot {
  const n = Object.values(counts).reduce((a, c) => a + c, 0)
  const buckets = [...LATENCY_BOUNDS_MS.map((le) => ({ le: le / 1000, count: le >= ms ? n : 0 })), { le: Infinity, count: n }]
  return { name, mode: 'http', labels, requests: { '2xx': 0, '5xx': 0, error: 0, ...counts }, latency: { buckets, sum: (n * ms) / 1000, count: n } }
}

const sampleOf = (at: number, ...snaps: SidecarSnapshot[]): Sample => ({ at, sidecars: new Map(snaps.map((s) => [s.name, s])) })
const IN = (svc: string) => ({ source: 'ingress', destination: svc })

describe('increaseOver and goldenSignals', () => {
  it("sums a service's ingress sidecars only (an edge's sidecars are the same requests seen by the caller)", () => {
    const samples = [
      sampleOf(0, snap('back-a', IN('back'), { '2xx': 10 }), snap('middle-a>back', { source: 'middle', destination: 'back' }, { '2xx': 10 })),
      sampleOf(10_000, snap('back-a', IN('back'), { '2xx': 30, '5xx': 5, error: 5 }, 20), snap('middle-a>back', { source: 'middle', destination: 'back' }, { '2xx': 40 })),
    ]
    const g = goldenSignals(increaseOver(samples, { service: 'back' }), 10_000)
    expect(g.requests).toBe(30)
    expect(g.throughput).toBe(3)
    expect(g.errors).toBe(10)
    expect(g.error_rate).toBeCloseTo(1 / 3, 5)
    expect(g.status_classes).toMatchObject({ '2xx': 20, '5xx': 5, error: 5 })
    const edge = goldenSignals(increaseOver(samples, { edge: { source: 'middle', destination: 'back' } }), 10_000)
    expect(edge).toMatchObject({ requests: 30, errors: 0, error_rate: 0 })
  })

  it('takes a counter that went down as reset, and counts all of a sidecar that appeared in the window', () => {
    const samples = [
      sampleOf(0, snap('back-a', IN('back'), { '2xx': 100 })),
      sampleOf(1000, snap('back-a', IN('back'), { '2xx': 110 })),
      sampleOf(2000, snap('back-a', IN('back'), { '2xx': 4 }), snap('back-b', IN('back'), { '2xx': 7 })), // back-a made anew
      sampleOf(3000, snap('back-a', IN('back'), { '2xx': 6 }), snap('back-b', IN('back'), { '2xx': 9 })),
    ]
    const inc = increaseOver(samples, { service: 'back' })
    expect(inc.requests['2xx']).toBe(10 + 4 + 2 + 7 + 2)
    expect(inc.sidecars).toEqual(['back-a', 'back-b'])
  })

  it('reads latency quantiles from the summed buckets, and none without requests', () => {
    const samples = [
      sampleOf(0, snap('a', IN('x'), { '2xx': 0 }), snap('b', IN('x'), { '2xx': 0 })),
      sampleOf(1000, snap('a', IN('x'), { '2xx': 90 }, 8), snap('b', IN('x'), { '2xx': 10 }, 400)),
    ]
    const g = goldenSignals(increaseOver(samples, { service: 'x' }), 1000)
    // 90 in (5, 10] ms, 10 in (250, 500] ms
    expect(g.latency_ms.p50).toBeCloseTo(5 + 5 * (50 / 90), 2)
    expect(g.latency_ms.p90).toBe(10)
    expect(g.latency_ms.p99).toBeCloseTo(250 + 250 * (9 / 10), 2)
    expect(g.latency_ms.max).toBe(500)
    const none = goldenSignals(increaseOver([samples[0]!, samples[0]!], { service: 'x' }), 1000)
    expect(none).toMatchObject({ requests: 0, error_rate: 0, throughput: 0, latency_ms: { p50: null, p99: null, max: null } })
  })
})

describe('SidecarSampler', () => {
  it('samples on its period into a bounded ring, and a window ending now starts at the sample nearest its start', async () => {
    let n = 0
    const sampler = new SidecarSampler(async () => [snap('a', IN('x'), { '2xx': (n += 10) })], { periodMs: 40, capacity: 20 })
    sampler.start()
    try {
      const { samples, spanMs } = await sampler.window(400)
      expect(spanMs).toBeGreaterThanOrEqual(380)
      expect(spanMs).toBeLessThanOrEqual(440)
      const g = goldenSignals(increaseOver(samples, { service: 'x' }), spanMs)
      // 10 requests per sample
      expect(g.requests).toBe((samples.length - 1) * 10)
      // a window longer than the ring: it waits, then has the 20 samples the ring keeps
      const long = await sampler.window(2000)
      expect(long.samples.length).toBeLessThanOrEqual(20)
      expect(long.samples.length).toBeGreaterThan(10)
    } finally {
      sampler.stop()
    }
    expect(sampler.running).toBe(false)
  })

  it('waits for the rest of the window when it holds less history, and stops waiting when the signal aborts', async () => {
    const sampler = new SidecarSampler(async () => [snap('a', IN('x'), { '2xx': 1 })], { periodMs: 50, capacity: 100 })
    sampler.start()
    try {
      const t0 = Date.now()
      const { spanMs } = await sampler.window(500)
      expect(Date.now() - t0).toBeGreaterThanOrEqual(450)
      expect(spanMs).toBeGreaterThanOrEqual(450)
      const abort = new AbortController()
      const waiting = sampler.window(3000, abort.signal)
      abort.abort(new Error('stopped'))
      await expect(waiting).rejects.toThrow('stopped')
    } finally {
      sampler.stop()
    }
  })

  it('stops by itself once nobody read a window for its idle time, or once its run is gone', async () => {
    const idle = new SidecarSampler(async () => [], { periodMs: 20, idleMs: 100 })
    idle.start()
    await expect.poll(() => idle.running, { timeout: 2000 }).toBe(false)
    let alive = true
    const gone = new SidecarSampler(async () => [], { periodMs: 20 })
    gone.start(() => alive)
    alive = false
    await expect.poll(() => gone.running, { timeout: 2000 }).toBe(false)
  })
})
