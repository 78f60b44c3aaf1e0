/**
 * @module engine/controller: the façade: the public Controller API (apply, applyAll, delete, pause, resume, get,
 * list, events, evidence) over the store, and the reconcile loop that makes the runtime match it. What apply
 * refuses is decided in admission.ts; what start() recovers after a crash, in recovery.ts; how one experiment is
 * moved, in experiment.ts.
 */
import { EventEmitter } from 'node:events'
import { ChaosError } from '../errors.js'
import type { FaultInjector } from '../faults/injector.js'
import { injectors as registryInjectors } from '../faults/registry.js'
import { createMetrics } from '../observe/metrics.js'
import type { ControllerMetrics } from '../observe/metrics.js'
import type { RuntimeClient } from '../runtime/client.js'
import { matchesSelector } from '../selector.js'
import type { Resource } from '../manifest/validate.js'
import { pidAlive } from '../store/state-files.js'
import { Store } from '../store/store.js'
import type { ArchiveRow, EventQuery, EventRow, Page, ResourceKey, ResourceRow, StoredMetadata } from '../store/store.js'
import { admitAll, AdmissionError } from './admission.js'
import type { AdmissionInput, ApplyAction, ApplyPlan, Decision } from './admission.js'
import { EngineContext, systemClock } from './context.js'
import type { Change, Clock, ClockTimer, Logger } from './context.js'
import { decidePhase, PAUSE_ANNOTATION } from './decide.js'
import { ExperimentReconciler, selectedMessage } from './experiment.js'
import type { KindModule } from './family.js'
import { kindModules } from './kinds.js'
import { checkNamespacePolicy, reachesThroughPods } from './namespace-policy.js'
import type { NamespacePolicy } from './namespace-policy.js'
import { LifecycleTracing, NO_LIFECYCLE } from './lifecycle-tracing.js'
import type { Lifecycle, TracedObject } from './lifecycle-tracing.js'
import type { Tracing } from '../observe/tracing.js'
import { factsOf, objectOf, OWNER_KINDS, phaseOf } from './object.js'
import { Owners, ownerUid } from './owners.js'
import type { ChaosObject } from './object.js'
import { POD_CACHE_MS, PodListCache } from './pod-cache.js'
import { ReconcileLoop } from './reconciler.js'
import { needsLook } from './reality.js'
import { recoverOnStart, sweep, SWEEP } from './recovery.js'
import { Pruner } from './retention.js'
import type { RetentionOptions } from './retention.js'
import type { Random } from './select.js'

export type { ChaosObject, ChaoscopeRecord, ContainerRecord, ExperimentStatus, PodState } from './object.js'
export type { Change, Clock, ClockTimer, Logger } from './context.js'
export type { ApplyAction, ApplyPlan, Refusal } from './admission.js'
export type { NamespacePolicy } from './namespace-policy.js'
export { AdmissionError } from './admission.js'

/** How long start() waits at most for its first pass over the experiments. */
const START_PASS_MS = 10_000

