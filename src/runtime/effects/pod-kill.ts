/**
 * @module runtime/effects/pod-kill: deletes a pod (SIGTERM, then SIGKILL after `gracePeriodMs`; 0: SIGKILL at
 * once) and lets its service create a replacement with a new name, as a ReplicaSet does. One-shot: the facts
 * are the pod killed, its pid, and its replacement. A pod already gone is not deleted twice (and no other is).
 */
import { ChaosError } from '../../errors.js'
import { invalidEffect } from '../effect.js'
import type { EffectModule } from '../effect.js'

export interface PodKillBody {
  gracePeriodMs?: number
}

export const effect: EffectModule<PodKillBody> = {
  oneShot: true,

  parse(body) {
    const g = (body as PodKillBody | undefined)?.gracePeriodMs
    if (g !== undefined && !(typeof g === 'number' && Number.isInteger(g) && g >= 0 && g <= 2 ** 31 - 1)) throw invalidEffect('body.gracePeriodMs', 'expected whole milliseconds from 0 to 2147483647')
    return g === undefined ? {} : { gracePeriodMs: g }
  },

  async apply(host, e) {
    const before = host.pods()
    const pod = before.find((p) => p.name === e.target.pod)
    if (!pod) return { killedPod: e.target.pod, alreadyGone: true }
    if (pod.external !== undefined) throw new ChaosError('RUNTIME_NOT_RUNNABLE', `pod ${pod.name} fronts the external service ${pod.service}: the runtime does not run it, so it cannot delete it`)
    await host.supervisor.stopPod(pod.name, { replace: true, ...(e.body.gracePeriodMs !== undefined ? { gracePeriodMs: e.body.gracePeriodMs } : {}) })
    const names = new Set(before.map((p) => p.name))
    const next = host
      .pods()
      .filter((p) => p.service === pod.service && !names.has(p.name))
      .sort((a, b) => (a.startTime < b.startTime ? 1 : -1))[0]
    return {
      killedPod: pod.name,
      ...(pod.pid !== undefined ? { killedPid: pod.pid } : {}),
      ...(next ? { replacementPod: next.name, ...(next.pid !== undefined ? { replacementPid: next.pid } : {}) } : {}),
    }
  },
}
