/** @module test/sockets: real-socket helpers for proxy tests: servers on port 0 that always tear down, timed reads. */

import net from 'node:net'
import http from 'node:http'
import type { AddressInfo, Server, Socket } from 'node:net'
import { Proxy } from '../src/runtime/proxy/proxy.js'
import type { ProxyOptions } from '../src/runtime/proxy/proxy.js'
import { HttpParser } from '../src/wire/http-parser.js'
import type { Head } from '../src/wire/http-parser.js'

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
export const addr = (port: number): string => `127.0.0.1:${port}`

/** What a TCP connect to host:port did: 'connected', 'timeout' (2 s), or the error code. */
export function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((r) => {
    const s = net.connect({ host, port, timeout: 2000 })
    s.on('connect', () => (s.destroy(), r('connected')))
    s.on('timeout', () => (s.destroy(), r('timeout')))
    s.on('error', (e: NodeJS.ErrnoException) => r(e.code ?? e.message))
  })
}

/** Runs fn with a TCP server on an ephemeral port; the server and every socket it accepted are closed after. */
export async function withTcpServer<T>(onConn: (s: Socket) => void, fn: (port: number) => Promise<T>): Promise<T> {
  const sockets = new Set<Socket>()
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.on('error', () => {})
    onConn(s)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  try {
    return await fn((server.address() as AddressInfo).port)
  } finally {
    for (const s of sockets) s.destroy()
    await new Promise((r) => server.close(r))
  }
}

/** An echo server: every byte comes back; a half-close is echoed as a half-close. */
export const withEcho = <T>(fn: (port: number) => Promise<T>): Promise<T> =>
  withTcpServer((s) => s.pipe(s), fn)

/** Runs fn with an HTTP server (keep-alive) on an ephemeral port. */
export async function withHttpServer<T>(handler: http.RequestListener, fn: (port: number) => Promise<T>): Promise<T> {
  const server = http.createServer({ keepAliveTimeout: 30_000 }, handler)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  try {
    return await fn((server.address() as AddressInfo).port)
  } finally {
    server.closeAllConnections()
    await new Promise((r) => server.close(r))
  }
}

/** Runs fn with a Proxy in this thread; always closed after. */
export async function withProxy<T>(opts: Omit<ProxyOptions, 'name'> & { name?: string }, fn: (p: Proxy) => Promise<T>): Promise<T> {
  const p = await Proxy.start({ name: 'test', ...opts })
  try {
    return await fn(p)
  } finally {
    await p.close()
  }
}

/** A client socket with buffered reads that time out instead of hanging. */
export class Client {
  readonly socket: Socket
  private buf: Buffer[] = []
  private size = 0
  ended = false
  error: NodeJS.ErrnoException | undefined
  closed = false
  private wake: (() => void) | undefined

  private constructor(socket: Socket) {
    this.socket = socket
    socket.on('data', (b: Buffer) => {
      this.buf.push(b)
      this.size += b.length
      this.wake?.()
    })
    socket.on('end', () => {
      this.ended = true
      this.wake?.()
    })
    socket.on('error', (e) => {
      this.error = e
      this.wake?.()
    })
    socket.on('close', () => {
      this.closed = true
      this.wake?.()
    })
  }

  /** Connects; resolves once connected, or once the connection failed (see `error`, `closed`). */
  static connect(port: number): Promise<Client> {
    return new Promise((resolve) => {
      const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true, noDelay: true })
      const c = new Client(s)
      s.once('connect', () => resolve(c))
      s.once('close', () => resolve(c))
    })
  }

  get available(): number {
    return this.size
  }

  /** Waits until cond() holds, or the deadline passes (then returns false). */
  async until(cond: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs
    while (!cond()) {
      const left = deadline - Date.now()
      if (left <= 0) return false
      await new Promise<void>((r) => {
        const t = setTimeout(r, left)
        this.wake = () => {
          clearTimeout(t)
          r()
        }
      })
      this.wake = undefined
    }
    return true
  }

  /** Reads exactly n bytes (throws after timeoutMs). */
  async read(n: number, timeoutMs = 5000): Promise<Buffer> {
    if (!(await this.until(() => this.size >= n || this.ended || this.closed, timeoutMs)) || this.size < n) {
      throw new Error(`read ${n} bytes: got ${this.size} (ended ${this.ended}, closed ${this.closed}, ${this.error?.code ?? ''})`)
    }
    const all = Buffer.concat(this.buf)
    this.buf = [all.subarray(n)]
    this.size = all.length - n
    return all.subarray(0, n)
  }

  /** Everything buffered so far. */
  take(): Buffer {
    const all = Buffer.concat(this.buf)
    this.buf = []
    this.size = 0
    return all
  }

  write(b: Buffer | string): void {
    this.socket.write(b)
  }

  close(): void {
    this.socket.destroy()
  }
}

