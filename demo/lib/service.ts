/**
 * @module demo/lib/service: the small HTTP service every demo process is built on: routes, JSON and form bodies,
 * /healthz, /metrics, traceparent, one-line logs, dependency calls, OpenTelemetry spans and graceful shutdown.
 *
 *   request ─▶ trace (continue traceparent) ─▶ route ─▶ handler(ctx) ─▶ reply ─▶ log line + metrics
 *                                                          └─ ctx.call(dep, path) ─▶ <DEP>_URL, child traceparent
 *
 * Tracing (on when the OTEL_* env asks, see src/observe/tracing): a SERVER span per request (not /healthz or
 * /metrics) whose parent is the caller's traceparent, and a CLIENT span per ctx.call, whose traceparent the callee
 * continues; spans are flushed when the service closes (SIGTERM).
 */
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ATTR_ERROR_TYPE, ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_HTTP_ROUTE, ATTR_URL_PATH } from '@opentelemetry/semantic-conventions'
import { startTracing } from '../../src/observe/tracing.js'
import type { Tracing } from '../../src/observe/tracing.js'
import { callDependency } from './client.js'
import type { CallOptions, CallResult, Env } from './client.js'
import { createLogger } from './log.js'
import type { LogSink, Logger } from './log.js'
import { createMetrics } from './metrics.js'
import type { MetricNames, ServiceMetrics } from './metrics.js'
import { continueTrace, spanTrace } from './trace.js'
import type { TraceContext } from './trace.js'

/** What every service factory takes: tests pass their own env and a quiet log sink. */
export interface ServiceInit {
  env?: Env
  log?: LogSink
  /** Add Node's process metrics to /metrics (when the service owns its process). */
  processMetrics?: boolean
}

export interface Reply {
  status?: number
  json?: unknown
  html?: string
  text?: string
  /** 303 See Other to this location (after a form post). */
  redirect?: string
  headers?: Record<string, string | string[]>
}

/** Thrown by handlers to answer with a status and `{"error": message}`. */
export class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly extra: Record<string, unknown> = {}) {
    super(message)
    this.name = 'HttpError'
  }
}

export interface Ctx {
  req: IncomingMessage
  url: URL
  params: Record<string, string>
  trace: TraceContext
  log: Logger
  env: Env
  cookies: Record<string, string>
  /** The request body: parsed JSON, or a form (`application/x-www-form-urlencoded`) as a string map. 400 when malformed. */
  body(): Promise<unknown>
  /** Calls a dependency at `<DEP>_URL`, propagating the trace. See callDependency for the failures thrown. */
  call<T = unknown>(dependency: string, path: string, opts: CallOptions): Promise<CallResult<T>>
}

export type Handler = (ctx: Ctx) => Reply | Promise<Reply>

interface Route { method: string; pattern: string; parts: string[]; handler: Handler }

const MAX_BODY = 1024 * 1024

export interface ServiceOptions extends ServiceInit {
  name: string
  metricNames?: MetricNames
  /** Extra readiness condition; /healthz answers 503 while it returns false. */
  ready?: () => boolean
}

/**
 * One demo service. Routes are added before `listen`; `close` drains in-flight requests.
 * @example
 *   const svc = new DemoService({ name: 'ad' })
 *   svc.route('GET', '/ads', () => ({ json: { ads: [] } }))
 *   await svc.listen(0)   // → the port chosen
 */
export class DemoService {
  readonly name: string
  readonly env: Env
  readonly log: Logger
  readonly metrics: ServiceMetrics
  private readonly routes: Route[] = []
  private readonly onClose: (() => void | Promise<void>)[] = []
  private readonly ready: () => boolean
  private server: Server | undefined
  private inFlight = 0
  private draining = false
  private idle: (() => void) | undefined
  /** Set once tracing has started, when the env turns it on. */
  private tracing: Tracing | undefined
  private readonly tracingStarted: Promise<void>

  constructor(opts: ServiceOptions) {
    this.name = opts.name
    this.env = opts.env ?? process.env
    this.log = createLogger(opts.name, opts.log)
    this.tracingStarted = startTracing(opts.name, { env: this.env, onWarning: (m) => this.log.warn('tracing', { problem: m }) }).then(
      (t) => {
        if (t.enabled) this.tracing = t
      },
      (err: unknown) => this.log.warn('tracing could not start', { error: err instanceof Error ? err.message : String(err) }),
    )
    this.metrics = createMetrics(opts.name, opts.metricNames, opts.processMetrics ?? false)
    this.ready = opts.ready ?? (() => true)
    this.route('GET', '/healthz', () => {
      if (this.draining) return { status: 503, json: { status: 'draining' } }
      return this.ready() ? { json: { status: 'ok' } } : { status: 503, json: { status: 'not ready' } }
    })
    this.route('GET', '/metrics', async () => ({
      text: await this.metrics.registry.metrics(),
      headers: { 'content-type': this.metrics.registry.contentType },
    }))
  }

