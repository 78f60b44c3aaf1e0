/**
 * @module load/stats: what a worker records per request, and how the main thread adds the workers' records up.
 * Latencies go into HdrHistograms in microseconds (3 significant digits, up to an hour), one pair (latency from
 * the intended time, service time from the write) per second of the run; the seconds travel between threads in
 * HdrHistogram's compressed form and the run's totals are their sum.
 */
import * as hdr from 'hdr-histogram-js'
import type { Histogram as Hdr } from 'hdr-histogram-js'
import { Histogram as Buckets } from '../wire/histogram.js'
import type { HistogramSnapshot } from '../wire/histogram.js'
import type { Quantiles, SecondStats } from './types.js'

export function newHdr(): Hdr {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, bitBucketSize: 32, useWebAssembly: false })
}

export function encodeHdr(h: Hdr): string {
  return hdr.encodeIntoCompressedBase64(h)
}

export function decodeHdr(text: string): Hdr {
  return hdr.decodeFromCompressedBase64(text, 32, false)
}

/** Status code to its class key: "2xx"… */
export function statusClass(status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'other'
}

/** One second as a worker posts it. */
export interface SecondRecord {
  t: number
  requests: number
  sent: number
  errors: number
  statusCodes: Record<string, number>
  latency: string
  service: string
}

class Second {
  requests = 0
  sent = 0
  errors = 0
  readonly statusCodes: Record<string, number> = {}
  readonly latency = newHdr()
  readonly service = newHdr()
  constructor(readonly t: number) {}

  record(): SecondRecord {
    return { t: this.t, requests: this.requests, sent: this.sent, errors: this.errors, statusCodes: this.statusCodes, latency: encodeHdr(this.latency), service: encodeHdr(this.service) }
  }
}

/** Running totals a worker posts with each tick (cumulative, so a lost tick loses nothing). */
export interface Totals {
  sent: number
  done: number
  errors: number
  late: number
  dropped: number
  inFlight: number
  bytesIn: number
  bytesOut: number
  errorKinds: Record<string, number>
  statusClasses: Record<string, number>
  iterationsStarted: number
  iterationsCompleted: number
  /** Prometheus buckets (ms). */
  latencyBuckets: HistogramSnapshot
  serviceBuckets: HistogramSnapshot
}

export interface StepRecord {
  flow: string
  name: string
  requests: number
  failed: number
  latency: string
}

/** A worker's recorder: per-second histograms and counters, cumulative totals, per-step histograms. */
export class Recorder {
  private readonly seconds = new Map<number, Second>()
  readonly totals: Totals
  private readonly latencyBuckets = new Buckets()
  private readonly serviceBuckets = new Buckets()
  private readonly steps = new Map<string, { flow: string; name: string; requests: number; failed: number; latency: Hdr }>()

  constructor(private readonly startMs: number) {
    this.totals = {
      sent: 0, done: 0, errors: 0, late: 0, dropped: 0, inFlight: 0, bytesIn: 0, bytesOut: 0, errorKinds: {}, statusClasses: {},
      iterationsStarted: 0, iterationsCompleted: 0, latencyBuckets: this.latencyBuckets.snapshot(), serviceBuckets: this.serviceBuckets.snapshot(),
    }
  }

  private second(now: number): Second {
    const t = Math.max(0, Math.floor((now - this.startMs) / 1000))
    let s = this.seconds.get(t)
    if (!s) this.seconds.set(t, (s = new Second(t)))
    return s
  }

  sent(now: number, late: boolean): void {
    this.totals.sent++
    this.totals.inFlight++
    if (late) this.totals.late++
    this.second(now).sent++
  }

  /** An intended request never sent: counted, and its wait (intended time to now) kept in the latency figures. */
  dropped(now: number, intended: number): void {
    this.totals.dropped++
    const us = Math.max(1, Math.round((now - intended) * 1000))
    this.second(now).latency.recordValue(us)
    this.latencyBuckets.record(us / 1000)
  }

