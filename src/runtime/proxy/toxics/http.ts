/** @module runtime/proxy/toxics/http: HTTP faults: matchers, replace and patch edits, and the per-request delay. */

import { STATUS_CODES } from 'node:http'
import type { HttpFault } from '../toxic.js'
import { Stage } from '../stream.js'
import type { Chunk, FaultCounters, Sink, StageHost, StageOptions } from '../stream.js'

/** Compiles a path glob: `*` matches any run of characters (slashes too), `?` one character. */
export function globToRegExp(glob: string): RegExp {
  let re = '^'
  for (const ch of glob) {
    if (ch === '*') re += '.*'
    else if (ch === '?') re += '.'
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(re + '$')
}

const globCache = new Map<string, RegExp>()
function glob(g: string): RegExp {
  let r = globCache.get(g)
  if (!r) {
    if (globCache.size > 1000) globCache.clear()
    r = globToRegExp(g)
    globCache.set(g, r)
  }
  return r
}

function headerValue(headers: readonly [string, string][], name: string): string | undefined {
  const lower = name.toLowerCase()
  for (const [k, v] of headers) if (k.length === lower.length && k.toLowerCase() === lower) return v
  return undefined
}

function headersMatch(want: Record<string, string> | undefined, headers: readonly [string, string][]): boolean {
  if (!want) return true
  for (const [k, v] of Object.entries(want)) if (headerValue(headers, k) !== v) return false
  return true
}

/** The request facts matchers look at (kept for the response too). */
export interface RequestFacts {
  method: string
  /** Path without the query. */
  path: string
  headers: readonly [string, string][]
}

/** Whether every matcher of the fault holds; `res` is given for Response faults. */
export function matches(
  f: HttpFault,
  req: RequestFacts,
  res?: { status: number; headers: readonly [string, string][] },
): boolean {
  const m = f.match
  if (!m) return true
  if (m.method !== undefined && m.method.toUpperCase() !== req.method.toUpperCase()) return false
  if (m.path !== undefined && !glob(m.path).test(req.path)) return false
  if (!headersMatch(m.requestHeaders, req.headers)) return false
  if (res) {
    if (m.code !== undefined && m.code !== res.status) return false
    if (!headersMatch(m.responseHeaders, res.headers)) return false
  }
  return true
}

/** A message being rewritten by replace/patch faults, in plain parts. */
export interface MessageEdit {
  method: string
  path: string
  query: URLSearchParams
  status: number
  reason: string
  headers: [string, string][]
  /** undefined: keep the original body (streamed untouched). */
  body: Buffer | undefined
  /** JSON merge-patches to apply to the (possibly replaced) body once it is complete. */
  bodyPatches: unknown[]
  /** Whether the body must be buffered (a replace or patch touches it). */
  touchesBody: boolean
}

function setHeader(headers: [string, string][], name: string, value: string): void {
  const lower = name.toLowerCase()
  const i = headers.findIndex(([k]) => k.toLowerCase() === lower)
  if (i < 0) headers.push([name, value])
  else {
    headers[i] = [name, value]
    for (let j = headers.length - 1; j > i; j--) if (headers[j]![0].toLowerCase() === lower) headers.splice(j, 1)
  }
}

/** Applies one replace or patch fault to the edit. Framing headers are the session's business. */
export function applyEdit(f: HttpFault, e: MessageEdit): void {
  if (f.action === 'replace' && f.replace) {
    const r = f.replace
    if (f.target === 'Request') {
      if (r.method !== undefined) e.method = r.method
      if (r.path !== undefined) e.path = r.path
      if (r.queries) for (const [k, v] of Object.entries(r.queries)) e.query.set(k, v)
    } else if (r.code !== undefined) {
      e.status = r.code
      e.reason = STATUS_CODES[r.code] ?? 'Unknown'
    }
    if (r.headers) for (const [k, v] of Object.entries(r.headers)) setHeader(e.headers, k, v)
    if (r.body !== undefined) {
      e.body = typeof r.body === 'string' ? Buffer.from(r.body) : Buffer.from(r.body)
      e.bodyPatches = []
      e.touchesBody = true
    }
  } else if (f.action === 'patch' && f.patch) {
    const p = f.patch
    if (p.headers) for (const [k, v] of p.headers) e.headers.push([k, v])
    if (p.queries && f.target === 'Request') for (const [k, v] of p.queries) e.query.append(k, v)
    if (p.body !== undefined) {
      e.bodyPatches.push(p.body)
      e.touchesBody = true
    }
  }
}

/** RFC 7396 JSON merge-patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch
  const out: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {}
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k]
    else out[k] = mergePatch(out[k], v)
  }
  return out
}

/** The final body of an edited message: the replacement (or the original), then each JSON merge-patch. */
export function finalBody(e: MessageEdit, original: Buffer): Buffer {
  let body = e.body ?? original
  if (e.bodyPatches.length > 0) {
    let doc: unknown
    try {
      doc = body.length === 0 ? {} : JSON.parse(body.toString('utf8'))
    } catch {
      return body // not JSON: a merge-patch cannot apply; the body passes unchanged
    }
    for (const p of e.bodyPatches) doc = mergePatch(doc, p)
    body = Buffer.from(JSON.stringify(doc))
  }
  return body
}

/**
 * The http `delay` action: a matched request (Request target) or response (Response target) is held for
 * `delayMs` before it goes on; later messages on the connection wait behind it (HTTP/1.1 is in order).
 */
export class HttpDelayStage extends Stage {
  constructor(private readonly f: HttpFault, host: StageHost, counters: FaultCounters, opts: StageOptions, next: Sink) {
    super(f.id, host, counters, opts, next)
  }

  protected dueFor(chunk: Chunk, t: number, lastDue: number): number {
    if (!this.selects(chunk)) return lastDue
    return t + (this.f.delayMs ?? 0)
  }
}
