/**
 * @module load/driver: one worker's share of a run. Open model: its share of the arrival schedule, each arrival
 * taking a pooled keep-alive connection (opened on demand up to the plan's limit) and waiting for one when all
 * are busy; latency counts from the arrival's intended time, so waiting shows. Closed model: its share of the
 * virtual users, each looping on its own connection. Flows run their steps in order with think times between
 * them, a cookie jar and drawn vars per iteration.
 *
 * Independent of worker_threads: `post` receives what a worker posts to the main thread (load/worker.ts wires it
 * to parentPort; tests may run a driver in-process).
 */
import { Connection, RequestError } from './connection.js'
import { Arrivals, epochNow, fitStages, unboundedStages } from './schedule.js'
import { Recorder } from './stats.js'
import type { SecondRecord, StepRecord, Totals } from './stats.js'
import type { FlowPlan, LoadPlan, StepPlan } from './types.js'

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'tick'; seconds: SecondRecord[]; totals: Totals }
  | { type: 'done'; seconds: SecondRecord[]; totals: Totals; steps: StepRecord[]; lastWriteMs: number; lastFirstWriteMs: number; lastEndMs: number; stoppedAtMs: number | null; ok: number }
  | { type: 'fatal'; message: string }

export type MainMessage = { type: 'start'; startEpochMs: number } | { type: 'stop' }

const now = epochNow
const PLACEHOLDER = /\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}/g

interface Origin {
  key: string
  host: string
  port: number
  hostHeader: string
}

function originOf(url: URL): Origin {
  if (url.protocol !== 'http:') throw new Error(`only http:// targets are supported, got ${url.protocol}//`)
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
  const port = url.port === '' ? 80 : Number(url.port)
  return { key: `${host}:${port}`, host, port, hostHeader: url.host }
}

/** A string with {{placeholders}}: literal and name parts, alternating (literals at even indexes). */
type Template = string[]

function compileTemplate(text: string): Template {
  const parts: string[] = []
  let last = 0
  for (const m of text.matchAll(PLACEHOLDER)) {
    parts.push(text.slice(last, m.index), m[1]!)
    last = m.index! + m[0].length
  }
  parts.push(text.slice(last))
  return parts
}

function fill(t: Template, vars: Record<string, string>): string {
  if (t.length === 1) return t[0]!
  let s = t[0]!
  for (let i = 1; i < t.length; i += 2) s += (vars[t[i]!] ?? '') + t[i + 1]!
  return s
}

/** A step ready to send: its request as bytes (fixed) or as templates (filled per iteration). */
interface Prepared {
  key: string
  flow: string
  name: string
  method: string
  head: boolean
  expect: number[] | undefined
  think: { minMs: number; maxMs: number } | undefined
  /** Set when nothing in the request varies (no placeholders, no cookies to carry): written as is. */
  fixed: Buffer | undefined
  origin: Origin
  target: Template
  headers: [string, Template][]
  body: Template | undefined
}

function requestBytes(method: string, target: string, origin: Origin, headers: [string, string][], body: string | undefined): Buffer {
  const host = headers.find(([k]) => k === 'host')?.[1] ?? origin.hostHeader
  let s = `${method} ${target} HTTP/1.1\r\nhost: ${host}\r\n`
  let agent = false
  for (const [k, v] of headers) {
    if (k === 'host' || k === 'content-length') continue
    if (k === 'user-agent') agent = true
    s += `${k}: ${v}\r\n`
  }
  if (!agent) s += 'user-agent: chaoscope-load\r\n'
  const b = body === undefined ? undefined : Buffer.from(body)
  if (b !== undefined || method === 'POST' || method === 'PUT' || method === 'PATCH') s += `content-length: ${b?.length ?? 0}\r\n`
  const head = Buffer.from(s + '\r\n', 'latin1')
  return b === undefined ? head : Buffer.concat([head, b])
}

