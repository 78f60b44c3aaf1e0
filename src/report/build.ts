/**
 * @module report/build: the recorded signals, fault windows, exemplar spans and runs of a time range, as the
 * report's data (report/types.ts). The rows go through once, in time order, in chunks (a day of a busy app does not
 * sit in memory): a {@link ReportBuilder} keeps the chart's steps, each edge's per-second signals (three numbers a
 * second) and the histograms of the phases, then `finish` derives the rest.
 *
 *   signal rows ─▶ per edge: display steps (rps, error rate, p50/p95/p99) + per-second error rate and p99
 *   fault windows ─▶ baseline before the first fault ─▶ tolerance ─▶ which faults touched which edge,
 *                    time to recover (per second), impact per service (histograms of before / during / after)
 *   runs ─▶ hypothesis checks, verdict, score; history per experiment
 *   exemplar spans ─▶ the trace of one failing (else the slowest) request, its faults named by window
 */
import type { ExemplarRow, SignalRow } from '../store/store.js'
import { quantile as histogramQuantile } from '../wire/histogram.js'
import type { Journal } from '../verdict/types.js'
import { runSummary, scoreHistory } from './score.js'
import { REPORT_SCHEMA } from './types.js'
import type { EdgeSeries, FaultWindow, PhaseSignals, Recovery, ReportData, RunSummary, SeriesPoint, ServiceImpact, Tolerance, TraceView } from './types.js'

export interface ReportInputs {
  title?: string
  /** Epoch ms. */
  from: number
  to: number
  /** Seconds per point; default 1 s up to 15 minutes, then as many as keep a series at 900 points. */
  stepSeconds?: number
  signals: Iterable<SignalRow>
  exemplars: ExemplarRow[]
  faults: FaultWindow[]
  /** The runs to show (those in the range, or the one run of `chaoscope run --report`). */
  runs: { experiment: string; journal: Journal }[]
  /** Every run of those experiments, older ones included, for the score history (default: `runs`). */
  history?: { experiment: string; journal: Journal }[]
  now?: number
  /** Said in the notes (e.g. that more runs ended in the range than are shown). */
  notes?: string[]
}

/** How far before the first fault the baseline reaches. */
export const BASELINE_MS = 60_000
/** An edge is back within tolerance when its p99 is at most this much above the baseline's... */
const P99_FACTOR = 1.5
/** ...or this many ms above it, whichever is more (a fast baseline is noisy in relative terms)... */
const P99_SLACK_MS = 10
/** ...and its error rate at most this much above the baseline's... */
const ERROR_SLACK = 0.01
/** ...for this many seconds with traffic in a row: one good second between bad ones is not a recovery. */
export const RECOVERY_SECONDS = 5
/** A one-shot fault (an instant: pod-kill) is watched this long after it acts, for deviation and "during". */
export const ONE_SHOT_WATCH_MS = 30_000

const isError = (cls: string) => cls === '5xx' || cls === 'error'

/**
 * The q-quantile of a histogram (non-cumulative counts, one more than bounds), interpolated within its bucket as
 * Prometheus does (the sidecars' own estimate, wire/histogram); null without requests.
 */
export function quantile(bounds: readonly number[], counts: readonly number[], q: number): number | null {
  const count = counts.reduce((a, b) => a + b, 0)
  if (count <= 0) return null
  return histogramQuantile({ boundsMs: bounds, counts, count }, q)
}

/** Requests, errors and a latency histogram, summed over rows (or fractions of rows). */
class Acc {
  total = 0
  errors = 0
  bounds: readonly number[] = []
  counts: number[] = []

  add(r: SignalRow, share: number): void {
    for (const [cls, n] of Object.entries(r.requests)) {
      this.total += n * share
      if (isError(cls)) this.errors += n * share
    }
    if (this.counts.length === 0) {
      this.bounds = r.bounds
      this.counts = new Array<number>(r.counts.length).fill(0)
    }
    // rows of another bucket layout cannot be merged into this one; their requests still count
    if (r.counts.length === this.counts.length) for (let i = 0; i < r.counts.length; i++) this.counts[i]! += r.counts[i]! * share
  }

  merge(o: Acc): void {
    this.total += o.total
    this.errors += o.errors
    if (o.counts.length === 0) return
    if (this.counts.length === 0) {
      this.bounds = o.bounds
      this.counts = new Array<number>(o.counts.length).fill(0)
    }
    if (this.counts.length === o.counts.length) for (let i = 0; i < o.counts.length; i++) this.counts[i]! += o.counts[i]!
  }

