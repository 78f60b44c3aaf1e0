/**
 * @module runtime/effects/sidecar-fault: a fault on one sidecar proxy (latency, bandwidth, stall, black-hole,
 * reset, http abort/delay/replace/patch): the target's ingress sidecar, or its egress sidecar for `edge`. The
 * proxy knows the fault by the effect's id. Observed: what it touched (connections, requests, chunks, bytes).
 */
import { ChaosError } from '../../errors.js'
import { invalidEffect } from '../effect.js'
import type { EffectModule } from '../effect.js'
import { checkFault } from '../proxy/toxic.js'
import type { FaultSpec } from '../proxy/toxic.js'

/** The fault types a sidecar takes, named here for injectors (which see the runtime only through its effect modules). */
export type { Direction, FaultSpec, HttpFault, HttpMatch } from '../proxy/toxic.js'

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never

/** The fault, as the proxy takes it, without its id (the effect's id is the fault's). */
export interface SidecarFaultBody {
  fault: WithoutId<FaultSpec>
}

const gone = (e: unknown): boolean => e instanceof ChaosError && (e.code === 'RUNTIME_UNKNOWN_POD' || e.code === 'RUNTIME_UNKNOWN_EDGE' || e.code === 'PROXY_NOT_FOUND')

export const effect: EffectModule<SidecarFaultBody> = {
  parse(body) {
    const fault = (body as { fault?: unknown } | undefined)?.fault
    if (typeof fault !== 'object' || fault === null || Array.isArray(fault)) throw invalidEffect('body.fault', 'expected the fault as an object, e.g. {"type": "latency", "direction": "upstream", "latencyMs": 200}')
    const type = (fault as { type?: unknown }).type
    const { id: _id, ...rest } = checkFault({ ...fault, id: 'effect' }, type === 'http' ? 'http' : 'tcp')
    return { fault: rest as WithoutId<FaultSpec> }
  },

  async apply(host, e) {
    const proxy = host.proxyFor(e.target)
    try {
      await host.dataPlane.addFault(proxy, { ...e.body.fault, id: e.id } as FaultSpec)
    } catch (err) {
      // the proxy still has it (an apply whose answer was lost): the same fault is in place
      if (!(err instanceof ChaosError && err.code === 'PROXY_FAULT_EXISTS')) throw err
    }
    return { sidecar: proxy }
  },

  async remove(host, e) {
    try {
      await host.dataPlane.removeFault(host.proxyFor(e.target), e.id)
    } catch (err) {
      if (!gone(err)) throw err
    }
  },

  async observe(host, e, snapshot) {
    let proxy: string
    try {
      proxy = host.proxyFor(e.target)
    } catch (err) {
      if (gone(err)) return { present: false }
      throw err
    }
    const f = (await snapshot.sidecarFaults()).get(proxy)?.find((x) => x.spec.id === e.id)
    if (!f) return { sidecar: proxy, present: false }
    const t = f.touched
    return { sidecar: proxy, present: true, connections: t.connections, requests: t.requests, chunks: t.chunks, bytes: t.bytes }
  },
}
