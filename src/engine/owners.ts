/**
 * @module engine/owners: the controller's side of engine/family.ts: spawning children (admitted as an apply is,
 * written with the owner's own change in one transaction), the cascading delete (children first, each experiment
 * recovering its faults; the owner archived once none is left), pause, and the dispatch of a reconcile to the
 * module of the row's kind.
 *
 *   reconcile(uid) ─ row of a module kind? ─┬─ deleting: module.deleting() once, remove each child, archive when none left
 *                                          └─ live: module's reconciler
 *   a child's change / archive ─▶ enqueue its owner
 */
import type { Resource } from '../manifest/validate.js'
import type { ResourceRow, StoredMetadata } from '../store/store.js'
import { admit } from './admission.js'
import type { AdmissionInput } from './admission.js'
import type { EngineContext } from './context.js'
import { PAUSE_ANNOTATION } from './decide.js'
import { selectedMessage } from './experiment.js'
import type { Family, KindModule, KindReconciler, OwnerReference } from './family.js'
import { objectOf, phaseOf } from './object.js'

export interface OwnersDeps {
  ctx: EngineContext
  modules: Readonly<Record<string, KindModule>>
  /** What admission needs (the pod list of the controller's cache, allowExec). */
  admission: () => AdmissionInput
  /** The loop's enqueue (after `afterMs`, on the clock). */
  enqueue: (uid: string, afterMs?: number) => void
}

/** The owner reference a child of `row` carries. */
export function ownerReferenceOf(row: ResourceRow): OwnerReference {
  return { apiVersion: row.apiVersion, kind: row.kind, name: row.name, uid: row.uid, controller: true, blockOwnerDeletion: true }
}

/** The uid of the object that owns `row`, if another object spawned it. */
export function ownerUid(metadata: Pick<StoredMetadata, 'ownerReferences'>): string | undefined {
  return metadata.ownerReferences?.find((o) => o.controller)?.uid
}

export class Owners implements Family {
  private readonly reconcilers: Record<string, KindReconciler> = {}
  /** Owners whose `deleting()` ran in this process (run again after a restart: it is idempotent). */
  private readonly toldDeleting = new Set<string>()

  constructor(private readonly deps: OwnersDeps) {
    for (const [kind, m] of Object.entries(deps.modules)) this.reconcilers[kind] = m.reconciler(deps.ctx, this)
  }

  /** True for rows this dispatches (kinds with a module). */
  handles(row: Pick<ResourceRow, 'kind'>): boolean {
    return Object.hasOwn(this.deps.modules, row.kind)
  }

  /** The module's phase word for `get`. */
  phase(row: ResourceRow): string {
    return this.deps.modules[row.kind]!.phase(row)
  }

  /** The reconcilers (for stopping their workers at controller stop). */
  all(): KindReconciler[] {
    return Object.values(this.reconcilers)
  }

  async reconcile(row: ResourceRow): Promise<{ requeueAfterMs?: number } | void> {
    if (!row.deletingAt) return this.reconcilers[row.kind]!.reconcile(row)
    if (!this.toldDeleting.has(row.uid)) {
      await this.reconcilers[row.kind]!.deleting?.(row)
      this.toldDeleting.add(row.uid)
    }
    const children = this.children(row.uid)
    // only the children not yet deleting are marked (and enqueued): one already deleting reconciles on its own,
    // with its own back-off, and wakes this owner when it is archived (re-enqueueing it on every wake would skip
    // that back-off and spin on a child whose recovery keeps failing)
    for (const c of children) if (!c.deletingAt) this.remove(c.uid, `its owner ${row.kind} ${row.name} is being deleted`)
    if (children.length > 0) return
    this.archive(row)
    this.toldDeleting.delete(row.uid)
  }

