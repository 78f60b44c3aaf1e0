/**
 * @module engine/namespace-policy: the server's namespace policy (`--allowed-namespaces`, `--protected-namespaces`):
 * every namespace a resource acts in, and the refusal when one of them is protected or outside the allowlist.
 * Pure: the controller runs the check at apply (every document, before anything is written) and when it spawns
 * or selects later; the API layer reads `namespacesReached` for a token's own namespace scope.
 *
 *   resource ─ namespacesReached ─▶ metadata.namespace
 *                                   each selector: selector.pods keys | selector.namespaces | the pods it matches
 *                                   embedded chaos: Schedule items, Workflow templates (and their Schedules), ...
 *            ─ checkNamespacePolicy ─▶ POLICY_NAMESPACE_PROTECTED | POLICY_NAMESPACE_NOT_ALLOWED | nothing
 */
import { ChaosError } from '../errors.js'
import { formatPath } from '../manifest/issues.js'
import type { FieldPath } from '../manifest/issues.js'
import { EMBEDDED_CHAOS, EMBED_KEYS } from '../manifest/kinds/embed.js'
import type { PodSelectorSpec } from '../manifest/kinds/common.js'
import { matchingPods } from './select.js'
import type { SelectablePod } from './select.js'

export interface NamespacePolicy {
  /** Namespaces experiments may be in and act in; undefined: every namespace. */
  allowed?: readonly string[]
  /** Namespaces nothing may be in or act in, whatever `allowed` says. */
  protected: readonly string[]
}

/** What the policy reads of a resource: a validated Resource and a stored ResourceRow both fit. */
export interface PolicySubject {
  kind: string
  metadata: { name: string; namespace: string }
  spec: Record<string, unknown>
}

/** One namespace a resource acts in, and the field that brought it in. */
export interface ReachedNamespace {
  namespace: string
  /** `metadata.namespace`, `spec.selector.namespaces[0]`, `spec.templates[1].podChaos.selector`... */
  path: string
  /** `namespace/name` of the pod by which a selector naming no namespace reaches it. */
  pod?: string
}

/** Kinds that select no pods: they act on clouds, physical machines, or are chaoscope's own documents. */
const NO_POD_KINDS = new Set(['AWSChaos', 'GCPChaos', 'AzureChaos', 'PhysicalMachineChaos', 'PhysicalMachine', 'RemoteCluster', 'StatusCheck', 'App', 'LoadProfile'])

/** What a walk over a resource finds: the namespaces it names, and the pod selectors that name none. */
interface Walk {
  add(namespace: string, path: FieldPath): void
  open(selector: PodSelectorSpec, path: FieldPath): void
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [])

/**
 * A pod selector as select.ts reads it: `pods` names pods and overrides the rest; else `namespaces` (and a
 * `fieldSelectors` `metadata.namespace`) bound it; a selector bounded by neither matches pods in every namespace.
 */
function podSelector(sel: unknown, path: FieldPath, w: Walk): void {
  const s = (isObject(sel) ? sel : {}) as PodSelectorSpec
  const byPod = isObject(s.pods) ? Object.keys(s.pods) : []
  if (byPod.length > 0) {
    for (const ns of byPod) w.add(ns, [...path, 'pods', ns])
    return
  }
  const fieldNs = isObject(s.fieldSelectors) ? s.fieldSelectors['metadata.namespace'] : undefined
  if (typeof fieldNs === 'string') w.add(fieldNs, [...path, 'fieldSelectors', 'metadata.namespace'])
  const namespaces = strings(s.namespaces)
  namespaces.forEach((ns, i) => w.add(ns, [...path, 'namespaces', i]))
  if (namespaces.length === 0 && typeof fieldNs !== 'string') w.open(s, path)
}

/** One chaos spec: its `selector` and NetworkChaos's `target.selector`, as engine/experiment.ts plans them. */
function chaos(kind: string, spec: Record<string, unknown>, path: FieldPath, w: Walk): void {
  if (NO_POD_KINDS.has(kind)) {
    // physical machines are picked among PhysicalMachine objects of namespaces: named, never matched here
    const sel = isObject(spec.selector) ? spec.selector : {}
    const machines = isObject(sel.physicalMachines) ? Object.keys(sel.physicalMachines) : []
    if (machines.length > 0) for (const ns of machines) w.add(ns, [...path, 'selector', 'physicalMachines', ns])
    else strings(sel.namespaces).forEach((ns, i) => w.add(ns, [...path, 'selector', 'namespaces', i]))
    return
  }
  podSelector(spec.selector, [...path, 'selector'], w)
  if (isObject(spec.target)) podSelector(spec.target.selector, [...path, 'target', 'selector'], w)
}

