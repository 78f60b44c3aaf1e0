/**
 * @module engine/pod-cache: a RuntimeClient whose pod list is shared for a short time by concurrent applies and
 * reconciles, so that a burst of them lists the pods once instead of once each; dropped on any pod-changing call.
 */
import type { ActiveFault, FaultOptions, RuntimeClient } from '../runtime/client.js'
import type { FaultTarget, RuntimePod } from '../runtime/local-runtime.js'
import type { FaultSpec } from '../runtime/proxy/toxic.js'

/** Default lifetime of a pod list, counted from when it was asked for. */
export const POD_CACHE_MS = 200

/**
 * Wraps a RuntimeClient: `pods()` answers with a list asked for at most `ttlMs` ago (callers in the meantime share
 * it, in flight or done), so a pod that is gone is never seen for longer than `ttlMs` after it went. Calls that
 * change pods through this client (killContainer, deletePod, failPod, unfailPod) drop the list before and after
 * they run; a list asked for during such a call is not reused. Faults do not show in the pod list, so adding and
 * removing them keeps it. `ttlMs` 0 turns the cache off. Time is the process's monotonic clock, not the
 * controller's injected one: this is about load, not about decisions.
 */
export class PodListCache implements RuntimeClient {
  private entry: { at: number; gen: number; list: Promise<RuntimePod[]> } | undefined
  private gen = 0

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

  addFault(target: FaultTarget, fault: FaultSpec, opts?: FaultOptions): Promise<void> {
    return this.inner.addFault(target, fault, opts)
  }
  removeFault(target: FaultTarget, id: string): Promise<boolean> {
    return this.inner.removeFault(target, id)
  }
  faults(): Promise<ActiveFault[]> {
    return this.inner.faults()
  }
  killContainer(pod: string, signal?: NodeJS.Signals): Promise<boolean> {
    return this.changing(() => this.inner.killContainer(pod, signal))
  }
  deletePod(pod: string, gracePeriodMs?: number): Promise<void> {
    return this.changing(() => this.inner.deletePod(pod, gracePeriodMs))
  }
  failPod(pod: string, opts?: FaultOptions): Promise<void> {
    return this.changing(() => this.inner.failPod(pod, opts))
  }
  unfailPod(pod: string): Promise<void> {
    return this.changing(() => this.inner.unfailPod(pod))
  }
}
