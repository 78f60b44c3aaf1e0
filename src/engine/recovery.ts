/**
 * @module engine/recovery: crash recovery, run by `Controller.start()`: one sweep over the runtime's `effects()`
 * (every effect kind alike) that removes what this controller made and nobody live owns, then every live
 * experiment is reconciled, which finishes half-done work (see the steps below and src/engine/README.md).
 *
 *   start ─▶ sweep(effects()) ─┬─ ok ──────────────────────────▶ enqueue every live experiment
 *                              └─ runtime down ─▶ retried by the loop (back-off) ─┘
 */
import type { HeldEffect } from '../runtime/client.js'
import { targetName } from '../faults/sidecar.js'
import type { EngineContext } from './context.js'
import { NOT_INJECTED } from './decide.js'

/** The loop's id for the sweep (not a uid: it never names an experiment). */
export const SWEEP = '@sweep'

/** What the loop needs of recovery. */
export interface RecoveryLoop {
  enqueue(id: string, afterMs?: number): void
}

/**
 * Removes every effect on the runtime that this controller made (its owner names this controller's id) for an
 * experiment that is not live, or for a target of a live one whose record says Not Injected (a recover that did
 * not get to store its result, or an inject whose record never counted it). Effects of other controllers, and
 * effects nobody owns (added by hand through the runtime's API), are left alone. Each removal is an event
 * `OrphanRecovered` on the experiment's uid. Throws when the runtime does not answer (the caller retries).
 */
export async function sweep(ctx: EngineContext): Promise<number> {
  const { store } = ctx
  let removed = 0
  for (const e of await ctx.runtime.effects()) {
    const owner = e.owner
    if (!owner || owner.controller !== ctx.controllerId) continue
    // read now, not before the listing: reconciles run beside a sweep that is retried, and one may be injecting
    // this very target (its record says Injecting, not Not Injected, while it does)
    const live = store.getResource(owner.experiment) !== undefined
    const rec = live ? store.records(owner.experiment).find((r) => r.key === owner.record) : undefined
    const stray = !live || !rec || rec.phase === NOT_INJECTED
    if (!stray) continue
    if (!(await ctx.runtime.remove(e.id))) continue
    removed++
    orphanRemoved(ctx, e, live)
  }
  return removed
}

function orphanRemoved(ctx: EngineContext, e: HeldEffect, ownerLive: boolean): void {
  const uid = e.owner!.experiment
  const exp = ctx.store.getResource(uid)
  const archived = exp ? undefined : ctx.store.getArchived(uid)
  const kind = exp?.kind ?? archived?.kind ?? 'Unknown'
  ctx.metrics.recoveries.inc({ kind, result: 'orphan' })
  const ev = ctx.store.addEvent({
    uid,
    kind,
    namespace: exp?.namespace ?? archived?.namespace ?? '',
    name: exp?.name ?? archived?.name ?? '',
    type: 'Normal',
    reason: 'OrphanRecovered',
    message: `removed ${e.type} ${e.id} from ${targetName(e.target)}: ${ownerLive ? 'its target is not injected' : 'no live experiment owns it'}`,
    time: ctx.iso(),
  })
  ctx.published([ev])
}

/**
 * The start-up sequence: the sweep (retried by the loop with back-off while the runtime does not answer), then
 * every live experiment is enqueued. Its reconcile finishes what a crash interrupted: a running experiment keeps
 * its remaining duration (counted from creation), an expired one is recovered, a record caught
 * `Not Injected/Injecting` is injected again (idempotent) while the experiment runs, or undone (what the runtime
 * holds for it removed) when it must stop; experiments whose pods are all gone end (see ExperimentReconciler).
 */
export async function recoverOnStart(ctx: EngineContext, loop: RecoveryLoop): Promise<void> {
  try {
    await sweep(ctx)
  } catch (e) {
    ctx.log('warn', `crash recovery could not reach the runtime; retrying: ${(e as Error).message}`)
    loop.enqueue(SWEEP, 1000)
  }
  for (const r of ctx.store.listResources()) loop.enqueue(r.uid)
}
