/**
 * @module load/run: a load run from the main thread: it starts the worker threads, hands each its share of the
 * plan, adds up what they post each second, and makes the result. The main thread only merges and reports, so
 * printing progress or serving /metrics never delays a send.
 *
 * @example
 * const run = startLoad({ ...plan, stages: [{ durationMs: 0, from: 500, to: 500 }], durationMs: 10_000 })
 * const result = await run.result   // or run.stop() to end it early
 */
import { Worker } from 'node:worker_threads'
import { ChaosError } from '../errors.js'
import { Arrivals, epochNow, fitStages, meanRate, rateAt, unboundedStages } from './schedule.js'
import { SecondsMerger, decodeHdr, encodeHdr, newHdr, quantiles } from './stats.js'
import type { StepRecord, Totals } from './stats.js'
import type { MainMessage, WorkerMessage } from './driver.js'
import type { LoadPlan, LoadProgress, LoadResult, StepStats } from './types.js'
import type { HistogramSnapshot } from '../wire/histogram.js'
import { workerSpec } from '../wire/worker-spec.js'

/** The run's totals so far, summed over its workers: what progress lines and /metrics read. */
export interface LoadSnapshot extends Totals {
  elapsedMs: number
  /** The open model's rate right now (per second); null in the closed model. */
  targetRate: number | null
  running: boolean
}

export interface LoadHooks {
  /** About once a second while the run goes. */
  onProgress?(p: LoadProgress): void
}

export interface LoadRun {
  readonly result: Promise<LoadResult>
  /** Ends the run early: no new sends; requests in flight get a second to end, then are canceled. */
  stop(): void
  snapshot(): LoadSnapshot
}

const now = epochNow

function addBuckets(a: HistogramSnapshot | undefined, b: HistogramSnapshot): HistogramSnapshot {
  if (!a) return { boundsMs: b.boundsMs, counts: b.counts.slice(), sumMs: b.sumMs, count: b.count }
  return { boundsMs: a.boundsMs, counts: a.counts.map((c, i) => c + (b.counts[i] ?? 0)), sumMs: a.sumMs + b.sumMs, count: a.count + b.count }
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v
}

function sumTotals(list: Totals[]): Totals {
  const out: Totals = {
    sent: 0, done: 0, errors: 0, late: 0, dropped: 0, inFlight: 0, bytesIn: 0, bytesOut: 0, errorKinds: {}, statusClasses: {},
    iterationsStarted: 0, iterationsCompleted: 0, latencyBuckets: undefined as unknown as HistogramSnapshot, serviceBuckets: undefined as unknown as HistogramSnapshot,
  }
  let lat: HistogramSnapshot | undefined
  let svc: HistogramSnapshot | undefined
  for (const t of list) {
    out.sent += t.sent
    out.done += t.done
    out.errors += t.errors
    out.late += t.late
    out.dropped += t.dropped
    out.inFlight += t.inFlight
    out.bytesIn += t.bytesIn
    out.bytesOut += t.bytesOut
    out.iterationsStarted += t.iterationsStarted
    out.iterationsCompleted += t.iterationsCompleted
    addCounts(out.errorKinds, t.errorKinds)
    addCounts(out.statusClasses, t.statusClasses)
    lat = addBuckets(lat, t.latencyBuckets)
    svc = addBuckets(svc, t.serviceBuckets)
  }
  out.latencyBuckets = lat ?? { boundsMs: [], counts: [0], sumMs: 0, count: 0 }
  out.serviceBuckets = svc ?? { boundsMs: [], counts: [0], sumMs: 0, count: 0 }
  return out
}

/** Checks what no flag parser can: the plan's parts fit together. Throws LOAD_INVALID_PLAN. */
export function checkPlan(plan: LoadPlan): void {
  const bad = (msg: string, hint?: string): never => {
    throw new ChaosError('LOAD_INVALID_PLAN', msg, hint === undefined ? undefined : { hint })
  }
  let url: URL
  try {
    url = new URL(plan.url)
  } catch {
    return bad(`"${plan.url}" is not a URL`, 'write it like http://127.0.0.1:8080/path')
  }
  if (url.protocol !== 'http:') bad(`only http:// targets are supported, got ${url.protocol}//`, 'chaoscope load speaks HTTP/1.1 without TLS')
  if (!(plan.connections >= 1)) bad('connections must be at least 1')
  if (!(plan.workers >= 1)) bad('workers must be at least 1')
  if (!(plan.timeoutMs > 0)) bad('the timeout must be above 0')
  if (plan.durationMs === undefined && plan.requests === undefined) {
    if (!plan.stages || !fitStages(plan.stages, undefined)) bad('the run has no end: give a duration or a request count', 'add --duration 30s or --requests 10000')
  }
}

