/**
 * @module faults/in-pod: what the injectors of faults inside a pod's processes share (StressChaos, TimeChaos,
 * IOChaos, DNSChaos): which selected pods they can act on, one held effect per pod applied with its undo, its
 * recovery, and its evidence read back from the runtime.
 */
import { ChaosError } from '../errors.js'
import type { EffectSpec, RuntimePod } from '../runtime/client.js'
import type { FaultContext, Injection, Target } from './injector.js'
import { containerName } from './pod-chaos.js'

/** The hint of a field the local runtime refuses. */
export const LOCAL_HINT = 'remove the field to run the experiment on the local runtime, or run it against a cluster with Chaos Mesh'

/** How a kind speaks of what it does, for its refusals. */
export interface InPodKind {
  kind: string
  /** "stress it", "shift its clocks": what it cannot do to an external service's pod. */
  verb: string
  /** "its clocks cannot be shifted": what is said of a pod whose program has not loaded the fault library; absent: the kind does not need the library. */
  withoutLibrary?: string
}

/** SPEC_LOCAL_UNSUPPORTED for a remoteCluster: the local runtime has none. */
export function refuseRemoteCluster(spec: { remoteCluster?: string }): void {
  if (spec.remoteCluster) throw new ChaosError('SPEC_LOCAL_UNSUPPORTED', `spec.remoteCluster "${spec.remoteCluster}": the local runtime has no remote clusters`, { hint: 'remove remoteCluster, or run it against a cluster with Chaos Mesh' })
}

/**
 * Why the kind cannot act on these pods, or undefined when it can (as far as the listing tells): external pods
 * (chaoscope does not run them), containerNames naming another container than the pod's one, and, for the kinds
 * that act through the fault library, pods whose running program has not loaded it (a static program, `preload:
 * false`). A pod whose library state is not known yet (no container running) is left to the inject, where the
 * runtime reads it. One error for all pods.
 */
export function unfitPods(k: InPodKind, spec: { containerNames?: string[] }, pods: readonly RuntimePod[]): ChaosError | undefined {
  const problems: { message: string; hint: string }[] = []
  for (const p of pods) {
    if (p.external !== undefined) {
      problems.push({ message: `pod ${p.name} fronts the external service ${p.service} (${p.external}): chaoscope does not run it, so it cannot ${k.verb}`, hint: 'select pods of services the App runs (with command)' })
      continue
    }
    const wrong = (spec.containerNames ?? []).filter((n) => n !== containerName(p))
    if (wrong.length > 0) {
      problems.push({
        message: `spec.containerNames names ${wrong.map((n) => `"${n}"`).join(', ')}: pod ${p.name} has one container, "${containerName(p)}"`,
        hint: `a local pod's container is named after its service: containerNames: ["${containerName(p)}"], or leave containerNames out`,
      })
    }
    if (k.withoutLibrary && p.faultLibrary?.loaded === false) {
      problems.push({
        message: `pod ${p.name}: ${k.withoutLibrary}: ${p.faultLibrary.reason ?? 'the fault library is not loaded'}`,
        hint: `${k.kind} acts through the fault library chaoscope preloads into pods (LD_PRELOAD): run the service as a dynamically linked program, without preload: false`,
      })
    }
  }
  if (problems.length === 0) return undefined
  return new ChaosError('SPEC_LOCAL_UNSUPPORTED', problems.map((x) => x.message).join('; '), { hint: [...new Set(problems.map((x) => x.hint))].join('; ') })
}

/** The target pod as the runtime lists it now, checked again (it may have changed since the selection). */
export async function podNow(k: InPodKind, ctx: FaultContext, target: Target, spec: { containerNames?: string[] }): Promise<RuntimePod> {
  const pod = (await ctx.runtime.pods()).find((p) => p.name === target.pod.name)
  if (!pod) throw new ChaosError('RUNTIME_UNKNOWN_POD', `pod "${target.pod.name}" no longer exists`, { hint: 'the pod was deleted after it was selected' })
  const unfit = unfitPods(k, spec, [pod])
  if (unfit) throw unfit
  return pod
}

/** Applies one held effect; on an error it is removed again (its answer may have been lost after it took effect). Its first observation. */
export async function applyHeld(ctx: FaultContext, effect: EffectSpec): Promise<Record<string, unknown>> {
  const outcome = await ctx.runtime.apply(effect).catch(async (e: unknown) => {
    await ctx.runtime.remove(effect.id).catch(() => undefined) // the error below is what counts
    throw e
  })
  return outcome.held ? (outcome.effect.observed ?? {}) : outcome.result
}

export const effectsOf = <B = unknown>(injection: Injection): EffectSpec<B>[] => (injection.data.effects as EffectSpec<B>[] | undefined) ?? []

/** Removes the injection's effects (each idempotent in the runtime: a removed or gone one is fine). */
export async function recoverEffects(ctx: FaultContext, injection: Injection): Promise<void> {
  for (const e of effectsOf(injection)) await ctx.runtime.remove(e.id)
}

/** The stored evidence with what the runtime observes of the effect now (or last, once it ended). */
export async function liveEvidence(ctx: FaultContext, injection: Injection): Promise<Record<string, unknown> | undefined> {
  const ids = new Set(effectsOf(injection).map((e) => e.id))
  const held = (await ctx.runtime.effects({ owner: ctx.experiment.uid, ended: true })).find((e) => ids.has(e.id))
  if (!held) return injection.evidence
  return { ...injection.evidence, ...(held.observed ?? {}), ...(held.ended ? { ended: held.ended.reason } : { active: true }) }
}
