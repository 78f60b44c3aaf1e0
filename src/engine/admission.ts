/**
 * @module engine/admission: what `apply` refuses and what it would do, decided before anything is written: kinds
 * the local runtime cannot run, specs the injector rejects, `remoteCluster`, selectors matching no pod, selected
 * pods the injector cannot act on (its `admit`: an HTTPChaos on a tcp service or the wrong port), spec changes
 * (experiments are immutable), names twice in one apply, namespaces the server's policy refuses (first, for every
 * document: engine/namespace-policy.ts); and the dry-run plan. Pure but for the pod list it is handed; the façade
 * (controller.ts) writes what it decides, all documents in one transaction. A spawned object (engine/owners.ts) is
 * admitted the same way.
 *
 *   resources ─ admit each (one pod list for all) ─┬─ any refused ─▶ AdmissionError (every refusal, nothing written)
 *                                                 └─ decisions ─▶ dry run: plans | write all in one transaction
 */
import { randomUUID } from 'node:crypto'
import { isDeepStrictEqual } from 'node:util'
import { ChaosError } from '../errors.js'
import type { FaultInjector } from '../faults/injector.js'
import { localRefusal } from '../faults/registry.js'
import type { Resource } from '../manifest/validate.js'
import type { RuntimePod } from '../runtime/client.js'
import type { RecordRow, ResourceRow, Store, StoredMetadata } from '../store/store.js'
import { planTargets, recordsFor } from './experiment.js'
import type { PlannedTarget } from './experiment.js'
import type { KindAdmission, KindModule, OwnerReference } from './family.js'
import { checkNamespacePolicy, reachesThroughPods } from './namespace-policy.js'
import type { NamespacePolicy } from './namespace-policy.js'
import type { Random } from './select.js'

/** Held by every experiment until its targets are recovered (Chaos Mesh's `chaos-mesh/records`). */
export const FINALIZER = 'chaoscope.dev/records'

export type ApplyAction = 'created' | 'configured' | 'unchanged'

/** What apply --dry-run shows: the targets that would be (or were) selected. */
export interface ApplyPlan {
  kind: string
  action?: string
  duration?: string
  targets: { id: string; pod: string; peers?: string[] }[]
}

/** What admission decided for one resource; the façade writes it. */
export type Decision =
  | { action: 'created'; row: ResourceRow; records: RecordRow[]; targets: PlannedTarget[]; plan: ApplyPlan }
  | { action: 'configured'; row: ResourceRow; metadata: StoredMetadata; plan: ApplyPlan }
  | { action: 'unchanged'; row: ResourceRow; plan: ApplyPlan }

/** One resource of an apply that was refused, and why. */
export interface Refusal {
  /** Its position in the apply (0-based). */
  index: number
  resource: Resource
  error: ChaosError
}

/**
 * An apply refused as a whole because the controller refused one or more of its resources: nothing was written.
 * `refusals` has each, in input order; the code is the first one's.
 */
export class AdmissionError extends ChaosError {
  constructor(
    readonly refusals: Refusal[],
    total: number,
  ) {
    const first = refusals[0]!
    super(first.error.code, total === 1 ? first.error.message : `${refusals.length} of ${total} resources refused; nothing was applied (first: ${first.error.message})`, first.error.hint ? { hint: first.error.hint } : {})
    this.name = 'AdmissionError'
  }
}

export interface AdmissionInput {
  store: Store
  injectors: Readonly<Record<string, FaultInjector>>
  random: Random
  /** ISO time of the apply (the creationTimestamp of what it creates). */
  now: string
  /** The runtime's pods, listed once per apply and only when a resource is new. */
  pods: () => Promise<RuntimePod[]>
  /** Kinds with a reconciler of their own (Schedule, Workflow, WorkflowNode, StatusCheck): engine/family.ts. */
  modules?: Readonly<Record<string, KindModule>>
  /** The server was started with --allow-exec (Workflow Tasks run local processes). */
  allowExec?: boolean
  /** The server's namespace policy (--allowed-namespaces, --protected-namespaces). Absent: every namespace. */
  policy?: NamespacePolicy
}

/** The injector for a kind, or SPEC_LOCAL_UNSUPPORTED saying why the local controller cannot run it. */
export function injectorFor(injectors: Readonly<Record<string, FaultInjector>>, kind: string, spec: Record<string, unknown>): FaultInjector {
  const injector = Object.hasOwn(injectors, kind) ? injectors[kind] : undefined
  if (!injector) throw localRefusal(kind) ?? new ChaosError('SPEC_LOCAL_UNSUPPORTED', `this controller was started without an injector for ${kind}`)
  if (typeof spec.remoteCluster === 'string' && spec.remoteCluster !== '') {
    throw new ChaosError('SPEC_LOCAL_UNSUPPORTED', `spec.remoteCluster "${spec.remoteCluster}" needs a cluster: the local runtime has no remote clusters`, {
      hint: 'remove remoteCluster to run it on the local runtime, or apply it with `--target kubernetes` to the cluster whose Chaos Mesh manages that remote cluster',
    })
  }
  return injector
}

/**
 * Decides every resource of one apply. Throws an {@link AdmissionError} with every refusal when any is refused;
 * writes nothing either way.
 */