export interface ControllerOptions {
  /** The SQLite file to open (created and migrated if needed); or */
  dbPath?: string
  /** a store opened by the caller (the caller closes it). */
  store?: Store
  runtime: RuntimeClient
  clock?: Clock
  /** Kind → injector. Default: every injector of src/faults/registry.ts. */
  injectors?: Record<string, FaultInjector>
  /** For selection modes that pick at random; default Math.random. */
  random?: Random
  log?: Logger
  /** Default: a fresh registry. */
  metrics?: ControllerMetrics
  /** Retry back-off of failed reconciles. Default 100 ms doubling to 30 s. */
  backoff?: { baseMs: number; capMs: number }
  /**
   * How long (ms) applies and reconciles share one pod list from the runtime before asking again; the controller's
   * own pod-changing calls drop it at once. Default 200; 0 asks the runtime every time.
   */
  podCacheMs?: number
  /**
   * How often (ms, on the clock) the controller looks for experiments whose target pods went away while it runs
   * (a runtime restarted under `chaoscope server`); such experiments are reconciled, and end when every pod is
   * gone. Only while live experiments exist; one pod list each time. Default 5000; 0 turns it off (a start-up
   * still finds them).
   */
  podWatchMs?: number
  /** Prune events and the archive by age and count (engine/retention.ts). Absent: everything is kept. */
  retention?: RetentionOptions
  /** Workflow Tasks may run their container's command as a local process. Default false: such workflows are refused. */
  allowExec?: boolean
  /** The kinds run besides experiments (Schedule, Workflow, WorkflowNode, StatusCheck). Default: engine/kinds.ts. */
  modules?: KindModule[]
  /**
   * The namespaces experiments may act in (engine/namespace-policy.ts): checked for every document of an apply
   * (dry run too) before anything is written, for every object spawned later (a Schedule's runs, a Workflow's
   * nodes and chaos), and before an experiment without targets selects again. Default: no limit.
   */
  policy?: NamespacePolicy
  /**
   * Spans of every object's lifecycle, its injections and recoveries (engine/lifecycle-tracing.ts). Start it with
   * `startControllerTracing()` so that a restarted controller continues the same spans. Absent: no spans.
   */
  tracing?: Tracing
}

export interface ApplyResult {
  action: ApplyAction
  object: ChaosObject
  plan?: ApplyPlan
}

export interface ListQuery {
  kind?: string
  namespace?: string
  /** `app=web,tier!=db`: matched against the experiments' own labels. */
  labelSelector?: string
}

export interface DeleteResult {
  object: ChaosObject
  /** True once every target is recovered and the experiment archived; false when `wait` gave up first. */
  gone: boolean
}

/** A promise chain: one mutating API call at a time (apply, delete, pause, resume). */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve()
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn)
    this.tail = next.catch(() => undefined)
    return next
  }
}

/**
 * The controller of issue 4. State lives in the store; the loop moves the runtime towards it.
 *
 * Invariants: a record is stored (Not Injected) before its target is injected, and an injection counts only
 * once its Injection is stored; `stop()` never recovers (a stopped controller is not a deleted experiment); a
 * new controller on the same database continues where the last one stopped or crashed (`start()`).
 *
 * @example
 * const ctl = Controller.open({ dbPath: '/tmp/c.db', runtime: new InProcessRuntimeClient(rt) })
 * await ctl.start()
 * const { action, object } = await ctl.apply(resource)      // 'created'
 * await ctl.pause('NetworkChaos', 'default', 'delay')
 * await ctl.delete('NetworkChaos', 'default', 'delay')      // resolves once recovered and archived
 * await ctl.stop()
 */
export class Controller {
  readonly store: Store
  /** This controller's id, kept in its store: the owner of the effects it makes. */
  readonly id: string
  readonly metrics: ControllerMetrics
  readonly runtime: RuntimeClient
  private readonly pods: PodListCache
  private readonly ctx: EngineContext
  private readonly reconciler: ExperimentReconciler
  private readonly loop: ReconcileLoop
  private readonly emitter = new EventEmitter()
  private readonly mutex = new Mutex()
  private readonly ownsStore: boolean
  private started = false
  private stopped = false
  /** This controller holds the store's claim (Store.claim), given up at stop. */
  private claimed = false
  private readonly podWatchMs: number
  private podWatch: ClockTimer | undefined
  private readonly pruner: Pruner | undefined
  private readonly owners: Owners
  private readonly modules: Readonly<Record<string, KindModule>>
  private readonly allowExec: boolean
  private readonly policy: NamespacePolicy | undefined
  private readonly lifecycle: Lifecycle

