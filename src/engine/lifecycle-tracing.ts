/**
 * @module engine/lifecycle-tracing: the controller's OpenTelemetry spans: one span per object (an experiment of
 * any kind, a Schedule, a Workflow and each of its nodes) from the moment the controller sees it until it finishes
 * or goes, its events as span events, and one child span per injection into a target and per recovery.
 *
 *   Workflow w ─▶ WorkflowNode entry ─▶ WorkflowNode delay-node ─▶ NetworkChaos delay-node ─▶ inject default/web-0
 *                                                                                          └▶ recover default/web-0
 *   Schedule s (its own trace)   ◀─link─ PodChaos s-abcde (a trace of its own per run)
 *
 * An object's span and trace ids are derived from uids (the span's from its own, the trace's from the root of its
 * owner chain), and its start time is its creation time: a controller restarted half-way through an experiment
 * starts the same span again, so the span it ends (and exports) is the one the first controller's children name as
 * their parent. Spans of objects that are not yet over when the controller stops are never exported by it; the
 * controller that sees them finish does. Events that happened before this process saw the object are replayed
 * from the store with their times.
 *
 * The reconcilers call the small {@link Lifecycle} interface; nothing else in the engine touches OpenTelemetry.
 */
import { createHash, randomBytes } from 'node:crypto'
import type { Attributes, Link, Span } from '@opentelemetry/api'
import type { IdGenerator } from '@opentelemetry/sdk-trace-base'
import { startTracing } from '../observe/tracing.js'
import type { StartTracingOptions, Tracing } from '../observe/tracing.js'
import type { EventRow, StoredMetadata } from '../store/store.js'

/** What a span of an object is made of: found in the store (live or archived). */
export interface TracedObject {
  uid: string
  kind: string
  namespace: string
  name: string
  /** ISO creation time: the span's start. */
  createdAt: string
  metadata: Pick<StoredMetadata, 'ownerReferences'>
  spec: Record<string, unknown>
}

/** A span of one step on one target (an injection or a recovery): ended by exactly one of its two calls. */
export interface StepSpan {
  /** The step worked; `effects` are the ids the runtime holds for it (the ids sidecar hop spans name). */
  ok(effects?: readonly string[]): void
  failed(error: unknown): void
}

/** What the reconcilers tell the tracing. Every call is cheap and never throws. */
export interface Lifecycle {
  /** An event was published (it also opens the object's span when this process has not seen it yet). */
  event(e: EventRow): void
  /** An object was created or changed; `finished` says it has run its course (its span ends). */
  changed(uid: string, finished: boolean, phase?: string): void
  /** The object is gone (archived): its span ends. */
  gone(uid: string, phase?: string): void
  injection(uid: string, target: string, action: string): StepSpan
  recovery(uid: string, target: string, action: string): StepSpan
}

const NOOP_STEP: StepSpan = { ok() {}, failed() {} }

/** How many ended objects are remembered as ended (the oldest are forgotten first). */
const MAX_ENDED = 10_000

/** The lifecycle of a controller without tracing. */
export const NO_LIFECYCLE: Lifecycle = {
  event() {},
  changed() {},
  gone() {},
  injection: () => NOOP_STEP,
  recovery: () => NOOP_STEP,
}

function hex(seed: string, chars: number): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, chars)
}

/** The span id of the object `uid` (16 hex digits), the same in every process. */
export function objectSpanId(uid: string): string {
  return hex(`chaoscope span ${uid}`, 16)
}

/** The trace id of the objects under the root object `rootUid` (32 hex digits), the same in every process. */
export function objectTraceId(rootUid: string): string {
  return hex(`chaoscope trace ${rootUid}`, 32)
}

/**
 * The id generator the controller's tracing must be started with (see {@link startControllerTracing}): it hands
 * out the ids an object's span was given in every process, and random ones otherwise. Only one span is started
 * between a pin and its unpin (all synchronous), so one generator serves every controller of the process.
 */
class PinnedIds implements IdGenerator {
  private pinned: { traceId?: string; spanId: string } | undefined
  pin(spanId: string, traceId?: string): void {
    this.pinned = { spanId, ...(traceId !== undefined ? { traceId } : {}) }
  }
  unpin(): void {
    this.pinned = undefined
  }
  generateTraceId(): string {
    return this.pinned?.traceId ?? randomBytes(16).toString('hex')
  }
  generateSpanId(): string {
    // the SDK asks for the span id first, then (for a root span) the trace id: the pin holds until unpin()
    return this.pinned?.spanId ?? randomBytes(8).toString('hex')
  }
}

