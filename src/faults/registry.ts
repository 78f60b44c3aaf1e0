/** @module faults/registry: the injector of each chaos kind the local runtime runs; a kind without one does not compile. */
import type { HTTPChaosSpec } from '../manifest/kinds/http-chaos.js'
import type { NetworkChaosSpec } from '../manifest/kinds/network-chaos.js'
import { httpChaos } from './http-chaos.js'
import type { FaultInjector } from './injector.js'
import { networkChaos } from './network-chaos.js'
import { podChaos } from './pod-chaos.js'
import type { PodChaosSpec } from './pod-chaos.js'

/** Each kind the local runtime injects, with the (validated, defaulted) spec its injector takes. */
export interface LocalSpecs {
  PodChaos: PodChaosSpec
  NetworkChaos: NetworkChaosSpec
  HTTPChaos: HTTPChaosSpec
}

export type LocalKind = keyof LocalSpecs

/**
 * Kind → injector. The mapped type makes a kind listed in {@link LocalSpecs} without an entry here a compile
 * error. Kinds not listed are refused on the local runtime (SPEC_LOCAL_UNSUPPORTED) by the engine.
 */
export const injectors: { [K in LocalKind]: FaultInjector<LocalSpecs[K]> } = {
  PodChaos: podChaos,
  NetworkChaos: networkChaos,
  HTTPChaos: httpChaos,
}

/** The injector for a kind, or undefined when the local runtime cannot run it. */
export function injectorFor(kind: string): FaultInjector<Record<string, unknown>> | undefined {
  return Object.hasOwn(injectors, kind) ? (injectors[kind as LocalKind] as unknown as FaultInjector<Record<string, unknown>>) : undefined
}
