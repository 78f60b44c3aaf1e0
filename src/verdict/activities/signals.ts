/**
 * @module verdict/activities/signals: golden signals (traffic, errors, latency) of a service or of one edge over
 * the last `window`, from the sidecars' cumulative counters. A sampler reads every sidecar once a second into a
 * bounded ring; a window is the increase between the sample at its start and a fresh one, per sidecar (a counter
 * that went down was reset: its new value is the increase, as Prometheus' `increase()` reads it), summed over the
 * sidecars in scope. Quantiles come from the summed cumulative buckets the way Prometheus' `histogram_quantile`
 * interpolates them.
 *
 *   target.sidecars() ─ every 1 s ─▶ ring (600 samples) ─▶ window(ms) ─▶ increase per sidecar ─▶ sum ─▶ signals
 */
import type { SidecarSnapshot } from '../types.js'

export interface Bucket {
  /** Upper bound (seconds, as Prometheus' `le`); the last one is +Inf. */
  le: number
  /** Cumulative count of observations at or below `le`. */
  count: number
}

/**
 * The q-quantile (0..1) of cumulative buckets, as Prometheus' histogram_quantile computes it: the bucket the rank
 * q·count falls in, linear inside it (the first bucket starts at 0 when its bound is above 0); a rank in the +Inf
 * bucket gives the highest finite bound. NaN without observations or without a +Inf bucket.
 *
 * @example histogramQuantile(0.5, [{ le: 0.1, count: 10 }, { le: 0.2, count: 20 }, { le: Infinity, count: 20 }]) // 0.1
 */
export function histogramQuantile(q: number, given: readonly Bucket[]): number {
  if (Number.isNaN(q)) return NaN
  if (q < 0) return -Infinity
  if (q > 1) return Infinity
  const buckets = given.map((b) => ({ le: b.le, count: b.count })).sort((a, b) => a.le - b.le)
  if (buckets.length < 2 || buckets[buckets.length - 1]!.le !== Infinity) return NaN
  // counts must not go down from one bound to the next (they can, by a scrape between two updates)
  let max = 0
  for (const b of buckets) max = b.count = Math.max(max, b.count)
  const total = buckets[buckets.length - 1]!.count
  if (total === 0) return NaN
  let rank = q * total
  let b = buckets.findIndex((x, i) => i < buckets.length - 1 && x.count >= rank)
  if (b < 0) b = buckets.length - 1
  if (b === buckets.length - 1) return buckets[buckets.length - 2]!.le
  if (b === 0 && buckets[0]!.le <= 0) return buckets[0]!.le
  let start = 0
  let count = buckets[b]!.count
  if (b > 0) {
    start = buckets[b - 1]!.le
    count -= buckets[b - 1]!.count
    rank -= buckets[b - 1]!.count
  }
  return count === 0 ? start : start + (buckets[b]!.le - start) * (rank / count)
}

/** What a scope (a service, an edge) did over a window: the sidecars' increases, summed. */
export interface Increase {
  requests: Record<string, number>
  buckets: Bucket[]
  count: number
  sum: number
  /** The sidecars that took part. */
  sidecars: string[]
}

/** One reading of every sidecar. */
export interface Sample {
  /** Ms since the epoch. */
  at: number
  sidecars: Map<string, SidecarSnapshot>
}

/** Which sidecars a scope sums: a service's ingress sidecars (traffic into its pods), or the sidecars of one edge. */
export type Scope = { service: string } | { edge: { source: string; destination: string } }

export function inScope(scope: Scope, labels: Record<string, string>): boolean {
  if ('service' in scope) return labels.source === 'ingress' && labels.destination === scope.service
  return labels.source === scope.edge.source && labels.destination === scope.edge.destination
}

export function describeScope(scope: Scope): string {
  return 'service' in scope ? `service ${scope.service}` : `edge ${scope.edge.source}->${scope.edge.destination}`
}

