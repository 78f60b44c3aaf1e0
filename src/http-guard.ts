/**
 * @module http-guard: the limits both HTTP APIs (the runtime's control API and the controller's /api/v1) put on
 * every request, so that no client can stall or bloat the process that serves the others:
 *
 *   request ─▶ rate (token bucket per client address) ─▶ declared size (Content-Length) ─▶ route
 *                429 API_RATE_LIMITED + Retry-After       413 API_BODY_TOO_LARGE, nothing read
 *   route:  readBody (reads at most the limit, chunked or not) ─▶ checkNesting (a scan of the text) ─▶ parse
 *                413 API_BODY_TOO_LARGE                           400 API_BODY_TOO_DEEP
 *
 * The rate limit is generous by default ({@link DEFAULT_RATE_LIMIT}: a controller's burst of hundreds of applies
 * never meets it); `CHAOSCOPE_RATE_LIMIT` sets it for both APIs of a process: `<per second>` or
 * `<per second>:<burst>`, or `off`.
 */
import type { IncomingMessage } from 'node:http'
import type { Context, MiddlewareHandler } from 'hono'
import { ChaosError, errorBody } from './errors.js'

/** Largest request body either API reads. */
export const MAX_BODY_BYTES = 1024 * 1024

/**
 * Deepest nesting of mappings and lists either API parses (YAML and JSON alike). Chaos Mesh resources and the
 * runtime's effects nest about ten levels; parsers recurse per level, so a body of a million `[` costs seconds
 * and a gigabyte to parse.
 */
export const MAX_NESTING = 100

/** Requests a client may make: `perSecond` on average, `burst` at once. */
export interface RateLimit {
  perSecond: number
  burst: number
}

export const DEFAULT_RATE_LIMIT: RateLimit = { perSecond: 5000, burst: 10_000 }

/**
 * The rate limit `CHAOSCOPE_RATE_LIMIT` asks for (false: off), the default when it is not set; CLI_USAGE when it
 * cannot be read.
 */
export function rateLimitFromEnv(value: string | undefined = process.env.CHAOSCOPE_RATE_LIMIT): RateLimit | false {
  if (value === undefined || value.trim() === '') return DEFAULT_RATE_LIMIT
  const v = value.trim()
  if (v === 'off' || v === '0') return false
  const m = /^(\d+(?:\.\d+)?)(?::(\d+))?$/.exec(v)
  const perSecond = Number(m?.[1])
  const burst = m?.[2] !== undefined ? Number(m[2]) : Math.max(1, Math.ceil(perSecond * 2))
  if (!m || !(perSecond > 0) || !(burst >= 1)) {
    throw new ChaosError('CLI_USAGE', `CHAOSCOPE_RATE_LIMIT: expected <per second>[:<burst>] or off, got ${JSON.stringify(value)}`, { hint: 'e.g. CHAOSCOPE_RATE_LIMIT=5000:10000' })
  }
  return { perSecond, burst }
}

/** The address a request came from (node's socket), or 'local' for requests made in-process (`app.request`). */
export function clientAddress(c: Context): string {
  const env = c.env as { incoming?: IncomingMessage } | undefined
  return env?.incoming?.socket?.remoteAddress ?? 'local'
}

interface Bucket {
  tokens: number
  at: number
}

/** Buckets kept before full ones (clients idle long enough to have refilled) are forgotten. */
const MAX_BUCKETS = 10_000

/**
 * A token bucket per client: each request takes one token; a client without one gets 429 API_RATE_LIMITED with
 * `Retry-After` (whole seconds until it has one again). `now` is the clock (tests).
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>()

  constructor(
    readonly limit: RateLimit,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes a token for `key`: 0 when there was one, else the seconds to wait. */
  take(key: string): number {
    const now = this.now()
    let b = this.buckets.get(key)
    if (b) {
      b.tokens = Math.min(this.limit.burst, b.tokens + ((now - b.at) * this.limit.perSecond) / 1000)
      b.at = now
    } else {
      if (this.buckets.size >= MAX_BUCKETS) this.forgetFull(now)
      b = { tokens: this.limit.burst, at: now }
      this.buckets.set(key, b)
    }
    if (b.tokens >= 1) {
      b.tokens -= 1
      return 0
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.limit.perSecond))
  }

  private forgetFull(now: number): void {
    for (const [k, b] of this.buckets) if (b.tokens + ((now - b.at) * this.limit.perSecond) / 1000 >= this.limit.burst) this.buckets.delete(k)
    // all busy: forget the oldest rather than grow without bound
    while (this.buckets.size >= MAX_BUCKETS) this.buckets.delete(this.buckets.keys().next().value!)
  }
}

