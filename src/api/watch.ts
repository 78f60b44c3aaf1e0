/**
 * @module api/watch: the server-sent-event watch (`GET /api/v1/watch`): each change is serialised once into a
 * bounded log that every watcher reads at its own pace; a watcher that falls behind the log is sent `dropped`.
 */
import type { ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { ChangeNotice } from './types.js'

/** What the hub listens to: the controller's `change` events. */
export interface ChangeSource {
  on(event: 'change', listener: (change: ChangeNotice) => void): unknown
  off?(event: 'change', listener: (change: ChangeNotice) => void): unknown
}

export interface WatchOptions {
  /** Milliseconds between keep-alive comments (default 15 s). */
  heartbeatMs?: number
  /** How many events a watcher may be behind before it is dropped (default 2000). */
  maxQueuedEvents?: number
  /** How many bytes of events a watcher may be behind before it is dropped (default 8 MiB). */
  maxQueuedBytes?: number
  /** How long a dropped watcher's connection is kept for it to read the `dropped` event (default 10 s). */
  dropGraceMs?: number
  /** Ends every watch when aborted (the server is closing). */
  signal?: AbortSignal
}

/** The data of the last event a dropped watcher is sent (`event: dropped`). */
export interface DroppedNotice {
  /**
   * `TooSlow`: it fell further behind than the limits; `InternalError`: a change could not be serialised;
   * `Unauthorized`: the watcher's token was revoked or expired.
   */
  reason: 'TooSlow' | 'InternalError' | 'Unauthorized'
  message: string
  /** The id of the last change this watcher was sent; later changes were not sent to it. */
  lastId: number
  limits: { events: number; bytes: number }
}

/** One SSE frame, encoded once and shared by every watcher it goes to. `id` is 0 for frames that are not changes. */
interface Frame {
  readonly bytes: Uint8Array
  readonly id: number
  /** Unique per frame object: a key for the runs of frames joined once for many watchers. */
  readonly seq: number
}

/** A log entry: a change and its frame, or a keep-alive (no change). */
interface Entry {
  readonly frame: Frame
  readonly change?: ChangeNotice
}

const encoder = new TextEncoder()
let frames = 0
const frame = (text: string, id = 0): Frame => ({ bytes: encoder.encode(text), id, seq: ++frames })
const READY = frame('event: ready\ndata: {}\n\n')
const KEEP_ALIVE: Entry = { frame: frame(': keep-alive\n\n') }
const CRLF = encoder.encode('\r\n')
/** A watcher is sent at most this many bytes in one write (a lone larger frame goes as it is). */
const CHUNK_BYTES = 64 * 1024
/** The next flush waits this many times as long as the last one took: fanning out takes at most 1/4 of the loop. */
const FLUSH_PACE = 3
/** A flush is never put off by more than this, however long the last one took. */
const MAX_FLUSH_DELAY_MS = 100

/**
 * The watchers of one API. Subscribes to the source while it has a watcher, and only then.
 *
 * ```
 *  source 'change' ─▶ publish: JSON.stringify + encode, once ─▶ log (bounded: events, bytes; oldest trimmed)
 *                                                                  │  each watcher: a cursor into the log
 *                               flush (paced) ─▶ for each watcher that is behind and whose socket takes writes:
 *                                                 the entries after its cursor that its filter matches
 *                                                 ─▶ one chunk (joined once per run, shared) ─▶ socket
 *  trimmed past a watcher's cursor ─▶ `dropped` ─▶ end of its response (its connection destroyed after the grace)
 * ```
 *
 * publish() never waits for a watcher, never touches one, and never throws into the source: it appends to the
 * log and schedules a flush. The flush runs a macrotask later, and waits after the last one for FLUSH_PACE times
 * as long as that took (at most MAX_FLUSH_DELAY_MS), so the more watchers there are, the more changes go out in
 * one write to each. A watcher whose socket has not drained is skipped until it has. A watcher whose connection
 * closes is removed at once. Change ids (`id:`) count the changes the hub has seen: one sequence for every
 * watcher, so a filtered watcher sees gaps.
 *
 * @example
 * const hub = new WatchHub(controller, { heartbeatMs: 15_000, signal })
 * app.get('/api/v1/watch', (c) => hub.open((change) => matches(change, q), { request: c.req.raw, env: c.env }))
 */
export class WatchHub {
  readonly limits: { events: number; bytes: number }
  private readonly heartbeatMs: number
  private readonly dropGraceMs: number
  private readonly watchers = new Set<Watcher>()
  /** The changes not yet read by every watcher; `log[0]` is number `base` of the hub's changes. */
  private log: Entry[] = []
  private base = 0
  private logBytes = 0
  /** No watcher's cursor is below this (cursors only move on). */
  private low = 0
  /** Runs of frames joined into one chunk since the last flush, by first and last frame and length. */
  private readonly joined = new Map<string, { run: readonly Frame[]; bytes: Uint8Array }>()
  private flushing: NodeJS.Immediate | NodeJS.Timeout | undefined
  private nextFlushAt = 0
  private heartbeat: NodeJS.Timeout | undefined
  /** The watchers opened with a token, and whether it is still good. */
  private readonly authorized = new Map<Watcher, () => boolean>()
  private subscribed = false
  private seq = 0
  private readonly counts = { serialised: 0, dropped: 0 }
  private readonly listener = (change: ChangeNotice) => this.publish(change)

  constructor(
    private readonly source: ChangeSource,
    private readonly opts: WatchOptions = {},
  ) {
    this.heartbeatMs = opts.heartbeatMs ?? 15_000
    this.dropGraceMs = opts.dropGraceMs ?? 10_000
    this.limits = { events: opts.maxQueuedEvents ?? 2000, bytes: opts.maxQueuedBytes ?? 8 * 1024 * 1024 }
    opts.signal?.addEventListener('abort', () => this.closeAll(), { once: true })
  }

  /** Open watchers, changes serialised and watchers dropped so far. */
  stats(): { watchers: number; serialised: number; dropped: number } {
    return { watchers: this.watchers.size, ...this.counts }
  }

  /**
   * A `text/event-stream` response: `ready`, then one `change` event per matching change, keep-alive comments,
   * and a last `dropped` event if the watcher falls behind. `request.signal` aborting ends it. Given the Node
   * response (`env.outgoing`, as @hono/node-server passes it), frames go to its socket directly, and a dropped
   * watcher that does not read its last event within the grace has its connection destroyed.
   */
  open(filter: (change: ChangeNotice) => boolean, from: { request?: Request; env?: unknown; authorized?: () => boolean } = {}): Response {
    const outgoing = (from.env as { outgoing?: ServerResponse } | undefined)?.outgoing
    const authorized = from.authorized
    // a watcher whose token stops being good gets nothing more, and is dropped at the next heartbeat
    const w = new Watcher(this, authorized ? (change) => authorized() && filter(change) : filter, outgoing, this.end)
    if (authorized) this.authorized.set(w, authorized)
    if (this.opts.signal?.aborted) w.end()
    else {
      this.watchers.add(w)
      this.subscribe()
      this.wake()
      from.request?.signal.addEventListener('abort', () => w.end(), { once: true })
    }
    return new Response(w.stream, {
      status: 200,
      headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'transfer-encoding': 'chunked' },
    })
  }

  /** Ends every watch (the server is closing). */
  closeAll(): void {
    for (const w of [...this.watchers]) w.end()
  }

  /** The number of the next change to be logged. */
  private get end(): number {
    return this.base + this.log.length
  }

  private publish(change: ChangeNotice): void {
    const id = ++this.seq
    let text: string
    try {
      text = `event: change\ndata: ${JSON.stringify(change)}\nid: ${id}\n\n`
    } catch (e) {
      // cannot be sent to anyone: every watcher it matches is told, rather than silently missing it
      for (const w of [...this.watchers]) if (safe(w.filter, change)) this.drop(w, 'InternalError', `change ${id} could not be serialised: ${(e as Error).message}`)
      return
    }
    this.counts.serialised++
    this.append({ frame: frame(text, id), change })
  }

  private append(entry: Entry): void {
    this.log.push(entry)
    this.logBytes += entry.frame.bytes.byteLength
    if (this.log.length > this.limits.events || this.logBytes > this.limits.bytes) this.trim()
    this.wake()
  }

  /**
   * Forgets the oldest entries beyond the limits. A watcher that has not read them is further behind than the
   * limits, and is dropped; the watchers are looked at only when the cut passes the lowest cursor last seen.
   */
  private trim(): void {
    let n = 0
    let bytes = this.logBytes
    while (n < this.log.length && (this.log.length - n > this.limits.events || bytes > this.limits.bytes)) bytes -= this.log[n++]!.frame.bytes.byteLength
    const cut = this.base + n
    if (this.low < cut) {
      let low = this.end
      for (const w of [...this.watchers]) {
        if (w.cursor < cut) this.drop(w, 'TooSlow', `this watcher fell behind by more than ${this.limits.events} events or ${this.limits.bytes} bytes; list again, then watch again`)
        else low = Math.min(low, w.cursor)
      }
      this.low = low
    }
    this.forget(n, bytes)
  }

  private forget(n: number, bytes: number): void {
    if (n <= 0) return
    this.log = this.log.slice(n)
    this.base += n
    this.logBytes = bytes
  }

  private drop(w: Watcher, reason: DroppedNotice['reason'], message: string): void {
    if (!this.watchers.has(w)) return
    this.counts.dropped++
    this.remove(w)
    const notice: DroppedNotice = { reason, message, lastId: w.lastId, limits: this.limits }
    w.drop(frame(`event: dropped\ndata: ${JSON.stringify(notice)}\n\n`), this.dropGraceMs)
  }

  /**
   * The next frames for a watcher at `cursor`: the entries after it that `filter` matches, up to CHUNK_BYTES.
   * Returns them and the cursor after the last entry looked at.
   * @internal
   */
  take(cursor: number, filter: (change: ChangeNotice) => boolean, out: Frame[], room: number): { cursor: number; size: number } {
    let size = 0
    let i = Math.max(cursor, this.base)
    for (; i < this.end; i++) {
      const e = this.log[i - this.base]!
      if (e.change && !safe(filter, e.change)) continue
      const b = e.frame.bytes.byteLength
      if (out.length > 0 && size + b > room) break
      out.push(e.frame)
      size += b
    }
    return { cursor: i, size }
  }

  /**
   * The frames as one chunk (`chunked`: framed as one HTTP/1.1 chunk, size line and CRLF). Watchers that read at
   * the same pace get the same run of frames, so a run is joined once and the chunk shared (until the next
   * flush), not copied for each watcher.
   * @internal
   */
  join(run: readonly Frame[], size: number, chunked: boolean): Uint8Array {
    if (run.length === 1 && !chunked) return run[0]!.bytes
    const key = `${run[0]!.seq}:${run[run.length - 1]!.seq}:${run.length}:${chunked ? 'c' : ''}`
    const hit = this.joined.get(key)
    if (hit && hit.run.every((f, i) => f === run[i])) return hit.bytes
    const head = chunked ? encoder.encode(`${size.toString(16)}\r\n`) : undefined
    const bytes = new Uint8Array(size + (head ? head.byteLength + 2 : 0))
    let at = 0
    if (head) {
      bytes.set(head)
      at = head.byteLength
    }
    for (const f of run) {
      bytes.set(f.bytes, at)
      at += f.bytes.byteLength
    }
    if (head) bytes.set(CRLF, at)
    if (this.joined.size >= 64) this.joined.clear()
    this.joined.set(key, { run: [...run], bytes })
    return bytes
  }

  /** @internal the watcher's stream ended or was cancelled */
  remove(w: Watcher): void {
    this.authorized.delete(w)
    if (!this.watchers.delete(w)) return
    if (this.watchers.size === 0) this.unsubscribe()
  }

  /** @internal there is something to send: a change was logged, or a watcher can take writes again */
  wake(): void {
    if (this.flushing) return
    const wait = this.nextFlushAt - performance.now()
    this.flushing = wait > 0 ? setTimeout(this.flush, Math.min(wait, MAX_FLUSH_DELAY_MS)) : setImmediate(this.flush)
  }

  /**
   * Sends every watcher that is behind what it can take, then forgets the entries every watcher has read. Node
   * sends what was written in the ticks right after, so the cost is measured up to the next turn of the event
   * loop, and the next flush waits FLUSH_PACE times as long.
   */
  private readonly flush = (): void => {
    this.flushing = undefined
    const start = performance.now()
    this.joined.clear()
    let low = this.end
    for (const w of this.watchers) {
      w.deliver()
      low = Math.min(low, w.cursor)
    }
    this.low = low
    let bytes = this.logBytes
    for (let i = this.base; i < low; i++) bytes -= this.log[i - this.base]!.frame.bytes.byteLength
    this.forget(low - this.base, bytes)
    setImmediate(() => {
      const now = performance.now()
      this.nextFlushAt = now + (now - start) * FLUSH_PACE
    })
  }

  private subscribe(): void {
    if (this.subscribed) return
    this.subscribed = true
    this.source.on('change', this.listener)
    this.heartbeat = setInterval(() => {
      for (const [w, ok] of this.authorized) if (!ok()) this.drop(w, 'Unauthorized', 'the token this watch was opened with was revoked or expired')
      this.append(KEEP_ALIVE)
    }, this.heartbeatMs).unref()
  }

  private unsubscribe(): void {
    if (!this.subscribed) return
    this.subscribed = false
    this.source.off?.('change', this.listener)
    clearInterval(this.heartbeat)
    this.heartbeat = undefined
    this.forget(this.log.length, 0)
  }
}

