/**
 * @module engine/experiment: the experiment reconciler (PodChaos, NetworkChaos, HTTPChaos...): selection once,
 * then per target inject or recover as the desired phase says, records first, then the archive on delete; an
 * experiment whose pods are all gone ends. Evidence is read before each recovery and kept.
 */
import { parseDuration } from '../manifest/duration.js'
import { ChaosError } from '../errors.js'
import type { FaultContext, FaultInjector, Injection, Target } from '../faults/injector.js'
import type { EffectFilter, HeldEffect, RuntimeClient, RuntimePod } from '../runtime/client.js'
import type { PodSelectorSpec } from '../manifest/kinds/common.js'
import type { EventRow, RecordHistoryEntry, RecordRow, ResourceRow } from '../store/store.js'
import type { EngineContext } from './context.js'
import { decidePhase, INJECTED, INJECTING, isFinished, nextOperation, NOT_INJECTED } from './decide.js'
import type { DesiredPhase, PhaseReason } from './decide.js'
import { factsOf, objectOf, statusOf } from './object.js'
import type { PodState, TargetExtras } from './object.js'
import { endedWords, ownedBy, realityOf } from './reality.js'
import type { Reconciler } from './reconciler.js'
import { matchingPods, noTargetsError, selectPods } from './select.js'
import type { Random } from './select.js'

/** A target chosen at selection: stored in its record, handed to the injector. */
export interface PlannedTarget {
  /** The record key: the pod name. */
  key: string
  /** `namespace/pod`, as Chaos Mesh names records. */
  id: string
  pod: RuntimePod
  /** Pods picked by NetworkChaos `spec.target`. */
  peers?: RuntimePod[]
}

interface SelectorFields {
  selector?: PodSelectorSpec
  mode?: string
  value?: string
}

/**
 * Chaos Mesh's selection for one experiment over the runtime's pods: `spec.selector` with `mode`/`value`,
 * and for a `spec.target` selector (NetworkChaos) the peers. A selector matching no pod at all is refused
 * (CONTROLLER_NO_TARGETS, naming the selector and the pods that exist); a mode that picks none of the matching
 * pods (random-max-percent drawing 0 %) selects nothing.
 */
export function planTargets(spec: Record<string, unknown>, pods: readonly RuntimePod[], random: Random): PlannedTarget[] {
  const s = spec as SelectorFields & { target?: unknown }
  if (matchingPods(pods, s.selector ?? {}).length === 0) throw noTargetsError('spec.selector', s.selector, pods)
  const picked = selectPods(pods, s.selector, s.mode ?? 'all', s.value, random)
  let peers: RuntimePod[] | undefined
  if (typeof s.target === 'object' && s.target !== null && !Array.isArray(s.target)) {
    const t = s.target as SelectorFields
    if (matchingPods(pods, t.selector ?? {}).length === 0) throw noTargetsError('spec.target.selector', t.selector, pods)
    peers = selectPods(pods, t.selector, t.mode ?? 'all', t.value, random)
  }
  return picked.map((pod) => ({ key: pod.name, id: `${pod.namespace}/${pod.name}`, pod, ...(peers ? { peers } : {}) }))
}

/** Records (phase Not Injected) for planned targets. */
export function recordsFor(uid: string, targets: readonly PlannedTarget[], now: string): RecordRow[] {
  return targets.map((t) => ({
    uid,
    key: t.key,
    id: t.id,
    selectorKey: '.',
    pod: t.pod.name,
    phase: NOT_INJECTED,
    injectedCount: 0,
    recoveredCount: 0,
    target: { key: t.key, pod: t.pod, ...(t.peers ? { peers: t.peers } : {}) },
    history: [],
    updatedAt: now,
  }))
}

const PHASE_MESSAGES: Record<PhaseReason, string> = {
  Started: 'desired phase is Run: injecting into the selected targets',
  Paused: 'paused by annotation experiment.chaos-mesh.org/pause: recovering the targets until resumed',
  TimeUp: 'the duration is over: recovering every target',
  Deleted: 'deleted: recovering every target before the experiment goes',
}

