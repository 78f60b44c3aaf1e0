/**
 * @module kube/native: PodChaos pod-kill and NetworkChaos partition done with plain Kubernetes objects, for
 * clusters where Chaos Mesh is not installed (as Chaos Toolkit's chaosk8s does); every other kind is refused.
 *
 *   PodChaos pod-kill      ─ select pods ─▶ DELETE each pod (gracePeriodSeconds = spec.gracePeriod) + an Event on it
 *   NetworkChaos partition ─ select pods ─▶ a deny-all NetworkPolicy `chaoscope-<name>` in each selected namespace
 *
 * A pod-kill is one-shot: nothing of it stays in the cluster but the Events, so get and list never return one. A
 * partition lives in its NetworkPolicies (labelled, with the spec in an annotation) until it is deleted; get and
 * list rebuild the NetworkChaos from them.
 */
import type * as k8s from '@kubernetes/client-node'
import { ChaosError, ERROR_CODES } from '../errors.js'
import type { PodSelectorSpec } from '../manifest/kinds/common.js'
import type { Resource } from '../manifest/validate.js'
import { matchesSelector, parseSelector } from '../selector.js'
import type { Requirement } from '../selector.js'
import { kubeError, statusOf } from './connect.js'
import type { KubeConnection } from './connect.js'

/** A condition as Chaos Mesh reports it (structurally src/api/types.ts `Condition`). */
export interface Condition {
  type: string
  status: string
  reason?: string
}

/** One target of an experiment as Chaos Mesh records it (structurally src/api/types.ts `ContainerRecord`). */
export interface ContainerRecord {
  id: string
  selectorKey: string
  phase: string
  injectedCount: number
  recoveredCount: number
}

/** A chaos object in Chaos Mesh's shape (structurally src/api/types.ts `ChaosObject`, which src/kube may not import). */
export interface ChaosObject {
  apiVersion: string
  kind: string
  metadata: {
    name: string
    namespace: string
    creationTimestamp?: string
    labels?: Record<string, string>
    annotations?: Record<string, string>
  }
  spec: Record<string, unknown>
  status?: {
    conditions?: Condition[]
    experiment?: { desiredPhase?: 'Run' | 'Stop'; containerRecords?: ContainerRecord[] }
  }
}

export interface NativeListQuery {
  kind?: string
  namespace?: string
  labelSelector?: string
}

/**
 * What KubeBackend calls when Chaos Mesh's CRDs are missing. Errors are ChaosErrors: KUBE_CHAOS_MESH_MISSING for a
 * kind or action with no native form, KUBE_NATIVE_UNSUPPORTED for a field a native form cannot honour, KUBE_REFUSED
 * when the selector matches no pod, and the API server's own refusals through {@link kubeError}.
 *
 * @example await nativeFallback.apply(conn, resource, { dryRun: false }) // { action: 'created', object: PodChaos with records }
 */
export interface NativeFallback {
  /** Kills (pod-kill) or creates, replaces or leaves as it is (partition). With dryRun the API server checks every write and keeps none. */
  apply(conn: KubeConnection, resource: Resource, opts: { dryRun: boolean }): Promise<{ action: 'created' | 'configured' | 'unchanged'; object: ChaosObject }>
  /** The native partitions, rebuilt as NetworkChaos objects; never a PodChaos (a native pod-kill keeps nothing). */
  list(conn: KubeConnection, query: NativeListQuery): Promise<ChaosObject[]>
  get(conn: KubeConnection, kind: string, namespace: string, name: string): Promise<ChaosObject | undefined>
  /** Removes a native partition's NetworkPolicies; true when there were some. */
  delete(conn: KubeConnection, kind: string, namespace: string, name: string): Promise<boolean>
}

const CHAOS_MESH_API = 'chaos-mesh.org/v1alpha1'
const LABEL = {
  managedBy: 'app.kubernetes.io/managed-by',
  kind: 'chaoscope.dev/chaos-kind',
  name: 'chaoscope.dev/chaos-name',
  namespace: 'chaoscope.dev/chaos-namespace',
} as const
/** The NetworkChaos spec, and its own labels, kept on each of its NetworkPolicies so that get and list can rebuild it. */
const SPEC_ANNOTATION = 'chaoscope.dev/spec'
const LABELS_ANNOTATION = 'chaoscope.dev/labels'

