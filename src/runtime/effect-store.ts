/**
 * @module runtime/effect-store: the effects a runtime holds, and their expiry. The runtime owns every effect it
 * holds: it removes each at its `expiresAt` by itself (timers re-armed, so any duration is held, not one 32-bit
 * timeout), retries a removal that failed (logged, never dropped), and forgets the effects of a pod that is gone.
 */
import { isDeepStrictEqual } from 'node:util'
import { ChaosError } from '../errors.js'
import type { ApplyOutcome, EffectHost, EffectModule, EffectSpec, HeldEffect, Snapshot } from './effect.js'

/** setTimeout holds at most 2^31-1 ms; longer waits are re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1
/** How many ended effects are remembered (with what they did), and for how long. */
const ENDED_MAX = 1000
const ENDED_TTL_MS = 15 * 60_000
/** Back-off of a failed expiry: 1 s doubling to 30 s, retried while the runtime runs. */
const RETRY_BASE_MS = 1000
const RETRY_CAP_MS = 30_000

export type RuntimeLog = (level: 'info' | 'warn' | 'error', message: string) => void

interface Entry {
  spec: EffectSpec
  module: EffectModule
  appliedAt: number
  timer?: NodeJS.Timeout
  failures: number
}

const sameEffect = (a: EffectSpec, b: EffectSpec): boolean => isDeepStrictEqual({ ...a, expiresAt: undefined }, { ...b, expiresAt: undefined })

export class EffectStore {
  private readonly entries = new Map<string, Entry>()
  /** Effects that ended (expired, removed, their pod gone), oldest first, with their last observation. */
  private readonly endedEffects = new Map<string, HeldEffect>()
  private closed = false

  private readonly now: () => number
  private readonly retryBaseMs: number

  constructor(
    private readonly host: EffectHost,
    private readonly log: RuntimeLog,
    opts: { now?: () => number; retryBaseMs?: number } = {},
  ) {
    this.now = opts.now ?? Date.now
    this.retryBaseMs = opts.retryBaseMs ?? RETRY_BASE_MS
  }

  /** Work on one id (apply, remove, expiry), one at a time and in order: no apply overtakes a removal in flight. */
  private readonly busy = new Map<string, Promise<unknown>>()