const MAX_HISTORY = 10

function withHistory(r: RecordRow, entry: RecordHistoryEntry): RecordHistoryEntry[] {
  return [...r.history, entry].slice(-MAX_HISTORY)
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

/**
 * The evidence to keep: a fresh read, unless it found none of the faults in place while a stored one has more
 * to say (the runtime removed them at their expiry a moment before the controller looked, or the pod went):
 * what was seen last stays.
 */
function fresher(fresh: Record<string, unknown> | undefined, stored: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!fresh) return stored
  const empty = fresh.active === 0 && Array.isArray(fresh.faults) && fresh.faults.length === 0
  return empty && stored ? stored : fresh
}

/** Evidence kept after its fault is recovered: whatever it counted stays; nothing of it is active any more. */
function settled(evidence: Record<string, unknown>): Record<string, unknown> {
  return typeof evidence.active === 'number' ? { ...evidence, active: 0 } : evidence
}

/** A pod as a record shows it: its phase, readiness, pid and restarts now, or gone. */
function podState(name: string, pod: RuntimePod | undefined): PodState {
  if (!pod) return { name, gone: true }
  return { name, phase: pod.phase, ready: pod.ready, ...(pod.reason ? { reason: pod.reason } : {}), ...(pod.pid !== undefined ? { pid: pod.pid } : {}), restartCount: pod.restartCount }
}

/** The ids of the runtime effects an injection made (`data.effects[].id`: the ids sidecar hop spans name). */
function effectIds(injection: Injection): string[] {
  const list = (injection.data as { effects?: { id?: unknown }[] } | undefined)?.effects
  return Array.isArray(list) ? list.flatMap((e) => (typeof e?.id === 'string' ? [e.id] : [])) : []
}

function actionOf(spec: Record<string, unknown>, injection?: Injection): string {
  return injection?.action ?? (typeof spec.action === 'string' ? spec.action : 'default')
}

/**
 * One reconcile of one experiment (see src/engine/README.md for the steps). Throws when a target failed, so
 * that the loop retries with back-off; every other target has been moved on first.
 */
export class ExperimentReconciler implements Reconciler {
  constructor(private readonly ctx: EngineContext) {}

