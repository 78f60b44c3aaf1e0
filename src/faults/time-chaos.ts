/**
 * @module faults/time-chaos: TimeChaos on the local runtime: the selected pods' clocks read `timeOffset` off, through
 * the fault library chaoscope preloads into every pod it runs (native/faults/clock.c). As Chaos Mesh does, only
 * the clocks in `clockIds` (default CLOCK_REALTIME) move; the pod keeps running and its clocks come back when the
 * experiment ends.
 */
import { ChaosError } from '../errors.js'
import type { RuntimePod } from '../runtime/client.js'
import type { TimeOffsetBody } from '../runtime/effects/time-offset.js'
import { parseDurationNs } from '../manifest/duration.js'
import type { TimeChaosSpec } from '../manifest/kinds/time-chaos.js'
import { ownedEffect } from './injector.js'
import type { FaultInjector } from './injector.js'
import { applyHeld, liveEvidence, podNow, recoverEffects, refuseRemoteCluster, unfitPods as unfitPodsOf } from './in-pod.js'
import type { InPodKind } from './in-pod.js'

export type { TimeChaosSpec } from '../manifest/kinds/time-chaos.js'

/** spec.timeOffset in nanoseconds, as a decimal string (an int64 may not fit a JSON number). */
export function offsetNs(spec: Pick<TimeChaosSpec, 'timeOffset'>): string {
  const r = parseDurationNs(spec.timeOffset)
  if (!('ns' in r)) {
    throw new ChaosError('SPEC_INVALID_DURATION', `spec.timeOffset: expected a duration like "-10m" or "1h", got ${JSON.stringify(spec.timeOffset)}`, { hint: 'timeOffset is how far to move the clock, with a unit (ns, us, ms, s, m, h); it may be negative' })
  }
  return String(r.ns)
}

const clockIdsOf = (spec: Pick<TimeChaosSpec, 'clockIds'>): TimeOffsetBody['clockIds'] => [...new Set(spec.clockIds && spec.clockIds.length > 0 ? spec.clockIds : ['CLOCK_REALTIME' as const])]

const TIME: InPodKind = { kind: 'TimeChaos', verb: 'shift its clocks', withoutLibrary: 'its clocks cannot be shifted' }

/** Why TimeChaos cannot act on these pods, or undefined (see {@link unfitPodsOf}). */
export function unfitPods(spec: Pick<TimeChaosSpec, 'containerNames'>, pods: readonly RuntimePod[]): ChaosError | undefined {
  return unfitPodsOf(TIME, spec, pods)
}


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
    refuseRemoteCluster(spec)
    offsetNs(spec)
  },

  admit(spec, targets) {
    const unfit = unfitPods(spec, targets.map((t) => t.pod))
    if (unfit) throw unfit
  },

  async inject(ctx, target, spec) {
    timeChaos.check!(spec)
    const pod = await podNow(TIME, ctx, target, spec)
    const body: TimeOffsetBody = { offsetNs: offsetNs(spec), clockIds: clockIdsOf(spec) }
    const effect = ownedEffect(ctx, target.key, { part: 'time-offset', type: 'time-offset', target: { pod: pod.name }, body })
    const evidence = await applyHeld(ctx, effect)
    return { kind: 'TimeChaos', action: 'time-offset', targetKey: target.key, pod: pod.name, data: { effects: [effect] }, evidence }
  },

  recover: recoverEffects,
  evidence: liveEvidence,
}