/** The spec fields pod selection reads (PodChaos, NetworkChaos). */
interface SelectorSpec {
  selector?: PodSelectorSpec
  mode?: string
  value?: string
}

// ─── pod selection, as Chaos Mesh does it ─────────────────────────────────────────────────────────────────────

/** labelSelectors and expressionSelectors as label selector requirements. */
function labelRequirements(sel: PodSelectorSpec): Requirement[] {
  const reqs: Requirement[] = Object.entries(sel.labelSelectors ?? {}).map(([key, v]) => ({ key, op: 'in', values: [v] }))
  for (const e of sel.expressionSelectors ?? []) {
    if (e.operator === 'In') reqs.push({ key: e.key, op: 'in', values: e.values ?? [] })
    else if (e.operator === 'NotIn') reqs.push({ key: e.key, op: 'notin', values: e.values ?? [] })
    else if (e.operator === 'Exists') reqs.push({ key: e.key, op: 'exists' })
    else reqs.push({ key: e.key, op: '!exists' })
  }
  return reqs
}

function requirementText(r: Requirement): string {
  if (r.op === 'exists') return r.key
  if (r.op === '!exists') return `!${r.key}`
  if (r.op === 'in' && r.values.length === 1) return `${r.key}=${r.values[0]}`
  return `${r.key} ${r.op} (${r.values.join(',')})`
}

/**
 * The `kubectl -l` form of the selector's labels, read back with parseSelector: a key or value that is not a label
 * (a comma in a value would add a requirement) is SELECTOR_INVALID here, not a different selection on the server.
 */
function labelSelectorText(sel: PodSelectorSpec): string {
  const reqs = labelRequirements(sel)
  const text = reqs.map(requirementText).join(',')
  if (JSON.stringify(parseSelector(text)) !== JSON.stringify(reqs)) {
    throw new ChaosError('SELECTOR_INVALID', `the label selector ${JSON.stringify(text)} does not read back as spec.selector's labelSelectors and expressionSelectors`, { hint: 'label keys and values are letters, digits, "-", "_" and "." (a key may have a "prefix/")' })
  }
  return text
}

/** fieldSelectors as the API's fieldSelector parameter (`\`, `,` and `=` in values escaped, as Kubernetes does). */
function fieldSelectorText(fields: Record<string, string> | undefined): string | undefined {
  const parts = Object.entries(fields ?? {}).map(([k, v]) => `${k}=${v.replace(/[\\,=]/g, (c) => `\\${c}`)}`)
  return parts.length > 0 ? parts.join(',') : undefined
}

/**
 * Whether the pod's phase counts: podPhaseSelectors when given (`Running` includes, `!Failed` excludes, as Chaos
 * Mesh reads them), else Running and Pending only.
 */
function phaseCounts(phase: string, selectors: readonly string[] | undefined): boolean {
  if (!selectors || selectors.length === 0) return phase === 'Running' || phase === 'Pending'
  const include = selectors.filter((s) => !s.startsWith('!')).map((s) => s.trim())
  const exclude = selectors.filter((s) => s.startsWith('!')).map((s) => s.slice(1).trim())
  return !exclude.includes(phase) && (include.length === 0 || include.includes(phase))
}

