/**
 * @module api/app: the controller's REST API under /api/v1 (hono): apply, list, get, delete, pause, resume,
 * events, pods, a server-sent-event watch, its OpenAPI document, and /metrics.
 */
import { Hono } from 'hono'
import type { Context } from 'hono'
import { ChaosError } from '../errors.js'
import type { RuntimeClient } from '../runtime/client.js'
import { errorBody, httpStatus } from '../errors.js'
import { allowedMethods, checkNesting, guard, MAX_BODY_BYTES, readBody } from '../http-guard.js'
import type { RateLimit } from '../http-guard.js'
import { matchesSelector, parseSelector } from '../selector.js'
import { sortIssues } from '../manifest/issues.js'
import { validateText } from '../manifest/validate.js'
import { applyAll, IssuesError, notApplicable } from './apply.js'
import { resolveKind } from './kinds.js'
import { openApiDocument } from './openapi.js'
import { ValidatePool } from './validate-pool.js'
import { listAnswer, pageRequest } from './paging.js'
import { WatchHub } from './watch.js'
import type { ChaosEvent, ChaosObject, ControllerApi, EventQuery, ListQuery } from './types.js'

/** Largest request body the API reads. */
export { MAX_BODY_BYTES }

/** Bodies up to this size are validated on the event loop (a few ms); larger ones on a worker thread. */
export const INLINE_VALIDATION_BYTES = 16 * 1024

/** The content types `POST /api/v1/resources` reads (and none): YAML, JSON, or text that is either. */
export const RESOURCE_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml', 'application/json', 'text/plain']

export interface ApiOptions {
  controller: ControllerApi
  /** Where `GET /api/v1/pods` reads pods from. */
  runtime?: RuntimeClient
  /** Prometheus text for `GET /metrics`. */
  metrics?: () => string | Promise<string>
  /** Milliseconds between SSE keep-alive comments (default 15 s). */
  heartbeatMs?: number
  /** Ends every open watch stream when aborted (the server is closing). */
  signal?: AbortSignal
  /** Requests per client address (default: CHAOSCOPE_RATE_LIMIT, else 5000 a second in bursts of 10000); false: none. */
  rateLimit?: RateLimit | false
  /** Where large bodies are validated (default: a pool of worker threads of this API, started on first use, closed with `signal`). */
  validator?: Pick<ValidatePool, 'validate'>
}

/** The JSON body of every error answer: `{code, message, hint?, issues?}`. */
export function apiErrorBody(e: unknown): ReturnType<typeof errorBody> & { issues?: IssuesError['issues'] } {
  return { ...errorBody(e), ...(e instanceof IssuesError ? { issues: e.issues } : {}) }
}

/**
 * @example
 * const app = apiApp({ controller, runtime: new InProcessRuntimeClient(rt) })
 * const res = await app.request('/api/v1/resources', { method: 'POST', body: yamlText })
 */
