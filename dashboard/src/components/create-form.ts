/**
 * @module dashboard/components/create-form: the create page's form as data, and the Chaos Mesh YAML it stands for.
 * The form covers the common faults; the YAML it produces is what the editor shows and what apply receives, so the
 * form never sends anything the user could not read (and edit) first.
 */
import { stringify } from 'yaml'

/** The faults the form offers: each one kind and action of Chaos Mesh. */
export const FAULTS = [
  { id: 'pod-kill', label: 'Pod kill (PodChaos pod-kill)' },
  { id: 'network-delay', label: 'Network delay (NetworkChaos delay)' },
  { id: 'network-partition', label: 'Network partition (NetworkChaos partition)' },
  { id: 'http-abort', label: 'HTTP abort (HTTPChaos abort)' },
  { id: 'http-delay', label: 'HTTP delay (HTTPChaos delay)' },
  { id: 'stress-cpu', label: 'CPU stress (StressChaos cpu)' },
  { id: 'stress-memory', label: 'Memory stress (StressChaos memory)' },
] as const

export type FaultId = (typeof FAULTS)[number]['id']

/** Chaos Mesh's selection modes; the last three take a value (a count or a percentage). */
export const MODES = ['one', 'all', 'fixed', 'fixed-percent', 'random-max-percent'] as const
export const MODES_WITH_VALUE: readonly string[] = ['fixed', 'fixed-percent', 'random-max-percent']

export interface FormState {
  fault: FaultId
  name: string
  namespace: string
  /** A label `key=value` of the pods to act on (the main selector). */
  label: string
  mode: (typeof MODES)[number]
  value: string
  /** A Go duration ("30s"); empty: until deleted (pod-kill: none, it is an instant). */
  duration: string
  /** NetworkChaos: the label of the pods on the other side (partition needs one; delay: optional). */
  targetLabel: string
  direction: 'to' | 'from' | 'both'
  latency: string
  jitter: string
  /** HTTPChaos. */
  httpTarget: 'Request' | 'Response'
  port: string
  path: string
  /** HTTPChaos with target Response: the status code to answer instead (empty: none). */
  code: string
  httpDelay: string
  /** StressChaos. */
  workers: string
  load: string
  size: string
}

export const INITIAL_FORM: FormState = {
  fault: 'pod-kill', name: '', namespace: 'default', label: '', mode: 'one', value: '1', duration: '30s',
  targetLabel: '', direction: 'to', latency: '200ms', jitter: '', httpTarget: 'Request', port: '8080', path: '*',
  code: '', httpDelay: '1s', workers: '1', load: '50', size: '256MB',
}

/** `key=value` as a Chaos Mesh `labelSelectors` map; empty or malformed text selects nothing by label. */
export function labelsOf(text: string): Record<string, string> | undefined {
  const at = text.indexOf('=')
  if (at <= 0) return undefined
  return { [text.slice(0, at).trim()]: text.slice(at + 1).trim() }
}

/** A whole number from a field, or the text itself when it is not one (so that validation names the mistake). */
function numberOr(text: string): number | string {
  return /^-?\d+$/.test(text.trim()) ? Number(text) : text
}

/** A selector by label; the namespace is the experiment's own, as Chaos Mesh defaults it. */
function selectorOf(label: string): Record<string, unknown> {
  const labels = labelsOf(label)
  return labels ? { labelSelectors: labels } : {}
}

/** The spec of the form's fault, Chaos Mesh's field names. */
function specOf(f: FormState): { kind: string; spec: Record<string, unknown> } {
  const common: Record<string, unknown> = {
    mode: f.mode,
    ...(MODES_WITH_VALUE.includes(f.mode) ? { value: f.value } : {}),
    selector: selectorOf(f.label),
  }
  const duration = f.duration.trim() ? { duration: f.duration.trim() } : {}
  switch (f.fault) {
    case 'pod-kill':
      return { kind: 'PodChaos', spec: { action: 'pod-kill', ...common } }
    case 'network-delay':
    case 'network-partition': {
      const target = f.targetLabel.trim() ? { target: { mode: 'all', selector: selectorOf(f.targetLabel) } } : {}
      const delay = f.fault === 'network-delay' ? { delay: { latency: f.latency, ...(f.jitter.trim() ? { jitter: f.jitter.trim() } : {}) } } : {}
      return { kind: 'NetworkChaos', spec: { action: f.fault === 'network-delay' ? 'delay' : 'partition', ...common, direction: f.direction, ...target, ...delay, ...duration } }
    }
    case 'http-abort':
    case 'http-delay': {
      const fault = f.fault === 'http-abort' ? { abort: true } : { delay: f.httpDelay }
      const code = f.httpTarget === 'Response' && f.code.trim() ? { replace: { code: numberOr(f.code) } } : {}
      return { kind: 'HTTPChaos', spec: { ...common, target: f.httpTarget, port: numberOr(f.port), path: f.path, ...fault, ...code, ...duration } }
    }
    case 'stress-cpu':
      return { kind: 'StressChaos', spec: { ...common, stressors: { cpu: { workers: numberOr(f.workers), load: numberOr(f.load) } }, ...duration } }
    case 'stress-memory':
      return { kind: 'StressChaos', spec: { ...common, stressors: { memory: { workers: numberOr(f.workers), size: f.size } }, ...duration } }
  }
}

/** The form as a Chaos Mesh resource: the YAML document the editor shows and apply sends. */
export function formYaml(f: FormState): string {
  const { kind, spec } = specOf(f)
  return stringify({ apiVersion: 'chaos-mesh.org/v1alpha1', kind, metadata: { name: f.name, namespace: f.namespace }, spec })
}

/** A name for a new experiment: `prefix-` and six characters from the clock and chance (names must be unique). */
export function generatedName(prefix: string): string {
  const tail = `${Date.now().toString(36).slice(-3)}${Math.random().toString(36).slice(2, 5)}`
  return `${prefix}-${tail}`.toLowerCase()
}
