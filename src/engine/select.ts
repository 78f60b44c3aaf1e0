/**
 * @module engine/select: Chaos Mesh's pod selection on the local runtime's pods: every selector field must
 * match, `pods` overrides the rest, then the mode (one, all, fixed, fixed-percent, random-max-percent) picks.
 */
import { ChaosError } from '../errors.js'
import type { PodSelectorSpec } from '../manifest/kinds/common.js'

/** What selection reads of a pod (a RuntimePod fits). */
export interface SelectablePod {
  namespace: string
  name: string
  labels: Record<string, string>
  annotations: Record<string, string>
  phase: string
}

/** The local runtime is one node. `nodes: [local]` and node selectors matching these labels select its pods. */
export const LOCAL_NODE = { name: 'local', labels: { 'kubernetes.io/hostname': 'local', 'kubernetes.io/os': 'linux' } as Record<string, string> }

/** Pod fields a `fieldSelectors` entry may name, as the Kubernetes API allows for pods (those that mean something here). */
const POD_FIELDS: Record<string, (p: SelectablePod) => string> = {
  'metadata.name': (p) => p.name,
  'metadata.namespace': (p) => p.namespace,
  'status.phase': (p) => p.phase,
  'spec.nodeName': () => LOCAL_NODE.name,
}

export type Random = () => number

function labelsMatch(labels: Record<string, string>, want: Record<string, string> | undefined): boolean {
  return want === undefined || Object.entries(want).every(([k, v]) => labels[k] === v)
}

function expressionsMatch(labels: Record<string, string>, exprs: PodSelectorSpec['expressionSelectors']): boolean {
  return (exprs ?? []).every((e) => {
    const has = Object.hasOwn(labels, e.key)
    switch (e.operator) {
      case 'In': return has && (e.values ?? []).includes(labels[e.key]!)
      case 'NotIn': return !has || !(e.values ?? []).includes(labels[e.key]!)
      case 'Exists': return has
      case 'DoesNotExist': return !has
      default: throw new ChaosError('SPEC_ENUM', `expressionSelectors: unknown operator "${e.operator}"`, { hint: 'use In, NotIn, Exists or DoesNotExist' })
    }
  })
}

/** `Running` includes pods in that phase; `!Failed` excludes them (Chaos Mesh's phase selector). */
function phaseMatches(phase: string, selectors: readonly string[] | undefined): boolean {
  if (!selectors || selectors.length === 0) return true
  const incl = selectors.filter((s) => !s.startsWith('!')).map((s) => s.trim())
  const excl = selectors.filter((s) => s.startsWith('!')).map((s) => s.slice(1).trim())
  if (excl.includes(phase)) return false
  return incl.length === 0 || incl.includes(phase)
}

function nodeMatches(sel: PodSelectorSpec): boolean {
  const nodes = sel.nodes ?? []
  const nodeSelectors = sel.nodeSelectors ?? {}
  if (nodes.length === 0 && Object.keys(nodeSelectors).length === 0) return true
  // the node list is the union of the named nodes and the nodes the node selectors match
  return nodes.includes(LOCAL_NODE.name) || (Object.keys(nodeSelectors).length > 0 && labelsMatch(LOCAL_NODE.labels, nodeSelectors))
}

function fieldsMatch(pod: SelectablePod, fields: Record<string, string> | undefined): boolean {
  return Object.entries(fields ?? {}).every(([k, v]) => {
    const get = POD_FIELDS[k]
    if (!get) throw new ChaosError('SPEC_INVALID_VALUE', `fieldSelectors: "${k}" is not a field pods can be selected by here`, { hint: `use ${Object.keys(POD_FIELDS).join(', ')}` })
    return get(pod) === v
  })
}

/** True when the pod matches every field of the selector (`pods`, when given, alone decides). */
export function podMatches(pod: SelectablePod, sel: PodSelectorSpec = {}): boolean {
  if (sel.pods && Object.keys(sel.pods).length > 0) return (sel.pods[pod.namespace] ?? []).includes(pod.name)
  if (sel.namespaces && sel.namespaces.length > 0 && !sel.namespaces.includes(pod.namespace)) return false
  return (
    labelsMatch(pod.labels, sel.labelSelectors) &&
    expressionsMatch(pod.labels, sel.expressionSelectors) &&
    labelsMatch(pod.annotations, sel.annotationSelectors) &&
    fieldsMatch(pod, sel.fieldSelectors) &&
    phaseMatches(pod.phase, sel.podPhaseSelectors) &&
    nodeMatches(sel)
  )
}

/** Every pod the selector matches, sorted by namespace and name. */
export function matchingPods<T extends SelectablePod>(pods: readonly T[], sel: PodSelectorSpec = {}): T[] {
  return pods.filter((p) => podMatches(p, sel)).sort((a, b) => (a.namespace === b.namespace ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.namespace < b.namespace ? -1 : 1))
}

function intValue(mode: string, value: string | undefined): number {
  const n = Number((value ?? '').trim())
  if (value === undefined || value.trim() === '' || !Number.isInteger(n)) throw new ChaosError('SPEC_MODE_VALUE', `mode ${mode} needs an integer value, got ${JSON.stringify(value ?? '')}`)
  return n
}

