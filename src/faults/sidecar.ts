/**
 * @module faults/sidecar: what the NetworkChaos and HTTPChaos injectors share: putting a planned set of
 * sidecar-fault effects in place (idempotent, all or nothing), taking them away, reading what they touched, and
 * the `chaoscope.dev/percent` annotation.
 */
import { ChaosError } from '../errors.js'
import { PERCENT_ANNOTATION, parseShare } from '../manifest/share.js'
import type { EffectSpec, EffectTarget, RuntimeClient } from '../runtime/client.js'
import type { SidecarFaultBody } from '../runtime/effects/sidecar-fault.js'
import type { FaultContext, Injection } from './injector.js'

/** One fault on one sidecar: an effect of type `sidecar-fault`. The plan an injector makes is stored whole in its Injection. */
export type SidecarEffect = EffectSpec<SidecarFaultBody>

/**
 * The longest delay a sidecar holds a chunk or a message for (NetworkChaos latency and jitter, HTTPChaos delay):
 * 1h. The runtime refuses a longer one (PROXY_INVALID_FAULT), so injectors refuse it at apply, before anything is
 * created. It keeps every timer of the data path far below setTimeout's 2^31-1 ms.
 */
export const SIDECAR_MAX_DELAY_MS = 3_600_000

/** SPEC_LOCAL_UNSUPPORTED when a delay field is longer than a sidecar holds, naming the field and the limit. */
export function checkHeldDelay(field: string, text: string, delayMs: number): void {
  if (delayMs <= SIDECAR_MAX_DELAY_MS) return
  throw new ChaosError('SPEC_LOCAL_UNSUPPORTED', `${field} ${JSON.stringify(text)}: the local sidecars hold a delay of at most 1h`, {
    hint: `write ${field.slice(field.lastIndexOf('.') + 1)}: 1h or less to run it on the local runtime, or run it against a cluster with Chaos Mesh`,
  })
}

export { PERCENT_ANNOTATION }

/**
 * The share set by `chaoscope.dev/percent` (a number from 0 to 100, e.g. "10" or "2.5"), or undefined when the
 * annotation is absent. Throws SPEC_INVALID_VALUE for anything else.
 */
export function percentOf(annotations: Record<string, string> | undefined): number | undefined {
  const text = annotations?.[PERCENT_ANNOTATION]
  if (text === undefined) return undefined
  const n = parseShare(text)
  if (n === undefined) {
    throw new ChaosError('SPEC_INVALID_VALUE', `annotation ${PERCENT_ANNOTATION}: expected a number from 0 to 100, got ${JSON.stringify(text)}`, {
      hint: `write e.g. ${PERCENT_ANNOTATION}: "10" to act on 10% of requests or connections`,
    })
  }
  return n
}

/** `pod` or `pod>edge`: how a sidecar is named in evidence and messages. */
export function targetName(t: EffectTarget): string {
  return t.edge === undefined ? t.pod : `${t.pod}>${t.edge}`
}

/**
 * Applies every planned effect. Idempotent (the runtime holds an effect applied twice once). All or nothing: when
 * one cannot be applied, those this call applied are removed again before the error is thrown.
 */
export async function applyAll(runtime: RuntimeClient, plan: readonly EffectSpec[]): Promise<void> {
  const tried: EffectSpec[] = []
  try {
    for (const e of plan) {
      // counted before the call: an apply whose answer was lost (a timeout) may still have taken effect
      tried.push(e)
      await runtime.apply(e)
    }
  } catch (err) {
    try {
      await removeAll(runtime, tried)
    } catch (rollback) {
      // both are said: what failed, and that some effects stay until their expiry or the controller's next attempt
      const code = err instanceof ChaosError ? err.code : 'INTERNAL'
      throw new ChaosError(code, `${(err as Error).message}; removing the ${tried.length} effect(s) applied before it failed also failed: ${(rollback as Error).message}`, { cause: err, retryable: true })
    }
    throw err
  }
}

/** Removes every planned effect; one already gone counts as removed. Returns how many were still held. */
export async function removeAll(runtime: RuntimeClient, plan: readonly EffectSpec[]): Promise<number> {
  let removed = 0
  for (const e of plan) if (await runtime.remove(e.id)) removed++
  return removed
}

/** The plan stored in an Injection (`data.effects`). */
export function plannedEffects(injection: Injection): EffectSpec[] {
  const list = injection.data.effects
  return Array.isArray(list) ? (list as EffectSpec[]) : []
}

/** What the faults of a plan touched so far, per sidecar and in total, read from the data path now. */
export interface SidecarEvidence {
  /** Faults of the plan present on the sidecars now (the counts also include those that ended lately). */
  active: number
  connections: number
  requests: number
  chunks: number
  bytes: number
  faults: { sidecar: string; id: string; type: string; direction: string; connections: number; requests: number; chunks: number; bytes: number }[]
}

const count = (v: unknown): number => (typeof v === 'number' ? v : 0)

export async function sidecarEvidence(ctx: FaultContext, injection: Injection): Promise<SidecarEvidence> {
  const wanted = new Set(plannedEffects(injection).map((e) => e.id))
  const out: SidecarEvidence = { active: 0, connections: 0, requests: 0, chunks: 0, bytes: 0, faults: [] }
  // held effects, and those the runtime ended (expired at the experiment's end, removed): their last counts
  const seen = new Set<string>()
  for (const e of await ctx.runtime.effects({ owner: ctx.experiment.uid, ended: true })) {
    if (!wanted.has(e.id) || e.type !== 'sidecar-fault' || seen.has(e.id)) continue
    if (e.ended && !e.observed) continue // ended with nothing read: says nothing about what it did
    const o = e.observed ?? {}
    if (o.present === false) continue
    seen.add(e.id)
    const fault = (e.body as SidecarFaultBody).fault
    const f = { sidecar: targetName(e.target), id: e.id, type: fault.type, direction: fault.direction, connections: count(o.connections), requests: count(o.requests), chunks: count(o.chunks), bytes: count(o.bytes) }
    if (!e.ended) out.active++
    out.connections += f.connections
    out.requests += f.requests
    out.chunks += f.chunks
    out.bytes += f.bytes
    out.faults.push(f)
  }
  return out
}