/** The nodes `nodes` and `nodeSelectors` name together (their union, as Chaos Mesh makes it); undefined when neither is set. */
async function selectedNodes(conn: KubeConnection, sel: PodSelectorSpec): Promise<Set<string> | undefined> {
  const names = sel.nodes ?? []
  const labels = Object.entries(sel.nodeSelectors ?? {})
  if (names.length === 0 && labels.length === 0) return undefined
  const nodes = new Set<string>()
  for (const name of names) {
    try {
      await conn.core.readNode({ name })
    } catch (e) {
      throw kubeError(e, `read node ${name} (spec.selector.nodes)`, conn)
    }
    nodes.add(name)
  }
  if (labels.length > 0) {
    const labelSelector = labelSelectorText({ labelSelectors: sel.nodeSelectors })
    try {
      for (const node of (await conn.core.listNode({ labelSelector })).items) nodes.add(node.metadata!.name!)
    } catch (e) {
      throw kubeError(e, `list nodes ${labelSelector} (spec.selector.nodeSelectors)`, conn)
    }
  }
  return nodes
}

/** The pods `pods:` names (pods that do not exist are skipped, as Chaos Mesh does). */
async function namedPods(conn: KubeConnection, pods: Record<string, string[]>): Promise<k8s.V1Pod[]> {
  const found: k8s.V1Pod[] = []
  for (const [namespace, names] of Object.entries(pods)) {
    for (const name of names) {
      try {
        found.push(await conn.core.readNamespacedPod({ namespace, name }))
      } catch (e) {
        if (statusOf(e)?.code !== 404) throw kubeError(e, `read pod ${namespace}/${name}`, conn)
      }
    }
  }
  return found
}

/** Every pod the selector matches: listed by labels and fields on the server, then annotations, phase and node here. */
async function matchingPods(conn: KubeConnection, sel: PodSelectorSpec, namespaces: readonly string[]): Promise<k8s.V1Pod[]> {
  if (sel.pods && Object.keys(sel.pods).length > 0) return (await namedPods(conn, sel.pods)).filter((p) => counts(p, sel, undefined))
  const labelSelector = labelSelectorText(sel) || undefined
  const fieldSelector = fieldSelectorText(sel.fieldSelectors)
  const nodes = await selectedNodes(conn, sel)
  const pods: k8s.V1Pod[] = []
  for (const namespace of namespaces) {
    try {
      pods.push(...(await conn.core.listNamespacedPod({ namespace, labelSelector, fieldSelector })).items)
    } catch (e) {
      throw kubeError(e, `list pods in namespace ${namespace}`, conn)
    }
  }
  return pods.filter((p) => counts(p, sel, nodes))
}

/** A pod counts when it is not being deleted and its annotations, phase and node fit the selector. */
function counts(pod: k8s.V1Pod, sel: PodSelectorSpec, nodes: Set<string> | undefined): boolean {
  if (pod.metadata?.deletionTimestamp) return false
  if (!matchesSelector(pod.metadata?.annotations ?? {}, sel.annotationSelectors)) return false
  if (!phaseCounts(pod.status?.phase ?? '', sel.podPhaseSelectors)) return false
  return nodes === undefined || nodes.has(pod.spec?.nodeName ?? '')
}

/**
 * How many of `count` pods the mode takes, as Chaos Mesh computes it: one → 1, all → every one, fixed → min(value,
 * count), fixed-percent → ceil(count × value / 100), random-max-percent → ceil(count × p / 100) for p drawn from 0..value.
 */
export function modeCount(mode: string, value: string | undefined, count: number, random: () => number = Math.random): number {
  const n = Number.parseInt(value ?? '', 10)
  switch (mode) {
    case 'one': return Math.min(1, count)
    case 'fixed': return Math.min(n, count)
    case 'fixed-percent': return Math.ceil((count * n) / 100)
    case 'random-max-percent': return Math.ceil((count * Math.floor(random() * (n + 1))) / 100)
    default: return count
  }
}

/** `take` distinct pods drawn at random (a partial Fisher–Yates shuffle). */
function pick<T>(items: readonly T[], take: number): T[] {
  const pool = [...items]
  for (let i = 0; i < take; i++) {
    const j = i + Math.floor(Math.random() * (pool.length - i))
    ;[pool[i], pool[j]] = [pool[j]!, pool[i]!]
  }
  return pool.slice(0, take)
}

