/**
 * @module report/types: what a report holds, whatever it is rendered as. `report.json` is this object as it is;
 * the HTML and Markdown renderings show the same data. Times are ISO 8601 (UTC) except series points, which are
 * epoch milliseconds. Latencies are milliseconds; rates are per second; error rates are fractions (0..1).
 */

export const REPORT_SCHEMA = 'chaoscope.report/v1'

export interface ReportData {
  schema: typeof REPORT_SCHEMA
  title: string
  generatedAt: string
  /** The time range the report covers. */
  range: { from: string; to: string }
  /** Seconds per series point. */
  stepSeconds: number
  /** One entry per traffic edge (a sidecar's source → destination) that carried requests in the range. */
  edges: EdgeSeries[]
  /** One row per service (an edge's destination), in order of impact. */
  services: ServiceImpact[]
  /** Every fault active at some moment of the range, in start order. */
  faults: FaultWindow[]
  /** The `chaoscope run`s in the range (or the one run of `chaoscope run --report`). */
  runs: RunSummary[]
  /** The score across runs of the same experiment, for each experiment of `runs`. */
  history: ScoreHistory[]
  /** One failing (or, if none failed, the slowest) request's trace, when the sidecars traced one. */
  trace: TraceView | null
  /** Things the reader should know about the data: gaps, tracing off, no baseline... */
  notes: string[]
}

export interface SeriesPoint {
  /** Start of the step, epoch ms. */
  t: number
  /** Responses per second (any status), plus requests that got no response. */
  rps: number
  /** (5xx + no response) / all, or null when there was no request in the step. */
  errorRate: number | null
  /** Latency quantiles (from the sidecar's histogram, interpolated within a bucket as Prometheus does), null without requests. */
  p50Ms: number | null
  p95Ms: number | null
  p99Ms: number | null
}

/** The steady-state tolerance a signal must be back within for an edge to count as recovered. */
export interface Tolerance {
  /** p99 latency at most this (null: no latency baseline). */
  p99Ms: number | null
  /** Error rate at most this. */
  errorRate: number
  /** How the bounds were derived, in words (shown in the report). */
  basis: string
}

export interface EdgeSeries {
  /** `source→destination` */
  id: string
  source: string
  destination: string
  /** A fault targeted one of its services, or its signals left the tolerance during a fault window. */
  affected: boolean
  points: SeriesPoint[]
  /** Signals before the first fault (null when there was no traffic before it). */
  baseline: { rps: number; errorRate: number; p99Ms: number | null } | null
  tolerance: Tolerance | null
  /** For each fault window that ended in the range: when this edge was back within tolerance. */
  recovery: Recovery[]
}

export interface Recovery {
  faultId: string
  /** When the fault ended. */
  faultEnd: string
  /** First moment at or after the fault's end with the signal within tolerance; null if never in the range. */
  recoveredAt: string | null
  secondsToRecover: number | null
  /** Whether the edge carried traffic after the fault ended: without any, its recovery is unknown, not "never". */
  trafficAfter: boolean
}

export interface FaultWindow {
  /** Unique in the report: `Kind/namespace/name#n` (n counts the episodes of that name, re-created objects included). */
  id: string
  experiment: { kind: string; namespace: string; name: string; uid?: string }
  /** The fault's action (delay, pod-kill, abort...), when it has one. */
  action: string | null
  /** The pods it was injected into. */
  targets: string[]
  /** The services of those pods. */
  services: string[]
  /** For a one-shot fault (pod-kill, container-kill) the same as `start`: an instant. */
  start: string
  /** Null while it is still active at the end of the range. */
  end: string | null
}

export interface ServiceImpact {
  service: string
  requests: number
  /** Error rate and p99 before the first fault, during the faults, and after the last one. */
  before: PhaseSignals
  during: PhaseSignals
  after: PhaseSignals
  /** The longest time to recover among its inbound edges, seconds; null when it never recovered or had no fault. */
  secondsToRecover: number | null
  /** An inbound edge carried no traffic after a fault ended: the service's recovery is unknown. */
  recoveryUnknown: boolean
  affected: boolean
}

export interface PhaseSignals {
  requests: number
  errorRate: number | null
  p99Ms: number | null
}

export interface ProbeCheck {
  name: string
  met: boolean
  /** Whether the probe itself ran to an answer (false: it errored). */
  ran: boolean
  observed: string | null
  expected: string | null
}

export interface HypothesisCheck {
  phase: 'before' | 'during' | 'after'
  at: string
  met: boolean
  probes: ProbeCheck[]
}

export interface RunSummary {
  title: string
  /** Groups runs of the same experiment for the history (its title, or the file it came from). */
  experiment: string
  startedAt: string
  endedAt: string
  /** Chaos Toolkit's run status: completed, failed, aborted, interrupted. */
  status: string
  deviated: boolean
  /**
   * passed (completed, not deviated, steady state held before and every check during the method met), deviated
   * (after the method), deviated-during (a check during the method missed; the journal is not deviated), or the
   * status otherwise.
   */
  verdict: 'passed' | 'deviated' | 'deviated-during' | 'failed' | 'aborted' | 'interrupted' | 'not-tested'
  hypothesis: HypothesisCheck[]
  score: Score
}

/** See docs/reports.md for the formula. */
export interface Score {
  /** 0..100. */
  value: number
  formula: string
  inputs: { probe: string; weight: number; checks: number; passed: number }[]
}

export interface ScoreHistory {
  experiment: string
  runs: { at: string; score: number; verdict: RunSummary['verdict'] }[]
  /** Mean of the runs' scores. */
  mean: number
  /** The latest score minus the one before it; null with a single run. */
  trend: number | null
}

export interface TraceSpan {
  spanId: string
  parentSpanId: string | null
  /** The sidecar the hop went through, and the services on either side. */
  sidecar: string
  source: string
  destination: string
  method: string
  path: string
  /** 0: no response. */
  status: number
  /** Offset from the trace's first span, ms. */
  startOffsetMs: number
  durationMs: number
  /** Fault window ids (FaultWindow.id) of the faults that acted on this hop, or the sidecar's raw effect id when no window matched. */
  faults: string[]
}

export interface TraceView {
  traceId: string
  at: string
  /** Why this one: `failed` (status >= 500 or no response) or `slowest`. */
  why: 'failed' | 'slowest'
  spans: TraceSpan[]
}
