/**
 * @module api/types: what the HTTP API and the CLI see of the controller: stored objects, events, apply results,
 * and the part of the `Controller` (src/engine/controller.ts) the API calls.
 */
import type { ChaoscopeRecord, ContainerRecord } from '../engine/object.js'
import type { Page, ResourceKey } from '../store/store.js'
import type { Resource } from '../manifest/validate.js'

/** A condition as Chaos Mesh reports it (`status.conditions[]`): Selected, AllInjected, AllRecovered, Paused. */
export interface Condition {
  type: string
  status: string
  reason?: string
}

/** A record as Chaos Mesh's `status.experiment.containerRecords[]` holds it, and what chaoscope adds (`status.chaoscope.records[]`). */
export type { ChaoscopeRecord, ContainerRecord, PodState as RecordPod } from '../engine/object.js'

/** `status.chaoscope`: a field Chaos Mesh's schema does not claim, with what only chaoscope knows. */
export interface ChaoscopeStatus {
  /** injecting, running, paused, finished or deleting. */
  phase: string
  /** `spec.action`; for HTTPChaos its faults joined with commas (abort, delay, replace, patch). */
  action: string
  records: ChaoscopeRecord[]
}

/** A resource as the controller stores it: what was applied, plus identity and a status in Chaos Mesh's shape. */
export interface ChaosObject {
  apiVersion: string
  kind: string
  metadata: {
    name: string
    namespace: string
    uid?: string
    generation?: number
    creationTimestamp?: string
    deletionTimestamp?: string
    labels?: Record<string, string>
    annotations?: Record<string, string>
    finalizers?: string[]
    /** On objects another one made (a Schedule's chaos, a Workflow's nodes and their chaos). */
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }[]
  }
  spec: Record<string, unknown>
  status?: {
    conditions?: Condition[]
    experiment?: { desiredPhase?: 'Run' | 'Stop'; containerRecords?: ContainerRecord[] }
    chaoscope?: ChaoscopeStatus
  }
}

/** An event, Kubernetes style. `id` grows monotonically. */
export interface ChaosEvent {
  id: number
  uid?: string
  kind: string
  namespace: string
  name: string
  type: string
  reason: string
  message: string
  time: string
}

export type ApplyAction = 'created' | 'configured' | 'unchanged'

export interface ApplyResult {
  action: ApplyAction
  object: ChaosObject
  /** With dryRun: what would be selected and injected. */
  plan?: unknown
}

export interface ListQuery {
  kind?: string
  namespace?: string
  labelSelector?: string
}

export interface EventQuery {
  uid?: string
  kind?: string
  namespace?: string
  name?: string
  sinceId?: number
}

/**
 * Paging, as Kubernetes lists have it (api/paging.ts): at most `limit` items (1 to 1000; absent: 500), and
 * `continue`, the token the page before returned in `metadata.continue`, sent with the same query as that request.
 */
export interface PageQuery {
  limit?: number
  continue?: string
}

/** `metadata` of a list answer: `continue` while more items follow, and how many (absent when unknown). */
export interface ListMeta {
  continue?: string
  remainingItemCount?: number
}

/** A list answer of the API: `GET /api/v1/resources`, `/api/v1/events`, `.../{name}/events`. */
export interface ItemList<T> {
  items: T[]
  metadata: ListMeta
}

export type { Page, ResourceKey } from '../store/store.js'

/** What the controller publishes: an object created, changed or gone, or a new event. */
export type ChangeNotice =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: ChaosObject }
  | { type: 'EVENT'; event: ChaosEvent }

type MaybePromise<T> = T | Promise<T>

/**
 * The controller as the API uses it. Structural, so that the real `Controller` fits it, and tests can hand in
 * the real one or a small fake. Errors are ChaosErrors; a missing object is undefined from get() and a
 * `*_NOT_FOUND` error from delete/pause/resume.
 */
export interface ControllerApi {
  apply(resource: Resource, opts?: { dryRun?: boolean }): MaybePromise<ApplyResult>
  /**
   * Every resource or none, in one store transaction; a refusal of any throws an error with `refusals`
   * (`{index, error}` each). Without it, the API admits each with dryRun first, then applies each.
   */
  applyAll?(resources: readonly Resource[], opts?: { dryRun?: boolean }): Promise<ApplyResult[]>
  /** Resolves once every target is recovered and the object is gone, unless `wait` is false. */
  delete(kind: string, namespace: string, name: string, opts?: { wait?: boolean; timeoutMs?: number }): MaybePromise<unknown>
  pause(kind: string, namespace: string, name: string): MaybePromise<unknown>
  resume(kind: string, namespace: string, name: string): MaybePromise<unknown>
  get(kind: string, namespace: string, name: string): MaybePromise<ChaosObject | undefined>
  list(query: ListQuery): MaybePromise<ChaosObject[]>
  events(query: EventQuery): MaybePromise<ChaosEvent[]>
  /** At most `limit` resources sorting after `after` (kind, namespace, name); `next` when more may follow. */
  listPage(query: ListQuery & { after?: ResourceKey; limit: number }): MaybePromise<Page<ChaosObject, ResourceKey>>
  /** At most `limit` events with an id above `sinceId`, oldest first; `next` (the last id) when more follow. */
  eventsPage(query: EventQuery & { limit: number }): MaybePromise<Page<ChaosEvent, number>>
  /** Reads fresh evidence from the data path into the records (for describe). */
  refreshEvidence?(kind: string, namespace: string, name: string): Promise<ChaosObject>
  on(event: 'change', listener: (change: ChangeNotice) => void): unknown
  off?(event: 'change', listener: (change: ChangeNotice) => void): unknown
}

/** A token as the API shows it (`GET /api/v1/tokens`, `token list`): never the token or its hash. */
export interface TokenInfo {
  name: string
  role: 'viewer' | 'operator' | 'admin'
  /** [] = every namespace. */
  namespaces: readonly string[]
  state: 'active' | 'expired' | 'revoked'
  createdAt: string
  createdBy?: string
  expiresAt?: string
  revokedAt?: string
  lastUsedAt?: string
}