/**
 * The pods a spec's selector and mode choose, as Chaos Mesh chooses them: `pods` overrides every other field; else
 * the pods of `namespaces` (default: the resource's) that match every field; only pods not being deleted, in phase
 * Running or Pending unless podPhaseSelectors says otherwise; then the mode picks at random. KUBE_REFUSED when no pod matches.
 */
async function selectPods(conn: KubeConnection, resource: Resource, spec: SelectorSpec): Promise<k8s.V1Pod[]> {
  const sel = spec.selector ?? {}
  const namespaces = selectedNamespaces(spec, resource.metadata.namespace)
  const matched = await matchingPods(conn, sel, namespaces)
  if (matched.length === 0) {
    const where = sel.pods && Object.keys(sel.pods).length > 0 ? Object.keys(sel.pods) : namespaces
    const labels = sel.pods ? '' : labelSelectorText(sel)
    throw new ChaosError('KUBE_REFUSED', `the selector ${JSON.stringify(sel)} of ${resource.kind} ${resource.metadata.namespace}/${resource.metadata.name} matches no pod in namespaces ${where.join(', ')} (only Running or Pending pods that are not being deleted count)`, {
      hint: `see which pods there are: kubectl get pods -n ${where[0]}${labels ? ` -l '${labels}'` : ''} --show-labels`,
    })
  }
  return pick(matched, modeCount(spec.mode ?? 'all', spec.value, matched.length))
}

// ─── status in Chaos Mesh's shape ─────────────────────────────────────────────────────────────────────────────

/** The conditions of an experiment whose every target is injected. */
function injectedConditions(): Condition[] {
  return [
    { type: 'Selected', status: 'True' },
    { type: 'AllInjected', status: 'True' },
    { type: 'AllRecovered', status: 'False' },
    { type: 'Paused', status: 'False' },
  ]
}

function injectedRecord(pod: k8s.V1Pod): ContainerRecord {
  return { id: `${pod.metadata!.namespace}/${pod.metadata!.name}`, phase: 'Injected', selectorKey: '.', injectedCount: 1, recoveredCount: 0 }
}

function chaosObject(resource: Resource, creationTimestamp: string, records: ContainerRecord[]): ChaosObject {
  const { name, namespace, labels, annotations } = resource.metadata
  return {
    apiVersion: resource.apiVersion,
    kind: resource.kind,
    metadata: { name, namespace, creationTimestamp, ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) },
    spec: resource.spec,
    status: { conditions: injectedConditions(), experiment: { desiredPhase: 'Run', containerRecords: records } },
  }
}

// ─── PodChaos pod-kill ────────────────────────────────────────────────────────────────────────────────────────

/** A Warning Event on the killed pod, as `kubectl describe pod` and `kubectl get events` show it. */
function killEvent(pod: k8s.V1Pod, resource: Resource, gracePeriod: number): k8s.CoreV1Event {
  const now = new Date()
  const { namespace, name, uid } = pod.metadata!
  return {
    metadata: { generateName: `${name}.`, namespace },
    involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace, name, uid },
    type: 'Warning',
    reason: 'PodKilled',
    message: `deleted by PodChaos ${resource.metadata.namespace}/${resource.metadata.name} (pod-kill, grace period ${gracePeriod}s); chaoscope did it natively, as Chaos Mesh is not installed`,
    source: { component: 'chaoscope' },
    reportingComponent: 'chaoscope',
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
  }
}

/**
 * Deletes each chosen pod with `gracePeriodSeconds` = spec.gracePeriod (0 when absent, as in Chaos Mesh) and records
 * an Event on it. A pod already gone is skipped. One-shot: the answer is a PodChaos no one stores.
 */