  async reconcile(uid: string): Promise<{ requeueAfterMs?: number }> {
    const { store } = this.ctx
    let row = store.getResource(uid)
    if (!row) return {}
    const injector = this.ctx.injectors[row.kind]
    if (!injector) return this.withoutInjector(row)
    const oneShot = injector.oneShot?.(row.spec) ?? false
    const decision = decidePhase(factsOf(row, oneShot), this.ctx.clock.now())
    const desired = decision.phase

    // 1. the desired phase, with an event when it changes
    const stored = (row.status as { experiment?: { desiredPhase?: DesiredPhase } }).experiment?.desiredPhase
    if (stored !== desired) {
      // (delete() itself records Deleted, whatever the phase was)
      // a duration that ended while no controller ran is told at its end, not when this controller noticed
      const at = decision.reason === 'TimeUp' ? stopAt(row) : undefined
      row = this.ctx.commit(uid, (emit) => decision.reason !== 'Deleted' && emit('Normal', decision.reason, PHASE_MESSAGES[decision.reason], at), { desired }) ?? row
    }

    // 2. selection, once (apply normally selects; this covers a mode that picked none)
    let records = store.records(uid)
    if (records.length === 0 && desired === 'Run') {
      await this.select(row)
      records = store.records(uid)
    }

    // 3. targets whose pod is gone are not injected again; when every one is gone, the experiment ends
    let pods: Map<string, RuntimePod> | undefined
    const livePods = async () => (pods ??= new Map((await this.ctx.runtime.pods()).map((p) => [p.name, p])))
    let held: HeldEffect[] | undefined
    /** The experiment's effects on the runtime, held and lately ended: one listing per reconcile. */
    const rt = onePass(this.ctx.runtime)
    const effectsNow = async () => (held ??= await rt.effects({ owner: uid, ended: true }))
    if (records.length > 0 && !row.deletingAt && !oneShot && decision.reason !== 'TimeUp') {
      const live = await livePods()
      const gone = records.filter((r) => !live.has(r.pod) && !(r.target as TargetExtras).goneAt)
      if (gone.length > 0) {
        await this.markGone(row, injector, gone, effectsNow)
        records = store.records(uid)
      }
      if (records.every((r) => (r.target as TargetExtras).goneAt)) {
        this.endGone(row, records)
        return {}
      }
    }

    // 4. what the Injected records say, checked against what the runtime holds (level-based): a fault that vanished
    // behind the controller's back is injected again while the experiment runs; one the runtime ended at the
    // experiment's end is recovered with the time it ended
    const endedAt = new Map<string, number>()
    let expiring = false
    const injected = oneShot ? [] : records.filter((r) => r.phase === INJECTED && !(r.target as TargetExtras).goneAt)
    if (injected.some((r) => r.injection)) {
      const effects = await effectsNow()
      for (const rec of injected) {
        const real = realityOf(rec, effects, this.ctx.controllerId)
        if (real.missing.length === 0) continue
        if (desired === 'Stop') {
          // told at the time the runtime ended them only when it did so at the experiment's end by itself
          if (real.all && real.endedAt !== undefined && real.reasons.every((r) => r === 'expired')) endedAt.set(rec.key, real.endedAt)
          continue
        }
        if (real.reasons.every((r) => r === 'pod-gone')) continue // a peer that went (selection is fixed): the rest holds
        if (real.reasons.every((r) => r === 'expired' || r === 'pod-gone')) {
          // the runtime's clock reached the experiment's end a moment before this one: look again shortly
          expiring = true
          continue
        }
        this.lost(row, rec, real.missing.length, endedWords(real), real.endedAt)
      }
      records = store.records(uid)
    }

    // 5. every record towards the desired phase
    const errors: unknown[] = []
    const stepped: string[] = []
    for (const rec of records) {
      if ((rec.target as TargetExtras).goneAt) continue
      const before = rec.phase
      try {
        await this.step(row, injector, rec, desired, oneShot, livePods, rt, endedAt.get(rec.key))
      } catch (e) {
        errors.push(e)
      }
      if (store.records(uid).find((r) => r.key === rec.key)?.phase !== before) stepped.push(rec.key)
    }
    if (stepped.length > 0) await this.notePods(row, stepped)

    // 6. delete: every target recovered → archive; duration over and all recovered → Finished
    records = store.records(uid)
    const phases = records.map((r) => r.phase)
    if (row.deletingAt && phases.every((p) => p === NOT_INJECTED)) {
      this.archive(uid)
      return {}
    }
    if (isFinished(factsOf(row, oneShot), desired, phases, this.ctx.clock.now()) && !store.hasEvent(uid, 'Finished')) {
      // at the end of the duration, or at the last recovery if it came later (never before the end)
      const last = lastRecovered(records)
      const end = stopAt(row)
      const at = oneShot || last === undefined ? undefined : Math.max(last, end ?? last)
      this.ctx.commit(uid, (emit) => emit('Normal', 'Finished', oneShot ? 'every target was acted on once' : 'the duration is over and every target is recovered', at))
    }
    if (errors.length > 0) {
      const first = errors[0]
      throw errors.length === 1 ? first : new ChaosError(first instanceof ChaosError ? first.code : 'INTERNAL', `${errors.length} targets failed; first: ${message(first)}`, { cause: first })
    }
    const after = expiring ? Math.min(decision.untilStopMs ?? EXPIRY_LOOK_MS, EXPIRY_LOOK_MS) : decision.untilStopMs
    return after !== undefined ? { requeueAfterMs: after } : {}
  }

