/** @module demo/lib/service.test: what every demo service does: health, metrics, trace propagation, logs, shutdown. */
import { afterEach, describe, expect, test } from 'vitest'
import { DemoService, HttpError } from './service.js'
import { parseTraceparent } from './trace.js'

const started: DemoService[] = []
afterEach(async () => { await Promise.all(started.splice(0).map((s) => s.close(100))) })

/** `up` answers with the traceparent it received; `down` calls `up` and echoes what `up` saw. */
async function pair(logs: string[] = []) {
  const upEnv: Record<string, string> = {}
  const up = new DemoService({ name: 'up', env: upEnv, log: (l) => logs.push(l) })
  up.route('GET', '/seen', (ctx) => ({ json: { traceparent: ctx.req.headers.traceparent } }))
  up.route('GET', '/slow', () => new Promise((resolve) => setTimeout(() => resolve({ json: { done: true } }), 300)))
  up.route('GET', '/boom', () => { throw new HttpError(418, 'short and stout') })
  const env: Record<string, string> = {}
  const down = new DemoService({ name: 'down', env, log: (l) => logs.push(l) })
  down.route('GET', '/relay', async (ctx) => ({ json: { sawUp: (await ctx.call<{ traceparent: string }>('up', '/seen', { timeoutMs: 1000 })).body.traceparent, mine: ctx.trace } }))
  started.push(up, down)
  await up.listen(0)
  await down.listen(0)
  env.UP_URL = up.url
  return { up, down }
}

describe('demo service', () => {
  test('GET /healthz is ok, and an unknown route is a JSON 404', async () => {
    const { up } = await pair()
    expect(await (await fetch(up.url + '/healthz')).json()).toEqual({ status: 'ok' })
    const res = await fetch(up.url + '/nope')
    expect(res.status).toBe(404)
    expect(await res.json()).toEqual({ error: 'no route for GET /nope' })
    expect((await fetch(up.url + '/boom')).status).toBe(418)
  })

  test('an outgoing call keeps the incoming trace id with a new span id', async () => {
    const { down } = await pair()
    const incoming = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
    const body = await (await fetch(down.url + '/relay', { headers: { traceparent: incoming } })).json() as { sawUp: string; mine: { spanId: string } }
    const seen = parseTraceparent(body.sawUp)!
    expect(seen.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736')
    expect(seen.flags).toBe('01')
    expect(seen.spanId).not.toBe('00f067aa0ba902b7')
    expect(seen.spanId).toMatch(/^[0-9a-f]{16}$/)
    // without a traceparent a new trace starts, and is still propagated
    const fresh = await (await fetch(down.url + '/relay')).json() as { sawUp: string }
    expect(parseTraceparent(fresh.sawUp)?.traceId).toMatch(/^[0-9a-f]{32}$/)
  })

  test('each request is one JSON log line with its trace id; /metrics counts requests and latency by route', async () => {
    const logs: string[] = []
    const { up } = await pair(logs)
    await fetch(up.url + '/seen', { headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } })
    const line = logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'request')
    expect(line).toMatchObject({ level: 'info', service: 'up', method: 'GET', path: '/seen', status: 200, trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', parent_span_id: '00f067aa0ba902b7' })
    expect(logs.every((l) => !l.includes('\n'))).toBe(true)
    const metrics = await (await fetch(up.url + '/metrics')).text()
    expect(metrics).toMatch(/^http_requests_total\{method="GET",route="\/seen",status="200",service="up"\} 1$/m)
    expect(metrics).toMatch(/^http_request_duration_seconds_count\{[^}]*route="\/seen"[^}]*\} 1$/m)
  })

  test('close() lets an in-flight request finish, then refuses new connections', async () => {
    const { up } = await pair()
    const url = up.url
    const inFlight = fetch(url + '/slow').then((r) => r.json())
    await new Promise((r) => setTimeout(r, 50))
    const closing = up.close(2000)
    expect(await inFlight).toEqual({ done: true })
    await closing
    await expect(fetch(url + '/healthz')).rejects.toThrow()
  })
})