async function podKill(conn: KubeConnection, resource: Resource, dryRun: boolean): Promise<ChaosObject> {
  const spec = resource.spec as SelectorSpec & { gracePeriod?: number }
  const gracePeriodSeconds = spec.gracePeriod ?? 0
  const dry = dryRun ? 'All' : undefined
  const records: ContainerRecord[] = []
  for (const pod of await selectPods(conn, resource, spec)) {
    const { namespace, name } = pod.metadata as { namespace: string; name: string }
    try {
      await conn.core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds, dryRun: dry })
    } catch (e) {
      if (statusOf(e)?.code === 404) continue
      throw kubeError(e, `delete pod ${namespace}/${name} (PodChaos ${resource.metadata.namespace}/${resource.metadata.name})`, conn)
    }
    try {
      await conn.core.createNamespacedEvent({ namespace, body: killEvent(pod, resource, gracePeriodSeconds), dryRun: dry })
    } catch (e) {
      throw kubeError(e, `record an Event on pod ${namespace}/${name}, which was ${dryRun ? 'not deleted (dry run)' : 'deleted'}`, conn)
    }
    records.push(injectedRecord(pod))
  }
  return chaosObject(resource, new Date().toISOString(), records)
}

// ─── NetworkChaos partition ───────────────────────────────────────────────────────────────────────────────────

interface PartitionSpec extends SelectorSpec {
  direction?: string
  target?: unknown
  externalTargets?: string[]
  duration?: string
  remoteCluster?: string
}

/** Why a NetworkPolicy cannot do this partition (KUBE_NATIVE_UNSUPPORTED), or nothing when it can. */
function partitionRefusal(spec: PartitionSpec): ChaosError | undefined {
  const unsupported = (message: string) => new ChaosError('KUBE_NATIVE_UNSUPPORTED', message, { hint: ERROR_CODES.KUBE_NATIVE_UNSUPPORTED[1] })
  if (spec.target !== undefined || (spec.externalTargets && spec.externalTargets.length > 0)) {
    return unsupported('without Chaos Mesh a partition is a NetworkPolicy, and a NetworkPolicy can only allow traffic, not deny one peer: spec.target and spec.externalTargets cannot be done natively; remove them to cut the pods off from every peer, or install Chaos Mesh')
  }
  if (spec.duration !== undefined) {
    return unsupported('a native partition lasts until it is deleted: remove spec.duration and delete it yourself, or install Chaos Mesh')
  }
  if (spec.remoteCluster !== undefined) return unsupported('spec.remoteCluster needs Chaos Mesh\'s multi-cluster support; remove it, or install Chaos Mesh')
  const sel = spec.selector ?? {}
  const notLabels = (['pods', 'annotationSelectors', 'fieldSelectors', 'podPhaseSelectors', 'nodes', 'nodeSelectors'] as const).filter((f) => sel[f] !== undefined && Object.keys(sel[f]!).length > 0)
  if (notLabels.length > 0 || (spec.mode ?? 'all') !== 'all') {
    const what = [...notLabels.map((f) => `spec.selector.${f}`), ...((spec.mode ?? 'all') !== 'all' ? [`mode ${spec.mode}`] : [])].join(', ')
    return unsupported(`a NetworkPolicy selects pods by their labels, so a native partition takes every pod of its namespaces that labelSelectors and expressionSelectors match: ${what} cannot be done natively; use mode: all with labelSelectors or expressionSelectors, or install Chaos Mesh`)
  }
  return undefined
}

function ownLabels(namespace: string, name: string): Record<string, string> {
  return { [LABEL.managedBy]: 'chaoscope', [LABEL.kind]: 'NetworkChaos', [LABEL.name]: name, [LABEL.namespace]: namespace }
}

const POLICY_TYPES: Record<string, string[]> = { to: ['Egress'], from: ['Ingress'], both: ['Ingress', 'Egress'] }