export async function admitAll(input: AdmissionInput, resources: readonly Resource[]): Promise<Decision[]> {
  const decisions: Decision[] = []
  const refusals: Refusal[] = []
  const seen = new Map<string, number>()
  let pods: Promise<RuntimePod[]> | undefined
  const once = { ...input, pods: () => (pods ??= input.pods()) }
  for (const [index, resource] of resources.entries()) {
    try {
      const key = `${resource.kind}\0${resource.metadata.namespace}\0${resource.metadata.name}`
      const first = seen.get(key)
      if (first !== undefined) {
        throw new ChaosError('SPEC_DUPLICATE_NAME', `${resource.kind} ${resource.metadata.namespace}/${resource.metadata.name} appears twice in one apply (first as resource ${first + 1})`, { hint: 'give each resource its own name' })
      }
      seen.set(key, index)
      decisions.push(await admit(once, resource))
    } catch (e) {
      if (!(e instanceof ChaosError)) throw e
      refusals.push({ index, resource, error: e })
    }
  }
  if (refusals.length > 0) throw new AdmissionError(refusals, resources.length)
  return decisions
}

/** Decides one resource: created (with its selection), configured (labels/annotations changed) or unchanged. */
export async function admit(input: AdmissionInput, resource: Resource, owner?: OwnerReference): Promise<Decision> {
  if (input.policy) await admitNamespaces(input, input.policy, resource, owner)
  const { kind, spec } = resource
  const { namespace, name } = resource.metadata
  const module = input.modules && Object.hasOwn(input.modules, kind) ? input.modules[kind] : undefined
  if (module) {
    const existing = input.store.findResource(kind, namespace, name)
    if (existing) return reapply(input.store, existing, resource)
    await module.admit?.(resource, kindAdmission(input))
    const row = newRow(input, resource, owner, [])
    return { action: 'created', row, records: [], targets: [], plan: { kind, targets: [] } }
  }
  const injector = injectorFor(input.injectors, kind, spec)
  injector.check?.(spec)
  const existing = input.store.findResource(kind, namespace, name)
  if (existing) return reapply(input.store, existing, resource)

  const targets = planTargets(spec, await input.pods(), input.random)
  injector.admit?.(spec, targets)
  const row = newRow(input, resource, owner, [FINALIZER])
  return { action: 'created', row, records: recordsFor(row.uid, targets, input.now), targets, plan: planOf(kind, spec, targets) }
}

/**
 * The namespace policy, before anything else of the resource is looked at: its own namespace, the namespaces its
 * selectors name, and (only for a selector naming none, the one case the pods are listed for) the namespaces of
 * the pods it matches. A spawned object's refusal carries its code in the message: the owner tells it in a Warning
 * event, which shows no code of its own.
 */
async function admitNamespaces(input: AdmissionInput, policy: NamespacePolicy, resource: Resource, owner: OwnerReference | undefined): Promise<void> {
  try {
    checkNamespacePolicy(policy, resource, reachesThroughPods(resource) ? await input.pods() : [])
  } catch (e) {
    if (!owner || !(e instanceof ChaosError) || !e.code.startsWith('POLICY_')) throw e
    throw new ChaosError(e.code, `${e.code}: ${e.message}`, { ...(e.hint ? { hint: e.hint } : {}), cause: e })
  }
}

/** What a kind module's admission is given: the injectors, the pod list, --allow-exec, and nested admission. */
function kindAdmission(input: AdmissionInput): KindAdmission {
  const self: KindAdmission = {
    injectors: input.injectors,
    pods: input.pods,
    allowExec: input.allowExec ?? false,
    async admitNested(resource) {
      const m = input.modules && Object.hasOwn(input.modules, resource.kind) ? input.modules[resource.kind] : undefined
      if (m) await m.admit?.(resource, self)
      else injectorFor(input.injectors, resource.kind, resource.spec).check?.(resource.spec)
    },
  }
  return self
}

function newRow(input: AdmissionInput, resource: Resource, owner: OwnerReference | undefined, finalizers: string[]): ResourceRow {
  const { kind, spec } = resource
  const { namespace, name } = resource.metadata
  const uid = randomUUID()
  const metadata: StoredMetadata = {
    name,
    namespace,
    uid,
    generation: 1,
    creationTimestamp: input.now,
    ...(resource.metadata.labels ? { labels: { ...resource.metadata.labels } } : {}),
    ...(resource.metadata.annotations ? { annotations: { ...resource.metadata.annotations } } : {}),
    ...(owner ? { ownerReferences: [owner] } : {}),
    ...(finalizers.length ? { finalizers: [...finalizers] } : {}),
  }
  return { uid, apiVersion: resource.apiVersion, kind, namespace, name, generation: 1, metadata, spec, status: {}, createdAt: input.now, finalizers: [...finalizers] }
}

/**
 * An experiment applied again: refused while it is being deleted (CONTROLLER_DELETING) and when its spec changed
 * (CONTROLLER_IMMUTABLE, naming the fields); `configured` when its labels or annotations changed (this is how the
 * pause annotation arrives), else `unchanged`.
 */
export function reapply(store: Store, existing: ResourceRow, resource: Resource): Decision {
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
  const plan = planFromRecords(store, existing)
  if (isDeepStrictEqual(existing.metadata.labels ?? {}, labels) && isDeepStrictEqual(existing.metadata.annotations ?? {}, annotations)) {
    return { action: 'unchanged', row: existing, plan }
  }
  const metadata: StoredMetadata = { ...existing.metadata }
  delete metadata.labels
  delete metadata.annotations
  if (Object.keys(labels).length) metadata.labels = { ...labels }
  if (Object.keys(annotations).length) metadata.annotations = { ...annotations }
  return { action: 'configured', row: existing, metadata, plan }
}

export function planOf(kind: string, spec: Record<string, unknown>, targets: readonly PlannedTarget[]): ApplyPlan {
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
