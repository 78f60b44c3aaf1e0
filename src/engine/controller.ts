/**
 * @module engine/controller: the controller: applies, pauses, resumes and deletes experiments in the store, and
 * runs the reconcile loop that makes the runtime match them (crash recovery included).
 */
import { EventEmitter } from 'node:events'
import { randomUUID } from 'node:crypto'
import { isDeepStrictEqual } from 'node:util'
import { ChaosError } from '../errors.js'
import type { FaultInjector } from '../faults/injector.js'
import { injectors as registryInjectors, localRefusal } from '../faults/registry.js'
import { createMetrics } from '../observe/metrics.js'
import type { ControllerMetrics } from '../observe/metrics.js'
import type { RuntimeClient } from '../runtime/client.js'
import { matchesSelector } from '../runtime/process/selector.js'
import type { Resource } from '../manifest/validate.js'
import { Store } from '../store/store.js'
import type { ArchiveRow, EventQuery, EventRow, ResourceRow, StoredMetadata } from '../store/store.js'
import { EngineContext, systemClock } from './context.js'
import type { Change, Clock, Logger } from './context.js'
import { INJECTED, NOT_INJECTED, PAUSE_ANNOTATION } from './decide.js'
import { ExperimentReconciler, planTargets, recordsFor, selectedMessage } from './experiment.js'
import type { PlannedTarget } from './experiment.js'
import { objectOf, phaseOf } from './object.js'
import type { ChaosObject } from './object.js'
import { POD_CACHE_MS, PodListCache } from './pod-cache.js'
import { ReconcileLoop } from './reconciler.js'
import type { Random } from './select.js'

export type { ChaosObject } from './object.js'
export type { Change, Clock, Logger } from './context.js'

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
}

export type ApplyAction = 'created' | 'configured' | 'unchanged'

/** What apply --dry-run shows: the targets that would be (or were) selected. */
export interface ApplyPlan {
  kind: string
  action?: string
  duration?: string
  targets: { id: string; pod: string; peers?: string[] }[]
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

const FINALIZER = 'chaoscope.dev/records'
const SWEEP = '@sweep'

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

  private constructor(opts: ControllerOptions) {
    if (!opts.store && !opts.dbPath) throw new ChaosError('STORE_OPEN_FAILED', 'the controller needs a database: give dbPath or store')
    this.store = opts.store ?? Store.open(opts.dbPath!)
    this.ownsStore = !opts.store
    this.id = this.store.controllerId()
    this.runtime = opts.runtime
    this.pods = new PodListCache(opts.runtime, opts.podCacheMs ?? POD_CACHE_MS)
    this.metrics = opts.metrics ?? createMetrics()
    this.emitter.setMaxListeners(0)
    const injectors = opts.injectors ?? (registryInjectors as unknown as Record<string, FaultInjector>)
    const log: Logger = opts.log ?? (() => undefined)
    this.ctx = new EngineContext(this.store, this.pods, injectors, opts.clock ?? systemClock, opts.random ?? Math.random, this.metrics, log, (c) => this.emitter.emit('change', c), this.id)
    this.reconciler = new ExperimentReconciler(this.ctx)
    this.loop = new ReconcileLoop(
      { reconcile: (id) => (id === SWEEP ? this.sweep().then(() => ({})) : this.reconciler.reconcile(id)) },
      {
        ...(opts.backoff ? { backoff: opts.backoff } : {}),
        onDone: (id, o) => {
          this.metrics.reconcileDuration.observe({ result: o.ok ? 'success' : 'error' }, o.seconds)
          if (!o.ok) log('warn', `reconcile ${id} failed${o.retryInMs !== undefined ? `; retrying in ${o.retryInMs} ms` : ''}: ${(o.error as Error)?.message ?? String(o.error)}`, { uid: id })
        },
      },
    )
    this.metrics.setSources({
      experiments: () => this.store.open ? this.store.listResources().map((r) => ({ namespace: r.namespace, kind: r.kind, phase: phaseOf(r, this.store.records(r.uid), this.oneShot(r), this.ctx.clock.now()) })) : [],
      schedules: () => [],
      workflows: () => [],
    })
  }

  /** Opens the store (or takes the given one). Nothing runs until {@link start}. */
  static open(opts: ControllerOptions): Controller {
    return new Controller(opts)
  }