/** Runs fn with a connected client; always destroyed after. */
export async function withClient<T>(port: number, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = await Client.connect(port)
  try {
    return await fn(c)
  } finally {
    c.close()
  }
}

export interface RawResponse {
  head: Head
  status: number
  headers: Record<string, string>
  body: Buffer
}

/**
 * A minimal HTTP/1.1 client over ONE keep-alive socket, so tests control which connection a request uses.
 * `request` rejects when the connection closes before a full response.
 */
export class RawHttp {
  private readonly client: Client
  private waiting: { resolve(r: RawResponse): void; reject(e: Error): void } | undefined
  private head: Head | undefined
  private body: Buffer[] = []
  private readonly parser: HttpParser
  private fed = 0

  private constructor(client: Client) {
    this.client = client
    this.parser = new HttpParser('response', {
      head: (h) => {
        this.head = h
        this.body = []
        this.parser.decode = true
        if (this.nextIsHead) this.parser.noBody = true
      },
      body: (b) => this.body.push(Buffer.from(b)),
      end: () => {
        const h = this.head!
        if (h.status < 200) return
        const headers: Record<string, string> = {}
        for (const [k, v] of h.headers) headers[k.toLowerCase()] = v
        const w = this.waiting
        this.waiting = undefined
        w?.resolve({ head: h, status: h.status, headers, body: Buffer.concat(this.body) })
      },
      error: (m) => this.waiting?.reject(new Error(m)),
    })
    client.socket.on('data', () => this.pump())
    const gone = (): void => {
      this.pump()
      this.parser.finish()
      this.waiting?.reject(Object.assign(new Error('connection closed before a response'), { code: client.error?.code ?? 'CLOSED' }))
      this.waiting = undefined
    }
    client.socket.on('end', gone)
    client.socket.on('close', gone)
  }

  private nextIsHead = false

  private pump(): void {
    const b = this.client.take()
    if (b.length) {
      this.fed += b.length
      this.parser.feed(b)
    }
  }

  static async connect(port: number): Promise<RawHttp> {
    return new RawHttp(await Client.connect(port))
  }

  get socket(): Socket {
    return this.client.socket
  }

  request(
    method: string,
    path: string,
    opts: { headers?: Record<string, string>; body?: string | Buffer; chunked?: boolean; timeoutMs?: number } = {},
  ): Promise<RawResponse> {
    const body = opts.body === undefined ? undefined : Buffer.from(opts.body)
    let h = `${method} ${path} HTTP/1.1\r\nhost: test\r\n`
    for (const [k, v] of Object.entries(opts.headers ?? {})) h += `${k}: ${v}\r\n`
    if (body && opts.chunked) h += 'transfer-encoding: chunked\r\n'
    else if (body) h += `content-length: ${body.length}\r\n`
    h += '\r\n'
    this.nextIsHead = method === 'HEAD'
    return new Promise<RawResponse>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no response to ${method} ${path} within ${opts.timeoutMs ?? 5000} ms`)), opts.timeoutMs ?? 5000)
      this.waiting = {
        resolve: (r) => {
          clearTimeout(t)
          resolve(r)
        },
        reject: (e) => {
          clearTimeout(t)
          reject(e)
        },
      }
      if (this.client.closed) return this.waiting.reject(new Error('connection closed before a response'))
      this.client.write(h)
      if (body && opts.chunked) {
        const half = Math.ceil(body.length / 2)
        for (const part of [body.subarray(0, half), body.subarray(half)]) {
          if (part.length) this.client.write(Buffer.concat([Buffer.from(part.length.toString(16) + '\r\n'), part, Buffer.from('\r\n')]))
        }
        this.client.write('0\r\n\r\n')
      } else if (body) this.client.write(body)
    })
  }

  close(): void {
    this.client.close()
  }
}

/** Runs fn with a RawHttp connection; always closed after. */
export async function withRawHttp<T>(port: number, fn: (c: RawHttp) => Promise<T>): Promise<T> {
  const c = await RawHttp.connect(port)
  try {
    return await fn(c)
  } finally {
    c.close()
  }
}

/** Echoes each request as JSON: method, url, headers, body (utf8). */
export const echoHandler: http.RequestListener = (req, res) => {
  const parts: Buffer[] = []
  req.on('data', (b: Buffer) => parts.push(b))
  req.on('end', () => {
    const body = JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(parts).toString() })
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
    res.end(body)
  })
}

export type { Server }
