/** @module demo/chain/chain.test: front → middle → back, wired as demo/chain/app.yaml says, with faults on its edges. */
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, test } from 'vitest'
import { deadUrl, startApp, startGate } from '../lib/testing.js'
import type { Gate, StartOptions, StartedApp } from '../lib/testing.js'
import type { ChainAnswer } from './chain.js'
import { CHAIN_FACTORIES } from './services.js'

const APP_FILE = fileURLToPath(new URL('./app.yaml', import.meta.url))

let app: StartedApp | undefined
let gate: Gate | undefined
afterEach(async () => {
  await app?.close()
  await gate?.close()
  app = gate = undefined
})

/** Starts the chain with a gate on one edge (`front->middle` or `middle->back`). */
async function startWithGate(edge: 'front->middle' | 'middle->back', opts: StartOptions = {}): Promise<{ chain: StartedApp; gate: Gate }> {
  app = await startApp(APP_FILE, CHAIN_FACTORIES, opts)
  const [from, to] = edge.split('->') as [string, string]
  gate = await startGate(app.url(to))
  ;(app.services.get(from)!.env as Record<string, string>)[`${to.toUpperCase()}_URL`] = gate.url
  return { chain: app, gate }
}

async function ask(chain: StartedApp): Promise<{ status: number; body: ChainAnswer; ms: number }> {
  const t0 = performance.now()
  const res = await fetch(chain.url('front') + '/')
  return { status: res.status, body: await res.json() as ChainAnswer, ms: performance.now() - t0 }
}

describe('chain', () => {
  test("front returns back's value through middle", async () => {
    app = await startApp(APP_FILE, CHAIN_FACTORIES)
    const { status, body } = await ask(app)
    expect(status).toBe(200)
    expect(body).toEqual({ service: 'front', value: 'hello from back (answer #1)', stale: false, path: ['front', 'middle', 'back'] })
    expect((await ask(app)).body.value).toBe('hello from back (answer #2)')
  })

  test('when middle is slower than one second, front answers 200 after its one-second timeout with its stale value and an error', async () => {
    const { chain, gate } = await startWithGate('front->middle')
    const fresh = await ask(chain)
    gate.set({ kind: 'delay', ms: 1500 })
    const { status, body, ms } = await ask(chain)
    expect(status).toBe(200)
    expect(body).toEqual({ service: 'front', value: fresh.body.value, stale: true, path: ['front'], error: 'front could not get a fresh value: middle did not answer within 1000ms' })
    expect(ms).toBeGreaterThanOrEqual(950)
    expect(ms).toBeLessThan(1450)
    const metrics = await (await fetch(chain.url('front') + '/metrics')).text()
    expect(metrics).toMatch(/^failed_call_total\{to="middle",service="front"\} 1$/m)
  })

  test('when back times out, middle answers with its stale value and front passes the error on, with status 200', async () => {
    const { chain, gate } = await startWithGate('middle->back', { env: { middle: { BACK_TIMEOUT_MS: '200' } } })
    const fresh = await ask(chain)
    gate.set({ kind: 'delay', ms: 2000 })
    const { status, body, ms } = await ask(chain)
    expect(status).toBe(200)
    expect(body).toEqual({ service: 'front', value: fresh.body.value, stale: true, path: ['front', 'middle'], error: 'middle could not get a fresh value: back did not answer within 200ms' })
    expect(ms).toBeLessThan(900)

    gate.set({ kind: 'pass' })
    expect((await ask(chain)).body).toEqual({ service: 'front', value: 'hello from back (answer #2)', stale: false, path: ['front', 'middle', 'back'] })
  })

  test('when back is unreachable before any answer, the value is null and the error says so', async () => {
    app = await startApp(APP_FILE, CHAIN_FACTORIES, { edges: { 'middle->back': await deadUrl() } })
    const { status, body } = await ask(app)
    expect(status).toBe(200)
    expect(body).toMatchObject({ value: null, stale: true, error: expect.stringMatching(/^middle could not get a fresh value: back is unreachable \(ECONNREFUSED\)$/) })
  })
})