  /**
   * An Injected record whose faults the runtime no longer holds while the experiment should run: the record goes
   * back to Not Injected (saying why) with a Warning `EffectLost` at the time they ended, so that the next step
   * injects them again (or the record keeps saying why it cannot).
   */
  private lost(row: ResourceRow, rec: RecordRow, missing: number, why: string, at: number | undefined): void {
    const now = this.ctx.iso(at !== undefined ? Math.min(at, this.ctx.clock.now()) : undefined)
    const text = `the runtime no longer holds ${missing} of the faults on ${rec.id}: ${why}`
    this.save(row, { ...rec, phase: NOT_INJECTED, lastError: text, history: withHistory(rec, { type: 'Failed', operation: 'Apply', message: text, timestamp: now }), updatedAt: now }, [
      'Warning',
      'EffectLost',
      `${text}; injecting again`,
      at,
    ])
  }

  /**
   * A record whose injection never completed, when the experiment must stop: whatever the runtime holds for it
   * (an inject cut short, or one that failed half-way) is removed by its owner, and the record counts as recovered.
   * Nothing is injected to be undone: a delete or the end of a duration always completes.
   */
  private async undoPartial(row: ResourceRow, rec: RecordRow): Promise<RecordRow> {
    const left = (await this.ctx.runtime.effects({ owner: row.uid })).filter((e) => e.owner?.record === rec.key && ownedBy(e, this.ctx.controllerId))
    let removed = 0
    for (const e of left) if (await this.ctx.runtime.remove(e.id)) removed++
    const now = this.ctx.iso()
    const said = `its injection never completed${removed > 0 ? `; removed the ${removed} effect${removed === 1 ? '' : 's'} it had left` : ''}`
    const next: RecordRow = { ...rec, phase: NOT_INJECTED, history: withHistory(rec, { type: 'Succeeded', operation: 'Recover', message: said, timestamp: now }), updatedAt: now }
    return this.save(row, next, ['Normal', 'Recovered', `recovered ${rec.id}: ${said}`])
  }

  /** Selects targets for an experiment that has none yet and writes their records (phase Not Injected). */
  private async select(row: ResourceRow): Promise<void> {
    const pods = await this.ctx.runtime.pods()
    let targets: PlannedTarget[]
    try {
      targets = planTargets(row.spec, pods, this.ctx.random)
    } catch (e) {
      this.ctx.commit(row.uid, (emit) => emit('Warning', 'Failed', `select targets: ${message(e)}`))
      return
    }
    if (targets.length === 0) {
      this.ctx.commit(row.uid, (emit) => emit('Warning', 'Failed', 'select targets: the selector mode picked no pod'))
      return
    }
    this.ctx.commit(row.uid, (emit) => {
      for (const r of recordsFor(row.uid, targets, this.ctx.iso())) this.ctx.store.upsertRecord(r)
      emit('Normal', 'Selected', selectedMessage(targets))
    })
  }

