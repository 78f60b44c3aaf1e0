/**
 * @module runtime/toxiproxy/api: Toxiproxy's HTTP API (2.x) over the local runtime, so that Toxiproxy's clients and
 * the tests that use them work unchanged against `chaoscope proxy`. Its proxies are the runtime's proxy pods
 * (App file `proxies` included), so Chaos Mesh's faults select them too; its toxics are faults on their sidecars.
 */
import http from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { isIP } from 'node:net'
import { ChaosError, isChaosError } from '../../errors.js'
import type { ProxyConfig } from '../app.js'
import type { LocalRuntime } from '../local-runtime.js'
import { checkFault } from '../proxy/toxic.js'
import { sameListen } from '../local-runtime.js'
import { TOXIC_TYPES, ToxiproxyError, directionOf, faultIdOf, faultOf, jsonKind, toxicFromBody, toxicJson, updatedToxic } from './toxics.js'
import type { Toxic } from './toxics.js'

/** The Toxiproxy release whose API this one follows. */
export const TOXIPROXY_API_VERSION = '2.12.0'

/** Bodies above this are refused (Toxiproxy's bodies are a few hundred bytes). */
const MAX_BODY = 1024 * 1024

export interface ToxiproxyApiOptions {
  /** Default 127.0.0.1. */
  host?: string
  /** Default 8474, Toxiproxy's; 0: a free port. */
  port?: number
  /** Let proxies forward to addresses off this machine (default: loopback and localhost only). */
  allowRemote?: boolean
  /** chaoscope's version, said beside the API version by GET /version. */
  version?: string
}

export interface ToxiproxyApi {
  url: string
  host: string
  port: number
  /** What `POST /populate` does, for `--config`: the proxies as the API shows them, or the error and those made before it. */
  populate(body: unknown): Promise<{ status: number; body: PopulateResult }>
  close(): Promise<void>
}

interface ProxyJson {
  name: string
  listen: string
  upstream: string
  enabled: boolean
  /** Toxiproxy 2.12 marshals its proxy's logger field (an exported struct with no JSON tag) as `{}`; so do we. */
  Logger: Record<string, never>
  toxics: Toxic[]
}

interface PopulateResult {
  error?: string
  status?: number
  proxies: ProxyJson[] | null
}

/** Go's encoding/json: HTML-safe escapes of <, > and &, and of U+2028/U+2029. */
export function goJson(v: unknown): string {
  return JSON.stringify(v).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

const missing = (what: string): ToxiproxyError => new ToxiproxyError(`missing required field: ${what}`, 400)

/** Whether an upstream is on this machine: a loopback IP or localhost. */
function onThisMachine(upstream: string): boolean {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):\d+$/.exec(upstream)
  const host = m?.[1] ?? m?.[2]
  if (host === undefined) return false
  if (host === 'localhost') return true
  if (isIP(host) === 4) return host.startsWith('127.')
  return host === '::1'
}

/**
 * The Toxiproxy API: one state (the toxics of each proxy, in Toxiproxy's order) over the runtime's proxies, every
 * change applied one at a time in the order received.
 */
