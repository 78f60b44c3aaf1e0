/**
 * @module recorder: keeps the sidecars' traffic in the store, one row per sidecar per second, so that a report
 * can show any past range (`chaoscope report --since 15m`) without a Prometheus beside chaoscope.
 *
 *   every second: runtime sidecar counters ─▶ difference with the last snapshot ─▶ store.appendSignals (busy ones only)
 *                 exemplar spans newer than the last read ──────────────────────▶ store.appendExemplars
 *
 * A sidecar seen for the first time gives no row (its counters since it started are not one second's); one whose
 * counters went down was re-created, and counts from zero. A failed read (the runtime restarting) loses that
 * second and nothing else: the next difference spans the gap and is written as one longer step.
 */
import type { ExemplarRow, SignalRow } from './store/store.js'

/** What the recorder reads of one sidecar (GET /runtime/v1/sidecars, or the runtime in this process). */
export interface SidecarCounters {
  name: string
  mode: string
  labels: Record<string, string>
  /** By status class (`2xx`, `5xx`, `error`...): a sidecar's StatusCounts. */
  requests: object
  latency: { boundsMs: readonly number[]; counts: readonly number[]; sumMs: number; count: number }
  exemplars?: readonly SidecarExemplar[]
}

export interface SidecarExemplar {
  traceId: string
  spanId: string
  parentSpanId?: string | null
  start: number
  durationMs: number
  sidecar?: string
  source?: string
  destination?: string
  method: string
  path: string
  status: number
  faults: readonly string[]
  /** Why the sidecar kept it. */
  reason?: 'failed' | 'fault' | 'slow'
}

/** New traces whose exemplar spans are kept per step, failing ones first. */
export const TRACES_PER_TICK = 1
const RANK = { failed: 0, fault: 1, slow: 2 } as const

export interface SignalSink {
  appendSignals(rows: SignalRow[]): void
  appendExemplars(rows: ExemplarRow[]): void
}

interface Snapshot {
  at: number
  requests: Record<string, number>
  counts: number[]
  sumMs: number
}

/**
 * The rows of one step: for each http sidecar seen in `prev`, what its counters gained since. Pure (the tests
 * drive it with made-up counters).
 */
export function stepRows(prev: ReadonlyMap<string, Snapshot>, cur: readonly SidecarCounters[], now: number): { rows: SignalRow[]; next: Map<string, Snapshot> } {
  const next = new Map<string, Snapshot>()
  const rows: SignalRow[] = []
  for (const s of cur) {
    if (s.mode !== 'http') continue
    const current = s.requests as Record<string, number>
    const snap: Snapshot = { at: now, requests: { ...current }, counts: s.latency.counts.slice(), sumMs: s.latency.sumMs }
    next.set(s.name, snap)
    const p = prev.get(s.name)
    if (!p) continue
    const reset = Object.entries(p.requests).some(([k, v]) => (current[k] ?? 0) < v) || p.counts.some((v, i) => (snap.counts[i] ?? 0) < v)
    const requests: Record<string, number> = {}
    let total = 0
    for (const [k, v] of Object.entries(current)) {
      const d = reset ? v : v - (p.requests[k] ?? 0)
      if (d > 0) (requests[k] = d), (total += d)
    }
    if (total === 0) continue
    const counts = snap.counts.map((v, i) => (reset ? v : v - (p.counts[i] ?? 0)))
    rows.push({
      sidecar: s.name,
      t: p.at,
      stepMs: now - p.at,
      source: s.labels.source ?? '',
      destination: s.labels.destination ?? '',
      requests,
      bounds: [...s.latency.boundsMs],
      counts,
      sumMs: reset ? snap.sumMs : snap.sumMs - p.sumMs,
    })
  }
  return { rows, next }
}

export interface RecorderOptions {
  /** The sidecars' counters now. */
  read: () => Promise<readonly SidecarCounters[]>
  sink: SignalSink
  /** Step, ms (default 1000). */
  everyMs?: number
  now?: () => number
  /** Where a failed write is told (the read failing is normal while the runtime restarts, and is not). */
  onError?: (e: unknown) => void
}

/**
 * Records every `everyMs` until stopped. Ticks are aligned to the step (whole seconds by default), so that rows
 * of different sidecars share their `t`.
 *
 * @example
 * const rec = startRecorder({ read: () => runtime.stats(), sink: store })
 * await rec.stop()
 */
export function startRecorder(opts: RecorderOptions): { stop(): Promise<void>; tick(): Promise<void> } {
  const every = opts.everyMs ?? 1000
  const now = opts.now ?? Date.now
  let prev = new Map<string, Snapshot>()
  const seenSpans = new Set<string>()
  /** Traces picked lately: their later hops are kept too. */
  const chosen = new Set<string>()
  let stopped = false
  let running: Promise<void> | undefined
  let timer: NodeJS.Timeout | undefined

  const tick = async (): Promise<void> => {
    let cur: readonly SidecarCounters[]
    try {
      cur = await opts.read()
    } catch {
      return
    }
    if (stopped) return
    const at = now()
    const { rows, next } = stepRows(prev, cur, at)
    prev = next
    const spans: ExemplarRow[] = []
    const keep = new Set<string>()
    const fresh: { e: SidecarExemplar; s: SidecarCounters }[] = []
    for (const s of cur) {
      for (const e of s.exemplars ?? []) {
        const key = `${e.traceId}/${e.spanId}`
        keep.add(key)
        if (!seenSpans.has(key)) fresh.push({ e, s })
      }
    }
    // a few traces a second: under a fault the sidecars keep every request, and a report shows one trace. Traces,
    // not spans, are picked (failing ones first, then faulted, then slow), and every hop of a picked trace is kept,
    // also when it comes a second later
    const best = new Map<string, number>()
    for (const { e } of fresh) best.set(e.traceId, Math.min(best.get(e.traceId) ?? 9, RANK[e.reason ?? 'slow']))
    const longest = new Map<string, number>()
    for (const { e } of fresh) longest.set(e.traceId, Math.max(longest.get(e.traceId) ?? 0, e.durationMs))
    const picked = [...best.keys()].filter((id) => !chosen.has(id)).sort((a, b) => best.get(a)! - best.get(b)! || longest.get(b)! - longest.get(a)!).slice(0, TRACES_PER_TICK)
    for (const id of picked) {
      chosen.add(id)
      if (chosen.size > 1000) chosen.delete(chosen.values().next().value!)
    }
    for (const { e, s } of fresh) {
      if (!chosen.has(e.traceId)) continue
      spans.push({
        traceId: e.traceId, spanId: e.spanId, parentSpanId: e.parentSpanId ?? null, t: e.start, durationMs: e.durationMs,
        sidecar: e.sidecar ?? s.name, source: e.source ?? s.labels.source ?? '', destination: e.destination ?? s.labels.destination ?? '',
        method: e.method, path: e.path, status: e.status, faults: [...e.faults],
      })
    }
    // the sidecars' rings hold the recent spans: remember those, forget what they dropped
    seenSpans.clear()
    for (const k of keep) seenSpans.add(k)
    try {
      opts.sink.appendSignals(rows)
      opts.sink.appendExemplars(spans)
    } catch (e) {
      opts.onError?.(e)
    }
  }

  const schedule = () => {
    if (stopped) return
    const t = now()
    timer = setTimeout(() => {
      running = tick().finally(() => {
        running = undefined
        schedule()
      })
    }, every - (t % every))
    timer.unref()
  }
  schedule()
  return {
    tick,
    async stop() {
      stopped = true
      clearTimeout(timer)
      await running
    },
  }
}