/** The deny-all NetworkPolicy of a partition in one namespace: the selected pods, the direction's policy types, no rules. */
function partitionPolicy(resource: Resource, namespace: string): k8s.V1NetworkPolicy {
  const spec = resource.spec as PartitionSpec
  const sel = spec.selector ?? {}
  const matchLabels = sel.labelSelectors && Object.keys(sel.labelSelectors).length > 0 ? sel.labelSelectors : undefined
  const matchExpressions = sel.expressionSelectors?.length ? sel.expressionSelectors.map((e) => ({ key: e.key, operator: e.operator, ...(e.values?.length ? { values: e.values } : {}) })) : undefined
  const annotations: Record<string, string> = { [SPEC_ANNOTATION]: JSON.stringify(resource.spec) }
  if (resource.metadata.labels) annotations[LABELS_ANNOTATION] = JSON.stringify(resource.metadata.labels)
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: `chaoscope-${resource.metadata.name}`, namespace, labels: ownLabels(resource.metadata.namespace, resource.metadata.name), annotations },
    spec: {
      podSelector: { ...(matchLabels ? { matchLabels } : {}), ...(matchExpressions ? { matchExpressions } : {}) },
      policyTypes: POLICY_TYPES[spec.direction ?? 'to'] ?? POLICY_TYPES.to!,
    },
  }
}

/** JSON with keys sorted: the client library's objects and ours compare equal when their content does. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x) && !(x instanceof Date) ? Object.fromEntries(Object.entries(x).filter(([, y]) => y !== undefined).sort(([a], [b]) => (a < b ? -1 : 1))) : x))
}

/** What of a policy a partition owns: its labels, our annotations and its spec. */
function policyContent(p: k8s.V1NetworkPolicy): string {
  const a = p.metadata?.annotations ?? {}
  return canonical({ labels: p.metadata?.labels, spec: a[SPEC_ANNOTATION], chaosLabels: a[LABELS_ANNOTATION], policy: p.spec })
}

function policySelector(namespace?: string, name?: string): string {
  const parts = [`${LABEL.managedBy}=chaoscope`, `${LABEL.kind}=NetworkChaos`]
  if (namespace !== undefined) parts.push(`${LABEL.namespace}=${namespace}`)
  if (name !== undefined) parts.push(`${LABEL.name}=${name}`)
  return parts.join(',')
}

/** The namespaces a spec's selector reaches: `namespaces`, else the chaos object's own (as Chaos Mesh reads it). */
function selectedNamespaces(spec: SelectorSpec, own: string): string[] {
  const listed = spec.selector?.namespaces
  return listed && listed.length > 0 ? [...listed] : [own]
}

/** The namespaces the NetworkChaos a policy stands for reaches, from the spec it carries. */
function reachOf(p: k8s.V1NetworkPolicy): string[] {
  const spec = parseJson(p.metadata?.annotations?.[SPEC_ANNOTATION])
  const own = p.metadata?.labels?.[LABEL.namespace] ?? p.metadata?.namespace ?? ''
  return selectedNamespaces(spec && typeof spec === 'object' ? (spec as SelectorSpec) : {}, own)
}

/**
 * The partition policies of chaos objects in `namespace` (every namespace when absent), and of that `name` when
 * given, wherever they sit: one list over all namespaces. A user who may not list NetworkPolicies cluster-wide is
 * asked namespace by namespace: the chaos object's own, `reach` (the namespaces a new spec's selector reaches),
 * and every namespace the specs of the policies found reach; one of them refused is KUBE_FORBIDDEN. For one chaos
 * object (`name`, no `reach`: get, delete) of which none of those holds a policy, nothing says where its policies
 * are: KUBE_FORBIDDEN too, rather than "not there".
 */
