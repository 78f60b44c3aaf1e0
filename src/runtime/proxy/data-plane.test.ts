/** The worker-thread data plane end to end: its async API, coded errors, metrics, and a busy main thread. */

import { Worker } from 'node:worker_threads'
import { describe, expect, it } from 'vitest'
import { ChaosError } from '../../errors.js'
import { addr, echoHandler, withHttpServer, withRawHttp, Client } from '../../../test/sockets.js'
import { DataPlane } from './data-plane.js'

async function withDataPlane<T>(fn: (dp: DataPlane) => Promise<T>): Promise<T> {
  const dp = await DataPlane.start()
  try {
    return await fn(dp)
  } finally {
    await dp.close()
  }
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p
    return 'resolved'
  } catch (e) {
    return e instanceof ChaosError ? e.code : String(e)
  }
}

/** Runs an echo upstream and a request loop in a thread of their own, so only the data plane sits between them. */
const TRAFFIC = `
const { parentPort } = require('node:worker_threads')
const net = require('node:net')
const server = net.createServer((s) => s.pipe(s))
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }))
parentPort.on('message', ({ port, ms }) => {
  const sock = net.connect({ port, host: '127.0.0.1', noDelay: true })
  const lat = []
  const stop = Date.now() + ms
  let t = 0
  const send = () => { t = performance.now(); sock.write('ping') }
  let got = 0
  sock.on('data', (b) => {
    got += b.length
    if (got < 4) return
    got = 0
    lat.push(performance.now() - t)
    if (Date.now() < stop && lat.length < 200000) send()
    else { sock.destroy(); server.close(); parentPort.postMessage({ lat }) }
  })
  sock.on('connect', send)
})
`

describe('DataPlane (worker thread)', () => {
  it('creates proxies, adds, lists and removes faults, reports stats and metrics', async () => {
    await withHttpServer(echoHandler, (up) =>
      withDataPlane(async (dp) => {
        const { port } = await dp.createProxy({ name: 'web>api', mode: 'http', upstreams: [addr(up)], labels: { source: 'web' } })
        expect(port).toBeGreaterThan(0)
        expect(await code(dp.createProxy({ name: 'web>api', mode: 'http', upstreams: [addr(up)] }))).toBe('PROXY_EXISTS')
        expect(await code(dp.addFault('nope', { id: 'x', type: 'reset', direction: 'both' }))).toBe('PROXY_NOT_FOUND')
        expect(await code(dp.addFault('web>api', { id: 'x', type: 'stall', direction: 'up' as 'upstream', probability: 1 }))).toBe(
          'PROXY_INVALID_FAULT',
        )
        await withRawHttp(port, async (c) => {
          expect((await c.request('GET', '/a')).status).toBe(200)
          await dp.addFault('web>api', {
            id: 'err',
            type: 'http',
            direction: 'downstream',
            target: 'Response',
            action: 'replace',
            replace: { code: 503 },
          })
          expect(await code(dp.addFault('web>api', { id: 'err', type: 'reset', direction: 'both' }))).toBe('PROXY_FAULT_EXISTS')
          expect((await dp.listFaults('web>api')).map((f) => f.id)).toEqual(['err'])
          expect((await c.request('GET', '/b')).status).toBe(503)
          const [s] = await dp.stats()
          expect(s!.faults[0]!.touched.requests).toBe(1)
          expect(s!.requests['2xx']).toBe(1)
          expect(s!.requests['5xx']).toBe(1)
          const text = await dp.collect()
          expect(text).toContain('chaoscope_sidecar_requests_total{source="web",proxy="web>api",mode="http",status_class="5xx"} 1')
          expect(text).toContain('chaoscope_sidecar_request_duration_seconds_count{source="web",proxy="web>api",mode="http"} 2')
          expect(text).toMatch(/chaoscope_sidecar_request_duration_seconds_bucket\{.*le="\+Inf"\} 2/)
          expect(text).toContain('chaoscope_sidecar_faults_active{source="web",proxy="web>api",mode="http",type="http"} 1')
          expect(text).toContain('chaoscope_sidecar_connections_active{source="web",proxy="web>api",mode="http"} 1')
          expect(text).toContain('unit="requests"} 1')
          expect(await dp.removeFault('web>api', 'err')).toBe(true)
          expect(await dp.removeFault('web>api', 'err')).toBe(false)
          expect((await c.request('GET', '/c')).status).toBe(200)
        })
        await dp.setUpstreams('web>api', [])
        const c = await Client.connect(port)
        expect(await c.until(() => c.closed, 2000)).toBe(true)
        expect(await dp.removeProxy('web>api')).toBe(true)
        expect(await dp.removeProxy('web>api')).toBe(false)
        expect(await dp.stats()).toEqual([])
      }),
    )
  })

  it('rejects calls with PROXY_WORKER_FAILED once closed', async () => {
    const dp = await DataPlane.start()
    await dp.close()
    expect(await code(dp.stats())).toBe('PROXY_WORKER_FAILED')
  })

  it('keeps moving bytes while the main thread is busy', async () => {
    const traffic = new Worker(TRAFFIC, { eval: true })
    try {
      const upPort = await new Promise<number>((r) => traffic.once('message', (m: { port: number }) => r(m.port)))
      await withDataPlane(async (dp) => {
        const { port } = await dp.createProxy({ name: 'busy', mode: 'tcp', upstreams: [addr(upPort)] })
        const done = new Promise<number[]>((r) => traffic.once('message', (m: { lat: number[] }) => r(m.lat)))
        traffic.postMessage({ port, ms: 600 })
        const until = Date.now() + 500
        while (Date.now() < until) {
          /* the main thread does not yield for 500 ms */
        }
        const lat = (await done).sort((a, b) => a - b)
        expect(lat.length).toBeGreaterThan(200)
        expect(lat[Math.floor(lat.length * 0.99)]!).toBeLessThan(50)
      })
    } finally {
      await traffic.terminate()
    }
  })
})