export interface GuardOptions {
  /** Per client address; false: no limit. Default: {@link rateLimitFromEnv}. */
  rateLimit?: RateLimit | false
  /** Bodies declared larger than this are refused before anything is read (default {@link MAX_BODY_BYTES}). */
  maxBodyBytes?: number
}

/**
 * The middleware both APIs put before every route: the rate limit, then a declared body size over the limit
 * refused (413) without reading it. Bodies without Content-Length (chunked) are bounded by {@link readBody}.
 *
 * @example
 * app.use('*', guard())
 * app.post('/x', async (c) => { const text = await readBody(c.req.raw); checkNesting(text); ... })
 */
export function guard(opts: GuardOptions = {}): MiddlewareHandler {
  const limit = opts.rateLimit === undefined ? rateLimitFromEnv() : opts.rateLimit
  const limiter = limit ? new RateLimiter(limit) : undefined
  const max = opts.maxBodyBytes ?? MAX_BODY_BYTES
  return async (c, next) => {
    const wait = limiter?.take(clientAddress(c)) ?? 0
    if (wait > 0) {
      const e = new ChaosError('API_RATE_LIMITED', `too many requests from ${clientAddress(c)}: more than ${limit ? limit.perSecond : 0} a second`, { hint: `try again in ${wait} s (Retry-After); the limit is set with CHAOSCOPE_RATE_LIMIT` })
      return c.json(errorBody(e), 429, { 'retry-after': String(wait) })
    }
    declaredSize(c.req.raw, max)
    await next()
  }
}

function tooLarge(max: number): ChaosError {
  return new ChaosError('API_BODY_TOO_LARGE', `the request body is larger than ${max} bytes`, { hint: 'split the resources over several requests' })
}

function declaredSize(req: Request, max: number): void {
  const declared = req.headers.get('content-length')
  if (declared !== null && Number(declared) > max) throw tooLarge(max)
}

/**
 * The body as text (UTF-8), read chunk by chunk and given up as soon as it passes `max` bytes (API_BODY_TOO_LARGE):
 * a body is never held past the limit, whether it declares its length or comes chunked. What is left unread is
 * the server's to discard.
 */
export async function readBody(req: Request, max = MAX_BODY_BYTES): Promise<string> {
  declaredSize(req, max)
  if (!req.body) return ''
  const reader = req.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      size += value.byteLength
      if (size > max) throw tooLarge(max)
      chunks.push(value)
    }
  } finally {
    reader.releaseLock()
  }
  return new TextDecoder().decode(Buffer.concat(chunks, size))
}

/** Where a text nests too deep: 1-based line and column of the opening that goes past the bound. */
export interface NestingAt {
  line: number
  col: number
}

/**
 * Refuses (API_BODY_TOO_DEEP, 400) a YAML or JSON text that nests deeper than `max` levels, before any parser
 * sees it. One pass over the text, no parsing, no allocation per level beyond a column stack bounded by `max`.
 */
export function checkNesting(text: string, max = MAX_NESTING): void {
  const at = nestingPastBound(text, max)
  if (at) {
    throw new ChaosError('API_BODY_TOO_DEEP', `the request body nests deeper than ${max} levels (at line ${at.line}, column ${at.col})`, {
      hint: 'chaoscope\'s resources and effects nest about ten levels; send the document without the extra nesting',
    })
  }
}

const isBlank = (ch: string | undefined) => ch === undefined || ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r'

