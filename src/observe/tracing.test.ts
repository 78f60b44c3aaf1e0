/** Tracing settings from the standard OTEL_* env, and spans exported to a real OTLP/HTTP receiver. */
import { afterEach, describe, expect, test } from 'vitest'
import { startOtlpReceiver } from '../../test/otlp-receiver.js'
import type { OtlpReceiver } from '../../test/otlp-receiver.js'
import { parseTraceparent, startTracing, tracingSettings } from './tracing.js'

describe('tracingSettings', () => {
  test('off unless an endpoint or OTEL_TRACES_EXPORTER=otlp asks for traces', () => {
    expect(tracingSettings({}, 'svc').enabled).toBe(false)
    expect(tracingSettings({ OTEL_SERVICE_NAME: 'x' }, 'svc').enabled).toBe(false)
    const on = tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }, 'svc')
    expect(on).toMatchObject({ enabled: true, url: 'http://collector:4318/v1/traces', serviceName: 'svc' })
    expect(tracingSettings({ OTEL_TRACES_EXPORTER: 'otlp' }, 'svc')).toMatchObject({ enabled: true, url: 'http://localhost:4318/v1/traces' })
  })

  test('a traces endpoint is used as written and wins over the generic one', () => {
    const s = tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:9999/custom' }, 'svc')
    expect(s.url).toBe('http://b:9999/custom')
  })

  test('none, OTEL_SDK_DISABLED, grpc and unsupported exporters turn it off, saying why where it is not obvious', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318' }
    expect(tracingSettings({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' }, 'svc').enabled).toBe(false)
    expect(tracingSettings({ ...endpoint, OTEL_SDK_DISABLED: 'true' }, 'svc').enabled).toBe(false)
    const grpc = tracingSettings({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'svc')
    expect(grpc.enabled).toBe(false)
    expect(grpc.warnings).toEqual(['OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported (use http/json or http/protobuf on port 4318); tracing is off'])
    const zipkin = tracingSettings({ ...endpoint, OTEL_TRACES_EXPORTER: 'zipkin' }, 'svc')
    expect(zipkin.enabled).toBe(false)
    expect(zipkin.warnings).toEqual(['OTEL_TRACES_EXPORTER: exporter "zipkin" is not supported (only otlp and none); ignoring it'])
    expect(tracingSettings({ ...endpoint, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' }, 'svc').enabled).toBe(true)
  })

  test('service name: OTEL_SERVICE_NAME, then service.name in OTEL_RESOURCE_ATTRIBUTES, then the default', () => {
    const attrs = { OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attrs,deployment.environment=dev%20box,broken' }
    const s = tracingSettings(attrs, 'svc')
    expect(s.serviceName).toBe('from-attrs')
    expect(s.resourceAttributes).toEqual({ 'service.name': 'from-attrs', 'deployment.environment': 'dev box' })
    expect(s.warnings).toEqual(['OTEL_RESOURCE_ATTRIBUTES: ignoring "broken" (expected key=value)'])
    expect(tracingSettings({ ...attrs, OTEL_SERVICE_NAME: 'named' }, 'svc').serviceName).toBe('named')
  })

  test('headers and batch limits', () => {
    const s = tracingSettings({
      OTEL_EXPORTER_OTLP_HEADERS: 'a=1,b=2', OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'b=3', OTEL_BSP_MAX_QUEUE_SIZE: '100', OTEL_BSP_SCHEDULE_DELAY: 'soon',
    }, 'svc')
    expect(s.headers).toEqual({ a: '1', b: '3' })
    expect(s.batch).toMatchObject({ maxQueueSize: 100, scheduledDelayMillis: 5000 })
    expect(s.warnings).toEqual(['OTEL_BSP_SCHEDULE_DELAY="soon" is not a positive integer; using 5000'])
  })
})

test('parseTraceparent accepts version 00 and later versions, and rejects zero ids, version ff and junk', () => {
  const tid = '4bf92f3577b34da6a3ce929d0e0e4736'
  expect(parseTraceparent(`00-${tid}-00f067aa0ba902b7-01`)).toEqual({ traceId: tid, spanId: '00f067aa0ba902b7', flags: 1 })
  expect(parseTraceparent(`01-${tid}-00f067aa0ba902b7-00-extra`)).toEqual({ traceId: tid, spanId: '00f067aa0ba902b7', flags: 0 })
  expect(parseTraceparent(`00-${tid}-00f067aa0ba902b7-01-extra`)).toBeUndefined()
  expect(parseTraceparent(`ff-${tid}-00f067aa0ba902b7-01`)).toBeUndefined()
  expect(parseTraceparent(`00-${'0'.repeat(32)}-00f067aa0ba902b7-01`)).toBeUndefined()
  expect(parseTraceparent('nonsense')).toBeUndefined()
  expect(parseTraceparent(undefined)).toBeUndefined()
})

describe('startTracing', () => {
  let receiver: OtlpReceiver | undefined
  afterEach(async () => {
    await receiver?.close()
    receiver = undefined
  })

  test('exports spans as OTLP/HTTP JSON with the service name, parent links and statuses; shutdown flushes', async () => {
    receiver = await startOtlpReceiver()
    const tracing = await startTracing('unit', {
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json', OTEL_RESOURCE_ATTRIBUTES: 'team=chaos' },
    })
    expect(tracing.enabled).toBe(true)
    const incoming = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
    const server = tracing.startSpan('GET /x', { kind: 'server', parent: incoming, attributes: { 'url.path': '/x' } })
    const client = tracing.startSpan('GET dep', { kind: 'client', parent: server })
    expect(tracing.traceparent(client)).toBe(`00-4bf92f3577b34da6a3ce929d0e0e4736-${client.spanContext().spanId}-01`)
    tracing.setError(client, 'dep answered 503')
    client.end()
    server.end()
    await tracing.shutdown()
    expect(receiver.spans).toHaveLength(2)
    const [c, s] = receiver.spans
    expect(s).toMatchObject({ name: 'GET /x', kind: 'server', service: 'unit', traceId: '4bf92f3577b34da6a3ce929d0e0e4736', parentSpanId: '00f067aa0ba902b7', attributes: { 'url.path': '/x' }, status: { code: 'unset' } })
    expect(c).toMatchObject({ name: 'GET dep', kind: 'client', parentSpanId: s!.spanId, status: { code: 'error', message: 'dep answered 503' } })
    expect(receiver.rejected).toEqual([])
  })

  test('when nothing is configured the tracer is a no-op and nothing is sent', async () => {
    receiver = await startOtlpReceiver()
    const tracing = await startTracing('unit', { env: { OTEL_SERVICE_NAME: 'x' } })
    expect(tracing.enabled).toBe(false)
    const span = tracing.startSpan('GET /x', { kind: 'server' })
    expect(span.isRecording()).toBe(false)
    span.end()
    await tracing.shutdown()
    expect(receiver.spans).toEqual([])
  })

  test('a sampled-out parent (flags 00) is respected: nothing is exported', async () => {
    receiver = await startOtlpReceiver()
    const tracing = await startTracing('unit', { env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url } })
    const span = tracing.startSpan('GET /x', { kind: 'server', parent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00' })
    expect(tracing.traceparent(span)).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-00$/)
    span.end()
    await tracing.shutdown()
    expect(receiver.spans).toEqual([])
  })
})