  /** Moves one record until it matches the desired phase (at most inject then recover). */
  private async step(row: ResourceRow, injector: FaultInjector, rec: RecordRow, desired: DesiredPhase, oneShot: boolean, livePods: () => Promise<Map<string, RuntimePod>>, rt: RuntimeClient, endedAt?: number): Promise<void> {
    const fctx = this.faultContext(row, rt)
    for (let i = 0; i < 3; i++) {
      const op = nextOperation(desired, rec.phase)
      if (op === 'none') return
      if (op === 'inject') {
        if (desired === 'Stop' && oneShot) {
          // a one-shot action caught half-way while stopping: nothing stays applied, so nothing to finish or undo
          rec = this.save(row, { ...rec, phase: NOT_INJECTED })
          continue
        }
        if (desired === 'Stop') {
          rec = await this.undoPartial(row, rec)
          continue
        }
        if (rec.phase !== INJECTING) rec = this.save(row, { ...rec, phase: INJECTING })
        const target = await this.targetOf(rec, livePods)
        const span = this.ctx.lifecycle.injection(row.uid, rec.id, actionOf(row.spec))
        let injection: Injection
        try {
          injection = await injector.inject(fctx, target, row.spec)
        } catch (e) {
          const endsAt = fctx.experiment.endsAt
          if (endsAt !== undefined && endsAt <= this.ctx.clock.now() + END_RACE_MS && e instanceof ChaosError && e.code === 'EFFECT_INVALID') {
            // the runtime's clock passed the experiment's end while this inject was on its way: not a failure; the
            // next reconcile (due at the end) stops it
            this.ctx.log('debug', `${row.kind} ${row.namespace}/${row.name}: inject into ${rec.id} arrived after the experiment's end`, { uid: row.uid })
            span.ok()
            return
          }
          span.failed(e)
          this.ctx.metrics.injections.inc({ kind: row.kind, action: actionOf(row.spec), result: 'failure' })
          this.ctx.log('warn', `${row.kind} ${row.namespace}/${row.name}: injecting into ${rec.id} failed; retried with back-off: ${message(e)}`, { uid: row.uid, experiment: `${row.namespace}/${row.name}`, kind: row.kind, target: rec.id })
          this.failed(row, rec, 'Apply', e)
          throw e
        }
        this.ctx.metrics.injections.inc({ kind: row.kind, action: actionOf(row.spec, injection), result: 'success' })
        span.ok(effectIds(injection))
        const now = this.ctx.iso()
        const next: RecordRow = {
          ...rec,
          phase: INJECTED,
          injectedCount: rec.injectedCount + 1,
          injection: injection as unknown as Record<string, unknown>,
          ...(injection.evidence ? { evidence: injection.evidence } : {}),
          history: withHistory(rec, { type: 'Succeeded', operation: 'Apply', timestamp: now }),
          updatedAt: now,
        }
        delete next.lastError
        rec = this.save(row, next, ['Normal', 'Applied', `injected ${row.kind} into ${rec.id}`])
        continue
      }
      // recover
      const injection = rec.injection as Injection | undefined
      let evidence = rec.evidence
      if (injection) {
        // what the fault did, read while it is still in place: kept once it is gone
        evidence = fresher(await this.readEvidence(row, injector, rec, injection, fctx), evidence)
        const span = this.ctx.lifecycle.recovery(row.uid, rec.id, actionOf(row.spec, injection))
        try {
          await injector.recover(fctx, injection)
          span.ok(effectIds(injection))
        } catch (e) {
          span.failed(e)
          this.ctx.metrics.recoveries.inc({ kind: row.kind, result: 'failure' })
          this.ctx.log('warn', `${row.kind} ${row.namespace}/${row.name}: recovering ${rec.id} failed; retried with back-off: ${message(e)}`, { uid: row.uid, experiment: `${row.namespace}/${row.name}`, kind: row.kind, target: rec.id })
          this.failed(row, rec, 'Recover', e)
          throw e
        }
        if (evidence) evidence = settled(evidence)
      }
      this.ctx.metrics.recoveries.inc({ kind: row.kind, result: 'success' })
      // when the runtime had ended every fault of it by itself (at the experiment's end, while no controller ran),
      // the recovery is told at that time
      const at = endedAt !== undefined ? Math.min(endedAt, this.ctx.clock.now()) : undefined
      const now = this.ctx.iso(at)
      const next: RecordRow = {
        ...rec,
        phase: NOT_INJECTED,
        recoveredCount: rec.recoveredCount + 1,
        ...(evidence ? { evidence } : {}),
        history: withHistory(rec, { type: 'Succeeded', operation: 'Recover', ...(at !== undefined ? { message: 'the runtime had removed its faults at the experiment\'s end' } : {}), timestamp: now }),
        updatedAt: now,
      }
      delete next.lastError
      rec = this.save(row, next, ['Normal', 'Recovered', `recovered ${rec.id}${at !== undefined ? ' (the runtime had removed its faults at the experiment\'s end)' : ''}`, at])
    }
  }

  /** Stores a record (and an event) in one transaction; returns what was stored. */
  private save(row: ResourceRow, rec: RecordRow, event?: [type: 'Normal' | 'Warning', reason: string, message: string, at?: number]): RecordRow {
    const next = { ...rec, updatedAt: rec.updatedAt > this.ctx.iso() ? rec.updatedAt : this.ctx.iso() }
    this.ctx.commit(row.uid, (emit) => {
      this.ctx.store.upsertRecord(next)
      if (event) emit(...event)
    })
    return next
  }

