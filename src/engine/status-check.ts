/**
 * @module engine/status-check: the StatusCheck kind on the local controller (engine/family.ts): an HTTP probe run
 * every intervalSeconds by one worker per live check, each outcome written to the store as it arrives (a record,
 * the count, Chaos Mesh's conditions and its events, in one commit), the decisions made by
 * engine/status-check-decide.ts.
 *
 *   reconcile(row) ─ decide(stored status, now) ─┬─ new: startTime = now (written)
 *                                               ├─ duration over: Completed (DurationExceed), worker stopped
 *                                               └─ else: the worker probes at the next tick; requeue at the duration's end
 *   worker: timer ─▶ probe (one at a time, aborted at timeoutSeconds) ─▶ commit(record + decide) ─▶ next tick or stop
 *
 * A restarted controller resumes from the stored records and startTime: the next probe is the next tick of the
 * grid from startTime (one at once if that tick has passed), and the duration is counted from startTime.
 */
import { request as httpRequest } from 'node:http'
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { ChaosError } from '../errors.js'
import { checkStatusCheck } from '../manifest/kinds/status-check.js'
import type { StatusCheckSpec } from '../manifest/kinds/status-check.js'
import type { CheckContext } from '../manifest/kind.js'
import type { ResourceRow } from '../store/store.js'
import type { Clock, ClockTimer, EngineContext } from './context.js'
import type { Family, KindModule, KindReconciler } from './family.js'
import { decideStatusCheck, phaseOfStatus, settingsOf, statusCodeMatches } from './status-check-decide.js'
import type { ProbeOutcome, ProbeResult, StatusCheckDecision, StatusCheckStatus } from './status-check-decide.js'

export type HttpProbeSpec = NonNullable<StatusCheckSpec['http']>

/** The executor type Chaos Mesh names in its per-probe events. */
const EXECUTOR = 'HTTP'

/** The events of one probe's outcome (the others mark a condition turning True, once each). */
const PER_PROBE = new Set(['StatusCheckExecutionSucceed', 'StatusCheckExecutionFailed'])

const TIMED_OUT = Symbol('timed out')
const STOPPED = Symbol('stopped')

/**
 * One HTTP probe: `method url` with the spec's headers and body, judged by `criteria.statusCode`; aborted (a
 * Failure) once `timeoutMs` of `clock` time have passed, the answer's body included, as Go's client timeout does.
 * An answer is not followed to where a redirect points: its own status code is judged. `signal` abandons the probe
 * (it then resolves undefined). Never throws.
 */
