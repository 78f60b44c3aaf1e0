/**
 * @module runtime/control-api: the local runtime's HTTP control API: pods, logs, sidecars, effects (apply, remove,
 * list), metrics, shutdown. `chaoscope get pods`, `logs` and `down` use it, and so does a controller that runs in
 * another process (`chaoscope server`). Every call but /healthz carries the runtime's own token (made at start, kept
 * in runtime.json, 0600); it is not a controller token: only the CLI of this user and the controller hold it.
 */
import { Hono } from 'hono'
import type { Context } from 'hono'
import { stream } from 'hono/streaming'
import { ChaosError, errorBody, httpStatus } from '../errors.js'
import { allowedMethods, checkNesting, guard, readBody } from '../http-guard.js'
import type { RateLimit } from '../http-guard.js'
import { ANONYMOUS, authMiddleware, noteAudit, SecretAuth } from '../http-auth.js'
import type { AuditEntry, Authenticates, Principal } from '../http-auth.js'
import { FailedAuthLimiter, requireContentType, security } from '../http-security.js'
import type { SecurityOptions } from '../http-security.js'
import { parseSelector } from '../selector.js'
import type { LocalRuntime } from './local-runtime.js'
import { runtimeOpenApiDocument } from './openapi.js'

export interface ControlApiOptions {
  /** Called after the shutdown request was answered. */
  onShutdown(): void
  /** Requests per client address (default: CHAOSCOPE_RATE_LIMIT, else 5000 a second in bursts of 10000); false: none. */
  rateLimit?: RateLimit | false
  /**
   * The runtime's token, the Host/Origin rules, and where mutating calls are audited (the controller's log when
   * one shares the process). Without it (in-process tests) nothing is checked.
   */
  security?: {
    /** The token every call must carry; undefined with `--auth none` (loopback only). */
    token: string | undefined
    http: SecurityOptions
    audit?: (e: AuditEntry) => void
    /** Whether an Authorization header that is not the runtime's may read /metrics (in `up`: a controller token with read). */
    readsMetrics?: (authorization: string | undefined) => boolean
  }
}

/** A caller reading /metrics with a controller token (`up`). */
const METRICS_READER: Principal = { name: 'metrics-reader', role: 'viewer', namespaces: [] }

/** The audit log's action for a mutating call of this API. */
function actionOf(_method: string, path: string): string {
  if (path === '/runtime/v1/effects') return 'effect apply'
  if (path.startsWith('/runtime/v1/effects/')) return 'effect remove'
  if (path === '/runtime/v1/shutdown') return 'runtime shutdown'
  return 'unknown route'
}

/**
 * Every request passes the limits of src/http-guard.ts first (rate per client, body size, then nesting before a
 * body is parsed), as on the controller's API; every query and body is checked before the runtime acts on it.
 */
