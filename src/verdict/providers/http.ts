/**
 * @module verdict/providers/http: Chaos Toolkit's `http` provider, as chaostoolkit-lib's run_http_activity calls
 * it through Python requests: url, headers and timeout substituted (arguments too when there is configuration
 * or a secret); GET sends the arguments as the query string, other methods as JSON (headers' `Content-Type` is
 * exactly `application/json`), a form (a mapping) or as they are (a string); `timeout` is requests' (connect, read)
 * pair; `max_retries` is HTTPAdapter(max_retries=n)'s urllib3 Retry; redirects are followed as requests follows
 * them. The result is `{status, headers, body}` (body parsed when the answer's Content-Type is exactly
 * `application/json`); a status of 400 or more does not fail the activity, a connection error or a timeout does.
 *
 *   provider ─ prepare (url + query, headers, body) ─▶ send (retries) ─▶ redirect? ─▶ decode ─▶ result
 */
import { request as httpRequest } from 'node:http'
import type { ClientRequest, IncomingMessage, RequestOptions } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { Socket } from 'node:net'
import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib'
import { VERSION } from '../../version.js'
import { pyNumberStr, pyRepr, pyStr, pyTruthy } from '../pyvalue.js'
import { substitute } from '../substitute.js'
import { ActivityFailed } from '../types.js'
import type { ActivityContext, ChaosToolkitActivityDefinition } from '../types.js'
import { hasValues } from './process.js'

export interface HttpResult {
  status: number
  /** The answer's headers with the server's casing; repeated headers joined with `, ` (as requests joins them). */
  headers: Record<string, string>
  /** Parsed JSON when Content-Type is exactly `application/json`, the text otherwise. */
  body: unknown
}

/** requests' Session.max_redirects. */
const MAX_REDIRECTS = 30
/** urllib3 Retry's methods retried after the request was sent (and for Retry-After answers). */
const IDEMPOTENT = new Set(['HEAD', 'GET', 'PUT', 'DELETE', 'OPTIONS', 'TRACE'])
/** urllib3 Retry.RETRY_AFTER_STATUS_CODES: retried when they carry Retry-After and retries are left. */
const RETRY_AFTER_STATUSES = new Set([413, 429, 503])
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308])

// ─── Python requests' encodings ──────────────────────────────────────────────────────────────────────────

const QUOTE_SAFE = /^[A-Za-z0-9_.~-]$/

/** urllib.parse.quote_plus: UTF-8 (bytes as they are), space as `+`, only letters, digits and `_.-~` kept. */
export function quotePlus(s: string | Uint8Array): string {
  let out = ''
  for (const b of typeof s === 'string' ? Buffer.from(s, 'utf8') : s) {
    const c = String.fromCharCode(b)
    if (b === 0x20) out += '+'
    else if (b < 0x80 && QUOTE_SAFE.test(c)) out += c
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

/** urlencode's quoting of one key or value: str and bytes as they are, anything else as str(). */
function quoteValue(v: unknown): string {
  return typeof v === 'string' || v instanceof Uint8Array ? quotePlus(v) : quotePlus(pyStr(v))
}

/** Python's iteration of a value: a list's items, a mapping's keys; undefined for what does not iterate. */
function pyIter(v: unknown): unknown[] | undefined {
  if (Array.isArray(v)) return v
  if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array)) return Object.keys(v)
  return undefined
}

function keyValuePairs(data: unknown): [unknown, unknown][] {
  if (Array.isArray(data)) {
    return data.map((item) => {
      if (!Array.isArray(item) || item.length !== 2) throw new ActivityFailed(`cannot encode ${pyRepr(item)} as a parameter: give a mapping or a list of [key, value] pairs`)
      return [item[0], item[1]]
    })
  }
  if (data !== null && typeof data === 'object') return Object.entries(data)
  return []
}

/**
 * requests' parameter and form encoding (`_encode_params`, then urlencode with doseq): a string as it is; a
 * mapping's values each as key=value, a list value repeating the key, None dropped, other values as str().
 */
export function encodeParams(data: unknown): string {
  if (typeof data === 'string') return data
  if (data === null || data === undefined) return ''
  if (typeof data !== 'object' || data instanceof Uint8Array) return pyStr(data)
  const out: string[] = []
  for (const [k, vs] of keyValuePairs(data)) {
    const key = quoteValue(k)
    const values = typeof vs === 'string' || vs instanceof Uint8Array ? [vs] : pyIter(vs) ?? [vs]
    for (const v of values) {
      if (v === null || v === undefined) continue
      const items = typeof v === 'string' || v instanceof Uint8Array ? undefined : pyIter(v)
      if (items === undefined) out.push(`${key}=${quoteValue(v)}`)
      else for (const item of items) out.push(`${key}=${quoteValue(item)}`)
    }
  }
  return out.join('&')
}