/**
 * How many of `count` matching pods the mode takes, as Chaos Mesh computes it: one → 1; all → every one;
 * fixed → min(value, count); fixed-percent → ceil(count × value / 100); random-max-percent → a percent drawn
 * uniformly from 0..value, then ceil(count × percent / 100) (which may be 0).
 */
export function modeCount(mode: string, value: string | undefined, count: number, random: Random): number {
  if (count === 0) return 0
  switch (mode) {
    case 'one': return 1
    case 'all': return count
    case 'fixed': {
      const n = intValue(mode, value)
      if (n <= 0) throw new ChaosError('SPEC_MODE_VALUE', `value must be greater than 0 with mode fixed, got ${n}`)
      return Math.min(n, count)
    }
    case 'fixed-percent':
    case 'random-max-percent': {
      const p = intValue(mode, value)
      if (p <= 0 || p > 100) throw new ChaosError('SPEC_MODE_VALUE', `value ${p} is out of range for mode ${mode}: must be in (0, 100]`)
      const percent = mode === 'fixed-percent' ? p : Math.min(p, Math.floor(random() * (p + 1)))
      return Math.ceil((count * percent) / 100)
    }
    default:
      throw new ChaosError('SPEC_ENUM', `mode "${mode}" is not one of one, all, fixed, fixed-percent, random-max-percent`)
  }
}

/**
 * Chaos Mesh's selection: the pods matching `selector`, then `mode`/`value` picks among them at random
 * (`random` returns [0, 1), injected so tests are deterministic). Returns the picked pods sorted by name.
 *
 * @example selectPods(pods, { namespaces: ['default'], labelSelectors: { app: 'web' } }, 'fixed', '2', Math.random)
 */
export function selectPods<T extends SelectablePod>(pods: readonly T[], selector: PodSelectorSpec | undefined, mode: string, value: string | undefined, random: Random = Math.random): T[] {
  const matched = matchingPods(pods, selector ?? {})
  const n = modeCount(mode, value, matched.length, random)
  if (n >= matched.length) return matched
  // a partial Fisher–Yates shuffle: n distinct picks, whatever `random` returns
  const pool = [...matched]
  for (let i = 0; i < n; i++) {
    const j = i + Math.min(pool.length - i - 1, Math.floor(random() * (pool.length - i)))
    ;[pool[i], pool[j]] = [pool[j]!, pool[i]!]
  }
  return matchingPods(pool.slice(0, n))
}

/** `{namespaces: [default], labelSelectors: {app: web}}`: a selector written compactly, for messages. */
export function describeSelector(sel: PodSelectorSpec | undefined): string {
  const parts: string[] = []
  const order = ['pods', 'namespaces', 'labelSelectors', 'expressionSelectors', 'annotationSelectors', 'fieldSelectors', 'podPhaseSelectors', 'nodes', 'nodeSelectors']
  const entries = Object.entries(sel ?? {}).sort(([a], [b]) => (order.indexOf(a) >>> 0) - (order.indexOf(b) >>> 0))
  for (const [k, v] of entries) {
    if (v === undefined) continue
    if (Array.isArray(v)) parts.push(`${k}: [${v.map((x) => (typeof x === 'string' ? x : `${x.key} ${x.operator}${x.values ? ` (${x.values.join(', ')})` : ''}`)).join(', ')}]`)
    else parts.push(`${k}: {${Object.entries(v as Record<string, unknown>).map(([a, b]) => `${a}: ${Array.isArray(b) ? `[${b.join(', ')}]` : String(b)}`).join(', ')}}`)
  }
  return `{${parts.join(', ')}}`
}

/**
 * CONTROLLER_NO_TARGETS naming the selector and the pods that exist (with their labels): those of the namespaces
 * the selector names, when it names some; the others only counted (a token limited to a namespace reads no pod
 * name of another through this message).
 */
export function noTargetsError(field: string, sel: PodSelectorSpec | undefined, pods: readonly SelectablePod[]): ChaosError {
  const named = sel?.pods && Object.keys(sel.pods).length > 0 ? Object.keys(sel.pods) : sel?.namespaces && sel.namespaces.length > 0 ? sel.namespaces : undefined
  const listed = named ? pods.filter((p) => named.includes(p.namespace)) : pods
  const elsewhere = pods.length - listed.length
  const shown = listed.slice(0, 20).map((p) => `${p.namespace}/${p.name} (${Object.entries(p.labels).map(([k, v]) => `${k}=${v}`).join(',') || 'no labels'}; ${p.phase})`)
  const more = listed.length > shown.length ? `, and ${listed.length - shown.length} more` : ''
  const others = elsewhere > 0 ? `${listed.length === 0 ? '' : '; '}${elsewhere} pod${elsewhere === 1 ? '' : 's'} in other namespaces` : ''
  const exist = pods.length === 0 ? 'the runtime has no pods' : `pods that exist: ${listed.length === 0 ? `none in ${named!.join(', ')}; ` : ''}${shown.join('; ')}${more}${others}`
  return new ChaosError('CONTROLLER_NO_TARGETS', `${field} ${describeSelector(sel)} matches no pod; ${exist}`, {
    hint: 'fix the selector (namespaces, labelSelectors...) so that it matches one of the pods listed',
  })
}
