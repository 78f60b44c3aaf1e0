/**
 * @module faults/injector: the contract between the engine and one chaos kind's fault code.
 *
 *   engine: select targets ─▶ write record (Not Injected) ─▶ inject() ─▶ store Injection (Injected)
 *                                  ... duration over / paused / deleted ...
 *           recover(stored Injection) ─▶ record Recovered
 *
 * The engine selects, iterates, retries and records; an injector applies one fault to ONE target and removes it.
 */
import type { RuntimeClient } from '../runtime/client.js'
import type { RuntimePod } from '../runtime/local-runtime.js'

/** What the engine tells an injector about the experiment it acts for. */
export interface FaultContext {
  runtime: RuntimeClient
  experiment: {
    uid: string
    kind: string
    namespace: string
    name: string
    annotations: Record<string, string>
    /**
     * When the experiment's duration ends (ms since the epoch); absent without a duration. Injectors hand it
     * to the runtime, which removes the fault at that time by itself: a fault never outlives its experiment,
     * even while no controller runs.
     */
    endsAt?: number
  }
  /** Milliseconds since the epoch, from the engine's clock. */
  now(): number
}

/** One selected target: a pod, and for NetworkChaos with a `target` selector, the peers it acts towards. */
export interface Target {
  /** Stable key of the target within the experiment (the record key), e.g. the pod name. */
  key: string
  pod: RuntimePod
  /** Pods selected by NetworkChaos `spec.target` (the other end of the traffic). */
  peers?: RuntimePod[]
  /** External upstreams named by NetworkChaos `spec.externalTargets`, resolved to external pseudo-pods. */
  externals?: RuntimePod[]
}

/**
 * Everything recover() needs, persisted by the engine before the fault counts as injected. Plain JSON.
 * `evidence` is what the data path reported (connections/requests touched, the pid killed and its successor):
 * the proof, shown by `describe`, that the fault really acted.
 */
export interface Injection {
  kind: string
  action: string
  targetKey: string
  pod: string
  data: Record<string, unknown>
  evidence?: Record<string, unknown>
}

/**
 * Applies one fault to one target.
 *
 * Invariants: `inject` is idempotent (inject twice = inject once; a second call finds its faults present and
 * returns the same Injection). `recover` is idempotent, needs only the stored Injection (it works after a
 * controller restart), treats a target that no longer exists as recovered, and never throws for "already
 * recovered". Neither keeps state in memory between calls.
 *
 * @example
 * const injection = await networkChaos.inject(ctx, target, spec)
 * await store.saveRecord(expUid, target.key, { phase: 'Injected', injection })
 * await networkChaos.recover(ctx, injection)
 */
export interface FaultInjector<S = Record<string, unknown>> {
  /** As written in the YAML: 'NetworkChaos'. */
  readonly kind: string
  /** Throws a ChaosError (SPEC_LOCAL_UNSUPPORTED ...) for a spec the local runtime cannot do, before anything is injected. */
  check?(spec: S): void
  /** True for one-shot actions (pod-kill, container-kill): nothing to recover, the record is done once injected. */
  oneShot?(spec: S): boolean
  inject(ctx: FaultContext, target: Target, spec: S): Promise<Injection>
  recover(ctx: FaultContext, injection: Injection): Promise<void>
  /** Fresh evidence for a live injection (counters from the data path); optional. */
  evidence?(ctx: FaultContext, injection: Injection): Promise<Record<string, unknown> | undefined>
}

/** Fault ids on the sidecars carry the experiment uid, so that faults no experiment owns can be found and removed. */
export function faultId(experimentUid: string, targetKey: string, part: string): string {
  return `chaoscope:${experimentUid}:${targetKey}:${part}`
}

/** The experiment uid inside a fault id made by {@link faultId}, or undefined for faults chaoscope did not add. */
export function ownerOf(faultIdText: string): string | undefined {
  const m = /^chaoscope:([^:]+):/.exec(faultIdText)
  return m ? m[1] : undefined
}