function pyJsonString(s: string): string {
  let out = '"'
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] ?? ''
    const c = s.charCodeAt(i)
    if (ch === '"') out += '\\"'
    else if (ch === '\\') out += '\\\\'
    else if (ch === '\n') out += '\\n'
    else if (ch === '\r') out += '\\r'
    else if (ch === '\t') out += '\\t'
    else if (ch === '\b') out += '\\b'
    else if (ch === '\f') out += '\\f'
    else if (c < 0x20 || c > 0x7e) out += `\\u${c.toString(16).padStart(4, '0')}`
    else out += ch
  }
  return `${out}"`
}

/** Python's json.dumps as requests calls it for `json=`: `, ` and `: ` separators, ASCII only, no NaN. */
export function pyJsonDumps(v: unknown): string {
  if (v === null || v === undefined) return 'null'
  if (v === true) return 'true'
  if (v === false) return 'false'
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new ActivityFailed(`Out of range float values are not JSON compliant: ${pyStr(v)}`)
    return pyNumberStr(v)
  }
  if (typeof v === 'string') return pyJsonString(v)
  if (v instanceof Uint8Array) throw new ActivityFailed('Object of type bytes is not JSON serializable')
  if (Array.isArray(v)) return `[${v.map(pyJsonDumps).join(', ')}]`
  if (typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${pyJsonString(k)}: ${pyJsonDumps(x)}`).join(', ')}}`
  return pyJsonString(String(v))
}

// ─── preparing the request ───────────────────────────────────────────────────────────────────────────────

/** Header name (lower case) → [name as written, value]. */
type Headers = Map<string, [string, string]>

interface Prepared {
  url: URL
  method: string
  headers: Headers
  body?: Buffer
}

interface Timeouts {
  connectMs?: number
  readMs?: number
}

type HttpProvider = Extract<ChaosToolkitActivityDefinition['provider'], { type: 'http' }>

function httpProvider(activity: ChaosToolkitActivityDefinition): HttpProvider {
  const p = activity.provider
  if (p.type !== 'http') throw new ActivityFailed(`activity '${activity.name}' is not a HTTP activity`)
  return p
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

/** requests' session headers under the provider's: a header given as null removes the default. */
function buildHeaders(given: unknown): Headers {
  const headers: Headers = new Map()
  for (const [k, v] of [['User-Agent', `chaoscope/${VERSION}`], ['Accept-Encoding', 'gzip, deflate'], ['Accept', '*/*']] as const) {
    headers.set(k.toLowerCase(), [k, v])
  }
  if (given === null || given === undefined) return headers
  if (!isMapping(given)) throw new ActivityFailed('a HTTP activities expect headers as a mapping')
  for (const [k, v] of Object.entries(given)) {
    if (v === null) headers.delete(k.toLowerCase())
    else if (typeof v === 'string') headers.set(k.toLowerCase(), [k, v])
    else throw new ActivityFailed(`Header part (${pyRepr(v)}) from (${pyRepr(k)}, ${pyRepr(v)}) must be of type str or bytes`)
  }
  return headers
}

/** urllib3's Timeout checks, on seconds (a number, or a numeric string after substitution). */
function timeoutMs(x: unknown, which: 'connect' | 'read'): number | undefined {
  if (x === null || x === undefined) return undefined
  const n = typeof x === 'string' && x.trim() !== '' ? Number(x) : x
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new ActivityFailed(`Timeout value ${which} was ${pyStr(x)}, but it must be an int, float or None.`)
  if (n <= 0) throw new ActivityFailed(`Attempted to set ${which} timeout to ${pyStr(x)}, but the timeout cannot be set to a value less than or equal to 0.`)
  return n * 1000
}

function parseTimeout(t: unknown): Timeouts {
  if (Array.isArray(t)) {
    if (t.length !== 2) throw new ActivityFailed(`Invalid timeout ${pyRepr(t)}. Pass a (connect, read) timeout tuple, or a single float to set both timeouts to the same value.`)
    return { connectMs: timeoutMs(t[0], 'connect'), readMs: timeoutMs(t[1], 'read') }
  }
  const ms = timeoutMs(t, 'connect')
  return { connectMs: ms, readMs: ms }
}

/** HTTPAdapter(max_retries=n): n retries (a fraction counts as one more), none by default. */
function maxRetries(v: unknown): number {
  if (v === true) return 1
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) return 0
  return Math.ceil(v)
}

