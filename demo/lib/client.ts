/**
 * @module demo/lib/client: calls from a demo service to one of its dependencies, with a timeout, metrics and trace
 * propagation; with tracing on, each call is a CLIENT span, child of the request's span.
 */
import type { Span } from '@opentelemetry/api'
import { ATTR_ERROR_TYPE, ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT, ATTR_URL_FULL } from '@opentelemetry/semantic-conventions'
import type { Tracing } from '../../src/observe/tracing.js'
import type { Logger } from './log.js'
import type { ServiceMetrics } from './metrics.js'
import { childTraceparent } from './trace.js'
import type { TraceContext } from './trace.js'

export type Env = Readonly<Record<string, string | undefined>>

/** `product-catalog` → `PRODUCT_CATALOG`: the prefix of the env vars the runtime hands over for a dependency. */
export function envName(dependency: string): string {
  return dependency.toUpperCase().replace(/[^A-Z0-9]/g, '_')
}

/**
 * Where a dependency is reached, without a trailing slash: env `<DEP>_SERVICE_URL` (by its service name, as a
 * Kubernetes pod calls `http://cart:8080`; the runtime sets it when the pod runs with its fault library, which
 * resolves the name, so DNSChaos acts on these calls), else `<DEP>_URL` (by address).
 */
export function dependencyUrl(env: Env, dependency: string): string | undefined {
  return (env[`${envName(dependency)}_SERVICE_URL`] ?? env[`${envName(dependency)}_URL`])?.replace(/\/+$/, '')
}

/** A timeout in ms from env `<NAME>_TIMEOUT_MS` (e.g. `PAYMENT_TIMEOUT_MS`), or `fallback`. */
export function timeoutFromEnv(env: Env, name: string, fallback: number): number {
  const raw = env[`${envName(name)}_TIMEOUT_MS`]
  const n = raw === undefined ? NaN : Number(raw)
  return Number.isFinite(n) && n > 0 ? n : fallback
}

export type CallFailure = 'timeout' | 'unreachable' | 'status' | 'unconfigured' | 'bad-response'

/** A call that did not produce a usable answer. `message` says which dependency and why, in words a user can act on. */
export class CallError extends Error {
  constructor(
    readonly dependency: string,
    readonly failure: CallFailure,
    message: string,
    readonly status?: number,
    readonly body?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'CallError'
  }
}

export interface CallOptions {
  method?: string
  /** Sent as JSON. */
  json?: unknown
  timeoutMs: number
  /** Statuses returned as answers instead of thrown (by default every 2xx; 404 is often an answer too). */
  accept?: (status: number) => boolean
}

export interface CallResult<T = unknown> {
  status: number
  body: T
}

export interface CallDeps {
  env: Env
  metrics: ServiceMetrics
  trace: TraceContext
  log: Logger
  /** Set when tracing is on. */
  tracing?: Tracing
}

function callSpan(tracing: Tracing, parent: Span, method: string, dependency: string, url: string): Span {
  const u = new URL(url)
  return tracing.startSpan(`${method} ${dependency}`, {
    kind: 'client',
    parent,
    attributes: {
      [ATTR_HTTP_REQUEST_METHOD]: method,
      [ATTR_URL_FULL]: url,
      [ATTR_SERVER_ADDRESS]: u.hostname,
      [ATTR_SERVER_PORT]: Number(u.port || (u.protocol === 'https:' ? 443 : 80)),
    },
  })
}

/**
 * Calls `path` on `dependency` and parses the JSON answer.
 * Throws CallError: `timeout` after `timeoutMs` (the whole exchange, body included), `unreachable` when no
 * connection could be made or it broke, `status` for an unaccepted status, `unconfigured` when `<DEP>_URL` is unset.
 */
export async function callDependency<T = unknown>(deps: CallDeps, dependency: string, path: string, opts: CallOptions): Promise<CallResult<T>> {
  const base = dependencyUrl(deps.env, dependency)
  if (!base) throw new CallError(dependency, 'unconfigured', `${dependency} is not configured (env ${envName(dependency)}_URL is not set)`)
  const started = performance.now()
  const method = opts.method ?? (opts.json === undefined ? 'GET' : 'POST')
  const span = deps.tracing && deps.trace.span ? callSpan(deps.tracing, deps.trace.span, method, dependency, base + path) : undefined
  const traceparent = span ? deps.tracing!.traceparent(span) : childTraceparent(deps.trace)
  const headers: Record<string, string> = { accept: 'application/json', traceparent }
  if (opts.json !== undefined) headers['content-type'] = 'application/json'
  let outcome = 'unreachable'
  try {
    let res: Response
    let text: string
    try {
      const signal = AbortSignal.timeout(opts.timeoutMs)
      res = await fetch(base + path, { method, headers, body: opts.json === undefined ? undefined : JSON.stringify(opts.json), signal })
      text = await res.text()
    } catch (err) {
      const timedOut = err instanceof DOMException && (err.name === 'TimeoutError' || err.name === 'AbortError')
      outcome = timedOut ? 'timeout' : 'unreachable'
      if (timedOut) throw new CallError(dependency, 'timeout', `${dependency} did not answer within ${opts.timeoutMs}ms`, undefined, undefined, { cause: err })
      const code = (err as { cause?: { code?: string } }).cause?.code
      throw new CallError(dependency, 'unreachable', `${dependency} is unreachable${code ? ` (${code})` : ''}`, undefined, undefined, { cause: err })
    }
    outcome = String(res.status)
    span?.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, res.status)
    let body: unknown = text
    if ((res.headers.get('content-type') ?? '').includes('json') && text !== '') {
      try { body = JSON.parse(text) } catch (err) {
        outcome = 'bad-response'
        throw new CallError(dependency, 'bad-response', `${dependency} answered with invalid JSON`, res.status, text, { cause: err })
      }
    }
    const accept = opts.accept ?? ((s: number) => s >= 200 && s < 300)
    if (!accept(res.status)) {
      const detail = typeof body === 'object' && body !== null && typeof (body as { error?: unknown }).error === 'string' ? `: ${(body as { error: string }).error}` : ''
      throw new CallError(dependency, 'status', `${dependency} answered ${res.status}${detail}`, res.status, body)
    }
    return { status: res.status, body: body as T }
  } catch (err) {
    const failed = !(err instanceof CallError) || err.failure !== 'status' || (err.status ?? 0) >= 500
    if (failed) deps.metrics.failedCalls.inc({ to: dependency })
    if (span) {
      // Any answer the caller could not use fails the span: no answer, bad JSON, or an unaccepted status.
      span.setAttribute(ATTR_ERROR_TYPE, err instanceof CallError ? (err.failure === 'status' ? String(err.status) : err.failure) : 'error')
      deps.tracing!.setError(span, err instanceof Error ? err.message : String(err))
    }
    deps.log.warn('call failed', { to: dependency, path, error: err instanceof Error ? err.message : String(err), outcome })
    throw err
  } finally {
    const seconds = (performance.now() - started) / 1000
    deps.metrics.calls.inc({ to: dependency, outcome })
    deps.metrics.callDuration.observe({ to: dependency, outcome }, seconds)
    span?.end()
  }
}
