/** @module runtime/proxy/proxy: a fault-injecting TCP/HTTP proxy on a loopback port, forwarding to upstreams. */

import net from 'node:net'
import type { Server, Socket } from 'node:net'
import { ChaosError } from '../../errors.js'
import { Link } from './link.js'
import { HttpSession } from './http-session.js'
import type { SessionHost } from './http-session.js'
import { Histogram } from '../../wire/histogram.js'
import type { HistogramSnapshot } from '../../wire/histogram.js'
import { actsOn, checkFault, isImmediateReset, makeStage } from './toxic.js'
import type { FaultSpec, HttpFault } from './toxic.js'
import { newCounters } from './stream.js'
import type { FaultCounters } from './stream.js'
import { resetSockets } from './toxics/reset.js'
import { adopt } from './reader.js'
import { onread } from '../../wire/reader.js'
import { ExemplarRing } from './exemplars.js'
import type { Exemplar } from '../types.js'

export type ProxyMode = 'tcp' | 'http'

export interface ProxyOptions {
  /** Unique name (the edge), e.g. `checkout-7f2ab>payment`. */
  name: string
  mode: ProxyMode
  /** `host:port` addresses; new connections go to them in turn. */
  upstreams: string[]
  /** Listen address; host defaults to 127.0.0.1, port 0 picks a free one. */
  listen?: { host?: string; port?: number }
  /** Extra labels for this proxy's metrics (e.g. source and destination service). */
  labels?: Record<string, string>
  /** false: made without listening (a stopped Toxiproxy proxy); {@link Proxy.listen} starts it. Default true. */
  listening?: boolean
  /**
   * The hostPort form: each upstream is the address of another sidecar of this data plane (a pod's ingress), and
   * a connection is handed to that sidecar instead of connected to it: one hop, whose faults, counters and upstream
   * (the pod) are that sidecar's; this proxy counts the connection too. An upstream no sidecar listens at is
   * connected to as usual. Such a proxy takes no faults of its own (they go on the sidecars it hands to).
   */
  handoff?: boolean
}

/** What a proxy may ask of the data plane that holds it. */
export interface ProxyContext {
  /** The proxy listening (or refusing under a partition) at this address, if the data plane holds one. */
  sidecarAt(host: string, port: number): Proxy | undefined
}

/** Requests by status class; `error` counts requests that got no response (aborted, reset, closed). */
export interface StatusCounts {
  '1xx': number
  '2xx': number
  '3xx': number
  '4xx': number
  '5xx': number
  error: number
}

export interface FaultStats {
  spec: FaultSpec
  addedAt: number
  /** What the fault touched: connections selected (tcp) or requests acted on (http), chunks and bytes held. */
  touched: FaultCounters
}

/** A plain-data snapshot of one proxy, safe to post between threads. */
export interface ProxyStats {
  name: string
  mode: ProxyMode
  host: string
  port: number
  upstreams: string[]
  labels: Record<string, string>
  connections: { active: number; total: number; refused: number }
  /** Bytes delivered: written to the server (upstream) and to the client (downstream), after the faults. */
  bytes: { upstream: number; downstream: number }
  /**
   * Bytes read: from the client (upstream) and from the server (downstream), before the faults. Toxiproxy's
   * received_bytes_total; `bytes` is its sent_bytes_total.
   */
  received: { upstream: number; downstream: number }
  requests: StatusCounts
  latency: HistogramSnapshot
  faults: FaultStats[]
  /** Requests kept with their trace ids while tracing is on (runtime/proxy/exemplars), oldest first; none while it is off. */
  exemplars: Exemplar[]
}

/** What a stats snapshot includes. */
export interface StatsOptions {
  /** Only the exemplars of requests that ended after this time (epoch ms): a poller passes the time of its last read. */
  since?: number
}

interface FaultEntry {
  spec: FaultSpec
  counters: FaultCounters
  addedAt: number
}

interface Upstream {
  host: string
  port: number
}

/** Parses `host:port` (IPv6 as `[::1]:80`). */
export function parseAddress(a: string): Upstream {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(a)
  const port = m ? Number(m[3]) : NaN
  if (!m || port < 1 || port > 65535) {
    throw new ChaosError('PROXY_INVALID_UPSTREAM', `upstream ${JSON.stringify(a)} is not a host:port address`)
  }
  return { host: (m[1] ?? m[2])!, port }
}

