/**
 * @module faults/dns-chaos: DNSChaos on the local runtime: the selected pods' name lookups fail (action error) or
 * resolve to a random loopback address (action random), for the names `patterns` match (every name without
 * patterns), through the fault library preloaded into each pod (effect `dns-fault`).
 */
import { ChaosError } from '../errors.js'
import type { Static } from '../manifest/schema-kit.js'
import type { dnsChaosSpec } from '../manifest/kinds/dns-chaos.js'
import type { DnsFaultBody } from '../runtime/effects/dns-fault.js'
import { ownedEffect } from './injector.js'
import type { FaultInjector } from './injector.js'
import { applyHeld, effectsOf, podNow, recoverEffects, refuseRemoteCluster, unfitPods } from './in-pod.js'
import type { InPodKind } from './in-pod.js'

export type DNSChaosSpec = Static<typeof dnsChaosSpec>

const DNS: InPodKind = { kind: 'DNSChaos', verb: 'fault its name lookups', withoutLibrary: 'its name lookups cannot be faulted' }


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
    refuseRemoteCluster(spec)
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
    const unfit = unfitPods(DNS, spec, targets.map((t) => t.pod))
    if (unfit) throw unfit
  },

  async inject(ctx, target, spec) {
    dnsChaos.check!(spec)
    const pod = await podNow(DNS, ctx, target, spec)
    const body: DnsFaultBody = { action: spec.action, patterns: [...(spec.patterns ?? [])] }
    const effect = ownedEffect(ctx, target.key, { part: 'dns', type: 'dns-fault', target: { pod: pod.name }, body })
    const observed = await applyHeld(ctx, effect)
    return {
      kind: 'DNSChaos',
      action: spec.action,
      targetKey: target.key,
      pod: pod.name,
      data: { effects: [effect] },
      evidence: observed,
    }
  },

  recover: recoverEffects,

  async evidence(ctx, injection) {
    const ids = new Set(effectsOf(injection).map((e) => e.id))
    const held = (await ctx.runtime.effects({ owner: effectsOf(injection)[0]?.owner?.experiment ?? ctx.experiment.uid, ended: true })).filter((e) => ids.has(e.id))
    const last = held.find((e) => !e.ended) ?? held[held.length - 1]
    return last?.observed ? { ...last.observed, ...(last.ended ? { ended: last.ended.reason } : {}) } : injection.evidence
  },
}