  private constructor(opts: ControllerOptions) {
    if (!opts.store && !opts.dbPath) throw new ChaosError('STORE_OPEN_FAILED', 'the controller needs a database: give dbPath or store')
    this.store = opts.store ?? Store.open(opts.dbPath!)
    this.ownsStore = !opts.store
    this.id = this.store.controllerId()
    this.runtime = opts.runtime
    this.pods = new PodListCache(opts.runtime, opts.podCacheMs ?? POD_CACHE_MS)
    this.podWatchMs = opts.podWatchMs ?? 5000
    this.metrics = opts.metrics ?? createMetrics()
    this.emitter.setMaxListeners(0)
    const injectors = opts.injectors ?? (registryInjectors as unknown as Record<string, FaultInjector>)
    const log: Logger = opts.log ?? (() => undefined)
    const clock = opts.clock ?? systemClock
    this.lifecycle = opts.tracing?.enabled ? new LifecycleTracing(opts.tracing, { lookup: (uid) => this.traced(uid), events: (uid) => this.store.events({ uid }), now: () => clock.now() }) : NO_LIFECYCLE
    this.ctx = new EngineContext(this.store, this.pods, injectors, clock, opts.random ?? Math.random, this.metrics, log, (c) => this.published(c), this.id, this.lifecycle)
    this.reconciler = new ExperimentReconciler(this.ctx)
    this.allowExec = opts.allowExec ?? false
    this.policy = opts.policy
    this.modules = Object.fromEntries((opts.modules ?? kindModules({ allowExec: this.allowExec })).map((m) => [m.kind, m]))
    this.owners = new Owners({ ctx: this.ctx, modules: this.modules, admission: () => this.admissionInput(), enqueue: (uid, afterMs) => this.loop.enqueue(uid, afterMs) })
    this.pruner = opts.retention ? new Pruner(this.store, clock, opts.retention, log) : undefined
    this.loop = new ReconcileLoop(
      { reconcile: (id) => (id === SWEEP ? sweep(this.ctx).then(() => ({})) : this.dispatch(id)) },
      {
        clock,
        ...(opts.backoff ? { backoff: opts.backoff } : {}),
        onDone: (id, o) => {
          this.metrics.reconcileDuration.observe({ result: o.ok ? 'success' : 'error' }, o.seconds)
          if (!o.ok) log('warn', `reconcile ${id} failed${o.retryInMs !== undefined ? `; retrying in ${o.retryInMs} ms` : ''}: ${(o.error as Error)?.message ?? String(o.error)}`, { uid: id })
        },
      },
    )
    const live = (kind?: string) => (this.store.open ? this.store.listResources(kind ? { kind } : {}) : [])
    this.metrics.setSources({
      experiments: () => live().filter((r) => !OWNER_KINDS.has(r.kind)).map((r) => ({ namespace: r.namespace, kind: r.kind, phase: phaseOf(r, this.store.records(r.uid), this.ctx.oneShot(r), this.ctx.clock.now()) })),
      schedules: () => live('Schedule').map((r) => r.namespace),
      workflows: () => live('Workflow').map((r) => r.namespace),
    })
  }

  /** One reconcile: a kind with a module of its own (engine/owners.ts), or an experiment. */
  private async dispatch(uid: string): Promise<{ requeueAfterMs?: number } | void> {
    const row = this.store.open ? this.store.getResource(uid) : undefined
    if (row && this.owners.handles(row)) return this.owners.reconcile(row)
    if (row && this.policy) {
      const held = await this.heldByPolicy(row, this.policy)
      if (held) return held
    }
    return this.reconciler.reconcile(uid)
  }

