/** @module manifest/registry: every kind chaoscope reads, by API group. */
import type { KindDefinition } from './kind.js'
import { app } from './kinds/app.js'
import { loadProfile } from './kinds/load-profile.js'
import { experiment } from './kinds/experiment.js'
import { podChaos } from './kinds/pod-chaos.js'
import { networkChaos } from './kinds/network-chaos.js'
import { httpChaos } from './kinds/http-chaos.js'
import { dnsChaos } from './kinds/dns-chaos.js'
import { ioChaos } from './kinds/io-chaos.js'
import { timeChaos } from './kinds/time-chaos.js'
import { stressChaos } from './kinds/stress-chaos.js'
import { kernelChaos } from './kinds/kernel-chaos.js'
import { jvmChaos } from './kinds/jvm-chaos.js'
import { blockChaos } from './kinds/block-chaos.js'
import { awsChaos } from './kinds/aws-chaos.js'
import { gcpChaos } from './kinds/gcp-chaos.js'
import { azureChaos } from './kinds/azure-chaos.js'
import { physicalMachineChaos } from './kinds/physical-machine-chaos.js'
import { physicalMachine } from './kinds/physical-machine.js'
import { remoteCluster } from './kinds/remote-cluster.js'
import { statusCheck } from './kinds/status-check.js'
import { schedule } from './kinds/schedule.js'
import { workflow } from './kinds/workflow.js'

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
export const chaosMeshKinds: { [K in ChaosMeshKind]: KindDefinition } = {
  PodChaos: podChaos,
  NetworkChaos: networkChaos,
  HTTPChaos: httpChaos,
  DNSChaos: dnsChaos,
  IOChaos: ioChaos,
  TimeChaos: timeChaos,
  StressChaos: stressChaos,
  KernelChaos: kernelChaos,
  JVMChaos: jvmChaos,
  BlockChaos: blockChaos,
  AWSChaos: awsChaos,
  GCPChaos: gcpChaos,
  AzureChaos: azureChaos,
  PhysicalMachineChaos: physicalMachineChaos,
  PhysicalMachine: physicalMachine,
  RemoteCluster: remoteCluster,
  StatusCheck: statusCheck,
  Schedule: schedule,
  Workflow: workflow,
}

export const CHAOSCOPE_KINDS = ['App', 'LoadProfile', 'Experiment'] as const
export type ChaoscopeKind = (typeof CHAOSCOPE_KINDS)[number]
export const chaoscopeKinds: { [K in ChaoscopeKind]: KindDefinition } = {
  App: app,
  LoadProfile: loadProfile,
  Experiment: experiment,
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