  private failed(row: ResourceRow, rec: RecordRow, operation: 'Apply' | 'Recover', e: unknown): void {
    const now = this.ctx.iso()
    this.save(row, { ...rec, lastError: message(e), history: withHistory(rec, { type: 'Failed', operation, message: message(e), timestamp: now }), updatedAt: now }, [
      'Warning',
      'Failed',
      `${operation === 'Apply' ? 'inject into' : 'recover'} ${rec.id}: ${message(e)}`,
    ])
  }

  /** The stored target, with its pod (and peers) as the runtime shows them now, when they still exist. */
  private async targetOf(rec: RecordRow, livePods: () => Promise<Map<string, RuntimePod>>): Promise<Target> {
    const stored = rec.target as { key?: string; pod?: RuntimePod; peers?: RuntimePod[] }
    const pods = await livePods()
    const pod = pods.get(rec.pod) ?? stored.pod!
    return {
      key: rec.key,
      pod,
      ...(stored.peers ? { peers: stored.peers.map((p) => pods.get(p.name) ?? p) } : {}),
    }
  }

  /** Fresh evidence of one injected target; a failed read is logged and gives undefined (the stored evidence stays). */
  private async readEvidence(row: ResourceRow, injector: FaultInjector, rec: RecordRow, injection: Injection, fctx = this.faultContext(row)): Promise<Record<string, unknown> | undefined> {
    if (!injector.evidence) return undefined
    try {
      return await injector.evidence(fctx, injection)
    } catch (e) {
      this.ctx.log('warn', `${row.kind} ${row.namespace}/${row.name}: reading the evidence of ${rec.id} failed: ${message(e)}`, { uid: row.uid, experiment: `${row.namespace}/${row.name}`, kind: row.kind, target: rec.id })
      return undefined
    }
  }

  /** Stores the state of the pods of the given records as the runtime shows them now (one pod list). */
  private async notePods(row: ResourceRow, keys: readonly string[]): Promise<void> {
    let live: Map<string, RuntimePod>
    try {
      live = new Map((await this.ctx.runtime.pods()).map((p) => [p.name, p]))
    } catch (e) {
      this.ctx.log('warn', `${row.kind} ${row.namespace}/${row.name}: listing pods for the records failed: ${message(e)}`, { uid: row.uid })
      return
    }
    const wanted = new Set(keys)
    this.ctx.commit(row.uid, () => {
      for (const r of this.ctx.store.records(row.uid)) {
        if (!wanted.has(r.key)) continue
        this.ctx.store.upsertRecord({ ...r, target: { ...r.target, state: podState(r.pod, live.get(r.pod)) } })
      }
    })
  }

  /**
   * For `describe`: fresh evidence of every injected target and the state of every target pod, stored in one
   * commit. Evidence reads that fail are logged and leave the stored evidence.
   */
  async refresh(row: ResourceRow): Promise<void> {
    const injector = this.ctx.injectors[row.kind]
    const fresh = new Map<string, Record<string, unknown>>()
    for (const rec of this.ctx.store.records(row.uid)) {
      if (!injector || rec.phase !== INJECTED || !rec.injection) continue
      const e = fresher(await this.readEvidence(row, injector, rec, rec.injection as unknown as Injection), rec.evidence)
      if (e) fresh.set(rec.key, e)
    }
    let live: Map<string, RuntimePod> | undefined
    try {
      live = new Map((await this.ctx.runtime.pods()).map((p) => [p.name, p]))
    } catch (e) {
      this.ctx.log('warn', `${row.kind} ${row.namespace}/${row.name}: listing pods failed: ${message(e)}`, { uid: row.uid })
    }
    this.ctx.commit(row.uid, () => {
      for (const cur of this.ctx.store.records(row.uid)) {
        const evidence = cur.phase === INJECTED ? fresh.get(cur.key) : undefined
        const gone = (cur.target as TargetExtras).goneAt !== undefined
        if (!evidence && (!live || gone)) continue
        this.ctx.store.upsertRecord({ ...cur, ...(evidence ? { evidence } : {}), ...(live && !gone ? { target: { ...cur.target, state: podState(cur.pod, live.get(cur.pod)) } } : {}) })
      }
    })
  }