  signals(): PhaseSignals {
    return { requests: Math.round(this.total), errorRate: this.total > 0 ? round(this.errors / this.total, 4) : null, p99Ms: round(quantile(this.bounds, this.counts, 0.99)) }
  }
}

const round = (n: number | null, d = 2) => (n === null ? null : Math.round(n * 10 ** d) / 10 ** d)
const iso = (ms: number) => new Date(ms).toISOString()
const ms = (t: string) => Date.parse(t)

/** A fault's window as the analysis uses it: a one-shot fault is watched for a while after it acts. */
interface Win {
  fault: FaultWindow
  start: number
  /** When the fault ended (an instant: its start); null while active. */
  end: number | null
  /** Until when its effect is looked for: its end, or for an instant ONE_SHOT_WATCH_MS after it. */
  watchEnd: number
  instant: boolean
}

interface EdgeState {
  source: string
  destination: string
  steps: Acc[]
  base: Acc
  before: Acc
  during: Acc
  after: Acc
  /** Seconds with traffic, in order, and their error rate and p99 (the per-second view recovery is read from). */
  secs: number[]
  err: number[]
  p99: (number | null)[]
  /** Seconds not yet closed (rows of a second can come from several sidecars; a spread row reaches later ones). */
  open: Map<number, Acc>
  baseStart: number
}

/**
 * Takes the rows of `[from, to)` in time order (any number of `add` calls), then builds the report.
 *
 * @example
 * const b = new ReportBuilder({ from, to, faults })
 * for (const chunk of chunks) b.add(chunk)
 * const data = b.finish({ exemplars, runs })
 */
export class ReportBuilder {
  readonly from: number
  readonly to: number
  readonly stepSeconds: number
  private readonly stepMs: number
  private readonly nSteps: number
  private readonly faults: FaultWindow[]
  private readonly wins: Win[]
  private readonly firstFault: number | undefined
  private readonly lastWatchEnd: number | undefined
  private readonly baseFrom: number
  private readonly edges = new Map<string, EdgeState>()
  private gapSeconds = 0

  constructor(o: { from: number; to: number; stepSeconds?: number; faults: FaultWindow[] }) {
    this.from = o.from
    this.to = o.to
    const span = Math.max(1, o.to - o.from)
    this.stepSeconds = o.stepSeconds ?? (span <= 15 * 60_000 ? 1 : Math.ceil(span / 1000 / 900))
    this.stepMs = this.stepSeconds * 1000
    this.nSteps = Math.ceil(span / this.stepMs)
    this.faults = [...o.faults].sort((a, b) => a.start.localeCompare(b.start) || a.id.localeCompare(b.id))
    this.wins = this.faults.map((f) => {
      const start = ms(f.start)
      const end = f.end === null ? null : ms(f.end)
      const instant = end !== null && end - start < 1000
      return { fault: f, start, end, instant, watchEnd: end === null ? o.to : instant ? start + ONE_SHOT_WATCH_MS : end }
    })
    this.firstFault = this.wins.length > 0 ? Math.min(...this.wins.map((w) => w.start)) : undefined
    this.lastWatchEnd = this.wins.length > 0 ? Math.max(...this.wins.map((w) => w.watchEnd)) : undefined
    this.baseFrom = this.firstFault === undefined ? o.from : Math.max(o.from, this.firstFault - BASELINE_MS)
  }