  /**
   * Crash recovery, then the loop: removes faults on the runtime that no live experiment owns (and stray ones of
   * live experiments), releases pods held by pod-failure for experiments that are gone, then reconciles every
   * experiment (running ones continue with their remaining duration; expired ones are recovered).
   */
  async start(): Promise<void> {
    if (this.started) return
    if (this.stopped) throw new ChaosError('CONTROLLER_STOPPED', 'this controller was stopped; open a new one')
    this.started = true
    try {
      await this.sweep()
    } catch (e) {
      this.ctx.log('warn', `crash recovery could not reach the runtime; retrying: ${(e as Error).message}`)
      this.loop.enqueue(SWEEP, 1000)
    }
    this.loop.start()
    for (const r of this.store.listResources()) this.loop.enqueue(r.uid)
  }

  /** Stops the loop (the reconciles in flight finish) and closes the store it opened. Recovers nothing. */
  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    await this.loop.stop()
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
   * Refused before anything changes: kinds the local runtime cannot run (SPEC_LOCAL_UNSUPPORTED), specs the
   * injector rejects, selectors matching no pod (CONTROLLER_NO_TARGETS), spec changes (CONTROLLER_IMMUTABLE).
   * With `dryRun`, nothing changes and the result carries the plan.
   *
   * A created or configured experiment resolves once its first reconcile has run (the faults are on the runtime,
   * or the records say why not); that wait is outside the one-at-a-time section, so concurrent applies overlap.
   */
  async apply(resource: Resource, opts: { dryRun?: boolean } = {}): Promise<ApplyResult> {
    const { result, reconciled } = await this.mutex.run(() => this.applyNow(resource, opts))
    await reconciled
    return result
  }

  private async applyNow(resource: Resource, opts: { dryRun?: boolean }): Promise<{ result: ApplyResult; reconciled?: Promise<void> }> {
    this.assertOpen()
    const { kind, spec } = resource
    const { namespace, name } = resource.metadata
    const injector = this.injectorFor(kind, spec)
    injector.check?.(spec)
    const existing = this.store.findResource(kind, namespace, name)
    if (existing) return this.reapply(existing, resource, opts)

    const pods = await this.pods.pods()
    const targets = planTargets(spec, pods, this.ctx.random)
    const now = this.ctx.iso()
    const uid = randomUUID()
    const metadata: StoredMetadata = {
      name,
      namespace,
      uid,
      generation: 1,
      creationTimestamp: now,
      ...(resource.metadata.labels ? { labels: { ...resource.metadata.labels } } : {}),
      ...(resource.metadata.annotations ? { annotations: { ...resource.metadata.annotations } } : {}),
      finalizers: [FINALIZER],
    }
    const row: ResourceRow = { uid, apiVersion: resource.apiVersion, kind, namespace, name, generation: 1, metadata, spec, status: {}, createdAt: now, finalizers: [FINALIZER] }
    const plan = planOf(kind, spec, targets)
    if (opts.dryRun) return { result: { action: 'created', object: objectOf(row), plan } }

    const stored = this.ctx.commit(
      uid,
      (emit) => {
        this.store.insertResource(row)
        for (const r of recordsFor(uid, targets, now)) this.store.upsertRecord(r)
        if (targets.length > 0) emit('Normal', 'Selected', selectedMessage(targets))
        else emit('Warning', 'Failed', 'select targets: the selector mode picked no pod')
      },
      { change: 'ADDED' },
    )
    return { result: { action: 'created', object: objectOf(stored!), plan }, reconciled: this.loop.enqueueAndWait(uid) }
  }

