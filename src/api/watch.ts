/**
 * @module api/watch: the server-sent-event watch (`GET /api/v1/watch`): each change is serialised once and
 * fanned out to every watcher through a bounded queue; a watcher that falls behind is sent `dropped` and closed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ChangeNotice } from './types.js'

/** What the hub listens to: the controller's `change` events. */
export interface ChangeSource {
  on(event: 'change', listener: (change: ChangeNotice) => void): unknown
  off?(event: 'change', listener: (change: ChangeNotice) => void): unknown
}

export interface WatchOptions {
  /** Milliseconds between keep-alive comments (default 15 s). */
  heartbeatMs?: number
  /** Frames a watcher may have waiting before it is dropped (default 2000). */
  maxQueuedEvents?: number
  /** Bytes a watcher may have waiting before it is dropped (default 8 MiB). */
  maxQueuedBytes?: number
  /** How long a dropped watcher's connection is kept for it to read the `dropped` event (default 10 s). */
  dropGraceMs?: number
  /** Ends every watch when aborted (the server is closing). */
  signal?: AbortSignal
}

/** The data of the last event a dropped watcher is sent (`event: dropped`). */
export interface DroppedNotice {
  /** `TooSlow`: its queue overflowed; `InternalError`: a change could not be serialised. */
  reason: 'TooSlow' | 'InternalError'
  message: string
  /** The id of the last change this watcher was sent; later changes were not sent to it. */
  lastId: number
  limits: { events: number; bytes: number }
}

/** One SSE frame, encoded once and shared by every watcher it goes to. `id` is 0 for frames that are not changes. */
interface Frame {
  readonly bytes: Uint8Array
  readonly id: number
}

const encoder = new TextEncoder()
const frame = (text: string, id = 0): Frame => ({ bytes: encoder.encode(text), id })
const READY = frame('event: ready\ndata: {}\n\n')
const KEEP_ALIVE = frame(': keep-alive\n\n')
/** Frames waiting for one watcher are joined into chunks of at most this many bytes (a lone larger frame goes as it is). */
const CHUNK_BYTES = 16 * 1024