/**
 * The position where `text` first nests deeper than `max`, or undefined. Counts what a YAML parser would nest:
 * flow collections (`[`, `{`, as in JSON) outside quoted scalars and comments, and block collections, by the
 * columns of keys and of `-` / `?` entries (`- - - x` nests three deep on one line). Quoted scalars, block
 * scalars (`|`, `>`) and the continuation lines of plain scalars are content, not nesting. It errs towards
 * counting less (a parser then sees the text, as it always did), never more on a text that is valid YAML.
 */
export function nestingPastBound(text: string, max: number): NestingAt | undefined {
  const n = text.length
  const stack: number[] = [] // columns of the open block collections
  const seq: boolean[] = [] // and whether each is a sequence (`- ` entries) or a mapping
  const push = (col: number, isSeq: boolean): boolean => {
    stack.push(col)
    seq.push(isSeq)
    return stack.length + flow > max
  }
  const pop = () => {
    stack.pop()
    seq.pop()
  }
  let flow = 0 // open flow collections
  let quote: '' | '"' | "'" = ''
  let blockScalarAbove: number | undefined // lines indented more than this are a block scalar's content
  let open = false // the last structural line ended by opening a block (`key:`, `-`, `? `, an anchor or tag)
  let line = 0
  for (let start = 0; start <= n; line++) {
    let end = text.indexOf('\n', start)
    if (end < 0) end = n
    const lineEnd = end > start && text[end - 1] === '\r' ? end - 1 : end
    const next = start
    start = end + 1
    let p = next
    let first = true // the next token is the first of the line (its column was pushed already)
    if (!quote && flow === 0) {
      // block context at the start of the line: its indentation says where it sits
      while (p < lineEnd && text[p] === ' ') p++
      const indent = p - next
      const ch = text[p]
      if (p >= lineEnd || ch === '#') continue // blank or comment: changes nothing
      if (indent === 0 && (text.startsWith('---', p) || text.startsWith('...', p)) && isBlank(text[p + 3])) {
        stack.length = 0 // a new document
        seq.length = 0
        open = false
        blockScalarAbove = undefined
        p += 3
        first = false
      } else if (blockScalarAbove !== undefined && indent > blockScalarAbove) {
        continue // a block scalar's content
      } else if (indent === 0 && ch === '%') {
        continue // a directive
      } else {
        blockScalarAbove = undefined
        const top = stack.length > 0 ? stack[stack.length - 1]! : -1
        if (indent > top && !open && stack.length > 0) continue // the continuation of a plain scalar
        const entry = ch === '-' && isBlank(text[p + 1])
        while (stack.length > 0 && stack[stack.length - 1]! > indent) pop()
        if (stack.length > 0 && stack[stack.length - 1]! === indent) {
          // the same column: another entry or key of the collection there, or (`key:` then `- a` below it, as
          // kubectl writes them) a sequence that is the value of the mapping's last key
          const isSeq = seq[seq.length - 1]!
          if (entry && !isSeq && open) {
            if (push(indent, true)) return { line: line + 1, col: indent + 1 }
          } else if (!entry && isSeq) {
            pop()
            if (!(stack.length > 0 && stack[stack.length - 1]! === indent) && push(indent, false)) return { line: line + 1, col: indent + 1 }
          } else if (entry !== isSeq) {
            pop()
            if (push(indent, entry)) return { line: line + 1, col: indent + 1 }
          }
        } else if (push(indent, entry)) {
          return { line: line + 1, col: indent + 1 }
        }
      }
    }
    // the rest of the line, token by token
    let tokenStart = true // the next character may start a token (a quote, a flow collection, an indicator)
    let plain = false // inside a plain scalar
    let keyCol = -1 // column of the scalar the line is on (a key if a `:` follows)
    let last: 'none' | 'indicator' | 'value' | 'property' | 'scalar' | 'flow' = 'none'
    let prevBlank = true
    for (; p < lineEnd; p++) {
      const ch = text[p]!
      if (quote === '"') {
        if (ch === '\\') p++
        else if (ch === '"') quote = ''
        continue
      }
      if (quote === "'") {
        if (ch === "'") {
          if (text[p + 1] === "'") p++
          else quote = ''
        }
        continue
      }
      if (ch === ' ' || ch === '\t') {
        if (!plain) tokenStart = true
        prevBlank = true
        continue
      }
      if (ch === '#' && prevBlank) break // a comment, to the end of the line
      const wasBlank = prevBlank
      prevBlank = false
      const col = p - next
      if (flow > 0) {
        if (ch === '[' || ch === '{') {
          if (stack.length + ++flow > max) return { line: line + 1, col: col + 1 }
          plain = false
          tokenStart = true
        } else if (ch === ']' || ch === '}') {
          flow--
          plain = false
          tokenStart = false
          last = 'flow'
        } else if (ch === ',') {
          plain = false
          tokenStart = true
        } else if (ch === ':' && (!plain || isBlank(text[p + 1]) || ',[]{}'.includes(text[p + 1]!))) {
          plain = false
          tokenStart = true
        } else if (tokenStart && (ch === '"' || ch === "'")) {
          quote = ch
          tokenStart = false
        } else if (tokenStart) {
          plain = true
          tokenStart = false
        }
        continue
      }
      // block context
      if (ch === ':' && isBlank(text[p + 1]) && (last === 'scalar' || !tokenStart)) {
        // a mapping value: its key's column is a mapping's, deeper than the collection it is in
        if (stack.length > 0 && keyCol > stack[stack.length - 1]! && push(keyCol, false)) return { line: line + 1, col: keyCol + 1 }
        plain = false
        tokenStart = true
        last = 'value'
        continue
      }
      if (!tokenStart) continue // inside a plain scalar, or right after a quoted one
      if ((ch === '-' || ch === '?' || ch === ':') && isBlank(text[p + 1])) {
        // an entry (`- `, `? `) opens a collection at its column; the first of the line has its column pushed
        if (!first && ch !== ':' && push(col, true)) return { line: line + 1, col: col + 1 }
        first = false
        last = 'indicator'
        continue
      }
      first = false
      if (ch === '[' || ch === '{') {
        if (stack.length + ++flow > max) return { line: line + 1, col: col + 1 }
        tokenStart = true
        last = 'flow'
      } else if (ch === '"' || ch === "'") {
        quote = ch
        keyCol = col
        tokenStart = false
        last = 'scalar'
      } else if ((ch === '|' || ch === '>') && wasBlank) {
        blockScalarAbove = stack.length > 0 ? stack[stack.length - 1]! : -1
        last = 'scalar'
        break // the header; the lines below it that are indented more are its content
      } else if (ch === '&' || ch === '!') {
        while (p + 1 < lineEnd && !isBlank(text[p + 1])) p++ // an anchor or a tag, before the node it names
        last = 'property'
      } else {
        plain = true
        keyCol = col
        tokenStart = false
        last = 'scalar'
      }
    }
    if (!quote && flow === 0) open = last === 'indicator' || last === 'value' || last === 'property'
  }
  return undefined
}