function addInto(acc: Increase, s: SidecarSnapshot, minus?: SidecarSnapshot): void {
  for (const [k, v] of Object.entries(s.requests)) acc.requests[k] = (acc.requests[k] ?? 0) + v - (minus?.requests[k] ?? 0)
  const before = new Map((minus?.latency.buckets ?? []).map((b) => [b.le, b.count]))
  const into = new Map(acc.buckets.map((b) => [b.le, b.count]))
  for (const b of s.latency.buckets) into.set(b.le, (into.get(b.le) ?? 0) + b.count - (before.get(b.le) ?? 0))
  acc.buckets = [...into].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le)
  acc.count += s.latency.count - (minus?.latency.count ?? 0)
  acc.sum += s.latency.sum - (minus?.latency.sum ?? 0)
}

const wentDown = (cur: SidecarSnapshot, prev: SidecarSnapshot): boolean =>
  cur.latency.count < prev.latency.count || Object.entries(prev.requests).some(([k, v]) => (cur.requests[k] ?? 0) < v)

/**
 * The increase over `samples` (oldest first; the first is the window's start) of the sidecars in `scope`. A sidecar
 * missing from the first sample appeared during the window (a replaced pod's): all it counted is new. One whose
 * counters went down between two samples was made anew: its new counts are the increase of that step.
 */
export function increaseOver(samples: readonly Sample[], scope: Scope): Increase {
  const acc: Increase = { requests: {}, buckets: [], count: 0, sum: 0, sidecars: [] }
  const names = new Set<string>()
  for (const s of samples) for (const [name, snap] of s.sidecars) if (inScope(scope, snap.labels)) names.add(name)
  for (const name of names) {
    acc.sidecars.push(name)
    let prev = samples[0]?.sidecars.get(name)
    for (const s of samples.slice(1)) {
      const cur = s.sidecars.get(name)
      if (!cur) continue
      if (!prev || wentDown(cur, prev)) addInto(acc, cur)
      else addInto(acc, cur, prev)
      prev = cur
    }
  }
  acc.sidecars.sort()
  return acc
}

export interface GoldenSignals {
  /** Requests that ended in the window (with a response or without one). */
  requests: number
  /** Requests per second over the window. */
  throughput: number
  /** 5xx answers and requests that got no response. */
  errors: number
  /** errors / requests (0 without requests). */
  error_rate: number
  /** Requests by status class: `1xx`…`5xx`, `error` (no response). */
  status_classes: Record<string, number>
  /** Quantiles from the sidecars' buckets (max: the upper bound of the highest bucket used); null without requests. */
  latency_ms: { p50: number | null; p90: number | null; p95: number | null; p99: number | null; max: number | null }
  /** The seconds the window actually spans (the samples' times). */
  window_s: number
}

const round = (n: number, digits = 3): number => Math.round(n * 10 ** digits) / 10 ** digits

function quantileMs(q: number, buckets: readonly Bucket[]): number | null {
  const v = histogramQuantile(q, buckets)
  return Number.isFinite(v) ? round(v * 1000) : null
}

/** The q-quantile of an increase's latency in ms (3 decimals), or null without requests. */
export function latencyMs(inc: Increase, q: number): number | null {
  const buckets = inc.buckets.some((b) => b.le === Infinity) ? inc.buckets : [...inc.buckets, { le: Infinity, count: inc.count }]
  return quantileMs(q, buckets)
}

/** The golden signals of an increase that spans `spanMs`. */
export function goldenSignals(inc: Increase, spanMs: number): GoldenSignals {
  const requests = Object.values(inc.requests).reduce((a, b) => a + b, 0)
  const errors = (inc.requests['5xx'] ?? 0) + (inc.requests.error ?? 0)
  return {
    requests,
    throughput: spanMs > 0 ? round((requests * 1000) / spanMs) : 0,
    errors,
    error_rate: requests === 0 ? 0 : round(errors / requests, 6),
    status_classes: { ...inc.requests },
    latency_ms: { p50: latencyMs(inc, 0.5), p90: latencyMs(inc, 0.9), p95: latencyMs(inc, 0.95), p99: latencyMs(inc, 0.99), max: latencyMs(inc, 1) },
    window_s: round(spanMs / 1000),
  }
}

