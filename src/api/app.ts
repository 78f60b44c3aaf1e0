/**
 * @module api/app: the controller's REST API under /api/v1 (hono): apply, list, get, delete, pause, resume,
 * events, pods and their logs, the archive, a server-sent-event watch, tokens, the audit log, its OpenAPI
 * document, and /metrics; and the web dashboard's page and assets at / and /assets/ (no token).
 *
 *   request ─▶ security (headers, Host, Origin, no token in the URL) ─▶ guard (rate, size) ─▶ dashboard (/, /assets/*)
 *           ─▶ auth (token ─▶ principal; audit row for every mutating call) ─▶ route: allow(principal, permission, namespace) ─▶ controller
 */
import { Hono } from 'hono'
import type { Context } from 'hono'
import { ChaosError } from '../errors.js'
import type { HttpRuntimeClient, RuntimeClient } from '../runtime/client.js'
import { errorBody, httpStatus } from '../errors.js'
import { allowedMethods, checkNesting, guard, MAX_BODY_BYTES, readBody } from '../http-guard.js'
import type { RateLimit } from '../http-guard.js'
import { matchesSelector, parseSelector } from '../selector.js'
import { sortIssues } from '../manifest/issues.js'
import { validateText } from '../manifest/validate.js'
import { applyAll, IssuesError, notApplicable } from './apply.js'
import { resolveKind } from './kinds.js'
import { openApiDocument } from './openapi.js'
import { allow, ANONYMOUS, Authenticator, authMiddleware, hashToken, newToken, noteAudit, principalOf, ROLES, tokenState } from './auth.js'
import type { AuthStore, Role } from './auth.js'
import { FailedAuthLimiter, requireContentType, security } from '../http-security.js'
import type { SecurityOptions } from '../http-security.js'
import { namespacesReached, reachesThroughPods } from '../engine/namespace-policy.js'
import type { AuditQuery, AuditRow, TokenRow } from '../store/store.js'
import { parseDuration } from '../manifest/duration.js'
import { ValidatePool } from './validate-pool.js'
import { listAnswer, pageRequest } from './paging.js'
import { WatchHub } from './watch.js'
import { reportRoutes } from './reports.js'
import type { ReportStore } from './reports.js'
import { archiveRoutes } from './archive.js'
import type { ArchiveStore } from './archive.js'
import { dashboardRoutes } from './dashboard.js'
import type { DashboardOptions } from './dashboard.js'
import type { ChaosEvent, ChaosObject, ControllerApi, EventQuery, ListQuery, TokenInfo } from './types.js'

/** Largest request body the API reads. */
export { MAX_BODY_BYTES }

/** Bodies up to this size are validated on the event loop (a few ms); larger ones on a worker thread. */
export const INLINE_VALIDATION_BYTES = 16 * 1024

/**
 * The content types `POST /api/v1/resources` reads (and none): YAML or JSON. Not text/plain, nor form types: an HTML
 * form on any site can send those without a preflight.
 */
export const RESOURCE_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml', 'application/json']

/** Where `GET /api/v1/pods/{name}/logs` reads a pod's log lines: the runtime client's logs() (src/runtime/client.ts). */
export type PodLogs = Pick<HttpRuntimeClient, 'logs'>

export interface ApiOptions {
  controller: ControllerApi
  /** Where `GET /api/v1/pods` reads pods from. */
  runtime?: RuntimeClient
  /** Where `GET /api/v1/pods/{name}/logs` reads their logs (with `runtime`, which says which namespace a pod is in). */
  logs?: PodLogs
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
  /**
   * Tokens, roles, the audit log and the Host/Origin rules. Without it (in-process tests) every caller is an
   * anonymous admin, nothing is audited and there are no token or audit routes; the servers always give it.
   */
  security?: ApiSecurity
  /** Where runs are kept and reports read from (the controller's store): POST/GET /api/v1/runs, GET /api/v1/report. */
  reports?: ReportStore
  /** The clock of the reports' ranges (default: the security's, else Date.now); tests move it ahead of the faults they made. */
  now?: () => number
  /** Where finished experiments are read from (the controller's store): GET /api/v1/archive and /api/v1/archive/{uid}. */
  archive?: ArchiveStore
  /** The built dashboard served at / and /assets/ (default: dist/dashboard; src/api/dashboard.ts). */
  dashboard?: DashboardOptions
}

/** The store's side of tokens and the audit log (src/store/store.ts). */
export interface TokenStore extends AuthStore {
  insertToken(t: Omit<TokenRow, 'revokedAt' | 'lastUsedAt'>): void
  token(name: string): TokenRow | undefined
  listTokens(): TokenRow[]
  revokeToken(name: string, at: string): boolean
  audit(q?: AuditQuery): AuditRow[]
}

