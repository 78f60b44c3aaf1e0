/**
 * @module runtime/effects/pod-failure: a pod held down (Chaos Mesh's pod-failure): its container is killed and not
 * restarted, so it is not ready and gets no traffic, until the effect is removed or expires; then it starts again
 * with a new process. Several pod-failures on one pod hold it down until the last of them is removed. Observed: the
 * pod's phase, readiness, reason, pid and restarts.
 */
import { ChaosError } from '../../errors.js'
import type { EffectModule } from '../effect.js'

export const effect: EffectModule<Record<string, never>> = {
  parse() {
    return {}
  },

  async apply(host, e) {
    const pod = host.pod(e.target.pod)
    if (pod.external !== undefined) throw new ChaosError('RUNTIME_NOT_RUNNABLE', `pod ${pod.name} fronts the external service ${pod.service}: the runtime does not run it, so it cannot hold it down`)
    const wasRunning = pod.reason !== 'PodFailure'
    host.supervisor.failPod(pod.name)
    return wasRunning && pod.pid !== undefined ? { stoppedPid: pod.pid } : {}
  },

  async remove(host, e) {
    // another pod-failure still holds the pod: it stays down until the last one goes
    if (host.holds('pod-failure', e.target.pod, e.id)) return
    if (host.supervisor.get(e.target.pod)) host.supervisor.unfailPod(e.target.pod)
  },

  async observe(host, e) {
    const pod = host.findPod(e.target.pod)
    if (!pod) return { podGone: true }
    return { phase: pod.phase, ready: pod.ready, ...(pod.reason ? { reason: pod.reason } : {}), ...(pod.pid !== undefined ? { pid: pod.pid } : {}), restartCount: pod.restartCount }
  },
}