  /**
   * An experiment without targets selects at its reconcile (a mode that picked none at apply); the namespace
   * policy is checked again over the pods of now first, so that a pod that appeared in a protected (or not
   * allowed) namespace since the apply is never selected. Refused: a Warning `Failed` with the POLICY_ code,
   * nothing selected, and a look again at the duration's end (which the reconcile then tells as usual).
   */
  private async heldByPolicy(row: ResourceRow, policy: NamespacePolicy): Promise<{ requeueAfterMs?: number } | undefined> {
    if (row.deletingAt || this.store.records(row.uid).length > 0) return undefined
    const decision = decidePhase(factsOf(row, this.ctx.oneShot(row)), this.ctx.clock.now())
    if (decision.phase !== 'Run') return undefined
    try {
      checkNamespacePolicy(policy, row, reachesThroughPods(row) ? await this.pods.pods() : [])
      return undefined
    } catch (e) {
      // a selector select.ts cannot read is the reconcile's to tell
      if (!(e instanceof ChaosError) || !e.code.startsWith('POLICY_')) return undefined
      this.ctx.commit(row.uid, (emit) => emit('Warning', 'Failed', `select targets: ${e.code}: ${e.message}`))
      return decision.untilStopMs !== undefined ? { requeueAfterMs: decision.untilStopMs } : {}
    }
  }

  /** Every change goes to the listeners; a spawned object's change (or its archive) wakes its owner's reconcile. */
  private published(change: Change): void {
    this.emitter.emit('change', change)
    if (this.lifecycle !== NO_LIFECYCLE) this.traceChange(change)
    if (change.type === 'EVENT' || this.stopped) return
    const owner = ownerUid(change.object.metadata)
    if (owner) this.loop.enqueue(owner)
  }

  /** Tells the lifecycle spans: an event, an object that changed (finished?), or one that went. */
  private traceChange(change: Change): void {
    if (change.type === 'EVENT') return this.lifecycle.event(change.event)
    const uid = change.object.metadata.uid
    const phase = (change.object.status as { chaoscope?: { phase?: unknown } } | undefined)?.chaoscope?.phase
    const said = typeof phase === 'string' ? phase : undefined
    if (change.type === 'DELETED') return this.lifecycle.gone(uid, said)
    const row = this.store.open ? this.store.getResource(uid) : undefined
    if (!row) return
    // an experiment's span ends with its Finished event, which is published after the recovery that finished it
    const finished = this.owners.handles(row) ? this.owners.finished(row) : this.store.hasEvent(uid, 'Finished')
    this.lifecycle.changed(uid, finished, said)
  }

  /** An object (live or archived) as its lifecycle span needs it. */
  private traced(uid: string): TracedObject | undefined {
    if (!this.store.open) return undefined
    const row = this.store.getResource(uid)
    if (row) return row
    const a = this.store.getArchived(uid)
    if (!a) return undefined
    const o = a.object as { metadata?: TracedObject['metadata']; spec?: Record<string, unknown> }
    return { uid, kind: a.kind, namespace: a.namespace, name: a.name, createdAt: a.createdAt, metadata: o.metadata ?? {}, spec: o.spec ?? {} }
  }

  private admissionInput(): AdmissionInput {
    return { store: this.store, injectors: this.ctx.injectors, random: this.ctx.random, now: this.ctx.iso(), pods: () => this.pods.pods(), modules: this.modules, allowExec: this.allowExec, ...(this.policy ? { policy: this.policy } : {}) }
  }

  /** Opens the store (or takes the given one). Nothing runs until {@link start}. */
  static open(opts: ControllerOptions): Controller {
    return new Controller(opts)
  }

  /**
   * Crash recovery (recovery.ts), then the loop: removes the effects this controller made that no live experiment
   * owns (any effect kind: sidecar faults, pods held down...), then reconciles every experiment (running ones
   * continue with their remaining duration; expired ones are recovered; half-done steps are finished).
   */
  async start(): Promise<void> {
    if (this.started) return
    if (this.stopped) throw new ChaosError('CONTROLLER_STOPPED', 'this controller was stopped; open a new one')
    // one live controller per database: two would share one id and act on each other's effects
    const holder = this.store.claim(process.pid, pidAlive)
    if (holder !== undefined) {
      throw new ChaosError('CONTROLLER_DB_IN_USE', `the controller with pid ${holder} keeps its state in this database`, { hint: 'stop it, or give this one a database of its own with --db' })
    }
    this.claimed = true
    this.started = true
    this.loop.start()
    await recoverOnStart(this.ctx, this.loop)
    // the first pass over every experiment ends before start() does (and so before an API serves): no answer
    // shows a record of before the restart that the runtime no longer bears out. Bounded: a slow runtime does not
    // hold the start for ever (the loop goes on with it afterwards).
    let timer: ClockTimer | undefined
    const passed = await Promise.race([this.loop.idle().then(() => true), new Promise<boolean>((r) => (timer = this.ctx.clock.setTimer(() => r(false), START_PASS_MS)))])
    timer?.cancel()
    if (!passed) this.ctx.log('warn', `the first pass over the experiments took longer than ${START_PASS_MS / 1000} s; serving while it goes on (some records may not be checked against the runtime yet)`)
    this.watchPods()
    this.pruner?.start()
  }