export interface ApiSecurity {
  /** 'none' (`--auth none`, loopback only): every caller is an anonymous admin, still audited. */
  auth: 'token' | 'none'
  store: TokenStore
  /** Host, Origin and CORS rules (src/http-security.ts). */
  http: SecurityOptions
  /** Failed authentications per address (default: 10 a minute, then refused for the rest of it). */
  limiter?: FailedAuthLimiter
  now?: () => number
}

/** Paths served without a token: liveness (and the dashboard's page and assets, whose routes answer before the token check). */
const OPEN_PATHS = ['/healthz']

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
  const sec = opts.security
  // security headers, Host and Origin first: a page in a browser gets nothing from this API, not even an error it can read
  if (sec) app.use('*', security(sec.http))
  // rate per client and declared body size, before any route (src/http-guard.ts; the runtime's control API does the same)
  app.use('*', guard(opts.rateLimit !== undefined ? { rateLimit: opts.rateLimit } : {}))
  // the page and its assets are public (its data is not): registered before the token check, they answer without one
  dashboardRoutes(app, opts.dashboard)
  if (sec) {
    const auth = new Authenticator({ mode: sec.auth, store: sec.store, limiter: sec.limiter ?? new FailedAuthLimiter(), ...(sec.now ? { now: sec.now } : {}) })
    app.use('*', authMiddleware(auth, { open: OPEN_PATHS, audit: (e) => sec.store.addAudit(e), action: actionOf, changesNothing: ['/api/v1/validate'] }))
  } else {
    app.use('*', async (c, next) => {
      ;(c.set as (k: string, v: unknown) => void)('principal', ANONYMOUS)
      await next()
    })
  }
  // one pool per API, closed with it (its signal): no worker outlives the server, no job finishes after it closed
  let validator = opts.validator
  if (!validator) {
    const pool = new ValidatePool()
    opts.signal?.addEventListener('abort', () => void pool.close(), { once: true })
    validator = pool
  }

  app.get('/healthz', (c) => c.text('ok'))
  app.get('/api/v1/openapi.json', (c) => c.json(openApiDocument()))

  /**
   * Reads, validates and admits the body's resources (applied, or with dryRun only planned); an IssuesError names
   * every problem at its position. What both POST /api/v1/resources and POST /api/v1/validate run.
   */
  const admit = async (c: Context, dryRun: boolean) => {
    checkContentType(c.req.header('content-type'))
    const who = principalOf(c)
    allow(who, 'write', who.namespaces.length === 0 ? undefined : who.namespaces)
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
    noteAudit(c, { action: dryRun ? 'apply (dry run)' : 'apply', target: result.resources.map((r) => `${r.kind}/${r.metadata.namespace}/${r.metadata.name}`).join(' '), namespace: [...new Set(result.resources.map((r) => r.metadata.namespace))].join(' ') })
    if (who.namespaces.length > 0) {
      // a namespaced token acts only in its namespaces: the resources' own and every one their selectors reach
      const pods = opts.runtime && result.resources.some(reachesThroughPods) ? await opts.runtime.pods() : []
      for (const r of result.resources) allow(who, 'write', [r.metadata.namespace, ...namespacesReached(r, pods).map((n) => n.namespace)])
    }
    return applyAll(ctl, result.resources, { dryRun })
  }
  app.post('/api/v1/resources', async (c) => {
    const dryRun = flag(c.req.query('dryRun'), 'dryRun')
    const items = await admit(c, dryRun)
    const created = !dryRun && items.some((i) => i.action === 'created')
    return c.json({ dryRun, items }, created ? 201 : 200)
  })
  // what an editor asks while someone types: the problems as data (200), not as an error answer, and no audit row
  app.post('/api/v1/validate', async (c) => {
    try {
      return c.json({ valid: true, issues: [], items: await admit(c, true) })
    } catch (e) {
      // a body with no resource at all is a malformed request (400), not a document with problems
      const empty = e instanceof IssuesError && e.issues.every((i) => i.code === 'SPEC_NO_INPUT')
      if (e instanceof IssuesError && !empty) return c.json({ valid: false, issues: e.issues, items: [] })
      throw e
    }
  })

  app.get('/api/v1/resources', async (c) => {
    const q = listQuery(c)
    allow(principalOf(c), 'read', q.namespace)
    const { limit, after } = pageRequest((n) => c.req.query(n), 'resources', q)
    return c.json(listAnswer('resources', q, await ctl.listPage({ ...q, limit, ...(after ? { after } : {}) })))
  })
  app.get('/api/v1/events', async (c) => {
    const q = eventQuery(c)
    allow(principalOf(c), 'read', q.namespace)
    const { limit, after } = pageRequest((n) => c.req.query(n), 'events', q)
    return c.json(listAnswer('events', q, await ctl.eventsPage({ ...q, limit, ...(after !== undefined ? { sinceId: after } : {}) })))
  })
  app.get('/api/v1/pods', async (c) => {
    if (!opts.runtime) throw new ChaosError('RUNTIME_NOT_RUNNING', 'this controller has no local runtime to list pods from')
    const selector = c.req.query('labelSelector') || undefined
    checkSelector(selector)
    const namespace = c.req.query('namespace') || undefined
    allow(principalOf(c), 'read', namespace)
    const pods = (await opts.runtime.pods()).filter((p) => (!namespace || p.namespace === namespace) && matchesSelector(p.labels, selector))
    return c.json({ items: pods })
  })
  app.get('/api/v1/pods/:name/logs', async (c) => {
    if (!opts.runtime || !opts.logs) throw new ChaosError('RUNTIME_NOT_RUNNING', 'this controller has no local runtime to read pod logs from')
    const name = c.req.param('name')!
    const tail = c.req.query('tail') || undefined
    if (tail !== undefined && !/^\d{1,9}$/.test(tail)) throw new ChaosError('API_INVALID_QUERY', `tail must be a whole number of lines, got ${JSON.stringify(tail)}`)
    // the pod's namespace says who may read its logs
    const pod = (await opts.runtime.pods()).find((p) => p.name === name)
    if (!pod) throw new ChaosError('RUNTIME_UNKNOWN_POD', `no pod named ${JSON.stringify(name)}`, { hint: 'list the pods with GET /api/v1/pods' })
    allow(principalOf(c), 'read', pod.namespace)
    const answer = await opts.logs.logs(name, tail !== undefined ? { tail: Number(tail) } : {})
    return c.text(await answer.text())
  })

  const one = '/api/v1/namespaces/:namespace/:kind/:name'
  const target = (c: Context) => [resolveKind(c.req.param('kind')!), c.req.param('namespace')!, c.req.param('name')!] as const
  app.get(one, async (c) => {
    const [kind, ns, name] = target(c)
    allow(principalOf(c), 'read', ns)
    await mustGet(ctl, kind, ns, name)
    if (flag(c.req.query('refresh'), 'refresh') && ctl.refreshEvidence) await ctl.refreshEvidence(kind, ns, name)
    return c.json(await mustGet(ctl, kind, ns, name))
  })
  app.delete(one, async (c) => {
    const [kind, ns, name] = target(c)
    noteAudit(c, { action: 'delete', target: `${kind}/${ns}/${name}`, namespace: ns })
    allow(principalOf(c), 'write', ns)
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
    noteAudit(c, { action: 'pause', target: `${kind}/${ns}/${name}`, namespace: ns })
    allow(principalOf(c), 'write', ns)
    await mustGet(ctl, kind, ns, name)
    await ctl.pause(kind, ns, name)
    return c.json(await mustGet(ctl, kind, ns, name))
  })
  app.post(`${one}/resume`, async (c) => {
    const [kind, ns, name] = target(c)
    noteAudit(c, { action: 'resume', target: `${kind}/${ns}/${name}`, namespace: ns })
    allow(principalOf(c), 'write', ns)
    await mustGet(ctl, kind, ns, name)
    await ctl.resume(kind, ns, name)
    return c.json(await mustGet(ctl, kind, ns, name))
  })
  app.get(`${one}/events`, async (c) => {
    const [kind, ns, name] = target(c)
    allow(principalOf(c), 'read', ns)
    const q: EventQuery = { kind, namespace: ns, name, ...sinceId(c) }
    const { limit, after } = pageRequest((n) => c.req.query(n), 'events', q)
    const obj = await ctl.get(kind, ns, name)
    const page = { ...q, ...(obj?.metadata.uid ? { uid: obj.metadata.uid } : {}), limit, ...(after !== undefined ? { sinceId: after } : {}) }
    return c.json(listAnswer('events', q, await ctl.eventsPage(page)))
  })

  const watches = new WatchHub(ctl, { ...(opts.heartbeatMs !== undefined ? { heartbeatMs: opts.heartbeatMs } : {}), ...(opts.signal ? { signal: opts.signal } : {}) })
  app.get('/api/v1/watch', (c) => {
    const q = listQuery(c)
    const who = principalOf(c)
    allow(who, 'read', q.namespace)
    // a watch outlives the check at its start: it ends when its token is revoked or expires
    const authorized = sec && sec.auth === 'token' ? stillGood(sec.store, who.name, sec.now ?? Date.now) : undefined
    return watches.open((change) => matchesChange(change, q), { request: c.req.raw, env: c.env, ...(authorized ? { authorized } : {}) })
  })

  app.get('/api/v1/whoami', (c) => {
    const p = principalOf(c)
    return c.json({ name: p.name, role: p.role, namespaces: p.namespaces })
  })
  if (sec) tokenRoutes(app, sec)
  if (opts.reports) reportRoutes(app, opts.reports, opts.now ?? sec?.now)
  if (opts.archive) archiveRoutes(app, opts.archive)

  app.get('/metrics', async (c) => {
    allow(principalOf(c), 'read')
    return c.text(opts.metrics ? await opts.metrics() : '', 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' })
  })
  return app
}

