/** The pod list shared by a burst of applies and reconciles: one runtime call, never older than its window. */
import { describe, expect, it } from 'vitest'
import { fakePod, FakeRuntime } from '../../test/doubles/fake-runtime.js'
import { PodListCache } from './pod-cache.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const names = (pods: { name: string }[]) => pods.map((p) => p.name)
const podCalls = (rt: FakeRuntime) => rt.calls.filter((c) => c === 'pods').length

function setup(ttlMs: number) {
  const rt = new FakeRuntime([fakePod('web-aaaaa', { app: 'web' }), fakePod('web-bbbbb', { app: 'web' })])
  return { rt, cache: new PodListCache(rt, ttlMs) }
}

describe('PodListCache', () => {
  it('concurrent callers share one runtime call, and each gets its own array', async () => {
    const { rt, cache } = setup(1000)
    const lists = await Promise.all(Array.from({ length: 50 }, () => cache.pods()))
    expect(podCalls(rt)).toBe(1)
    expect(names(lists[0]!)).toEqual(['web-aaaaa', 'web-bbbbb'])
    lists[0]!.pop()
    expect(names(await cache.pods())).toEqual(['web-aaaaa', 'web-bbbbb'])
    expect(podCalls(rt)).toBe(1)
  })

  it('a pod gone from the runtime is not seen once the window has passed', async () => {
    const { rt, cache } = setup(50)
    await cache.pods()
    rt.podList = rt.podList.filter((p) => p.name !== 'web-bbbbb')
    await sleep(60)
    expect(names(await cache.pods())).toEqual(['web-aaaaa'])
    expect(podCalls(rt)).toBe(2)
  })

  it.each([
    ['pod-kill', { gracePeriodMs: 0 }],
    ['pod-failure', {}],
    ['container-kill', { signal: 'SIGKILL' }],
  ] as const)('applying a %s effect through it drops the list at once', async (type, body) => {
    const { rt, cache } = setup(60_000)
    await cache.pods()
    await cache.apply({ id: `e-${type}`, type, target: { pod: 'web-aaaaa' }, body })
    const after = await cache.pods()
    if (type === 'pod-failure') expect(after.find((p) => p.name === 'web-aaaaa')).toMatchObject({ reason: 'PodFailure', ready: false })
    if (type === 'pod-kill') expect(names(after)).toEqual(['web-bbbbb', 'web-r1'])
    expect(podCalls(rt)).toBe(2)
  })

  it('applying or removing a sidecar fault keeps the list; removing anything else (a pod held down comes back) drops it', async () => {
    const { rt, cache } = setup(60_000)
    await cache.pods()
    await cache.apply({ id: 'f', type: 'sidecar-fault', target: { pod: 'web-aaaaa' }, body: { fault: { type: 'latency', direction: 'upstream', latencyMs: 10 } } })
    await cache.pods()
    await cache.remove('f')
    await cache.pods()
    expect(podCalls(rt)).toBe(1)
    await cache.apply({ id: 'down', type: 'pod-failure', target: { pod: 'web-aaaaa' }, body: {} })
    await cache.pods()
    expect(podCalls(rt)).toBe(2)
    await cache.remove('down')
    await cache.pods()
    expect(podCalls(rt)).toBe(3)
    await cache.remove('made-by-an-earlier-controller') // unknown here: it may have held a pod down
    await cache.pods()
    expect(podCalls(rt)).toBe(4)
  })


  it('a failed call is not kept; 0 turns the cache off', async () => {
    const { rt, cache } = setup(60_000)
    rt.broken.add('pods')
    await expect(cache.pods()).rejects.toThrow('pods is broken')
    rt.broken.delete('pods')
    expect(names(await cache.pods())).toHaveLength(2)
    const off = setup(0)
    await off.cache.pods()
    await off.cache.pods()
    expect(podCalls(off.rt)).toBe(2)
  })
})
