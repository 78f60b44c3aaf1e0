/**
 * The effect store on its own, with a module written here and fake timers: expiry of any length (re-armed
 * timers, never one overflowing timeout), removals that fail are logged and retried, idempotent apply.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ChaosError } from '../errors.js'
import type { EffectHost, EffectModule } from './effect.js'
import { EffectStore } from './effect-store.js'

// every pod the effects name is there (the store asks, after an apply, whether its pod went meanwhile)
const host = { findPod: () => ({}) } as unknown as EffectHost

function recorder(opts: { failRemovals?: number } = {}) {
  const acts: string[] = []
  let fail = opts.failRemovals ?? 0
  const module: EffectModule<{ n: number }> = {
    parse: (b) => b as { n: number },
    async apply(_h, e) {
      acts.push(`apply ${e.id}`)
    },
    async remove(_h, e) {
      acts.push(`remove ${e.id}`)
      if (fail > 0) {
        fail--
        throw new Error('the sidecar did not answer')
      }
    },
  }
  return { acts, module }
}

const spec = (id: string, expiresAt?: number, n = 1) => ({ id, type: 'test', target: { pod: 'p' }, body: { n }, ...(expiresAt !== undefined ? { expiresAt } : {}) })

afterEach(() => {
  vi.useRealTimers()
})

describe('EffectStore', () => {
  it('holds an effect for 600 hours and removes it at its end, not before (no 32-bit timer overflow)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    const { acts, module } = recorder()
    const store = new EffectStore(host, () => undefined)
    const hour = 3_600_000
    await store.apply(spec('long', Date.now() + 600 * hour), module as EffectModule)
    await vi.advanceTimersByTimeAsync(1)
    expect((await store.list()).map((e) => e.id)).toEqual(['long'])
    await vi.advanceTimersByTimeAsync(599 * hour) // past 2^31 ms (596.5 h): the timer was re-armed
    expect((await store.list()).map((e) => e.id)).toEqual(['long'])
    expect(acts).toEqual(['apply long'])
    await vi.advanceTimersByTimeAsync(hour + 1)
    expect(await store.list()).toEqual([])
    expect(acts).toEqual(['apply long', 'remove long'])
  })

  it('logs a removal that fails at expiry and retries it with back-off until it succeeds', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    const { acts, module } = recorder({ failRemovals: 2 })
    const logs: string[] = []
    const store = new EffectStore(host, (level, m) => logs.push(`${level}: ${m}`), { retryBaseMs: 100 })
    await store.apply(spec('flaky', Date.now() + 50), module as EffectModule)
    await vi.advanceTimersByTimeAsync(60)
    expect(logs).toEqual([expect.stringMatching(/^error: effect flaky \(test on p\) could not be removed at its expiry: the sidecar did not answer; retrying in 100 ms$/)])
    expect((await store.list()).map((e) => e.id)).toEqual(['flaky']) // still held: nothing is dropped
    await vi.advanceTimersByTimeAsync(100)
    expect(logs[1]).toMatch(/retrying in 200 ms$/)
    await vi.advanceTimersByTimeAsync(200)
    expect(await store.list()).toEqual([])
    expect(acts).toEqual(['apply flaky', 'remove flaky', 'remove flaky', 'remove flaky'])
  })

  it('the same effect twice is held once (expiry moved); another effect under its id is EFFECT_EXISTS', async () => {
    const { acts, module } = recorder()
    const store = new EffectStore(host, () => undefined)
    const far = Date.now() + 60_000
    await store.apply(spec('e', far), module as EffectModule)
    const again = await store.apply(spec('e', far + 1000), module as EffectModule)
    expect(again).toMatchObject({ held: true, effect: { id: 'e', expiresAt: far + 1000 } })
    expect(acts).toEqual(['apply e'])
    const other = await store.apply(spec('e', far, 2), module as EffectModule).catch((e: unknown) => e)
    expect(other).toBeInstanceOf(ChaosError)
    expect((other as ChaosError).code).toBe('EFFECT_EXISTS')
    expect(await store.remove('e')).toBe(true)
    expect(await store.remove('e')).toBe(false)
    store.close()
  })

  it('an ended effect is listed on request with what it had done when it ended, expired or removed', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    let touched = 0
    const module: EffectModule = { parse: (b) => b, async apply() {}, async remove() {}, async observe() { return { requests: touched } } }
    const store = new EffectStore({ dataPlane: { stats: async () => [] }, findPod: () => ({}) } as unknown as EffectHost, () => undefined)
    await store.apply({ ...spec('exp', Date.now() + 100), owner: { experiment: 'u1', record: 'p' } }, module)
    await store.apply({ ...spec('rem'), owner: { experiment: 'u1', record: 'p' } }, module)
    touched = 7
    await vi.advanceTimersByTimeAsync(150)
    expect(await store.remove('rem')).toBe(true)
    expect(await store.list({ owner: 'u1' })).toEqual([])
    const ended = await store.list({ owner: 'u1', ended: true })
    expect(ended.map((e) => [e.id, e.ended?.reason, e.observed])).toEqual([
      ['exp', 'expired', { requests: 7 }],
      ['rem', 'removed', { requests: 7 }],
    ])
    await vi.advanceTimersByTimeAsync(16 * 60_000)
    expect(await store.list({ ended: true })).toEqual([]) // remembered for 15 minutes
  })

  it('work on one id is one call at a time: of two different effects applied at once under one id, one is held, the other refused', async () => {
    let applying = 0
    let most = 0
    const module: EffectModule = {
      parse: (b) => b,
      async apply() {
        most = Math.max(most, ++applying)
        await new Promise((r) => setTimeout(r, 20))
        applying--
      },
    }
    const store = new EffectStore(host, () => undefined)
    const [a, b] = await Promise.allSettled([store.apply(spec('same', undefined, 1), module), store.apply(spec('same', undefined, 2), module)])
    expect(most).toBe(1)
    expect(a.status).toBe('fulfilled')
    expect(b).toMatchObject({ status: 'rejected', reason: { code: 'EFFECT_EXISTS' } })
    expect((await store.list()).map((e) => (e.body as { n: number }).n)).toEqual([1])
    store.close()
  })

  it('an effect whose expiry has passed is not applied', async () => {
    const { acts, module } = recorder()
    const store = new EffectStore(host, () => undefined)
    expect(await store.apply(spec('late', Date.now() - 1), module as EffectModule)).toEqual({ held: false, result: { expired: true } })
    expect(acts).toEqual([])
    expect(await store.list()).toEqual([])
  })
})

describe('EffectStore and a pod that goes', () => {
  it('an effect whose pod is deleted while it is applied is undone and refused, not held on a pod that is gone', async () => {
    let podThere = true
    const removed: string[] = []
    const store = new EffectStore({ findPod: () => (podThere ? {} : undefined) } as unknown as EffectHost, () => undefined)
    const module: EffectModule = {
      parse: (b) => b,
      apply: async () => {
        podThere = false // the pod is deleted while its effect is applied
      },
      remove: async (_h, e) => {
        removed.push(e.id)
      },
    }
    await expect(store.apply({ id: 'late', type: 't', target: { pod: 'p' }, body: {} }, module)).rejects.toMatchObject({ code: 'RUNTIME_UNKNOWN_POD' })
    expect(removed).toEqual(['late'])
    expect(await store.list()).toEqual([])
  })
})