function prepare(base: URL, step: StepPlan, flow: string, index: number, overrides: Record<string, string>, flows: boolean): Prepared {
  // outside a flow file nothing is a placeholder: a URL, header or body with {{x}} is sent as written
  const compile = flows ? compileTemplate : (text: string): Template => [text]
  const cookies = flows
  const url = /^https?:\/\//i.test(step.path) ? new URL(step.path) : new URL(step.path.startsWith('/') ? step.path : `/${step.path}`, base)
  const origin = originOf(url)
  // placeholders survive URL parsing percent-encoded: restore them in the request target
  const raw = url.pathname + url.search
  const target = compile(flows ? raw.replaceAll('%7B%7B', '{{').replaceAll('%7D%7D', '}}') : raw)
  // the step's headers (a profile's own headers are already in them), then the command line's -H over all
  const merged = new Map<string, string>()
  for (const [k, v] of Object.entries(step.headers)) merged.set(k.toLowerCase(), v)
  for (const [k, v] of Object.entries(overrides)) merged.set(k.toLowerCase(), v)
  const headers = [...merged].map(([k, v]) => [k, compile(v)] as [string, Template])
  const body = step.body === undefined ? undefined : compile(step.body)
  const method = step.method.toUpperCase()
  const varies = target.length > 1 || headers.some(([, t]) => t.length > 1) || (body !== undefined && body.length > 1) || cookies
  return {
    key: `${flow}\u0000${index}`,
    flow,
    name: step.name,
    method,
    head: method === 'HEAD',
    expect: step.expect,
    think: step.think,
    fixed: varies ? undefined : requestBytes(method, target[0]!, origin, headers.map(([k, t]) => [k, t[0]!]), body?.[0]),
    origin,
    target,
    headers,
    body,
  }
}

interface Waiter {
  intended: number
  resolve(c: Connection): void
  reject(e: RequestError): void
}

/** Most requests one pool lets wait for a connection; beyond it an arrival is dropped at once. */
const MAX_WAITING = 100_000

/**
 * The connections to one origin, opened on demand up to `max`; requests wait in order for a free one. The
 * queue is read from a moving head (no shift() of a long array), and bounded.
 */
class Pool {
  private readonly idle: Connection[] = []
  private open = 0
  private queue: Waiter[] = []
  private head = 0
  constructor(
    private readonly origin: Origin,
    private readonly max: number,
    private readonly all: Set<Connection>,
    /** Told of each request dropped, with its intended time. */
    private readonly onDrop: (intended: number) => void,
  ) {}

  get waiting(): number {
    return this.queue.length - this.head
  }

  acquire(intended: number): Connection | Promise<Connection> {
    const c = this.idle.pop()
    if (c) return c
    if (this.open < this.max) return this.create()
    if (this.waiting >= MAX_WAITING) {
      this.onDrop(intended)
      return Promise.reject(new RequestError('dropped', 'too many requests waiting for a connection'))
    }
    return new Promise((resolve, reject) => this.queue.push({ intended, resolve, reject }))
  }

  private next(): Waiter | undefined {
    if (this.head >= this.queue.length) return undefined
    const w = this.queue[this.head]!
    this.queue[this.head++] = undefined as unknown as Waiter
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head)
      this.head = 0
    }
    return w
  }

  release(c: Connection): void {
    if (!c.usable) {
      this.all.delete(c)
      this.open--
      const w = this.next()
      if (w) w.resolve(this.create())
      return
    }
    const w = this.next()
    if (w) w.resolve(c)
    else this.idle.push(c)
  }

  /** Drops the waiters that wanted to be sent before `before` (all of them without it). */
  drop(before: number | undefined): void {
    while (this.head < this.queue.length && (before === undefined || this.queue[this.head]!.intended < before)) {
      const w = this.next()!
      this.onDrop(w.intended)
      w.reject(new RequestError('dropped', 'no connection came free in time'))
    }
  }

  private create(): Connection {
    const c = new Connection(this.origin.host, this.origin.port)
    this.open++
    this.all.add(c)
    return c
  }
}

/** A virtual user of the closed model: its own connection per origin. */
interface Vu {
  id: number
  conns: Map<string, Connection>
}