function parseUrl(url: string): URL {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(url)) throw new ActivityFailed(`Invalid URL '${url}': No scheme supplied. Perhaps you meant https://${url}?`)
    throw new ActivityFailed(`Invalid URL '${url}'`)
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ActivityFailed(`No connection adapters were found for '${url}'`)
  if (u.hostname === '') throw new ActivityFailed(`Invalid URL '${url}': No host supplied`)
  return u
}

function prepare(activity: ChaosToolkitActivityDefinition, ctx: ActivityContext): { url: string; request: Prepared; timeouts: Timeouts; retries: number; verify: boolean } {
  const provider = httpProvider(activity)
  const url = substitute(provider.url, ctx.values)
  if (typeof url !== 'string') throw new ActivityFailed(`the URL of activity '${activity.name}' is not a string: ${pyRepr(url)}`)
  const method = String(provider.method ?? 'GET').toUpperCase()
  const given = substitute(provider.headers ?? null, ctx.values)
  const timeouts = parseTimeout(substitute(provider.timeout ?? null, ctx.values))
  let args: unknown = provider.arguments ?? null
  if (pyTruthy(args) && hasValues(ctx.values)) args = substitute(args, ctx.values)

  const headers = buildHeaders(given)
  const target = parseUrl(url)
  let body: Buffer | undefined
  const setDefault = (name: string, value: string): void => {
    if (!headers.has(name.toLowerCase())) headers.set(name.toLowerCase(), [name, value])
  }
  if (method === 'GET') {
    const query = encodeParams(args)
    if (query !== '') target.search = target.search === '' ? query : `${target.search.slice(1)}&${query}`
  } else if (isMapping(given) && given['Content-Type'] === 'application/json') {
    if (args !== null && args !== undefined) body = Buffer.from(pyJsonDumps(args), 'utf8')
  } else if (pyTruthy(args)) {
    if (typeof args === 'string') body = Buffer.from(args, 'utf8')
    else if (args instanceof Uint8Array) body = Buffer.from(args)
    else if (typeof args === 'object') {
      body = Buffer.from(encodeParams(args), 'utf8')
      setDefault('Content-Type', 'application/x-www-form-urlencoded')
    } else throw new ActivityFailed(`cannot send ${pyRepr(args)} as a request body: give a mapping or a string`)
  }
  if (body !== undefined) headers.set('content-length', ['Content-Length', String(body.length)])
  else if (method !== 'GET' && method !== 'HEAD') setDefault('Content-Length', '0')

  return {
    url,
    request: { url: target, method, headers, ...(body !== undefined ? { body } : {}) },
    timeouts,
    retries: maxRetries(provider.max_retries),
    verify: pyTruthy(provider.verify_tls ?? true) && ctx.verifyTls,
  }
}

// ─── sending ─────────────────────────────────────────────────────────────────────────────────────────────

interface Answer {
  status: number
  rawHeaders: string[]
  body: Buffer
}

/** Where a request failed: before the connection was up, before the answer's head, or in its body. */
type Phase = 'connect' | 'request' | 'body'

class SendError extends Error {
  /** Attempts made, retries included. */
  attempts = 1
  constructor(
    readonly phase: Phase,
    readonly kind: 'timeout' | 'error' | 'aborted',
    readonly err?: NodeJS.ErrnoException,
  ) {
    super(err?.message ?? kind)
  }
}

