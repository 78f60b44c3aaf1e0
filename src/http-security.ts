/**
 * @module http-security: what both HTTP APIs (the controller's /api/v1 and the runtime's control API) do so that a
 * browser cannot drive them: a page on any site can send requests to 127.0.0.1, and with DNS rebinding
 * (evil.example re-resolved to 127.0.0.1) it can even read the answers, unless the server looks at who is asking.
 *
 *   request ─▶ Host (an IP, localhost, this machine, --allowed-hosts) ─▶ Origin / Sec-Fetch-Site (same origin, or --cors-origin)
 *                403 API_HOST_REFUSED                                        403 API_CROSS_ORIGIN; a preflight of an allowed origin: 204
 *           ─▶ no credential in the query string ─▶ route        every answer: security headers (and CORS for an allowed origin)
 *                400 AUTH_TOKEN_IN_URL
 *
 * Per route, {@link requireContentType} refuses bodies of a type the route does not read (a page's form can
 * POST `text/plain` without a preflight). {@link FailedAuthLimiter} counts bad tokens per client address for the
 * token check (src/api/auth.ts). {@link parseListen} and {@link isLoopbackHost} read `--listen`.
 */
import type { IncomingMessage } from 'node:http'
import { BlockList, isIPv4, isIPv6 } from 'node:net'
import { hostname } from 'node:os'
import type { Context, MiddlewareHandler } from 'hono'
import { ChaosError, errorBody, httpStatus } from './errors.js'

export interface SecurityOptions {
  /** The addresses the server listens on, e.g. ['127.0.0.1:4000'] or ['0.0.0.0:4000']. */
  listen: string[]
  /** More Host names accepted (--allowed-hosts), e.g. ['chaos.internal']; '*' accepts any. */
  allowedHosts?: string[]
  /** Origins allowed to call cross-origin (--cors-origin), exact 'https://dash.example:8443'; none by default. */
  corsOrigins?: string[]
}

/**
 * On every answer. The APIs serve JSON and text: nothing may be framed, sniffed into HTML, run as a page,
 * embedded by another site or kept in a cache (answers carry pods, effects and audit rows). The one page they
 * serve, the dashboard (src/api/dashboard.ts), sets its own Content-Security-Policy and caching, which are kept.
 */