const EMPTY = Buffer.alloc(0)

const CLASSES: readonly (keyof StatusCounts)[] = ['error', '1xx', '2xx', '3xx', '4xx', '5xx']

function statusClass(status: number): keyof StatusCounts {
  return status >= 100 && status < 600 ? CLASSES[(status / 100) | 0]! : 'error'
}

/** The sidecar's session host, with each request also recorded by the hostPort proxy that handed it over. */
function countedBoth(proxy: Proxy, via: Proxy): SessionHost {
  return {
    name: proxy.name,
    labels: proxy.labels,
    exemplars: () => proxy.exemplars(),
    linkFaults: () => proxy.linkFaults(),
    httpFaults: () => proxy.httpFaults(),
    recordRequest(status, ms) {
      proxy.recordRequest(status, ms)
      via.recordRequest(status, ms)
    },
  }
}

/** Whether a fault cuts both directions of every new connection to these upstreams (a partition there). */
function cutsEveryConnection(f: FaultSpec, upstreams: readonly string[]): boolean {
  if (f.type !== 'blackhole' || f.direction !== 'both' || (f.percent ?? 100) < 100) return false
  const only = f.upstreams
  return only === undefined || upstreams.every((a) => only.includes(a))
}

/** One accepted client connection and its upstream connection. */
class Conn {
  readonly client: Socket
  readonly upstream: Socket
  readonly up: Link
  readonly down: Link
  readonly session: HttpSession | undefined
  private closedSides = 0

  constructor(
    private readonly proxy: Proxy,
    accepted: Socket,
    to: Upstream,
    /** The upstream address this connection goes to, as written in the proxy's upstream list. */
    readonly upstreamAddress: string = '',
    /** The hostPort proxy that handed this connection over: it counts the connection too. */
    readonly via?: Proxy,
  ) {
    // Both sockets read through `onread` (reader.ts): each read arrives here as one owned Buffer.
    const http = proxy.mode === 'http'
    const client = adopt(
      accepted,
      via
        ? http
          ? (b) => {
              proxy.receivedUp += b.length
              via.receivedUp += b.length
              this.session!.fromClient(b)
            }
          : (b) => {
              proxy.receivedUp += b.length
              via.receivedUp += b.length
              this.up.push(b)
            }
        : http
          ? (b) => {
              proxy.receivedUp += b.length
              this.session!.fromClient(b)
            }
          : (b) => {
              proxy.receivedUp += b.length
              this.up.push(b)
            },
    )
    const upstream = net.connect({
      host: to.host,
      port: to.port,
      allowHalfOpen: true,
      noDelay: true,
      onread: onread(
        via
          ? http
            ? (b) => {
                proxy.receivedDown += b.length
                via.receivedDown += b.length
                this.session!.fromUpstream(b)
              }
            : (b) => {
                proxy.receivedDown += b.length
                via.receivedDown += b.length
                this.down.push(b)
              }
          : http
            ? (b) => {
                proxy.receivedDown += b.length
                this.session!.fromUpstream(b)
              }
            : (b) => {
                proxy.receivedDown += b.length
                this.down.push(b)
              },
      ),
    })
    upstream.on('error', () => {})
    client.setNoDelay(true)
    this.client = client
    this.upstream = upstream
    const sentUp = via ? (n: number) => ((proxy.bytesUp += n), (via.bytesUp += n)) : (n: number) => (proxy.bytesUp += n)
    const sentDown = via ? (n: number) => ((proxy.bytesDown += n), (via.bytesDown += n)) : (n: number) => (proxy.bytesDown += n)
    this.up = new Link(client, upstream, sentUp, (how) => this.closeBy(this.up, how))
    this.down = new Link(upstream, client, sentDown, (how) => this.closeBy(this.down, how))
    if (http) {
      this.session = new HttpSession(via ? countedBoth(proxy, via) : proxy, client, upstream, this.up, this.down)
    } else {
      client.on('end', () => this.up.write({ data: EMPTY, msg: 0, end: true }))
      upstream.on('end', () => this.down.write({ data: EMPTY, msg: 0, end: true }))
    }
    client.on('error', () => resetSockets(upstream))
    upstream.on('error', () => {
      if (this.session) this.session.upstreamFailed()
      else resetSockets(client)
    })
    const closed = (): void => {
      if (++this.closedSides < 2) return
      this.up.destroy()
      this.down.destroy()
      this.session?.dropPending()
      proxy.conns.delete(this)
      via?.conns.delete(this)
    }
    client.on('close', (hadError) => {
      if (hadError) resetSockets(upstream)
      else if (!upstream.destroyed && upstream.connecting) upstream.destroy()
      closed()
    })
    upstream.on('close', (hadError) => {
      if (hadError && !this.session) resetSockets(client)
      closed()
    })
    for (const f of proxy.faultList()) this.apply(f)
  }