/** Whether the token named `name` is still active, read from the store at most once a second. */
function stillGood(store: TokenStore, name: string, now: () => number): () => boolean {
  let at = -Infinity
  let good = true
  return () => {
    const t = now()
    if (t - at >= 1000) {
      at = t
      const row = store.token(name)
      good = row !== undefined && tokenState(row, t) === 'active'
    }
    return good
  }
}

/** The audit log's action for a mutating call no route noted (refused before it ran). */
function actionOf(method: string, path: string): string {
  if (path === '/api/v1/resources') return 'apply'
  if (path === '/api/v1/tokens') return 'token create'
  if (path.startsWith('/api/v1/tokens/')) return 'token revoke'
  if (path === '/api/v1/runs') return 'run record'
  const m = /^\/api\/v1\/namespaces\/[^/]+\/[^/]+\/[^/]+(?:\/(pause|resume))?$/.exec(path)
  if (m) return m[1] ?? (method === 'DELETE' ? 'delete' : method.toLowerCase())
  return 'unknown route'
}

const NAME = /^[a-z0-9]([-a-z0-9_.]{0,61}[a-z0-9])?$/
/** Names the server gives callers itself: the local admin token, the runtime's token, and --auth none. */
const RESERVED = ['local-admin', 'runtime-token', 'anonymous']
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/