function safe(filter: (change: ChangeNotice) => boolean, change: ChangeNotice): boolean {
  try {
    return filter(change)
  } catch {
    return false // a filter that throws matches nothing; the filters are built from validated queries
  }
}

/**
 * One watch stream: its cursor into the hub's log, and where its frames go. The response body is a ReadableStream
 * (and that is all on hosts other than Node). Under @hono/node-server, given the Node response, the stream only
 * starts and ends the response: once the server has sent the headers and waits on the stream for data, each run
 * of frames goes straight to the socket as one HTTP chunk, framed once for every watcher that gets the same run
 * (the response is chunked, and nothing else writes to the socket until the stream closes and the server writes
 * the last chunk). Backpressure is the socket's own: no write while it has not drained.
 */
class Watcher {
  readonly stream: ReadableStream<Uint8Array>
  /** The number of the next log entry this watcher is to read. */
  cursor: number
  /** The id of the last change handed on to the client's connection. */
  lastId = 0
  /** Frames sent before the log's: `ready` first, `dropped` last. */
  private head: Frame[] = [READY]
  private controller!: ReadableStreamDefaultController<Uint8Array>
  /** Frames can go now: the stream has a read waiting, or the socket takes writes. */
  private ready = false
  /** The socket written to directly, once the response's headers are on it. */
  private socket: Socket | undefined
  private state: 'open' | 'dropping' | 'ended' = 'open'
  private grace: NodeJS.Timeout | undefined
  private readonly drained = () => {
    this.ready = true
    if (this.state === 'dropping') this.deliver() // no longer the hub's: only its last event to send
    else this.hub.wake()
  }