  private reapply(existing: ResourceRow, resource: Resource, opts: { dryRun?: boolean }): { result: ApplyResult; reconciled?: Promise<void> } {
    const id = `${existing.kind} ${existing.namespace}/${existing.name}`
    if (existing.deletingAt) throw new ChaosError('CONTROLLER_DELETING', `${id} is being deleted: its targets are being recovered`, { hint: 'wait until it is gone, then apply it again' })
    if (!isDeepStrictEqual(existing.spec, resource.spec)) {
      const keys = [...new Set([...Object.keys(existing.spec), ...Object.keys(resource.spec)])].filter((k) => !isDeepStrictEqual(existing.spec[k], resource.spec[k]))
      throw new ChaosError('CONTROLLER_IMMUTABLE', `the spec of ${id} cannot change once created (changed: ${keys.map((k) => `spec.${k}`).join(', ')})`, {
        hint: `delete it (\`chaoscope delete ${existing.kind.toLowerCase()} ${existing.name} -n ${existing.namespace}\`) and apply it again; labels and annotations may change`,
      })
    }
    const labels = resource.metadata.labels ?? {}
    const annotations = resource.metadata.annotations ?? {}
    const same = isDeepStrictEqual(existing.metadata.labels ?? {}, labels) && isDeepStrictEqual(existing.metadata.annotations ?? {}, annotations)
    const plan = planFromRecords(this.store, existing)
    if (same) return { result: { action: 'unchanged', object: objectOf(existing), plan } }
    const metadata: StoredMetadata = { ...existing.metadata }
    delete metadata.labels
    delete metadata.annotations
    if (Object.keys(labels).length) metadata.labels = { ...labels }
    if (Object.keys(annotations).length) metadata.annotations = { ...annotations }
    if (opts.dryRun) return { result: { action: 'configured', object: objectOf({ ...existing, metadata }), plan } }
    const row = this.ctx.commit(existing.uid, () => this.store.updateResource(existing.uid, { metadata }))
    return { result: { action: 'configured', object: objectOf(row!), plan }, reconciled: this.loop.enqueueAndWait(existing.uid) }
  }

