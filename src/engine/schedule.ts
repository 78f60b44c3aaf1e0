/**
 * @module engine/schedule: the Schedule kind on the local controller (engine/family.ts), with Chaos Mesh's
 * semantics (its schedule cron, gc, active and pause controllers, as one reconcile):
 *
 *   reconcile(schedule)
 *     1 pause   chaos children get the schedule's pause annotation; a Workflow schedule: Warning NotSupported
 *     2 run     decideRun (schedule-decide.ts): paused → nothing; MissSchedule for a run older than the deadline;
 *               a due run → Forbid (an unfinished child) or spawn `<name>-xxxxx` labelled managed-by, in ONE
 *               transaction with status.time = now and the events Spawned, Updated; a refused spawn → Warning
 *               Failed, retried at the next run
 *     3 gc      children beyond historyLimit that have finished are deleted, oldest first
 *     4 status  active (references to live children), time, chaoscope {phase, nextRun}; requeue at the next run
 *
 * The spawned object's spec is the schedule's item for its type (spec.podChaos for PodChaos, spec.workflow for
 * Workflow), already defaulted by validation. lastScheduleTime is Chaos Mesh's `status.time` (its JSON name).
 */
import { ChaosError, isChaosError } from '../errors.js'
import { EMBED_KEY_OF_KIND } from '../manifest/kinds/embed.js'
import { parseCron } from '../manifest/cron.js'
import type { Resource } from '../manifest/validate.js'
import type { ResourceRow } from '../store/store.js'
import { injectorFor } from './admission.js'
import type { EngineContext } from './context.js'
import { PAUSE_ANNOTATION } from './decide.js'
import type { Family, KindAdmission, KindModule, KindReconciler } from './family.js'
import { decideRun, historyToRemove, next, processZone, rfc3339, scheduleEvents, spawnedName } from './schedule-decide.js'
import type { ChildFacts, ConcurrencyPolicy, RunDecision } from './schedule-decide.js'

/** Chaos Mesh's `managed-by` label: the schedule that spawned an object. */
export const MANAGED_BY = 'managed-by'

export interface ScheduleSpec {
  schedule: string
  startingDeadlineSeconds?: number
  concurrencyPolicy?: ConcurrencyPolicy
  historyLimit?: number
  type: string
  [item: string]: unknown
}

/** Kubernetes' ObjectReference, as Chaos Mesh's ScheduleStatus.active holds them. */
export interface ObjectReference {
  apiVersion: string
  kind: string
  namespace: string
  name: string
  uid: string
}

export type SchedulePhase = 'Running' | 'Paused' | 'Failed' | 'Deleting'

/** Chaos Mesh's ScheduleStatus (`active`, `time` = lastScheduleTime) plus ours. */
export interface ScheduleStatus {
  active?: ObjectReference[]
  /** When it last spawned (RFC 3339, whole seconds): Chaos Mesh's lastScheduleTime, `time` in its JSON. */
  time?: string
  chaoscope?: {
    phase: SchedulePhase
    /** When it runs next (absent while paused, failed, or for a schedule that never fires). */
    nextRun?: string
    /** The last run reported missed (MissSchedule), so that each is reported once. */
    lastMissedRun?: string
    /** Why it cannot run (phase Failed). */
    lastError?: string
  }
}

function paused(metadata: ResourceRow['metadata']): boolean {
  return metadata.annotations?.[PAUSE_ANNOTATION] === 'true'
}

/** The key of the schedule's item for its type (`podChaos`, …, `workflow`). */
export function itemKey(type: string): string | undefined {
  return type === 'Workflow' ? 'workflow' : EMBED_KEY_OF_KIND[type]
}

/** What `get schedules` shows: last run, next run, how many children live, the phase. */
export interface ScheduleSummary {
  type: string
  schedule: string
  phase: SchedulePhase
  lastRun?: string
  nextRun?: string
  active: number
}