  /** A request ended with a response (status) or an error kind; times in ms (performance.now()). */
  ended(now: number, intended: number, written: number, status: number | undefined, errorKind: string | undefined, step: { key: string; flow: string; name: string; ok: boolean } | undefined): void {
    const s = this.second(now)
    const t = this.totals
    t.inFlight--
    t.done++
    s.requests++
    const latencyUs = Math.max(1, Math.round((now - intended) * 1000))
    const serviceUs = Math.max(1, Math.round((now - written) * 1000))
    if (errorKind !== undefined) {
      t.errors++
      s.errors++
      t.errorKinds[errorKind] = (t.errorKinds[errorKind] ?? 0) + 1
    } else {
      const code = String(status)
      s.statusCodes[code] = (s.statusCodes[code] ?? 0) + 1
      const cls = statusClass(status!)
      t.statusClasses[cls] = (t.statusClasses[cls] ?? 0) + 1
    }
    // every ended request is in the latency figures, errors too: a timeout took its time
    s.latency.recordValue(latencyUs)
    s.service.recordValue(serviceUs)
    this.latencyBuckets.record(latencyUs / 1000)
    this.serviceBuckets.record(serviceUs / 1000)
    if (step) {
      let st = this.steps.get(step.key)
      if (!st) this.steps.set(step.key, (st = { flow: step.flow, name: step.name, requests: 0, failed: 0, latency: newHdr() }))
      st.requests++
      if (!step.ok) st.failed++
      st.latency.recordValue(latencyUs)
    }
  }

  /** The seconds before `now`'s (all of them with `all`), taken out of the recorder. */
  flush(now: number, all: boolean): SecondRecord[] {
    const current = Math.floor((now - this.startMs) / 1000)
    const out: SecondRecord[] = []
    for (const [t, s] of this.seconds) {
      if (all || t < current) {
        out.push(s.record())
        this.seconds.delete(t)
      }
    }
    this.totals.latencyBuckets = this.latencyBuckets.snapshot()
    this.totals.serviceBuckets = this.serviceBuckets.snapshot()
    return out
  }

  stepRecords(): StepRecord[] {
    return [...this.steps.values()].map((s) => ({ flow: s.flow, name: s.name, requests: s.requests, failed: s.failed, latency: encodeHdr(s.latency) }))
  }
}

const ms = (us: number): number => Math.round(us) / 1000

/** The figures of a histogram of microseconds, in ms. */
export function quantiles(h: Hdr): Quantiles {
  if (h.totalCount === 0) return { p50: 0, p90: 0, p99: 0, p999: 0, max: 0, min: 0, mean: 0 }
  return {
    p50: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p99: ms(h.getValueAtPercentile(99)),
    p999: ms(h.getValueAtPercentile(99.9)),
    max: ms(h.maxValue),
    min: ms(h.minNonZeroValue),
    mean: ms(h.mean),
  }
}

/** Adds the workers' seconds up, by second. */
export class SecondsMerger {
  private readonly seconds = new Map<number, { requests: number; sent: number; errors: number; statusCodes: Record<string, number>; latency: Hdr }>()
  readonly latency = newHdr()
  readonly service = newHdr()
  readonly statusCodes: Record<string, number> = {}

  add(records: SecondRecord[]): void {
    for (const r of records) {
      let s = this.seconds.get(r.t)
      if (!s) this.seconds.set(r.t, (s = { requests: 0, sent: 0, errors: 0, statusCodes: {}, latency: newHdr() }))
      s.requests += r.requests
      s.sent += r.sent
      s.errors += r.errors
      for (const [code, n] of Object.entries(r.statusCodes)) {
        s.statusCodes[code] = (s.statusCodes[code] ?? 0) + n
        this.statusCodes[code] = (this.statusCodes[code] ?? 0) + n
      }
      const lat = decodeHdr(r.latency)
      s.latency.add(lat)
      this.latency.add(lat)
      this.service.add(decodeHdr(r.service))
    }
  }

  /** The series, second by second from 0 (seconds with nothing in them included). */
  series(): SecondStats[] {
    if (this.seconds.size === 0) return []
    const last = Math.max(...this.seconds.keys())
    const out: SecondStats[] = []
    for (let t = 0; t <= last; t++) out.push(this.at(t))
    return out
  }

  at(t: number): SecondStats {
    const s = this.seconds.get(t)
    if (!s) return { t, requests: 0, sent: 0, statusClasses: {}, errors: 0, latency: { p50: 0, p90: 0, p99: 0, max: 0 } }
    const classes: Record<string, number> = {}
    for (const [code, n] of Object.entries(s.statusCodes)) {
      const c = statusClass(Number(code))
      classes[c] = (classes[c] ?? 0) + n
    }
    const q = quantiles(s.latency)
    return { t, requests: s.requests, sent: s.sent, statusClasses: classes, errors: s.errors, latency: { p50: q.p50, p90: q.p90, p99: q.p99, max: q.max } }
  }

  get lastSecond(): number | undefined {
    return this.seconds.size === 0 ? undefined : Math.max(...this.seconds.keys())
  }
}