function sendOnce(req: Prepared, t: Timeouts, verify: boolean, signal: AbortSignal): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    const https = req.url.protocol === 'https:'
    const options: RequestOptions & { rejectUnauthorized?: boolean } = {
      method: req.method,
      host: req.url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: req.url.port === '' ? (https ? 443 : 80) : Number(req.url.port),
      path: `${req.url.pathname}${req.url.search}`,
      headers: Object.fromEntries([...req.headers.values()]),
      agent: false,
      ...(https ? { rejectUnauthorized: verify } : {}),
    }
    let phase: Phase = 'connect'
    let done = false
    let connectTimer: NodeJS.Timeout | undefined
    let cr: ClientRequest | undefined
    const cleanup = (): void => {
      done = true
      if (connectTimer !== undefined) clearTimeout(connectTimer)
      signal.removeEventListener('abort', onAbort)
    }
    const fail = (kind: SendError['kind'], err?: NodeJS.ErrnoException): void => {
      if (done) return
      cleanup()
      cr?.destroy()
      reject(new SendError(phase, kind, err))
    }
    const onAbort = (): void => fail('aborted')
    if (signal.aborted) return reject(new SendError('connect', 'aborted'))
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      cr = (https ? httpsRequest : httpRequest)(options)
    } catch (e) {
      return fail('error', e as NodeJS.ErrnoException)
    }
    cr.on('socket', (sock: Socket) => {
      const connected = (): void => {
        if (connectTimer !== undefined) clearTimeout(connectTimer)
        if (phase === 'connect') phase = 'request'
        if (t.readMs !== undefined) sock.setTimeout(t.readMs, () => fail('timeout'))
      }
      if (!sock.connecting && !https) return connected()
      if (t.connectMs !== undefined) connectTimer = setTimeout(() => fail('timeout'), t.connectMs)
      sock.once(https ? 'secureConnect' : 'connect', connected)
    })
    cr.on('response', (res: IncomingMessage) => {
      phase = 'body'
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('error', (e: NodeJS.ErrnoException) => fail('error', e))
      res.on('end', () => {
        if (done) return
        cleanup()
        resolve({ status: res.statusCode ?? 0, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks) })
      })
    })
    cr.on('error', (e: NodeJS.ErrnoException) => fail('error', e))
    cr.end(req.body)
  })
}

function header(raw: string[], name: string): string | undefined {
  const values: string[] = []
  for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i]?.toLowerCase() === name) values.push(raw[i + 1] ?? '')
  return values.length === 0 ? undefined : values.join(', ')
}

/** urllib3's Retry-After: whole seconds or an HTTP date; anything else waits not at all. */
function retryAfterMs(v: string): number {
  if (/^\s*[0-9]+\s*$/.test(v)) return Number(v) * 1000
  const at = Date.parse(v)
  return Number.isNaN(at) ? 0 : Math.max(0, at - Date.now())
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(new SendError('connect', 'aborted'))
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(new SendError('connect', 'aborted'))
    }
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * One hop with urllib3's Retry(total=n): an error before the connection is up is retried for any method; one
 * after the request was sent (no answer, a read timeout) only for idempotent methods; an answer 413, 429 or 503
 * with Retry-After, for idempotent methods, after waiting that long. Never an answer's status otherwise.
 */
async function sendWithRetries(req: Prepared, t: Timeouts, verify: boolean, retries: number, signal: AbortSignal): Promise<{ answer: Answer; attempts: number }> {
  let left = retries
  for (let attempts = 1; ; attempts++) {
    try {
      const answer = await sendOnce(req, t, verify, signal)
      const retryAfter = header(answer.rawHeaders, 'retry-after')
      if (left > 0 && IDEMPOTENT.has(req.method) && RETRY_AFTER_STATUSES.has(answer.status) && retryAfter) {
        left--
        await sleep(retryAfterMs(retryAfter), signal)
        continue
      }
      return { answer, attempts }
    } catch (e) {
      if (!(e instanceof SendError) || e.kind === 'aborted') throw e
      const retriable = e.phase === 'connect' || (e.phase === 'request' && IDEMPOTENT.has(req.method))
      e.attempts = attempts
      if (!retriable || left <= 0) throw e
      left--
    }
  }
}

// ─── redirects ───────────────────────────────────────────────────────────────────────────────────────────

function defaultPort(u: URL): string | undefined {
  return u.port === '' ? undefined : u.port
}

/** requests' should_strip_auth: another host, or another scheme or port (http:80 → https:443 keeps it). */
function stripsAuth(from: URL, to: URL): boolean {
  if (from.hostname !== to.hostname) return true
  const fromPort = defaultPort(from)
  const toPort = defaultPort(to)
  if (from.protocol === 'http:' && (fromPort ?? '80') === '80' && to.protocol === 'https:' && (toPort ?? '443') === '443') return false
  return fromPort !== toPort || from.protocol !== to.protocol
}

/** Cookies set by redirect answers, by host, sent on the next hops to that host (as requests' session jar). */
type Jar = Map<string, Map<string, string>>