export function apiApp(opts: ApiOptions): Hono {
  const ctl = opts.controller
  const app = new Hono()
  app.onError((e, c) => {
    const body = apiErrorBody(e)
    if (body.code === 'INTERNAL') console.error('chaoscope api: uncoded error', e)
    return c.json(body, httpStatus(body.code))
  })
  app.notFound((c) => {
    const allow = allowedMethods(app.routes, c.req.path)
    if (allow.length > 0) return c.json({ code: 'API_METHOD_NOT_ALLOWED', message: `${c.req.path} does not take ${c.req.method}`, hint: `it takes ${allow.join(', ')}` }, 405, { Allow: allow.join(', ') })
    return c.json({ code: 'API_NOT_FOUND', message: `no such endpoint: ${c.req.method} ${c.req.path}`, hint: 'see /api/v1/openapi.json' }, 404)
  })
  // rate per client and declared body size, before any route (src/http-guard.ts; the runtime's control API does the same)
  app.use('*', guard(opts.rateLimit !== undefined ? { rateLimit: opts.rateLimit } : {}))
  // one pool per API, closed with it (its signal): no worker outlives the server, no job finishes after it closed
  let validator = opts.validator
  if (!validator) {
    const pool = new ValidatePool()
    opts.signal?.addEventListener('abort', () => void pool.close(), { once: true })
    validator = pool
  }

  app.get('/healthz', (c) => c.text('ok'))
  app.get('/api/v1/openapi.json', (c) => c.json(openApiDocument()))

  app.post('/api/v1/resources', async (c) => {
    checkContentType(c.req.header('content-type'))
    const dryRun = flag(c.req.query('dryRun'), 'dryRun')
    // read at most MAX_BODY_BYTES (413), refuse deep nesting before any parser sees it (400), validate a large
    // body on a worker thread: the event loop keeps answering /healthz and every other client meanwhile
    const text = await readBody(c.req.raw, MAX_BODY_BYTES)
    checkNesting(text)
    const file = c.req.query('file') || '<request>'
    const result = text.length <= INLINE_VALIDATION_BYTES ? validateText(text, file) : await validator.validate(text, file)
    const issues = sortIssues([...result.issues, ...notApplicable(result)])
    if (issues.length === 0 && result.resources.length === 0) {
      issues.push({ code: 'SPEC_NO_INPUT', file, line: 1, col: 1, path: '', message: 'the request body holds no resource', hint: 'send one or more Chaos Mesh resources as YAML or JSON' })
    }
    if (issues.length > 0) throw new IssuesError(issues)
    const items = await applyAll(ctl, result.resources, { dryRun })
    const created = !dryRun && items.some((i) => i.action === 'created')
    return c.json({ dryRun, items }, created ? 201 : 200)
  })

  app.get('/api/v1/resources', async (c) => {
    const q = listQuery(c)
    const { limit, after } = pageRequest((n) => c.req.query(n), 'resources', q)
    return c.json(listAnswer('resources', q, await ctl.listPage({ ...q, limit, ...(after ? { after } : {}) })))
  })
  app.get('/api/v1/events', async (c) => {
    const q = eventQuery(c)
    const { limit, after } = pageRequest((n) => c.req.query(n), 'events', q)
    return c.json(listAnswer('events', q, await ctl.eventsPage({ ...q, limit, ...(after !== undefined ? { sinceId: after } : {}) })))
  })
  app.get('/api/v1/pods', async (c) => {
    if (!opts.runtime) throw new ChaosError('RUNTIME_NOT_RUNNING', 'this controller has no local runtime to list pods from')
    const selector = c.req.query('labelSelector') || undefined
    checkSelector(selector)
    const namespace = c.req.query('namespace') || undefined
    const pods = (await opts.runtime.pods()).filter((p) => (!namespace || p.namespace === namespace) && matchesSelector(p.labels, selector))
    return c.json({ items: pods })
  })

  const one = '/api/v1/namespaces/:namespace/:kind/:name'
  const target = (c: Context) => [resolveKind(c.req.param('kind')!), c.req.param('namespace')!, c.req.param('name')!] as const
  app.get(one, async (c) => {
    const [kind, ns, name] = target(c)
    await mustGet(ctl, kind, ns, name)
    if (flag(c.req.query('refresh'), 'refresh') && ctl.refreshEvidence) await ctl.refreshEvidence(kind, ns, name)
    return c.json(await mustGet(ctl, kind, ns, name))
  })
  app.delete(one, async (c) => {
    const [kind, ns, name] = target(c)
    await mustGet(ctl, kind, ns, name)
    const wait = c.req.query('wait') === undefined ? true : flag(c.req.query('wait'), 'wait')
    const timeoutQ = c.req.query('timeoutSeconds')
    const timeoutMs = timeoutQ === undefined ? undefined : Number(timeoutQ) * 1000
    if (timeoutMs !== undefined && !(timeoutMs > 0)) throw new ChaosError('API_INVALID_QUERY', `timeoutSeconds must be a positive number, got "${timeoutQ}"`)
    await ctl.delete(kind, ns, name, { wait, ...(timeoutMs !== undefined ? { timeoutMs } : {}) })
    const left = await ctl.get(kind, ns, name)
    return c.json({ deleted: true, gone: !left, kind, namespace: ns, name, object: left ?? null })
  })
  app.post(`${one}/pause`, async (c) => {
    const [kind, ns, name] = target(c)
    await mustGet(ctl, kind, ns, name)
    await ctl.pause(kind, ns, name)
    return c.json(await mustGet(ctl, kind, ns, name))
  })
  app.post(`${one}/resume`, async (c) => {
    const [kind, ns, name] = target(c)
    await mustGet(ctl, kind, ns, name)
    await ctl.resume(kind, ns, name)
    return c.json(await mustGet(ctl, kind, ns, name))
  })
  app.get(`${one}/events`, async (c) => {
    const [kind, ns, name] = target(c)
    const q: EventQuery = { kind, namespace: ns, name, ...sinceId(c) }
    const { limit, after } = pageRequest((n) => c.req.query(n), 'events', q)
    const obj = await ctl.get(kind, ns, name)
    const page = { ...q, ...(obj?.metadata.uid ? { uid: obj.metadata.uid } : {}), limit, ...(after !== undefined ? { sinceId: after } : {}) }
    return c.json(listAnswer('events', q, await ctl.eventsPage(page)))
  })

  const watches = new WatchHub(ctl, { ...(opts.heartbeatMs !== undefined ? { heartbeatMs: opts.heartbeatMs } : {}), ...(opts.signal ? { signal: opts.signal } : {}) })
  app.get('/api/v1/watch', (c) => {
    const q = listQuery(c)
    return watches.open((change) => matchesChange(change, q), { request: c.req.raw, env: c.env })
  })

  app.get('/metrics', async (c) => c.text(opts.metrics ? await opts.metrics() : '', 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }))
  return app
}