class ToxiproxyState {
  /** Proxy name → its toxics, upstream ones first then downstream, each in the order added. */
  private readonly toxics = new Map<string, Toxic[]>()
  private queue: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly rt: LocalRuntime,
    private readonly opts: ToxiproxyApiOptions,
  ) {}

  /** Runs changes one at a time, in order. */
  serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn)
    this.queue = next.catch(() => undefined)
    return next
  }

  private config(name: string): ProxyConfig {
    const c = this.rt.proxies().find((p) => p.name === name)
    if (!c) throw new ToxiproxyError('proxy not found', 404)
    return c
  }

  private toxicsOf(name: string): Toxic[] {
    let list = this.toxics.get(name)
    if (!list) this.toxics.set(name, (list = []))
    return list
  }

  private json(c: ProxyConfig): ProxyJson {
    return { name: c.name, listen: c.listen, upstream: c.upstream, enabled: c.enabled !== false, Logger: {}, toxics: this.toxicsOf(c.name).map(toxicJson) }
  }

  index(): Record<string, ProxyJson> {
    const out: Record<string, ProxyJson> = {}
    // Go marshals a map with its keys sorted
    for (const c of this.rt.proxies().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) out[c.name] = this.json(c)
    return out
  }

  show(name: string): ProxyJson {
    return this.json(this.config(name))
  }

  private checkUpstream(upstream: string): void {
    if (!/^(?:\[[^\]]+\]|[^:[\]]*):\d{1,5}$/.test(upstream)) {
      throw new ToxiproxyError(`upstream ${JSON.stringify(upstream)} is not host:port (like "127.0.0.1:6379")`, 400)
    }
    if (!this.opts.allowRemote && !onThisMachine(upstream)) {
      throw new ToxiproxyError(`upstream ${upstream} is not on this machine: chaoscope proxy forwards to loopback addresses and localhost only, unless it was started with --allow-remote`, 400)
    }
  }

  /** Proxy fields of a body, as Go decodes them into its Proxy struct over the given defaults. */
  private proxyFields(body: unknown, into: { name: string; listen: string; upstream: string; enabled: boolean }, goType: string): typeof into {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new ToxiproxyError(`bad request body: json: cannot unmarshal ${jsonKind(body).split(' ')[0]} into Go value of type ${goType}`, 400)
    }
    const out = { ...into }
    for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
      const field = (['name', 'listen', 'upstream', 'enabled'] as const).find((f) => f === key.toLowerCase())
      if (field === undefined || value === null) continue
      const want = field === 'enabled' ? 'boolean' : 'string'
      if (typeof value !== want) {
        throw new ToxiproxyError(`bad request body: json: cannot unmarshal ${jsonKind(value).split(' ')[0]} into Go struct field Proxy.${field} of type ${want === 'boolean' ? 'bool' : 'string'}`, 400)
      }
      ;(out as Record<string, unknown>)[field] = value
    }
    return out
  }

  async create(body: unknown): Promise<ProxyJson> {
    const input = this.proxyFields(body, { name: '', listen: '', upstream: '', enabled: true }, 'toxiproxy.Proxy')
    if (input.name.length < 1) throw missing('name')
    if (input.upstream.length < 1) throw missing('upstream')
    this.checkUpstream(input.upstream)
    if (this.rt.proxies().some((p) => p.name === input.name)) throw new ToxiproxyError('proxy already exists', 409)
    await listening(input.listen, () => this.rt.addProxy({ name: input.name, listen: input.listen, upstream: input.upstream, enabled: input.enabled, ...labelsFor(input.name) }))
    this.toxics.set(input.name, [])
    return this.show(input.name)
  }

  async update(name: string, body: unknown): Promise<ProxyJson> {
    const c = this.config(name)
    const input = this.proxyFields(body, { name: c.name, listen: c.listen, upstream: c.upstream, enabled: c.enabled !== false }, 'toxiproxy.Proxy')
    if (input.upstream !== c.upstream) this.checkUpstream(input.upstream)
    await listening(input.listen, () => this.rt.updateProxy(name, { listen: input.listen, upstream: input.upstream, enabled: input.enabled }))
    return this.show(name)
  }

  async remove(name: string): Promise<void> {
    this.config(name)
    await this.rt.removeProxy(name)
    this.toxics.delete(name)
  }

  /** Toxiproxy's populate: checks every entry first, then adds or replaces each (a changed one loses its toxics). */
  async populate(body: unknown): Promise<{ status: number; body: PopulateResult }> {
    if (!Array.isArray(body)) {
      const e = new ToxiproxyError(`bad request body: json: cannot unmarshal ${jsonKind(body).split(' ')[0]} into Go value of type []struct { toxiproxy.Proxy; Enabled *bool "json:\\"enabled\\"" }`, 400)
      return { status: 400, body: { error: e.message, status: 400, proxies: null } }
    }
    const inputs: { name: string; listen: string; upstream: string; enabled: boolean }[] = []
    try {
      body.forEach((entry, i) => {
        const x = this.proxyFields(entry, { name: '', listen: '', upstream: '', enabled: true }, 'struct { toxiproxy.Proxy; Enabled *bool "json:\\"enabled\\"" }')
        if (x.name.length < 1) throw missing(`name at proxy ${i + 1}`)
        if (x.upstream.length < 1) throw missing(`upstream at proxy ${i + 1}`)
        this.checkUpstream(x.upstream)
        inputs.push(x)
      })
    } catch (e) {
      const { message, status } = apiError(e)
      return { status, body: { error: message, status, proxies: null } }
    }
    const done: ProxyJson[] = []
    for (const x of inputs) {
      try {
        const existing = this.rt.proxies().find((p) => p.name === x.name)
        if (existing && sameListen(x.listen, existing.listen) && x.upstream === existing.upstream) {
          done.push(this.json(existing))
          continue
        }
        if (existing) {
          // Toxiproxy stops the old proxy and starts a new one without toxics; when the new one cannot start, the
          // old one stays, stopped, with its toxics
          await this.rt.updateProxy(x.name, { enabled: false })
          try {
            await listening(x.listen, () => this.rt.updateProxy(x.name, { listen: x.listen, upstream: x.upstream, enabled: x.enabled }))
          } catch (e) {
            await this.rt.updateProxy(x.name, { listen: existing.listen, upstream: existing.upstream, enabled: false }).catch(() => undefined)
            throw e
          }
          for (const t of this.toxicsOf(x.name).splice(0)) await this.rt.removeProxyFault(x.name, faultIdOf(t.name))
        } else {
          await listening(x.listen, () => this.rt.addProxy({ name: x.name, listen: x.listen, upstream: x.upstream, enabled: x.enabled, ...labelsFor(x.name) }))
          this.toxics.set(x.name, [])
        }
        done.push(this.show(x.name))
      } catch (e) {
        const { message, status } = apiError(e)
        return { status, body: { error: message, status, proxies: done.length > 0 ? done : null } }
      }
    }
    return { status: 201, body: { proxies: done.length > 0 ? done : null } }
  }

  /** Every proxy started, every toxic removed. */
  async reset(): Promise<void> {
    for (const c of this.rt.proxies()) {
      if (c.enabled === false) await listening(c.listen, () => this.rt.updateProxy(c.name, { enabled: true }))
      for (const t of this.toxicsOf(c.name).splice(0)) await this.rt.removeProxyFault(c.name, faultIdOf(t.name))
    }
  }

  toxicIndex(name: string): Toxic[] {
    this.config(name)
    return this.toxicsOf(name).map(toxicJson)
  }

  toxicShow(name: string, toxic: string): Toxic {
    this.config(name)
    const t = this.toxicsOf(name).find((x) => x.name === toxic)
    if (!t) throw new ToxiproxyError('toxic not found', 404)
    return toxicJson(t)
  }

  async toxicCreate(name: string, body: unknown): Promise<Toxic> {
    this.config(name)
    const t = toxicFromBody(body)
    const list = this.toxicsOf(name)
    if (list.some((x) => x.name === t.name)) throw new ToxiproxyError('toxic already exists', 409)
    checkFault(faultOf(t), this.config(name).protocol ?? 'tcp')
    await this.rt.addProxyFault(name, faultOf(t))
    // upstream toxics list before downstream ones, each in the order added
    const up = directionOf(t.stream) === 'upstream'
    const at = up ? list.findIndex((x) => directionOf(x.stream) !== 'upstream') : -1
    if (at < 0) list.push(t)
    else list.splice(at, 0, t)
    return toxicJson(t)
  }

  async toxicUpdate(name: string, toxic: string, body: unknown): Promise<Toxic> {
    this.config(name)
    const list = this.toxicsOf(name)
    const i = list.findIndex((x) => x.name === toxic)
    if (i < 0) throw new ToxiproxyError('toxic not found', 404)
    const old = list[i]!
    const t = updatedToxic(old, body)
    checkFault(faultOf(t), this.config(name).protocol ?? 'tcp')
    await this.rt.removeProxyFault(name, faultIdOf(t.name))
    try {
      await this.rt.addProxyFault(name, faultOf(t))
    } catch (e) {
      // the toxic stays as it was, on the traffic and in the list
      await this.rt.addProxyFault(name, faultOf(old)).catch(() => undefined)
      throw e
    }
    list[i] = t
    return toxicJson(t)
  }

  async toxicRemove(name: string, toxic: string): Promise<void> {
    this.config(name)
    const list = this.toxicsOf(name)
    const i = list.findIndex((x) => x.name === toxic)
    if (i < 0) throw new ToxiproxyError('toxic not found', 404)
    await this.rt.removeProxyFault(name, faultIdOf(toxic))
    list.splice(i, 1)
  }

  /** Toxiproxy's proxy metrics: bytes received from and sent to each side, by direction. */
  async metrics(): Promise<string> {
    const stats = new Map((await this.rt.stats()).map((s) => [s.name, s]))
    const received: string[] = []
    const sent: string[] = []
    const label = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
    for (const c of this.rt.proxies()) {
      const s = stats.get(c.name)
      if (!s) continue
      for (const dir of ['downstream', 'upstream'] as const) {
        const labels = `direction="${dir}",listener="${label(c.listen)}",proxy="${label(c.name)}",upstream="${label(c.upstream)}"`
        received.push(`toxiproxy_proxy_received_bytes_total{${labels}} ${s.received[dir]}`)
        sent.push(`toxiproxy_proxy_sent_bytes_total{${labels}} ${s.bytes[dir]}`)
      }
    }
    const out: string[] = []
    out.push('# HELP toxiproxy_proxy_received_bytes_total Bytes received from the sending side, by direction.', '# TYPE toxiproxy_proxy_received_bytes_total counter', ...received)
    out.push('# HELP toxiproxy_proxy_sent_bytes_total Bytes sent to the receiving side, by direction.', '# TYPE toxiproxy_proxy_sent_bytes_total counter', ...sent)
    return `${out.join('\n')}\n`
  }
}

