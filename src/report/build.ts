/**
 * @module report/build: the recorded signals, fault windows, exemplar spans and runs of a time range, as the
 * report's data (report/types.ts). Pure: the inputs come from the store (report/source.ts) or from a test.
 *
 *   signal rows ─▶ per edge, per step: rps, error rate, p50/p95/p99 (histogram quantiles)
 *   fault windows ─▶ baseline before the first fault ─▶ tolerance ─▶ affected edges, time to recover, impact
 *   runs ─▶ hypothesis checks, verdict, score; history per experiment
 *   exemplar spans ─▶ the trace of one failing (else the slowest) request
 */
import type { ExemplarRow, SignalRow } from '../store/store.js'
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
  signals: SignalRow[]
  exemplars: ExemplarRow[]
  faults: FaultWindow[]
  /** The runs to show (those in the range, or the one run of `chaoscope run --report`). */
  runs: { experiment: string; journal: Journal }[]
  /** Every run of those experiments, older ones included, for the score history (default: `runs`). */
  history?: { experiment: string; journal: Journal }[]
  now?: number
}

/** How far before the first fault the baseline reaches. */
export const BASELINE_MS = 60_000

/** An edge is back within tolerance when its p99 is at most this much above the baseline's... */
const P99_FACTOR = 1.5
/** ...or this many ms above it, whichever is more (a fast baseline is noisy in relative terms). */
const P99_SLACK_MS = 10
/** ...and its error rate at most this much above the baseline's. */
const ERROR_SLACK = 0.01

const isError = (cls: string) => cls === '5xx' || cls === 'error'

/** The q-quantile of a histogram (non-cumulative counts, one more than bounds), interpolated as Prometheus does. */
export function quantile(bounds: readonly number[], counts: readonly number[], q: number): number | null {
  const total = counts.reduce((a, b) => a + b, 0)
  if (total === 0) return null
  const rank = q * total
  let cum = 0
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!
    if (cum + c >= rank && c > 0) {
      // the +Inf bucket: its lower bound is all Prometheus can say
      if (i >= bounds.length) return bounds[bounds.length - 1] ?? null
      const lo = i === 0 ? 0 : bounds[i - 1]!
      const hi = bounds[i]!
      return lo + ((hi - lo) * (rank - cum)) / c
    }
    cum += c
  }
  return bounds[bounds.length - 1] ?? null
}

interface Acc {
  total: number
  errors: number
  bounds: number[]
  counts: number[]
}

const emptyAcc = (): Acc => ({ total: 0, errors: 0, bounds: [], counts: [] })

function add(acc: Acc, r: SignalRow): void {
  for (const [cls, n] of Object.entries(r.requests)) {
    acc.total += n
    if (isError(cls)) acc.errors += n
  }
  if (acc.bounds.length === 0) acc.bounds = r.bounds
  if (acc.counts.length === 0) acc.counts = new Array<number>(r.counts.length).fill(0)
  // rows of another bucket layout cannot be merged into this one; their requests still count
  if (r.counts.length === acc.counts.length) r.counts.forEach((c, i) => (acc.counts[i]! += c))
}

function signalsOf(acc: Acc): PhaseSignals {
  return {
    requests: acc.total,
    errorRate: acc.total === 0 ? null : acc.errors / acc.total,
    p99Ms: quantile(acc.bounds, acc.counts, 0.99),
  }
}

const round = (n: number | null, d = 2) => (n === null ? null : Math.round(n * 10 ** d) / 10 ** d)
const iso = (ms: number) => new Date(ms).toISOString()
const ms = (t: string) => Date.parse(t)

function windowsOf(faults: FaultWindow[], to: number): [number, number][] {
  return faults.map((f) => [ms(f.start), f.end === null ? to : ms(f.end)])
}

const inside = (t: number, ws: [number, number][]) => ws.some(([a, b]) => t >= a && t < b)

function tolerance(base: PhaseSignals): Tolerance | null {
  if (base.requests === 0) return null
  const p99 = base.p99Ms === null ? null : Math.max(base.p99Ms * P99_FACTOR, base.p99Ms + P99_SLACK_MS)
  return {
    p99Ms: round(p99),
    errorRate: round((base.errorRate ?? 0) + ERROR_SLACK, 4)!,
    basis: `the ${BASELINE_MS / 1000} s before the first fault: p99 at most max(${P99_FACTOR}× baseline, baseline + ${P99_SLACK_MS} ms), error rate at most baseline + ${ERROR_SLACK * 100} points`,
  }
}

const within = (p: SeriesPoint, tol: Tolerance) =>
  p.errorRate !== null && p.errorRate <= tol.errorRate && (tol.p99Ms === null || p.p99Ms === null || p.p99Ms <= tol.p99Ms)

