/**
 * @module faults/network-chaos: NetworkChaos on the local runtime, as faults on the sidecars the selected pods'
 * traffic passes through (delay, loss, duplicate, corrupt, bandwidth, partition, netem).
 */
import { ChaosError } from '../errors.js'
import type { RuntimePod } from '../runtime/client.js'
import type { Direction, FaultSpec } from '../runtime/effects/sidecar-fault.js'
import { parseDuration } from '../manifest/duration.js'
import type { NetworkChaosSpec } from '../manifest/kinds/network-chaos.js'
import { ownedEffect } from './injector.js'
import type { FaultInjector } from './injector.js'
import { applyAll, checkHeldDelay, percentOf, plannedEffects, removeAll, sidecarEvidence, targetName } from './sidecar.js'
import type { SidecarEffect } from './sidecar.js'

/** How long a lost (or corrupted, or duplicated) segment holds the stream: Linux's minimum retransmission timeout. */
export const RTO_MS = 200

/**
 * A Chaos Mesh rate in bytes per second, read as Chaos Mesh reads it: `bps`, `kbps`, `mbps`, `gbps`, `tbps` are
 * bytes per second in steps of 1024; `bit`, `kbit`, `mbit`, `gbit`, `tbit` are bits per second in steps of 1000.
 * Case and spaces are ignored. Undefined when the text is not a rate.
 *
 * @example parseRate('1mbps') === 1_048_576; parseRate('8kbit') === 1000
 */
export function parseRate(text: string): number | undefined {
  const m = /^(\d+)\s*([a-z]+)$/.exec(text.trim().toLowerCase())
  if (!m) return undefined
  const n = Number(m[1])
  const bytes: Record<string, number> = { bps: 1, kbps: 1024, mbps: 1024 ** 2, gbps: 1024 ** 3, tbps: 1024 ** 4 }
  const bits: Record<string, number> = { bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9, tbit: 1e12 }
  const unit = m[2]!
  if (bytes[unit] !== undefined) return n * bytes[unit]
  if (bits[unit] !== undefined) return Math.floor((n * bits[unit]) / 8)
  return undefined
}

const pct = (text: string | undefined): number => (text === undefined || text === '' ? 0 : Math.min(100, Math.max(0, Number(text))))

function ms(field: string, text: string | undefined): number {
  if (text === undefined || text === '') return 0
  const v = parseDuration(text)
  if (v === undefined || v < 0) throw new ChaosError('SPEC_INVALID_DURATION', `${field}: expected a duration like "100ms", got ${JSON.stringify(text)}`)
  return v
}

/** A fault without its id, direction and scope: what one part of the action does to the bytes. */
type FaultBody = { part: string } & (
  | Omit<Extract<FaultSpec, { type: 'latency' }>, 'id' | 'direction'>
  | Omit<Extract<FaultSpec, { type: 'stall' }>, 'id' | 'direction'>
  | Omit<Extract<FaultSpec, { type: 'bandwidth' }>, 'id' | 'direction'>
  | Omit<Extract<FaultSpec, { type: 'blackhole' }>, 'id' | 'direction'>
)

/**
 * The sidecar faults one NetworkChaos action stands for. The netem actions (netem, delay, loss, duplicate,
 * corrupt) apply every netem block the spec gives, as Chaos Mesh builds one netem qdisc from all of them.
 */