  /** Adds a route; `:name` segments become `ctx.params.name`. The pattern is the metrics' `route` label. */
  route(method: string, pattern: string, handler: Handler): this {
    this.routes.push({ method, pattern, parts: pattern.split('/').filter(Boolean), handler })
    return this
  }

  /** Runs `fn` when the service closes (after in-flight requests end). */
  atClose(fn: () => void | Promise<void>): void {
    this.onClose.push(fn)
  }

  get url(): string {
    const addr = this.server?.address() as AddressInfo | null | undefined
    if (!addr) throw new Error(`${this.name} is not listening`)
    return `http://127.0.0.1:${addr.port}`
  }

  /** Listens on host:port (port 0 picks a free one) and resolves to the port. */
  async listen(port: number, host = '127.0.0.1'): Promise<number> {
    await this.tracingStarted
    const server = createServer((req, res) => { void this.handle(req, res) })
    server.keepAliveTimeout = 5000
    this.server = server
    return new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, () => {
        server.off('error', reject)
        const p = (server.address() as AddressInfo).port
        this.log.info('listening', { port: p, host })
        resolve(p)
      })
    })
  }

  /**
   * Graceful stop: refuse new connections, report 503 on /healthz, let in-flight requests finish for up to
   * `graceMs`, then cut the remaining connections and run the close hooks. Idempotent.
   */
  async close(graceMs = 4000): Promise<void> {
    const server = this.server
    if (!server || this.draining) return
    this.draining = true
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    server.closeIdleConnections()
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs)
        this.idle = () => { clearTimeout(timer); resolve() }
      })
    }
    server.closeAllConnections()
    await closed
    for (const fn of this.onClose) await fn()
    await this.tracing?.shutdown()
    this.log.info('stopped', { unfinished: this.inFlight })
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now()
    this.inFlight++
    const url = new URL(req.url ?? '/', 'http://localhost')
    const method = req.method ?? 'GET'
    const quiet = url.pathname === '/healthz' || url.pathname === '/metrics'
    const span = this.tracing && !quiet
      ? this.tracing.startSpan(method, { kind: 'server', parent: req.headers.traceparent, attributes: { [ATTR_HTTP_REQUEST_METHOD]: method, [ATTR_URL_PATH]: url.pathname } })
      : undefined
    const trace = span ? spanTrace(span, req.headers.traceparent) : continueTrace(req.headers.traceparent)
    const log = this.log.child({ trace_id: trace.traceId, span_id: trace.spanId })
    const match = this.match(method, url.pathname)
    if (span && match) {
      span.updateName(`${method} ${match.route.pattern}`)
      span.setAttribute(ATTR_HTTP_ROUTE, match.route.pattern)
    }
    let status = 500
    try {
      let reply: Reply
      if (!match) {
        const allowed = this.routes.filter((r) => this.matchParts(r, url.pathname)).map((r) => r.method)
        reply = allowed.length > 0
          ? { status: 405, json: { error: `method ${method} is not allowed here; use ${allowed.join(' or ')}` }, headers: { allow: allowed.join(', ') } }
          : { status: 404, json: { error: `no route for ${method} ${url.pathname}` } }
      } else {
        const ctx = this.context(req, url, match.params, trace, log)
        try {
          reply = await match.route.handler(ctx)
        } catch (err) {
          if (err instanceof HttpError) reply = { status: err.status, json: { error: err.message, ...err.extra } }
          else {
            log.error('unhandled error', { error: err instanceof Error ? (err.stack ?? err.message) : String(err) })
            reply = { status: 500, json: { error: 'internal error' } }
          }
        }
      }
      status = this.send(res, reply)
    } finally {
      const seconds = (performance.now() - started) / 1000
      // the pattern, not the path, keeps the label's values few
      const labels = { method, route: match ? match.route.pattern : '<unmatched>', status: String(status) }
      this.metrics.requests.inc(labels)
      this.metrics.duration.observe(labels, seconds)
      if (!quiet) {
        log.info('request', { method, path: url.pathname, status, duration_ms: Math.round(seconds * 10000) / 10, parent_span_id: trace.parentSpanId })
      }
      if (span) {
        span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status)
        if (status >= 500) {
          span.setAttribute(ATTR_ERROR_TYPE, String(status))
          this.tracing!.setError(span)
        }
        span.end()
      }
      this.inFlight--
      if (this.inFlight === 0) this.idle?.()
    }
  }

  private send(res: ServerResponse, reply: Reply): number {
    let status = reply.status ?? 200
    const headers: Record<string, string | string[]> = { ...(reply.headers ?? {}) }
    let body = ''
    if (reply.redirect !== undefined) {
      status = reply.status ?? 303
      headers.location = reply.redirect
    } else if (reply.html !== undefined) {
      headers['content-type'] ??= 'text/html; charset=utf-8'
      body = reply.html
    } else if (reply.json !== undefined) {
      headers['content-type'] ??= 'application/json'
      body = JSON.stringify(reply.json)
    } else if (reply.text !== undefined) {
      headers['content-type'] ??= 'text/plain; charset=utf-8'
      body = reply.text
    }
    if (this.draining) headers.connection = 'close'
    headers['content-length'] = String(Buffer.byteLength(body))
    if (!res.headersSent) res.writeHead(status, headers)
    res.end(body)
    return status
  }

  private match(method: string, path: string): { route: Route; params: Record<string, string> } | undefined {
    for (const route of this.routes) {
      if (route.method !== method && !(method === 'HEAD' && route.method === 'GET')) continue
      const params = this.matchParts(route, path)
      if (params) return { route, params }
    }
    return undefined
  }

  private matchParts(route: Route, path: string): Record<string, string> | undefined {
    const parts = path.split('/').filter(Boolean)
    if (parts.length !== route.parts.length) return undefined
    const params: Record<string, string> = {}
    for (let i = 0; i < parts.length; i++) {
      const want = route.parts[i]!
      let got: string
      try { got = decodeURIComponent(parts[i]!) } catch { return undefined }
      if (want.startsWith(':')) params[want.slice(1)] = got
      else if (want !== got) return undefined
    }
    return params
  }

  private context(req: IncomingMessage, url: URL, params: Record<string, string>, trace: TraceContext, log: Logger): Ctx {
    let body: Promise<unknown> | undefined
    const deps = { env: this.env, metrics: this.metrics, trace, log, tracing: this.tracing }
    return {
      req, url, params, trace, log, env: this.env,
      cookies: parseCookies(req.headers.cookie),
      body: () => (body ??= readBody(req)),
      call: (dependency, path, opts) => callDependency(deps, dependency, path, opts),
    }
  }
}

