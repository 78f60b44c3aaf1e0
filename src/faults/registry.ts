/**
 * @module faults/registry: which kind runs on which backend, as data in one table. A kind the local runtime runs
 * names its injector; a kind it does not run says why (a cluster is needed, or it is not built yet). Every
 * Chaos Mesh kind has a row: a kind listed in the manifest layer without one is a compile error.
 *
 * Adding a fault kind to the local runtime is one line here (see docs/adding-a-fault-kind.md).
 */
import { ChaosError } from '../errors.js'
import type { HTTPChaosSpec } from '../manifest/kinds/http-chaos.js'
import type { NetworkChaosSpec } from '../manifest/kinds/network-chaos.js'
import type { ChaosMeshKind } from '../manifest/registry.js'
import { httpChaos } from './http-chaos.js'
import type { FaultInjector } from './injector.js'
import { networkChaos } from './network-chaos.js'
import { dnsChaos } from './dns-chaos.js'
import type { DNSChaosSpec } from './dns-chaos.js'
import { ioChaos } from './io-chaos.js'
import type { IOChaosSpec } from './io-chaos.js'
import { podChaos } from './pod-chaos.js'
import { stressChaos } from './stress-chaos.js'
import type { StressChaosSpec } from './stress-chaos.js'
import { timeChaos } from './time-chaos.js'
import type { TimeChaosSpec } from './time-chaos.js'
import type { PodChaosSpec } from './pod-chaos.js'

/** How the local runtime stands to a kind: it runs it (with this injector), or it cannot and says why. */
export type LocalSupport<S = Record<string, unknown>> =
  | { injector: FaultInjector<S> }
  /** Needs what one machine does not have (a kernel module, a JVM agent, a cloud account, a remote cluster). */
  | { needs: string }
  /** Could run locally but does not yet. */
  | { notYet: string }
  /** Not a fault: the controller runs it with a kind module of its own (engine/kinds.ts), which spawns experiments. */
  | { controller: string }

export interface BackendSupport<S = Record<string, unknown>> {
  local: LocalSupport<S>
  /** Applied to a cluster through Chaos Mesh's own CRDs (the Kubernetes target, when it exists). */
  kubernetes: boolean
}

const cluster = (needs: string): BackendSupport => ({ local: { needs }, kubernetes: true })
const controller = (module: string): BackendSupport => ({ local: { controller: module }, kubernetes: true })

/** The one table. `satisfies` keeps it complete: every Chaos Mesh kind, no other. */
export const BACKENDS = {
  PodChaos: { local: { injector: podChaos }, kubernetes: true } as BackendSupport<PodChaosSpec>,
  NetworkChaos: { local: { injector: networkChaos }, kubernetes: true } as BackendSupport<NetworkChaosSpec>,
  HTTPChaos: { local: { injector: httpChaos }, kubernetes: true } as BackendSupport<HTTPChaosSpec>,
  StressChaos: { local: { injector: stressChaos }, kubernetes: true } as BackendSupport<StressChaosSpec>,
  TimeChaos: { local: { injector: timeChaos }, kubernetes: true } as BackendSupport<TimeChaosSpec>,
  IOChaos: { local: { injector: ioChaos }, kubernetes: true } as BackendSupport<IOChaosSpec>,
  DNSChaos: { local: { injector: dnsChaos }, kubernetes: true } as BackendSupport<DNSChaosSpec>,
  Workflow: controller('engine/workflow.ts'),
  Schedule: controller('engine/schedule.ts'),
  StatusCheck: controller('engine/status-check.ts'),
  KernelChaos: cluster('needs a cluster'),
  JVMChaos: cluster('needs a cluster'),
  BlockChaos: cluster('needs a cluster'),
  AWSChaos: cluster('needs a cluster'),
  GCPChaos: cluster('needs a cluster'),
  AzureChaos: cluster('needs a cluster'),
  PhysicalMachineChaos: cluster('needs a cluster'),
  PhysicalMachine: cluster('needs a cluster'),
  RemoteCluster: cluster('needs a cluster'),
} satisfies Record<ChaosMeshKind, BackendSupport<never>>

/** Kind → injector, for the kinds the local runtime runs. */
export const injectors: Readonly<Record<string, FaultInjector>> = Object.fromEntries(
  Object.entries(BACKENDS as Record<string, BackendSupport>).flatMap(([kind, b]) => ('injector' in b.local ? [[kind, b.local.injector]] : [])),
)

/** The kinds the local runtime runs. */
export const LOCAL_KINDS: readonly string[] = Object.keys(injectors)

/** The injector for a kind, or undefined when the local runtime cannot run it. */
export function injectorFor(kind: string): FaultInjector | undefined {
  return Object.hasOwn(injectors, kind) ? injectors[kind] : undefined
}

/**
 * Why the local runtime refuses a kind (SPEC_LOCAL_UNSUPPORTED), or undefined when it runs it. An App is not an
 * experiment: it is what `chaoscope up` runs.
 */
export function localRefusal(kind: string): ChaosError | undefined {
  if (kind === 'App') return new ChaosError('SPEC_LOCAL_UNSUPPORTED', 'an App is run by `chaoscope up -f`, not applied to the controller', { hint: 'start it with `chaoscope up -f app.yaml`' })
  if (kind === 'LoadProfile') return new ChaosError('SPEC_LOCAL_UNSUPPORTED', 'a LoadProfile is run by `chaoscope load -f`, not applied to the controller', { hint: 'send its load with `chaoscope load -f profile.yaml`' })
  const b = Object.hasOwn(BACKENDS, kind) ? (BACKENDS as Record<string, BackendSupport>)[kind]! : undefined
  if (!b) return new ChaosError('SPEC_LOCAL_UNSUPPORTED', `${kind} is not a kind chaoscope runs`)
  if ('injector' in b.local || 'controller' in b.local) return undefined
  if ('needs' in b.local) return new ChaosError('SPEC_LOCAL_UNSUPPORTED', `${kind} ${b.local.needs}: run it against a cluster with Chaos Mesh`, { hint: 'apply it with `--target kubernetes` to a cluster where Chaos Mesh runs' })
  return new ChaosError('SPEC_LOCAL_UNSUPPORTED', `${kind} ${b.local.notYet}`, { hint: 'not supported yet on the local runtime; it validates, and runs on a cluster with Chaos Mesh (`--target kubernetes`)' })
}