  /**
   * Records whose pod is gone: the fault went with the pod (the runtime forgets a gone pod's effects), so the
   * record is Not Injected, marked gone (never injected again) with its last evidence kept. recover() is still
   * called: it is idempotent and treats a target that no longer exists as recovered.
   */
  private async markGone(row: ResourceRow, injector: FaultInjector, gone: readonly RecordRow[], effectsNow: () => Promise<HeldEffect[]>): Promise<void> {
    const fctx = this.faultContext(row)
    const effects = await effectsNow().catch(() => [] as HeldEffect[])
    for (const rec of gone) {
      // when the runtime remembers the pod's going (its effects ended with it), that is the time told
      const real = rec.phase === INJECTED ? realityOf(rec, effects, this.ctx.controllerId) : undefined
      const at = real?.all && real.reasons.includes('pod-gone') ? real.endedAt : undefined
      if (rec.injection) {
        try {
          await injector.recover(fctx, rec.injection as unknown as Injection)
        } catch (e) {
          this.ctx.log('warn', `${row.kind} ${row.namespace}/${row.name}: recovering ${rec.id}, whose pod is gone, failed: ${message(e)}`, { uid: row.uid, target: rec.id })
        }
      }
      const now = this.ctx.iso(at !== undefined ? Math.min(at, this.ctx.clock.now()) : undefined)
      const next: RecordRow = {
        ...rec,
        phase: NOT_INJECTED,
        target: { ...rec.target, goneAt: now, state: { name: rec.pod, gone: true } },
        ...(rec.evidence ? { evidence: settled(rec.evidence) } : {}),
        history: rec.phase === NOT_INJECTED ? rec.history : withHistory(rec, { type: 'Succeeded', operation: 'Recover', message: 'the pod is gone', timestamp: now }),
        updatedAt: now,
      }
      this.save(row, next, ['Warning', 'TargetGone', `pod ${rec.id} is gone: it is not injected again`, at])
    }
  }

  /**
   * Every selected pod is gone (e.g. the app was taken down and started again): the experiment ends, with an
   * event, and is archived instead of lingering as Running. New pods of the same services are NOT selected:
   * as in Chaos Mesh, selection is fixed when the experiment is created; apply it again to act on them.
   */
  private endGone(row: ResourceRow, records: readonly RecordRow[]): void {
    const at = this.ctx.iso()
    this.ctx.atomically(() => {
      this.ctx.commit(row.uid, (emit) => {
        const cur = this.ctx.store.getResource(row.uid)
        if (!cur) return
        this.ctx.store.updateResource(row.uid, { deletingAt: at, metadata: { ...cur.metadata, deletionTimestamp: at } })
        emit('Warning', 'TargetsGone', `every selected pod is gone (${records.map((r) => r.id).join(', ')}): the experiment ends; new pods of the same services are not selected (selection is fixed at creation, as in Chaos Mesh)`)
      }, { desired: 'Stop' })
      this.archive(row.uid)
    })
  }

  faultContext(row: ResourceRow, runtime: RuntimeClient = this.ctx.runtime): FaultContext {
    const duration = typeof row.spec.duration === 'string' && row.spec.duration !== '' ? parseDuration(row.spec.duration) : undefined
    return {
      runtime,
      ...(this.ctx.controllerId !== undefined ? { controller: this.ctx.controllerId } : {}),
      experiment: {
        uid: row.uid, kind: row.kind, namespace: row.namespace, name: row.name, annotations: row.metadata.annotations ?? {},
        ...(duration !== undefined ? { endsAt: Date.parse(row.createdAt) + duration } : {}),
      },
      now: () => this.ctx.clock.now(),
    }
  }

