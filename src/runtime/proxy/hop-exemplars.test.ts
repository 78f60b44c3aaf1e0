/** Sidecar exemplars through the data plane worker: with tracing on, failed and faulted requests are kept with their span ids. */
import http from 'node:http'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startOtlpReceiver } from '../../../test/otlp-receiver.js'
import type { OtlpReceiver } from '../../../test/otlp-receiver.js'
import { addr, withHttpServer } from '../../../test/sockets.js'
import type { Exemplar } from '../types.js'
import { DataPlane } from './data-plane.js'
import { NOTABLE_CAP, SLOWEST_PER_INTERVAL } from './exemplars.js'

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
const CALLER_SPAN = '00f067aa0ba902b7'

/** Sends one request; resolves with the status, or 0 when the connection closed without one. */
function get(port: number, path: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', () => resolve(0))
  })
}

const ok: http.RequestListener = (_req, res) => res.writeHead(200, { 'content-length': '2' }).end('ok')

/** web's egress sidecar for api, in front of api's ingress sidecar, in front of the api server. */
async function withChain(fn: (dp: DataPlane, port: number) => Promise<void>): Promise<void> {
  await withHttpServer(ok, async (server) => {
    const dp = await DataPlane.start()
    try {
      const api = await dp.createProxy({ name: 'api-1', mode: 'http', upstreams: [addr(server)], labels: { source: 'ingress', destination: 'api' } })
      const web = await dp.createProxy({ name: 'web-1>api', mode: 'http', upstreams: [addr(api.port)], labels: { source: 'web', destination: 'api' } })
      await fn(dp, web.port)
    } finally {
      await dp.close()
    }
  })
}

async function exemplars(dp: DataPlane, since?: number): Promise<Record<string, Exemplar[]>> {
  return Object.fromEntries((await dp.stats(since === undefined ? {} : { since })).map((s) => [s.name, s.exemplars]))
}

describe('sidecar exemplars (tracing on)', () => {
  let receiver: OtlpReceiver
  const saved: Record<string, string | undefined> = {}

  beforeAll(async () => {
    receiver = await startOtlpReceiver()
    // The worker copies this process's env when it starts: that is the runtime's OTEL_* env.
    const env = { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json', OTEL_SERVICE_NAME: '' }
    for (const [k, v] of Object.entries(env)) {
      saved[k] = process.env[k]
      process.env[k] = v
    }
  })
  afterAll(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
    await receiver.close()
  })

  test('an aborted and a delayed request are kept on both hops, in one trace, the inner hop the child of the outer', async () => {
    let ids: [Exemplar, Exemplar] | undefined
    await withChain(async (dp, port) => {
      await dp.addFault('api-1', { id: 'abort-boom', type: 'http', direction: 'upstream', target: 'Request', action: 'abort', match: { path: '/boom' } })
      await dp.addFault('api-1', { id: 'slow', type: 'http', direction: 'upstream', target: 'Request', action: 'delay', delayMs: 80, match: { path: '/slow' } })
      const before = Date.now()
      expect(await get(port, '/boom', { traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01` })).not.toBe(200)
      expect(await get(port, '/slow')).toBe(200)
      const kept = await exemplars(dp)

      const outer = kept['web-1>api']!.find((e) => e.path === '/boom')!
      const inner = kept['api-1']!.find((e) => e.path === '/boom')!
      expect(inner).toMatchObject({ traceId: TRACE_ID, parentSpanId: outer.spanId, sidecar: 'api-1', source: 'ingress', destination: 'api', method: 'GET', status: 0, faults: ['abort-boom'], reason: 'fault' })
      // The outer hop saw its upstream close without an answer: no fault of its own acted, the request failed.
      expect(outer).toMatchObject({ traceId: TRACE_ID, parentSpanId: CALLER_SPAN, sidecar: 'web-1>api', source: 'web', destination: 'api', faults: [], reason: 'failed' })
      expect([0, 502]).toContain(outer.status)
      expect(outer.start).toBeGreaterThanOrEqual(before - 5)
      expect(inner.start).toBeGreaterThanOrEqual(outer.start)

      const slowOuter = kept['web-1>api']!.find((e) => e.path === '/slow')!
      const slowInner = kept['api-1']!.find((e) => e.path === '/slow')!
      expect(slowInner).toMatchObject({ traceId: slowOuter.traceId, parentSpanId: slowOuter.spanId, status: 200, faults: ['slow'], reason: 'fault' })
      expect(slowInner.durationMs).toBeGreaterThanOrEqual(75)
      // The outer hop passed it untouched: kept as the slowest it saw, a new trace's root.
      expect(slowOuter).toMatchObject({ status: 200, faults: [], reason: 'slow' })
      expect(slowOuter).not.toHaveProperty('parentSpanId')
      expect(slowOuter.durationMs).toBeGreaterThanOrEqual(slowInner.durationMs)

      // since: only the requests that ended after it
      const later = await exemplars(dp, inner.start + inner.durationMs)
      expect(later['api-1']!.map((e) => e.path)).toEqual(['/slow'])
      ids = [inner, outer]
    })
    // The same ids went to the collector (closing the data plane flushed its spans).
    const [inner, outer] = ids!
    expect(receiver.spans.find((x) => x.spanId === inner.spanId)).toMatchObject({ traceId: TRACE_ID, parentSpanId: outer.spanId })
    expect(receiver.spans.find((x) => x.spanId === outer.spanId)).toMatchObject({ traceId: TRACE_ID, parentSpanId: CALLER_SPAN })
  })

  test('past the cap the newest failed requests are kept, and passing fast ones push none of them out', async () => {
    await withChain(async (dp, port) => {
      await dp.addFault('api-1', { id: 'abort', type: 'http', direction: 'upstream', target: 'Request', action: 'abort', match: { path: '/boom/*' } })
      for (let i = 0; i < NOTABLE_CAP + 10; i++) await get(port, `/boom/${i}`)
      for (let i = 0; i < 60; i++) expect(await get(port, '/fine')).toBe(200)
      const kept = (await exemplars(dp))['api-1']!
      const boom = kept.filter((e) => e.reason === 'fault')
      expect(boom.map((e) => e.path)).toEqual(Array.from({ length: NOTABLE_CAP }, (_, i) => `/boom/${i + 10}`))
      // Of 60 fast passing requests only the slowest few of the last interval or two stay.
      const fine = kept.filter((e) => e.path === '/fine')
      expect(fine.length).toBeGreaterThan(0)
      expect(fine.length).toBeLessThanOrEqual(2 * SLOWEST_PER_INTERVAL)
      expect(fine.every((e) => e.reason === 'slow')).toBe(true)
    })
  })
})

test('with tracing off a sidecar keeps no exemplars', async () => {
  await withChain(async (dp, port) => {
    await dp.addFault('api-1', { id: 'abort', type: 'http', direction: 'upstream', target: 'Request', action: 'abort', match: { path: '/boom' } })
    expect(await get(port, '/boom')).not.toBe(200)
    expect(await get(port, '/fine')).toBe(200)
    const stats = await dp.stats()
    expect(stats.find((s) => s.name === 'api-1')!.requests.error).toBe(1)
    expect(stats.map((s) => s.exemplars)).toEqual([[], []])
  })
})