export function faultBodies(spec: NetworkChaosSpec): FaultBody[] {
  switch (spec.action) {
    case 'partition':
      return [{ part: 'partition', type: 'blackhole' }]
    case 'bandwidth': {
      const b = spec.bandwidth!
      return [{ part: 'bandwidth', type: 'bandwidth', rate: parseRate(b.rate)!, limit: b.limit, buffer: b.buffer }]
    }
    default: {
      const out: FaultBody[] = []
      const d = spec.delay
      if (d) {
        const reorder = d.reorder ? { reorder: pct(d.reorder.reorder), reorderCorrelation: pct(d.reorder.correlation), reorderGap: d.reorder.gap } : {}
        out.push({ part: 'delay', type: 'latency', latencyMs: ms('delay.latency', d.latency), jitterMs: ms('delay.jitter', d.jitter), correlation: pct(d.correlation), ...reorder })
      }
      if (spec.loss) out.push({ part: 'loss', type: 'stall', probability: pct(spec.loss.loss), rtoMs: RTO_MS })
      if (spec.duplicate) out.push({ part: 'duplicate', type: 'stall', probability: pct(spec.duplicate.duplicate), rtoMs: RTO_MS })
      if (spec.corrupt) out.push({ part: 'corrupt', type: 'stall', probability: pct(spec.corrupt.corrupt), rtoMs: RTO_MS })
      if (spec.rate) out.push({ part: 'rate', type: 'bandwidth', rate: parseRate(spec.rate.rate)! })
      return out
    }
  }
}

/** One sidecar a fault goes on, the direction of its bytes it acts on, and the upstreams it is limited to. */
export interface Leg {
  pod: string
  /** Absent: the pod's ingress sidecar. */
  edge?: string
  direction: Direction
  upstreams?: string[]
}

/** `host[:port]` or an IPv4 CIDR block (with an optional port) against an external's `host:port`. */
export function externalMatches(target: string, address: string): boolean {
  const i = address.lastIndexOf(':')
  const host = address.slice(0, i).replace(/^\[|\]$/g, '')
  const port = address.slice(i + 1)
  let want = target
  let wantPort: string | undefined
  const bracket = /^\[([^\]]*)\](?::(\d+))?$/.exec(target)
  if (bracket) {
    want = bracket[1]!
    wantPort = bracket[2]
  } else if (target.split(':').length === 2) {
    ;[want, wantPort] = target.split(':') as [string, string]
  }
  if (wantPort !== undefined && wantPort !== port) return false
  const cidr = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(want)
  if (cidr) {
    const ip = (s: string) => s.split('.').reduce((n, o) => n * 256 + Number(o), 0)
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(host)) return false
    const bits = Number(cidr[2])
    const block = 2 ** (32 - bits)
    return Math.floor(ip(host) / block) === Math.floor(ip(cidr[1]!) / block)
  }
  return want.toLowerCase() === host.toLowerCase() || (want === 'localhost' && host === '127.0.0.1')
}

/** The App's external pseudo-pods that `spec.externalTargets` name (matched by address), and the names that match none. */
export function resolveExternals(pods: readonly RuntimePod[], externalTargets: readonly string[] | undefined): { externals: RuntimePod[]; unmatched: string[] } {
  const externals: RuntimePod[] = []
  const unmatched: string[] = []
  for (const t of externalTargets ?? []) {
    const hits = pods.filter((p) => p.external !== undefined && externalMatches(t, p.external))
    if (hits.length === 0) unmatched.push(t)
    for (const h of hits) if (!externals.some((e) => e.name === h.name)) externals.push(h)
  }
  return { externals, unmatched }
}

const flip = (d: Direction): Direction => (d === 'upstream' ? 'downstream' : d === 'downstream' ? 'upstream' : 'both')

/**
 * Where the faults for one selected pod go. `direction` speaks of the selected pod (`to`: bytes it sends,
 * `from`: bytes it receives); sidecar directions speak of the connection (`upstream`: bytes from the side that
 * connected). So on the pod's own egress sidecars and on peers' egress sidecars toward it the two flip.
 *
 * Without peers (no `target`, no `externalTargets`): every egress sidecar of the pod and its ingress sidecar.
 * With peers: the pod's egress sidecar toward each peer's service, limited to the peers' addresses, and each
 * peer's egress sidecar toward the pod's service, limited to the pod's address. Peers with neither are
 * returned in `noPath`.
 */