export class Driver {
  private readonly plan: LoadPlan
  private readonly base: URL
  private readonly flows: { flow: FlowPlan; steps: Prepared[] }[]
  private readonly weights: number[]
  private readonly totalWeight: number
  private readonly vars: Record<string, string[]>
  private readonly pools = new Map<string, Pool>()
  private readonly connections = new Set<Connection>()
  private rec!: Recorder
  private start = 0
  private endAt = Infinity
  /** No new arrivals or iterations (the send phase is over, or stop()). */
  private stopping = false
  /** stop(): iterations in flight end at their next step, think times are cut short. */
  private halted = false
  /** A second after stop(): requests in flight are canceled. */
  private canceled = false
  private stoppedAt: number | null = null
  private lastWrite = 0
  /** The last write of an iteration's first request: with flows, the rate is of iterations. */
  private lastFirstWrite = 0
  private lastEnd = 0
  private ok = 0
  /** Closed model: requests (or iterations) this worker may still start. */
  private budget = Infinity
  private sweeper: NodeJS.Timeout | undefined
  private ticker: NodeJS.Timeout | undefined
  private wake: (() => void) | undefined
  private readonly sleepers = new Set<{ timer: NodeJS.Timeout; resolve(): void }>()

  constructor(
    plan: LoadPlan,
    private readonly index: number,
    private readonly count: number,
    private readonly post: (m: WorkerMessage) => void,
  ) {
    this.plan = plan
    this.base = new URL(plan.url)
    const flows: FlowPlan[] = plan.flows?.flows ?? [
      { name: '', weight: 1, steps: [{ name: `${plan.method} ${this.base.pathname}${this.base.search}`, method: plan.method, path: this.base.href, headers: plan.headers, body: plan.body }] },
    ]
    this.flows = flows.map((f) => ({ flow: f, steps: f.steps.map((s, i) => prepare(this.base, s, f.name, i, plan.flows ? plan.headers : {}, plan.flows !== undefined)) }))
    this.weights = flows.map((f) => f.weight)
    this.totalWeight = this.weights.reduce((a, b) => a + b, 0)
    this.vars = plan.flows?.vars ?? {}
  }

  /** Runs to the end; posts ticks each second and `done` last. */
  async run(startEpochMs: number): Promise<void> {
    this.start = startEpochMs
    this.rec = new Recorder(startEpochMs)
    if (this.plan.durationMs !== undefined) this.endAt = startEpochMs + this.plan.durationMs
    this.scheduleTick()
    this.sweeper = setInterval(() => this.sweep(), Math.max(10, Math.min(100, this.plan.timeoutMs / 10)))
    const wait = startEpochMs - now()
    if (wait > 0) await new Promise((r) => setTimeout(r, wait))
    if (this.plan.stages) await this.runOpen()
    else await this.runClosed()
    await this.drain()
    clearInterval(this.sweeper)
    clearTimeout(this.ticker)
    for (const c of this.connections) c.close()
    const t = now()
    this.post({ type: 'done', seconds: this.rec.flush(t, true), totals: this.rec.totals, steps: this.rec.stepRecords(), lastWriteMs: Math.max(0, this.lastWrite - this.start), lastFirstWriteMs: Math.max(0, this.lastFirstWrite - this.start), lastEndMs: Math.max(0, this.lastEnd - this.start), stoppedAtMs: this.stoppedAt === null ? null : this.stoppedAt - this.start, ok: this.ok })
  }

  /** Stops sending; iterations end at their next step; what is in flight gets a second to end, then is canceled. */
  stop(): void {
    if (this.halted) return
    this.halted = true
    this.stopping = true
    this.stoppedAt = now()
    this.endAt = Math.min(this.endAt, this.stoppedAt)
    for (const p of this.pools.values()) p.drop(undefined)
    this.wakeSleepers()
    this.wake?.()
    setTimeout(() => {
      this.canceled = true
      for (const c of this.connections) if (c.busy) c.abort('canceled', 'the run was stopped')
    }, 1000).unref()
  }

  private scheduleTick(): void {
    const t = now()
    const next = this.start + Math.ceil((t - this.start + 1) / 1000) * 1000 + 5
    this.ticker = setTimeout(() => {
      this.post({ type: 'tick', seconds: this.rec.flush(now(), false), totals: this.rec.totals })
      this.scheduleTick()
    }, Math.max(1, next - t))
  }

