/**
 * Long holds through the real effect modules: a pod-failure and a sidecar fault applied with `expiresAt` 999999h
 * ahead (what `duration: 999999h` makes) are still in force after a minute and after 25 days (past setTimeout's
 * 2^31-1 ms ceiling, where one timeout would have fired after 1 ms). The host is an in-memory supervisor and data
 * plane, so that fake timers move only the effect store's time.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { EffectHost } from './effect.js'
import { parseEffect } from './effect.js'
import { EffectStore } from './effect-store.js'
import type { FaultSpec } from './proxy/toxic.js'
import type { RuntimePod } from './types.js'

const HOUR = 3_600_000
const DAY = 24 * HOUR

function memoryHost() {
  const down = new Set<string>()
  const faults = new Map<string, { proxy: string; spec: FaultSpec }>()
  const pod = { name: 'web-1', namespace: 'default', service: 'web', phase: 'Running', ready: true, restartCount: 0, pid: 4242 } as unknown as RuntimePod
  let store: EffectStore | undefined
  const host = {
    supervisor: {
      failPod: (name: string) => void down.add(name),
      unfailPod: (name: string) => void down.delete(name),
      get: (name: string) => (name === pod.name ? pod : undefined),
    },
    dataPlane: {
      addFault: async (proxy: string, spec: FaultSpec) => void faults.set(spec.id, { proxy, spec }),
      removeFault: async (_proxy: string, id: string) => faults.delete(id),
      faultStats: async () => [{ name: pod.name, faults: [...faults.values()].map((f) => ({ spec: f.spec, addedAt: 0, touched: { connections: 0, requests: 0, chunks: 0, bytes: 0 } })) }],
    },
    pods: () => [pod],
    findPod: (name: string) => (name === pod.name ? pod : undefined),
    pod: (name: string) => {
      if (name !== pod.name) throw new Error(`no pod ${name}`)
      return pod
    },
    proxyFor: (t: { pod: string }) => t.pod,
    holds: (type: string, p: string, exceptId: string) => store!.holds(type, p, exceptId),
  } as unknown as EffectHost
  store = new EffectStore(host, () => undefined)
  return { store, down, faults }
}

afterEach(() => {
  vi.useRealTimers()
})

describe('a runtime holds what `duration: 999999h` asks for', () => {
  it('a pod-failure and a sidecar fault expiring 999999h ahead are held after 1 minute and after 25 days', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    const { store, down, faults } = memoryHost()
    const expiresAt = Date.now() + 999_999 * HOUR
    const owner = { experiment: 'u1', record: 'web-1' }
    for (const input of [
      { id: 'hold', type: 'pod-failure', target: { pod: 'web-1' }, owner, expiresAt, body: {} },
      { id: 'slow', type: 'sidecar-fault', target: { pod: 'web-1' }, owner, expiresAt, body: { fault: { type: 'latency', direction: 'upstream', latencyMs: HOUR } } },
      { id: 'http', type: 'sidecar-fault', target: { pod: 'web-1' }, owner, expiresAt, body: { fault: { type: 'http', target: 'Request', direction: 'upstream', action: 'delay', delayMs: HOUR } } },
    ]) {
      const { spec, module } = await parseEffect(input)
      expect(await store.apply(spec, module)).toMatchObject({ held: true })
    }
    const held = async () => ({ effects: (await store.list()).map((e) => e.id).sort(), down: [...down], faults: [...faults.keys()].sort() })
    const all = { effects: ['hold', 'http', 'slow'], down: ['web-1'], faults: ['http', 'slow'] }
    expect(await held()).toEqual(all)

    await vi.advanceTimersByTimeAsync(60_000)
    expect(await held()).toEqual(all)
    await vi.advanceTimersByTimeAsync(25 * DAY) // past 2^31-1 ms (24.86 days): the store's timer was re-armed
    expect(await held()).toEqual(all)

    for (const id of ['hold', 'slow', 'http']) expect(await store.remove(id)).toBe(true)
    expect(await held()).toEqual({ effects: [], down: [], faults: [] })
    store.close()
  })
})