  add(rows: Iterable<SignalRow>): void {
    for (const r of rows) {
      if (r.t < this.from || r.t >= this.to) continue
      const id = `${r.source}→${r.destination}`
      let e = this.edges.get(id)
      if (!e) {
        e = { source: r.source, destination: r.destination, steps: Array.from({ length: this.nSteps }, () => new Acc()), base: new Acc(), before: new Acc(), during: new Acc(), after: new Acc(), secs: [], err: [], p99: [], open: new Map(), baseStart: Infinity }
        this.edges.set(id, e)
      }
      // a row of a longer step (the recorder missed a reading) is spread evenly over the seconds it covers
      const k = Math.max(1, Math.round(r.stepMs / 1000))
      if (k > 1) this.gapSeconds += k - 1
      const sec0 = Math.floor(r.t / 1000)
      for (const [s, acc] of e.open) if (s < sec0) this.close(e, s, acc)
      for (let j = 0; j < k; j++) {
        const t = (sec0 + j) * 1000
        if (t >= this.to) break
        const share = 1 / k
        e.steps[Math.min(this.nSteps - 1, Math.floor((t - this.from) / this.stepMs))]!.add(r, share)
        let acc = e.open.get(sec0 + j)
        if (!acc) e.open.set(sec0 + j, (acc = new Acc()))
        acc.add(r, share)
        if (this.firstFault === undefined || t < this.firstFault) {
          if (t >= this.baseFrom) {
            e.base.add(r, share)
            e.baseStart = Math.min(e.baseStart, t)
          }
          e.before.add(r, share)
        } else if (this.wins.some((w) => t >= w.start && t < w.watchEnd)) e.during.add(r, share)
        else if (this.lastWatchEnd !== undefined && t >= this.lastWatchEnd) e.after.add(r, share)
      }
    }
  }

  private close(e: EdgeState, s: number, acc: Acc): void {
    e.open.delete(s)
    if (acc.total <= 0) return
    e.secs.push(s * 1000)
    e.err.push(acc.errors / acc.total)
    e.p99.push(quantile(acc.bounds, acc.counts, 0.99))
  }

  finish(inp: Pick<ReportInputs, 'exemplars' | 'runs' | 'history' | 'now' | 'title' | 'notes'>): ReportData {
    const { from, to, stepMs, stepSeconds, wins, firstFault } = this
    const notes: string[] = [...(inp.notes ?? [])]
    if (this.edges.size === 0) notes.push('no sidecar carried an HTTP request in this range: no traffic charts (traffic is recorded while `chaoscope up` or `chaoscope server` runs)')
    if (wins.length === 0) notes.push('no fault was active in this range')
    else if (firstFault !== undefined && firstFault <= from) notes.push('the range starts while a fault is already active: no baseline before it')
    if (this.gapSeconds > 0) notes.push(`the recorder missed ${this.gapSeconds} s of the sidecars' readings (a busy machine): the traffic of those seconds is spread evenly over the gap`)
    const silentAfter: string[] = []
    const edges: EdgeSeries[] = []
    for (const [id, e] of [...this.edges].sort((a, b) => a[0].localeCompare(b[0]))) {
      for (const [s, acc] of [...e.open].sort((a, b) => a[0] - b[0])) this.close(e, s, acc)
      const points: SeriesPoint[] = e.steps.map((a, i) => {
        const t = from + i * stepMs
        // the last step may be cut short by the end of the range
        const seconds = Math.max(0.001, Math.min(stepMs, to - t) / 1000)
        return {
          t,
          rps: round(a.total / seconds)!,
          errorRate: a.total > 0 ? round(a.errors / a.total, 4) : null,
          p50Ms: round(quantile(a.bounds, a.counts, 0.5)),
          p95Ms: round(quantile(a.bounds, a.counts, 0.95)),
          p99Ms: round(quantile(a.bounds, a.counts, 0.99)),
        }
      })
      const base = e.base.signals()
      const tol = firstFault !== undefined && firstFault > from ? tolerance(base) : null
      const inTol = (i: number) => tol !== null && e.err[i]! <= tol.errorRate && (tol.p99Ms === null || e.p99[i] === null || e.p99[i]! <= tol.p99Ms)
      const touches = (w: Win) => w.fault.services.includes(e.source) || w.fault.services.includes(e.destination)
      // a fault elsewhere counts for this edge when the edge, within tolerance as it began, left it during the fault
      // (not when the edge was still out because of an earlier fault)
      const deviatedIn = (w: Win) => {
        if (tol === null) return false
        let i = e.secs.findIndex((t) => t >= w.start)
        if (i < 0) return false
        if (i > 0 && !inTol(i - 1)) return false
        for (; i < e.secs.length && e.secs[i]! < w.watchEnd; i++) if (!inTol(i)) return true
        return false
      }
      const relevant = wins.filter((w) => touches(w) || deviatedIn(w))
      const recovery: Recovery[] = []
      if (tol) {
        for (const w of relevant) {
          // a fault still active at the end of the range has no recovery yet
          if (w.end === null || w.end >= to) continue
          const end = w.end
          // until the next fault on this edge's services: what comes after it is that fault's
          const next = wins.filter((x) => x !== w && x.start > end && touches(x)).map((x) => x.start)
          const until = next.length > 0 ? Math.min(...next) : to
          const r = recoveredAt(e.secs, inTol, end, until, until === to)
          if (r.at === null && !r.trafficAfter) silentAfter.push(`${w.fault.id} on ${id}`)
          recovery.push({ faultId: w.fault.id, faultEnd: iso(end), recoveredAt: r.at === null ? null : iso(r.at), secondsToRecover: r.at === null ? null : round((r.at - end) / 1000, 1), trafficAfter: r.trafficAfter })
        }
      }
      const baseSeconds = Math.max(1, ((firstFault ?? to) - Math.max(this.baseFrom, e.baseStart)) / 1000)
      edges.push({
        id,
        source: e.source,
        destination: e.destination,
        affected: relevant.length > 0,
        points,
        baseline: base.requests === 0 ? null : { rps: round(e.base.total / baseSeconds)!, errorRate: base.errorRate ?? 0, p99Ms: base.p99Ms },
        tolerance: tol,
        recovery,
      })
    }
    if (silentAfter.length > 0) notes.push(`no traffic after the fault ended, so no time to recover: ${silentAfter.join('; ')} (keep load running past the fault, or report a longer range)`)

    const services = this.services(edges)
    const runs: RunSummary[] = inp.runs.map((r) => runSummary(r.journal, r.experiment))
    const history = scoreHistory((inp.history ?? inp.runs).map((r) => runSummary(r.journal, r.experiment)))
    const trace = pickTrace(inp.exemplars.filter((x) => x.t >= from && x.t < to), inp.exemplars, this.faults)
    if (!trace) notes.push('no request trace: the sidecars keep the spans of failing, faulted and slow requests only while tracing is on (OTEL_EXPORTER_OTLP_ENDPOINT set for `chaoscope up`)')
    return {
      schema: REPORT_SCHEMA,
      title: inp.title ?? (runs.length === 1 ? runs[0]!.title : 'chaoscope report'),
      generatedAt: iso(inp.now ?? Date.now()),
      range: { from: iso(from), to: iso(to) },
      stepSeconds,
      edges,
      services,
      faults: this.faults,
      runs,
      history,
      trace,
      notes,
    }
  }