/** Every chaos spec embedded under its embed key (`podChaos`, `networkChaos`...) in `o`. */
function embedded(o: Record<string, unknown>, path: FieldPath, w: Walk): void {
  for (const key of EMBED_KEYS) {
    const spec = o[key]
    if (isObject(spec)) chaos(EMBEDDED_CHAOS[key].kind, spec, [...path, key], w)
  }
}

function schedule(spec: Record<string, unknown>, path: FieldPath, w: Walk): void {
  embedded(spec, path, w)
  if (isObject(spec.workflow)) workflow(spec.workflow, [...path, 'workflow'], w)
}

function workflow(spec: Record<string, unknown>, path: FieldPath, w: Walk): void {
  const templates: unknown[] = Array.isArray(spec.templates) ? spec.templates : []
  templates.forEach((t, i) => {
    if (!isObject(t)) return
    embedded(t, [...path, 'templates', i], w)
    if (isObject(t.schedule)) schedule(t.schedule, [...path, 'templates', i, 'schedule'], w)
  })
}

function walkSpec(kind: string, s: Record<string, unknown>, path: FieldPath, w: Walk): void {
  switch (kind) {
    case 'Schedule':
      return schedule(s, path, w)
    case 'Workflow':
      return workflow(s, path, w)
    case 'WorkflowNode':
      // a node (made by the controller, never written by users) carries its template's chaos or Schedule spec:
      // that object is checked when the node spawns it, where a refusal is told on the node (ChaosCRCreateFailed)
      return
    case 'Experiment': {
      // a chaoscope Experiment's faults are whole chaos resources, each with its own namespace
      const faults: unknown[] = Array.isArray(s.faults) ? s.faults : []
      faults.forEach((f, i) => {
        if (!isObject(f) || typeof f.kind !== 'string') return
        const meta = isObject(f.metadata) ? f.metadata : {}
        if (typeof meta.namespace === 'string') w.add(meta.namespace, [...path, 'faults', i, 'metadata', 'namespace'])
        if (isObject(f.spec)) walkSpec(f.kind, f.spec, [...path, 'faults', i, 'spec'], w)
      })
      return
    }
    default:
      return chaos(kind, s, path, w)
  }
}

/** The namespaces `resource` names, in document order, and its pod selectors that name none. */
function walk(resource: PolicySubject): { named: { namespace: string; path: FieldPath }[]; open: { selector: PodSelectorSpec; path: FieldPath }[] } {
  const named: { namespace: string; path: FieldPath }[] = []
  const open: { selector: PodSelectorSpec; path: FieldPath }[] = []
  const w: Walk = { add: (namespace, path) => void named.push({ namespace, path }), open: (selector, path) => void open.push({ selector, path }) }
  w.add(resource.metadata.namespace, ['metadata', 'namespace'])
  walkSpec(resource.kind, resource.spec ?? {}, ['spec'], w)
  return { named, open }
}

/**
 * Every namespace `resource` acts in: its own (`metadata.namespace`); the namespaces its pod selectors name
 * (`selector.pods` keys, which override the rest as in select.ts; else `selector.namespaces` and a
 * `fieldSelectors` `metadata.namespace`); for a pod selector that names none (select.ts then matches pods in
 * every namespace), the namespace of each pod of `pods` it matches; and the same for every chaos spec embedded
 * in it: a Schedule's item (and its Workflow), each Workflow template (and the Schedule templates inside), an
 * Experiment's faults. Each with the field path that brought it in (and the pod, when a
 * pod did); a namespace once per path, in document order. Throws what select.ts throws for a selector it cannot
 * read (an unknown operator or field).
 *
 * @example
 * namespacesReached(podChaosInDefault, pods) // its selector: {namespaces: [kube-system]}
 * // [{ namespace: 'default', path: 'metadata.namespace' }, { namespace: 'kube-system', path: 'spec.selector.namespaces[0]' }]
 */
