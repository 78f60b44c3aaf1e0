/**
 * @module load/connection: one keep-alive HTTP/1.1 client connection, one request at a time. Requests are bytes
 * the caller prepared (a single-URL run writes the same buffer every time); responses are read with the sidecars'
 * parser, which hands over the status and headers and counts the body without copying it; reads go through
 * wire/reader's scratch buffer, as the sidecars' do.
 */
import { connect } from 'node:net'
import type { Socket } from 'node:net'
import { HttpParser } from '../wire/http-parser.js'
import type { Head } from '../wire/http-parser.js'
import { onread } from '../wire/reader.js'

export interface Response {
  status: number
  /** Set-Cookie values, only when the request asked for them (flows keep a cookie jar). */
  cookies?: string[]
  bytesIn: number
}

/** Why a request got no response, as the report groups them. */
export type ErrorKind = 'timeout' | 'refused' | 'reset' | 'closed' | 'protocol' | 'dns' | 'canceled' | string

export class RequestError extends Error {
  constructor(readonly kind: ErrorKind, message: string) {
    super(message)
  }
}

function kindOf(err: NodeJS.ErrnoException): ErrorKind {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'refused'
    case 'ECONNRESET':
    case 'EPIPE':
      return 'reset'
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'dns'
    case 'ETIMEDOUT':
      return 'timeout'
    default:
      return err.code ? err.code.toLowerCase() : 'other'
  }
}

interface Pending {
  bytes: Buffer
  /** Written on a connection that had served a request before (it may have been closed by the server meanwhile). */
  reused: boolean
  retried: boolean
  resolve(r: Response): void
  reject(e: RequestError): void
  head: boolean
  wantCookies: boolean
  status: number
  cookies: string[] | undefined
  bytesIn: number
}

export class Connection {
  private socket: Socket | undefined
  private connected = false
  private pending: Pending | undefined
  /** Made new with each socket (open()). */
  private parser!: HttpParser
  /** When the current request times out (epoch ms, as the driver's clock); checked by the driver's sweep. */
  deadline = Infinity
  /** False once the connection closed or failed: the pool opens a new one. */
  usable = true

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  private newParser(): HttpParser {
    return new HttpParser('response', {
      head: (h: Head) => this.onHead(h),
      body: (b: Buffer) => {
        if (this.pending) this.pending.bytesIn += b.length
      },
      end: () => this.onEnd(),
      error: (message: string) => this.fail(new RequestError('protocol', `bad response: ${message}`)),
    })
  }

  get busy(): boolean {
    return this.pending !== undefined
  }

  /** Writes one request and resolves with its response; rejects with a RequestError (never anything else). */
  request(bytes: Buffer, opts: { head?: boolean; wantCookies?: boolean; deadline: number }): Promise<Response> {
    return new Promise<Response>((resolve, reject) => {
      let s = this.socket
      // the server half-closed it since the last response (keep-alive timeout): open a new one rather than write into it
      if (s && (!s.writable || s.readableEnded)) {
        this.close()
        s = undefined
      }
      this.pending = { bytes, reused: s !== undefined, retried: false, resolve, reject, head: opts.head ?? false, wantCookies: opts.wantCookies ?? false, status: 0, cookies: undefined, bytesIn: 0 }
      this.deadline = opts.deadline
      ;(s ?? this.open()).write(bytes)
    })
  }

  /** Ends the request in flight (if any) with `kind` and closes the connection. */
  abort(kind: ErrorKind, message: string): void {
    this.fail(new RequestError(kind, message))
  }

  close(): void {
    this.usable = false
    this.socket?.destroy()
    this.socket = undefined
  }

  private open(): Socket {
    // a connection the server closed while idle (keep-alive timeout) opens again on its next request
    // reads go through one scratch buffer (no readable-stream layer, no 'data' events): about a tenth less CPU
    // per request than 'data' events, measured by bench/load.mjs
    const parser = (this.parser = this.newParser())
    const s = connect({ host: this.host, port: this.port, noDelay: true, onread: onread((chunk) => parser.feed(chunk)) })
    this.socket = s
    this.usable = true
    this.connected = false
    s.on('connect', () => {
      this.connected = true
    })
    s.on('error', (err: NodeJS.ErrnoException) => {
      this.fail(new RequestError(kindOf(err), `${this.connected ? '' : 'connect: '}${err.message}`))
    })
    s.on('close', () => {
      if (this.socket !== s) return
      const complete = this.parser.finish()
      this.usable = false
      this.socket = undefined
      if (this.pending && !complete) this.fail(new RequestError('closed', 'the server closed the connection before the response ended'))
      else if (this.pending) this.fail(new RequestError('closed', 'the server closed the connection without a response'))
    })
    return s
  }

  private onHead(h: Head): void {
    const p = this.pending
    if (!p) return this.fail(new RequestError('protocol', 'a response arrived with no request in flight'))
    if (p.head) this.parser.noBody = true
    p.bytesIn += h.raw.length
    p.status = h.status
    if (p.wantCookies) {
      for (const [name, value] of h.headers) if (name.length === 10 && name.toLowerCase() === 'set-cookie') (p.cookies ??= []).push(value)
    }
    if (h.close) this.usable = false
  }

  private onEnd(): void {
    const p = this.pending
    if (!p) return
    // 1xx (100 Continue, 103 Early Hints) precede the real response
    if (p.status >= 100 && p.status < 200 && p.status !== 101) return
    this.pending = undefined
    this.deadline = Infinity
    if (!this.usable) this.close()
    p.resolve({ status: p.status, cookies: p.cookies, bytesIn: p.bytesIn })
  }

  private fail(err: RequestError): void {
    const p = this.pending
    if (p && p.reused && !p.retried && p.bytesIn === 0 && (err.kind === 'reset' || err.kind === 'closed')) {
      // a reused keep-alive connection the server closed just as the request went out: nothing was answered,
      // so the request is written once more on a new connection (as browsers and HTTP clients do)
      p.retried = true
      p.reused = false
      this.close()
      this.open().write(p.bytes)
      return
    }
    this.pending = undefined
    this.deadline = Infinity
    this.close()
    p?.reject(err)
  }
}