export function controlApi(rt: LocalRuntime, opts: ControlApiOptions): Hono {
  const app = new Hono()
  const sec = opts.security
  if (sec) app.use('*', security(sec.http))
  app.use('*', guard(opts.rateLimit !== undefined ? { rateLimit: opts.rateLimit } : {}))
  if (sec) {
    const { audit, readsMetrics } = sec
    const secret = sec.token !== undefined ? new SecretAuth(sec.token, new FailedAuthLimiter()) : undefined
    const auth: Authenticates = {
      authenticate: (header, client, path) => {
        if (!secret) return ANONYMOUS
        if (path === '/metrics' && readsMetrics?.(header)) return METRICS_READER
        return secret.authenticate(header, client)
      },
    }
    app.use('*', authMiddleware(auth, { open: ['/healthz'], ...(audit ? { audit } : {}), action: actionOf }))
  }
  app.onError((e, c) => {
    const body = errorBody(e)
    if (body.code === 'INTERNAL') console.error('chaoscope runtime: uncoded error in the control API', e)
    return c.json(body, httpStatus(body.code))
  })
  app.notFound((c) => {
    const allow = allowedMethods(app.routes, c.req.path)
    if (allow.length > 0) return c.json({ code: 'API_METHOD_NOT_ALLOWED', message: `${c.req.path} does not take ${c.req.method}`, hint: `it takes ${allow.join(', ')}` }, 405, { Allow: allow.join(', ') })
    return c.json({ code: 'API_NOT_FOUND', message: `no such endpoint: ${c.req.method} ${c.req.path}`, hint: 'the endpoints are under /runtime/v1: pods, sidecars, effects' }, 404)
  })

  app.get('/healthz', (c) => c.text('ok'))
  app.get('/runtime/v1/openapi.json', (c) => c.json(runtimeOpenApiDocument()))
  app.get('/runtime/v1/pods', (c) => {
    const selector = c.req.query('labelSelector') || undefined
    if (selector !== undefined) parseSelector(selector) // SELECTOR_INVALID (400), whether or not a pod is there to match
    const namespace = c.req.query('namespace')
    return c.json({ items: rt.pods(selector, namespace || undefined) })
  })
  app.get('/runtime/v1/pods/:name', (c) => c.json(rt.pod(c.req.param('name'))))
  app.get('/runtime/v1/pods/:name/logs', (c) => podLogs(c, rt))
  app.get('/runtime/v1/sidecars', async (c) => {
    const since = epochMs(c.req.query('since'), 'since')
    return c.json({ items: await rt.stats(since === undefined ? {} : { since }) })
  })
  app.get('/runtime/v1/effects', async (c) => {
    const owner = c.req.query('owner')
    if (owner !== undefined && !(owner.length > 0 && owner.length <= 512)) throw new ChaosError('API_INVALID_QUERY', `owner: expected an experiment uid of 1 to 512 characters, got ${owner.length}`)
    const ended = flag(c.req.query('ended'), 'ended')
    return c.json({ items: await rt.effects({ ...(owner !== undefined ? { owner } : {}), ...(ended ? { ended: true } : {}) }) })
  })
  app.post('/runtime/v1/effects', requireContentType(['application/json']), async (c) => {
    const text = await readBody(c.req.raw)
    checkNesting(text)
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      throw new ChaosError('EFFECT_INVALID', 'the body is not JSON: expected an effect {id, type, target, owner?, expiresAt?, body}')
    }
    const b = body as { id?: unknown; type?: unknown; target?: { pod?: unknown } }
    noteAudit(c, { action: 'effect apply', target: `${String(b?.type)}/${String(b?.id)}${b?.target?.pod ? ` on ${String(b.target.pod)}` : ''}` })
    const outcome = await rt.applyEffect(body)
    return c.json(outcome, outcome.held ? 201 : 200)
  })
  app.delete('/runtime/v1/effects/:id', async (c) => {
    const id = c.req.param('id')
    if (id.length > 512) throw new ChaosError('EFFECT_INVALID', 'id: expected a string of 1 to 512 characters')
    noteAudit(c, { action: 'effect remove', target: id })
    return c.json({ removed: await rt.removeEffect(id) })
  })
  app.get('/metrics', async (c) => c.text(await rt.dataPlane.collect(), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }))
  app.post('/runtime/v1/shutdown', (c) => {
    setImmediate(() => opts.onShutdown())
    return c.json({ stopping: true }, 202)
  })
  return app
}

/** Latest epoch ms a Date can hold. */
const MAX_EPOCH_MS = 8.64e15

/** A time in ms since the epoch (fractional allowed); API_INVALID_QUERY otherwise. */
function epochMs(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined
  const n = v.trim() === '' ? NaN : Number(v)
  if (!(n >= 0 && n <= MAX_EPOCH_MS)) throw new ChaosError('API_INVALID_QUERY', `${name} must be a time in ms since the epoch, got ${JSON.stringify(v)}`)
  return n
}

/** A true/false query parameter (absent: false); API_INVALID_QUERY otherwise. */
function flag(v: string | undefined, name: string): boolean {
  if (v === undefined || v === 'false') return false
  if (v === 'true') return true
  throw new ChaosError('API_INVALID_QUERY', `${name} must be true or false, got ${JSON.stringify(v)}`)
}

function podLogs(c: Context, rt: LocalRuntime) {
  const name = c.req.param('name')!
  const tailQ = c.req.query('tail')
  if (tailQ !== undefined && !/^\d{1,9}$/.test(tailQ)) throw new ChaosError('API_INVALID_QUERY', `tail must be a whole number of lines, got ${JSON.stringify(tailQ)}`)
  const tail = tailQ === undefined ? undefined : Number(tailQ)
  const follow = flag(c.req.query('follow'), 'follow')
  const logs = rt.logs(name)
  const line = (l: { time: string; stream: string; text: string }) => `${l.time} ${l.stream} ${l.text}\n`
  if (!follow) return c.text(logs.lines(tail).map(line).join(''))
  return stream(c, async (s) => {
    const abort = new AbortController()
    s.onAbort(() => abort.abort())
    for await (const l of logs.follow({ ...(tail !== undefined ? { tail } : {}), signal: abort.signal })) await s.write(line(l))
  })
}
