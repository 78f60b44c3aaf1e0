/**
 * @module faults/time-chaos: TimeChaos on the local runtime: the selected pods' clocks read `timeOffset` off, through
 * the fault library chaoscope preloads into every pod it runs (native/faults/clock.c). As Chaos Mesh does, only
 * the clocks in `clockIds` (default CLOCK_REALTIME) move; the pod keeps running and its clocks come back when the
 * experiment ends.
 */
import { ChaosError } from '../errors.js'
import type { EffectSpec, RuntimePod } from '../runtime/client.js'
import type { TimeOffsetBody } from '../runtime/effects/time-offset.js'
import { parseDurationNs } from '../manifest/duration.js'
import type { TimeChaosSpec } from '../manifest/kinds/time-chaos.js'
import { ownedEffect } from './injector.js'
import type { FaultInjector, Injection } from './injector.js'
import { containerName } from './pod-chaos.js'

export type { TimeChaosSpec } from '../manifest/kinds/time-chaos.js'

const LOCAL_HINT = 'remove the field to run the experiment on the local runtime, or run it against a cluster with Chaos Mesh'

/** spec.timeOffset in nanoseconds, as a decimal string (an int64 may not fit a JSON number). */
export function offsetNs(spec: Pick<TimeChaosSpec, 'timeOffset'>): string {
  const r = parseDurationNs(spec.timeOffset)
  if (!('ns' in r)) {
    throw new ChaosError('SPEC_INVALID_DURATION', `spec.timeOffset: expected a duration like "-10m" or "1h", got ${JSON.stringify(spec.timeOffset)}`, { hint: 'timeOffset is how far to move the clock, with a unit (ns, us, ms, s, m, h); it may be negative' })
  }
  return String(r.ns)
}

const clockIdsOf = (spec: Pick<TimeChaosSpec, 'clockIds'>): TimeOffsetBody['clockIds'] => [...new Set(spec.clockIds && spec.clockIds.length > 0 ? spec.clockIds : ['CLOCK_REALTIME' as const])]

/**
 * Why TimeChaos cannot act on these pods, or undefined when it can (as far as the listing tells): external pods
 * (chaoscope does not run them), pods whose running container has not loaded the fault library (a static program,
 * `preload: false`), and containerNames naming another container than the pod's one. A pod whose library state is
 * not known yet (no container running) is left to inject, where the runtime reads it. One error for all pods.
 */
export function unfitPods(spec: Pick<TimeChaosSpec, 'containerNames'>, pods: readonly RuntimePod[]): ChaosError | undefined {
  const problems: { message: string; hint: string }[] = []
  for (const p of pods) {
    if (p.external !== undefined) {
      problems.push({ message: `pod ${p.name} fronts the external service ${p.service} (${p.external}): chaoscope does not run it, so it cannot shift its clocks`, hint: 'select pods of services the App runs (with command)' })
      continue
    }
    const wrong = (spec.containerNames ?? []).filter((n) => n !== containerName(p))
    if (wrong.length > 0) {
      problems.push({
        message: `spec.containerNames names ${wrong.map((n) => `"${n}"`).join(', ')}: pod ${p.name} has one container, "${containerName(p)}"`,
        hint: `a local pod's container is named after its service: containerNames: ["${containerName(p)}"], or leave containerNames out`,
      })
    }
    if (p.faultLibrary?.loaded === false) {
      problems.push({
        message: `pod ${p.name}: its clocks cannot be shifted: ${p.faultLibrary.reason ?? 'the fault library is not loaded'}`,
        hint: 'TimeChaos acts through the fault library chaoscope preloads into pods (LD_PRELOAD): run the service as a dynamically linked program, without preload: false',
      })
    }
  }
  if (problems.length === 0) return undefined
  return new ChaosError('SPEC_LOCAL_UNSUPPORTED', problems.map((x) => x.message).join('; '), { hint: [...new Set(problems.map((x) => x.hint))].join('; ') })
}

const effectsOf = (injection: Injection): EffectSpec<TimeOffsetBody>[] => (injection.data.effects as EffectSpec<TimeOffsetBody>[] | undefined) ?? []

/**
 * TimeChaos on the local runtime: one `time-offset` effect per selected pod, held until the experiment ends. The
 * pod's clocks in clockIds read timeOffset off from the next call on; several TimeChaos on one pod add up on a
 * clock they share. remoteCluster is refused; containerNames must name the pod's one container.
 *
 * @example
 * const inj = await timeChaos.inject(ctx, { key: pod.name, pod }, { ...spec, timeOffset: '-1h', clockIds: ['CLOCK_REALTIME'] })
 * inj.evidence // { offsetNs: { CLOCK_REALTIME: '-3600000000000' } }
 * await timeChaos.recover(ctx, inj)
 */
export const timeChaos: FaultInjector<TimeChaosSpec> = {
  kind: 'TimeChaos',

  check(spec) {
    if (spec.remoteCluster) throw new ChaosError('SPEC_LOCAL_UNSUPPORTED', `spec.remoteCluster "${spec.remoteCluster}": the local runtime has no remote clusters`, { hint: LOCAL_HINT })
    offsetNs(spec)
  },

  admit(spec, targets) {
    const unfit = unfitPods(spec, targets.map((t) => t.pod))
    if (unfit) throw unfit
  },

  async inject(ctx, target, spec) {
    timeChaos.check!(spec)
    const pod = (await ctx.runtime.pods()).find((p) => p.name === target.pod.name)
    if (!pod) throw new ChaosError('RUNTIME_UNKNOWN_POD', `pod "${target.pod.name}" no longer exists`, { hint: 'the pod was deleted after it was selected' })
    const unfit = unfitPods(spec, [pod])
    if (unfit) throw unfit
    const body: TimeOffsetBody = { offsetNs: offsetNs(spec), clockIds: clockIdsOf(spec) }
    const effect = ownedEffect(ctx, target.key, { part: 'time-offset', type: 'time-offset', target: { pod: pod.name }, body })
    const outcome = await ctx.runtime.apply(effect).catch(async (e: unknown) => {
      await ctx.runtime.remove(effect.id).catch(() => undefined) // its answer may have been lost after it took effect; the error below is what counts
      throw e
    })
    return {
      kind: 'TimeChaos',
      action: 'time-offset',
      targetKey: target.key,
      pod: pod.name,
      data: { effects: [effect] },
      evidence: outcome.held ? (outcome.effect.observed ?? {}) : outcome.result,
    }
  },

  async recover(ctx, injection) {
    for (const e of effectsOf(injection)) await ctx.runtime.remove(e.id)
  },

  async evidence(ctx, injection) {
    const ids = new Set(effectsOf(injection).map((e) => e.id))
    const held = (await ctx.runtime.effects({ owner: ctx.experiment.uid, ended: true })).find((e) => ids.has(e.id))
    if (!held) return injection.evidence
    return { ...injection.evidence, ...(held.observed ?? {}), ...(held.ended ? { ended: held.ended.reason } : { active: true }) }
  },
}
