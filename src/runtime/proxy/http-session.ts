/** @module runtime/proxy/http-session: one proxied HTTP/1.1 connection: per-request faults, signals, traceparent. */

import type { Socket } from 'node:net'
import type { HttpFault } from './toxic.js'
import type { Link } from './link.js'
import type { FaultCounters, MessageMeta } from './stream.js'
import { now } from './stream.js'
import { HttpParser, buildHead, lowerEq } from '../../wire/http-parser.js'
import type { Head } from '../../wire/http-parser.js'
import { applyEdit, finalBody, matches } from './toxics/http.js'
import type { MessageEdit, RequestFacts } from './toxics/http.js'
import { hop } from './trace.js'
import { resetSockets } from './toxics/reset.js'
import { hopSpans } from './hop-spans.js'
import type { HopRecord, SidecarInfo } from './hop-spans.js'

const EMPTY = Buffer.alloc(0)

/** What a session needs from its proxy: the live fault list and the golden-signal recorder (name and labels for tracing). */
export interface SessionHost extends SidecarInfo {
  /** The proxy's http faults, in the order they were added; read at every message, so changes apply at once. */
  httpFaults(): readonly { spec: HttpFault; counters: FaultCounters }[]
  /** A request finished: its status (0 when it got no response) and its latency as the client saw it. */
  recordRequest(status: number, ms: number): void
}

interface Pending {
  facts: RequestFacts
  start: number
  head: boolean
  connect: boolean
  /** Tracing's record of the request (hop-spans); undefined while tracing is off. */
  trace: HopRecord | undefined
}

interface Buffered {
  edit: MessageEdit
  parts: Buffer[]
  size: number
  msg: number
  meta: MessageMeta | undefined
  isRequest: boolean
  /** The start line of the rewritten head. */
  start: string
}

/** Bodies rewritten by replace/patch faults are buffered up to this size; larger ones pass unchanged. */
const MAX_EDIT_BODY = 16 * 1024 * 1024

function withoutFraming(headers: [string, string][]): [string, string][] {
  return headers.filter(([k]) => !lowerEq(k, 'content-length') && !lowerEq(k, 'transfer-encoding'))
}

/** The head with the traceparent value replaced (or added when absent), in one new buffer. */
function retrace(h: Head, value: string): Buffer {
  const raw = h.raw
  if (h.traceparentAt >= 0) {
    const at = h.traceparentAt
    const old = h.traceparent!.length
    const out = Buffer.allocUnsafe(raw.length - old + value.length)
    raw.copy(out, 0, 0, at)
    out.write(value, at, 'latin1')
    raw.copy(out, at + value.length, at + old)
    return out
  }
  // Before the blank line: `traceparent: <value>\r\n\r\n`.
  const body = raw.length - 2
  const out = Buffer.allocUnsafe(body + TP.length + value.length + 4)
  raw.copy(out, 0, 0, body)
  TP.copy(out, body)
  out.write(value, body + TP.length, 'latin1')
  END.copy(out, body + TP.length + value.length)
  return out
}

/** What request matchers see; the header list is decoded only if a fault asks for it. */
class Facts implements RequestFacts {
  readonly method: string
  constructor(
    private readonly h: Head,
    readonly path: string,
  ) {
    this.method = h.method
  }
  get headers(): readonly [string, string][] {
    return this.h.headers
  }
}

const TP = Buffer.from('traceparent: ')
const END = Buffer.from('\r\n\r\n')

/**
 * Parses both directions of one client connection and its upstream connection, and acts per message:
 *
 * ```
 *  client ─▶ request parser ─▶ [abort | edit | traceparent] ─▶ up link (stages) ─▶ upstream
 *  client ◀─ down link (stages) ◀─ [abort | edit] ◀─ response parser ◀─────────── upstream
 *                      └─ last chunk sent to the client → status class + latency recorded
 * ```
 * Responses pair with requests in order (HTTP/1.1 has no reordering), so a pipelined connection works.
 */
export class HttpSession {
  private readonly req: HttpParser
  private readonly res: HttpParser
  private readonly pending: Pending[] = []
  private reqMsg = 0
  private resMsg = 0
  private reqMeta: MessageMeta | undefined
  private resMeta: MessageMeta | undefined
  private buffered: Buffered | undefined
  private interim = false
  /** Status of the response being parsed, as the client will see it (after edits). */
  private status = 0
  private responding = false
  private closed = false