/** Labels of a proxy made through the API: `app: <name>` when the name can be a label value. */
function labelsFor(name: string): { labels?: Record<string, string> } {
  return /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/.test(name) && name.length <= 63 ? { labels: { app: name } } : {}
}

const BIND_ERRORS: Record<string, string> = { EADDRINUSE: 'address already in use', EACCES: 'permission denied', EADDRNOTAVAIL: 'cannot assign requested address' }

/** Runs a start of a proxy; a failure to listen is worded as Go's net.Listen words it (`listen tcp A: bind: …`). */
async function listening<T>(listen: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (e) {
    if (isChaosError(e) && e.code === 'PROXY_LISTEN_FAILED') {
      const errno = /\b(E[A-Z]+)\b/.exec(e.message)?.[1]
      if (errno && BIND_ERRORS[errno]) throw new ToxiproxyError(`listen tcp ${listen}: bind: ${BIND_ERRORS[errno]}`, 500)
    }
    throw e
  }
}

/** A thrown error as Toxiproxy's ApiError: its own, the runtime's coded ones mapped, anything else a 500. */
function apiError(e: unknown): { message: string; status: number } {
  if (e instanceof ToxiproxyError) return { message: e.message, status: e.status }
  if (isChaosError(e)) {
    if (e.code === 'PROXY_EXISTS') return { message: 'proxy already exists', status: 409 }
    if (e.code === 'RUNTIME_UNKNOWN_POD' || e.code === 'PROXY_NOT_FOUND') return { message: 'proxy not found', status: 404 }
    if (e.code === 'PROXY_INVALID_UPSTREAM' || e.code === 'PROXY_INVALID_FAULT') return { message: e.message, status: 400 }
    return { message: e.message, status: 500 }
  }
  return { message: e instanceof Error ? e.message : String(e), status: 500 }
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > MAX_BODY) {
        // stop reading; the answer is sent, then the connection is closed (see sendError)
        req.pause()
        reject(new ToxiproxyError(`bad request body: larger than ${MAX_BODY} bytes`, 413))
        return
      }
      chunks.push(c)
    })
    req.on('error', reject)
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      if (text.trim() === '') return reject(new ToxiproxyError('bad request body: EOF', 400))
      try {
        resolve(JSON.parse(text))
      } catch (e) {
        reject(new ToxiproxyError(`bad request body: ${(e as Error).message}`, 400))
      }
    })
  })
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const data = goJson(body)
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) })
  res.end(data)
}

