/** @module manifest/kinds/network-chaos: NetworkChaos (netem delay/loss/duplicate/corrupt, partition, bandwidth). */
import { defineKind } from '../kind.js'
import type { CheckContext } from '../kind.js'
import { arr, floatStr, int, obj, oneOf, opt, str } from '../schema-kit.js'
import type { Static } from '../schema-kit.js'
import { checkPodSelector, defaultSelectorNamespace, durationField, podSelectorFields, remoteClusterField } from './common.js'
import { checkPercentString, checkPort, fillEmpty } from './field-rules.js'

export const NETWORK_CHAOS_ACTIONS = ['netem', 'delay', 'loss', 'duplicate', 'corrupt', 'partition', 'bandwidth'] as const
export const DIRECTIONS = ['to', 'from', 'both'] as const
export const RATE_UNITS = ['bps', 'kbps', 'mbps', 'gbps', 'tbps', 'bit', 'kbit', 'mbit', 'gbit', 'tbit'] as const

/** The CRD's pattern for latency and jitter: a number and one unit ("90ms", "1.5s"); Chaos Mesh then parses them with Go's time.ParseDuration (format duration: no overflow). */
const NETEM_DURATION = '^[0-9]+(\\.[0-9]+)?(ns|us|ms|s|m|h)$'

const reorderSpec = obj({
  reorder: floatStr(),
  correlation: opt(floatStr()),
  gap: int({ minimum: 0 }),
})

const delaySpec = obj({
  latency: str({ pattern: NETEM_DURATION, format: 'duration' }),
  correlation: opt(floatStr()),
  jitter: opt(str({ pattern: NETEM_DURATION, format: 'duration' })),
  reorder: opt(reorderSpec),
})

const lossSpec = obj({ loss: floatStr(), correlation: opt(floatStr()) })
const duplicateSpec = obj({ duplicate: floatStr(), correlation: opt(floatStr()) })
const corruptSpec = obj({ corrupt: floatStr(), correlation: opt(floatStr()) })

const UINT32_MAX = 4_294_967_295

const bandwidthSpec = obj({
  rate: str(),
  limit: int({ minimum: 1, maximum: UINT32_MAX }),
  buffer: int({ minimum: 1, maximum: UINT32_MAX }),
  peakrate: opt(int({ minimum: 0 })),
  minburst: opt(int({ minimum: 0, maximum: UINT32_MAX })),
})

const rateSpec = obj({ rate: str() })

export const networkChaosSpec = obj({
  action: oneOf(NETWORK_CHAOS_ACTIONS),
  ...podSelectorFields,
  device: opt(str()),
  ...durationField,
  delay: opt(delaySpec),
  loss: opt(lossSpec),
  duplicate: opt(duplicateSpec),
  corrupt: opt(corruptSpec),
  bandwidth: opt(bandwidthSpec),
  rate: opt(rateSpec),
  direction: opt(oneOf(DIRECTIONS, { default: 'to' })),
  target: opt(obj({ ...podSelectorFields })),
  targetDevice: opt(str()),
  externalTargets: opt(arr(str())),
  ...remoteClusterField,
})
export type NetworkChaosSpec = Static<typeof networkChaosSpec>

/** The netem block each single-purpose action reads. */
const ACTION_BLOCK: Partial<Record<(typeof NETWORK_CHAOS_ACTIONS)[number], { field: 'delay' | 'loss' | 'duplicate' | 'corrupt' | 'bandwidth'; example: string }>> = {
  delay: { field: 'delay', example: 'delay: { latency: "100ms" }' },
  loss: { field: 'loss', example: 'loss: { loss: "25" }' },
  duplicate: { field: 'duplicate', example: 'duplicate: { duplicate: "25" }' },
  corrupt: { field: 'corrupt', example: 'corrupt: { corrupt: "25" }' },
  bandwidth: { field: 'bandwidth', example: 'bandwidth: { rate: "1mbps", limit: 20971520, buffer: 10000 }' },
}

/**
 * A tc rate as Chaos Mesh reads it: a whole number and a unit, case and surrounding spaces ignored
 * ("100kbps", "1 Mbit").
 */