export const lifecycleIds = new PinnedIds()

/** The controller's tracing (`chaoscope-controller`, configured by OTEL_*), with the ids its spans need. */
export function startControllerTracing(opts: Omit<StartTracingOptions, 'idGenerator'> = {}): Promise<Tracing> {
  return startTracing('chaoscope-controller', { ...opts, idGenerator: lifecycleIds })
}

/** Phases (status.chaoscope.phase) that end an object's span as failed. */
const FAILED_PHASES = new Set(['Failed', 'Aborted', 'DeadlineExceed'])

/** Event reasons that are how the object's work went, told as span events with the message. */
function eventAttributes(e: EventRow, code: string | undefined): Attributes {
  return { 'chaoscope.event.type': e.type, 'chaoscope.event.reason': e.reason, 'chaoscope.event.message': e.message, ...(code ? { 'chaoscope.error.code': code } : {}) }
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : 'INTERNAL'
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

interface Open {
  span: Span
  kind: string
  traceId: string
  spanId: string
  /** The largest event id told (replayed or live): a later publication of it is not told twice. */
  lastEventId: number
}

export interface LifecycleDeps {
  /** The object `uid`, live or archived; undefined when the store knows nothing of it. */
  lookup(uid: string): TracedObject | undefined
  /** Its stored events, oldest first (replayed when its span opens in this process). */
  events(uid: string): readonly EventRow[]
  now(): number
}

/** The {@link Lifecycle} of a controller that traces: spans of `tracing`, objects and events from the store. */
export class LifecycleTracing implements Lifecycle {
  private readonly open = new Map<string, Open>()
  /** Objects whose span this process ended (their later changes and events are not traced again). */
  private readonly ended = new Set<string>()
  /** The error code of the step that failed last on an object, for the `Failed` event that follows it. */
  private readonly failedCode = new Map<string, string>()

  constructor(private readonly tracing: Tracing, private readonly deps: LifecycleDeps) {}

  private ownerOf(o: TracedObject): string | undefined {
    return o.metadata.ownerReferences?.find((r) => r.controller)?.uid
  }

  /** The trace id of `o`: a child of a Schedule starts a trace of its own (linked to it); others share their owner's. */
  private traceOf(o: TracedObject, depth = 0): string {
    const live = this.open.get(o.uid)
    if (live) return live.traceId
    const owner = this.ownerOf(o)
    const parent = owner !== undefined && depth < 32 ? this.deps.lookup(owner) : undefined
    if (!parent || parent.kind === 'Schedule') return objectTraceId(o.uid)
    return this.traceOf(parent, depth + 1)
  }

  private spanOf(uid: string): Open | undefined {
    if (this.ended.has(uid) || !this.tracing.enabled) return undefined
    const known = this.open.get(uid)
    if (known) return known
    const o = this.deps.lookup(uid)
    if (!o) return undefined
    const traceId = this.traceOf(o)
    const spanId = objectSpanId(o.uid)
    const owner = this.ownerOf(o)
    const ownerRow = owner !== undefined ? this.deps.lookup(owner) : undefined
    const attributes: Attributes = {
      'chaoscope.kind': o.kind,
      'chaoscope.namespace': o.namespace,
      'chaoscope.name': o.name,
      'chaoscope.uid': o.uid,
      ...(typeof o.spec.type === 'string' && o.kind === 'WorkflowNode' ? { 'chaoscope.node.type': o.spec.type } : {}),
      ...(typeof o.spec.templateName === 'string' ? { 'chaoscope.node.template': o.spec.templateName } : {}),
      ...(typeof o.spec.action === 'string' ? { 'chaoscope.action': o.spec.action } : {}),
      ...(ownerRow ? { 'chaoscope.owner': `${ownerRow.kind} ${ownerRow.namespace}/${ownerRow.name}` } : {}),
    }
    const startTime = Date.parse(o.createdAt)
    const name = `${o.kind} ${o.namespace}/${o.name}`
    let span: Span
    if (ownerRow && ownerRow.kind !== 'Schedule') {
      const parentOpen = this.open.get(ownerRow.uid)
      const parent = { traceId, spanId: parentOpen?.spanId ?? objectSpanId(ownerRow.uid), flags: 1 }
      lifecycleIds.pin(spanId)
      span = this.tracing.startSpan(name, { kind: 'internal', parent, attributes, startTime })
    } else {
      const links: Link[] = ownerRow ? [{ context: { traceId: objectTraceId(ownerRow.uid), spanId: objectSpanId(ownerRow.uid), traceFlags: 1, isRemote: true }, attributes: { 'chaoscope.link': 'scheduled by' } }] : []
      lifecycleIds.pin(spanId, traceId)
      span = this.tracing.tracer.startSpan(name, { root: true, attributes, startTime, links })
    }
    lifecycleIds.unpin()
    const sc = span.spanContext()
    const entry: Open = { span, kind: o.kind, traceId: sc.traceId, spanId: sc.spanId, lastEventId: 0 }
    this.open.set(uid, entry)
    for (const e of this.deps.events(uid)) this.tell(entry, e)
    return entry
  }

  private tell(o: Open, e: EventRow): void {
    if (e.id <= o.lastEventId) return
    o.lastEventId = e.id
    const code = e.reason === 'Failed' ? this.failedCode.get(e.uid) : undefined
    if (code) this.failedCode.delete(e.uid)
    o.span.addEvent(e.reason, eventAttributes(e, code), Date.parse(e.time))
  }

  event(e: EventRow): void {
    this.guard(() => {
      const o = this.spanOf(e.uid)
      if (o) this.tell(o, e)
    })
  }

  changed(uid: string, finished: boolean, phase?: string): void {
    this.guard(() => {
      const o = this.spanOf(uid)
      if (o && finished) this.end(uid, o, phase)
    })
  }

  gone(uid: string, phase?: string): void {
    this.guard(() => {
      const o = this.spanOf(uid)
      if (o) this.end(uid, o, phase)
    })
  }

  private end(uid: string, o: Open, phase: string | undefined): void {
    if (phase !== undefined) o.span.setAttribute('chaoscope.phase', phase)
    if (phase !== undefined && FAILED_PHASES.has(phase)) this.tracing.setError(o.span, `ended ${phase}`)
    o.span.end(this.deps.now())
    this.open.delete(uid)
    this.ended.add(uid)
    // bounded: a Schedule makes objects without end; an object ended this long ago sees no more changes
    if (this.ended.size > MAX_ENDED) this.ended.delete(this.ended.values().next().value!)
    this.failedCode.delete(uid)
  }

  injection(uid: string, target: string, action: string): StepSpan {
    return this.step('inject', uid, target, action)
  }

  recovery(uid: string, target: string, action: string): StepSpan {
    return this.step('recover', uid, target, action)
  }

  private step(what: 'inject' | 'recover', uid: string, target: string, action: string): StepSpan {
    let parent: Open | undefined
    this.guard(() => (parent = this.spanOf(uid)))
    if (!parent) return NOOP_STEP
    const o = parent
    const span = this.tracing.startSpan(`${what} ${target}`, {
      kind: 'internal',
      parent: { traceId: o.traceId, spanId: o.spanId, flags: 1 },
      attributes: { 'chaoscope.kind': o.kind, 'chaoscope.action': action, 'chaoscope.target': target, 'chaoscope.step': what },
    })
    let done = false
    return {
      ok: (effects) => {
        if (done) return
        done = true
        if (effects && effects.length > 0) span.setAttribute('chaoscope.effects', [...effects])
        span.setAttribute('chaoscope.result', 'success')
        span.end()
      },
      failed: (error) => {
        if (done) return
        done = true
        const code = codeOf(error)
        this.failedCode.set(uid, code)
        span.setAttributes({ 'chaoscope.result': 'failure', 'chaoscope.error.code': code })
        this.tracing.setError(span, messageOf(error))
        span.end()
      },
    }
  }

  /** Tracing never breaks a reconcile: a failure here is dropped (the store and the events still say what happened). */
  private guard(fn: () => void): void {
    try {
      fn()
    } catch {
      lifecycleIds.unpin()
    }
  }
}
