/**
 * @module engine/pod-cache: a RuntimeClient whose pod list is shared for a short time by concurrent applies and
 * reconciles, so that a burst of them lists the pods once instead of once each; dropped on any pod-changing call.
 */
import type { ApplyOutcome, EffectSpec, HeldEffect, RuntimeClient, RuntimePod } from '../runtime/client.js'

/** The effect type that acts on sidecars only. */
const SIDECAR = 'sidecar-fault'

/** Default lifetime of a pod list, counted from when it was asked for. */
export const POD_CACHE_MS = 200

/**
 * Wraps a RuntimeClient: `pods()` answers with a list asked for at most `ttlMs` ago (callers in the meantime share
 * it, in flight or done), so a pod that is gone is never seen for longer than `ttlMs` after it went. Effects that
 * may change pods (every type but sidecar faults) and every removal drop the list before and after they run; a
 * list asked for during such a call is not reused. Sidecar faults do not show in the pod list, so applying them
 * keeps it. `ttlMs` 0 turns the cache off. Time is the process's monotonic clock, not the
 * controller's injected one: this is about load, not about decisions.
 */
export class PodListCache implements RuntimeClient {
  private entry: { at: number; gen: number; list: Promise<RuntimePod[]> } | undefined
  private gen = 0
  /** Ids of the sidecar faults applied through this client and not removed yet. */
  private readonly sidecarIds = new Set<string>()

  constructor(
    readonly inner: RuntimeClient,
    private readonly ttlMs = POD_CACHE_MS,
  ) {}

  async pods(): Promise<RuntimePod[]> {
    const now = performance.now()
    let e = this.entry
    if (!e || e.gen !== this.gen || now - e.at >= this.ttlMs) {
      const entry = { at: now, gen: this.gen, list: this.inner.pods() }
      e = entry
      if (this.ttlMs > 0) this.entry = entry
      entry.list.catch(() => {
        if (this.entry === entry) this.entry = undefined
      })
    }
    // a copy of the array: callers may sort or filter it in place
    return (await e.list).slice()
  }

  /** Forgets the pod list: the next `pods()` asks the runtime. */
  invalidate(): void {
    this.gen++
    this.entry = undefined
  }

  private async changing<T>(fn: () => Promise<T>): Promise<T> {
    this.invalidate()
    try {
      return await fn()
    } finally {
      this.invalidate()
    }
  }

  /** Effects on sidecars do not show in the pod list; every other effect may change a pod (kill, hold down, stress). */
  apply(effect: EffectSpec): Promise<ApplyOutcome> {
    if (effect.type !== SIDECAR) return this.changing(() => this.inner.apply(effect))
    this.sidecarIds.add(effect.id)
    return this.inner.apply(effect)
  }
  /** Removing a sidecar fault applied through this client keeps the list; any other removal (or one unknown here) drops it. */
  remove(id: string): Promise<boolean> {
    if (this.sidecarIds.delete(id)) return this.inner.remove(id)
    return this.changing(() => this.inner.remove(id))
  }
  effects(filter?: { owner?: string }): Promise<HeldEffect[]> {
    return this.inner.effects(filter)
  }
}
