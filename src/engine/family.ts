/**
 * @module engine/family: the contract between the controller and the kinds that make other objects: Schedule
 * (spawns chaos objects or Workflows on a timetable), Workflow and its WorkflowNodes (a tree of nodes, each chaos
 * node spawning one chaos object), StatusCheck (probes; no children, but owned by a node). As in Kubernetes, a
 * child names its owner in `metadata.ownerReferences`; deleting an owner deletes its children first (each
 * recovers its faults), and it is archived once none is left. A child that changes (or goes) wakes its owner's
 * reconcile.
 *
 *   Schedule ──spawns──▶ PodChaos sched-abcde (owner: the Schedule)
 *   Workflow ──spawns──▶ WorkflowNode entry-xxxxx ──spawns──▶ WorkflowNode child-yyyyy ──spawns──▶ NetworkChaos child-yyyyy
 *
 * A kind module is what the controller needs of one such kind: what apply refuses, its reconciler, and how its
 * phase reads. The controller dispatches each uid's reconcile to the module of its row's kind (experiments:
 * engine/experiment.ts). Rows of these kinds keep the status their reconciler writes (the controller does not
 * recompute it from records as it does for experiments).
 */
import type { ChaosError } from '../errors.js'
import type { FaultInjector } from '../faults/injector.js'
import type { Resource } from '../manifest/validate.js'
import type { RuntimePod } from '../runtime/client.js'
import type { ResourceRow } from '../store/store.js'
import type { EngineContext } from './context.js'

/** Kubernetes' owner reference, as kept in `metadata.ownerReferences` of a spawned object. */
export interface OwnerReference {
  apiVersion: string
  kind: string
  name: string
  uid: string
  controller: true
  blockOwnerDeletion: true
}

/** What a kind's reconciler is given besides the {@link EngineContext} (store, runtime, clock, metrics, commit). */
export interface Family {
  /**
   * Creates `child` owned by `parent` (its ownerReferences are set here; its labels are kept as given), admitted
   * as an apply would admit it: a refusal throws that ChaosError and writes nothing. `alsoWrite` runs in the same
   * store transaction as the child's insert (a schedule's lastScheduleTime, a node's status naming the child), so
   * a crash leaves both or neither. A child of the same kind and name that exists already is returned as it is,
   * and `alsoWrite` is not run. The child is enqueued; this does not wait for its reconcile.
   */
  spawn(parent: ResourceRow, child: Resource, alsoWrite?: () => void): Promise<ResourceRow>
  /** The live children of `uid` (any kind), oldest first. Deleting ones included (see `deletingAt`). */
  children(uid: string): ResourceRow[]
  /**
   * Starts deleting `uid` and, first, its own children: each experiment recovers its faults, then everything is
   * archived. Returns at once; idempotent. `reason` is the event message on the deleted object.
   */
  remove(uid: string, reason?: string): void
  /** Sets (`true`) or clears the pause annotation on `uid` (Chaos Mesh's `experiment.chaos-mesh.org/pause`) and reconciles it. */
  setPaused(uid: string, paused: boolean): void
  /**
   * Whether `row` has run its course: an experiment whose phase is finished (duration over and recovered, or a
   * one-shot action done); a Workflow with condition Accomplished; a StatusCheck with condition Completed; other
   * kinds ask their module.
   */
  finished(row: ResourceRow): boolean
  /** Reconcile `uid` again in `afterMs` (default now). */
  enqueue(uid: string, afterMs?: number): void
  /** The owner `uid`'s row, if it is live. */
  owner(row: ResourceRow): ResourceRow | undefined
}

/** What a kind's admission may look at. */
export interface KindAdmission {
  injectors: Readonly<Record<string, FaultInjector>>
  /** The runtime's pods (listed once per apply). */
  pods: () => Promise<RuntimePod[]>
  /** The server was started with --allow-exec: Workflow Tasks may run local processes. */
  allowExec: boolean
  /**
   * Admits an object this one will make (a Schedule's Workflow, a Workflow's Schedule): its kind's module admission,
   * or its injector's check for a chaos kind; throws what that refuses. Nothing is written.
   */
  admitNested(resource: Resource): Promise<void>
}

export interface KindReconciler {
  /**
   * Moves `row` (live, not deleting: the controller deletes children and archives by itself) one step towards what
   * its spec says; idempotent. Resolves with when to look again. A throw is retried with back-off.
   */
  reconcile(row: ResourceRow): Promise<{ requeueAfterMs?: number } | void>
  /** Called once when `row` starts being deleted, before its children are removed (stop probes, timers). */
  deleting?(row: ResourceRow): Promise<void> | void
  /** Called at controller stop: stop every worker and timer of this reconciler (it recovers nothing). */
  stop?(): void
}

export interface KindModule {
  kind: string
  /**
   * Refuses at apply time what could never run, throwing a ChaosError with a hint (a Task without --allow-exec,
   * a schedule of a kind the local runtime cannot run, an inner spec its injector rejects). Writes nothing.
   */
  admit?(resource: Resource, input: KindAdmission): Promise<void> | void
  reconciler(ctx: EngineContext, family: Family): KindReconciler
  /** `status.chaoscope.phase` as `get` shows it (e.g. Running, Accomplished, Aborted, Failed, Paused). */
  phase(row: ResourceRow): string
  /** See {@link Family.finished}. */
  finished(row: ResourceRow): boolean
}

export type { ChaosError }
