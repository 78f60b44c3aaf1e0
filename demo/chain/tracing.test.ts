/** @module demo/chain/tracing.test: with the OTEL_* env pointing at a receiver, one request to front is one trace down the chain. */
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, test } from 'vitest'
import { startOtlpReceiver } from '../../test/otlp-receiver.js'
import type { OtlpReceiver, ReceivedSpan } from '../../test/otlp-receiver.js'
import { DataPlane } from '../../src/runtime/proxy/data-plane.js'
import { DemoService } from '../lib/service.js'
import { startApp, startGate } from '../lib/testing.js'
import type { Gate, StartedApp } from '../lib/testing.js'
import { CHAIN_FACTORIES } from './services.js'

const APP_FILE = fileURLToPath(new URL('./app.yaml', import.meta.url))

let app: StartedApp | undefined
let gate: Gate | undefined
let receiver: OtlpReceiver | undefined
afterEach(async () => {
  await app?.close()
  await gate?.close()
  await receiver?.close()
  app = gate = receiver = undefined
})

const otel = (r: OtlpReceiver): Record<string, string> => ({ OTEL_EXPORTER_OTLP_ENDPOINT: r.endpoint, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' })

/** Starts the chain with every service tracing to the receiver. */
async function tracedChain(r: OtlpReceiver): Promise<StartedApp> {
  return startApp(APP_FILE, CHAIN_FACTORIES, { env: { front: otel(r), middle: otel(r), back: otel(r) } })
}

/** The span of `service` of `kind`; fails the test when there is not exactly one. */
function one(spans: ReceivedSpan[], service: string, kind: ReceivedSpan['kind']): ReceivedSpan {
  const found = spans.filter((s) => s.service === service && s.kind === kind)
  expect(found, `${kind} spans of ${service}`).toHaveLength(1)
  return found[0]!
}

describe('chain tracing', () => {
  test('one request to front is one trace: front → middle → back, each span the child of the one before', async () => {
    receiver = await startOtlpReceiver()
    app = await tracedChain(receiver)
    const res = await fetch(app.url('front') + '/')
    expect(res.status).toBe(200)
    await app.close() // flushes every service's spans
    const spans = receiver.spans
    expect(spans).toHaveLength(5)
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(1)

    const frontServer = one(spans, 'front', 'server')
    const frontClient = one(spans, 'front', 'client')
    const middleServer = one(spans, 'middle', 'server')
    const middleClient = one(spans, 'middle', 'client')
    const backServer = one(spans, 'back', 'server')
    expect(frontServer.parentSpanId).toBe('')
    expect(frontClient.parentSpanId).toBe(frontServer.spanId)
    expect(middleServer.parentSpanId).toBe(frontClient.spanId)
    expect(middleClient.parentSpanId).toBe(middleServer.spanId)
    expect(backServer.parentSpanId).toBe(middleClient.spanId)

    for (const s of [frontServer, middleServer, backServer]) {
      expect(s).toMatchObject({ name: 'GET /', status: { code: 'unset' }, attributes: { 'http.request.method': 'GET', 'url.path': '/', 'http.route': '/', 'http.response.status_code': 200 } })
    }
    expect(frontClient).toMatchObject({ name: 'GET middle', status: { code: 'unset' }, attributes: { 'http.request.method': 'GET', 'http.response.status_code': 200 } })
    expect(middleClient.name).toBe('GET back')
    // A parent lasts as long as its children.
    expect(frontServer.startMs).toBeLessThanOrEqual(frontClient.startMs)
    expect(frontServer.endMs).toBeGreaterThanOrEqual(backServer.endMs)
    // The log lines carry the span ids that were exported.
    const backLog = app.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.service === 'back' && l.msg === 'request')
    expect(backLog).toMatchObject({ trace_id: backServer.traceId, span_id: backServer.spanId, parent_span_id: middleClient.spanId })
    expect(receiver.rejected).toEqual([])
  })

  test("a failing call is an error on the caller's client span; the stale 200 answer is not an error", async () => {
    receiver = await startOtlpReceiver()
    app = await tracedChain(receiver)
    gate = await startGate(app.url('back'), { kind: 'status', status: 503 })
    ;(app.services.get('middle')!.env as Record<string, string>).BACK_URL = gate.url
    const res = await fetch(app.url('front') + '/')
    expect(await res.json()).toMatchObject({ stale: true, error: 'middle could not get a fresh value: back answered 503: gate answered 503' })
    await app.close()
    const spans = receiver.spans
    expect(spans).toHaveLength(4) // back is never reached
    expect(one(spans, 'middle', 'client')).toMatchObject({
      status: { code: 'error', message: 'back answered 503: gate answered 503' },
      attributes: { 'http.response.status_code': 503, 'error.type': '503' },
    })
    expect(one(spans, 'middle', 'server')).toMatchObject({ status: { code: 'unset' }, attributes: { 'http.response.status_code': 200 } })
  })

  test('a 5xx answer makes the server span an error; /healthz makes no span', async () => {
    receiver = await startOtlpReceiver()
    const svc = new DemoService({ name: 'fragile', env: otel(receiver), log: () => {} })
    svc.route('GET', '/items/:id', () => { throw new Error('disk on fire') })
    await svc.listen(0)
    expect((await fetch(svc.url + '/healthz')).status).toBe(200)
    expect((await fetch(svc.url + '/items/7')).status).toBe(500)
    await svc.close(100)
    expect(receiver.spans).toHaveLength(1)
    expect(receiver.spans[0]).toMatchObject({
      name: 'GET /items/:id', kind: 'server', service: 'fragile', status: { code: 'error' },
      attributes: { 'url.path': '/items/7', 'http.route': '/items/:id', 'http.response.status_code': 500, 'error.type': '500' },
    })
  })

  test('without OTEL_* env nothing is exported and traceparent is still passed on', async () => {
    receiver = await startOtlpReceiver()
    app = await startApp(APP_FILE, CHAIN_FACTORIES)
    const incoming = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
    expect((await fetch(app.url('front') + '/', { headers: { traceparent: incoming } })).status).toBe(200)
    await app.close()
    const requests = app.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'request')
    expect(requests.map((l) => l.trace_id)).toEqual(['4bf92f3577b34da6a3ce929d0e0e4736', '4bf92f3577b34da6a3ce929d0e0e4736', '4bf92f3577b34da6a3ce929d0e0e4736'])
    expect(receiver.spans).toEqual([])
  })
})