function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=')
    if (i <= 0) continue
    try { out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim()) } catch { /* a cookie we did not set */ }
  }
  return out
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY) throw new HttpError(413, `request body is larger than ${MAX_BODY} bytes`)
    chunks.push(chunk as Buffer)
  }
  const text = Buffer.concat(chunks).toString('utf8')
  const type = req.headers['content-type'] ?? ''
  if (type.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text))
  if (text.trim() === '') return {}
  try {
    return JSON.parse(text)
  } catch {
    throw new HttpError(400, 'request body is not valid JSON')
  }
}

export type ServiceFactory = (init: ServiceInit) => DemoService

/**
 * Runs one service as its process: listens on $POD_IP:$PORT (the pod's address: 127.0.0.1 on the host's network, its
 * own with `network: namespace`; $HOST overrides it; `defaultPort` without $PORT), stops gracefully on SIGTERM/SIGINT.
 * Sets process.exitCode; never calls process.exit.
 */
export async function runService(factory: ServiceFactory, defaultPort: number): Promise<DemoService> {
  const svc = factory({ env: process.env, processMetrics: true })
  const port = Number(process.env.PORT ?? defaultPort)
  const grace = Number(process.env.SHUTDOWN_GRACE_MS ?? 4000)
  try {
    await svc.listen(port, process.env.HOST ?? process.env.POD_IP ?? '127.0.0.1')
  } catch (err) {
    svc.log.error('cannot listen', { port, error: err })
    process.exitCode = 1
    return svc
  }
  const stop = (signal: string): void => {
    svc.log.info('shutting down', { signal })
    svc.close(grace).then(() => { process.exitCode ??= 0 }, (err: unknown) => {
      svc.log.error('shutdown failed', { error: err })
      process.exitCode = 1
    })
  }
  process.once('SIGTERM', () => stop('SIGTERM'))
  process.once('SIGINT', () => stop('SIGINT'))
  return svc
}

/**
 * The entry point of every demo app: `node service.js <name>` runs the named service of `services` on $PORT (or its
 * default port). An unknown name prints the names there are and sets exit code 2.
 */
export async function runNamedService(services: Readonly<Record<string, { factory: ServiceFactory; port: number }>>, name = process.argv[2] ?? ''): Promise<void> {
  const entry = services[name]
  if (!entry) {
    process.stderr.write(`usage: service.js <name>; name is one of ${Object.keys(services).join(', ')} (got "${name}")\n`)
    process.exitCode = 2
    return
  }
  await runService(entry.factory, entry.port)
}