export function isRate(text: string): boolean {
  const m = /^(\d+)\s*([a-z]+)$/.exec(text.trim().toLowerCase())
  if (!m || !(RATE_UNITS as readonly string[]).includes(m[2]!)) return false
  return BigInt(m[1]!) <= 18_446_744_073_709_551_615n
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/
const HOSTNAME = /^(?=.{1,253}\.?$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/

function isIPv6(s: string): boolean {
  if (!/^[0-9A-Fa-f:.]+$/.test(s) || !s.includes(':')) return false
  const parts = s.split('::')
  if (parts.length > 2) return false
  const groups = parts.flatMap((p) => (p === '' ? [] : p.split(':')))
  let count = 0
  for (const [i, g] of groups.entries()) {
    if (i === groups.length - 1 && IPV4.test(g)) count += 2
    else if (/^[0-9A-Fa-f]{1,4}$/.test(g)) count += 1
    else return false
  }
  return parts.length === 2 ? count < 8 : count === 8
}

/** Why `host` is not an IP address, a CIDR block or a host name, or undefined when it is one. */
function hostProblem(host: string): string | undefined {
  const slash = host.indexOf('/')
  if (slash >= 0) {
    const ip = host.slice(0, slash)
    const bits = host.slice(slash + 1)
    const max = IPV4.test(ip) ? 32 : isIPv6(ip) ? 128 : -1
    if (max < 0) return `${JSON.stringify(ip)} is not an IP address`
    if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return `the prefix length must be from 0 to ${max}`
    return undefined
  }
  if (IPV4.test(host) || isIPv6(host) || HOSTNAME.test(host)) return undefined
  return 'it is not an IP address, a CIDR block or a host name'
}

/** An external target: an IP, CIDR or host name, optionally with ":port" ("[ipv6]:port" for IPv6). */
function checkExternalTarget(ctx: CheckContext, i: number, target: string): void {
  const path = ['externalTargets', i]
  let host = target
  let port: string | undefined
  const bracket = /^\[([^\]]*)\]:(.*)$/.exec(target)
  if (bracket) {
    host = bracket[1]!
    port = bracket[2]!
  } else if (target.split(':').length === 2) {
    ;[host, port] = target.split(':') as [string, string]
  }
  const hint = 'write an IP ("10.0.0.1"), a CIDR block ("10.0.0.0/8") or a host name ("example.com"), optionally followed by ":port"'
  if (port !== undefined) {
    if (!/^\d+$/.test(port)) {
      ctx.issue(path, 'SPEC_INVALID_VALUE', `${JSON.stringify(target)} has an invalid port ${JSON.stringify(port)}`, hint)
      return
    }
    checkPort(ctx, path, Number(port))
  }
  const problem = host === '' ? 'the host is empty' : hostProblem(host)
  if (problem) ctx.issue(path, 'SPEC_INVALID_VALUE', `${JSON.stringify(target)} is not a valid external target: ${problem}`, hint)
}

export const networkChaos = defineKind({
  apiVersion: 'chaos-mesh.org/v1alpha1',
  kind: 'NetworkChaos',
  embedKey: 'networkChaos',
  spec: networkChaosSpec,
  defaults(spec, metadata) {
    defaultSelectorNamespace(spec, metadata)
    defaultSelectorNamespace(spec.target, metadata)
    spec.direction ??= 'to'
    // Chaos Mesh keeps only the interface name of "eth0@if12".
    if (spec.device?.includes('@')) spec.device = spec.device.slice(0, spec.device.indexOf('@'))
    fillEmpty(spec.delay, 'correlation', '0')
    fillEmpty(spec.delay, 'jitter', '0ms')
    fillEmpty(spec.delay?.reorder, 'correlation', '0')
    fillEmpty(spec.loss, 'correlation', '0')
    fillEmpty(spec.duplicate, 'correlation', '0')
    fillEmpty(spec.corrupt, 'correlation', '0')
  },
  check(spec, ctx) {
    checkPodSelector(spec, ctx)
    if (spec.target) checkPodSelector(spec.target, ctx, ['target'])

    const block = ACTION_BLOCK[spec.action]
    if (block && spec[block.field] === undefined) {
      ctx.issue([block.field], 'SPEC_REQUIRED', `action ${spec.action} needs spec.${block.field}`, `add ${block.example}`)
    }
    if (spec.action === 'netem' && !(spec.delay || spec.loss || spec.duplicate || spec.corrupt || spec.rate)) {
      ctx.issue(['action'], 'SPEC_REQUIRED', 'action netem needs at least one of delay, loss, duplicate, corrupt or rate', 'add e.g. delay: { latency: "100ms" } and loss: { loss: "25" }')
    }

    // Chaos Mesh checks direction only for the traffic-control actions; a partition may cut "from" without a target.
    const direction = spec.direction ?? 'to'
    if (spec.action !== 'partition' && direction !== 'to') {
      if (spec.externalTargets !== undefined) {
        ctx.issue(['direction'], 'SPEC_INVALID_VALUE', `direction ${direction} cannot be used with externalTargets in action ${spec.action}`, 'use direction: to with externalTargets')
      }
      if (spec.target === undefined) {
        ctx.issue(['direction'], 'SPEC_INVALID_VALUE', `direction ${direction} needs spec.target in action ${spec.action}`, 'add target: { mode: all, selector: { ... } } naming the pods on the other side, or use direction: to')
      }
    }

    checkPercentString(ctx, ['delay', 'correlation'], spec.delay?.correlation)
    checkPercentString(ctx, ['delay', 'reorder', 'reorder'], spec.delay?.reorder?.reorder, { required: true })
    checkPercentString(ctx, ['delay', 'reorder', 'correlation'], spec.delay?.reorder?.correlation)
    checkPercentString(ctx, ['loss', 'loss'], spec.loss?.loss, { required: true })
    checkPercentString(ctx, ['loss', 'correlation'], spec.loss?.correlation)
    checkPercentString(ctx, ['duplicate', 'duplicate'], spec.duplicate?.duplicate, { required: true })
    checkPercentString(ctx, ['duplicate', 'correlation'], spec.duplicate?.correlation)
    checkPercentString(ctx, ['corrupt', 'corrupt'], spec.corrupt?.corrupt, { required: true })
    checkPercentString(ctx, ['corrupt', 'correlation'], spec.corrupt?.correlation)

    for (const [path, rate] of [[['bandwidth', 'rate'], spec.bandwidth?.rate], [['rate', 'rate'], spec.rate?.rate]] as const) {
      if (rate !== undefined && !isRate(rate)) {
        ctx.issue(path, 'SPEC_INVALID_VALUE', `expected a rate like "1mbps", got ${JSON.stringify(rate)}`, `write a whole number and one of the units ${RATE_UNITS.join(', ')}`)
      }
    }

    spec.externalTargets?.forEach((t, i) => checkExternalTarget(ctx, i, t))
  },
})