  private sweep(): void {
    const t = now()
    for (const c of this.connections) if (c.deadline < t) c.abort('timeout', `no response within ${this.plan.timeoutMs} ms`)
    for (const p of this.pools.values()) p.drop(t - this.plan.timeoutMs)
  }

  private async runOpen(): Promise<void> {
    const fitted = fitStages(this.plan.stages!, this.plan.durationMs)
    const stages = fitted?.stages ?? unboundedStages(this.plan.stages!)
    const limit = this.plan.requests ?? Infinity
    const arrivals = new Arrivals(stages, this.index, this.count)
    let next = arrivals.take()
    const running = new Set<Promise<void>>()
    let slice = now()
    let sent = 0
    while (next !== undefined && next.index < limit && !this.stopping) {
      const due = this.start + next.at
      if (due >= this.endAt) break
      const t = now()
      if (due > t) {
        await new Promise<void>((r) => {
          this.wake = r
          setTimeout(r, Math.max(1, Math.floor(due - t)))
        })
        this.wake = undefined
        slice = now()
        sent = 0
        continue
      }
      // behind schedule: send what is due, but let responses, timeouts and ticks run every couple of ms
      if (++sent > 256 || t - slice > 2) {
        await new Promise((r) => setImmediate(r))
        slice = now()
        sent = 0
      }
      const p = this.iterate(due, next.index, undefined).catch((err: unknown) => this.fatal(err))
      running.add(p)
      void p.then(() => running.delete(p))
      next = arrivals.take()
    }
    // the send phase is over: no new arrivals; iterations already started run to their end (requests still
    // waiting for a connection are sent, late, or dropped at their timeout), unless stop() cuts them
    this.stopping = true
    await Promise.all(running)
  }

  private fatal(err: unknown): void {
    this.post({ type: 'fatal', message: err instanceof Error ? err.message : String(err) })
  }

  private async runClosed(): Promise<void> {
    const users = this.plan.connections
    const mine: number[] = []
    for (let v = this.index; v < users; v += this.count) mine.push(v)
    if (this.plan.requests !== undefined) {
      const base = Math.floor(this.plan.requests / this.count)
      this.budget = base + (this.index < this.plan.requests % this.count ? 1 : 0)
    }
    let endTimer: NodeJS.Timeout | undefined
    if (Number.isFinite(this.endAt)) {
      // no new iterations after the end; those in flight run to their end
      endTimer = setTimeout(() => {
        this.stopping = true
      }, Math.max(0, this.endAt - now()))
    }
    let iteration = this.index
    await Promise.all(
      mine.map(async (id) => {
        const vu: Vu = { id, conns: new Map() }
        while (!this.stopping && now() < this.endAt && this.budget > 0) {
          this.budget--
          const it = iteration
          iteration += this.count
          await this.iterate(now(), it, vu).catch((err: unknown) => this.fatal(err))
        }
      }),
    )
    clearTimeout(endTimer)
    this.stopping = true
  }

  private wakeSleepers(): void {
    for (const s of this.sleepers) {
      clearTimeout(s.timer)
      s.resolve()
    }
    this.sleepers.clear()
  }

  private sleep(ms: number): Promise<void> {
    if (this.halted || ms <= 0) return Promise.resolve()
    return new Promise((resolve) => {
      const s = { timer: setTimeout(() => {
        this.sleepers.delete(s)
        resolve()
      }, ms), resolve }
      this.sleepers.add(s)
    })
  }

  private pick(): { flow: FlowPlan; steps: Prepared[] } {
    if (this.flows.length === 1) return this.flows[0]!
    let r = Math.random() * this.totalWeight
    for (let i = 0; i < this.flows.length; i++) {
      r -= this.weights[i]!
      if (r < 0) return this.flows[i]!
    }
    return this.flows[this.flows.length - 1]!
  }