  /** A service's own signals are its inbound traffic as its ingress sidecars (or its proxy's) saw it: every request it served. */
  private services(edges: EdgeSeries[]): ServiceImpact[] {
    const faulted = new Set(this.faults.flatMap((f) => f.services))
    const byService = new Map<string, EdgeState[]>()
    for (const e of this.edges.values()) byService.set(e.destination, [...(byService.get(e.destination) ?? []), e])
    const out = [...byService].map(([service, states]) => {
      // the service's own sidecar: its pods' ingress ones, or a declared proxy's (a service has one kind or the other)
      const ingress = states.some((s) => OWN.has(s.source))
      const own = states.filter((s) => !ingress || OWN.has(s.source))
      const phase = (k: 'before' | 'during' | 'after') => {
        const a = new Acc()
        for (const s of own) a.merge(s[k])
        return a.signals()
      }
      const inbound = edges.filter((e) => e.destination === service && own.some((s) => s.source === e.source))
      const recov = inbound.flatMap((e) => e.recovery)
      const missing = recov.filter((r) => r.secondsToRecover === null)
      const before = phase('before')
      const during = phase('during')
      const after = phase('after')
      return {
        service,
        // every request of the range: those between two faults are in no phase
        requests: Math.round(own.reduce((a, s) => a + stepsTotal(s), 0)),
        before,
        during,
        after,
        secondsToRecover: recov.length === 0 || missing.length > 0 ? null : Math.max(...recov.map((r) => r.secondsToRecover!)),
        recoveryUnknown: missing.some((r) => !r.trafficAfter),
        affected: faulted.has(service) || inbound.some((e) => e.affected),
      }
    })
    return out.sort((a, b) => Number(b.affected) - Number(a.affected) || impact(b) - impact(a) || a.service.localeCompare(b.service))
  }
}

/** The sources of the sidecars that see every request a service serves. */
const OWN = new Set(['ingress', 'proxy'])

const stepsTotal = (s: EdgeState) => s.steps.reduce((a, x) => a + x.total, 0)

/** Builds the report's data from rows in memory (tests, a journal alone). */
export function buildReport(inp: ReportInputs): ReportData {
  const b = new ReportBuilder(inp)
  b.add(inp.signals)
  return b.finish(inp)
}