test('through the sidecars: front → egress → ingress → middle → … is still one trace, sidecar hops in between', async () => {
  receiver = await startOtlpReceiver()
  const saved = { ...process.env }
  Object.assign(process.env, otel(receiver))
  let dp: DataPlane | undefined
  try {
    dp = await DataPlane.start() // the worker reads the runtime's env as it starts
    app = await tracedChain(receiver)
    const ingress: Record<string, string> = {}
    for (const name of ['front', 'middle', 'back']) {
      const { port } = await dp.createProxy({ name: `${name}-0`, mode: 'http', upstreams: [app.url(name).slice('http://'.length)], labels: { source: 'ingress', destination: name } })
      ingress[name] = `127.0.0.1:${port}`
    }
    for (const [from, to] of [['front', 'middle'], ['middle', 'back']] as const) {
      const { port } = await dp.createProxy({ name: `${from}-0>${to}`, mode: 'http', upstreams: [ingress[to]!], labels: { source: from, destination: to } })
      ;(app.services.get(from)!.env as Record<string, string>)[`${to.toUpperCase()}_URL`] = `http://127.0.0.1:${port}`
    }
    expect((await fetch(`http://${ingress.front}/`)).status).toBe(200)
  } finally {
    await app?.close()
    await dp?.close()
    process.env = saved
  }
  const spans = receiver.spans
  expect(spans).toHaveLength(10)
  expect(new Set(spans.map((s) => s.traceId)).size).toBe(1)
  // Walk from the root down through the single child of each span.
  const chain: string[] = []
  let at = spans.find((s) => s.parentSpanId === '')
  while (at) {
    chain.push(`${at.service} ${at.kind} ${at.name}`)
    const parent: ReceivedSpan = at
    at = spans.find((s) => s.parentSpanId === parent.spanId)
  }
  expect(chain).toEqual([
    'chaoscope-sidecar server ingress front',
    'front server GET /',
    'front client GET middle',
    'chaoscope-sidecar client egress front>middle',
    'chaoscope-sidecar server ingress middle',
    'middle server GET /',
    'middle client GET back',
    'chaoscope-sidecar client egress middle>back',
    'chaoscope-sidecar server ingress back',
    'back server GET /',
  ])
})