  /** One iteration: a flow's steps (or the one request), from `intended`. */
  private async iterate(intended: number, iteration: number, vu: Vu | undefined): Promise<void> {
    const { steps } = this.pick()
    const flows = this.plan.flows !== undefined
    let vars: Record<string, string> | undefined
    let jar: Map<string, string> | undefined
    if (flows) {
      vars = { iteration: String(iteration), vu: String(vu?.id ?? iteration) }
      for (const [name, values] of Object.entries(this.vars)) if (values.length > 0) vars[name] = values[Math.floor(Math.random() * values.length)]!
      jar = new Map()
      this.rec.totals.iterationsStarted++
    }
    let due = intended
    let finished = true
    for (let i = 0; i < steps.length; i++) {
      if (i > 0 && this.halted) {
        finished = false
        break
      }
      const step = steps[i]!
      const sent = await this.send(step, due, vu, vars, jar, i === 0)
      if (!sent) {
        finished = false
        break
      }
      if (step.think) await this.sleep(step.think.minMs + Math.random() * (step.think.maxMs - step.think.minMs))
      due = now()
    }
    if (flows && finished) this.rec.totals.iterationsCompleted++
  }

  /** Sends one request and records it; false when it was never sent (dropped, or the run ended first). */
  private async send(step: Prepared, intended: number, vu: Vu | undefined, vars: Record<string, string> | undefined, jar: Map<string, string> | undefined, first: boolean): Promise<boolean> {
    let conn: Connection
    let pool: Pool | undefined
    if (vu) {
      let c = vu.conns.get(step.origin.key)
      if (!c || !c.usable) {
        if (c) this.connections.delete(c)
        c = new Connection(step.origin.host, step.origin.port)
        vu.conns.set(step.origin.key, c)
        this.connections.add(c)
      }
      conn = c
    } else {
      pool = this.pools.get(step.origin.key)
      // the run's connection limit is shared among its workers
      if (!pool) {
        const c = this.plan.connections
        const max = Math.floor(c / this.count) + (this.index < c % this.count ? 1 : 0)
        this.pools.set(step.origin.key, (pool = new Pool(step.origin, Math.max(1, max), this.connections, (intended) => this.rec.dropped(now(), intended))))
      }
      const got = pool.acquire(intended)
      try {
        conn = got instanceof Connection ? got : await got
      } catch {
        return false // dropped: counted by whoever dropped it
      }
      if (this.canceled) {
        pool.release(conn)
        return false
      }
    }
    const bytes = step.fixed ?? this.build(step, vars!, jar)
    const written = now()
    this.lastWrite = written
    if (first) this.lastFirstWrite = written
    this.rec.sent(written, written - intended > this.plan.lateAfterMs)
    let status: number | undefined
    let kind: string | undefined
    try {
      const res = await conn.request(bytes, { head: step.head, wantCookies: jar !== undefined, deadline: written + this.plan.timeoutMs })
      status = res.status
      this.rec.totals.bytesIn += res.bytesIn
      if (jar && res.cookies) for (const c of res.cookies) {
        const pair = c.split(';', 1)[0]!
        const eq = pair.indexOf('=')
        if (eq > 0) jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim())
      }
    } catch (err) {
      kind = err instanceof RequestError ? err.kind : 'other'
    }
    this.rec.totals.bytesOut += bytes.length
    const end = now()
    this.lastEnd = Math.max(this.lastEnd, end)
    const ok = status !== undefined && (step.expect ? step.expect.includes(status) : status >= 200 && status < 400)
    if (ok) this.ok++
    this.rec.ended(end, intended, written, status, kind, this.plan.flows ? { key: step.key, flow: step.flow, name: step.name, ok } : undefined)
    pool?.release(conn)
    return true
  }

  private build(step: Prepared, vars: Record<string, string>, jar: Map<string, string> | undefined): Buffer {
    const headers: [string, string][] = step.headers.map(([k, t]) => [k, fill(t, vars)])
    if (jar && jar.size > 0) {
      const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
      const i = headers.findIndex(([k]) => k === 'cookie')
      if (i >= 0) headers[i] = ['cookie', `${headers[i]![1]}; ${cookie}`]
      else headers.push(['cookie', cookie])
    }
    return requestBytes(step.method, fill(step.target, vars), step.origin, headers, step.body && fill(step.body, vars))
  }

  private async drain(): Promise<void> {
    while (this.rec.totals.inFlight > 0) await new Promise((r) => setTimeout(r, 5))
  }
}