  constructor(
    private readonly hub: WatchHub,
    readonly filter: (change: ChangeNotice) => boolean,
    private readonly outgoing: ServerResponse | undefined,
    start: number,
  ) {
    this.cursor = start
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (c) => {
          this.controller = c
        },
        pull: () => {
          if (this.socket) return
          const res = this.outgoing
          // the headers are on the socket and nothing of this response waits in front of it
          if (res?.headersSent && res.socket && !res.destroyed && res.writableLength === res.socket.writableLength) {
            this.socket = res.socket
            this.socket.on('drain', this.drained)
          }
          this.ready = true
          this.deliver()
        },
        cancel: () => this.end(),
      },
      { highWaterMark: 0 },
    )
    outgoing?.once('close', () => this.end())
  }

  /** Sends what it can of the head and of the log after its cursor, while the client takes it. */
  deliver(): void {
    const run: Frame[] = []
    while (this.ready && this.state !== 'ended') {
      run.length = 0
      let size = 0
      while (this.head.length > 0 && size < CHUNK_BYTES) {
        const f = this.head.shift()!
        run.push(f)
        size += f.bytes.byteLength
      }
      if (this.state === 'open') {
        const taken = this.hub.take(this.cursor, this.filter, run, CHUNK_BYTES - size)
        this.cursor = taken.cursor
        size += taken.size
      }
      if (run.length === 0) break
      for (const f of run) if (f.id > 0) this.lastId = f.id
      if (this.socket) {
        if (this.socket.destroyed) return this.end()
        this.ready = this.socket.write(this.hub.join(run, size, true))
      } else {
        this.ready = false
        this.controller.enqueue(this.hub.join(run, size, false))
      }
    }
    if (this.state === 'dropping' && this.head.length === 0) this.finish()
  }

  /** Replaces what is waiting with the `dropped` event, then ends; the connection goes after `graceMs` at most. */
  drop(last: Frame, graceMs: number): void {
    if (this.state !== 'open') return
    this.state = 'dropping'
    this.head = [last]
    this.grace = setTimeout(() => this.destroy(), graceMs).unref()
    setImmediate(() => this.deliver()) // not from the emitter's call
  }

  /** Ends the stream (the client went, or the server is closing). Idempotent. */
  end(): void {
    this.hub.remove(this)
    clearTimeout(this.grace)
    this.head = []
    this.finish()
  }

  /** Closes the stream: the HTTP server then ends the response after what was written. */
  private finish(): void {
    if (this.state === 'ended') return
    this.state = 'ended'
    this.socket?.off('drain', this.drained)
    try {
      this.controller.close()
    } catch {
      // already closed or cancelled
    }
  }

  /** The grace is over and the client has not read its `dropped` event: let the connection go. */
  private destroy(): void {
    if (this.outgoing) {
      if (!this.outgoing.destroyed) this.outgoing.destroy()
      return
    }
    if (this.state === 'ended') return
    this.state = 'ended'
    this.controller.error(new Error('watch dropped: the client did not read its stream'))
  }
}