/** Builds the report's data. */
export function buildReport(inp: ReportInputs): ReportData {
  const { from, to } = inp
  const span = Math.max(1, to - from)
  const stepSeconds = inp.stepSeconds ?? (span <= 15 * 60_000 ? 1 : Math.ceil(span / 1000 / 900))
  const stepMs = stepSeconds * 1000
  const nSteps = Math.ceil(span / stepMs)
  const notes: string[] = []
  const faults = [...inp.faults].sort((a, b) => a.start.localeCompare(b.start))
  const windows = windowsOf(faults, to)
  const firstFault = windows.length > 0 ? Math.min(...windows.map((w) => w[0])) : undefined
  const lastEnd = windows.length > 0 ? Math.max(...windows.map((w) => w[1])) : undefined
  const baseFrom = firstFault === undefined ? from : Math.max(from, firstFault - BASELINE_MS)

  // rows per edge
  const byEdge = new Map<string, { source: string; destination: string; rows: SignalRow[] }>()
  for (const r of inp.signals) {
    if (r.t < from || r.t >= to) continue
    const id = `${r.source}→${r.destination}`
    const e = byEdge.get(id) ?? { source: r.source, destination: r.destination, rows: [] }
    e.rows.push(r)
    byEdge.set(id, e)
  }
  if (byEdge.size === 0) notes.push('no sidecar carried an HTTP request in this range: no traffic charts (traffic is recorded while `chaoscope up` or `chaoscope server` runs)')
  if (faults.length === 0) notes.push('no fault was active in this range')
  else if (firstFault !== undefined && firstFault <= from) notes.push('the range starts while a fault is already active: no baseline before it')

  const faultedServices = new Set(faults.flatMap((f) => f.services))
  const silentAfter = new Set<string>()
  const edges: EdgeSeries[] = []
  const phaseAcc = new Map<string, { before: Acc; during: Acc; after: Acc; ingress: boolean }>()
  for (const [id, e] of [...byEdge].sort((a, b) => a[0].localeCompare(b[0]))) {
    const steps = Array.from({ length: nSteps }, emptyAcc)
    const base = emptyAcc()
    const phases = { before: emptyAcc(), during: emptyAcc(), after: emptyAcc() }
    for (const r of e.rows) {
      add(steps[Math.min(nSteps - 1, Math.floor((r.t - from) / stepMs))]!, r)
      if (firstFault === undefined || r.t < firstFault) {
        if (r.t >= baseFrom) add(base, r)
        add(phases.before, r)
      } else if (inside(r.t, windows)) add(phases.during, r)
      else if (lastEnd !== undefined && r.t >= lastEnd) add(phases.after, r)
    }
    const points: SeriesPoint[] = steps.map((a, i) => ({
      t: from + i * stepMs,
      rps: round(a.total / stepSeconds)!,
      errorRate: a.total === 0 ? null : round(a.errors / a.total, 4),
      p50Ms: round(quantile(a.bounds, a.counts, 0.5)),
      p95Ms: round(quantile(a.bounds, a.counts, 0.95)),
      p99Ms: round(quantile(a.bounds, a.counts, 0.99)),
    }))
    const baseSig = signalsOf(base)
    const tol = firstFault !== undefined && firstFault > from ? tolerance(baseSig) : null
    const deviated = tol !== null && points.some((p) => inside(p.t, windows) && p.errorRate !== null && !within(p, tol))
    const affected = faultedServices.has(e.source) || faultedServices.has(e.destination) || deviated
    const recovery: Recovery[] = []
    if (tol && affected) {
      faults.forEach((f, i) => {
        if (f.end === null) return
        const end = ms(f.end)
        const later = windows.filter((w, j) => j !== i && w[0] > end).map((w) => w[0])
        const until = later.length > 0 ? Math.min(...later) : to
        const back = points.find((p) => p.t + stepMs > end && p.t < until && within(p, tol))
        const trafficAfter = points.some((p) => p.t + stepMs > end && p.errorRate !== null)
        if (!back && !trafficAfter) silentAfter.add(`${f.id} on ${id}`)
        const at = back === undefined ? null : Math.max(end, back.t)
        recovery.push({ faultId: f.id, faultEnd: f.end, recoveredAt: at === null ? null : iso(at), secondsToRecover: at === null ? null : round((at - end) / 1000, 1), trafficAfter })
      })
    }
    edges.push({
      id,
      source: e.source,
      destination: e.destination,
      affected,
      points,
      // per second of the baseline that the edge was in use: from its first request in it to the first fault
      baseline: base.total === 0 ? null : { rps: round((base.total / Math.max(stepMs, (firstFault ?? to) - Math.max(baseFrom, baseStart(e.rows, baseFrom)))) * 1000)!, errorRate: round(baseSig.errorRate ?? 0, 4)!, p99Ms: round(baseSig.p99Ms) },
      tolerance: tol,
      recovery,
    })
    // a service's own signals are its inbound traffic: its ingress sidecar sees every request it serves
    const svc = phaseAcc.get(e.destination) ?? { before: emptyAcc(), during: emptyAcc(), after: emptyAcc(), ingress: false }
    const isIngress = e.source === 'ingress'
    if (isIngress && !svc.ingress) Object.assign(svc, { before: emptyAcc(), during: emptyAcc(), after: emptyAcc(), ingress: true })
    if (isIngress || !svc.ingress) {
      for (const k of ['before', 'during', 'after'] as const) merge(svc[k], phases[k])
    }
    phaseAcc.set(e.destination, svc)
  }

  const services: ServiceImpact[] = [...phaseAcc].map(([service, p]) => {
    const inbound = edges.filter((e) => e.destination === service && (!p.ingress || e.source === 'ingress'))
    const recov = inbound.flatMap((e) => e.recovery)
    const never = recov.some((r) => r.secondsToRecover === null)
    const unknown = recov.some((r) => r.secondsToRecover === null && !r.trafficAfter)
    const before = signalsOf(p.before)
    const during = signalsOf(p.during)
    const after = signalsOf(p.after)
    return {
      service,
      requests: before.requests + during.requests + after.requests,
      before: roundPhase(before),
      during: roundPhase(during),
      after: roundPhase(after),
      secondsToRecover: recov.length === 0 || never ? null : Math.max(...recov.map((r) => r.secondsToRecover!)),
      recoveryUnknown: unknown,
      affected: faultedServices.has(service) || inbound.some((e) => e.affected),
    }
  })
  services.sort((a, b) => Number(b.affected) - Number(a.affected) || impact(b) - impact(a) || a.service.localeCompare(b.service))

  if (silentAfter.size > 0) notes.push(`no traffic after the fault ended, so no time to recover: ${[...silentAfter].join('; ')} (keep load running past the fault, or report a longer range)`)
  const runs: RunSummary[] = inp.runs.map((r) => runSummary(r.journal, r.experiment))
  const history = scoreHistory((inp.history ?? inp.runs).map((r) => runSummary(r.journal, r.experiment)))
  const trace = pickTrace(inp.exemplars.filter((e) => e.t >= from && e.t < to), inp.exemplars)
  if (!trace) notes.push('no request trace: the sidecars keep the spans of failing, faulted and slow requests only while tracing is on (OTEL_EXPORTER_OTLP_ENDPOINT set for `chaoscope up`)')

  return {
    schema: REPORT_SCHEMA,
    title: inp.title ?? (runs.length === 1 ? runs[0]!.title : 'chaoscope report'),
    generatedAt: iso(inp.now ?? Date.now()),
    range: { from: iso(from), to: iso(to) },
    stepSeconds,
    edges,
    services,
    faults,
    runs,
    history,
    trace,
    notes,
  }
}

