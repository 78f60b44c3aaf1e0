/**
 * @module faults/dns-chaos: DNSChaos on the local runtime: the selected pods' name lookups fail (action error) or
 * resolve to a random loopback address (action random), for the names `patterns` match (every name without
 * patterns), through the fault library preloaded into each pod (effect `dns-fault`).
 */
import { ChaosError } from '../errors.js'
import type { EffectSpec, RuntimePod } from '../runtime/client.js'
import type { Static } from '../manifest/schema-kit.js'
import type { dnsChaosSpec } from '../manifest/kinds/dns-chaos.js'
import type { DnsFaultBody } from '../runtime/effects/dns-fault.js'
import { ownedEffect } from './injector.js'
import type { FaultInjector, Injection } from './injector.js'
import { containerName } from './pod-chaos.js'

export type DNSChaosSpec = Static<typeof dnsChaosSpec>

const HINT_REMOTE = 'remove remoteCluster, or run it against a cluster with Chaos Mesh'

/**
 * Why DNSChaos cannot act on this pod, or undefined: an external service's pod (chaoscope does not run it), a
 * container name other than the pod's one, a running container that has not loaded the fault library.
 */
function unfit(spec: DNSChaosSpec, pod: RuntimePod): ChaosError | undefined {
  if (pod.external !== undefined) {
    return new ChaosError('SPEC_LOCAL_UNSUPPORTED', `pod ${pod.name} fronts the external service ${pod.service} (${pod.external}): chaoscope does not run it, so it cannot fault its name lookups`, {
      hint: 'select pods of services the App runs (with command)',
    })
  }
  const wrong = (spec.containerNames ?? []).filter((n) => n !== containerName(pod))
  if (wrong.length > 0) {
    return new ChaosError('SPEC_LOCAL_UNSUPPORTED', `spec.containerNames names ${wrong.map((n) => `"${n}"`).join(', ')}: pod ${pod.name} has one container, "${containerName(pod)}"`, {
      hint: `a local pod's container is named after its service: containerNames: ["${containerName(pod)}"], or leave containerNames out`,
    })
  }
  if (pod.faultLibrary && !pod.faultLibrary.loaded) {
    return new ChaosError('SPEC_LOCAL_UNSUPPORTED', `pod ${pod.name}: its name lookups cannot be faulted: ${pod.faultLibrary.reason ?? 'the fault library is not loaded'}`, {
      hint: 'DNSChaos acts through the fault library chaoscope preloads into pods (LD_PRELOAD): run the service as a dynamically linked program, without preload: false',
    })
  }
  return undefined
}

const effectsOf = (injection: Injection): EffectSpec[] => (injection.data.effects as EffectSpec[] | undefined) ?? []

/**
 * DNSChaos on the local runtime: one `dns-fault` effect per selected pod, held until recover (or the experiment's
 * end). Matching is Chaos Mesh's: against each query name a Kubernetes pod's resolver sends (its search domains
 * first), byte for byte, "?" one character, "*" any tail; names in /etc/hosts (localhost) are never touched.
 * Error fails the lookup as a SERVFAIL does (EAI_AGAIN); random answers an address in 127.0.0.0/8 other than
 * 127.0.0.1 (Chaos Mesh answers any IPv4 address: here nothing may leave loopback). Idempotent; recover needs only
 * the Injection.
 *
 * @example
 * const inj = await dnsChaos.inject(ctx, { key: pod.name, pod }, { action: 'error', patterns: ['echo*'], mode: 'all', selector: {} })
 * inj.evidence // { inForce: true, action: 'error', patterns: ['echo*'], lookupsAffected: 0 }
 * await dnsChaos.recover(ctx, inj)
 */
export const dnsChaos: FaultInjector<DNSChaosSpec> = {
  kind: 'DNSChaos',

  check(spec) {
    if (spec.remoteCluster) throw new ChaosError('SPEC_LOCAL_UNSUPPORTED', `spec.remoteCluster "${spec.remoteCluster}": the local runtime has no remote clusters`, { hint: HINT_REMOTE })
    // Chaos Mesh's DNS server refuses a pattern it already holds (a pattern without "*" is held with a final "." too)
    const seen = new Map<string, number>()
    ;(spec.patterns ?? []).forEach((p, i) => {
      const forms = p.includes('*') ? [p] : [p, `${p}.`]
      const earlier = forms.map((f) => seen.get(f)).find((j) => j !== undefined)
      if (earlier !== undefined) {
        throw new ChaosError('SPEC_INVALID_VALUE', `spec.patterns[${i}] "${p}" repeats spec.patterns[${earlier}] "${spec.patterns![earlier]}": Chaos Mesh's DNS server refuses a pattern twice`, {
          hint: 'list each pattern once (a pattern matches with or without the final ".")',
        })
      }
      for (const f of forms) seen.set(f, i)
    })
  },

  admit(spec, targets) {
    const problems = targets.flatMap((t) => unfit(spec, t.pod) ?? [])
    if (problems.length === 0) return
    throw new ChaosError(problems[0]!.code, problems.map((p) => p.message).join('; '), { hint: [...new Set(problems.map((p) => p.opts.hint))].join('; ') })
  },

  async inject(ctx, target, spec) {
    dnsChaos.check!(spec)
    const pod = (await ctx.runtime.pods()).find((p) => p.name === target.pod.name)
    if (!pod) throw new ChaosError('RUNTIME_UNKNOWN_POD', `pod "${target.pod.name}" no longer exists`, { hint: 'the pod was deleted after it was selected' })
    const problem = unfit(spec, pod)
    if (problem) throw problem
    const body: DnsFaultBody = { action: spec.action, patterns: [...(spec.patterns ?? [])] }
    const effect = ownedEffect(ctx, target.key, { part: 'dns', type: 'dns-fault', target: { pod: pod.name }, body })
    const outcome = await ctx.runtime.apply(effect).catch(async (e: unknown) => {
      await ctx.runtime.remove(effect.id).catch(() => undefined) // its answer may have been lost after it took effect
      throw e
    })
    return {
      kind: 'DNSChaos',
      action: spec.action,
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
    const held = (await ctx.runtime.effects({ owner: effectsOf(injection)[0]?.owner?.experiment ?? ctx.experiment.uid, ended: true })).filter((e) => ids.has(e.id))
    const last = held.find((e) => !e.ended) ?? held[held.length - 1]
    return last?.observed ? { ...last.observed, ...(last.ended ? { ended: last.ended.reason } : {}) } : injection.evidence
  },
}
