/**
 * The controller's lists page (at most 1000 items an answer), and `chaoscope get` and `chaoscope events` still
 * print every item: the CLI's client follows `metadata.continue`. A real controller API on a port-0 listener,
 * its store filled directly; the CLI's main() in-process, finding the API through controller.json.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.js'
import { Controller } from '../../src/engine/controller.js'
import { Store } from '../../src/store/store.js'
import { startControllerServer } from '../../src/wiring.js'
import type { ControllerServer } from '../../src/wiring.js'
import { adminHeaders } from '../doubles/auth.js'
import { fakePod, FakeRuntime } from '../doubles/fake-runtime.js'

const EVENTS = 2345
const RESOURCES = 1203
const T = '2024-05-01T10:00:00.000Z'

let home: string
let server: ControllerServer
const previousHome = process.env.CHAOSCOPE_HOME

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'chaoscope-lists-'))
  process.env.CHAOSCOPE_HOME = home
  const store = Store.open(':memory:')
  store.transaction(() => {
    for (let i = 0; i < RESOURCES; i++) {
      const name = `d${String(i).padStart(4, '0')}`
      const uid = `uid-${i}`
      store.insertResource({
        uid, apiVersion: 'chaos-mesh.org/v1alpha1', kind: 'NetworkChaos', namespace: 'default', name, generation: 1,
        metadata: { name, namespace: 'default', uid, generation: 1, creationTimestamp: T },
        spec: { action: 'delay', mode: 'all', selector: { labelSelectors: { app: 'web' } }, delay: { latency: '10ms' } }, status: {}, createdAt: T, finalizers: [],
      })
    }
    for (let i = 0; i < EVENTS; i++) store.addEvent({ uid: `uid-${i % RESOURCES}`, kind: 'NetworkChaos', namespace: 'default', name: `d${i}`, type: 'Normal', reason: 'Selected', message: `event ${i}`, time: T })
  })
  const runtime = new FakeRuntime([fakePod('web-aaaaa', { app: 'web' })])
  // the experiments are rows to list, nothing more: the controller is not started (its reconciles would add events)
  const controller = Controller.open({ store, runtime, podCacheMs: 0, podWatchMs: 0 })
  const notStarted = new Proxy(controller, {
    get: (target, key) => {
      if (key === 'start') return () => undefined
      const v = Reflect.get(target, key) as unknown
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
    },
  })
  // as `chaoscope server` does: controller.json and the local admin token in the home, where the CLI finds them
  server = await startControllerServer({ controller: notStarted, runtime, db: ':memory:', port: 0 })
}, 30_000)

afterAll(async () => {
  await server?.close()
  if (previousHome === undefined) delete process.env.CHAOSCOPE_HOME
  else process.env.CHAOSCOPE_HOME = previousHome
  rmSync(home, { recursive: true, force: true })
})

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s) })
  return { code, out, err }
}

describe('lists larger than a page', () => {
  it('one answer of the API holds one page, with a continue token', async () => {
    const res = await fetch(`${server.state.url}/api/v1/events`, { headers: adminHeaders(home) })
    const body = (await res.json()) as { items: unknown[]; metadata: { continue?: string; remainingItemCount?: number } }
    expect(body.items).toHaveLength(500)
    expect(body.metadata).toEqual({ continue: expect.any(String), remainingItemCount: EVENTS - 500 })
  })

  it('`chaoscope events` prints every event, once each, in order', async () => {
    const { code, out, err } = await cli('events', '-o', 'json')
    expect([code, err]).toEqual([0, ''])
    const items = (JSON.parse(out) as { items: { id: number; message: string }[] }).items
    expect(items).toHaveLength(EVENTS)
    expect(items.map((e) => e.message)).toEqual(Array.from({ length: EVENTS }, (_, i) => `event ${i}`))
    const table = await cli('events')
    expect(table.out.trim().split('\n')).toHaveLength(EVENTS + 1) // and the header
  })

  it('`chaoscope get networkchaos` prints every experiment', async () => {
    const { code, out, err } = await cli('get', 'networkchaos', '-o', 'json')
    expect([code, err]).toEqual([0, ''])
    const names = (JSON.parse(out) as { items: { metadata: { name: string } }[] }).items.map((o) => o.metadata.name)
    expect(names).toHaveLength(RESOURCES)
    expect(new Set(names).size).toBe(RESOURCES)
    expect(names).toEqual([...names].sort())
  })
})
