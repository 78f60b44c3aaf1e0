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

  it.each(['deletePod', 'failPod', 'unfailPod', 'killContainer'] as const)('%s through it drops the list at once', async (method) => {
    const { rt, cache } = setup(60_000)
    await cache.pods()
    await cache[method]('web-aaaaa')
    if (method === 'failPod') expect((await cache.pods()).find((p) => p.name === 'web-aaaaa')).toMatchObject({ reason: 'PodFailure', ready: false })
    else await cache.pods()
    expect(podCalls(rt)).toBe(2)
  })

  it('adding and removing faults keeps the list', async () => {
    const { rt, cache } = setup(60_000)
    await cache.pods()
    await cache.addFault({ pod: 'web-aaaaa' }, { id: 'f', type: 'latency', direction: 'upstream', latencyMs: 10 } as never)
    await cache.removeFault({ pod: 'web-aaaaa' }, 'f')
    await cache.pods()
    expect(podCalls(rt)).toBe(1)
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