/** The CLI's columns for a Schedule object (or row): reads only what the reconciler stored. */
export function scheduleSummary(o: { spec: Record<string, unknown>; status: unknown; metadata: { annotations?: Record<string, string>; deletionTimestamp?: string } }): ScheduleSummary {
  const spec = o.spec as ScheduleSpec
  const status = (o.status ?? {}) as ScheduleStatus
  const phase: SchedulePhase = o.metadata.deletionTimestamp ? 'Deleting' : o.metadata.annotations?.[PAUSE_ANNOTATION] === 'true' ? 'Paused' : (status.chaoscope?.phase ?? 'Running')
  return {
    type: spec.type,
    schedule: spec.schedule,
    phase,
    ...(status.time ? { lastRun: status.time } : {}),
    ...(phase === 'Running' && status.chaoscope?.nextRun ? { nextRun: status.chaoscope.nextRun } : {}),
    active: status.active?.length ?? 0,
  }
}

class ScheduleReconciler implements KindReconciler {
  /** The run a spawn was refused for, per schedule: not tried again before the next run (no hot loop). */
  private readonly refused = new Map<string, number>()
  private readonly zone = processZone()

  constructor(
    private readonly ctx: EngineContext,
    private readonly family: Family,
  ) {}

  async reconcile(row: ResourceRow): Promise<{ requeueAfterMs?: number }> {
    const { ctx, family } = this
    const now = ctx.clock.now()
    const spec = row.spec as ScheduleSpec
    const isPaused = paused(row.metadata)
    const status = row.status as ScheduleStatus
    const emit = (e: { type: 'Normal' | 'Warning'; reason: string; message: string }, write?: () => void) =>
      ctx.commit(row.uid, (em) => {
        write?.()
        em(e.type, e.reason, e.message)
      })

    // 1 pause (Chaos Mesh's schedule/pause controller)
    if (spec.type === 'Workflow') {
      if (isPaused) emit(scheduleEvents.notSupported('pausing a workflow schedule'))
    } else {
      // only when the schedule's own pause changed since the last reconcile (its stored phase says): as Chaos Mesh's
      // pause controller, which runs on changes of the Schedule, so a user may pause or resume one child alone
      const wasPaused = status.chaoscope?.phase === 'Paused'
      if (wasPaused !== isPaused) for (const c of family.children(row.uid)) if (!c.deletingAt && paused(c.metadata) !== isPaused) family.setPaused(c.uid, isPaused)
    }

    // 2 run (the cron controller)
    const d = decideRun(
      {
        schedule: spec.schedule,
        ...(spec.startingDeadlineSeconds !== undefined ? { startingDeadlineSeconds: spec.startingDeadlineSeconds } : {}),
        ...(status.time ? { lastScheduleTime: Date.parse(status.time) } : {}),
        ...(status.chaoscope?.lastMissedRun ? { lastMissedRun: Date.parse(status.chaoscope.lastMissedRun) } : {}),
        creationTimestamp: Date.parse(row.createdAt),
        paused: isPaused,
        ...(spec.concurrencyPolicy ? { concurrencyPolicy: spec.concurrencyPolicy } : {}),
        children: this.facts(family.children(row.uid)),
      },
      now,
      this.zone,
    )
    let chaoscope: NonNullable<ScheduleStatus['chaoscope']> = { phase: isPaused ? 'Paused' : 'Running', ...(status.chaoscope?.lastMissedRun ? { lastMissedRun: status.chaoscope.lastMissedRun } : {}) }
    if ('missed' in d && d.missed !== undefined) {
      const lastMissedRun = new Date(d.missed).toISOString()
      chaoscope = { ...chaoscope, lastMissedRun }
      emit(scheduleEvents.missed(d.missed, this.zone), () => this.patchStatus(row.uid, { chaoscope: { ...(this.current(row.uid).chaoscope ?? { phase: chaoscope.phase }), lastMissedRun } }))
    }
    let nextRun = 'nextRun' in d ? d.nextRun : undefined
    let retryAfterMs: number | undefined
    switch (d.action) {
      case 'error':
        emit(scheduleEvents.failed('get run time', d.error))
        chaoscope = { ...chaoscope, phase: 'Failed', lastError: d.error }
        retryAfterMs = d.retryAfterMs
        break
      case 'forbid':
        emit(scheduleEvents.forbid(d.running))
        break
      case 'spawn':
        nextRun = (await this.spawn(row, spec, d, now)) ?? nextRun
        break
      default:
    }

    // 3 gc: the history limit
    for (const name of historyToRemove(this.facts(family.children(row.uid)), spec.historyLimit)) {
      const child = family.children(row.uid).find((c) => c.name === name)
      if (child) family.remove(child.uid, `Schedule ${row.name} keeps ${spec.historyLimit ?? 0} finished object(s) (historyLimit)`)
    }

    // 4 status: active, time (written by the spawn), chaoscope
    if (nextRun !== undefined && chaoscope.phase === 'Running') chaoscope.nextRun = new Date(nextRun).toISOString()
    const active = family
      .children(row.uid)
      .map((c) => ({ apiVersion: c.apiVersion, kind: c.kind, namespace: c.namespace, name: c.name, uid: c.uid }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    this.writeStatus(row.uid, { active, chaoscope })

    if (retryAfterMs !== undefined) return { requeueAfterMs: retryAfterMs }
    if (isPaused || chaoscope.phase === 'Failed' || nextRun === undefined) return {}
    return { requeueAfterMs: Math.max(0, nextRun - now) }
  }

  deleting(row: ResourceRow): void {
    this.refused.delete(row.uid)
  }

  /** Spawns the run's object; returns the next run after it, or undefined when refused (retried at the next run). */
  private async spawn(row: ResourceRow, spec: ScheduleSpec, d: Extract<RunDecision, { action: 'spawn' }>, now: number): Promise<number | undefined> {
    const { ctx, family } = this
    if (this.refused.get(row.uid) === d.run) return undefined
    const child = this.childOf(row, spec)
    let wrote = false
    try {
      await family.spawn(row, child, () => {
        wrote = true
        ctx.commit(row.uid, (emit) => {
          this.patchStatus(row.uid, { time: rfc3339(now) })
          const s = scheduleEvents.spawned(child.metadata.name)
          emit(s.type, s.reason, s.message)
          const u = scheduleEvents.updated('lastScheduleTime')
          emit(u.type, u.reason, u.message)
        })
      })
    } catch (e) {
      this.refused.set(row.uid, d.run)
      const message = e instanceof Error ? e.message : String(e)
      ctx.log('warn', `Schedule ${row.namespace}/${row.name}: the run of ${new Date(d.run).toISOString()} could not create ${child.kind} ${child.metadata.name}: ${message}`, { uid: row.uid })
      const f = scheduleEvents.failed('create new object', message)
      ctx.commit(row.uid, (emit) => emit(f.type, f.reason, f.message))
      return undefined
    }
    if (!wrote) return now // a name taken meanwhile: try again at once with another
    this.refused.delete(row.uid)
    const parsed = parseCron(spec.schedule)
    return parsed.ok ? next(parsed.schedule, Date.parse(rfc3339(now)), this.zone) : undefined
  }

  /** The object a run creates: the schedule's item for its type (with the schedule's chaoscope.dev/ annotations, such as a share), named `<schedule>-xxxxx`, labelled managed-by. */
  private childOf(row: ResourceRow, spec: ScheduleSpec): Resource {
    let name = spawnedName(row.name, this.ctx.random)
    for (let i = 0; i < 5 && this.ctx.store.findResource(spec.type, row.namespace, name); i++) name = spawnedName(row.name, this.ctx.random)
    const key = itemKey(spec.type)!
    return {
      apiVersion: row.apiVersion,
      kind: spec.type,
      metadata: { name, namespace: row.namespace, labels: { [MANAGED_BY]: row.name }, ...chaoscopeAnnotations(row.metadata.annotations) },
      spec: structuredClone(spec[key] as Record<string, unknown>),
      source: { file: `Schedule ${row.namespace}/${row.name}`, index: 0, line: 0 },
    }
  }

  private facts(children: readonly ResourceRow[]): ChildFacts[] {
    return children.map((c) => ({ name: c.name, createdAt: c.createdAt, finished: this.family.finished(c), deleting: c.deletingAt !== undefined }))
  }

  private current(uid: string): ScheduleStatus {
    return (this.ctx.store.getResource(uid)?.status ?? {}) as ScheduleStatus
  }

  /** Merges `patch` into the stored status (inside a commit); false when nothing changes. */
  private patchStatus(uid: string, patch: Partial<ScheduleStatus>): boolean {
    const cur = this.current(uid)
    const status: ScheduleStatus = { ...cur, ...patch }
    if (status.active?.length === 0) delete status.active
    if (JSON.stringify(status) === JSON.stringify(cur)) return false
    return this.ctx.store.updateResource(uid, { status: status as Record<string, unknown> })
  }

  /** {@link patchStatus} in a commit of its own (published), when it changes anything. */
  private writeStatus(uid: string, patch: Partial<ScheduleStatus>): void {
    const cur = this.current(uid)
    const status: ScheduleStatus = { ...cur, ...patch }
    if (status.active?.length === 0) delete status.active
    if (JSON.stringify(status) === JSON.stringify(cur)) return
    this.ctx.commit(uid, () => this.patchStatus(uid, patch))
  }
}

/**
 * Refuses at apply time a schedule the local controller could never run: its type's kind has no local injector
 * (SPEC_LOCAL_UNSUPPORTED) or that injector's check() rejects the item. `type: Workflow` is the workflow module's.
 */
async function admit(resource: Resource, input: KindAdmission): Promise<void> {
  const spec = resource.spec as ScheduleSpec
  // Chaos Mesh counts `@every` from the start of the starting-deadline window (now - startingDeadlineSeconds),
  // so a window shorter than the interval never holds a run: such a schedule would never run, silently
  const cron = parseCron(spec.schedule)
  if (cron.ok && cron.schedule.kind === 'every' && spec.startingDeadlineSeconds !== undefined && spec.startingDeadlineSeconds * 1000 < cron.schedule.everyMs) {
    throw new ChaosError('SPEC_INVALID_VALUE', `Schedule ${resource.metadata.name}: "${spec.schedule}" with startingDeadlineSeconds ${spec.startingDeadlineSeconds} would never run: an @every schedule is counted from the start of its starting-deadline window, which is shorter than the interval`, {
      hint: `set startingDeadlineSeconds to at least ${Math.ceil(cron.schedule.everyMs / 1000)}, leave it out, or write the schedule as a cron expression`,
    })
  }
  if (spec.type === 'Workflow') {
    // what each run would make is admitted now, as the Workflow itself would be (a Task without --allow-exec...)
    const workflow = (spec as unknown as { workflow?: Record<string, unknown> }).workflow ?? {}
    await input.admitNested({ apiVersion: resource.apiVersion, kind: 'Workflow', metadata: { name: resource.metadata.name, namespace: resource.metadata.namespace }, spec: workflow, source: resource.source })
    return
  }
  const key = itemKey(spec.type)
  if (!key) throw new ChaosError('SPEC_ENUM', `Schedule ${resource.metadata.name}: type ${JSON.stringify(spec.type)} is not a kind a Schedule can create`, { hint: 'set type to a chaos kind (PodChaos, NetworkChaos, …) or Workflow' })
  const item = (spec[key] ?? {}) as Record<string, unknown>
  try {
    injectorFor(input.injectors, spec.type, item).check?.(item)
  } catch (e) {
    if (!isChaosError(e)) throw e
    throw new ChaosError(e.code, `Schedule ${resource.metadata.name}: spec.${key}: ${e.message}`, { ...e.opts, cause: e })
  }
}

export const scheduleModule: KindModule = {
  kind: 'Schedule',
  admit,
  reconciler: (ctx, family) => new ScheduleReconciler(ctx, family),
  phase: (row) => scheduleSummary({ spec: row.spec, status: row.status, metadata: { ...row.metadata, ...(row.deletingAt ? { deletionTimestamp: row.deletingAt } : {}) } }).phase,
  // a schedule runs until it is deleted
  finished: () => false,
}

/** The `chaoscope.dev/` annotations of a schedule, which each object it makes carries (Chaos Mesh's items have no metadata). */
function chaoscopeAnnotations(annotations: Record<string, string> | undefined): { annotations?: Record<string, string> } {
  const own = Object.fromEntries(Object.entries(annotations ?? {}).filter(([k]) => k.startsWith('chaoscope.dev/')))
  return Object.keys(own).length > 0 ? { annotations: own } : {}
}