  /** Links whose destination a toxic's close has closed (see `closeBy`). */
  private readonly shutLinks = new Set<Link>()

  /**
   * A toxic's close reached `link`'s destination, as Toxiproxy closes a link when a stub closes. `rst`: both
   * sockets are reset. `fin`: the destination got its FIN and is closed once it is flushed (Go's Close); the
   * other direction then ends as if its source (that socket) had closed: its FIN goes through its stages,
   * and its destination is closed in turn. Bytes read afterwards are dropped.
   */
  private closeBy(link: Link, how: 'fin' | 'rst'): void {
    if (how === 'rst') {
      this.up.shut = this.down.shut = true
      resetSockets(this.client, this.upstream)
      return
    }
    if (this.shutLinks.has(link)) return
    this.shutLinks.add(link)
    link.shut = true
    const dst = link.dst
    if (!dst.destroyed) {
      if (dst.writableFinished) dst.destroy()
      else dst.once('finish', () => dst.destroy())
    }
    const other = link === this.up ? this.down : this.up
    if (this.shutLinks.has(other)) return
    if (other.outputEnded) this.closeBy(other, 'fin')
    else if (other.inputEnded) other.closeOnEnd = true
    else {
      other.write({ data: EMPTY, msg: 0, end: true, close: 'fin' })
      other.shut = true
    }
  }

  /**
   * Puts a fault on this connection (called on accept, and for existing connections when it is added:
   * `existing`).
   */
  apply(f: FaultEntry, existing = false): void {
    const s = f.spec
    if (s.type !== 'http' && s.upstreams && !s.upstreams.includes(this.upstreamAddress)) return
    if (isImmediateReset(s)) {
      if (Math.random() * 100 < (s.percent ?? 100)) {
        f.counters.connections++
        resetSockets(this.client, this.upstream)
      }
      return
    }
    const http = this.proxy.mode === 'http'
    if (!http && s.type !== 'http' && Math.random() * 100 >= (s.percent ?? 100)) {
      // Not selected. A timeout still closes the connection when it is removed, as Toxiproxy's cleanup does.
      if (s.type === 'timeout') {
        for (const [dir, link] of [
          ['upstream', this.up],
          ['downstream', this.down],
        ] as const) {
          if (actsOn(s, dir)) link.addStage((host, next) => makeStage(s, host, f.counters, http, next, true, existing))
        }
      }
      return
    }
    if (!http) f.counters.connections++
    for (const [dir, link] of [
      ['upstream', this.up],
      ['downstream', this.down],
    ] as const) {
      if (actsOn(s, dir)) link.addStage((host, next) => makeStage(s, host, f.counters, http, next, false, existing))
    }
  }

  remove(id: string): void {
    this.up.removeStage(id)
    this.down.removeStage(id)
  }
}