function keepCookies(jar: Jar, url: URL, raw: string[]): void {
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]?.toLowerCase() !== 'set-cookie') continue
    const pair = (raw[i + 1] ?? '').split(';')[0] ?? ''
    const eq = pair.indexOf('=')
    if (eq <= 0) continue
    const cookies = jar.get(url.hostname) ?? new Map<string, string>()
    cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim())
    jar.set(url.hostname, cookies)
  }
}

/** The next request of a redirect, as requests' resolve_redirects builds it; undefined when the answer is final. */
function redirected(req: Prepared, answer: Answer, jar: Jar): Prepared | undefined {
  if (!REDIRECT_STATUSES.has(answer.status)) return undefined
  const location = header(answer.rawHeaders, 'location')
  if (location === undefined) return undefined
  let next: URL
  try {
    next = new URL(Buffer.from(location, 'latin1').toString('utf8'), req.url)
  } catch {
    throw new ActivityFailed(`Invalid URL '${location}' in the redirect from ${req.url.href}`)
  }
  if (next.protocol !== 'http:' && next.protocol !== 'https:') throw new ActivityFailed(`No connection adapters were found for '${next.href}'`)
  if (next.hash === '' && req.url.hash !== '') next.hash = req.url.hash
  let method = req.method
  if ((answer.status === 303 || answer.status === 302) && method !== 'HEAD') method = 'GET'
  if (answer.status === 301 && method === 'POST') method = 'GET'
  const headers: Headers = new Map(req.headers)
  let body = req.body
  if (answer.status !== 307 && answer.status !== 308) {
    for (const h of ['content-length', 'content-type', 'transfer-encoding']) headers.delete(h)
    body = undefined
  }
  if (stripsAuth(req.url, next)) headers.delete('authorization')
  keepCookies(jar, req.url, answer.rawHeaders)
  headers.delete('cookie')
  const cookies = jar.get(next.hostname)
  if (cookies !== undefined && cookies.size > 0) headers.set('cookie', ['Cookie', [...cookies].map(([k, v]) => `${k}=${v}`).join('; ')])
  return { url: next, method, headers, ...(body !== undefined ? { body } : {}) }
}

// ─── decoding the answer ─────────────────────────────────────────────────────────────────────────────────

/** urllib3's content decoding: gzip, deflate (zlib or raw), br; an unknown coding is left as it came. */
function decompress(body: Buffer, encoding: string | undefined): Buffer {
  if (encoding === undefined || body.length === 0) return body
  let out = body
  for (const coding of encoding.split(',').map((c) => c.trim().toLowerCase()).reverse()) {
    try {
      if (coding === 'gzip' || coding === 'x-gzip') out = gunzipSync(out)
      else if (coding === 'deflate') {
        try {
          out = inflateSync(out)
        } catch {
          out = inflateRawSync(out)
        }
      } else if (coding === 'br') out = brotliDecompressSync(out)
      else if (coding !== '' && coding !== 'identity') return out
    } catch (e) {
      throw new ActivityFailed(`Received response with content-encoding: ${coding}, but failed to decode it: ${(e as Error).message}`)
    }
  }
  return out
}

/** requests' get_encoding_from_headers: the charset parameter, else ISO-8859-1 for text, UTF-8 for JSON. */
function charsetOf(contentType: string | undefined): string | undefined {
  if (contentType === undefined || contentType === '') return undefined
  const [type = '', ...params] = contentType.split(';')
  for (const param of params) {
    const eq = param.indexOf('=')
    if (eq === -1) continue
    if (param.slice(0, eq).replace(/^["' ]+|["' ]+$/g, '').toLowerCase() === 'charset') {
      return param.slice(eq + 1).replace(/^["' ]+|["' ]+$/g, '')
    }
  }
  if (type.includes('text')) return 'ISO-8859-1'
  if (type.includes('application/json')) return 'utf-8'
  return undefined
}

const LATIN1 = new Set(['iso-8859-1', 'iso8859-1', 'latin-1', 'latin1', 'l1', 'iso_8859_1'])

/** requests' Response.text: the charset (errors replaced), or, with none, UTF-8 when the bytes are UTF-8. */
function decodeText(body: Buffer, charset: string | undefined): string {
  if (body.length === 0) return ''
  if (charset === undefined) {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(body)
    } catch {
      return body.toString('latin1')
    }
  }
  if (LATIN1.has(charset.toLowerCase())) return body.toString('latin1')
  try {
    return new TextDecoder(charset).decode(body)
  } catch {
    return new TextDecoder('utf-8').decode(body)
  }
}

/** dict(**response.headers): the first casing of each name, repeated headers joined with `, `. */
function headerDict(raw: string[]): Record<string, string> {
  const byName = new Map<string, [string, string]>()
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] ?? ''
    const value = raw[i + 1] ?? ''
    const seen = byName.get(name.toLowerCase())
    if (seen !== undefined) seen[1] = `${seen[1]}, ${value}`
    else byName.set(name.toLowerCase(), [name, value])
  }
  return Object.fromEntries([...byName.values()])
}

function decodeBody(answer: Answer, url: string): unknown {
  const contentType = header(answer.rawHeaders, 'content-type')
  const bytes = decompress(answer.body, header(answer.rawHeaders, 'content-encoding'))
  const text = decodeText(bytes, charsetOf(contentType))
  if (contentType !== 'application/json') return text
  try {
    return JSON.parse(text) as unknown
  } catch (e) {
    throw new ActivityFailed(`the answer of ${url} says it is application/json but is not JSON: ${(e as Error).message}`)
  }
}

// ─── errors ──────────────────────────────────────────────────────────────────────────────────────────────

const ERRNO_WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by peer',
  ENOTFOUND: 'name or service not known',
  EAI_AGAIN: 'temporary failure in name resolution',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network is unreachable',
  ETIMEDOUT: 'connection timed out',
  EPIPE: 'broken pipe',
}