/** Go's http.Error: the ApiError as JSON on a text/plain body with a newline, as Toxiproxy answers. */
function sendError(res: ServerResponse, e: unknown): void {
  const { message, status } = apiError(e)
  const data = `${goJson({ error: message, status })}\n`
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Content-Length': Buffer.byteLength(data), ...(status === 413 ? { Connection: 'close' } : {}) })
  res.end(data, () => {
    if (status === 413) res.socket?.destroy()
  })
}

function noContent(res: ServerResponse): void {
  res.writeHead(204)
  res.end()
}

type Route = { pattern: RegExp; methods: Record<string, (res: ServerResponse, req: IncomingMessage, m: string[]) => Promise<void> | void> }

function routes(state: ToxiproxyState, opts: ToxiproxyApiOptions): Route[] {
  const seg = '([^/]+)'
  const name = (m: string[], i: number): string => {
    try {
      return decodeURIComponent(m[i]!)
    } catch {
      // no proxy or toxic has a name that is not UTF-8
      throw new ToxiproxyError(i === 1 ? 'proxy not found' : 'toxic not found', 404)
    }
  }
  const serial = state.serial.bind(state)
  return [
    { pattern: /^\/reset$/, methods: { POST: async (res) => (await serial(() => state.reset()), noContent(res)) } },
    {
      pattern: /^\/proxies$/,
      methods: {
        GET: (res) => sendJson(res, 200, state.index()),
        POST: async (res, req) => {
          const body = await readJson(req)
          sendJson(res, 201, await serial(() => state.create(body)))
        },
      },
    },
    {
      pattern: /^\/populate$/,
      methods: {
        POST: async (res, req) => {
          // populate answers its own shape even for a body that is not JSON: {"error", "status", "proxies": null}
          let body: unknown
          try {
            body = await readJson(req)
          } catch (e) {
            const { message, status } = apiError(e)
            return sendJson(res, status, { error: message, status, proxies: null })
          }
          const r = await serial(() => state.populate(body))
          sendJson(res, r.status, r.body)
        },
      },
    },
    {
      pattern: new RegExp(`^/proxies/${seg}$`),
      methods: {
        GET: (res, _req, m) => sendJson(res, 200, state.show(name(m, 1))),
        POST: (res, req, m) => updateProxy(res, req, m),
        PATCH: (res, req, m) => updateProxy(res, req, m),
        DELETE: async (res, _req, m) => (await serial(() => state.remove(name(m, 1))), noContent(res)),
      },
    },
    {
      pattern: new RegExp(`^/proxies/${seg}/toxics$`),
      methods: {
        GET: (res, _req, m) => sendJson(res, 200, state.toxicIndex(name(m, 1))),
        POST: async (res, req, m) => {
          state.show(name(m, 1)) // 404 before the body is read, as Toxiproxy looks the proxy up first
          const body = await readJson(req)
          sendJson(res, 200, await serial(() => state.toxicCreate(name(m, 1), body)))
        },
      },
    },
    {
      pattern: new RegExp(`^/proxies/${seg}/toxics/${seg}$`),
      methods: {
        GET: (res, _req, m) => sendJson(res, 200, state.toxicShow(name(m, 1), name(m, 2))),
        POST: (res, req, m) => updateToxic(res, req, m),
        PATCH: (res, req, m) => updateToxic(res, req, m),
        DELETE: async (res, _req, m) => (await serial(() => state.toxicRemove(name(m, 1), name(m, 2))), noContent(res)),
      },
    },
    {
      pattern: /^\/version$/,
      methods: {
        GET: (res) => {
          const data = `{"version": "${TOXIPROXY_API_VERSION}"${opts.version ? `, "chaoscope": "${opts.version}"` : ''}}\n`
          res.writeHead(200, { 'Content-Type': 'application/json;charset=utf-8', 'Content-Length': Buffer.byteLength(data) })
          res.end(data)
        },
      },
    },
    {
      pattern: /^\/metrics$/,
      methods: {
        GET: async (res) => {
          const text = await state.metrics()
          res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Content-Length': Buffer.byteLength(text) })
          res.end(text)
        },
      },
    },
  ]

  async function updateProxy(res: ServerResponse, req: IncomingMessage, m: string[]): Promise<void> {
    state.show(name(m, 1))
    const body = await readJson(req)
    sendJson(res, 200, await serial(() => state.update(name(m, 1), body)))
  }

  async function updateToxic(res: ServerResponse, req: IncomingMessage, m: string[]): Promise<void> {
    state.show(name(m, 1))
    const body = await readJson(req)
    sendJson(res, 200, await serial(() => state.toxicUpdate(name(m, 1), name(m, 2), body)))
  }
}