/**
 * Listens on a loopback port and forwards every accepted connection to one of its upstreams (round robin),
 * through faults that can be added and removed at any time and act on new and existing connections alike.
 *
 * Modes: `tcp` pipes bytes both ways (backpressure and half-close kept); `http` parses HTTP/1.1 messages
 * on each keep-alive connection to act per request, count requests by status class, time them, and pass
 * the W3C `traceparent` on with a new span id.
 *
 * A `handoff` proxy (the hostPort listener) hands each connection to the sidecar at the upstream address it picks,
 * so outside callers cross one proxy that applies the pod's ingress faults. A partition that cuts every new
 * connection closes the port until it ends ({@link syncPartition}).
 *
 * Owns its sockets; `close()` ends them. Not thread-safe: one event loop (the data plane worker) owns it.
 *
 * @example
 * const p = await Proxy.start({ name: 'a>b', mode: 'tcp', upstreams: ['127.0.0.1:8080'] })
 * p.addFault({ id: 'slow', type: 'latency', direction: 'downstream', latencyMs: 100 })
 * // … clients connect to 127.0.0.1:p.port …
 * await p.close()
 */
export class Proxy {
  readonly name: string
  readonly mode: ProxyMode
  readonly labels: Record<string, string>
  private upstreams: Upstream[] = []
  private upstreamText: string[] = []
  private rr = 0
  private readonly faults = new Map<string, FaultEntry>()
  private httpList: { spec: HttpFault; counters: FaultCounters }[] = []
  readonly conns = new Set<Conn>()
  bytesUp = 0
  bytesDown = 0
  receivedUp = 0
  receivedDown = 0
  private total = 0
  private refused = 0
  private readonly requests: StatusCounts = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, error: 0 }
  private readonly latency = new Histogram()
  private ring: ExemplarRing | undefined

  /** Hands connections to the sidecars at its upstream addresses (see {@link ProxyOptions.handoff}). */
  readonly handoff: boolean

  private constructor(
    opts: ProxyOptions,
    private readonly server: Server,
    /** Where it listens, or last listened (or will, while stopped: port 0 until it first binds). */
    public host: string,
    public port: number,
    private readonly context: ProxyContext | undefined,
  ) {
    this.name = opts.name
    this.mode = opts.mode
    this.handoff = opts.handoff === true
    this.labels = { ...(opts.labels ?? {}) }
    this.setUpstreams(opts.upstreams)
    server.on('connection', (c) => this.accept(c))
  }

  /**
   * Starts listening; resolves once the port is bound. `context`: the data plane holding it (a handoff proxy finds
   * the sidecars it hands to there). Throws PROXY_LISTEN_FAILED or PROXY_INVALID_UPSTREAM.
   */
  static async start(opts: ProxyOptions, context?: ProxyContext): Promise<Proxy> {
    for (const u of opts.upstreams) parseAddress(u)
    if (opts.mode !== 'tcp' && opts.mode !== 'http') {
      throw new ChaosError('PROXY_INVALID_FAULT', `proxy ${opts.name}: mode must be tcp or http, got ${String(opts.mode)}`)
    }
    const host = opts.listen?.host ?? '127.0.0.1'
    // pauseOnConnect: nothing is read before `adopt` moves the socket to `onread`.
    const server = net.createServer({ allowHalfOpen: true, noDelay: true, pauseOnConnect: true })
    const p = new Proxy(opts, server, host, opts.listen?.port ?? 0, context)
    if (opts.listening !== false) await p.listen()
    return p
  }

  private listening = false
  /** Listening, but its port closed while a partition cuts every new connection (see {@link syncPartition}). */
  private refusing = false
  private rebind: NodeJS.Timeout | undefined

  /** Whether it is meant to accept connections now (also while a partition has it refuse them). */
  get isListening(): boolean {
    return this.listening
  }

  /** Whether its port is closed now because a partition cuts every new connection. */
  get isRefusing(): boolean {
    return this.refusing
  }

  /**
   * Starts listening (again), on `to` when given, else where it listened last; resolves with the bound port.
   * Its faults stay as they were. Throws PROXY_LISTEN_FAILED (it stays stopped, with the new address).
   */
  async listen(to?: { host?: string; port?: number }): Promise<number> {
    if (to) {
      this.host = to.host ?? this.host
      this.port = to.port ?? this.port
    }
    if (this.listening) return this.port
    await this.bind()
    this.listening = true
    return this.port
  }

  private async bind(): Promise<void> {
    const { server, host, port } = this
    await new Promise<void>((resolve, reject) => {
      const failed = (e: Error): void =>
        reject(new ChaosError('PROXY_LISTEN_FAILED', `proxy ${this.name} cannot listen on ${host}:${port}: ${e.message}`, { cause: e }))
      server.once('error', failed)
      server.listen({ host, port, backlog: 1024 }, () => {
        server.off('error', failed)
        resolve()
      })
    })
    this.port = (server.address() as net.AddressInfo).port
  }

  /** Closes the listening socket; its connections stay. */
  private unbind(): Promise<void> {
    clearTimeout(this.rebind)
    if (this.refusing) {
      this.refusing = false
      return Promise.resolve()
    }
    return new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  /**
   * Whether every new connection would be cut both ways by a partition: a blackhole on both directions, at 100 %,
   * on every upstream (a fault limited to some upstreams leaves the others reachable). A handoff proxy: when every
   * sidecar it hands to is so cut.
   */
  partitioned(): boolean {
    if (this.upstreams.length === 0) return false
    if (this.handoff) {
      return this.upstreams.every((u) => {
        const to = this.context?.sidecarAt(u.host, u.port)
        return to !== undefined && to !== this && !to.handoff && to.partitioned()
      })
    }
    for (const f of this.faults.values()) if (cutsEveryConnection(f.spec, this.upstreamText)) return true
    return false
  }

  /**
   * Refuses new connections at connect time while {@link partitioned}, as a firewall that rejects them would
   * (a dropped SYN would hang them instead): the listening socket is closed (callers get ECONNREFUSED; established connections stay black-holed by
   * their stages) and bound again on the same port once the partition ends. The data plane calls it after every
   * change of faults, upstreams or sidecars. When the port cannot be bound again at once (something took it),
   * it is tried again every 100 ms while the proxy listens.
   */
  syncPartition(): Promise<void> {
    // one at a time: two overlapping commands must not close or bind the one server twice
    this.syncing = this.syncing.then(() => this.followPartition())
    return this.syncing
  }

  private syncing: Promise<void> = Promise.resolve()

  private async followPartition(): Promise<void> {
    if (!this.listening) return
    const cut = this.partitioned()
    if (cut && !this.refusing) {
      clearTimeout(this.rebind)
      await new Promise<void>((resolve) => this.server.close(() => resolve()))
      this.refusing = true
    } else if (!cut && this.refusing) {
      try {
        await this.bind()
        this.refusing = false
      } catch {
        clearTimeout(this.rebind)
        this.rebind = setTimeout(() => void this.syncPartition(), 100)
      }
    }
  }

  /**
   * Stops listening and closes every connection as a program closes its sockets (a FIN): what Toxiproxy does to a
   * proxy it disables or moves. Its faults stay, for when it listens again. Idempotent.
   */
  async stopListening(): Promise<void> {
    if (!this.listening) return
    this.listening = false
    for (const c of this.conns) {
      c.client.destroy()
      c.upstream.destroy()
    }
    this.conns.clear()
    await this.unbind()
  }

  /** Replaces the upstream list: new connections use it; existing connections stay where they are. */
  setUpstreams(list: string[]): void {
    this.upstreams = list.map(parseAddress)
    this.upstreamText = [...list]
    this.rr = 0
  }

  /** A new connection: accepted here, or (`via`) handed over by a hostPort proxy that accepted it. */
  private accept(client: Socket, via?: Proxy): void {
    this.total++
    if (!via) {
      client.setNoDelay(true)
      client.on('error', () => {})
    }
    if (this.upstreams.length === 0) {
      this.refused++
      if (via) via.refused++
      resetSockets(client)
      return
    }
    const i = this.rr % this.upstreams.length
    const u = this.upstreams[i]!
    const address = this.upstreamText[i]!
    if (this.handoff) {
      const to = this.context?.sidecarAt(u.host, u.port)
      if (to && to !== this && !to.handoff && to.mode === this.mode && to.listening) {
        this.rr++
        to.accept(client, this)
        return
      }
    }
    for (const f of this.faults.values()) {
      if (f.spec.upstreams && !f.spec.upstreams.includes(address)) continue
      if (isImmediateReset(f.spec) && Math.random() * 100 < (f.spec.percent ?? 100)) {
        f.counters.connections++
        this.refused++
        if (via) via.refused++
        resetSockets(client)
        return
      }
    }
    this.rr++
    const conn = new Conn(this, client, u, address, via)
    if (conn.client.destroyed) return
    this.conns.add(conn)
    via?.conns.add(conn)
  }

  faultList(): FaultEntry[] {
    return [...this.faults.values()].filter((f) => !isImmediateReset(f.spec))
  }

  /** Session host (tracing): the connection-level faults every request crosses (immediate resets act on none). */
  linkFaults(): readonly string[] {
    const ids: string[] = []
    for (const f of this.faults.values()) if (f.spec.type !== 'http' && !isImmediateReset(f.spec)) ids.push(f.spec.id)
    return ids
  }

  /** Session host: the http faults, read per message. */
  httpFaults(): readonly { spec: HttpFault; counters: FaultCounters }[] {
    return this.httpList
  }

  /** Session host: one request is done. */
  recordRequest(status: number, ms: number): void {
    this.requests[statusClass(status)]++
    this.latency.record(ms)
  }

  /** Session host (tracing): where this sidecar's exemplars are kept. */
  exemplars(): ExemplarRing {
    return (this.ring ??= new ExemplarRing())
  }

  /**
   * Adds a fault; it acts on new and existing connections at once. Throws PROXY_INVALID_FAULT or
   * PROXY_FAULT_EXISTS (adding is not silently idempotent: the caller decides to replace by removing first).
   */
  addFault(spec: FaultSpec): void {
    checkFault(spec, this.mode)
    if (this.handoff) {
      throw new ChaosError('PROXY_INVALID_FAULT', `proxy ${this.name} hands its connections to the pods' ingress sidecars: it takes no faults`, { hint: 'put the fault on the ingress sidecar of the pod' })
    }
    if (this.faults.has(spec.id)) {
      throw new ChaosError('PROXY_FAULT_EXISTS', `proxy ${this.name} already has a fault ${spec.id}`)
    }
    const entry: FaultEntry = { spec: structuredClone(spec), counters: newCounters(), addedAt: Date.now() }
    this.faults.set(spec.id, entry)
    if (entry.spec.type === 'http') this.httpList = [...this.httpList, entry as { spec: HttpFault; counters: FaultCounters }]
    for (const c of [...this.conns]) c.apply(entry, true)
  }

  /** Removes a fault: what it holds is passed on in order at once. Returns false when there was none. */
  removeFault(id: string): boolean {
    const entry = this.faults.get(id)
    if (!entry) return false
    this.faults.delete(id)
    if (entry.spec.type === 'http') this.httpList = this.httpList.filter((f) => f.spec.id !== id)
    for (const c of this.conns) c.remove(id)
    return true
  }

  listFaults(): FaultSpec[] {
    return [...this.faults.values()].map((f) => f.spec)
  }

  hasFaults(): boolean {
    return this.faults.size > 0
  }

  /** The faults on this proxy and what each touched. */
  faultStats(): FaultStats[] {
    return [...this.faults.values()].map((f) => ({ spec: f.spec, addedAt: f.addedAt, touched: { ...f.counters } }))
  }

  stats(opts: StatsOptions = {}): ProxyStats {
    return {
      name: this.name,
      mode: this.mode,
      host: this.host,
      port: this.port,
      upstreams: [...this.upstreamText],
      labels: { ...this.labels },
      connections: { active: this.conns.size, total: this.total, refused: this.refused },
      bytes: { upstream: this.bytesUp, downstream: this.bytesDown },
      received: { upstream: this.receivedUp, downstream: this.receivedDown },
      requests: { ...this.requests },
      latency: this.latency.snapshot(),
      faults: this.faultStats(),
      exemplars: this.ring ? this.ring.list(opts.since) : [],
    }
  }

  /** Stops listening and ends every connection: reset (default), or closed as a program closes its sockets. Idempotent. */
  async close(how: 'reset' | 'close' = 'reset'): Promise<void> {
    if (how === 'close') return this.stopListening()
    for (const c of this.conns) resetSockets(c.client, c.upstream)
    this.conns.clear()
    if (!this.listening) return
    this.listening = false
    await this.unbind()
  }
}
