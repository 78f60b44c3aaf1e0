/**
 * @module test/doubles/fake-runtime: an in-memory RuntimeClient for the engine's step tests: pods given by the
 * test, effects held in a map (the runtime's boundary is generic, so the real injectors run against it), every call
 * logged, and methods that can be made to fail. What the effects do to pods is played as the runtime does it:
 * pod-failure holds a pod down (not ready, reason PodFailure), pod-kill replaces a pod, container-kill restarts it;
 * what a sidecar fault touched is set by the test (`touch`) and listed as the runtime's `observed`. It does not
 * expire effects by itself (the real runtime does; see src/runtime/effect-store.ts): `expire()` plays it. Ended
 * effects (removed, expired, their pod gone) are remembered and listed with `ended`, as the runtime lists them.
 * Not shipped; the lifecycle tests use the real runtime.
 */
import { ChaosError } from '../../src/errors.js'
import type { ApplyOutcome, EffectSpec, HeldEffect, RuntimeClient, RuntimePod } from '../../src/runtime/client.js'

export function fakePod(name: string, labels: Record<string, string>, more: Partial<RuntimePod> = {}): RuntimePod {
  return {
    namespace: 'default', name, uid: `uid-${name}`, service: labels.app ?? name, labels, annotations: {}, phase: 'Running', ready: true,
    restartCount: 0, startTime: '2024-05-01T09:00:00.000Z', port: 10_000, address: '127.0.0.1:20000', pid: 1000, ...more,
  }
}

export class FakeRuntime implements RuntimeClient {
  readonly held = new Map<string, HeldEffect>()
  /** Effects that ended, with when and why (what `effects({ended: true})` adds). */
  readonly endedEffects = new Map<string, HeldEffect>()
  readonly calls: string[] = []
  /** Makes the calls of that method throw (a runtime that does not answer) while listed. */
  broken = new Set<string>()
  /** The next N calls of `apply` throw a retryable error (a transient failure). */
  failNext = 0
  private replacements = 0
  private readonly counters = new Map<string, Record<string, number>>()

  /** `now`: the clock of `appliedAt` and of an expiry already past (default Date.now). */
  constructor(
    public podList: RuntimePod[],
    private readonly now: () => number = Date.now,
  ) {}

  /** Adds to what a held sidecar fault touched (as the data path would count it). */
  touch(id: string, counts: { connections?: number; requests?: number; bytes?: number }): void {
    const c = this.counters.get(id) ?? { connections: 0, requests: 0, chunks: 0, bytes: 0 }
    for (const [k, v] of Object.entries(counts)) c[k] = (c[k] ?? 0) + v
    this.counters.set(id, c)
  }

  /** Takes a pod away, as when its app is taken down: the effects on it end with it. */
  deletePod(name: string): void {
    this.podList = this.podList.filter((p) => p.name !== name)
    for (const [id, e] of this.held) if (e.target.pod === name) this.end(id, 'pod-gone')
  }

  /** Ends every held effect whose expiry is at or before `now`, at its expiry, as the runtime does by itself. */
  expire(now: number): void {
    for (const [id, e] of this.held) if (e.expiresAt !== undefined && e.expiresAt <= now) this.end(id, 'expired', e.expiresAt)
  }

  /** Ends a held effect (as the runtime's own removal, or one by another client of its API). */
  end(id: string, reason: 'expired' | 'removed' | 'pod-gone', at = this.now()): boolean {
    const e = this.held.get(id)
    if (!e) return false
    this.held.delete(id)
    this.endedEffects.delete(id)
    this.endedEffects.set(id, { ...this.observedOf(e), ended: { at, reason } }) // with its last counts, as the runtime keeps them
    return true
  }

  private check(method: string): void {
    this.calls.push(method)
    if (this.broken.has(method)) throw new ChaosError('RUNTIME_NOT_RUNNING', `fake runtime: ${method} is broken`, { retryable: true })
  }

  private pod(name: string): RuntimePod {
    const p = this.podList.find((x) => x.name === name)
    if (!p) throw new ChaosError('RUNTIME_UNKNOWN_POD', `no pod named "${name}"`)
    return p
  }

  private heldDown(pod: string): boolean {
    return [...this.held.values()].some((e) => e.type === 'pod-failure' && e.target.pod === pod)
  }

  async pods() {
    this.check('pods')
    return this.podList.map((p) => ({ ...p, ...(this.heldDown(p.name) ? { reason: 'PodFailure' as const, phase: 'Pending' as const, ready: false } : {}) }))
  }

  /** The ids of the sidecar faults held, sorted: what a test compares. */
  faultIds(): string[] {
    return [...this.held.values()].filter((e) => e.type === 'sidecar-fault').map((e) => e.id).sort()
  }

  async apply(effect: EffectSpec): Promise<ApplyOutcome> {
    this.check('apply')
    if (this.failNext > 0) {
      this.failNext--
      throw new ChaosError('RUNTIME_NOT_RUNNING', 'the runtime did not answer (test)', { retryable: true })
    }
    const pod = this.pod(effect.target.pod)
    if (effect.type === 'pod-kill') {
      this.podList = this.podList.filter((p) => p.name !== pod.name)
      const next = { ...pod, name: `${pod.service}-r${++this.replacements}`, uid: `uid-r${this.replacements}`, pid: pod.pid === undefined ? undefined : pod.pid + 1 }
      this.podList.push(next)
      return { held: false, result: { killedPod: pod.name, replacementPod: next.name } }
    }
    if (effect.type === 'container-kill') {
      pod.restartCount++
      return { held: false, result: { killed: true, ...(pod.pid !== undefined ? { killedPid: pod.pid } : {}) } }
    }
    // as the runtime: an expiry already past is refused first, whether the effect is held or not
    if (effect.expiresAt !== undefined && effect.expiresAt <= this.now()) throw new ChaosError('EFFECT_INVALID', `effect ${effect.id}: expiresAt is not in the future`)
    const existing = this.held.get(effect.id)
    if (existing) return { held: true, effect: existing }
    this.endedEffects.delete(effect.id)
    const held: HeldEffect = { ...structuredClone(effect), appliedAt: this.now() }
    this.held.set(effect.id, held)
    return { held: true, effect: held }
  }

  async remove(id: string) {
    this.check('remove')
    const removed = this.end(id, 'removed')
    this.counters.delete(id)
    return removed
  }

  async effects(filter: { owner?: string; ended?: boolean } = {}) {
    this.check('effects')
    return [...[...this.held.values()].map((e) => this.observedOf(e)), ...(filter.ended ? this.endedEffects.values() : [])].filter((e) => filter.owner === undefined || e.owner?.experiment === filter.owner)
  }

  private observedOf(e: HeldEffect): HeldEffect {
    return e.type === 'sidecar-fault' ? { ...e, observed: { present: true, ...(this.counters.get(e.id) ?? { connections: 0, requests: 0, chunks: 0, bytes: 0 }) } } : e
  }
}