async function mustGet(ctl: ControllerApi, kind: string, namespace: string, name: string): Promise<ChaosObject> {
  const obj = await ctl.get(kind, namespace, name)
  if (!obj) {
    throw new ChaosError('CONTROLLER_NOT_FOUND', `${kind} ${namespace}/${name} not found`, { hint: `list them with \`chaoscope get ${kind.toLowerCase()} -n ${namespace}\`` })
  }
  return obj
}

/** API_UNSUPPORTED_MEDIA_TYPE (415) unless the body is declared as one of {@link RESOURCE_TYPES}, or not declared. */
function checkContentType(header: string | undefined): void {
  const type = header?.split(';')[0]!.trim().toLowerCase()
  if (!type || RESOURCE_TYPES.includes(type)) return
  throw new ChaosError('API_UNSUPPORTED_MEDIA_TYPE', `the body is ${JSON.stringify(type)}: resources are read as YAML or JSON`, { hint: 'send them as application/yaml, application/json or text/plain' })
}

function flag(v: string | undefined, name: string): boolean {
  if (v === undefined || v === '' || v === 'false' || v === '0') return false
  if (v === 'true' || v === '1' || v === 'All') return true
  throw new ChaosError('API_INVALID_QUERY', `${name} must be true or false, got "${v}"`)
}

function checkSelector(selector: string | undefined): void {
  if (!selector) return
  try {
    parseSelector(selector)
  } catch (cause) {
    throw new ChaosError('API_INVALID_QUERY', `labelSelector: ${(cause as Error).message}`, { cause, hint: 'write selectors like app=web,tier!=db,env in (dev,qa)' })
  }
}

function listQuery(c: Context): ListQuery {
  const kindQ = c.req.query('kind')
  const namespace = c.req.query('namespace')
  const labelSelector = c.req.query('labelSelector')
  checkSelector(labelSelector)
  return {
    ...(kindQ && kindQ !== 'all' ? { kind: resolveKind(kindQ) } : {}),
    ...(namespace ? { namespace } : {}),
    ...(labelSelector ? { labelSelector } : {}),
  }
}

function sinceId(c: Context): { sinceId?: number } {
  const v = c.req.query('sinceId')
  if (v === undefined || v === '') return {}
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0) throw new ChaosError('API_INVALID_QUERY', `sinceId must be a whole number, got "${v}"`)
  return { sinceId: n }
}

function eventQuery(c: Context): EventQuery {
  const kindQ = c.req.query('kind')
  const out: EventQuery = { ...sinceId(c) }
  if (kindQ) out.kind = resolveKind(kindQ)
  for (const k of ['namespace', 'name', 'uid'] as const) {
    const v = c.req.query(k)
    if (v) out[k] = v
  }
  return out
}

/** Changes name their object as `{kind, namespace, name, labels?}` or carry it whole (`object`/`event`). */
function matchesChange(change: unknown, q: ListQuery): boolean {
  if (!q.kind && !q.namespace && !q.labelSelector) return true
  const ch = (change ?? {}) as { object?: ChaosObject; event?: ChaosEvent; kind?: string; namespace?: string; metadata?: ChaosObject['metadata'] }
  const obj = ch.object ?? (ch.metadata ? (ch as ChaosObject) : undefined)
  const kind = obj?.kind ?? ch.event?.kind ?? ch.kind
  const namespace = obj?.metadata.namespace ?? ch.event?.namespace ?? ch.namespace
  if (q.kind && kind !== undefined && kind !== q.kind) return false
  if (q.namespace && namespace !== undefined && namespace !== q.namespace) return false
  if (q.labelSelector && obj && !matchesSelector(obj.metadata.labels ?? {}, q.labelSelector)) return false
  return true
}