  /**
   * Every `podWatchMs` (level-based, beside the events that drive the loop): the records of the live experiments
   * are compared with the runtime (one pod list, one effect list); an experiment one of whose target pods is
   * gone, or one of whose Injected records names an effect the runtime does not hold, is enqueued, and its
   * reconcile decides (gone, injected again, or recovered at the time the runtime ended it).
   */
  private watchPods(): void {
    if (this.podWatchMs <= 0 || this.stopped) return
    this.podWatch = this.ctx.clock.setTimer(() => {
      void (async () => {
        // experiments past their duration are done with their targets: nothing to look at (a gone pod is not news)
        const now = this.ctx.clock.now()
        const live = this.store.open ? this.store.listResources().filter((r) => !OWNER_KINDS.has(r.kind) && !r.deletingAt && !this.ctx.oneShot(r) && decidePhase(factsOf(r, false), now).reason !== 'TimeUp') : []
        if (live.length === 0) return
        const names = new Set((await this.pods.pods()).map((p) => p.name))
        const held = new Set((await this.pods.effects()).map((e) => e.id))
        for (const r of live) if (needsLook(this.store.records(r.uid), names, held)) this.loop.enqueue(r.uid)
      })()
        .catch((e: unknown) => this.ctx.log('debug', `comparing the records with the runtime: ${(e as Error).message}`))
        .finally(() => this.watchPods())
    }, this.podWatchMs)
  }