const SECURITY_HEADERS: readonly (readonly [string, string])[] = [
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
  ['Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'"],
  ['Referrer-Policy', 'no-referrer'],
  ['Cross-Origin-Resource-Policy', 'same-origin'],
  ['Cross-Origin-Opener-Policy', 'same-origin'],
]

/** Query parameters that would carry a credential in the URL, where proxies, logs and browser history keep it. */
const CREDENTIAL_PARAMS = new Set(['token', 'access_token', 'auth', 'authorization', 'api_key', 'apikey', 'bearer'])

const CORS_METHODS = 'GET, POST, PUT, PATCH, DELETE'
const CORS_HEADERS = 'Authorization, Content-Type'

/**
 * The middleware both APIs put before every other (so that their refusals carry the headers too).
 *
 * @example
 * app.use('*', security({ listen: ['127.0.0.1:4000'], corsOrigins: ['https://dash.example'] }))
 * app.use('*', guard())
 */
export function security(opts: SecurityOptions): MiddlewareHandler {
  const anyHost = opts.allowedHosts?.includes('*') ?? false
  const names = new Set<string>([hostname().toLowerCase()])
  for (const h of [...opts.listen, ...(opts.allowedHosts ?? [])]) names.add(hostName(h)?.name ?? h.toLowerCase())
  const cors = new Set((opts.corsOrigins ?? []).map(normalOrigin).filter((o) => o !== undefined))
  return async (c, next) => {
    const origin = c.req.header('origin')
    // the Origin as the browser sent it when it is one of --cors-origin
    const allowed = origin !== undefined && cors.has(normalOrigin(origin) ?? '') ? origin : undefined
    const refused = refusal(c, { anyHost, names, allowed: allowed !== undefined })
    if (refused) return secured(c.json(errorBody(refused), httpStatus(refused.code)))
    if (allowed !== undefined && c.req.method === 'OPTIONS' && c.req.header('access-control-request-method') !== undefined) {
      return secured(c.body(null, 204, {
        'Access-Control-Allow-Origin': allowed,
        'Access-Control-Allow-Methods': CORS_METHODS,
        'Access-Control-Allow-Headers': CORS_HEADERS,
        'Access-Control-Max-Age': '600',
        Vary: 'Origin',
      }))
    }
    await next()
    secured(c.res)
    if (allowed !== undefined) {
      c.res.headers.set('Access-Control-Allow-Origin', allowed)
      c.res.headers.append('Vary', 'Origin')
    }
    return undefined
  }
}

function secured(res: Response): Response {
  // a page (the dashboard's) says what it may load itself; every other answer gets `default-src 'none'`
  for (const [name, value] of SECURITY_HEADERS) if (!(name === 'Content-Security-Policy' && res.headers.has(name))) res.headers.set(name, value)
  // a route that says how its answer may be cached (an event stream's no-cache) knows best
  if (!res.headers.has('Cache-Control')) res.headers.set('Cache-Control', 'no-store')
  return res
}

/** Why the request is refused (Host, then Origin, then a credential in the URL), or undefined. */
function refusal(c: Context, at: { anyHost: boolean; names: Set<string>; allowed: boolean }): ChaosError | undefined {
  const host = hostHeader(c)
  if (host === undefined) {
    return new ChaosError('API_HOST_REFUSED', 'the request has no Host header', { hint: 'send the Host header (HTTP/1.1 clients always do): the server checks it against the names it serves' })
  }
  const h = hostName(host)
  if (!at.anyHost && !(h && (h.ip || h.name === 'localhost' || h.name.endsWith('.localhost') || at.names.has(h.name)))) {
    return new ChaosError('API_HOST_REFUSED', `the Host ${JSON.stringify(host)} is not a name this server serves`, {
      hint: 'call the server by an IP address, localhost or this machine\'s name; a name of your own (a DNS name, a proxy\'s) needs --allowed-hosts NAME',
    })
  }
  const origin = c.req.header('origin')
  if (origin !== undefined && !at.allowed && !sameOrigin(origin, host)) {
    return new ChaosError('API_CROSS_ORIGIN', `a page of ${JSON.stringify(origin)} sent this request, and that origin is not allowed`, {
      hint: 'call the API from the CLI or a script, or start the server with --cors-origin ORIGIN for a page you trust',
    })
  }
  // a browser says where a request comes from even when it sends no Origin (a cross-site GET, an image, a link)
  const site = c.req.header('sec-fetch-site')?.toLowerCase()
  if ((site === 'cross-site' || site === 'same-site') && !at.allowed) {
    return new ChaosError('API_CROSS_ORIGIN', `a page of another site sent this request (Sec-Fetch-Site: ${site})${origin === undefined ? ' without an Origin' : ''}`, {
      hint: 'call the API from the CLI or a script, or start the server with --cors-origin ORIGIN for a page you trust',
    })
  }
  for (const name of new URL(c.req.url).searchParams.keys()) {
    if (CREDENTIAL_PARAMS.has(name.toLowerCase())) {
      // the name only: the value is a secret that must not travel any further
      return new ChaosError('AUTH_TOKEN_IN_URL', `the query parameter ${JSON.stringify(name)} would carry a credential in the URL; the API reads tokens only from the Authorization header`, {
        hint: 'send `Authorization: Bearer <token>` instead, and revoke the token that was in the URL: proxies, logs and browser history keep URLs',
      })
    }
  }
  return undefined
}

/**
 * The Host the client sent. Under @hono/node-server the Request's URL has a made-up host when the client sent
 * none, so the Node request's own header is read; in-process requests (`app.request('/x')`) have the URL's.
 */
function hostHeader(c: Context): string | undefined {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming
  if (incoming?.headers) return incoming.headers.host || undefined
  return c.req.header('host') ?? new URL(c.req.url).host
}

/** `Host` (or `--listen`, `--allowed-hosts`) as a lowercased name or IP without port or brackets; undefined when malformed. */
function hostName(value: string): { name: string; ip: boolean } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d{0,5}))?$/.exec(value.trim().toLowerCase())
  if (!m) return undefined
  if (m[1] !== undefined) return isIPv6(m[1]) ? { name: m[1], ip: true } : undefined
  const name = m[2]!
  return { name, ip: isIPv4(name) }
}