  private archive(row: ResourceRow): void {
    const { ctx } = this.deps
    const object = ctx.atomically(() => {
      const now = ctx.store.getResource(row.uid)
      if (!now) return undefined
      const events = [ctx.store.addEvent({ uid: row.uid, kind: row.kind, namespace: row.namespace, name: row.name, type: 'Normal', reason: 'Archived', message: `every object it made is gone: the ${row.kind} is archived`, time: ctx.iso() })]
      ctx.published(events)
      const obj = objectOf(now)
      ctx.store.archive(row.uid, obj as unknown as Record<string, unknown>, ctx.iso())
      return obj
    })
    if (object) ctx.publishChange({ type: 'DELETED', object })
  }

  async spawn(parent: ResourceRow, child: Resource, alsoWrite?: () => void): Promise<ResourceRow> {
    const { ctx } = this.deps
    const existing = ctx.store.findResource(child.kind, child.metadata.namespace, child.metadata.name)
    if (existing) return existing
    const input = { ...this.deps.admission(), now: ctx.iso() }
    const d = await admit(input, child, ownerReferenceOf(parent))
    if (d.action !== 'created') return d.row
    const row = ctx.atomically(() => {
      if (ctx.store.findResource(child.kind, child.metadata.namespace, child.metadata.name)) {
        // another spawn of the same name won the race while this one was admitted: the owner's next reconcile finds it
        throw new Error(`${child.kind} ${child.metadata.namespace}/${child.metadata.name} was created meanwhile`)
      }
      const stored = ctx.commit(
        d.row.uid,
        (emit) => {
          ctx.store.insertResource(d.row)
          for (const r of d.records) ctx.store.upsertRecord(r)
          if (!this.handles(d.row)) {
            if (d.targets.length > 0) emit('Normal', 'Selected', selectedMessage(d.targets))
            else emit('Warning', 'Failed', 'select targets: the selector mode picked no pod')
          }
        },
        { change: 'ADDED' },
      )
      alsoWrite?.()
      return stored!
    })
    this.deps.enqueue(row.uid)
    return row
  }

  children(uid: string): ResourceRow[] {
    const { store } = this.deps.ctx
    if (!store.open) return []
    return store
      .listResources()
      .filter((r) => ownerUid(r.metadata) === uid)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name))
  }

  remove(uid: string, reason?: string): void {
    const { ctx } = this.deps
    const row = ctx.store.open ? ctx.store.getResource(uid) : undefined
    if (!row || row.deletingAt) return // already deleting: it reconciles on its own (with back-off)
    const at = ctx.iso()
    ctx.commit(uid, (emit) => {
      ctx.store.updateResource(uid, { deletingAt: at, metadata: { ...row.metadata, deletionTimestamp: at } })
      emit('Normal', 'Deleted', reason ? `deleted: ${reason}` : 'deleted')
    })
    this.deps.enqueue(uid)
  }

  setPaused(uid: string, paused: boolean): void {
    const { ctx } = this.deps
    const row = ctx.store.open ? ctx.store.getResource(uid) : undefined
    if (!row || row.deletingAt) return
    const annotations = { ...(row.metadata.annotations ?? {}) }
    if ((annotations[PAUSE_ANNOTATION] === 'true') === paused) return
    if (paused) annotations[PAUSE_ANNOTATION] = 'true'
    else delete annotations[PAUSE_ANNOTATION]
    const metadata: StoredMetadata = { ...row.metadata, annotations }
    if (Object.keys(annotations).length === 0) delete metadata.annotations
    ctx.commit(uid, () => ctx.store.updateResource(uid, { metadata }))
    this.deps.enqueue(uid)
  }

  finished(row: ResourceRow): boolean {
    const m = Object.hasOwn(this.deps.modules, row.kind) ? this.deps.modules[row.kind] : undefined
    if (m) return m.finished(row)
    const { ctx } = this.deps
    return phaseOf(row, ctx.store.records(row.uid), ctx.oneShot(row), ctx.clock.now()) === 'finished'
  }

  enqueue(uid: string, afterMs?: number): void {
    this.deps.enqueue(uid, afterMs)
  }

  owner(row: ResourceRow): ResourceRow | undefined {
    const uid = ownerUid(row.metadata)
    return uid && this.deps.ctx.store.open ? this.deps.ctx.store.getResource(uid) : undefined
  }
}
