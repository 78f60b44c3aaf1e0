/**
 * @module engine/object: how a stored experiment looks to users: a Kubernetes-style object whose status is Chaos
 * Mesh's, field for field (conditions, desired phase, containerRecords), plus one field Chaos Mesh's schema does
 * not claim, `status.chaoscope`, with what only chaoscope knows: the derived phase, the action, and per record
 * the evidence that the fault acted and the target pod as last seen.
 *
 *   status:
 *     conditions: [{type, status, reason}]                          Chaos Mesh
 *     experiment: {desiredPhase, containerRecords: [{id, selectorKey, phase, injectedCount, recoveredCount, events}]}
 *     chaoscope: {phase, action, records: [{id, active, evidence?, pod?, gone?, lastError?}]}    ours
 */
import type { RecordRow, ResourceRow, StoredMetadata } from '../store/store.js'
import { conditionsOf, experimentPhase, isPaused } from './decide.js'
import type { Condition, DesiredPhase, ExperimentFacts } from './decide.js'

/** One record as Chaos Mesh's `status.experiment.containerRecords` holds it. */
export interface ContainerRecord {
  id: string
  selectorKey: string
  phase: string
  injectedCount: number
  recoveredCount: number
  /** The last operations on the target (Chaos Mesh's record events), oldest first. */
  events?: RecordRow['history']
}

/** The target pod as last seen by the controller (at inject, at recover, at a refresh). */
export interface PodState {
  name: string
  phase?: string
  ready?: boolean
  reason?: string
  pid?: number
  restartCount?: number
  /** The pod no longer exists. */
  gone?: true
}

/** What chaoscope adds about one record (same `id` as its container record). */
export interface ChaoscopeRecord {
  id: string
  /** True while the fault is in place on this target (the record is Injected); false once recovered or paused. */
  active: boolean
  /**
   * What the fault did, from the data path: requests and connections touched, pids killed and started. Read
   * while it acts and once more just before it is recovered, then kept: a finished or deleted experiment still
   * shows it.
   */
  evidence?: Record<string, unknown>
  pod?: PodState
  /** ISO time the controller found the target pod gone: it is not injected again. */
  gone?: string
  lastError?: string
}

export type ExperimentPhaseName = ReturnType<typeof experimentPhase>

export interface ExperimentStatus {
  conditions: Condition[]
  experiment: {
    desiredPhase?: DesiredPhase
    containerRecords: ContainerRecord[]
  }
  chaoscope: {
    /** injecting, running, paused, finished or deleting (as Chaos Mesh's controller derives it). */
    phase: ExperimentPhaseName
    /** What the fault does: `spec.action`, or for HTTPChaos the faults it sets (abort, delay, replace, patch). */
    action: string
    records: ChaoscopeRecord[]
  }
}

/** A resource as the controller hands it out (the API's `ChaosObject`). */
export interface ChaosObject {
  apiVersion: string
  kind: string
  metadata: StoredMetadata
  spec: Record<string, unknown>
  status: ExperimentStatus
}

/** The part of the stored status the reconciler owns; the rest is derived from the records table. */
export interface StoredStatus {
  experiment?: { desiredPhase?: DesiredPhase }
}

/** What the record's `target` JSON holds besides the selection: the pod as last seen, and when it was found gone. */
export interface TargetExtras {
  state?: PodState
  goneAt?: string
}

export function containerRecord(r: RecordRow): ContainerRecord {
  return {
    id: r.id,
    selectorKey: r.selectorKey,
    phase: r.phase,
    injectedCount: r.injectedCount,
    recoveredCount: r.recoveredCount,
    ...(r.history.length ? { events: r.history } : {}),
  }
}

export function chaoscopeRecord(r: RecordRow): ChaoscopeRecord {
  const t = r.target as TargetExtras
  return {
    id: r.id,
    active: r.phase === 'Injected',
    ...(r.evidence ? { evidence: r.evidence } : {}),
    ...(t.state ? { pod: t.state } : {}),
    ...(t.goneAt ? { gone: t.goneAt } : {}),
    ...(r.lastError ? { lastError: r.lastError } : {}),
  }
}

