/** @module spec/registry: every kind chaoscope reads, by API group. */
import type { KindDefinition } from './kind.js'
import { app } from './kinds/app.js'
import { podChaos } from './kinds/pod-chaos.js'

/** The user-facing kinds of chaos-mesh.org/v1alpha1. */
export const CHAOS_MESH_KINDS = [
  'PodChaos', 'NetworkChaos', 'DNSChaos', 'HTTPChaos', 'StressChaos', 'IOChaos', 'TimeChaos', 'KernelChaos',
  'JVMChaos', 'AWSChaos', 'GCPChaos', 'AzureChaos', 'BlockChaos', 'PhysicalMachineChaos', 'PhysicalMachine',
  'Schedule', 'Workflow', 'StatusCheck', 'RemoteCluster',
] as const
export type ChaosMeshKind = (typeof CHAOS_MESH_KINDS)[number]

/** Kinds Chaos Mesh's controller creates for itself; users do not write them. */
export const INTERNAL_KINDS: Record<string, string> = {
  PodNetworkChaos: 'NetworkChaos',
  PodIOChaos: 'IOChaos',
  PodHttpChaos: 'HTTPChaos',
  WorkflowNode: 'Workflow',
}

/** kind → definition. Adding a kind to CHAOS_MESH_KINDS without an entry here is a compile error. */
export const chaosMeshKinds: Partial<{ [K in ChaosMeshKind]: KindDefinition }> = {
  PodChaos: podChaos,
}

export const CHAOSCOPE_KINDS = ['App'] as const
export type ChaoscopeKind = (typeof CHAOSCOPE_KINDS)[number]
export const chaoscopeKinds: { [K in ChaoscopeKind]: KindDefinition } = {
  App: app,
}

export const GROUPS = {
  'chaos-mesh.org': { versions: ['v1alpha1'], kinds: chaosMeshKinds as Record<string, KindDefinition | undefined> },
  'chaoscope.dev': { versions: ['v1alpha1'], kinds: chaoscopeKinds as Record<string, KindDefinition | undefined> },
} as const

export function kindDefinition(group: string, kind: string): KindDefinition | undefined {
  return (GROUPS as Record<string, { kinds: Record<string, KindDefinition | undefined> }>)[group]?.kinds[kind]
}

/** Every chaos kind that can be embedded in a Workflow template or a Schedule, by its embed key. */
export function embeddableKinds(): KindDefinition[] {
  return Object.values(chaosMeshKinds).filter((k): k is KindDefinition => k?.embedKey !== undefined)
}