export async function probeHttp(http: HttpProbeSpec, opts: { timeoutMs: number; clock: Clock; signal?: AbortSignal }): Promise<{ outcome: ProbeOutcome; message?: string } | undefined> {
  const method = http.method ?? 'GET'
  const fail = (message: string) => ({ outcome: 'Failure' as const, message })
  let url: URL
  try {
    url = new URL(http.url)
  } catch (e) {
    return fail(`new http request: ${(e as Error).message}`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return fail(`new http request: unsupported protocol scheme "${url.protocol.slice(0, -1)}"`)
  if (opts.signal?.aborted) return undefined
  const ac = new AbortController()
  const timer = opts.clock.setTimer(() => ac.abort(TIMED_OUT), opts.timeoutMs)
  const onStop = () => ac.abort(STOPPED)
  opts.signal?.addEventListener('abort', onStop, { once: true })
  try {
    const code = await new Promise<number>((resolve, reject) => {
      const headers: OutgoingHttpHeaders = {}
      for (const [k, v] of Object.entries(http.headers ?? {})) headers[k] = v.length === 1 ? v[0] : v
      const body = http.body ?? ''
      const given = Object.keys(headers).some((k) => k.toLowerCase() === 'content-length')
      if (!given && (body !== '' || method === 'POST')) headers['content-length'] = Buffer.byteLength(body)
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest
      // agent: false: one connection per probe, closed with its answer (nothing idle is left open between probes)
      const req = send(url, { method, headers, agent: false, signal: ac.signal }, (res: IncomingMessage) => {
        res.once('error', reject)
        res.once('close', () => (res.complete ? resolve(res.statusCode ?? 0) : reject(new Error('the answer was cut off'))))
        res.resume() // the body is read to its end and dropped: the criteria look at the status code only
      })
      req.once('error', reject)
      req.end(body === '' ? undefined : body)
    })
    return statusCodeMatches(http.criteria.statusCode, code) ? { outcome: 'Success' } : fail(`unexpected status code: ${code}`)
  } catch (e) {
    if (ac.signal.reason === STOPPED) return undefined
    if (ac.signal.reason === TIMED_OUT) return fail(`do http request: ${method} "${http.url}": no answer within ${opts.timeoutMs / 1000} s (timeoutSeconds)`)
    return fail(`do http request: ${method} "${http.url}": ${(e as Error).message}`)
  } finally {
    timer.cancel()
    opts.signal?.removeEventListener('abort', onStop)
  }
}

/** A stored row, or the object `get` shows: only its status is read. */
type WithStatus = { status?: unknown }

const conditionTrue = (row: WithStatus, type: string) => (((row.status ?? {}) as StatusCheckStatus).conditions ?? []).some((c) => c.type === type && c.status === 'True')

/** Chaos Mesh's IsCompleted: condition Completed is True. */
export function finished(row: WithStatus): boolean {
  return conditionTrue(row, 'Completed')
}

/**
 * For a Workflow's StatusCheck node: `failed` once FailureThresholdExceed is True (written with the failing probe's
 * record, so within the probe's own interval), `succeeded` once completed otherwise, `running` before.
 */
export function statusCheckOutcome(row: WithStatus): 'running' | 'succeeded' | 'failed' {
  if (conditionTrue(row, 'FailureThresholdExceed')) return 'failed'
  return finished(row) ? 'succeeded' : 'running'
}

/**
 * Chaos Mesh's needToAbort (pkg/workflow/controllers/statuscheck_reconciler.go): with abortWithStatusCheck, a node
 * aborts its workflow when its check is completed and SuccessThresholdExceed is not True: a failure threshold,
 * and also a duration that ran out without the last successThreshold probes succeeding.
 */
export function abortsWorkflow(row: WithStatus): boolean {
  return finished(row) && !conditionTrue(row, 'SuccessThresholdExceed')
}

/** Probes one live check, one probe at a time, on the interval grid the decisions give. */
class ProbeWorker {
  private timer: ClockTimer | undefined
  private inflight: AbortController | undefined
  private stopped = false

  constructor(
    private readonly owner: StatusCheckReconciler,
    readonly uid: string,
    private readonly spec: StatusCheckSpec,
  ) {}

  /** Probes at `at` (ms), unless a probe is running (it schedules the next one itself). */
  arm(at: number | undefined): void {
    if (this.stopped || this.inflight) return
    this.timer?.cancel()
    this.timer = undefined
    if (at === undefined) return
    const { clock } = this.owner.ctx
    this.timer = clock.setTimer(() => {
      this.fire().catch((e: unknown) => this.owner.ctx.log('error', `StatusCheck ${this.uid}: the probe worker failed: ${(e as Error).message}`, { uid: this.uid }))
    }, Math.max(0, at - clock.now()))
  }

  /** Whether a probe is on its way. */
  get busy(): boolean {
    return this.inflight !== undefined
  }

  private async fire(): Promise<void> {
    this.timer = undefined
    if (this.stopped || this.inflight || !this.spec.http) return
    const { ctx } = this.owner
    const settings = settingsOf(this.spec)
    const ac = new AbortController()
    this.inflight = ac
    const startedAt = ctx.clock.now()
    let result: Awaited<ReturnType<typeof probeHttp>>
    try {
      result = await probeHttp(this.spec.http, { timeoutMs: settings.timeoutMs, clock: ctx.clock, signal: ac.signal })
    } finally {
      this.inflight = undefined
    }
    if (this.stopped || !result) return
    let d: StatusCheckDecision | undefined
    try {
      d = this.owner.step(this.uid, { startedAt, ...result })
    } catch (e) {
      // the outcome is lost (the store refused the write); the next tick probes again
      ctx.log('warn', `StatusCheck ${this.uid}: the probe's outcome was not stored: ${(e as Error).message}`, { uid: this.uid })
      this.arm(ctx.clock.now() + settings.intervalMs)
      return
    }
    if (!d || d.completed) {
      this.owner.stopWorker(this.uid)
      return
    }
    this.arm(d.nextProbeAt)
  }

  /** Cancels the next probe and abandons the one running (its outcome is not stored). Idempotent. */
  stop(): void {
    this.stopped = true
    this.timer?.cancel()
    this.timer = undefined
    this.inflight?.abort()
  }
}

/** The StatusCheck reconciler. `stop()` (the controller's stop) stops every worker; `deleting()` stops one. */
export class StatusCheckReconciler implements KindReconciler {
  private readonly workers = new Map<string, ProbeWorker>()
  private stopped = false

  constructor(
    readonly ctx: EngineContext,
    readonly family: Family,
  ) {}

  async reconcile(row: ResourceRow): Promise<{ requeueAfterMs?: number } | void> {
    const d = this.step(row.uid)
    if (!d || d.completed) {
      this.stopWorker(row.uid)
      return
    }
    if (!this.stopped) {
      let w = this.workers.get(row.uid)
      if (!w) {
        w = new ProbeWorker(this, row.uid, row.spec as unknown as StatusCheckSpec)
        this.workers.set(row.uid, w)
      }
      w.arm(d.nextProbeAt)
    }
    if (d.deadline !== undefined) return { requeueAfterMs: Math.max(0, d.deadline - this.ctx.clock.now()) }
  }

  /**
   * Reads the stored status, decides (with `probe`, when one came back) and writes what changed with its events, in
   * one commit. Undefined when the check is gone or being deleted.
   */
  step(uid: string, probe?: ProbeResult): StatusCheckDecision | undefined {
    const { ctx } = this
    let d: StatusCheckDecision | undefined
    const fresh = ctx.store.open ? ctx.store.getResource(uid) : undefined
    if (!fresh || fresh.deletingAt) return undefined
    const decide = (row: ResourceRow) =>
      decideStatusCheck({ status: row.status as StatusCheckStatus, settings: settingsOf(row.spec as unknown as StatusCheckSpec), now: ctx.clock.now(), ...(probe ? { probe } : {}), executor: EXECUTOR })
    // nothing to write (a reconcile between probes): no commit, so no change is published
    const before = decide(fresh)
    if (!before.write) return before
    ctx.commit(uid, (emit) => {
      const row = ctx.store.getResource(uid)
      if (!row || row.deletingAt) return
      d = decide(row)
      if (!d.write) return
      ctx.store.updateResource(uid, { status: d.status as unknown as Record<string, unknown> })
      for (const e of d.events) {
        // a probe's event that repeats the last one is not written again (Kubernetes folds repeated events into
        // one as well); the records and count keep every probe
        const last = PER_PROBE.has(e.reason) ? ctx.store.lastEvent(uid) : undefined
        if (last && last.reason === e.reason && last.message === e.message) continue
        emit(e.type, e.reason, e.message, e.at)
      }
    })
    if (d?.completed) ctx.log('info', `StatusCheck ${fresh.namespace}/${fresh.name}: completed (${d.status.conditions?.find((c) => c.type === 'Completed')?.reason})`, { uid })
    return d
  }

  deleting(row: ResourceRow): void {
    this.stopWorker(row.uid)
  }

  /** Stops the worker of `uid`, if any. */
  stopWorker(uid: string): void {
    this.workers.get(uid)?.stop()
    this.workers.delete(uid)
  }

  /** Stops every worker (controller stop): no probe runs or is stored after this returns. */
  stop(): void {
    this.stopped = true
    for (const w of this.workers.values()) w.stop()
    this.workers.clear()
  }

  /** The uids with a live worker (tests, diagnostics). */
  get running(): string[] {
    return [...this.workers.keys()]
  }
}

/** The spec rules of the manifest (engine/admission runs them again for a check spawned by a workflow). */
function admitSpec(spec: StatusCheckSpec, name: string): void {
  const issues: { path: string; code: string; message: string; hint?: string }[] = []
  const ctx = (prefix: (string | number)[]): CheckContext => ({
    issue: (path, code, message, hint) => void issues.push({ path: ['spec', ...prefix, ...path].join('.'), code, message, ...(hint ? { hint } : {}) }),
    clean: () => true,
    at: (p) => ctx([...prefix, ...p]),
    metadata: { name },
    metadataIssue: (path, code, message, hint) => void issues.push({ path: ['metadata', ...path].join('.'), code, message, ...(hint ? { hint } : {}) }),
    nested: (p) => ctx([...prefix, ...p, 'spec']),
  })
  checkStatusCheck(spec, ctx([]))
  if (spec.type !== undefined && spec.type !== 'HTTP') issues.push({ path: 'spec.type', code: 'SPEC_INVALID_VALUE', message: `type ${JSON.stringify(spec.type)} is not HTTP`, hint: 'write type: HTTP' })
  const first = issues[0]
  if (first) throw new ChaosError(first.code as 'SPEC_INVALID_VALUE', `StatusCheck ${name}: ${first.path}: ${first.message}`, first.hint ? { hint: first.hint } : {})
}

export const statusCheckModule: KindModule = {
  kind: 'StatusCheck',
  admit(resource) {
    admitSpec(resource.spec as unknown as StatusCheckSpec, resource.metadata.name)
  },
  reconciler: (ctx, family) => new StatusCheckReconciler(ctx, family),
  phase(row) {
    if (row.deletingAt) return 'Deleting'
    return phaseOfStatus(row.status as StatusCheckStatus)
  },
  finished,
}