  constructor(
    private readonly host: SessionHost,
    private readonly client: Socket,
    private readonly upstream: Socket,
    private readonly up: Link,
    private readonly down: Link,
  ) {
    this.req = new HttpParser('request', {
      head: (h) => this.onRequestHead(h),
      body: (b) => this.onBody(b, true),
      end: () => this.onEnd(true),
      error: () => this.badRequest(),
    })
    this.res = new HttpParser('response', {
      head: (h) => this.onResponseHead(h),
      body: (b) => this.onBody(b, false),
      end: () => this.onEnd(false),
      error: () => this.fail(),
    })
    client.on('end', () => this.up.write({ data: EMPTY, msg: this.reqMsg, end: true }))
    upstream.on('end', () => {
      this.res.finish()
      this.down.write({ data: EMPTY, msg: this.resMsg, end: true })
    })
  }

  /** Bytes read from the client. What one read produces goes out in as few writes as possible. */
  fromClient(b: Buffer): void {
    this.up.beginBatch()
    try {
      this.req.feed(b)
    } finally {
      this.up.endBatch()
    }
  }

  /** Bytes read from the upstream. */
  fromUpstream(b: Buffer): void {
    this.responding = true
    this.down.beginBatch()
    try {
      this.res.feed(b)
    } finally {
      this.down.endBatch()
    }
  }

  /**
   * The upstream connection failed. If no response byte was sent yet, the waiting request (or the next one
   * to arrive) is answered 502 and the connection closed, as a mesh sidecar does; otherwise it is reset.
   */
  upstreamFailed(): void {
    if (this.closed) return
    if (this.responding) return this.fail()
    this.upstreamDead = true
    if (this.pending.length > 0) this.badGateway()
  }

  private upstreamDead = false

  private badGateway(): void {
    this.closed = true
    for (const p of this.pending.splice(0)) this.finishRequest(p, 502)
    if (!this.client.destroyed) {
      this.client.end('HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n')
    }
  }

  /** The connection ended before the waiting requests were answered. */
  dropPending(): void {
    for (const p of this.pending.splice(0)) this.finishRequest(p, 0)
  }

  private finishRequest(p: Pending, status: number): void {
    this.host.recordRequest(status, now() - p.start)
    p.trace?.end(status)
  }

  private onRequestHead(h: Head): void {
    const msg = ++this.reqMsg
    const q = h.target.indexOf('?')
    const facts = new Facts(h, q < 0 ? h.target : h.target.slice(0, q))
    const p: Pending = {
      facts,
      start: now(),
      head: h.method === 'HEAD',
      connect: h.method === 'CONNECT',
      trace: hopSpans?.begin(this.host, h.traceparent, h.method, facts.path),
    }
    let matched: Set<string> | undefined
    let edit: MessageEdit | undefined
    for (const { spec: f, counters } of this.host.httpFaults()) {
      if (f.target !== 'Request' || !matches(f, facts)) continue
      if (f.percent !== undefined && Math.random() * 100 >= f.percent) continue
      p.trace?.acted(f.id)
      if (f.action === 'abort') {
        counters.requests++
        this.pending.push(p)
        return this.abort()
      }
      if (f.action === 'delay') {
        ;(matched ??= new Set()).add(f.id)
        continue
      }
      counters.requests++
      edit ??= {
        method: h.method,
        path: facts.path,
        query: new URLSearchParams(q < 0 ? '' : h.target.slice(q + 1)),
        status: 0,
        reason: '',
        headers: h.headers.map(([k, v]) => [k, v] as [string, string]),
        body: undefined,
        bodyPatches: [],
        touchesBody: false,
      }
      applyEdit(f, edit)
    }
    const meta = matched ? { matched } : undefined
    this.reqMeta = meta
    this.pending.push(p)
    if (this.upstreamDead) return this.badGateway()
    if (h.upgrade) this.req.tunnelAfter = true
    const span = hop(h.traceparent)
    p.trace?.forwarded(span)
    if (!edit) {
      this.up.write({ data: retrace(h, span.header), msg, meta })
      return
    }
    const headers = edit.headers.filter(([k]) => !lowerEq(k, 'traceparent'))
    headers.push(['traceparent', span.header])
    edit.headers = headers
    const qs = edit.query.toString()
    const start = `${edit.method} ${edit.path}${qs ? '?' + qs : ''} ${h.version}`
    if (edit.touchesBody) {
      this.req.decode = true
      this.buffered = { edit, parts: [], size: 0, msg, meta, isRequest: true, start }
      return
    }
    this.up.write({ data: buildHead(start, headers), msg, meta })
  }

