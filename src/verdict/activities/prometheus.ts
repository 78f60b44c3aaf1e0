/**
 * @module verdict/activities/prometheus: chaosprometheus.probes.query and query_interval: an instant or a range
 * query to the Prometheus at `configuration.prometheus_base_url` (default http://localhost:9090), returning
 * Prometheus' JSON answer as it came (`{status, data: {resultType, result}}`), as chaosprometheus returns it.
 *
 * Times are read as chaosprometheus reads them through dateparser, in the forms it documents and the ones its
 * experiments use: `now`, relative times (`5 minutes ago`, `30 seconds ago`, `in 2 hours`, `1h30m`, `25s`: a bare
 * amount is in the past), RFC 3339 / ISO 8601 dates, and Unix seconds. Anything else is refused by name.
 */
import { request as httpRequest } from 'node:http'
import type { IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { ActivityFailed } from '../types.js'
import type { ActivityContext, PythonActivity } from '../types.js'
import { Args } from './chaoscope.js'

const UNIT_MS: Record<string, number> = {
  s: 1000, sec: 1000, secs: 1000, second: 1000, seconds: 1000,
  m: 60_000, min: 60_000, mins: 60_000, minute: 60_000, minutes: 60_000,
  h: 3_600_000, hr: 3_600_000, hrs: 3_600_000, hour: 3_600_000, hours: 3_600_000,
  d: 86_400_000, day: 86_400_000, days: 86_400_000,
  w: 604_800_000, week: 604_800_000, weeks: 604_800_000,
}
/** Calendar units: added to the date's month, as dateparser does. */
const UNIT_MONTHS: Record<string, number> = { month: 1, months: 1, y: 12, year: 12, years: 12 }

/** `5 minutes`, `1.5h`, `an hour`: an amount and its unit. */
const AMOUNT = /(?:(\d+(?:\.\d+)?)\s*|\b(an?)\s+)([a-z]+)/g

/** `5 minutes, 3 seconds` or `1h30m` → [amount, unit] pairs; undefined when the text is not only that. */
function amounts(text: string): [number, string][] | undefined {
  const parts: [number, string][] = []
  const rest = text.replace(AMOUNT, (_, n: string | undefined, article: string | undefined, unit: string) => {
    parts.push([article ? 1 : Number(n), unit])
    return ' '
  })
  if (parts.length === 0 || !/^[\s,]*$/.test(rest.replace(/\band\b/g, ','))) return undefined
  return parts.every(([, u]) => UNIT_MS[u] !== undefined || UNIT_MONTHS[u] !== undefined) ? parts : undefined
}

function shift(base: number, parts: [number, string][], sign: 1 | -1): number {
  const d = new Date(base)
  let ms = 0
  for (const [n, u] of parts) {
    if (UNIT_MS[u] !== undefined) ms += n * UNIT_MS[u]
    else {
      const months = n * UNIT_MONTHS[u]!
      const whole = Math.trunc(months)
      d.setMonth(d.getMonth() + sign * whole)
      ms += (months - whole) * 30 * 86_400_000
    }
  }
  return d.getTime() + sign * ms
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?)?$/i

/**
 * A time as chaosprometheus reads it (dateparser), in ms since the epoch; undefined when it is none of the forms:
 * `now` (`today`), `yesterday`; an amount (`5 minutes ago`, `30 sec`, `1m30s`, `an hour ago`: in the past unless
 * it says `in …` or `… from now`); RFC 3339 / ISO 8601 (`2024-05-01T10:00:00Z`; without an offset, local time as
 * dateparser reads it); Unix seconds (`1714557600`).
 */
export function parseTime(text: string, now: number = Date.now()): number | undefined {
  const t = text.trim().toLowerCase().replace(/\s+/g, ' ')
  if (t === 'now' || t === 'today' || t === 'right now') return now
  if (t === 'yesterday') return now - 86_400_000
  if (t === 'tomorrow') return now + 86_400_000
  if (/^\d{9,11}(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000)
  const iso = ISO.exec(text.trim())
  if (iso) {
    const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = iso
    const ms = Math.round(Number(frac || '0') * 1000)
    const fields = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms] as const
    if (fields[1] > 11 || fields[2] < 1 || fields[2] > 31 || fields[3] > 23 || fields[4] > 59 || fields[5] > 60) return undefined
    if (zone === undefined) return new Date(...fields).getTime()
    const utc = Date.UTC(...fields)
    if (zone.toUpperCase() === 'Z') return utc
    const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!
    return utc - (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3])) * 60_000
  }
  let body = t
  let sign: 1 | -1 = -1
  if (body.endsWith(' ago')) body = body.slice(0, -4)
  else if (body.endsWith(' from now')) {
    body = body.slice(0, -9)
    sign = 1
  } else if (body.startsWith('in ')) {
    body = body.slice(3)
    sign = 1
  }
  const parts = amounts(body)
  return parts ? shift(now, parts, sign) : undefined
}

