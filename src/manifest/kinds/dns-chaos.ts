/** @module manifest/kinds/dns-chaos: DNSChaos (error or random answers for matching domain names). */
import { defineKind } from '../kind.js'
import { arr, obj, oneOf, opt, str } from '../schema-kit.js'
import type { Static } from '../schema-kit.js'
import { checkPodSelector, containerSelectorFields, defaultSelectorNamespace, durationField, remoteClusterField } from './common.js'

export const DNS_CHAOS_ACTIONS = ['error', 'random'] as const

export const dnsChaosSpec = obj({
  action: oneOf(DNS_CHAOS_ACTIONS),
  ...containerSelectorFields,
  ...durationField,
  patterns: opt(arr(str())),
  ...remoteClusterField,
})
export type DNSChaosSpec = Static<typeof dnsChaosSpec>

const PATTERN_CHARS = /^[A-Za-z0-9._?*-]+$/

/**
 * Why a domain pattern is not one Chaos Mesh's DNS server can match, or undefined. Patterns are domain names
 * where "?" stands for one character and "*" for any tail; "*" may only come last.
 */
export function domainPatternProblem(p: string): string | undefined {
  if (p === '') return 'the pattern is empty'
  if (!PATTERN_CHARS.test(p)) return 'a pattern holds letters, digits, ".", "-", "_" and the wildcards "?" and "*"'
  const star = p.indexOf('*')
  if (star >= 0 && star !== p.length - 1) return 'the wildcard "*" may only be the last character'
  return undefined
}

export const dnsChaos = defineKind({
  apiVersion: 'chaos-mesh.org/v1alpha1',
  kind: 'DNSChaos',
  embedKey: 'dnsChaos',
  spec: dnsChaosSpec,
  defaults(spec, metadata) {
    defaultSelectorNamespace(spec, metadata)
  },
  check(spec, ctx) {
    checkPodSelector(spec, ctx)
    spec.patterns?.forEach((p, i) => {
      const problem = domainPatternProblem(p)
      if (problem) {
        ctx.issue(['patterns', i], 'SPEC_INVALID_VALUE', `${JSON.stringify(p)} is not a valid domain pattern: ${problem}`, 'write a domain name like "example.com", "chaos-mes?.org" or "example.*"; leave patterns out to affect every name')
      }
    })
  },
})