/**
 * The answers every operation guarded here may give besides its own, for an OpenAPI document: the rate limit per
 * client address and a declared body over 1 MiB, both before any route (`#/components/schemas/Error` is the
 * document's error body).
 */
export function guardResponses(): Record<413 | 429, unknown> {
  const content = { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } }
  return {
    413: { description: 'the request declares a body larger than 1 MiB (API_BODY_TOO_LARGE); nothing was read', content },
    429: {
      description: 'too many requests from this client address (API_RATE_LIMITED)',
      headers: { 'Retry-After': { description: 'whole seconds until a request is taken again', required: true, schema: { type: 'integer', minimum: 1 } } },
      content,
    },
  }
}

/**
 * The methods an app's routes answer on `path` (hono's `app.routes`: `:name` parameters and `*` wildcards), for a
 * 405 with `Allow` when a known path is asked with another method. Empty when no route has that path.
 */
export function allowedMethods(routes: readonly { method: string; path: string }[], path: string): string[] {
  const methods = new Set<string>()
  for (const r of routes) {
    if (r.method === 'ALL' || r.path.includes('*')) continue // middleware, not an endpoint
    const pattern = new RegExp(`^${r.path.split('/').map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))).join('/')}$`)
    if (pattern.test(path)) methods.add(r.method)
  }
  if (methods.has('GET')) methods.add('HEAD')
  return [...methods].sort()
}