/** The first step of `rows` at or after `from`. */
function baseStart(rows: SignalRow[], from: number): number {
  let t = Infinity
  for (const r of rows) if (r.t >= from && r.t < t) t = r.t
  return t === Infinity ? from : t
}

function merge(into: Acc, from: Acc): void {
  into.total += from.total
  into.errors += from.errors
  if (from.counts.length === 0) return
  if (into.counts.length === 0) {
    into.bounds = from.bounds
    into.counts = new Array<number>(from.counts.length).fill(0)
  }
  if (into.counts.length === from.counts.length) from.counts.forEach((c, i) => (into.counts[i]! += c))
}

const roundPhase = (p: PhaseSignals): PhaseSignals => ({ requests: p.requests, errorRate: round(p.errorRate, 4), p99Ms: round(p.p99Ms) })

/** How much worse a service was during the faults than before them (for ordering only). */
function impact(s: ServiceImpact): number {
  const dErr = (s.during.errorRate ?? 0) - (s.before.errorRate ?? 0)
  const dP99 = s.before.p99Ms && s.during.p99Ms ? s.during.p99Ms / s.before.p99Ms - 1 : 0
  return dErr * 10 + dP99
}

const failed = (e: ExemplarRow) => e.status === 0 || e.status >= 500

/** The trace of one failing request (the one with the most hops), else of the slowest; spans from `all`. */
export function pickTrace(inRange: ExemplarRow[], all: ExemplarRow[] = inRange): TraceView | null {
  if (inRange.length === 0) return null
  const traces = new Map<string, ExemplarRow[]>()
  for (const e of all) traces.set(e.traceId, [...(traces.get(e.traceId) ?? []), e])
  const candidates = [...new Set(inRange.map((e) => e.traceId))].map((id) => traces.get(id)!)
  const withFailure = candidates.filter((t) => t.some(failed))
  const why: TraceView['why'] = withFailure.length > 0 ? 'failed' : 'slowest'
  const pool = withFailure.length > 0 ? withFailure : candidates
  const longest = (t: ExemplarRow[]) => Math.max(...t.map((s) => s.durationMs))
  pool.sort((a, b) => b.length - a.length || longest(b) - longest(a))
  const spans = [...pool[0]!].sort((a, b) => a.t - b.t)
  const t0 = spans[0]!.t
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
      faults: s.faults,
    })),
  }
}