export interface SamplerOptions {
  /** Ms between two samples (default 1000). */
  periodMs?: number
  /** Samples kept (default 600: ten minutes at one a second). */
  capacity?: number
  /** The sampler stops after this long without a window read (default: the ring's span). */
  idleMs?: number
  now?: () => number
}

/** Sleeps `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error)
    const onAbort = () => {
      clearTimeout(t)
      reject(signal!.reason as Error)
    }
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, Math.max(0, ms))
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * Reads every sidecar once a period into a bounded ring, from `start()` until `stop()` (or until no window was read
 * for `idleMs`). Its timer never keeps the process alive. A sample that fails (the runtime busy or gone) is skipped.
 */
export class SidecarSampler {
  private readonly ring: Sample[] = []
  private timer: NodeJS.Timeout | undefined
  private lastRead: number
  private readonly periodMs: number
  private readonly capacity: number
  private readonly idleMs: number
  private readonly now: () => number

  constructor(
    private readonly read: () => Promise<SidecarSnapshot[]>,
    opts: SamplerOptions = {},
  ) {
    this.periodMs = opts.periodMs ?? 1000
    this.capacity = opts.capacity ?? 600
    this.idleMs = opts.idleMs ?? this.periodMs * this.capacity
    this.now = opts.now ?? Date.now
    this.lastRead = this.now()
  }

  get running(): boolean {
    return this.timer !== undefined
  }

  /** The longest window the ring holds, in ms. */
  get spanMs(): number {
    return this.periodMs * (this.capacity - 1)
  }

  /** Starts sampling (a first sample at once); idempotent. `alive` false: the run is gone, stop. */
  start(alive: () => boolean = () => true): void {
    if (this.timer) return
    this.lastRead = this.now()
    void this.sample().catch(() => undefined)
    this.timer = setInterval(() => {
      if (!alive() || this.now() - this.lastRead > this.idleMs) return this.stop()
      void this.sample().catch(() => undefined)
    }, this.periodMs)
    this.timer.unref()
  }

  stop(): void {
    clearInterval(this.timer)
    this.timer = undefined
  }

  /** A fresh sample, kept in the ring. */
  async sample(): Promise<Sample> {
    const snaps = await this.read()
    const s: Sample = { at: this.now(), sidecars: new Map(snaps.map((x) => [x.name, x])) }
    let i = this.ring.length
    while (i > 0 && this.ring[i - 1]!.at > s.at) i--
    this.ring.splice(i, 0, s)
    if (this.ring.length > this.capacity) this.ring.splice(0, this.ring.length - this.capacity)
    return s
  }

  /**
   * The samples of the last `ms` (oldest first, the first one at the window's start, the last one taken now),
   * waiting for the rest of the window when the ring holds less history than that.
   */
  async window(ms: number, signal?: AbortSignal): Promise<{ samples: Sample[]; spanMs: number }> {
    this.lastRead = this.now()
    let last = await this.sample()
    const oldest = this.ring[0]!
    const missing = ms - (last.at - oldest.at)
    // a sample within half a period of the window's start will do
    if (missing > this.periodMs / 2) {
      await sleep(missing, signal)
      this.lastRead = this.now()
      last = await this.sample()
    }
    const from = last.at - ms
    let start = 0
    for (let i = 0; i < this.ring.length; i++) {
      if (this.ring[i]!.at <= from + this.periodMs / 2) start = i
      else break
    }
    // the sample nearest the window's start
    if (start + 1 < this.ring.length && Math.abs(this.ring[start + 1]!.at - from) < Math.abs(this.ring[start]!.at - from)) start++
    const samples = this.ring.slice(start, this.ring.indexOf(last) + 1)
    return { samples, spanMs: last.at - samples[0]!.at }
  }
}
