/** @module wire/http-parser: an incremental HTTP/1.1 message parser that forwards bytes verbatim. */

/** The parsed head of a request or response. Offsets index into `raw`. */
export interface Head {
  /** The head's bytes, through the blank line. */
  raw: Buffer
  /** Request: method, target, version. Response: version, status, reason. */
  method: string
  target: string
  version: string
  status: number
  reason: string
  /** Header lines in order, names as sent. */
  headers: [string, string][]
  chunked: boolean
  /** Content-Length, or -1 when absent. */
  length: number
  /** The message asks to switch protocols (Upgrade / CONNECT); after it the bytes are tunnelled. */
  upgrade: boolean
  /** Connection: close was sent. */
  close: boolean
  /** Offset of the traceparent header's value in `raw`, or -1. */
  traceparentAt: number
  traceparent: string | undefined
}

export interface ParserEvents {
  head(h: Head): void
  /** Body bytes: verbatim (chunked framing included) unless `decode` was set at head time. */
  body(b: Buffer): void
  /** The message is complete. */
  end(): void
  /** The bytes are not HTTP; the session closes the connection. */
  error(message: string): void
}

const MAX_HEAD = 64 * 1024
const CRLF2 = Buffer.from('\r\n\r\n')

const enum S {
  Head,
  Fixed,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  Trailers,
  /** Until the connection closes (response without length, or a tunnel after an upgrade). */
  Raw,
  Dead,
}

export function lowerEq(a: string, lower: string): boolean {
  return a.length === lower.length && a.toLowerCase() === lower
}

/**
 * Parses one direction of an HTTP/1.1 connection: a series of messages (keep-alive, pipelining).
 * For each message it reports the head, then the body bytes as they arrive, then the end. Body bytes are
 * reported verbatim by default (chunk sizes included) so a proxy can forward them untouched; set
 * `decode` inside the `head` callback to get the decoded payload instead (when the body is rewritten).
 * For responses, set `noBody` inside `head` when the request was HEAD (the parser cannot know).
 */
export class HttpParser {
  private state = S.Head
  private pending: Buffer | undefined
  private remaining = 0
  private line = ''
  decode = false
  noBody = false
  /** A tunnel starts after this message (set by the session when the response agrees to the upgrade). */
  tunnelAfter = false

  constructor(
    private readonly kind: 'request' | 'response',
    private readonly on: ParserEvents,
  ) {}

  /** Whether a message is between head and end. */
  get inMessage(): boolean {
    return this.state !== S.Head && this.state !== S.Dead
  }

  /** The peer closed: a message framed by the close ends here. Returns whether it was complete. */
  finish(): boolean {
    if (this.state === S.Raw) {
      this.state = S.Dead
      this.on.end()
      return true
    }
    return this.state === S.Head && this.pending === undefined
  }

