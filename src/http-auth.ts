/**
 * @module http-auth: the parts of authentication both HTTP APIs share (the controller's, with its tokens and roles
 * in src/api/auth.ts, and the runtime's control API, with its one secret): reading `Authorization: Bearer`,
 * comparing secrets, and the middleware that finds a request's principal and writes one audit row per mutating call.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Context, MiddlewareHandler } from 'hono'
import { ChaosError, errorBody, httpStatus } from './errors.js'
import { clientAddress, guardResponses } from './http-guard.js'
import type { FailedAuthLimiter } from './http-security.js'
import type { AuditRow, Role } from './store/store.js'

/** The caller of a request: a token's name, role and namespaces ([] = every namespace). */
export interface Principal {
  name: string
  role: Role
  namespaces: readonly string[]
}

/** `--auth none` (loopback only; the wiring refuses it elsewhere): every caller acts as this admin, and is audited so. */
export const ANONYMOUS: Principal = { name: 'anonymous', role: 'admin', namespaces: [] }

/** Finds the principal of a request from its Authorization header; throws the 401 (or 429) a bad one earns. */
export interface Authenticates {
  /** `path`: the request's, for the APIs where one path takes other callers (the runtime's /metrics in `up`). */
  authenticate(header: string | undefined, client: string, path?: string): Principal
}

export type AuditEntry = Omit<AuditRow, 'id'>

/** A new token: `chs_` and 43 characters of base64url (256 random bits). */
export function newToken(): string {
  return `chs_${randomBytes(32).toString('base64url')}`
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

/** Whether two secrets are equal, in time that does not depend on where they differ. */
export function sameSecret(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest()
  const y = createHash('sha256').update(b).digest()
  return timingSafeEqual(x, y)
}

/** The token of an `Authorization: Bearer …` header; undefined when there is none. */
export function bearer(header: string | undefined): string | undefined {
  if (!header) return undefined
  const m = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header)
  if (!m) throw new ChaosError('AUTH_INVALID_TOKEN', 'the Authorization header is not "Bearer <token>"', { hint: 'send `Authorization: Bearer <token>`' })
  return m[1]
}

/**
 * The runtime's control API: one secret, made at start and kept in runtime.json (0600), that the CLI and a
 * controller in another process send. Its holder acts as an admin of the runtime.
 */
export class SecretAuth implements Authenticates {
  constructor(
    private readonly secret: string,
    private readonly limiter?: FailedAuthLimiter,
    private readonly principal: Principal = { name: 'runtime-token', role: 'admin', namespaces: [] },
  ) {}

  authenticate(header: string | undefined, client: string): Principal {
    return lockedOut(this.limiter, client, () => {
      const token = bearer(header)
      if (token === undefined) throw new ChaosError('AUTH_REQUIRED', 'the runtime\'s control API needs its token: the request has no Authorization header', { hint: 'the CLI sends the token runtime.json holds; a controller in another process reads it from there, or from CHAOSCOPE_RUNTIME_TOKEN' })
      if (!sameSecret(token, this.secret)) throw new ChaosError('AUTH_INVALID_TOKEN', 'the token is not this runtime\'s', { hint: 'the runtime makes a new token each time it starts: use the one in $CHAOSCOPE_HOME/runtime.json' })
      return this.principal
    })
  }
}

/**
 * `check`'s principal; when it throws (a bad or missing token), the failure counted against `client`, and
 * AUTH_RATE_LIMITED instead of it while the address is locked out. A good token always gets through: the lock-out
 * slows guessing (hopeless against 256 bits anyway) and bounds what bad requests write to the audit log, but must
 * never let anyone on a shared machine, or behind the same proxy, lock the owner out of `down` and `delete`.
 */
export function lockedOut(limiter: FailedAuthLimiter | undefined, client: string, check: () => Principal): Principal {
  try {
    return check()
  } catch (e) {
    if (!limiter) throw e
    const wait = limiter.blocked(client)
    if (wait > 0) throw rateLimited(wait, false)
    const locked = limiter.fail(client)
    if (locked > 0) throw rateLimited(locked, true)
    throw e
  }
}

/** AUTH_RATE_LIMITED, with the seconds to wait for Retry-After; `started`: this request began the lock-out. */
function rateLimited(seconds: number, started: boolean): ChaosError {
  const e = new ChaosError('AUTH_RATE_LIMITED', `too many requests with a bad token from this address; requests without a good token are refused for ${seconds} s`, { hint: 'wait, and check the token the client sends' })
  Object.assign(e, { retryAfter: seconds, lockOutStarted: started })
  return e
}

/** Longest path, action or target an audit row keeps (a flood of long junk paths must not fill the disk). */
const AUDIT_FIELD_MAX = 256

function capped(s: string): string {
  return s.length <= AUDIT_FIELD_MAX ? s : `${s.slice(0, AUDIT_FIELD_MAX - 1)}…`
}

/** What a route tells the audit log about the call it served (its action, and the object it acted on). */
export interface AuditNote {
  action: string
  target?: string
  namespace?: string
}