export function planLegs(direction: 'to' | 'from' | 'both', pod: RuntimePod, peers: readonly RuntimePod[] | undefined): { legs: Leg[]; noPath: string[] } {
  const out: Direction = direction === 'to' ? 'upstream' : direction === 'from' ? 'downstream' : 'both'
  if (peers === undefined) {
    const legs: Leg[] = (pod.dependencies ?? []).map((edge) => ({ pod: pod.name, edge, direction: out }))
    legs.push({ pod: pod.name, direction: flip(out) })
    return { legs, noPath: [] }
  }
  const legs: Leg[] = []
  const noPath: string[] = []
  const byService = new Map<string, string[]>()
  for (const p of peers) {
    if (p.name === pod.name) continue
    let path = false
    if ((pod.dependencies ?? []).includes(p.service) && p.address) {
      byService.set(p.service, [...(byService.get(p.service) ?? []), p.address])
      path = true
    }
    if ((p.dependencies ?? []).includes(pod.service) && pod.address) {
      legs.push({ pod: p.name, edge: pod.service, direction: flip(out), upstreams: [pod.address] })
      path = true
    }
    if (!path) noPath.push(p.name)
  }
  for (const [service, addresses] of byService) legs.unshift({ pod: pod.name, edge: service, direction: out, upstreams: addresses.sort() })
  return { legs, noPath }
}

const DEFAULT_DEVICES = new Set(['', 'eth0'])

/**
 * NetworkChaos on the local runtime. Every byte between pods passes sidecars (see docs/faults/network-chaos.md):
 *
 * ```
 *   pod A ──▶ A's egress sidecar for B's service ──▶ B's ingress sidecar ──▶ pod B
 *             (upstream: A's request bytes, downstream: B's reply bytes)
 * ```
 * so "bytes leaving A toward B" are the upstream bytes of A's egress sidecar (connections A opened) and the
 * downstream bytes of B's egress sidecar toward A (replies to connections B opened), each limited by the
 * fault's `upstreams` to the selected pods' addresses. Actions map to sidecar faults:
 * - delay → latency (latency, jitter, correlation; reorder lets a share of chunks skip the delay, order kept);
 *   latency and jitter of at most 1h each (SIDECAR_MAX_DELAY_MS; longer ones are refused by check);
 * - loss, corrupt, duplicate → stall: with the given probability a chunk holds the stream for an RTO (200 ms),
 *   what TCP shows an application when a segment is lost or dropped for a bad checksum. A duplicate segment
 *   is discarded by TCP; it is emulated the same way so that the experiment still has an effect (documented);
 *   `correlation` of these three is accepted and not emulated;
 * - bandwidth (and netem `rate`) → token bucket: rate as Chaos Mesh parses it, buffer = burst, limit = bytes
 *   queued before the sender is paused; peakrate and minburst are accepted and not emulated;
 * - partition → blackhole on the named direction only.
 * The annotation `chaoscope.dev/percent` limits every fault to that share of connections (requests on http
 * sidecars). Idempotent; recover needs only the Injection (its `data.faults` lists every fault and sidecar).
 *
 * @example
 * const inj = await networkChaos.inject(ctx, { key: pod.name, pod }, spec)   // spec: validated, defaults applied
 * await networkChaos.recover(ctx, inj)
 */