  /** Stops the loop (the reconciles in flight finish) and closes the store it opened. Recovers nothing. */
  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    this.podWatch?.cancel()
    this.pruner?.stop()
    await this.loop.stop()
    for (const r of this.owners.all()) r.stop?.()
    if (this.claimed && this.store.open) this.store.release(process.pid)
    if (this.ownsStore) this.store.close()
  }

  /** Resolves when no reconcile is queued or running (timers for later do not count). For tests. */
  waitIdle(): Promise<void> {
    return this.loop.idle()
  }

  on(event: 'change', listener: (change: Change) => void): this {
    this.emitter.on(event, listener)
    return this
  }

  off(event: 'change', listener: (change: Change) => void): this {
    this.emitter.off(event, listener)
    return this
  }

  // ── apply ───────────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Creates an experiment, or changes its labels and annotations (the spec is immutable, as in Chaos Mesh).
   * Refused before anything changes: namespaces the policy refuses (POLICY_NAMESPACE_PROTECTED,
   * POLICY_NAMESPACE_NOT_ALLOWED), kinds the local runtime cannot run (SPEC_LOCAL_UNSUPPORTED), specs the
   * injector rejects, selectors matching no pod (CONTROLLER_NO_TARGETS), spec changes (CONTROLLER_IMMUTABLE).
   * With `dryRun`, nothing changes and the result carries the plan. One resource: {@link applyAll} of one, whose
   * refusal is thrown as it is.
   */
  async apply(resource: Resource, opts: { dryRun?: boolean } = {}): Promise<ApplyResult> {
    try {
      return (await this.applyAll([resource], opts))[0]!
    } catch (e) {
      if (e instanceof AdmissionError && e.refusals.length === 1) throw e.refusals[0]!.error
      throw e
    }
  }

  /**
   * Applies every resource, or none: each is admitted first (one pod list for all; see admission.ts), and when
   * any is refused an {@link AdmissionError} lists every refusal and nothing is written. Then every document is
   * written in ONE store transaction: a failure while writing (even of the last document) rolls back all of
   * them, and nothing is published (STORE_WRITE_FAILED).
   *
   * Resolves once the first reconcile after the write has run for each created or configured experiment (the
   * faults are on the runtime, or the records say why not); that wait is outside the one-at-a-time section, so
   * concurrent applies overlap.
   */
  async applyAll(resources: readonly Resource[], opts: { dryRun?: boolean } = {}): Promise<ApplyResult[]> {
    const { results, changed } = await this.mutex.run(async () => {
      this.assertOpen()
      const decisions = await admitAll(this.admissionInput(), resources)
      if (opts.dryRun) return { results: decisions.map(dryResult), changed: [] as string[] }
      let results: ApplyResult[]
      try {
        results = this.ctx.atomically(() => decisions.map((d) => this.write(d)))
      } catch (e) {
        if (e instanceof ChaosError) throw e
        throw new ChaosError('STORE_WRITE_FAILED', `nothing was applied: the state database refused the write: ${(e as Error).message}`, { cause: e })
      }
      return { results, changed: decisions.filter((d) => d.action !== 'unchanged').map((d) => d.row.uid) }
    })
    await Promise.all(changed.map((uid) => this.loop.enqueueAndWait(uid)))
    return results
  }

  /** Writes one admitted decision (inside the apply's transaction). */
  private write(d: Decision): ApplyResult {
    if (d.action === 'unchanged') return { action: 'unchanged', object: objectOf(d.row), plan: d.plan }
    if (d.action === 'configured') {
      const row = this.ctx.commit(d.row.uid, () => this.store.updateResource(d.row.uid, { metadata: d.metadata }))
      return { action: 'configured', object: objectOf(row!), plan: d.plan }
    }
    const stored = this.ctx.commit(
      d.row.uid,
      (emit) => {
        this.store.insertResource(d.row)
        for (const r of d.records) this.store.upsertRecord(r)
        if (d.targets.length > 0) emit('Normal', 'Selected', selectedMessage(d.targets))
        else if (!OWNER_KINDS.has(d.row.kind)) emit('Warning', 'Failed', 'select targets: the selector mode picked no pod')
      },
      { change: 'ADDED' },
    )
    return { action: 'created', object: objectOf(stored!), plan: d.plan }
  }

  // ── delete, pause, resume ───────────────────────────────────────────────────────────────────────────────

  /**
   * Marks the experiment deleted; the reconciler recovers every target, then archives it. With `wait` (the
   * default) resolves once it is gone, or after `timeoutMs` (default 30 s) with `gone: false`.
   */
  delete(kind: string, namespace: string, name: string, opts: { wait?: boolean; timeoutMs?: number } = {}): Promise<DeleteResult> {
    return this.mutex
      .run(async () => {
        this.assertOpen()
        const row = this.mustFind(kind, namespace, name)
        if (row.deletingAt) return row
        const at = this.ctx.iso()
        return (
          this.ctx.commit(row.uid, (emit) => {
            this.store.updateResource(row.uid, { deletingAt: at, metadata: { ...row.metadata, deletionTimestamp: at } })
            emit('Normal', 'Deleted', OWNER_KINDS.has(row.kind) ? `deleted: removing every object it made before the ${row.kind} goes` : 'deleted: recovering every target before the experiment goes')
          }) ?? row
        )
      })
      .then(async (row) => {
        const gone = opts.wait === false ? false : this.waitGone(row.uid, opts.timeoutMs ?? 30_000)
        this.loop.enqueue(row.uid)
        const isGone = await gone
        const last = isGone ? (this.store.getArchived(row.uid)?.object as unknown as ChaosObject | undefined) : this.get(kind, namespace, name)
        return { object: last ?? objectOf(row), gone: isGone }
      })
  }

  private waitGone(uid: string, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (v: boolean) => {
        timer.cancel()
        this.off('change', listener)
        resolve(v)
      }
      const listener = (c: Change) => {
        if (c.type === 'DELETED' && c.object.metadata.uid === uid) done(true)
      }
      const timer = this.ctx.clock.setTimer(() => done(!this.store.open || this.store.getResource(uid) === undefined), timeoutMs)
      this.on('change', listener)
    })
  }

  /** Sets the pause annotation: every target is recovered until {@link resume}. Resolves once they are. */
  pause(kind: string, namespace: string, name: string): Promise<ChaosObject> {
    return this.setPause(kind, namespace, name, true)
  }

  /** Removes the pause annotation: the targets are injected again (while the duration lasts). Resolves once they are. */
  resume(kind: string, namespace: string, name: string): Promise<ChaosObject> {
    return this.setPause(kind, namespace, name, false)
  }

  /** Sets or clears the annotation; resolves once the reconcile after it has run (the targets are recovered or injected again). */
  private async setPause(kind: string, namespace: string, name: string, paused: boolean): Promise<ChaosObject> {
    const uid = await this.mutex.run(async () => {
      this.assertOpen()
      const row = this.mustFind(kind, namespace, name)
      if (row.deletingAt) throw new ChaosError('CONTROLLER_DELETING', `${kind} ${namespace}/${name} is being deleted`, { hint: 'wait until it is gone' })
      if (OWNER_KINDS.has(kind) && kind !== 'Schedule') {
        // as in Chaos Mesh: only experiments and schedules read the pause annotation
        throw new ChaosError('CONTROLLER_NOT_PAUSABLE', `a ${kind} cannot be ${paused ? 'paused' : 'resumed'}: Chaos Mesh pauses experiments and schedules only`, {
          hint: kind === 'Workflow' ? 'stop a workflow with the annotation workflow.chaos-mesh.org/abort: "true" (apply it again with the annotation), or delete it' : `pause the experiments or the Schedule instead, or delete the ${kind}`,
        })
      }
      const annotations = { ...(row.metadata.annotations ?? {}) }
      if (paused) annotations[PAUSE_ANNOTATION] = 'true'
      else delete annotations[PAUSE_ANNOTATION]
      const metadata: StoredMetadata = { ...row.metadata, annotations }
      if (Object.keys(annotations).length === 0) delete metadata.annotations
      this.ctx.commit(row.uid, () => this.store.updateResource(row.uid, { metadata }))
      return row.uid
    })
    await this.loop.enqueueAndWait(uid)
    const now = this.store.getResource(uid)
    if (!now) throw new ChaosError('CONTROLLER_NOT_FOUND', `${kind} ${namespace}/${name} not found: it ended while it was ${paused ? 'paused' : 'resumed'}`, { hint: `see \`chaoscope events --for ${kind.toLowerCase()}/${name}\`` })
    return objectOf(now)
  }

  // ── reading ─────────────────────────────────────────────────────────────────────────────────────────────

  get(kind: string, namespace: string, name: string): ChaosObject | undefined {
    const row = this.store.findResource(kind, namespace, name)
    return row ? objectOf(row) : undefined
  }

  list(q: ListQuery = {}): ChaosObject[] {
    return this.store
      .listResources({ ...(q.kind ? { kind: q.kind } : {}), ...(q.namespace ? { namespace: q.namespace } : {}) })
      .filter((r) => !q.labelSelector || matchesSelector(r.metadata.labels ?? {}, q.labelSelector))
      .map(objectOf)
  }

  events(q: EventQuery = {}): EventRow[] {
    return this.store.events(q)
  }

  /**
   * One page of {@link list}: at most `limit` experiments sorting after `after` (kind, namespace, name). A label
   * selector is matched here, not in SQL, so a page reads at most 10 × limit rows: with a selector few match, a
   * page may hold fewer than `limit` and still have a `next`; without one, `remainingItemCount` is counted.
   */
  listPage(q: ListQuery & { after?: ResourceKey; limit: number }): Page<ChaosObject, ResourceKey> {
    const where = { ...(q.kind ? { kind: q.kind } : {}), ...(q.namespace ? { namespace: q.namespace } : {}) }
    const keyOf = (r: ResourceRow): ResourceKey => ({ kind: r.kind, namespace: r.namespace, name: r.name })
    const items: ResourceRow[] = []
    let after = q.after
    let read = 0
    let more = false
    while (!more) {
      const rows = this.store.listResources({ ...where, ...(after ? { after } : {}), limit: q.limit + 1 })
      for (const r of rows) {
        if (items.length === q.limit || read === q.limit * 10) {
          more = true
          break
        }
        read++
        after = keyOf(r)
        if (!q.labelSelector || matchesSelector(r.metadata.labels ?? {}, q.labelSelector)) items.push(r)
      }
      if (rows.length <= q.limit) break
    }
    if (!more || !after) return { items: items.map(objectOf) }
    return { items: items.map(objectOf), next: after, ...(q.labelSelector ? {} : { remainingItemCount: this.store.countResources({ ...where, after }) }) }
  }

  /** One page of {@link events}: at most `limit` events with an id above `sinceId`, and how many follow. */
  eventsPage(q: EventQuery & { limit: number }): Page<EventRow, number> {
    const rows = this.store.events({ ...q, sinceId: q.sinceId ?? 0, limit: q.limit + 1 })
    if (rows.length <= q.limit) return { items: rows }
    const items = rows.slice(0, q.limit)
    const next = items.at(-1)!.id
    return { items, next, remainingItemCount: this.store.countEvents({ ...q, sinceId: next }) }
  }

  /** Finished (deleted) experiments with their last status, records and events. */
  archived(q: { kind?: string; namespace?: string; name?: string } = {}): ArchiveRow[] {
    return this.store.listArchived(q)
  }

  /** The phase `get` shows: injecting, running, paused, finished or deleting. */
  phase(kind: string, namespace: string, name: string): string | undefined {
    const row = this.store.findResource(kind, namespace, name)
    if (row && this.owners.handles(row)) return this.owners.phase(row)
    return row ? phaseOf(row, this.store.records(row.uid), this.ctx.oneShot(row), this.ctx.clock.now()) : undefined
  }

  /**
   * Reads fresh evidence (what the data path saw) for every injected target, and the state of every target pod,
   * and stores them; for `describe`. An evidence read that fails is logged and the stored evidence kept.
   */
  async refreshEvidence(kind: string, namespace: string, name: string): Promise<ChaosObject> {
    const row = this.mustFind(kind, namespace, name)
    if (this.owners.handles(row)) return objectOf(row) // no targets of its own: its children have the evidence
    await this.reconciler.refresh(row)
    return this.get(kind, namespace, name) ?? objectOf(row)
  }

  // ── helpers ─────────────────────────────────────────────────────────────────────────────────────────────

  private mustFind(kind: string, namespace: string, name: string): ResourceRow {
    const row = this.store.findResource(kind, namespace, name)
    if (!row) {
      throw new ChaosError('CONTROLLER_NOT_FOUND', `${kind} ${namespace}/${name} not found`, { hint: `list them with \`chaoscope get ${kind.toLowerCase()} -n ${namespace}\`` })
    }
    return row
  }

  private assertOpen(): void {
    if (this.stopped) throw new ChaosError('CONTROLLER_STOPPED', 'the controller was stopped', { hint: 'start the controller again' })
  }
}

function dryResult(d: Decision): ApplyResult {
  return d.action === 'configured' ? { action: d.action, object: objectOf({ ...d.row, metadata: d.metadata }), plan: d.plan } : { action: d.action, object: objectOf(d.row), plan: d.plan }
}
