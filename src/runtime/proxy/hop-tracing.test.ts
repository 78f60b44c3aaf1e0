/** Sidecar spans: the data plane worker, with tracing on through the OTEL_* env, exports one span per request per hop. */
import http from 'node:http'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startOtlpReceiver } from '../../../test/otlp-receiver.js'
import type { OtlpReceiver, ReceivedSpan } from '../../../test/otlp-receiver.js'
import { addr, withHttpServer } from '../../../test/sockets.js'
import { DataPlane } from './data-plane.js'
import { hopSpans } from './hop-spans.js'

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
const CALLER_SPAN = '00f067aa0ba902b7'

/** Sends one request through the proxy; resolves with the status, or 0 when the connection closed without one. */
function get(port: number, path: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', () => resolve(0))
  })
}

/** The upstream answers 200, or the status in `?status=`, and remembers the traceparent it got. */
function upstream(seen: string[]): http.RequestListener {
  return (req, res) => {
    seen.push(String(req.headers.traceparent))
    const status = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('status') ?? 200)
    res.writeHead(status, { 'content-length': '2' }).end('ok')
  }
}

describe('sidecar spans (tracing on)', () => {
  let receiver: OtlpReceiver
  const saved: Record<string, string | undefined> = {}
  const env = (): Record<string, string> => ({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json', OTEL_SERVICE_NAME: '' })

  beforeAll(async () => {
    receiver = await startOtlpReceiver()
    // The worker copies this process's env when it starts: that is the runtime's OTEL_* env.
    for (const [k, v] of Object.entries(env())) {
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

  test('an egress sidecar exports a CLIENT span per request, with the ids it forwarded and the caller as parent', async () => {
    receiver.spans.length = 0
    const seen: string[] = []
    await withHttpServer(upstream(seen), async (up) => {
      const dp = await DataPlane.start()
      try {
        const { port } = await dp.createProxy({ name: 'web-1>api', mode: 'http', upstreams: [addr(up)], labels: { source: 'web', destination: 'api' } })
        expect(await get(port, '/items?x=1', { traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01` })).toBe(200)
        expect(await get(port, '/fail?status=503')).toBe(503)
      } finally {
        await dp.close()
      }
    })
    expect(receiver.spans).toHaveLength(2)
    const [first, second] = [...receiver.spans].sort((a, b) => a.startMs - b.startMs) as [ReceivedSpan, ReceivedSpan]
    expect(seen[0]).toBe(`00-${TRACE_ID}-${first.spanId}-01`)
    expect(first).toMatchObject({
      name: 'egress web>api', kind: 'client', service: 'chaoscope-sidecar', traceId: TRACE_ID, parentSpanId: CALLER_SPAN, status: { code: 'unset' },
      attributes: {
        'chaoscope.sidecar.name': 'web-1>api', 'chaoscope.sidecar.role': 'egress', 'chaoscope.source.service': 'web', 'chaoscope.destination.service': 'api',
        'http.request.method': 'GET', 'url.path': '/items', 'http.response.status_code': 200,
      },
    })
    expect(first.attributes).not.toHaveProperty('chaoscope.faults')
    // No incoming traceparent: the hop starts the trace, and the span is its root.
    expect(seen[1]).toBe(`00-${second.traceId}-${second.spanId}-01`)
    expect(second).toMatchObject({ parentSpanId: '', status: { code: 'error' }, attributes: { 'http.response.status_code': 503, 'error.type': '503' } })
  })

  test('an ingress sidecar exports SERVER spans naming the faults that acted: abort, response replace, delay', async () => {
    receiver.spans.length = 0
    const seen: string[] = []
    await withHttpServer(upstream(seen), async (up) => {
      const dp = await DataPlane.start()
      try {
        const { port } = await dp.createProxy({ name: 'api-7f2ab', mode: 'http', upstreams: [addr(up)], labels: { source: 'ingress', destination: 'api' } })
        await dp.addFault('api-7f2ab', { id: 'abort-boom', type: 'http', direction: 'upstream', target: 'Request', action: 'abort', match: { path: '/boom' } })
        await dp.addFault('api-7f2ab', { id: 'teapot', type: 'http', direction: 'downstream', target: 'Response', action: 'replace', match: { path: '/brew' }, replace: { code: 500 } })
        await dp.addFault('api-7f2ab', { id: 'slow', type: 'http', direction: 'upstream', target: 'Request', action: 'delay', delayMs: 50, match: { path: '/brew' } })
        expect(await get(port, '/boom', { traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01` })).toBe(0)
        expect(await get(port, '/brew')).toBe(500)
        expect(await get(port, '/calm')).toBe(200)
      } finally {
        await dp.close()
      }
    })
    const byPath = new Map(receiver.spans.map((s) => [s.attributes['url.path'], s]))
    expect(receiver.spans).toHaveLength(3)
    expect(byPath.get('/boom')).toMatchObject({
      name: 'ingress api', kind: 'server', traceId: TRACE_ID, parentSpanId: CALLER_SPAN,
      status: { code: 'error', message: 'no response (faults: abort-boom)' },
      attributes: { 'chaoscope.sidecar.role': 'ingress', 'chaoscope.destination.service': 'api', 'chaoscope.faults': ['abort-boom'], 'error.type': 'no_response' },
    })
    expect(byPath.get('/boom')!.attributes).not.toHaveProperty('http.response.status_code')
    const brew = byPath.get('/brew')!
    expect(brew).toMatchObject({ status: { code: 'error' }, attributes: { 'chaoscope.faults': ['slow', 'teapot'], 'http.response.status_code': 500 } })
    expect(brew.endMs - brew.startMs).toBeGreaterThanOrEqual(45)
    expect(byPath.get('/calm')!.attributes).not.toHaveProperty('chaoscope.faults')
    expect(byPath.get('/calm')!.status.code).toBe('unset')
    // Only the requests that reached the upstream carried a traceparent there.
    expect(seen).toHaveLength(2)
  })

  test('the hook lives in the worker only: this thread never turned it on', () => {
    expect(hopSpans).toBeUndefined()
  })
})

test('with tracing off the hop still forwards the caller\'s trace with a new span id', async () => {
  const seen: string[] = []
  await withHttpServer(upstream(seen), async (up) => {
    const dp = await DataPlane.start()
    try {
      const { port } = await dp.createProxy({ name: 'a>b', mode: 'http', upstreams: [addr(up)], labels: { source: 'a', destination: 'b' } })
      expect(await get(port, '/', { traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01` })).toBe(200)
    } finally {
      await dp.close()
    }
  })
  expect(seen[0]).toMatch(new RegExp(`^00-${TRACE_ID}-(?!${CALLER_SPAN})[0-9a-f]{16}-01$`))
})