export function namespacesReached(resource: PolicySubject, pods: readonly SelectablePod[]): ReachedNamespace[] {
  const { named, open } = walk(resource)
  const out: ReachedNamespace[] = []
  const seen = new Set<string>()
  const add = (namespace: string, path: FieldPath, pod?: SelectablePod) => {
    const p = formatPath(path)
    const key = `${namespace}\0${p}`
    if (seen.has(key)) return
    seen.add(key)
    out.push({ namespace, path: p, ...(pod ? { pod: `${pod.namespace}/${pod.name}` } : {}) })
  }
  for (const n of named) add(n.namespace, n.path)
  for (const o of open) for (const p of matchingPods(pods, o.selector)) add(p.namespace, o.path, p)
  return out
}

/**
 * True when some pod selector of `resource` names no namespace, so that what it reaches depends on the pods:
 * the only case in which {@link namespacesReached} reads them (admission lists the pods only then).
 */
export function reachesThroughPods(resource: PolicySubject): boolean {
  return walk(resource).open.length > 0
}

/** Who the message is about: `PodChaos default/kill`. */
const subject = (r: PolicySubject) => `${r.kind} ${r.metadata.namespace}/${r.metadata.name}`

function how(r: PolicySubject, hit: ReachedNamespace): string {
  if (hit.path === 'metadata.namespace') return `${subject(r)} is in namespace "${hit.namespace}"`
  if (hit.pod) return `${subject(r)}: ${hit.path} matches pod ${hit.pod}, in namespace "${hit.namespace}"`
  return `${subject(r)}: ${hit.path} reaches namespace "${hit.namespace}"`
}

/** The hint: where this server lets experiments act, and what to change. */
function hint(may: readonly string[] | undefined, guarded: readonly string[], hit: ReachedNamespace): string {
  if (may !== undefined && may.length === 0) return 'this server lets experiments act in no namespace: --allowed-namespaces names none that is not protected'
  const where = may === undefined ? `every namespace but ${guarded.join(', ')}` : may.join(', ')
  if (hit.path === 'metadata.namespace') return `this server lets experiments act in ${where}: apply it in one of those`
  if (hit.pod) return `this server lets experiments act in ${where}: bound ${hit.path} with namespaces: [...] among those`
  return `this server lets experiments act in ${where}: change ${hit.path} to one of those`
}

/**
 * Refuses `resource` when a namespace it acts in (see {@link namespacesReached}) is protected
 * (POLICY_NAMESPACE_PROTECTED, before any other) or outside `policy.allowed` (POLICY_NAMESPACE_NOT_ALLOWED):
 * a ChaosError (HTTP 403) naming the resource, the namespace and the field path that reaches it, with the
 * namespaces it may act in in the hint. Returns nothing when the policy allows every one.
 */
export function checkNamespacePolicy(policy: NamespacePolicy, resource: PolicySubject, pods: readonly SelectablePod[]): void {
  if (policy.allowed === undefined && policy.protected.length === 0) return
  const reached = namespacesReached(resource, pods)
  const guarded = new Set(policy.protected)
  const allowed = policy.allowed === undefined ? undefined : new Set(policy.allowed)
  /** Where experiments may act: the allowed namespaces that are not protected (undefined: all but the protected). */
  const may = policy.allowed?.filter((n) => !guarded.has(n))
  const protectedHit = reached.find((r) => guarded.has(r.namespace))
  if (protectedHit) {
    throw new ChaosError('POLICY_NAMESPACE_PROTECTED', `${how(resource, protectedHit)}, which this server protects (--protected-namespaces: ${policy.protected.join(', ')})`, {
      hint: hint(may, policy.protected, protectedHit),
    })
  }
  const outside = allowed === undefined ? undefined : reached.find((r) => !allowed.has(r.namespace))
  if (outside) {
    throw new ChaosError('POLICY_NAMESPACE_NOT_ALLOWED', `${how(resource, outside)}, which is not among the namespaces this server allows (--allowed-namespaces)`, {
      hint: hint(may, policy.protected, outside),
    })
  }
}
