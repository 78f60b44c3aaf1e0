/** @module api/kinds: kind names as kubectl accepts them (Kind, singular, plural, short name, any case) → the Kind. */
import { ChaosError } from '../errors.js'
import { didYouMean } from '../manifest/issues.js'
import { CHAOS_MESH_KINDS } from '../manifest/registry.js'

/** Kinds the controller stores: Chaos Mesh's user-facing kinds, and the WorkflowNodes its workflows make. */
export const CONTROLLER_KINDS: readonly string[] = [...CHAOS_MESH_KINDS, 'WorkflowNode']

/** Plural resource names where Chaos Mesh's CRDs use one other than the lower-case kind (`chaos` is its own plural). */
const PLURALS: Record<string, string> = {
  Schedule: 'schedules', Workflow: 'workflows', StatusCheck: 'statuschecks', RemoteCluster: 'remoteclusters', PhysicalMachine: 'physicalmachines',
}

/** Short names: Chaos Mesh's CRDs declare `wf` and `wfn`; the rest are chaoscope's, for typing speed (kubectl style). */
const SHORT: Record<string, string> = {
  wf: 'Workflow', wfn: 'WorkflowNode', sc: 'Schedule', pc: 'PodChaos', nc: 'NetworkChaos', hc: 'HTTPChaos', stc: 'StressChaos', tc: 'TimeChaos', ioc: 'IOChaos', dc: 'DNSChaos',
}

/** `networkchaos.chaos-mesh.org`, as kubectl prints a resource's type. */
export function resourceType(kind: string): string {
  return `${plural(kind)}.chaos-mesh.org`
}

export function plural(kind: string): string {
  return PLURALS[kind] ?? kind.toLowerCase()
}

const BY_NAME = new Map<string, string>()
for (const k of CONTROLLER_KINDS) {
  BY_NAME.set(k.toLowerCase(), k)
  BY_NAME.set(plural(k), k)
  BY_NAME.set(`${plural(k)}.chaos-mesh.org`, k)
}
for (const [s, k] of Object.entries(SHORT)) BY_NAME.set(s, k)

/** The Kind a name stands for, or undefined. */
export function findKind(name: string): string | undefined {
  return BY_NAME.get(name.toLowerCase())
}

/**
 * The Kind a name stands for; SPEC_UNKNOWN_KIND (with the closest name) otherwise.
 * @example resolveKind('networkchaos') // 'NetworkChaos';  resolveKind('wf') // 'Workflow'
 */
export function resolveKind(name: string): string {
  const k = findKind(name)
  if (k) return k
  const near = didYouMean(name, [...CONTROLLER_KINDS.map((x) => x.toLowerCase()), ...Object.keys(SHORT)])
  throw new ChaosError('SPEC_UNKNOWN_KIND', `unknown resource type "${name}"`, { hint: near ?? `known types: ${CONTROLLER_KINDS.map((x) => x.toLowerCase()).join(', ')}` })
}