/** A `--expires` value: a Go duration (`12h`, `90m`) or whole days (`30d`), from now; undefined for none. */
export function expiryOf(v: unknown, now: number): string | undefined {
  if (v === undefined || v === null || v === '') return undefined
  if (typeof v !== 'string') throw new ChaosError('API_INVALID_QUERY', `expires: expected a duration like "30d" or "12h", got ${JSON.stringify(v)}`)
  const days = /^(\d{1,5})d$/.exec(v)
  const ms = days ? Number(days[1]) * 86_400_000 : parseDuration(v)
  if (ms === undefined) throw new ChaosError('API_INVALID_QUERY', `expires: expected a duration like "30d", "12h" or "90m", got ${JSON.stringify(v)}`)
  if (!(ms >= 1)) throw new ChaosError('API_INVALID_QUERY', `expires: the duration must be 1 ms or more, got ${JSON.stringify(v)}`)
  return new Date(now + ms).toISOString()
}

/** A token as `token list` shows it: never its hash. */
function shownToken(t: TokenRow, now: number): TokenInfo {
  return {
    name: t.name,
    role: t.role,
    namespaces: t.namespaces,
    state: tokenState(t, now),
    createdAt: t.createdAt,
    ...(t.createdBy ? { createdBy: t.createdBy } : {}),
    ...(t.expiresAt ? { expiresAt: t.expiresAt } : {}),
    ...(t.revokedAt ? { revokedAt: t.revokedAt } : {}),
    ...(t.lastUsedAt ? { lastUsedAt: t.lastUsedAt } : {}),
  }
}