  private onResponseHead(h: Head): void {
    const p = this.pending[0]
    if (h.status >= 100 && h.status < 200 && h.status !== 101) {
      this.interim = true
      this.down.write({ data: h.raw, msg: this.resMsg + 1 })
      return
    }
    if (p?.head) this.res.noBody = true
    if (h.status === 101 || (p?.connect && h.status >= 200 && h.status < 300)) {
      this.res.noBody = true
      this.res.tunnelAfter = true
    }
    const msg = ++this.resMsg
    let matched: Set<string> | undefined
    let edit: MessageEdit | undefined
    const faults = this.host.httpFaults()
    if (p && faults.length > 0) {
      const res = { status: h.status, headers: h.headers }
      for (const { spec: f, counters } of faults) {
        if (f.target !== 'Response' || !matches(f, p.facts, res)) continue
        if (f.percent !== undefined && Math.random() * 100 >= f.percent) continue
        p.trace?.acted(f.id)
        if (f.action === 'abort') {
          counters.requests++
          return this.abort()
        }
        if (f.action === 'delay') {
          ;(matched ??= new Set()).add(f.id)
          continue
        }
        counters.requests++
        edit ??= {
          method: p.facts.method,
          path: p.facts.path,
          query: new URLSearchParams(),
          status: h.status,
          reason: h.reason,
          headers: h.headers.map(([k, v]) => [k, v] as [string, string]),
          body: undefined,
          bodyPatches: [],
          touchesBody: false,
        }
        applyEdit(f, edit)
      }
    }
    const meta = matched ? { matched } : undefined
    this.resMeta = meta
    this.status = edit ? edit.status : h.status
    if (!edit) {
      this.down.write({ data: h.raw, msg, meta })
      return
    }
    const start = `${h.version} ${edit.status} ${edit.reason}`
    const bodyless = p?.head || edit.status === 204 || edit.status === 304
    if (edit.touchesBody && !bodyless) {
      this.res.decode = true
      this.buffered = { edit, parts: [], size: 0, msg, meta, isRequest: false, start }
      return
    }
    this.down.write({ data: buildHead(start, edit.headers), msg, meta })
  }

  private onBody(b: Buffer, isRequest: boolean): void {
    const buf = this.buffered
    if (buf && buf.isRequest === isRequest) {
      buf.parts.push(Buffer.from(b))
      buf.size += b.length
      if (buf.size > MAX_EDIT_BODY) this.fail()
      return
    }
    if (isRequest) this.up.write({ data: b, msg: this.reqMsg, meta: this.reqMeta })
    else this.down.write({ data: b, msg: this.resMsg, meta: this.resMeta })
  }

  private onEnd(isRequest: boolean): void {
    const buf = this.buffered
    if (buf && buf.isRequest === isRequest) {
      this.buffered = undefined
      const body = finalBody(buf.edit, Buffer.concat(buf.parts, buf.size))
      const headers = withoutFraming(buf.edit.headers)
      headers.push(['content-length', String(body.length)])
      const head = buildHead(buf.start, headers)
      const link = isRequest ? this.up : this.down
      link.write({ data: Buffer.concat([head, body]), msg: buf.msg, meta: buf.meta })
    }
    if (isRequest) return
    if (this.interim) {
      this.interim = false
      return
    }
    const p = this.pending.shift()
    if (!p) return
    // The request counts once its last byte has reached the client, after any downstream fault held it.
    const status = this.status
    this.down.write({ data: EMPTY, msg: this.resMsg, meta: this.resMeta, done: () => this.finishRequest(p, status) })
  }

  /** Closes the client connection without a response (the http abort action). */
  private abort(): void {
    this.closed = true
    this.up.flushNow()
    this.down.flushNow()
    this.dropPending()
    this.client.destroy()
    this.upstream.destroy()
  }

  private badRequest(): void {
    this.closed = true
    this.up.flushNow()
    this.client.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n')
    this.upstream.destroy()
  }

  private fail(): void {
    this.closed = true
    this.up.flushNow()
    this.down.flushNow()
    this.dropPending()
    resetSockets(this.client, this.upstream)
  }
}