/**
 * The watchers of one API. Subscribes to the source while it has a watcher, and only then.
 *
 * ```
 *  source 'change' ─▶ publish ─┬─ filter(w₁) ─▶ queue w₁ (≤ events, ≤ bytes) ─▶ flush ─▶ stream w₁ ─▶ socket
 *                              ├─ filter(w₂) ─▶ queue w₂ ─ overflow ─▶ `dropped` ─▶ close (socket destroyed after the grace)
 *                              └─ …   JSON.stringify and encode: once per change, on the first watcher it matches
 * ```
 *
 * publish() never waits for a watcher and never throws into the source: it appends a shared frame to the queues of
 * the watchers the change matches; a macrotask later (setImmediate) each queue that its stream is ready for goes
 * out as one chunk, and the rest go when their stream asks for more (a reader waiting on its socket's drain asks
 * later). A watcher whose stream is cancelled (its socket closed) is removed at once. Change ids (`id:`) count the
 * changes the hub has seen: one sequence for every watcher, so a filtered watcher sees gaps.
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
  /** Watchers with frames waiting, for the next flush. */
  private readonly dirty = new Set<Watcher>()
  private flushing: NodeJS.Immediate | undefined
  private heartbeat: NodeJS.Timeout | undefined
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
   * and a last `dropped` event if the watcher falls behind. `request.signal` aborting ends it; given the Node
   * response (`env.outgoing`, as @hono/node-server passes it), a dropped watcher that does not read its last event
   * within the grace has its connection destroyed.
   */
  open(filter: (change: ChangeNotice) => boolean, from: { request?: Request; env?: unknown } = {}): Response {
    const outgoing = (from.env as { outgoing?: ServerResponse; incoming?: IncomingMessage } | undefined)?.outgoing
    const w = new Watcher(this, filter, outgoing)
    if (this.opts.signal?.aborted) w.end()
    else {
      this.watchers.add(w)
      this.subscribe()
      w.push(READY)
      this.schedule(w)
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

  private publish(change: ChangeNotice): void {
    const id = ++this.seq
    let out: Frame | undefined
    for (const w of this.watchers) {
      let match = false
      try {
        match = w.filter(change)
      } catch {
        // a filter that throws matches nothing; the filters are built from validated queries
      }
      if (!match) continue
      if (!out) {
        try {
          out = frame(`event: change\ndata: ${JSON.stringify(change)}\nid: ${id}\n\n`, id)
          this.counts.serialised++
        } catch (e) {
          // cannot be sent to anyone: every watcher it matches is told, rather than silently missing it
          for (const m of [...this.watchers]) if (safe(m.filter, change)) this.drop(m, 'InternalError', `change ${id} could not be serialised: ${(e as Error).message}`)
          return
        }
      }
      if (!w.push(out)) this.drop(w, 'TooSlow', `this watcher fell behind by more than ${this.limits.events} events or ${this.limits.bytes} bytes; list again, then watch again`)
      else this.schedule(w)
    }
  }

  private drop(w: Watcher, reason: DroppedNotice['reason'], message: string): void {
    if (!this.watchers.has(w)) return
    this.counts.dropped++
    this.remove(w)
    const notice: DroppedNotice = { reason, message, lastId: w.lastId, limits: this.limits }
    w.drop(frame(`event: dropped\ndata: ${JSON.stringify(notice)}\n\n`), this.dropGraceMs)
  }

  /** @internal the watcher's stream ended or was cancelled */
  remove(w: Watcher): void {
    this.watchers.delete(w)
    this.dirty.delete(w)
    if (this.watchers.size === 0) this.unsubscribe()
  }

  private schedule(w: Watcher): void {
    this.dirty.add(w)
    this.flushing ??= setImmediate(() => {
      this.flushing = undefined
      const ready = [...this.dirty]
      this.dirty.clear()
      for (const x of ready) x.deliver()
    })
  }

  private subscribe(): void {
    if (this.subscribed) return
    this.subscribed = true
    this.source.on('change', this.listener)
    this.heartbeat = setInterval(() => {
      for (const w of this.watchers) {
        if (!w.push(KEEP_ALIVE)) this.drop(w, 'TooSlow', `this watcher did not read for ${this.limits.events} keep-alives; watch again`)
        else this.schedule(w)
      }
    }, this.heartbeatMs).unref()
  }

  private unsubscribe(): void {
    if (!this.subscribed) return
    this.subscribed = false
    this.source.off?.('change', this.listener)
    clearInterval(this.heartbeat)
    this.heartbeat = undefined
  }
}

function safe(filter: (change: ChangeNotice) => boolean, change: ChangeNotice): boolean {
  try {
    return filter(change)
  } catch {
    return false
  }
}

/** One watch stream: its queue of shared frames and the ReadableStream the HTTP server reads. */
class Watcher {
  readonly stream: ReadableStream<Uint8Array>
  /** The id of the last change handed to the stream. */
  lastId = 0
  private controller!: ReadableStreamDefaultController<Uint8Array>
  private queue: Frame[] = []
  private bytes = 0
  /** The stream has a read waiting: the next frames can go at once. */
  private wanting = false
  private state: 'open' | 'dropping' | 'ended' = 'open'
  private grace: NodeJS.Timeout | undefined

  constructor(
    private readonly hub: WatchHub,
    readonly filter: (change: ChangeNotice) => boolean,
    private readonly outgoing: ServerResponse | undefined,
  ) {
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (c) => {
          this.controller = c
        },
        pull: () => {
          this.wanting = true
          this.deliver()
        },
        cancel: () => this.end(),
      },
      { highWaterMark: 0 },
    )
  }

  /** Appends a frame; false when that would pass the queue's limits (nothing is appended then). */
  push(f: Frame): boolean {
    if (this.state !== 'open') return true
    if (this.queue.length + 1 > this.hub.limits.events || this.bytes + f.bytes.byteLength > this.hub.limits.bytes) return false
    this.queue.push(f)
    this.bytes += f.bytes.byteLength
    return true
  }

  /** Hands the waiting frames to the stream as one chunk, if it is ready for them. */
  deliver(): void {
    if (!this.wanting || this.queue.length === 0 || this.state === 'ended') return
    let n = 1
    let size = this.queue[0]!.bytes.byteLength
    while (n < this.queue.length && size + this.queue[n]!.bytes.byteLength <= CHUNK_BYTES) size += this.queue[n++]!.bytes.byteLength
    const out = this.queue.splice(0, n)
    this.bytes -= size
    let chunk: Uint8Array
    if (n === 1) chunk = out[0]!.bytes
    else {
      chunk = new Uint8Array(size)
      let at = 0
      for (const f of out) {
        chunk.set(f.bytes, at)
        at += f.bytes.byteLength
      }
    }
    for (const f of out) if (f.id > 0) this.lastId = f.id
    this.wanting = false
    this.controller.enqueue(chunk)
    if (this.state === 'dropping' && this.queue.length === 0) {
      this.state = 'ended'
      this.controller.close()
      if (!this.outgoing) clearTimeout(this.grace)
    }
  }

  /** Replaces what is waiting with the `dropped` event, then ends; the connection goes after `graceMs` at most. */
  drop(last: Frame, graceMs: number): void {
    if (this.state !== 'open') return
    this.state = 'dropping'
    this.queue = [last]
    this.bytes = last.bytes.byteLength
    this.grace = setTimeout(() => this.destroy(), graceMs).unref()
    this.outgoing?.once('close', () => clearTimeout(this.grace))
    this.deliver()
  }

  /** Ends the stream (the client went, or the server is closing). Idempotent. */
  end(): void {
    this.hub.remove(this)
    clearTimeout(this.grace)
    if (this.state === 'ended') return
    this.state = 'ended'
    this.queue = []
    this.bytes = 0
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
    this.queue = []
    this.controller.error(new Error('watch dropped: the client did not read its stream'))
  }
}