/** Starts a run; its result resolves once every worker has ended (or rejects when one could not start). */
export function startLoad(plan: LoadPlan, hooks: LoadHooks = {}): LoadRun {
  checkPlan(plan)
  const open = plan.stages !== undefined
  // no more workers than connections: each worker needs one at least (its share of the limit)
  const count = Math.max(1, Math.min(plan.workers, plan.connections))
  const fitted = open ? fitStages(plan.stages!, plan.durationMs) : undefined
  // the stages with the open-ended last one made long (a run that only --requests ends)
  const unbounded = open ? unboundedStages(plan.stages!) : []
  const merger = new SecondsMerger()
  const totals: Totals[] = []
  const steps: StepRecord[][] = []
  const done: (Extract<WorkerMessage, { type: 'done' }> | undefined)[] = new Array(count).fill(undefined)
  const workers: Worker[] = []
  let startEpoch = 0
  let running = false
  let stopped = false
  let progress: NodeJS.Timeout | undefined

  const snapshot = (): LoadSnapshot => {
    const t = sumTotals(totals.filter(Boolean))
    const elapsedMs = startEpoch === 0 ? 0 : Math.max(0, now() - startEpoch)
    const targetRate = !open ? null : running ? rateAt(fitted?.stages ?? unbounded, elapsedMs) : 0
    return { ...t, elapsedMs, targetRate, running }
  }

  const result = new Promise<LoadResult>((resolve, reject) => {
    let ready = 0
    let finished = 0
    let failed = false
    const fail = (err: Error): void => {
      if (failed) return
      failed = true
      clearInterval(progress)
      for (const w of workers) void w.terminate()
      reject(err)
    }
    const { url, execArgv } = workerSpec(import.meta.url, './worker')
    for (let i = 0; i < count; i++) {
      const w = new Worker(url, { execArgv, name: `chaoscope-load-${i}`, workerData: { plan, index: i, count } })
      workers.push(w)
      w.on('error', (err) => fail(new ChaosError('LOAD_WORKER_FAILED', `load worker ${i} failed: ${err.message}`)))
      w.on('exit', (code) => {
        if (!done[i] && !failed) fail(new ChaosError('LOAD_WORKER_FAILED', `load worker ${i} exited (code ${code}) before the run ended`))
      })
      w.on('message', (m: WorkerMessage) => {
        if (m.type === 'ready') {
          if (++ready === count) {
            startEpoch = now() + 20
            running = true
            for (const x of workers) x.postMessage({ type: 'start', startEpochMs: startEpoch } satisfies MainMessage)
            if (stopped) for (const x of workers) x.postMessage({ type: 'stop' } satisfies MainMessage)
            if (hooks.onProgress) progress = setInterval(() => hooks.onProgress!(progressOf()), 1000)
          }
        } else if (m.type === 'tick') {
          merger.add(m.seconds)
          totals[i] = m.totals
        } else if (m.type === 'done') {
          merger.add(m.seconds)
          totals[i] = m.totals
          steps[i] = m.steps
          done[i] = m
          void w.terminate()
          if (++finished === count) {
            running = false
            clearInterval(progress)
            resolve(resultOf())
          }
        } else if (m.type === 'fatal') {
          fail(new ChaosError('LOAD_WORKER_FAILED', m.message))
        }
      })
    }
  })

  const progressOf = (): LoadProgress => {
    const s = snapshot()
    const last = merger.lastSecond
    return {
      elapsedMs: s.elapsedMs,
      plannedMs: plan.durationMs ?? fitted?.totalMs,
      sent: s.sent,
      done: s.done,
      errors: s.errors,
      inFlight: s.inFlight,
      last: last === undefined ? undefined : merger.at(last),
    }
  }

  const resultOf = (): LoadResult => {
    const t = sumTotals(totals)
    const ends = done.map((d) => d!)
    const ok = ends.reduce((n, d) => n + d.ok, 0)
    // with flows the rate is of iterations, and an iteration's later steps may come after the send phase
    const flows = plan.flows !== undefined
    const lastWrite = Math.max(0, ...ends.map((d) => (flows ? d.lastFirstWriteMs : d.lastWriteMs)))
    const stops = ends.map((d) => d.stoppedAtMs).filter((x): x is number => x !== null)
    const stoppedAt = stops.length > 0 ? Math.min(...stops) : undefined
    // the send window: the planned one (cut at a stop), stretched to the last write when sends ran late, so a
    // generator that falls behind shows a lower rate instead of the schedule's
    let planned: number
    if (open) {
      const nth = plan.requests === undefined ? undefined : new Arrivals(unbounded, plan.requests, 1).take()?.at
      planned = fitted ? Math.min(fitted.totalMs, nth ?? Infinity) : (nth ?? lastWrite)
    } else {
      planned = plan.durationMs !== undefined && plan.requests === undefined ? plan.durationMs : lastWrite
    }
    if (stoppedAt !== undefined) planned = Math.min(planned, stoppedAt)
    const sendMs = Math.max(1, planned, lastWrite)
    const totalMs = Math.max(sendMs, ...ends.map((d) => d.lastEndMs))
    const stepStats = new Map<string, { s: StepStats; h: ReturnType<typeof newHdr> }>()
    const order: string[] = []
    for (const list of steps) {
      for (const r of list ?? []) {
        const key = `${r.flow}\u0000${r.name}`
        let e = stepStats.get(key)
        if (!e) {
          e = { s: { flow: r.flow, name: r.name, requests: 0, failed: 0, latency: { p50: 0, p90: 0, p99: 0, max: 0 } }, h: newHdr() }
          stepStats.set(key, e)
          order.push(key)
        }
        e.s.requests += r.requests
        e.s.failed += r.failed
        e.h.add(decodeHdr(r.latency))
      }
    }
    const stepList = order.map((k) => {
      const e = stepStats.get(k)!
      const q = quantiles(e.h)
      return { ...e.s, latency: { p50: q.p50, p90: q.p90, p99: q.p99, max: q.max } }
    })
    return {
      url: plan.url,
      model: open ? 'open' : 'closed',
      targetRate: open ? round(meanRate(fitStages(plan.stages!, Math.max(1, planned))!.stages)) : null,
      requests: t.sent,
      achievedRate: round(((flows ? t.iterationsStarted : t.sent) * 1000) / sendMs),
      throughput: round((ok * 1000) / totalMs),
      // dropped sends count against success: they were due and got nothing
      success: t.done + t.dropped === 0 ? 0 : round(ok / (t.done + t.dropped), 4),
      errors: t.errors,
      errorKinds: t.errorKinds,
      statusCodes: merger.statusCodes,
      latency: quantiles(merger.latency),
      serviceTime: quantiles(merger.service),
      late: t.late,
      dropped: t.dropped,
      iterations: { started: t.iterationsStarted, completed: t.iterationsCompleted },
      bytesIn: t.bytesIn,
      bytesOut: t.bytesOut,
      duration: { send: round(sendMs / 1000, 3), total: round(totalMs / 1000, 3) },
      perSecond: merger.series(),
      steps: stepList,
      histogram: encodeHdr(merger.latency),
    }
  }

  return {
    result,
    snapshot,
    stop() {
      if (stopped) return
      stopped = true
      if (running) for (const w of workers) w.postMessage({ type: 'stop' } satisfies MainMessage)
    },
  }
}

/** Runs to the end; `signal` stops it early (the result still comes, with what was measured). */
export async function runLoad(plan: LoadPlan, hooks: LoadHooks & { signal?: AbortSignal } = {}): Promise<LoadResult> {
  const run = startLoad(plan, hooks)
  const onAbort = (): void => run.stop()
  hooks.signal?.addEventListener('abort', onAbort, { once: true })
  try {
    return await run.result
  } finally {
    hooks.signal?.removeEventListener('abort', onAbort)
  }
}

function round(n: number, digits = 2): number {
  const f = 10 ** digits
  return Math.round(n * f) / f
}
