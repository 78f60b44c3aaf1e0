/**
 * @module faults/pod-chaos: PodChaos on the local runtime: pod-kill (delete, replaced by its service),
 * container-kill (SIGKILL, restarted by policy), pod-failure (held down for the duration).
 */
import { ChaosError } from '../errors.js'
import type { RuntimeClient, RuntimePod } from '../runtime/client.js'
import type { Static } from '../manifest/schema-kit.js'
import type { podChaosSpec } from '../manifest/kinds/pod-chaos.js'
import { ownedEffect } from './injector.js'
import type { FaultContext, FaultInjector, Injection, Target } from './injector.js'

export type PodChaosSpec = Static<typeof podChaosSpec>
type Action = PodChaosSpec['action']

/** The longest pod-kill grace period the runtime holds, in seconds: 2^31-1 ms. */
const MAX_GRACE_SECONDS = Math.floor((2 ** 31 - 1) / 1000)

/** The one container of a local pod is named after its service. */
export const containerName = (pod: Pick<RuntimePod, 'service'>): string => pod.service

function runnable(pod: RuntimePod): void {
  if (pod.external !== undefined) {
    throw new ChaosError('SPEC_LOCAL_UNSUPPORTED', `pod ${pod.name} fronts the external service ${pod.service} (${pod.external}): chaoscope does not run it, so it cannot kill or fail it`, {
      hint: 'select pods of services the App runs (with command), or use NetworkChaos partition on the external',
    })
  }
}

async function findPod(runtime: RuntimeClient, name: string): Promise<RuntimePod | undefined> {
  return (await runtime.pods()).find((p) => p.name === name)
}

const result = (target: Target, action: Action, data: Record<string, unknown>, evidence: Record<string, unknown>): Injection => ({
  kind: 'PodChaos',
  action,
  targetKey: target.key,
  pod: target.pod.name,
  data,
  evidence,
})

/** The actions, each an injector of its own (a plain table, no reflection). */
const actions: Record<Action, Pick<FaultInjector<PodChaosSpec>, 'inject' | 'recover' | 'evidence'>> = {
  /**
   * Deletes the pod (SIGTERM, then SIGKILL after `gracePeriod` seconds; 0 or absent: SIGKILL at once, as Chaos
   * Mesh deletes with a grace period of 0). Its service creates a replacement pod with a new name, as a
   * ReplicaSet does. One-shot; a pod already gone is not deleted twice (and no other pod is).
   */
  'pod-kill': {
    async inject(ctx, target, spec) {
      const data = { gracePeriodMs: (spec.gracePeriod ?? 0) * 1000 }
      const pod = await findPod(ctx.runtime, target.pod.name)
      if (!pod) return result(target, 'pod-kill', data, { killedPod: target.pod.name, alreadyGone: true })
      runnable(pod)
      const outcome = await ctx.runtime.apply(ownedEffect(ctx, target.key, { part: 'pod-kill', type: 'pod-kill', target: { pod: pod.name }, body: data }))
      return result(target, 'pod-kill', data, outcome.held ? {} : outcome.result)
    },
    async recover() {},
    async evidence(ctx, injection) {
      const e = { ...(injection.evidence ?? {}) }
      const name = e.replacementPod as string | undefined
      if (name) {
        const next = await findPod(ctx.runtime, name)
        if (next) Object.assign(e, { replacementPid: next.pid, replacementReady: next.ready, replacementPhase: next.phase })
      }
      return e
    },
  },

  /**
   * SIGKILL to the pod's container (its main process and process group); the service's restartPolicy decides what
   * follows (Always: restarted, with a new pid and restartCount + 1). One-shot. A local pod has one container,
   * named after its service: containerNames must name it. Idempotent against the target as selected: when the
   * container that was running at selection (its pid) is no longer the running one, it was already killed.
   */
  'container-kill': {
    async inject(ctx, target, spec) {
      const pod = await findPod(ctx.runtime, target.pod.name)
      if (!pod) return result(target, 'container-kill', { container: containerName(target.pod) }, { alreadyGone: true })
      runnable(pod)
      const wrong = (spec.containerNames ?? []).filter((n) => n !== containerName(pod))
      if (wrong.length > 0) {
        throw new ChaosError('SPEC_INVALID_VALUE', `pod ${pod.name} has one container, "${containerName(pod)}"; spec.containerNames names ${wrong.map((n) => `"${n}"`).join(', ')}`, {
          hint: `a local pod's container is named after its service: containerNames: ["${containerName(pod)}"]`,
        })
      }
      const data = { container: containerName(pod) }
      const selectedPid = target.pod.pid
      if (selectedPid !== undefined && pod.pid !== selectedPid) {
        return result(target, 'container-kill', data, { killedPid: selectedPid, alreadyKilled: true, ...(pod.pid !== undefined ? { restartedPid: pod.pid } : {}), restartCount: pod.restartCount })
      }
      const outcome = await ctx.runtime.apply(
        ownedEffect(ctx, target.key, { part: 'container-kill', type: 'container-kill', target: { pod: pod.name }, body: { signal: 'SIGKILL', ...(pod.pid !== undefined ? { pid: pod.pid } : {}) } }),
      )
      return result(target, 'container-kill', data, outcome.held ? {} : outcome.result)
    },
    async recover() {},
    async evidence(ctx, injection) {
      const pod = await findPod(ctx.runtime, injection.pod)
      if (!pod) return { ...injection.evidence, podGone: true }
      return { ...injection.evidence, ...(pod.pid !== undefined && pod.pid !== injection.evidence?.killedPid ? { restartedPid: pod.pid } : {}), restartCount: pod.restartCount, ready: pod.ready }
    },
  },

  /**
   * The pod is held down for the experiment's duration: its container is killed and not restarted (not ready,
   * reason PodFailure), so no traffic reaches it. Recover releases it: it starts again with a new pid. Failing a
   * failed pod, and releasing a released or deleted one, do nothing.
   */
  'pod-failure': {
    async inject(ctx, target) {
      const pod = await findPod(ctx.runtime, target.pod.name)
      if (!pod) throw new ChaosError('RUNTIME_UNKNOWN_POD', `pod "${target.pod.name}" no longer exists`, { hint: 'the pod was deleted after it was selected' })
      runnable(pod)
      const effect = ownedEffect(ctx, target.key, { part: 'pod-failure', type: 'pod-failure', target: { pod: pod.name }, body: {} })
      const outcome = await ctx.runtime.apply(effect).catch(async (e: unknown) => {
        await ctx.runtime.remove(effect.id).catch(() => undefined) // its answer may have been lost after it took effect; the error below is what counts
        throw e
      })
      return result(target, 'pod-failure', { effects: [effect] }, outcome.held ? (outcome.effect.observed ?? {}) : {})
    },
    async recover(ctx, injection) {
      for (const e of (injection.data.effects as { id: string }[] | undefined) ?? []) await ctx.runtime.remove(e.id)
    },
    async evidence(ctx, injection) {
      const pod = await findPod(ctx.runtime, injection.pod)
      if (!pod) return { ...injection.evidence, podGone: true }
      return { ...injection.evidence, phase: pod.phase, ready: pod.ready, ...(pod.reason ? { reason: pod.reason } : {}), ...(pod.pid !== undefined ? { pid: pod.pid } : {}), restartCount: pod.restartCount }
    },
  },
}