async function partitionPolicies(conn: KubeConnection, namespace?: string, name?: string, reach: readonly string[] = []): Promise<k8s.V1NetworkPolicy[]> {
  const labelSelector = policySelector(namespace, name)
  let refused: ChaosError
  try {
    return (await conn.networking.listNetworkPolicyForAllNamespaces({ labelSelector })).items
  } catch (e) {
    refused = kubeError(e, `list NetworkPolicies ${labelSelector} in all namespaces`, conn)
    if (namespace === undefined || refused.code !== 'KUBE_FORBIDDEN') throw refused
  }
  const found = new Map<string, k8s.V1NetworkPolicy[]>()
  let next = [namespace, ...reach]
  while (next.length > 0) {
    for (const ns of next) {
      try {
        found.set(ns, (await conn.networking.listNamespacedNetworkPolicy({ namespace: ns, labelSelector })).items)
      } catch (e) {
        const err = kubeError(e, `list NetworkPolicies ${labelSelector} in namespace ${ns}`, conn)
        throw new ChaosError(err.code, `${err.message}; and ${refused.message}`, err.opts)
      }
    }
    next = [...new Set([...found.values()].flat().flatMap(reachOf))].filter((ns) => !found.has(ns))
  }
  const policies = [...found.values()].flat()
  if (policies.length === 0 && name !== undefined && reach.length === 0) {
    throw new ChaosError('KUBE_FORBIDDEN', `NetworkChaos ${namespace}/${name}: no policy of it in namespace ${namespace}, and ${refused.message}: a partition whose selector names other namespaces only has its policies there, which cannot be found`, {
      hint: `ask for list on networkpolicies.networking.k8s.io in all namespaces, or look with kubectl in the namespaces its selector names: kubectl get networkpolicy -n NAMESPACE -l '${labelSelector}'`,
    })
  }
  return policies
}

const policyName = (p: k8s.V1NetworkPolicy): string => `${p.metadata?.namespace}/${p.metadata?.name}`

/**
 * Creates the partition's policy in each selected namespace, replaces one that differs, leaves one that is the
 * same, and removes those of namespaces no longer selected. created when none existed, configured when one changed.
 */
async function partition(conn: KubeConnection, resource: Resource, dryRun: boolean): Promise<{ action: 'created' | 'configured' | 'unchanged'; object: ChaosObject }> {
  const refusal = partitionRefusal(resource.spec as PartitionSpec)
  if (refusal) throw refusal
  const { namespace: chaosNamespace, name } = resource.metadata
  const pods = await selectPods(conn, resource, resource.spec as SelectorSpec)
  const namespaces = selectedNamespaces(resource.spec as SelectorSpec, chaosNamespace)
  const existing = await partitionPolicies(conn, chaosNamespace, name, namespaces)
  const dry = dryRun ? 'All' : undefined
  let changed = false
  for (const namespace of namespaces) {
    const body = partitionPolicy(resource, namespace)
    const current = existing.find((p) => p.metadata?.namespace === namespace)
    try {
      if (!current) await conn.networking.createNamespacedNetworkPolicy({ namespace, body, dryRun: dry })
      else if (policyContent(current) !== policyContent(body)) {
        body.metadata!.resourceVersion = current.metadata?.resourceVersion
        await conn.networking.replaceNamespacedNetworkPolicy({ namespace, name: body.metadata!.name!, body, dryRun: dry })
        changed = true
      }
    } catch (e) {
      throw kubeError(e, `${current ? 'replace' : 'create'} NetworkPolicy ${namespace}/${body.metadata!.name} (NetworkChaos ${chaosNamespace}/${name})`, conn)
    }
  }
  for (const stale of existing.filter((p) => !namespaces.includes(p.metadata?.namespace ?? ''))) {
    await deletePolicy(conn, stale, dry)
    changed = true
  }
  const created = existing.map((p) => p.metadata?.creationTimestamp).filter((t): t is Date => t instanceof Date).sort((a, b) => a.getTime() - b.getTime())[0]
  const object = chaosObject(resource, (created ?? new Date()).toISOString(), pods.map(injectedRecord))
  return { action: existing.length === 0 ? 'created' : changed ? 'configured' : 'unchanged', object }
}

async function deletePolicy(conn: KubeConnection, p: k8s.V1NetworkPolicy, dryRun?: string): Promise<void> {
  try {
    await conn.networking.deleteNamespacedNetworkPolicy({ namespace: p.metadata!.namespace!, name: p.metadata!.name!, dryRun })
  } catch (e) {
    if (statusOf(e)?.code !== 404) throw kubeError(e, `delete NetworkPolicy ${policyName(p)}`, conn)
  }
}

function parseJson(text: string | undefined): unknown {
  try {
    return text === undefined ? undefined : JSON.parse(text)
  } catch {
    return undefined
  }
}

