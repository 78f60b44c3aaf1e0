/**
 * @module runtime/effects/container-kill: a signal (default SIGKILL) to a pod's container, its main process and
 * process group; the service's restartPolicy decides what follows. One-shot. With `pid`, idempotent against the
 * container as it was selected: when another process runs now, that one was already killed and nothing is sent.
 */
import { ChaosError } from '../../errors.js'
import { invalidEffect } from '../effect.js'
import type { EffectModule } from '../effect.js'

/** The signals a container-kill may send (Chaos Mesh's sends SIGKILL). */
const ENDING = new Set(['SIGKILL', 'SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP'])

export interface ContainerKillBody {
  signal?: NodeJS.Signals
  /** The pid the caller saw: kill only while it is still the running one. */
  pid?: number
}

export const effect: EffectModule<ContainerKillBody> = {
  oneShot: true,

  parse(body) {
    const b = (body ?? {}) as Record<string, unknown>
    // only signals that end the process: a SIGSTOP would freeze the pod for ever while it still shows Running
    if (b.signal !== undefined && !(typeof b.signal === 'string' && ENDING.has(b.signal))) throw invalidEffect('body.signal', `expected a signal that ends the process: ${[...ENDING].join(', ')}`)
    if (b.pid !== undefined && !(typeof b.pid === 'number' && Number.isInteger(b.pid) && b.pid > 0)) throw invalidEffect('body.pid', 'expected a process id')
    return { ...(b.signal !== undefined ? { signal: b.signal as NodeJS.Signals } : {}), ...(b.pid !== undefined ? { pid: b.pid as number } : {}) }
  },

  async apply(host, e) {
    const pod = host.findPod(e.target.pod)
    if (!pod) return { alreadyGone: true }
    if (pod.external !== undefined) throw new ChaosError('RUNTIME_NOT_RUNNABLE', `pod ${pod.name} fronts the external service ${pod.service}: the runtime does not run it, so it cannot kill it`)
    if (e.body.pid !== undefined && pod.pid !== e.body.pid) {
      return { killedPid: e.body.pid, alreadyKilled: true, ...(pod.pid !== undefined ? { restartedPid: pod.pid } : {}), restartCount: pod.restartCount }
    }
    const killed = host.supervisor.killPod(pod.name, e.body.signal ?? 'SIGKILL')
    return { ...(pod.pid !== undefined ? { killedPid: pod.pid } : {}), killed, restartCountBefore: pod.restartCount }
  },
}