/** {@link parseTime}, or ActivityFailed naming the forms it reads. */
export function requireTime(fn: string, name: string, text: string, now?: number): number {
  const t = parseTime(text, now)
  if (t === undefined) {
    throw new ActivityFailed(`${fn}: failed to parse ${name} '${text}': write "now", a relative time such as "5 minutes ago", "30s" or "in 1 hour", an RFC 3339 date such as "2024-05-01T10:00:00Z", or Unix seconds`)
  }
  return t
}

/** RFC 3339 with milliseconds, as chaosprometheus sends `time`, `start` and `end`. */
const rfc3339 = (ms: number): string => new Date(ms).toISOString()

/** GETs `url` and answers status and text (http or https; TLS checked unless `verifyTls` is false). */
function get(url: URL, verifyTls: boolean, signal: AbortSignal): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const onAnswer = (res: IncomingMessage) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (text += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
      res.on('error', reject)
    }
    const opts = { headers: { accept: 'application/json' }, agent: false as const, signal }
    const req = url.protocol === 'https:' ? httpsRequest(url, { ...opts, rejectUnauthorized: verifyTls }, onAnswer) : httpRequest(url, opts, onAnswer)
    req.once('error', reject)
    req.end()
  })
}

/** The base URL chaosprometheus reads: `configuration.prometheus_base_url`, else http://localhost:9090. */
function baseUrl(ctx: ActivityContext): string {
  const v = ctx.values.configuration.prometheus_base_url
  return (typeof v === 'string' && v.trim() !== '' ? v.trim() : 'http://localhost:9090').replace(/\/+$/, '')
}

async function ask(fn: string, path: string, params: Record<string, string>, a: Args, ctx: ActivityContext): Promise<unknown> {
  const base = baseUrl(ctx)
  let url: URL
  try {
    url = new URL(`${base}${path}`)
  } catch {
    throw new ActivityFailed(`${fn}: configuration prometheus_base_url ${JSON.stringify(base)} is not a URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ActivityFailed(`${fn}: prometheus_base_url must be http:// or https://, got ${base}`)
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v)
  const verify = a.bool('verify_tls', true) && ctx.verifyTls
  let res: { status: number; text: string }
  try {
    res = await get(url, verify, AbortSignal.any([ctx.signal, AbortSignal.timeout(60_000)]))
  } catch (e) {
    if (ctx.signal.aborted) throw e
    throw new ActivityFailed(`${fn}: Prometheus at ${base} does not answer: ${(e as Error).message}`)
  }
  if (res.status !== 200) throw new ActivityFailed(`${fn}: Prometheus query ${JSON.stringify(params)} failed (${res.status}): ${res.text.slice(0, 2000)}`)
  try {
    return JSON.parse(res.text) as unknown
  } catch {
    throw new ActivityFailed(`${fn}: Prometheus at ${base} answered something that is not JSON: ${res.text.slice(0, 200)}`)
  }
}

/** chaosprometheus.probes.query(query, when=None, timeout=None, verify_tls=True): an instant query. */
const query: PythonActivity = async (args, ctx) => {
  const fn = 'chaosprometheus.probes.query'
  const a = new Args(args, fn)
  const params: Record<string, string> = { query: a.need('query') }
  if (a.has('timeout')) params.timeout = a.str('timeout')!
  const when = a.str('when')
  if (when) params.time = rfc3339(requireTime(fn, 'when', when))
  return ask(fn, '/api/v1/query', params, a, ctx)
}

/** chaosprometheus.probes.query_interval(query, start, end, step=1, timeout=None, verify_tls=True): a range query. */
const query_interval: PythonActivity = async (args, ctx) => {
  const fn = 'chaosprometheus.probes.query_interval'
  const a = new Args(args, fn)
  const params: Record<string, string> = { query: a.need('query') }
  if (a.has('timeout')) params.timeout = a.str('timeout')!
  const step = a.has('step') ? a.str('step')! : '1'
  if (step && step !== '0') params.step = step
  const now = Date.now()
  params.start = rfc3339(requireTime(fn, 'start', a.need('start'), now))
  params.end = rfc3339(requireTime(fn, 'end', a.need('end'), now))
  return ask(fn, '/api/v1/query_range', params, a, ctx)
}

export const PROMETHEUS_ACTIVITIES: Record<string, PythonActivity> = {
  'chaosprometheus.probes.query': query,
  'chaosprometheus.probes.query_interval': query_interval,
}