/** Whether a browser's Origin is the server's own origin as the client named it (Host), over http or https. */
function sameOrigin(origin: string, host: string): boolean {
  const o = normalOrigin(origin)
  if (o === undefined) return false // `null` (a sandboxed frame, a file), another scheme, or not a URL at all
  try {
    return o === new URL(`${new URL(o).protocol}//${host}`).origin
  } catch {
    return false
  }
}

/** `scheme://host[:port]`, lowercased and without a default port, as browsers send Origin; undefined for anything else. */
function normalOrigin(value: string): string | undefined {
  try {
    const u = new URL(value)
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin !== 'null' ? u.origin : undefined
  } catch {
    return undefined
  }
}

/**
 * Refuses a request body whose Content-Type is not one of `types` (compared without parameters, case-insensitive);
 * a body-less request or a missing Content-Type passes. 415 API_UNSUPPORTED_MEDIA_TYPE naming what came and what
 * the endpoint reads. A page's form can POST `text/plain` (or a form type) to any address without a preflight;
 * an endpoint that reads JSON refuses it here.
 *
 * @example
 * app.post('/runtime/v1/effects', requireContentType(['application/json']), async (c) => { ... })
 */
export function requireContentType(types: readonly string[]): MiddlewareHandler {
  const reads = types.map((t) => t.toLowerCase())
  return async (c, next) => {
    const header = c.req.header('content-type')
    const type = header?.split(';')[0]!.trim().toLowerCase()
    if (type && hasBody(c.req.raw) && !reads.includes(type)) {
      const e = new ChaosError('API_UNSUPPORTED_MEDIA_TYPE', `the body is ${JSON.stringify(type)}: ${c.req.method} ${c.req.path} reads ${reads.length > 0 ? reads.join(', ') : 'no body'}`, {
        hint: reads.length > 0 ? `send the body with Content-Type: ${reads[0]}` : 'send the request without a body',
      })
      return c.json(errorBody(e), httpStatus(e.code))
    }
    await next()
    return undefined
  }
}

function hasBody(req: Request): boolean {
  return req.body !== null && req.headers.get('content-length') !== '0'
}

interface Failures {
  count: number
  /** When the first failure of the window was. */
  since: number
}

/** Clients remembered before the oldest are forgotten. */
const MAX_CLIENTS = 10_000

/**
 * Failed authentications per client address: after `max` failures within `windowMs`, the address is refused for
 * the rest of the window. The window starts at a client's first failure (a fixed window: at most `max` guesses
 * a window, whatever their pace). At most {@link MAX_CLIENTS} clients are kept: those whose window is over
 * first, then the oldest, are forgotten.
 */
export class FailedAuthLimiter {
  private readonly clients = new Map<string, Failures>()
  private readonly max: number
  private readonly windowMs: number
  private readonly now: () => number

  constructor(opts: { max?: number; windowMs?: number; now?: () => number } = {}) {
    this.max = opts.max ?? 10
    this.windowMs = opts.windowMs ?? 60_000
    this.now = opts.now ?? (() => performance.now())
  }

  /** Seconds to wait when `client` is locked out now, else 0. */
  blocked(client: string): number {
    const f = this.clients.get(client)
    return f && f.count >= this.max ? this.left(f, this.now()) : 0
  }