  feed(input: Buffer): void {
    let buf = input
    if (this.pending !== undefined) {
      buf = Buffer.concat([this.pending, input])
      this.pending = undefined
    }
    let i = 0
    const n = buf.length
    while (i < n) {
      switch (this.state) {
        case S.Head: {
          const e = buf.indexOf(CRLF2, i)
          if (e < 0) {
            if (n - i > MAX_HEAD) return this.fail('header section too large')
            this.pending = buf.subarray(i)
            return
          }
          const raw = buf.subarray(i, e + 4)
          i = e + 4
          const h = this.parseHead(raw)
          if (h === undefined) return
          this.decode = false
          this.noBody = false
          this.on.head(h)
          if ((this.state as S) === S.Dead) return
          this.startBody(h)
          break
        }
        case S.Fixed: {
          const take = Math.min(this.remaining, n - i)
          this.on.body(buf.subarray(i, i + take))
          i += take
          this.remaining -= take
          if (this.remaining === 0) this.complete()
          break
        }
        case S.ChunkSize:
        case S.Trailers: {
          const nl = buf.indexOf(10, i)
          const end = nl < 0 ? n : nl + 1
          const piece = buf.toString('latin1', i, end)
          if (!this.decode) this.on.body(buf.subarray(i, end))
          i = end
          this.line += piece
          if (nl < 0) {
            if (this.line.length > 8192) return this.fail('chunk header too long')
            break
          }
          const l = this.line.trimEnd()
          this.line = ''
          if (this.state === S.Trailers) {
            if (l === '') this.complete()
            break
          }
          const semi = l.indexOf(';')
          const size = parseInt(semi < 0 ? l : l.slice(0, semi), 16)
          if (!Number.isFinite(size) || size < 0) return this.fail('bad chunk size')
          if (size === 0) this.state = S.Trailers
          else {
            this.remaining = size
            this.state = S.ChunkData
          }
          break
        }
        case S.ChunkData: {
          const take = Math.min(this.remaining, n - i)
          this.on.body(buf.subarray(i, i + take))
          i += take
          this.remaining -= take
          if (this.remaining === 0) {
            this.state = S.ChunkDataEnd
            this.remaining = 2
          }
          break
        }
        case S.ChunkDataEnd: {
          const take = Math.min(this.remaining, n - i)
          if (!this.decode) this.on.body(buf.subarray(i, i + take))
          i += take
          this.remaining -= take
          if (this.remaining === 0) this.state = S.ChunkSize
          break
        }
        case S.Raw:
          this.on.body(i === 0 ? buf : buf.subarray(i))
          return
        case S.Dead:
          return
      }
    }
  }

  private fail(message: string): void {
    this.state = S.Dead
    this.pending = undefined
    this.on.error(message)
  }

  private startBody(h: Head): void {
    const bodyless =
      this.noBody ||
      (this.kind === 'response' && ((h.status >= 100 && h.status < 200) || h.status === 204 || h.status === 304))
    if (bodyless) return this.complete()
    if (h.chunked) {
      this.state = S.ChunkSize
      this.line = ''
    } else if (h.length > 0) {
      this.state = S.Fixed
      this.remaining = h.length
    } else if (h.length === 0 || this.kind === 'request') {
      this.complete()
    } else {
      this.state = S.Raw
    }
  }

  private complete(): void {
    this.state = S.Head
    this.on.end()
    if (this.tunnelAfter) {
      this.tunnelAfter = false
      this.state = S.Raw
    }
  }

  /** Switch to tunnelling: every later byte is body of a never-ending message. */
  tunnel(): void {
    this.state = S.Raw
  }