  /** Moves the experiment to the archive with its records and events; publishes that it is gone. */
  archive(uid: string): void {
    const { store } = this.ctx
    const events: EventRow[] = []
    let object: ReturnType<typeof objectOf> | undefined
    store.transaction(() => {
      const row = store.getResource(uid)
      if (!row) return
      events.push(store.addEvent({ uid, kind: row.kind, namespace: row.namespace, name: row.name, type: 'Normal', reason: 'Archived', message: 'every target is recovered: the experiment is archived', time: this.ctx.iso() }))
      const status = statusOf(row, store.records(uid), { oneShot: this.ctx.oneShot(row), now: this.ctx.clock.now() })
      object = objectOf({ ...row, finalizers: [], metadata: { ...row.metadata, finalizers: [] }, status: status as unknown as Record<string, unknown> })
      store.archive(uid, object as unknown as Record<string, unknown>, this.ctx.iso())
    })
    this.ctx.published(events)
    if (object) this.ctx.publishChange({ type: 'DELETED', object })
  }

  /** A kind whose injector is gone (a controller started without it): nothing can be injected or recovered. */
  private withoutInjector(row: ResourceRow): { requeueAfterMs?: number } {
    if (row.deletingAt) {
      this.archive(row.uid)
      return {}
    }
    if (!this.ctx.store.hasEvent(row.uid, 'Failed')) {
      this.ctx.commit(row.uid, (emit) => emit('Warning', 'Failed', `this controller has no injector for ${row.kind}: the experiment cannot run here`))
    }
    return {}
  }
}

export function selectedMessage(targets: readonly PlannedTarget[]): string {
  const ids = targets.map((t) => t.id)
  const shown = ids.length > 10 ? `${ids.slice(0, 10).join(', ')} and ${ids.length - 10} more` : ids.join(', ')
  const peers = targets[0]?.peers
  return `selected ${ids.length} pod${ids.length === 1 ? '' : 's'}: ${shown}${peers ? `; target: ${peers.map((p) => `${p.namespace}/${p.name}`).join(', ')}` : ''}`
}

/** How close to the experiment's end an inject the runtime refuses as expired counts as late, not failed. */
const END_RACE_MS = 1000

/** How soon to look again when the runtime has expired a fault a moment before the controller's clock says so. */
const EXPIRY_LOOK_MS = 250

/** When the experiment's duration ends (ms since the epoch), if it has one. */
function stopAt(row: ResourceRow): number | undefined {
  const d = typeof row.spec.duration === 'string' && row.spec.duration !== '' ? parseDuration(row.spec.duration) : undefined
  return d === undefined ? undefined : Date.parse(row.createdAt) + d
}

/** The time of the last recovery among the records (their history), if any. */
function lastRecovered(records: readonly RecordRow[]): number | undefined {
  let at: number | undefined
  for (const r of records) {
    for (const h of r.history) if (h.operation === 'Recover' && h.type === 'Succeeded') at = Math.max(at ?? 0, Date.parse(h.timestamp))
  }
  return at
}

/**
 * The runtime as one reconcile sees it: a listing of effects (the reality check's, then the evidence read's) is
 * shared until the next apply or remove, so that a reconcile asks the runtime once, not once per reader.
 */
function onePass(runtime: RuntimeClient): RuntimeClient {
  const listed = new Map<string, Promise<HeldEffect[]>>()
  const changed = <T>(p: Promise<T>): Promise<T> => {
    listed.clear()
    return p.finally(() => listed.clear())
  }
  return {
    pods: () => runtime.pods(),
    effects(filter: EffectFilter = {}) {
      const key = `${filter.owner ?? ''}\0${filter.ended === true}`
      let p = listed.get(key)
      if (!p) {
        p = runtime.effects(filter)
        listed.set(key, p)
        p.catch(() => listed.delete(key))
      }
      return p
    },
    apply: (effect) => changed(runtime.apply(effect)),
    remove: (id) => changed(runtime.remove(id)),
  }
}