  /** Records one failure; returns the seconds of the lock-out it caused (0 if none). */
  fail(client: string): number {
    const now = this.now()
    let f = this.clients.get(client)
    if (f && now - f.since >= this.windowMs) {
      this.clients.delete(client)
      f = undefined
    }
    if (!f) {
      if (this.clients.size >= MAX_CLIENTS) this.forget(now)
      f = { count: 0, since: now }
      this.clients.set(client, f)
    }
    f.count++
    return f.count >= this.max ? this.left(f, now) : 0
  }

  /** A success clears the client's failures. */
  succeed(client: string): void {
    this.clients.delete(client)
  }

  /** Whole seconds to the end of the window (at least 1 while in it), 0 after it. */
  private left(f: Failures, now: number): number {
    const ms = f.since + this.windowMs - now
    return ms > 0 ? Math.max(1, Math.ceil(ms / 1000)) : 0
  }

  private forget(now: number): void {
    for (const [k, f] of this.clients) if (now - f.since >= this.windowMs) this.clients.delete(k)
    // all in their window: forget the oldest (Map order is the order windows started) rather than grow without bound
    while (this.clients.size >= MAX_CLIENTS) this.clients.delete(this.clients.keys().next().value!)
  }
}

const loopback = new BlockList()
loopback.addSubnet('127.0.0.0', 8, 'ipv4')
loopback.addAddress('::1', 'ipv6')

/** Whether a listen host reaches only this machine: 127.0.0.0/8, ::1 (bracketed or not, v4-mapped too), localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1')
  if (h === 'localhost') return true
  if (isIPv4(h)) return loopback.check(h, 'ipv4')
  return isIPv6(h) && loopback.check(h, 'ipv6')
}

/** Whether `name` is a DNS name: dot-separated labels of letters, digits and inner hyphens, 253 characters at most. */
export function isHostName(name: string): boolean {
  return /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(name)
}

const LISTEN_HINT = 'write --listen HOST:PORT, e.g. 127.0.0.1:4000, [::1]:4000, 0.0.0.0:4000 (every address), or port 0 for a free one'

/**
 * `--listen HOST:PORT`: an IPv4 address, `[IPv6]` or a host name, and a port 0..65535 (0: a free one). The host
 * comes back without brackets, as `server.listen` takes it. CLI_USAGE for anything else, a missing host included
 * (the address other machines may reach is never a default).
 */
export function parseListen(value: string): { host: string; port: number } {
  const bad = (why: string) => new ChaosError('CLI_USAGE', `--listen ${JSON.stringify(value)}: ${why}`, { hint: LISTEN_HINT })
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*))(?::(.*))?$/.exec(value.trim())
  if (!m) throw bad('expected HOST:PORT (an IPv6 address in brackets)')
  const host = m[1] ?? m[2]!
  if (m[1] === undefined && m[3]?.includes(':')) throw bad('an IPv6 address goes in brackets, e.g. [::1]:4000')
  if (host === '') throw bad('the host is missing')
  if (m[1] !== undefined ? !isIPv6(host) : !(isIPv4(host) || isHostName(host))) throw bad(`${JSON.stringify(host)} is not an IP address or a host name`)
  if (m[3] === undefined) throw bad('the port is missing')
  const port = /^\d{1,5}$/.test(m[3]) ? Number(m[3]) : NaN
  if (!(port >= 0 && port <= 65535)) throw bad(`the port ${JSON.stringify(m[3])} is not a number from 0 to 65535`)
  return { host, port }
}

/** `host:port` as a URL or a Host header writes it: an IPv6 address in brackets. */
export function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`
}

/** The URL a client on this machine uses for a listener on `host`: a wildcard address is reached on loopback. */
export function localUrl(host: string, port: number): string {
  if (host === '0.0.0.0') return `http://127.0.0.1:${port}`
  if (host === '::') return `http://[::1]:${port}`
  return `http://${hostPort(host, port)}`
}