  private one<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return this.queue(this.busy, id, fn)
  }

  /**
   * A module's apply or remove and the store's change that follows, one at a time per (type, pod): modules that
   * write one set of rules for a pod from every effect of their type on it (heldOn) then never miss one applied
   * or removed at the same moment. The id's own queue is taken first, this one inside it (always in that order).
   */
  private readonly lanes = new Map<string, Promise<unknown>>()

  private lane<T>(spec: EffectSpec, fn: () => Promise<T>): Promise<T> {
    return this.queue(this.lanes, `${spec.type}\0${spec.target.pod}`, fn)
  }

  private queue<T>(map: Map<string, Promise<unknown>>, key: string, fn: () => Promise<T>): Promise<T> {
    const prev = map.get(key) ?? Promise.resolve()
    const next = prev.then(fn, fn)
    const tail = next.catch(() => undefined)
    map.set(key, tail)
    void tail.then(() => {
      if (map.get(key) === tail) map.delete(key)
    })
    return next
  }

  /**
   * Applies an effect. Idempotent: the same effect again (same id, type, target, owner and body) is the one held,
   * with its expiry moved to the new `expiresAt`; another effect under a held id is EFFECT_EXISTS.
   */
  apply(spec: EffectSpec, module: EffectModule): Promise<ApplyOutcome> {
    return this.one(spec.id, () => this.applyNow(spec, module))
  }

  /** True when an effect other than `exceptId` of this type holds this pod (two pod-failures on one pod release it once). */
  holds(type: string, pod: string, exceptId: string): boolean {
    for (const e of this.entries.values()) if (e.spec.type === type && e.spec.target.pod === pod && e.spec.id !== exceptId) return true
    return false
  }

  /** Held effects of `type` on `pod` other than `exceptId` (a module recomputes the pod's rules from all of them). */
  on(type: string, pod: string, exceptId?: string): EffectSpec[] {
    const out: EffectSpec[] = []
    for (const e of this.entries.values()) if (e.spec.type === type && e.spec.target.pod === pod && e.spec.id !== exceptId) out.push(e.spec)
    return out
  }

  private async applyNow(spec: EffectSpec, module: EffectModule): Promise<ApplyOutcome> {
    if (this.closed) throw new ChaosError('RUNTIME_NOT_RUNNING', 'the runtime is stopping')
    const held = this.entries.get(spec.id)
    if (held) {
      if (!sameEffect(held.spec, spec)) {
        throw new ChaosError('EFFECT_EXISTS', `the runtime already holds another effect with id ${JSON.stringify(spec.id)}`, { hint: 'remove it first, or use another id' })
      }
      held.spec = spec
      this.arm(held)
      return { held: true, effect: this.view(held) }
    }
    if (module.oneShot) return { held: false, result: (await module.apply(this.host, spec)) ?? {} }
    if (spec.expiresAt !== undefined && spec.expiresAt <= this.now()) return { held: false, result: { expired: true } }
    return this.lane(spec, async () => {
      const facts = await module.apply(this.host, spec)
      if (!this.host.findPod(spec.target.pod)) {
        // the pod went while this was applied (forgetPod did not see it yet): undo, as for any effect of a pod that is gone
        await module.remove?.(this.host, spec).catch(() => undefined)
        throw new ChaosError('RUNTIME_UNKNOWN_POD', `pod "${spec.target.pod}" was deleted while the effect was applied`, { hint: 'the pod was deleted after it was selected' })
      }
      const entry: Entry = { spec, module, appliedAt: this.now(), failures: 0 }
      this.entries.set(spec.id, entry)
      this.arm(entry)
      return { held: true as const, effect: { ...this.view(entry), ...(facts ? { observed: facts } : {}) } }
    })
  }

  /**
   * Removes a held effect; false when none is held under that id (already removed, expired or gone). A removal
   * that fails is thrown to the caller and the effect stays held (with its expiry, which retries on its own).
   */
  remove(id: string): Promise<boolean> {
    return this.one(id, () => this.removeNow(id))
  }

  private async removeNow(id: string): Promise<boolean> {
    const entry = this.entries.get(id)
    if (!entry) return false
    this.disarm(entry)
    const last = await this.observe(entry)
    await this.lane(entry.spec, async () => {
      try {
        await entry.module.remove?.(this.host, entry.spec)
      } catch (e) {
        this.arm(entry) // still held: its expiry (or the caller's retry) will try again
        throw e
      }
      this.end(entry, 'removed', last)
    })
    return true
  }

  /**
   * Every held effect, with what it observed (one data plane snapshot shared by all); with `ended`, also the
   * effects that ended in the last 15 minutes (the last 1000), each with what it had done when it ended, so that
   * what a fault did is still known after the runtime removed it by itself.
   */
  async list(filter: { owner?: string; ended?: boolean } = {}): Promise<HeldEffect[]> {
    const snapshot = this.snapshot()
    const mine = (e: { owner?: { experiment: string } }) => filter.owner === undefined || e.owner?.experiment === filter.owner
    const out: HeldEffect[] = []
    for (const entry of [...this.entries.values()]) {
      if (!mine(entry.spec)) continue
      const observed = await this.observe(entry, snapshot)
      out.push({ ...this.view(entry), ...(observed ? { observed } : {}) })
    }
    if (filter.ended) {
      this.prune()
      for (const e of this.endedEffects.values()) if (mine(e)) out.push(e)
    }
    return out
  }

  private snapshot(): Snapshot {
    let faults: ReturnType<Snapshot['sidecarFaults']> | undefined
    return { sidecarFaults: () => (faults ??= this.host.dataPlane.faultStats().then((list) => new Map(list.map((p) => [p.name, p.faults])))) }
  }

  private async observe(entry: Entry, snapshot = this.snapshot()): Promise<Record<string, unknown> | undefined> {
    return entry.module.observe?.(this.host, entry.spec, snapshot).catch((e: unknown) => ({ error: (e as Error).message }))
  }

  /** Moves an effect from held to ended, with its last observation. */
  private end(entry: Entry, reason: 'expired' | 'removed' | 'pod-gone', observed: Record<string, unknown> | undefined): void {
    if (this.entries.get(entry.spec.id) === entry) this.entries.delete(entry.spec.id)
    this.endedEffects.delete(entry.spec.id)
    this.endedEffects.set(entry.spec.id, { ...this.view(entry), ...(observed ? { observed } : {}), ended: { at: this.now(), reason } })
    this.prune()
  }

  private prune(): void {
    const cutoff = this.now() - ENDED_TTL_MS
    for (const [id, e] of this.endedEffects) {
      if (this.endedEffects.size <= ENDED_MAX && e.ended!.at >= cutoff) break
      this.endedEffects.delete(id)
    }
  }

  /**
   * Forgets the effects whose target pod is gone (its sidecars and process go with it), each with what it had done:
   * called before the pod's sidecars are removed, so their counts can still be read.
   */
  async forgetPod(pod: string): Promise<void> {
    const gone = [...this.entries.values()].filter((e) => e.spec.target.pod === pod)
    const snapshot = this.snapshot()
    for (const entry of gone) {
      this.disarm(entry)
      const last = await this.observe(entry, snapshot)
      // what the effect started outside the pod (a stressor) is stopped; a pod that is gone counts as removed
      await this.lane(entry.spec, async () => {
        await entry.module.remove?.(this.host, entry.spec).catch(() => undefined)
        this.end(entry, 'pod-gone', last)
      })
      this.log('info', `effect ${entry.spec.id} ended: pod ${pod} is gone`)
    }
  }

  /** Stops every timer; held effects end with the runtime (its sidecars and pods stop). */
  close(): void {
    this.closed = true
    for (const e of this.entries.values()) this.disarm(e)
  }

  private view(e: Entry): HeldEffect {
    return { ...e.spec, appliedAt: e.appliedAt }
  }

  private disarm(e: Entry): void {
    if (e.timer) clearTimeout(e.timer)
    delete e.timer
  }

  private arm(e: Entry, delayMs?: number): void {
    this.disarm(e)
    if (this.closed) return
    const at = e.spec.expiresAt
    if (at === undefined && delayMs === undefined) return
    const wait = delayMs ?? Math.max(0, at! - this.now())
    e.timer = setTimeout(() => void this.expire(e), Math.min(wait, MAX_TIMER_MS))
    e.timer.unref()
  }

  private expire(e: Entry): Promise<void> {
    return this.one(e.spec.id, () => this.expireNow(e))
  }

  private async expireNow(e: Entry): Promise<void> {
    delete e.timer
    if (this.entries.get(e.spec.id) !== e || this.closed) return
    if (e.spec.expiresAt !== undefined && e.spec.expiresAt > this.now() && e.failures === 0) {
      this.arm(e) // a long wait, re-armed in steps
      return
    }
    try {
      const last = await this.observe(e)
      await this.lane(e.spec, async () => {
        await e.module.remove?.(this.host, e.spec)
        this.end(e, 'expired', last)
      })
    } catch (err) {
      e.failures++
      const retry = Math.min(RETRY_CAP_MS, this.retryBaseMs * 2 ** (e.failures - 1))
      this.log('error', `effect ${e.spec.id} (${e.spec.type} on ${e.spec.target.pod}${e.spec.target.edge ? `>${e.spec.target.edge}` : ''}) could not be removed at its expiry: ${(err as Error).message}; retrying in ${retry} ms`)
      this.arm(e, retry)
    }
  }
}