export const networkChaos: FaultInjector<NetworkChaosSpec> = {
  kind: 'NetworkChaos',

  check(spec) {
    const refuse = (why: string): never => {
      throw new ChaosError('SPEC_LOCAL_UNSUPPORTED', why, { hint: 'remove the field to run the experiment on the local runtime, or run it against a cluster with Chaos Mesh' })
    }
    if (spec.remoteCluster) refuse(`spec.remoteCluster "${spec.remoteCluster}": the local runtime has no remote clusters`)
    if (spec.device !== undefined && !DEFAULT_DEVICES.has(spec.device)) {
      refuse(`spec.device "${spec.device}": local pods have one network path (their sidecars), not devices; faults act on every connection`)
    }
    if (spec.targetDevice !== undefined && !DEFAULT_DEVICES.has(spec.targetDevice)) {
      refuse(`spec.targetDevice "${spec.targetDevice}": local pods have one network path (their sidecars), not devices`)
    }
    if (spec.delay && spec.action !== 'partition' && spec.action !== 'bandwidth') {
      checkHeldDelay('spec.delay.latency', spec.delay.latency, ms('spec.delay.latency', spec.delay.latency))
      if (spec.delay.jitter !== undefined) checkHeldDelay('spec.delay.jitter', spec.delay.jitter, ms('spec.delay.jitter', spec.delay.jitter))
    }
    for (const [field, rate] of [['bandwidth.rate', spec.bandwidth?.rate], ['rate.rate', spec.rate?.rate]] as const) {
      if (rate !== undefined && !(parseRate(rate)! >= 1)) {
        throw new ChaosError('SPEC_INVALID_VALUE', `spec.${field}: ${JSON.stringify(rate)} is not a rate of at least 1 byte per second`, { hint: 'write e.g. "1mbps" (bytes) or "8mbit" (bits)' })
      }
    }
  },

  async inject(ctx, target, spec) {
    networkChaos.check!(spec)
    const percent = percentOf(ctx.experiment.annotations)
    const pods = await ctx.runtime.pods()
    const pod = pods.find((p) => p.name === target.pod.name)
    if (!pod) throw new ChaosError('RUNTIME_UNKNOWN_POD', `pod "${target.pod.name}" no longer exists`, { hint: 'the pod was deleted after it was selected' })
    const scoped = spec.target !== undefined || (spec.externalTargets?.length ?? 0) > 0
    let peers: RuntimePod[] | undefined
    let unmatched: string[] = []
    if (scoped) {
      peers = []
      for (const p of target.peers ?? []) {
        const now = pods.find((x) => x.name === p.name)
        if (now) peers.push(now)
      }
      let externals = target.externals
      if (externals === undefined && spec.externalTargets) {
        const r = resolveExternals(pods, spec.externalTargets)
        externals = r.externals
        unmatched = r.unmatched
      }
      for (const e of externals ?? []) if (!peers.some((p) => p.name === e.name)) peers.push(pods.find((x) => x.name === e.name) ?? e)
    }
    const { legs, noPath } = planLegs(spec.direction ?? 'to', pod, peers)
    if (legs.length === 0) {
      const what = [...noPath.map((n) => `pod ${n}`), ...unmatched.map((t) => `external target ${t}`)].join(', ') || 'the selected targets'
      throw new ChaosError('RUNTIME_UNKNOWN_EDGE', `pod ${pod.name} (service ${pod.service}) exchanges no traffic with ${what}: no sidecar carries bytes between them, so the fault would do nothing`, {
        hint: unmatched.length > 0 ? `externalTargets match the App's external services by address; the App has ${pods.filter((p) => p.external).map((p) => p.external).join(', ') || 'none'}` : `service ${pod.service} calls ${pod.dependencies?.join(', ') || 'nothing'}`,
      })
    }
    const plan: SidecarEffect[] = []
    for (const body of faultBodies(spec)) {
      const { part, ...rest } = body
      for (const leg of legs) {
        const fault = { ...rest, direction: leg.direction, ...(leg.upstreams ? { upstreams: leg.upstreams } : {}), ...(percent !== undefined ? { percent } : {}) } as Omit<FaultSpec, 'id'>
        const where = { pod: leg.pod, ...(leg.edge !== undefined ? { edge: leg.edge } : {}) }
        plan.push(ownedEffect(ctx, target.key, { part, where: targetName(where), type: 'sidecar-fault', target: where, body: { fault } as SidecarEffect['body'] }))
      }
    }
    await applyAll(ctx.runtime, plan)
    return {
      kind: 'NetworkChaos',
      action: spec.action,
      targetKey: target.key,
      pod: pod.name,
      data: { effects: plan, ...(noPath.length ? { peersWithoutPath: noPath } : {}), ...(unmatched.length ? { unmatchedExternalTargets: unmatched } : {}) },
      evidence: { sidecars: [...new Set(plan.map((p) => targetName(p.target)))] },
    }
  },

  async recover(ctx, injection) {
    await removeAll(ctx.runtime, plannedEffects(injection))
  },

  async evidence(ctx, injection) {
    return { ...(await sidecarEvidence(ctx, injection)) }
  },
}
