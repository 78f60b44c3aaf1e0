/**
 * @module runtime/control-api: the local runtime's HTTP control API (127.0.0.1 only): pods, logs, sidecars,
 * effects (apply, remove, list), metrics, shutdown. `chaoscope get pods`, `logs` and `down` use it, and so does a
 * controller that runs in another process (`chaoscope server`).
 */
import { Hono } from 'hono'
import type { Context } from 'hono'
import { stream } from 'hono/streaming'
import { ChaosError, errorBody, httpStatus } from '../errors.js'
import type { LocalRuntime } from './local-runtime.js'
import { runtimeOpenApiDocument } from './openapi.js'

export interface ControlApiOptions {
  /** Called after the shutdown request was answered. */
  onShutdown(): void
}

export function controlApi(rt: LocalRuntime, opts: ControlApiOptions): Hono {
  const app = new Hono()
  app.onError((e, c) => {
    const body = errorBody(e)
    if (body.code === 'INTERNAL') console.error('chaoscope runtime: uncoded error in the control API', e)
    return c.json(body, httpStatus(body.code))
  })
  app.notFound((c) => c.json({ code: 'API_NOT_FOUND', message: `no such endpoint: ${c.req.method} ${c.req.path}`, hint: 'the endpoints are under /runtime/v1: pods, sidecars, effects' }, 404))

  app.get('/healthz', (c) => c.text('ok'))
  app.get('/runtime/v1/openapi.json', (c) => c.json(runtimeOpenApiDocument()))
  app.get('/runtime/v1/pods', (c) => {
    const selector = c.req.query('labelSelector')
    const namespace = c.req.query('namespace')
    return c.json({ items: rt.pods(selector || undefined, namespace || undefined) })
  })
  app.get('/runtime/v1/pods/:name', (c) => c.json(rt.pod(c.req.param('name'))))
  app.get('/runtime/v1/pods/:name/logs', (c) => podLogs(c, rt))
  app.get('/runtime/v1/sidecars', async (c) => c.json({ items: await rt.stats() }))
  app.get('/runtime/v1/effects', async (c) => {
    const owner = c.req.query('owner')
    const ended = c.req.query('ended')
    if (ended !== undefined && ended !== 'true' && ended !== 'false') throw new ChaosError('EFFECT_INVALID', `ended: expected true or false, got ${JSON.stringify(ended)}`)
    return c.json({ items: await rt.effects({ ...(owner !== undefined ? { owner } : {}), ...(ended === 'true' ? { ended: true } : {}) }) })
  })
  app.post('/runtime/v1/effects', async (c) => {
    const body: unknown = await c.req.json().catch(() => {
      throw new ChaosError('EFFECT_INVALID', 'the body is not JSON: expected an effect {id, type, target, owner?, expiresAt?, body}')
    })
    const outcome = await rt.applyEffect(body)
    return c.json(outcome, outcome.held ? 201 : 200)
  })
  app.delete('/runtime/v1/effects/:id', async (c) => c.json({ removed: await rt.removeEffect(c.req.param('id')) }))
  app.get('/metrics', async (c) => c.text(await rt.dataPlane.collect(), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }))
  app.post('/runtime/v1/shutdown', (c) => {
    setImmediate(() => opts.onShutdown())
    return c.json({ stopping: true }, 202)
  })
  return app
}

function podLogs(c: Context, rt: LocalRuntime) {
  const name = c.req.param('name')!
  const logs = rt.logs(name)
  const tailQ = c.req.query('tail')
  const tail = tailQ === undefined ? undefined : Math.max(0, Number(tailQ) || 0)
  const line = (l: { time: string; stream: string; text: string }) => `${l.time} ${l.stream} ${l.text}\n`
  if (c.req.query('follow') !== 'true') return c.text(logs.lines(tail).map(line).join(''))
  return stream(c, async (s) => {
    const abort = new AbortController()
    s.onAbort(() => abort.abort())
    for await (const l of logs.follow({ ...(tail !== undefined ? { tail } : {}), signal: abort.signal })) await s.write(line(l))
  })
}