  private parseHead(raw: Buffer): Head | undefined {
    // Only what framing, tunnelling and the traceparent rewrite need is decoded here, straight from the
    // bytes; the full header list is built on first use (fault matching and edits).
    const end = raw.length - 4
    const firstEnd = raw.indexOf(CRLF, 0)
    const first = raw.toString('latin1', 0, firstEnd)
    const h = new ParsedHead(raw, firstEnd)
    const s1 = first.indexOf(' ')
    const s2 = first.indexOf(' ', s1 + 1)
    if (this.kind === 'request') {
      if (s1 <= 0 || s2 <= s1 + 1 || !first.startsWith('HTTP/', s2 + 1)) {
        this.fail('not an HTTP/1.x request line')
        return undefined
      }
      h.method = first.slice(0, s1)
      h.target = first.slice(s1 + 1, s2)
      h.version = first.slice(s2 + 1)
      if (h.method === 'CONNECT') h.upgrade = true
    } else {
      if (s1 <= 0 || !first.startsWith('HTTP/')) {
        this.fail('not an HTTP/1.x status line')
        return undefined
      }
      h.version = first.slice(0, s1)
      h.status = parseInt(first.slice(s1 + 1, s2 < 0 ? undefined : s2), 10)
      h.reason = s2 < 0 ? '' : first.slice(s2 + 1)
      if (!(h.status >= 100 && h.status <= 999)) {
        this.fail('bad status code')
        return undefined
      }
    }
    // Header lines are the CRLF-separated pieces of raw[firstEnd + 2, end).
    for (let pos = firstEnd + 2; pos < end; ) {
      let e = raw.indexOf(CRLF, pos)
      if (e < 0 || e > end) e = end
      const c = raw.indexOf(COLON, pos)
      if (c > pos && c < e) {
        const n = c - pos
        const which =
          n === 14 && nameIs(raw, pos, CONTENT_LENGTH)
            ? 1
            : n === 17 && nameIs(raw, pos, TRANSFER_ENCODING)
              ? 2
              : n === 10 && nameIs(raw, pos, CONNECTION)
                ? 3
                : n === 11 && nameIs(raw, pos, TRACEPARENT)
                  ? 4
                  : 0
        if (which !== 0) {
          let v = c + 1
          while (v < e && (raw[v] === 32 || raw[v] === 9)) v++
          const value = raw.toString('latin1', v, e).trimEnd()
          if (which === 1) h.length = parseInt(value, 10)
          else if (which === 2) {
            if (/chunked\s*$/i.test(value)) h.chunked = true
          } else if (which === 3) {
            const lv = value.toLowerCase()
            if (lv.includes('close')) h.close = true
            if (lv.includes('upgrade')) h.upgrade = true
          } else {
            h.traceparent = value
            h.traceparentAt = v
          }
        }
      }
      pos = e + 2
    }
    if (Number.isNaN(h.length)) {
      this.fail('bad content-length')
      return undefined
    }
    if (h.chunked) h.length = -1
    return h
  }
}

const CRLF = Buffer.from('\r\n')
const COLON = 58
const CONTENT_LENGTH = Buffer.from('content-length')
const TRANSFER_ENCODING = Buffer.from('transfer-encoding')
const CONNECTION = Buffer.from('connection')
const TRACEPARENT = Buffer.from('traceparent')

/** Whether raw[pos …] holds the lower-case ASCII name `lower`, in any letter case (as toLowerCase compares). */
function nameIs(raw: Buffer, pos: number, lower: Buffer): boolean {
  for (let i = 0; i < lower.length; i++) {
    const b = raw[pos + i]!
    const t = lower[i]!
    if (b !== t && !(t >= 97 && t <= 122 && b === t - 32)) return false
  }
  return true
}

/** Every header line of a head, names as sent, values with surrounding blanks trimmed. */
function headerList(raw: Buffer, firstEnd: number): [string, string][] {
  const out: [string, string][] = []
  if (firstEnd + 2 >= raw.length - 4) return out
  const lines = raw.toString('latin1', firstEnd + 2, raw.length - 4).split('\r\n')
  for (const l of lines) {
    const c = l.indexOf(':')
    if (c <= 0) continue
    let v = c + 1
    while (l.charCodeAt(v) === 32 || l.charCodeAt(v) === 9) v++
    out.push([l.slice(0, c), l.slice(v).trimEnd()])
  }
  return out
}

/** A parsed head; the header list is decoded from `raw` when first read. */
class ParsedHead implements Head {
  method = ''
  target = ''
  version = ''
  status = 0
  reason = ''
  chunked = false
  length = -1
  upgrade = false
  close = false
  traceparentAt = -1
  traceparent: string | undefined = undefined
  private list: [string, string][] | undefined

  constructor(
    readonly raw: Buffer,
    private readonly firstEnd: number,
  ) {}

  get headers(): [string, string][] {
    return (this.list ??= headerList(this.raw, this.firstEnd))
  }
}

/** Serialises a head from its parts (used when a fault rewrote it). */
export function buildHead(startLine: string, headers: [string, string][]): Buffer {
  let s = startLine + '\r\n'
  for (const [k, v] of headers) s += `${k}: ${v}\r\n`
  return Buffer.from(s + '\r\n', 'latin1')
}