/** Tokens (admin) and the audit log (admin; read only: no route changes it). */
function tokenRoutes(app: Hono, sec: ApiSecurity): void {
  const now = sec.now ?? Date.now
  const json = requireContentType(['application/json'])
  app.post('/api/v1/tokens', json, async (c) => {
    const who = principalOf(c)
    allow(who, 'tokens')
    const text = await readBody(c.req.raw, 64 * 1024)
    checkNesting(text)
    let body: Record<string, unknown>
    try {
      body = JSON.parse(text) as Record<string, unknown>
    } catch {
      throw new ChaosError('API_INVALID_QUERY', 'the body is not JSON: expected {name, role, namespaces?, expires?}')
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ChaosError('API_INVALID_QUERY', 'the body must be a JSON object {name, role, namespaces?, expires?}')
    const { name, role, namespaces = [], expires } = body
    if (typeof name !== 'string' || !NAME.test(name)) throw new ChaosError('API_INVALID_QUERY', `name: expected 1 to 63 lowercase letters, digits, ".", "_" or "-", got ${JSON.stringify(name)}`)
    if (RESERVED.includes(name)) throw new ChaosError('API_INVALID_QUERY', `name: "${name}" is the server's own (${RESERVED.join(', ')} are reserved, so that the audit log never mistakes one caller for another)`, { hint: 'choose another name' })
    noteAudit(c, { action: 'token create', target: `token/${name}` })
    if (typeof role !== 'string' || !ROLES.includes(role as Role)) throw new ChaosError('API_INVALID_QUERY', `role: expected one of ${ROLES.join(', ')}, got ${JSON.stringify(role)}`)
    if (!Array.isArray(namespaces) || namespaces.length > 100 || !namespaces.every((n) => typeof n === 'string' && NAMESPACE.test(n))) {
      throw new ChaosError('API_INVALID_QUERY', 'namespaces: expected a list of namespace names (lowercase letters, digits and "-")')
    }
    if (role === 'admin' && namespaces.length > 0) throw new ChaosError('API_INVALID_QUERY', 'namespaces: an admin acts in every namespace (it manages tokens and reads the audit log of all of them); limit an operator or a viewer instead', { hint: 'create it with --role operator --namespace NS' })
    const at = now()
    const expiresAt = expiryOf(expires, at)
    const token = newToken()
    const row = { name, hash: hashToken(token), role: role as Role, namespaces: [...new Set(namespaces as string[])], createdAt: new Date(at).toISOString(), createdBy: who.name, ...(expiresAt ? { expiresAt } : {}) }
    sec.store.insertToken(row)
    return c.json({ ...shownToken(row, at), token }, 201)
  })
  app.get('/api/v1/tokens', (c) => {
    allow(principalOf(c), 'tokens')
    const at = now()
    return c.json({ items: sec.store.listTokens().map((t) => shownToken(t, at)) })
  })
  app.delete('/api/v1/tokens/:name', (c) => {
    const name = c.req.param('name')
    noteAudit(c, { action: 'token revoke', target: `token/${name}` })
    allow(principalOf(c), 'tokens')
    const t = sec.store.token(name)
    if (!t) throw new ChaosError('AUTH_TOKEN_NOT_FOUND', `no token is named ${JSON.stringify(name)}`, { hint: 'list them with `chaoscope token list`' })
    const revoked = sec.store.revokeToken(name, new Date(now()).toISOString())
    return c.json({ name, revoked, state: tokenState(sec.store.token(name) ?? t, now()) })
  })
  app.get('/api/v1/audit', (c) => {
    allow(principalOf(c), 'audit')
    const q: AuditQuery = {}
    for (const k of ['since', 'until'] as const) {
      const v = c.req.query(k)
      if (v === undefined || v === '') continue
      if (Number.isNaN(Date.parse(v))) throw new ChaosError('API_INVALID_QUERY', `${k}: expected an ISO time like 2026-12-04T10:00:00Z, got ${JSON.stringify(v)}`)
      q[k] = new Date(v).toISOString()
    }
    const actor = c.req.query('actor')
    if (actor) q.actor = actor
    for (const k of ['afterId', 'limit'] as const) {
      const v = c.req.query(k)
      if (v === undefined || v === '') continue
      if (!/^\d{1,9}$/.test(v)) throw new ChaosError('API_INVALID_QUERY', `${k} must be a whole number, got ${JSON.stringify(v)}`)
      q[k] = Number(v)
    }
    const rows = sec.store.audit(q)
    const format = c.req.query('format')
    if (format !== undefined && format !== '' && format !== 'json' && format !== 'jsonl') throw new ChaosError('API_INVALID_QUERY', `format must be json or jsonl, got ${JSON.stringify(format)}`)
    const wantsLines = format === 'jsonl' || (format !== 'json' && (c.req.header('accept') ?? '').includes('application/x-ndjson'))
    if (wantsLines) return c.body(rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : ''), 200, { 'content-type': 'application/x-ndjson; charset=utf-8' })
    return c.json({ items: rows })
  })
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
  throw new ChaosError('API_UNSUPPORTED_MEDIA_TYPE', `the body is ${JSON.stringify(type)}: resources are read as YAML or JSON`, { hint: 'send them as application/yaml or application/json (curl: -H "Content-Type: application/yaml" --data-binary @file.yaml)' })
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