/** HTTPChaos has no `action`: its faults are the fields it sets. */
const HTTP_FAULTS = ['abort', 'delay', 'replace', 'patch'] as const

/**
 * What an experiment does, as `get` shows it: `spec.action` (delay, pod-kill...), or for HTTPChaos the faults it
 * sets, joined with commas (`abort`, `delay,replace`).
 */
export function actionOf(kind: string, spec: Record<string, unknown>): string {
  if (typeof spec.action === 'string' && spec.action !== '') return spec.action
  if (kind === 'HTTPChaos') {
    const set = HTTP_FAULTS.filter((f) => (f === 'abort' ? spec.abort === true : spec[f] !== undefined && spec[f] !== null))
    if (set.length) return set.join(',')
  }
  return ''
}

export interface StatusContext {
  /** The desired phase to store; default: the one stored. */
  desired?: DesiredPhase | undefined
  oneShot: boolean
  /** Ms since the epoch, from the controller's clock. */
  now: number
}

/** The status to store for `row` given its records: everything recomputed but the desired phase (kept, or `desired`). */
export function statusOf(row: Pick<ResourceRow, 'kind' | 'spec' | 'metadata' | 'status' | 'deletingAt'>, records: readonly RecordRow[], c: StatusContext): ExperimentStatus {
  const stored = row.status as StoredStatus
  const desired = c.desired ?? stored.experiment?.desiredPhase
  const phases = records.map((r) => r.phase)
  return {
    conditions: conditionsOf(phases, isPaused(row.metadata.annotations)),
    experiment: { ...(desired ? { desiredPhase: desired } : {}), containerRecords: records.map(containerRecord) },
    chaoscope: {
      phase: experimentPhase(factsOf(row, c.oneShot), desired ?? 'Run', phases, c.now),
      action: actionOf(row.kind, row.spec),
      records: records.map(chaoscopeRecord),
    },
  }
}

/** The object for a stored row (its stored status, or an empty one for a row never reconciled). */
/**
 * Kinds whose reconciler writes their status itself (engine/family.ts): they have no records, and their status is
 * Chaos Mesh's for that kind (ScheduleStatus, WorkflowStatus, WorkflowNodeStatus, StatusCheckStatus) plus
 * `status.chaoscope`.
 */
export const OWNER_KINDS: ReadonlySet<string> = new Set(['Schedule', 'Workflow', 'WorkflowNode', 'StatusCheck'])

export function objectOf(row: ResourceRow): ChaosObject {
  const status = row.status as Partial<ExperimentStatus>
  if (OWNER_KINDS.has(row.kind)) return { apiVersion: row.apiVersion, kind: row.kind, metadata: row.metadata, spec: row.spec, status: row.status as unknown as ExperimentStatus }
  return {
    apiVersion: row.apiVersion,
    kind: row.kind,
    metadata: row.metadata,
    spec: row.spec,
    status: status.conditions && status.chaoscope ? (status as ExperimentStatus) : statusOf(row, [], { oneShot: false, now: Date.parse(row.createdAt) }),
  }
}

/** What the decisions read of a stored resource. */
export function factsOf(row: Pick<ResourceRow, 'spec' | 'metadata' | 'deletingAt'>, oneShot: boolean): ExperimentFacts {
  const duration = row.spec.duration
  return {
    creationTimestamp: row.metadata.creationTimestamp,
    ...(typeof duration === 'string' && duration !== '' ? { duration } : {}),
    ...(row.metadata.annotations ? { annotations: row.metadata.annotations } : {}),
    ...(row.deletingAt ? { deletionTimestamp: row.deletingAt } : {}),
    oneShot,
  }
}

/** The phase `get` shows (injecting, running, paused, finished, deleting), at `now`. */
export function phaseOf(row: ResourceRow, records: readonly RecordRow[], oneShot: boolean, now: number): ExperimentPhaseName {
  const stored = row.status as StoredStatus
  return experimentPhase(factsOf(row, oneShot), stored.experiment?.desiredPhase ?? 'Run', records.map((r) => r.phase), now)
}