function seconds(ms: number | undefined): string {
  return ms === undefined ? 'None' : pyNumberStr(ms / 1000)
}

function describe(e: SendError, t: Timeouts): string {
  if (e.kind === 'timeout') {
    return e.phase === 'connect' ? `connection timed out (connect timeout=${seconds(t.connectMs)})` : `read timed out (read timeout=${seconds(t.readMs)})`
  }
  const err = e.err
  if (err === undefined) return e.message
  const words = err.code !== undefined ? ERRNO_WORDS[err.code] : undefined
  if (words !== undefined) return `${words} (${err.code})`
  if (err.message === 'socket hang up') return 'the server closed the connection without an answer'
  if (err.code === 'ERR_INVALID_HTTP_TOKEN' || err.code === 'ERR_INVALID_CHAR') return err.message
  if (err.code !== undefined && /CERT|SSL|TLS|SELF_SIGNED/.test(err.code)) return `TLS: ${err.message} (set verify_tls to false, or pass --no-verify-tls, to accept any certificate)`
  return err.message
}

function failure(e: unknown, url: string, t: Timeouts): Error {
  if (!(e instanceof SendError)) return e as Error
  if (e.kind === 'aborted') return new ActivityFailed('interrupted')
  // requests' ReadTimeout (no answer in time) is chaoslib's "too long"; a connect timeout is a ConnectionError
  if (e.kind === 'timeout' && e.phase === 'request') return new ActivityFailed('activity took too long to complete')
  return new ActivityFailed(`failed to connect to ${url}: ${describe(e, t)}${e.attempts > 1 ? ` (${e.attempts} attempts)` : ''}`)
}

// ─── the activity ────────────────────────────────────────────────────────────────────────────────────────

/**
 * Runs a HTTP activity. Rejects with ActivityFailed when it cannot connect, gets no answer in time, is
 * interrupted (ctx.signal), or is malformed in a way requests refuses; any answer, whatever its status, is
 * the result.
 */
export async function runHttp(activity: ChaosToolkitActivityDefinition, ctx: ActivityContext): Promise<HttpResult> {
  if (ctx.signal.aborted) throw new ActivityFailed('interrupted')
  const { url, request, timeouts, retries, verify } = prepare(activity, ctx)
  const jar: Jar = new Map()
  let req = request
  for (let hop = 0; ; hop++) {
    let answer: Answer
    try {
      answer = (await sendWithRetries(req, timeouts, verify, retries, ctx.signal)).answer
    } catch (e) {
      throw failure(e, url, timeouts)
    }
    const next = redirected(req, answer, jar)
    if (next !== undefined) {
      if (hop + 1 > MAX_REDIRECTS) throw new ActivityFailed(`Exceeded ${MAX_REDIRECTS} redirects.`)
      req = next
      continue
    }
    const body = decodeBody(answer, url)
    if (activity.tolerance === undefined && answer.status > 399) {
      ctx.log(`HTTP activity '${activity.name}' got status ${answer.status}: this may indicate an error`)
    }
    return { status: answer.status, headers: headerDict(answer.rawHeaders), body }
  }
}