  /** The injector for a kind, or SPEC_LOCAL_UNSUPPORTED saying why the local controller cannot run it. */
  private injectorFor(kind: string, spec: Record<string, unknown>): FaultInjector {
    const injector = Object.hasOwn(this.ctx.injectors, kind) ? this.ctx.injectors[kind] : undefined
    if (!injector) throw localRefusal(kind) ?? new ChaosError('SPEC_LOCAL_UNSUPPORTED', `this controller was started without an injector for ${kind}`)
    if (typeof spec.remoteCluster === 'string' && spec.remoteCluster !== '') {
      throw new ChaosError('SPEC_LOCAL_UNSUPPORTED', `spec.remoteCluster "${spec.remoteCluster}" needs a cluster: the local runtime has no remote clusters`, { hint: 'remove remoteCluster to run it on the local runtime (the Kubernetes target is not supported yet)' })
    }
    return injector
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
            emit('Normal', 'Deleted', 'deleted: recovering every target before the experiment goes')
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
        clearTimeout(timer)
        this.off('change', listener)
        resolve(v)
      }
      const listener = (c: Change) => {
        if (c.type === 'DELETED' && c.object.metadata.uid === uid) done(true)
      }
      const timer = setTimeout(() => done(!this.store.open || this.store.getResource(uid) === undefined), timeoutMs)
      this.on('change', listener)
    })
  }

  /** Sets the pause annotation: every target is recovered until {@link resume}. */
  pause(kind: string, namespace: string, name: string): Promise<ChaosObject> {
    return this.setPause(kind, namespace, name, true)
  }

  /** Removes the pause annotation: the targets are injected again (while the duration lasts). */
  resume(kind: string, namespace: string, name: string): Promise<ChaosObject> {
    return this.setPause(kind, namespace, name, false)
  }

  private setPause(kind: string, namespace: string, name: string, paused: boolean): Promise<ChaosObject> {
    return this.mutex.run(async () => {
      this.assertOpen()
      const row = this.mustFind(kind, namespace, name)
      if (row.deletingAt) throw new ChaosError('CONTROLLER_DELETING', `${kind} ${namespace}/${name} is being deleted`, { hint: 'wait until it is gone' })
      const annotations = { ...(row.metadata.annotations ?? {}) }
      if (paused) annotations[PAUSE_ANNOTATION] = 'true'
      else delete annotations[PAUSE_ANNOTATION]
      const metadata: StoredMetadata = { ...row.metadata, annotations }
      if (Object.keys(annotations).length === 0) delete metadata.annotations
      const next = this.ctx.commit(row.uid, () => this.store.updateResource(row.uid, { metadata }))
      this.loop.enqueue(row.uid)
      return objectOf(next ?? row)
    })
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

  /** Finished (deleted) experiments with their last status, records and events. */
  archived(q: { kind?: string; namespace?: string; name?: string } = {}): ArchiveRow[] {
    return this.store.listArchived(q)
  }

  /** The phase `get` shows: injecting, running, paused, finished or deleting. */
  phase(kind: string, namespace: string, name: string): string | undefined {
    const row = this.store.findResource(kind, namespace, name)
    return row ? phaseOf(row, this.store.records(row.uid), this.oneShot(row), this.ctx.clock.now()) : undefined
  }

  /** Reads fresh evidence (what the data path saw) for every injected target and stores it; for `describe`. */
  async refreshEvidence(kind: string, namespace: string, name: string): Promise<ChaosObject> {
    const row = this.mustFind(kind, namespace, name)
    const injector = this.ctx.injectors[row.kind]
    if (injector?.evidence) {
      const fctx = this.reconciler.faultContext(row)
      for (const rec of this.store.records(row.uid)) {
        if (rec.phase !== INJECTED || !rec.injection) continue
        const evidence = await injector.evidence(fctx, rec.injection as never).catch(() => undefined)
        if (!evidence) continue
        this.ctx.commit(row.uid, () => {
          const cur = this.store.records(row.uid).find((r) => r.key === rec.key)
          if (cur && cur.phase === INJECTED) this.store.upsertRecord({ ...cur, evidence })
        })
      }
    }
    return this.get(kind, namespace, name) ?? objectOf(row)
  }

  // ── crash recovery ──────────────────────────────────────────────────────────────────────────────────────

  /**
   * Removes every effect on the runtime that this controller made (its owner names this controller's id) for an
   * experiment that is not live, or for a target of a live one whose record says Not Injected. Effects of other
   * controllers, and effects nobody owns (added by hand through the runtime's API), are left alone.
   */
  private async sweep(): Promise<void> {
    const live = new Map(this.store.listResources().map((r) => [r.uid, r]))
    const records = new Map(this.store.allRecords().map((r) => [`${r.uid}\0${r.key}`, r]))
    for (const e of await this.runtime.effects()) {
      const owner = e.owner
      if (!owner || owner.controller !== this.id) continue
      const rec = records.get(`${owner.experiment}\0${owner.record}`)
      const stray = !live.has(owner.experiment) || !rec || rec.phase === NOT_INJECTED
      if (!stray) continue
      const removed = await this.runtime.remove(e.id)
      if (!removed) continue
      const exp = live.get(owner.experiment)
      const archived = exp ? undefined : this.store.getArchived(owner.experiment)
      const kind = exp?.kind ?? archived?.kind ?? 'Unknown'
      this.metrics.recoveries.inc({ kind, result: 'orphan' })
      const where = `${e.target.pod}${e.target.edge ? `>${e.target.edge}` : ''}`
      const ev = this.store.addEvent({
        uid: owner.experiment,
        kind,
        namespace: exp?.namespace ?? archived?.namespace ?? '',
        name: exp?.name ?? archived?.name ?? '',
        type: 'Normal',
        reason: 'OrphanRecovered',
        message: `removed ${e.type} ${e.id} from ${where}: ${exp ? 'its target is not injected' : 'no live experiment owns it'}`,
        time: this.ctx.iso(),
      })
      this.ctx.published([ev])
    }
  }

  // ── helpers ─────────────────────────────────────────────────────────────────────────────────────────────

  private oneShot(row: ResourceRow): boolean {
    return this.ctx.injectors[row.kind]?.oneShot?.(row.spec) ?? false
  }

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

function planOf(kind: string, spec: Record<string, unknown>, targets: readonly PlannedTarget[]): ApplyPlan {
  return {
    kind,
    ...(typeof spec.action === 'string' ? { action: spec.action } : {}),
    ...(typeof spec.duration === 'string' ? { duration: spec.duration } : {}),
    targets: targets.map((t) => ({ id: t.id, pod: t.pod.name, ...(t.peers ? { peers: t.peers.map((p) => `${p.namespace}/${p.name}`) } : {}) })),
  }
}

function planFromRecords(store: Store, row: ResourceRow): ApplyPlan {
  const targets = store.records(row.uid).map((r) => {
    const peers = (r.target as { peers?: { namespace: string; name: string }[] }).peers
    return { id: r.id, pod: r.pod, ...(peers ? { peers: peers.map((p) => `${p.namespace}/${p.name}`) } : {}) }
  })
  return {
    kind: row.kind,
    ...(typeof row.spec.action === 'string' ? { action: row.spec.action } : {}),
    ...(typeof row.spec.duration === 'string' ? { duration: row.spec.duration } : {}),
    targets,
  }
}