function tolerance(base: PhaseSignals): Tolerance | null {
  if (base.requests === 0) return null
  const p99 = base.p99Ms === null ? null : Math.max(base.p99Ms * P99_FACTOR, base.p99Ms + P99_SLACK_MS)
  return {
    p99Ms: round(p99),
    errorRate: round((base.errorRate ?? 0) + ERROR_SLACK, 4)!,
    basis: `the ${BASELINE_MS / 1000} s before the first fault: p99 at most max(${P99_FACTOR}× baseline, baseline + ${P99_SLACK_MS} ms), error rate at most baseline + ${ERROR_SLACK * 100} points, for ${RECOVERY_SECONDS} s in a row`,
  }
}

/**
 * The first second at or after `end` that starts RECOVERY_SECONDS seconds with traffic in a row within tolerance,
 * before `until`; at the end of the range (`atRangeEnd`), a shorter good run that lasts to it counts.
 */
export function recoveredAt(secs: readonly number[], inTol: (i: number) => boolean, end: number, until: number, atRangeEnd: boolean): { at: number | null; trafficAfter: boolean } {
  let first = -1
  let run = 0
  let traffic = false
  for (let i = 0; i < secs.length; i++) {
    const t = secs[i]!
    // the second the fault ended in still carries some of it: from the next whole one
    if (t < Math.ceil(end / 1000) * 1000) continue
    if (t >= until) break
    traffic = true
    if (inTol(i)) {
      if (run === 0) first = t
      if (++run >= RECOVERY_SECONDS) return { at: Math.max(end, first), trafficAfter: true }
    } else run = 0
  }
  if (atRangeEnd && run > 0) return { at: Math.max(end, first), trafficAfter: true }
  return { at: null, trafficAfter: traffic }
}

/** How much worse a service was during the faults than before them (for ordering only). */
function impact(s: ServiceImpact): number {
  const dErr = (s.during.errorRate ?? 0) - (s.before.errorRate ?? 0)
  const dP99 = s.before.p99Ms && s.during.p99Ms ? s.during.p99Ms / s.before.p99Ms - 1 : 0
  return dErr * 10 + dP99
}

const failed = (e: ExemplarRow) => e.status === 0 || e.status >= 500

/**
 * The trace of one failing request (the one with most hops, then the longest), else of the slowest; its spans
 * from `all`. A span's fault ids are the runtime's effect ids, which carry the experiment's uid: they are named
 * by the fault window of that experiment active when the span ran, when there is one.
 */
export function pickTrace(inRange: ExemplarRow[], all: ExemplarRow[] = inRange, faults: FaultWindow[] = []): TraceView | null {
  if (inRange.length === 0) return null
  const traces = new Map<string, ExemplarRow[]>()
  for (const e of all) traces.set(e.traceId, [...(traces.get(e.traceId) ?? []), e])
  const candidates = [...new Set(inRange.map((e) => e.traceId))].map((id) => traces.get(id)!)
  const withFailure = candidates.filter((t) => t.some(failed))
  const why: TraceView['why'] = withFailure.length > 0 ? 'failed' : 'slowest'
  const longest = (t: ExemplarRow[]) => Math.max(...t.map((s) => s.durationMs))
  const pool = why === 'failed' ? withFailure.sort((a, b) => b.length - a.length || longest(b) - longest(a)) : candidates.sort((a, b) => longest(b) - longest(a))
  const spans = [...pool[0]!].sort((a, b) => a.t - b.t)
  const t0 = spans[0]!.t
  const named = (id: string, at: number): string => {
    const w = faults.find((f) => f.experiment.uid && id.includes(f.experiment.uid) && ms(f.start) <= at + 1000 && (f.end === null || at <= ms(f.end) + 1000))
    return w ? w.id : id
  }
  return {
    traceId: spans[0]!.traceId,
    at: iso(t0),
    why,
    spans: spans.map((s) => ({
      spanId: s.spanId,
      parentSpanId: s.parentSpanId,
      sidecar: s.sidecar,
      source: s.source,
      destination: s.destination,
      method: s.method,
      path: s.path,
      status: s.status,
      startOffsetMs: round(s.t - t0)!,
      durationMs: round(s.durationMs)!,
      faults: [...new Set(s.faults.map((f) => named(f, s.t)))],
    })),
  }
}
