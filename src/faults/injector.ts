/**
 * @module faults/injector: the contract between the engine and one chaos kind's fault code.
 *
 *   engine: select targets ─▶ write record (Not Injected) ─▶ inject() ─▶ store Injection (Injected)
 *                                  ... duration over / paused / deleted ...
 *           recover(stored Injection) ─▶ record Recovered
 *
 * The engine selects, iterates, retries and records; an injector applies one fault to ONE target and removes it.
 */
import type { EffectSpec, EffectTarget, RuntimeClient, RuntimePod } from '../runtime/client.js'

/** What the engine tells an injector about the experiment it acts for. */
export interface FaultContext {
  runtime: RuntimeClient
  /** The id of the controller acting (kept in its store): every effect it makes carries it as its owner. */
  controller?: string
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
  /**
   * Throws a ChaosError for what the selected targets show cannot work (an HTTPChaos on a tcp service), at apply
   * time: admission calls it with the targets it selected, before anything is written, and refuses the apply.
   * Pure: reads only `spec` and `targets` (the pods as listed at the apply).
   */
  admit?(spec: S, targets: readonly Target[]): void
  /** True for one-shot actions (pod-kill, container-kill): nothing to recover, the record is done once injected. */
  oneShot?(spec: S): boolean
  inject(ctx: FaultContext, target: Target, spec: S): Promise<Injection>
  recover(ctx: FaultContext, injection: Injection): Promise<void>
  /** Fresh evidence for a live injection (counters from the data path); optional. */
  evidence?(ctx: FaultContext, injection: Injection): Promise<Record<string, unknown> | undefined>
}

/**
 * The id of an effect an experiment makes: unique in the runtime, and readable (`chaoscope:<uid>:<target>:<part>`,
 * with `@<where>` when one part acts in several places, e.g. a NetworkChaos delay on several sidecars).
 */
export function effectId(experimentUid: string, targetKey: string, part: string, where?: string): string {
  return `chaoscope:${experimentUid}:${targetKey}:${part}${where !== undefined ? `@${where}` : ''}`
}

/**
 * An effect made for one target of the experiment: owned by it (controller, experiment, record) and, when the
 * experiment has a duration, expiring at its end, so that the runtime removes it then by itself.
 */
export function ownedEffect<B>(ctx: FaultContext, targetKey: string, e: { part: string; where?: string; type: string; target: EffectTarget; body: B }): EffectSpec<B> {
  return {
    id: effectId(ctx.experiment.uid, targetKey, e.part, e.where),
    type: e.type,
    target: e.target,
    owner: { experiment: ctx.experiment.uid, record: targetKey, ...(ctx.controller !== undefined ? { controller: ctx.controller } : {}) },
    ...(ctx.experiment.endsAt !== undefined ? { expiresAt: ctx.experiment.endsAt } : {}),
    body: e.body,
  }
}
