/**
 * @module engine/object: how a stored experiment looks to users: a Kubernetes-style object whose status has
 * Chaos Mesh's conditions, desired phase and per-target records.
 */
import type { RecordRow, ResourceRow, StoredMetadata } from '../store/store.js'
import { conditionsOf, experimentPhase, isPaused } from './decide.js'
import type { Condition, DesiredPhase, ExperimentFacts } from './decide.js'

/** One record as `status.experiment.records` shows it. */
export interface RecordView {
  id: string
  selectorKey: string
  phase: string
  injectedCount: number
  recoveredCount: number
  events?: RecordRow['history']
  evidence?: Record<string, unknown>
  lastError?: string
}

export interface ExperimentStatus {
  conditions: Condition[]
  experiment: {
    desiredPhase?: DesiredPhase
    records: RecordView[]
  }
  [more: string]: unknown
}

/** A resource as the controller hands it out (the API's `ChaosObject`). */
export interface ChaosObject {
  apiVersion: string
  kind: string
  metadata: StoredMetadata
  spec: Record<string, unknown>
  status: ExperimentStatus
}

/** The part of the stored status the reconciler owns; records and conditions are derived from the records table. */
export interface StoredStatus {
  experiment?: { desiredPhase?: DesiredPhase }
}

export function recordView(r: RecordRow): RecordView {
  return {
    id: r.id,
    selectorKey: r.selectorKey,
    phase: r.phase,
    injectedCount: r.injectedCount,
    recoveredCount: r.recoveredCount,
    ...(r.history.length ? { events: r.history } : {}),
    ...(r.evidence ? { evidence: r.evidence } : {}),
    ...(r.lastError ? { lastError: r.lastError } : {}),
  }
}

/** The status to store for `row` given its records: conditions and records recomputed, desired phase kept. */
export function statusOf(row: Pick<ResourceRow, 'metadata' | 'status'>, records: readonly RecordRow[], desired?: DesiredPhase): ExperimentStatus {
  const stored = row.status as StoredStatus
  const phase = desired ?? stored.experiment?.desiredPhase
  return {
    conditions: conditionsOf(records.map((r) => r.phase), isPaused(row.metadata.annotations)),
    experiment: { ...(phase ? { desiredPhase: phase } : {}), records: records.map(recordView) },
  }
}

export function objectOf(row: ResourceRow): ChaosObject {
  return {
    apiVersion: row.apiVersion,
    kind: row.kind,
    metadata: row.metadata,
    spec: row.spec,
    status: (row.status as ExperimentStatus).conditions ? (row.status as ExperimentStatus) : statusOf(row, []),
  }
}

/** What the decisions read of a stored resource. */
export function factsOf(row: ResourceRow, oneShot: boolean): ExperimentFacts {
  const duration = row.spec.duration
  return {
    creationTimestamp: row.metadata.creationTimestamp,
    ...(typeof duration === 'string' && duration !== '' ? { duration } : {}),
    ...(row.metadata.annotations ? { annotations: row.metadata.annotations } : {}),
    ...(row.deletingAt ? { deletionTimestamp: row.deletingAt } : {}),
    oneShot,
  }
}

/** The phase `get` shows (injecting, running, paused, finished, deleting). */
export function phaseOf(row: ResourceRow, records: readonly RecordRow[], oneShot: boolean, now: number): ReturnType<typeof experimentPhase> {
  const stored = row.status as StoredStatus
  return experimentPhase(factsOf(row, oneShot), stored.experiment?.desiredPhase ?? 'Run', records.map((r) => r.phase), now)
}
