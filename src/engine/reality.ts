/**
 * @module engine/reality: records checked against what the runtime holds (level-based, pure). A record that says
 * Injected names its effects (`injection.data.effects[].id`); the runtime lists what it holds and what ended lately
 * (when and why). The experiment reconciler acts on the verdict; the controller's periodic look uses
 * {@link needsLook} to enqueue only the experiments whose records and runtime disagree.
 */
import type { HeldEffect } from '../runtime/client.js'
import type { RecordRow } from '../store/store.js'
import { INJECTED } from './decide.js'

/** Why the runtime no longer holds an effect, as it says (`ended.reason`), or `unknown` when it does not remember it. */
export type EndReason = 'expired' | 'removed' | 'pod-gone' | 'unknown'

export interface RecordReality {
  /** Ids of the record's effects the runtime does not hold. */
  missing: string[]
  /** Every effect of the record is missing. */
  all: boolean
  /** Why they ended (one entry per distinct reason). */
  reasons: EndReason[]
  /** When the last of the missing ones ended (ms since the epoch), when the runtime remembers it. */
  endedAt?: number
}

/** The effects a stored Injection names (`data.effects[]`: the plan every lasting injector stores): id and pod. */
function plannedOf(rec: Pick<RecordRow, 'injection'>): { id: string; pod?: string }[] {
  const list = (rec.injection as { data?: { effects?: unknown } } | undefined)?.data?.effects
  if (!Array.isArray(list)) return []
  const out: { id: string; pod?: string }[] = []
  for (const e of list as { id?: unknown; target?: { pod?: unknown } }[]) {
    if (typeof e?.id === 'string') out.push({ id: e.id, ...(typeof e.target?.pod === 'string' ? { pod: e.target.pod } : {}) })
  }
  return out
}

/** The effect ids a stored Injection names. */
export function effectIdsOf(rec: Pick<RecordRow, 'injection'>): string[] {
  return plannedOf(rec).map((e) => e.id)
}

/** An effect this controller may count as its own: one it made, or one that names no controller. */
export function ownedBy(e: HeldEffect, controllerId: string | undefined): boolean {
  return controllerId === undefined || e.owner?.controller === undefined || e.owner.controller === controllerId
}

/**
 * Compares one record with the runtime's effects (held and lately ended, as `effects({ended: true})` lists them).
 * Effects of another controller are not this record's, even under the same id.
 */
export function realityOf(rec: Pick<RecordRow, 'injection'>, effects: readonly HeldEffect[], controllerId?: string): RecordReality {
  const ids = effectIdsOf(rec)
  const mine = (e: HeldEffect) => ownedBy(e, controllerId)
  const held = new Set(effects.filter((e) => !e.ended && mine(e)).map((e) => e.id))
  const ended = new Map<string, HeldEffect>()
  for (const e of effects) if (e.ended && mine(e) && !held.has(e.id)) ended.set(e.id, e)
  const missing = ids.filter((id) => !held.has(id))
  const reasons = new Set<EndReason>()
  let endedAt: number | undefined
  for (const id of missing) {
    const e = ended.get(id)
    reasons.add(e?.ended?.reason ?? 'unknown')
    if (e?.ended && (endedAt === undefined || e.ended.at > endedAt)) endedAt = e.ended.at
  }
  return { missing, all: ids.length > 0 && missing.length === ids.length, reasons: [...reasons], ...(endedAt !== undefined ? { endedAt } : {}) }
}

/** Words for a user: why the runtime no longer holds a record's faults. */
export function endedWords(r: RecordReality): string {
  const words: Record<EndReason, string> = {
    expired: 'they expired',
    removed: 'they were removed by someone other than this experiment',
    'pod-gone': 'their pod went away',
    unknown: 'the runtime does not know them (was it restarted?)',
  }
  return r.reasons.map((x) => words[x]).join('; ')
}

/**
 * True when a live experiment's stored records disagree with the runtime: a target pod is gone, or an Injected
 * record's effect is not held (for a look by its reconciler, which decides what to do).
 */
export function needsLook(records: readonly RecordRow[], podNames: ReadonlySet<string>, heldIds: ReadonlySet<string>): boolean {
  for (const r of records) {
    if ((r.target as { goneAt?: string }).goneAt) continue
    if (!podNames.has(r.pod)) return true
    // an effect on a peer pod that went is not looked for again (selection is fixed; the reconciler leaves it)
    if (r.phase === INJECTED && plannedOf(r).some((e) => !heldIds.has(e.id) && (e.pod === undefined || podNames.has(e.pod)))) return true
  }
  return false
}