/**
 * PodChaos on the local runtime, one action per entry of a table. pod-kill and container-kill are one-shot
 * (nothing to recover); pod-failure lasts until recover. Pods of external services are refused.
 *
 * @example
 * const inj = await podChaos.inject(ctx, { key: pod.name, pod }, { action: 'pod-kill', mode: 'one', selector: {} })
 * inj.evidence // { killedPod, killedPid, replacementPod, replacementPid }
 */
export const podChaos: FaultInjector<PodChaosSpec> = {
  kind: 'PodChaos',
  check(spec) {
    if (spec.remoteCluster) {
      throw new ChaosError('SPEC_LOCAL_UNSUPPORTED', `spec.remoteCluster "${spec.remoteCluster}": the local runtime has no remote clusters`, { hint: 'remove remoteCluster, or run it against a cluster with Chaos Mesh' })
    }
    // the runtime waits out a grace period with one timer: at most 2^31-1 ms
    if (spec.action === 'pod-kill' && spec.gracePeriod !== undefined && spec.gracePeriod > MAX_GRACE_SECONDS) {
      throw new ChaosError('SPEC_LOCAL_UNSUPPORTED', `spec.gracePeriod ${spec.gracePeriod}: the local runtime waits at most ${MAX_GRACE_SECONDS} seconds (about 24.8 days) before SIGKILL`, { hint: `write gracePeriod: ${MAX_GRACE_SECONDS} or less` })
    }
  },
  oneShot(spec) {
    return spec.action === 'pod-kill' || spec.action === 'container-kill'
  },
  inject(ctx, target, spec) {
    podChaos.check!(spec)
    return actions[spec.action].inject(ctx, target, spec)
  },
  recover(ctx: FaultContext, injection: Injection) {
    return actions[injection.action as Action]?.recover(ctx, injection) ?? Promise.resolve()
  },
  async evidence(ctx, injection) {
    return actions[injection.action as Action]?.evidence?.(ctx, injection)
  },
}
