/**
 * @module faults/sidecar: what the NetworkChaos and HTTPChaos injectors share: putting a planned set of sidecar
 * faults in place (idempotent, all or nothing), taking them away, reading what they touched, and the
 * `chaoscope.dev/percent` annotation.
 */
import { ChaosError } from '../errors.js'
import type { RuntimeClient, FaultOptions } from '../runtime/client.js'
import type { FaultTarget } from '../runtime/local-runtime.js'
import type { FaultSpec } from '../runtime/proxy/toxic.js'
import type { FaultContext, Injection } from './injector.js'

/** One fault on one sidecar: the plan an injector makes, stored whole in its Injection. */
export interface PlannedFault {
  target: FaultTarget
  fault: FaultSpec
}

/** The annotation that limits a fault to a share of connections (tcp) or requests (http). */
export const PERCENT_ANNOTATION = 'chaoscope.dev/percent'

/**
 * The share set by `chaoscope.dev/percent` (a number from 0 to 100, e.g. "10" or "2.5"), or undefined when the
 * annotation is absent. Throws SPEC_INVALID_VALUE for anything else.
 */
export function percentOf(annotations: Record<string, string> | undefined): number | undefined {
  const text = annotations?.[PERCENT_ANNOTATION]
  if (text === undefined) return undefined
  const n = Number(text.trim())
  if (text.trim() === '' || !Number.isFinite(n) || n < 0 || n > 100) {
    throw new ChaosError('SPEC_INVALID_VALUE', `annotation ${PERCENT_ANNOTATION}: expected a number from 0 to 100, got ${JSON.stringify(text)}`, {
      hint: `write e.g. ${PERCENT_ANNOTATION}: "10" to act on 10% of requests or connections`,
    })
  }
  return n
}

/** `pod` or `pod>edge`: how a fault target is shown in evidence and messages. */
export function targetName(t: FaultTarget): string {
  return t.edge === undefined ? t.pod : `${t.pod}>${t.edge}`
}

/**
 * Adds every planned fault. Idempotent: a fault already present (same id on the same sidecar) counts as added.
 * All or nothing: when one cannot be added, those this call added are removed again before the error is thrown.
 */
export async function addFaults(runtime: RuntimeClient, plan: readonly PlannedFault[], opts: FaultOptions = {}): Promise<void> {
  const added: PlannedFault[] = []
  try {
    for (const p of plan) {
      try {
        await runtime.addFault(p.target, p.fault, opts)
        added.push(p)
      } catch (e) {
        if (e instanceof ChaosError && e.code === 'PROXY_FAULT_EXISTS') continue
        throw e
      }
    }
  } catch (e) {
    await removeFaults(runtime, added).catch(() => undefined)
    throw e
  }
}

/** Removes every planned fault; one already gone (or whose pod is gone) counts as removed. Returns how many were there. */
export async function removeFaults(runtime: RuntimeClient, plan: readonly PlannedFault[]): Promise<number> {
  let removed = 0
  for (const p of plan) if (await runtime.removeFault(p.target, p.fault.id)) removed++
  return removed
}

/** The plan stored in an Injection made by {@link addFaults}' callers (`data.faults`). */
export function plannedFaults(injection: Injection): PlannedFault[] {
  const list = injection.data.faults
  return Array.isArray(list) ? (list as PlannedFault[]) : []
}

/** What the faults of a plan touched so far, per sidecar and in total, read from the data path now. */
export interface SidecarEvidence {
  /** Faults of the plan present on the sidecars now. */
  active: number
  connections: number
  requests: number
  chunks: number
  bytes: number
  faults: { sidecar: string; id: string; type: string; direction: string; connections: number; requests: number; chunks: number; bytes: number }[]
}

export async function sidecarEvidence(ctx: FaultContext, injection: Injection): Promise<SidecarEvidence> {
  const plan = plannedFaults(injection)
  const wanted = new Set(plan.map((p) => `${targetName(p.target)}\u0000${p.fault.id}`))
  const out: SidecarEvidence = { active: 0, connections: 0, requests: 0, chunks: 0, bytes: 0, faults: [] }
  for (const f of await ctx.runtime.faults()) {
    if (!wanted.has(`${targetName(f.target)}\u0000${f.spec.id}`)) continue
    const t = f.touched
    out.active++
    out.connections += t.connections
    out.requests += t.requests
    out.chunks += t.chunks
    out.bytes += t.bytes
    out.faults.push({ sidecar: targetName(f.target), id: f.spec.id, type: f.spec.type, direction: f.spec.direction, connections: t.connections, requests: t.requests, chunks: t.chunks, bytes: t.bytes })
  }
  return out
}

/** The pod as the runtime shows it now (fresh facts: address, pid, dependencies), or undefined when it is gone. */
export async function currentPod(runtime: RuntimeClient, name: string) {
  return (await runtime.pods()).find((p) => p.name === name)
}