type Vars = { principal?: Principal; audit?: AuditNote }

export function principalOf(c: Context): Principal {
  const p = (c.get as (k: string) => unknown)('principal') as Principal | undefined
  if (!p) throw new Error('no principal: the auth middleware did not run')
  return p
}

/** Says what the call did, for the audit log (the last note of a request wins). */
export function noteAudit(c: Context, note: AuditNote): void {
  ;(c.set as (k: string, v: unknown) => void)('audit', note)
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/**
 * Authenticates every request but those to `open` paths, and writes one audit row for each mutating call, whatever
 * its answer (refused ones too: who tried matters as much as who did). `action` names a mutating call a route did
 * not note (one refused before the route ran); `changesNothing` lists the paths whose POSTs change nothing.
 */
export function authMiddleware(auth: Authenticates, opts: { open: readonly string[]; audit?: (e: AuditEntry) => void; action: (method: string, path: string) => string; changesNothing?: readonly string[] }): MiddlewareHandler<{ Variables: Vars }> {
  return async (c, next) => {
    const path = c.req.path
    if (opts.open.includes(path)) return next()
    // a POST that only reads (a validation while someone types) writes no audit row
    const mutating = MUTATING.has(c.req.method) && !opts.changesNothing?.includes(path)
    const client = clientAddress(c)
    let principal: Principal | undefined
    let quiet = false
    try {
      principal = auth.authenticate(c.req.header('authorization'), client, path)
      c.set('principal', principal)
      await next()
    } catch (e) {
      // refused before a route ran: answer here, so that the audit row below sees the status
      const body = errorBody(e)
      const retry = (e as { retryAfter?: number }).retryAfter
      // one row for the request that began a lock-out, none for those refused during it
      quiet = body.code === 'AUTH_RATE_LIMITED' && (e as { lockOutStarted?: boolean }).lockOutStarted !== true
      c.res = c.json(body, httpStatus(body.code), retry ? { 'Retry-After': String(retry) } : {})
    }
    if (!mutating || !opts.audit || quiet) return
    const note = c.get('audit')
    let code: string | undefined
    if (c.res.status >= 400) {
      try {
        code = ((await c.res.clone().json()) as { code?: string }).code
      } catch {
        code = undefined
      }
    }
    const entry: AuditEntry = {
      time: new Date().toISOString(),
      actor: principal?.name ?? '-',
      ...(principal ? { role: principal.role } : {}),
      remote: client,
      method: c.req.method,
      // as it came, still percent-encoded: a decoded %0A or ESC must not forge a line in `chaoscope audit`
      path: capped(new URL(c.req.url).pathname),
      action: capped(note?.action ?? opts.action(c.req.method, path)),
      target: capped(note?.target ?? ''),
      namespace: capped(note?.namespace ?? ''),
      status: c.res.status,
      ...(code ? { code } : {}),
    }
    try {
      opts.audit(entry)
    } catch (e) {
      // the call has been carried out: its answer stays true; the missing row is said where the operator reads
      console.error(`chaoscope: the audit row of ${c.req.method} ${entry.path} (${entry.actor}, ${entry.status}) could not be written: ${(e as Error).message}`)
    }
  }
}

type Answer = { description: string; content?: unknown }
/** An operation of an OpenAPI document, as the documents write them. */
export type OpenApiOperation = { responses: Record<number, Answer>; security?: unknown } & Record<string, unknown>

/**
 * An OpenAPI operation with the answers of the layers before its route, for both APIs' documents: the guard's
 * (413, 429); unless it is open (`security: []`), 401 `unauthorized` and the failed-login lock-out's 429; 403 for
 * the Host and Origin rules (after `forbidden`, why its route refuses a token that authenticated); and
 * AUTH_TOKEN_IN_URL beside its own 400s.
 */
export function withAccessAnswers<O extends OpenApiOperation>(o: O, unauthorized: string, forbidden?: string): O {
  const guard = guardResponses() as Record<413 | 429, Answer>
  const error = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } })
  const hostOrigin = 'the Host names no address this server serves (API_HOST_REFUSED), or a page of another origin sent the request (API_CROSS_ORIGIN)'
  const tokenInUrl = 'a query parameter that would carry a credential (token, access_token, api_key...) is in the URL (AUTH_TOKEN_IN_URL)'
  const lockOut = `${guard[429].description}, or, without a good token, after 10 bad tokens from it within a minute: refused for the rest of that minute (AUTH_RATE_LIMITED)`
  const open = Array.isArray(o.security) && o.security.length === 0
  const own = o.responses
  return {
    ...o,
    responses: {
      ...guard,
      ...(open ? {} : { 401: error(unauthorized), 429: { ...guard[429], description: lockOut } }),
      ...own,
      400: error(own[400] ? `${own[400].description}; or ${tokenInUrl}` : tokenInUrl),
      403: error(forbidden ? `${forbidden}; or ${hostOrigin}` : hostOrigin),
    },
  }
}