/**
 * Serves Toxiproxy's API for the runtime's proxies on its own listener (127.0.0.1:8474 unless told otherwise).
 * Refuses browsers as Toxiproxy does (a `Mozilla/` user agent gets 403), so a web page cannot drive it.
 *
 * @example
 * const api = await startToxiproxyApi(runtime, { port: 0 })
 * await fetch(`${api.url}/proxies`, { method: 'POST', body: JSON.stringify({ name: 'redis', listen: '127.0.0.1:26379', upstream: '127.0.0.1:6379' }) })
 */
export async function startToxiproxyApi(rt: LocalRuntime, opts: ToxiproxyApiOptions = {}): Promise<ToxiproxyApi> {
  const state = new ToxiproxyState(rt, opts)
  const table = routes(state, opts)
  const server = http.createServer((req, res) => {
    void (async () => {
      try {
        if ((req.headers['user-agent'] ?? '').startsWith('Mozilla/')) {
          res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' })
          res.end('User agent not allowed\n')
          return
        }
        const path = new URL(req.url ?? '/', 'http://x').pathname
        for (const r of table) {
          const m = r.pattern.exec(path)
          if (!m) continue
          const handler = r.methods[req.method ?? 'GET']
          if (!handler) {
            res.writeHead(405)
            res.end()
            return
          }
          await handler(res, req, [...m])
          return
        }
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' })
        res.end('404 page not found\n')
      } catch (e) {
        if (!(e instanceof ToxiproxyError) && !isChaosError(e)) console.error('chaoscope proxy: uncoded error in the Toxiproxy API', e)
        if (!res.headersSent) sendError(res, e)
        else res.end()
      }
    })()
  })
  const host = opts.host ?? '127.0.0.1'
  await new Promise<void>((resolve, reject) => {
    const failed = (e: Error): void =>
      reject(new ChaosError('API_LISTEN_FAILED', `the Toxiproxy API cannot listen on ${host}:${opts.port ?? 8474}: ${e.message}`, { cause: e, hint: 'another program (a Toxiproxy?) has the port: stop it, or start chaoscope proxy with --port (0: a free one)' }))
    server.once('error', failed)
    server.listen({ host, port: opts.port ?? 8474 }, () => {
      server.off('error', failed)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    host,
    port,
    populate: (body) => state.serial(() => state.populate(body)),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

export { TOXIC_TYPES }
