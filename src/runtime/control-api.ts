/**
 * @module runtime/control-api: the local runtime's HTTP control API (127.0.0.1 only): pods, logs, sidecars,
 * faults, metrics, shutdown. `chaoscope get pods`, `logs` and `down` use it; so will the controller.
 */
import { Hono } from 'hono'
import type { Context } from 'hono'
import { stream } from 'hono/streaming'
import { ChaosError, errorBody, httpStatus } from '../errors.js'
import type { LocalRuntime } from './local-runtime.js'
import type { FaultSpec } from './proxy/toxic.js'

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
  app.notFound((c) => c.json({ code: 'CLI_USAGE', message: `no such endpoint: ${c.req.method} ${c.req.path}` }, 404))

  app.get('/healthz', (c) => c.text('ok'))
  app.get('/runtime/v1/pods', (c) => {
    const selector = c.req.query('labelSelector')
    const namespace = c.req.query('namespace')
    return c.json({ items: rt.pods(selector || undefined, namespace || undefined) })
  })
  app.get('/runtime/v1/pods/:name', (c) => c.json(rt.pod(c.req.param('name'))))
  app.get('/runtime/v1/pods/:name/logs', (c) => podLogs(c, rt))
  app.get('/runtime/v1/sidecars', async (c) => c.json({ items: await rt.stats() }))
  app.get('/runtime/v1/faults', async (c) => c.json({ items: await rt.activeFaults() }))
  app.post('/runtime/v1/pods/:name/kill', async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as { signal?: string }
    const name = c.req.param('name')
    rt.pod(name)
    const signal = typeof body.signal === 'string' && /^SIG[A-Z0-9]+$/.test(body.signal) ? (body.signal as NodeJS.Signals) : 'SIGKILL'
    return c.json({ killed: rt.supervisor.killPod(name, signal) })
  })
  app.post('/runtime/v1/pods/:name/delete', async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as { gracePeriodMs?: number }
    const name = c.req.param('name')
    rt.pod(name)
    await rt.supervisor.stopPod(name, { replace: true, ...(typeof body.gracePeriodMs === 'number' ? { gracePeriodMs: body.gracePeriodMs } : {}) })
    return c.json({ deleted: true })
  })
  app.post('/runtime/v1/pods/:name/fail', async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as { expiresAt?: unknown }
    rt.failPod(c.req.param('name'), typeof body.expiresAt === 'number' ? { expiresAt: body.expiresAt } : {})
    return c.json({ failed: true })
  })
  app.post('/runtime/v1/pods/:name/unfail', (c) => {
    const name = c.req.param('name')
    rt.pod(name)
    rt.supervisor.unfailPod(name)
    return c.json({ failed: false })
  })
  app.post('/runtime/v1/faults', async (c) => {
    const body = (await c.req.json().catch(() => undefined)) as { pod?: string; edge?: string; fault?: FaultSpec; expiresAt?: unknown } | undefined
    if (!body || typeof body.pod !== 'string' || typeof body.fault !== 'object' || body.fault === null) {
      throw new ChaosError('PROXY_INVALID_FAULT', 'expected a JSON body {"pod": "<name>", "edge"?: "<dependency>", "fault": {...}}')
    }
    const target = { pod: body.pod, ...(typeof body.edge === 'string' ? { edge: body.edge } : {}) }
    await rt.addFault(target, body.fault, typeof body.expiresAt === 'number' ? { expiresAt: body.expiresAt } : {})
    return c.json({ proxy: rt.proxyFor(target), fault: body.fault }, 201)
  })
  app.delete('/runtime/v1/faults/:id', async (c) => {
    const pod = c.req.query('pod')
    if (!pod) throw new ChaosError('PROXY_INVALID_FAULT', 'say which pod: DELETE /runtime/v1/faults/<id>?pod=<name>[&edge=<dependency>]')
    const edge = c.req.query('edge')
    const removed = await rt.removeFault({ pod, ...(edge ? { edge } : {}) }, c.req.param('id'))
    return c.json({ removed })
  })
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