/** A partition's record of one of its policies (what it has injected; its pods are whichever match at each moment). */
function policyRecord(p: k8s.V1NetworkPolicy): ContainerRecord {
  return { id: `networkpolicy/${policyName(p)}`, phase: 'Injected', selectorKey: '.', injectedCount: 1, recoveredCount: 0 }
}

/** The NetworkChaos objects the policies stand for (one for each chaos namespace and name), sorted by namespace and name. */
function rebuild(policies: readonly k8s.V1NetworkPolicy[]): ChaosObject[] {
  const byChaos = new Map<string, k8s.V1NetworkPolicy[]>()
  for (const p of policies) {
    const l = p.metadata?.labels ?? {}
    const key = `${l[LABEL.namespace]}/${l[LABEL.name]}`
    byChaos.set(key, [...(byChaos.get(key) ?? []), p])
  }
  const objects = [...byChaos.values()].map((group): ChaosObject => {
    const first = group[0]!
    const l = first.metadata!.labels!
    const spec = parseJson(first.metadata?.annotations?.[SPEC_ANNOTATION])
    const labels = parseJson(first.metadata?.annotations?.[LABELS_ANNOTATION])
    const created = group.map((p) => p.metadata?.creationTimestamp).filter((t): t is Date => t instanceof Date).sort((a, b) => a.getTime() - b.getTime())[0]
    return {
      apiVersion: CHAOS_MESH_API,
      kind: 'NetworkChaos',
      metadata: {
        name: l[LABEL.name]!,
        namespace: l[LABEL.namespace]!,
        ...(created ? { creationTimestamp: created.toISOString() } : {}),
        ...(labels && typeof labels === 'object' ? { labels: labels as Record<string, string> } : {}),
      },
      spec: spec && typeof spec === 'object' ? (spec as Record<string, unknown>) : {},
      status: { conditions: injectedConditions(), experiment: { desiredPhase: 'Run', containerRecords: group.map(policyRecord).sort((a, b) => (a.id < b.id ? -1 : 1)) } },
    }
  })
  return objects.sort((a, b) => (a.metadata.namespace === b.metadata.namespace ? (a.metadata.name < b.metadata.name ? -1 : 1) : a.metadata.namespace < b.metadata.namespace ? -1 : 1))
}

// ─── the fallback ─────────────────────────────────────────────────────────────────────────────────────────────

function chaosMeshMissing(conn: KubeConnection, resource: Resource): ChaosError {
  const action = typeof resource.spec.action === 'string' ? ` action ${resource.spec.action}` : ''
  return new ChaosError('KUBE_CHAOS_MESH_MISSING', `Chaos Mesh is not installed in the cluster of context "${conn.context}" (its CRDs are missing), and ${resource.kind}${action} (${resource.metadata.namespace}/${resource.metadata.name}) has no native form`, {
    hint: ERROR_CODES.KUBE_CHAOS_MESH_MISSING[1],
  })
}

export const nativeFallback: NativeFallback = {
  async apply(conn, resource, opts) {
    const action = resource.spec.action
    if (resource.kind === 'PodChaos' && action === 'pod-kill') return { action: 'created', object: await podKill(conn, resource, opts.dryRun) }
    if (resource.kind === 'NetworkChaos' && action === 'partition') return partition(conn, resource, opts.dryRun)
    throw chaosMeshMissing(conn, resource)
  },

  async list(conn, query) {
    if (query.kind !== undefined && query.kind !== 'NetworkChaos') return []
    const objects = rebuild(await partitionPolicies(conn, query.namespace))
    return query.labelSelector ? objects.filter((o) => matchesSelector(o.metadata.labels ?? {}, query.labelSelector)) : objects
  },

  async get(conn, kind, namespace, name) {
    if (kind !== 'NetworkChaos') return undefined
    return rebuild(await partitionPolicies(conn, namespace, name))[0]
  },

  async delete(conn, kind, namespace, name) {
    if (kind !== 'NetworkChaos') return false
    const policies = await partitionPolicies(conn, namespace, name)
    for (const p of policies) await deletePolicy(conn, p)
    return policies.length > 0
  },
}
