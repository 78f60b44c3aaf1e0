/** @module runtime/proxy/stream: chunks, sinks and the ordered hold queue every timed toxic is built on. */

import { performance } from 'node:perf_hooks'

/**
 * Per-message facts an HTTP session attaches to the chunks of one request or response, so that a stage can
 * act per request. In TCP mode the whole connection is one message (`msg` 0) and `meta` is absent.
 */
export interface MessageMeta {
  /** Ids of the http faults whose matchers selected this message. */
  matched?: ReadonlySet<string>
}

/** One piece of a byte stream in flight. `end` marks the half-close (FIN) and carries no data. */
export interface Chunk {
  data: Buffer
  /** Ordinal of the message the bytes belong to (a request or a response; 0 for a TCP connection). */
  msg: number
  end?: boolean
  /**
   * With `end`: a toxic closes the connection here (Toxiproxy closing a stub). `fin`: this direction's
   * destination gets its FIN and is then closed, and the other direction ends as if its source had closed;
   * `rst`: both sockets are reset. The chunk flows through later stages like any end (FIFO).
   */
  close?: 'fin' | 'rst'
  meta?: MessageMeta
  /** Called once the chunk has been handed to the destination socket (the last chunk of an HTTP message). */
  done?: () => void
}

/** Where a stage hands its chunks on. Calls must come in order; the sink keeps that order. */
export interface Sink {
  write(chunk: Chunk): void
}

/** Monotonic milliseconds with sub-millisecond resolution. */
export const now = (): number => performance.now()

/**
 * Counters a fault keeps across every connection it acts on, read by `stats()` as proof of effect.
 * `connections`/`requests`: how many connections (TCP) or requests (HTTP) it selected and acted on.
 */
export interface FaultCounters {
  connections: number
  requests: number
  chunks: number
  bytes: number
}

export const newCounters = (): FaultCounters => ({ connections: 0, requests: 0, chunks: 0, bytes: 0 })

/** The link a stage belongs to, as the stage sees it: told when held bytes leave so it can resume reading. */
export interface StageHost {
  released(): void
  /** Gather what reaches the socket until `endBatch`, so that several released chunks leave in one write. */
  beginBatch(): void
  endBatch(): void
}

/** How a stage selects what it acts on. */
export interface StageOptions {
  /** HTTP mode: percent is drawn and effects are counted per request (message), not per connection. */
  perMessage: boolean
  percent: number
  /** Act only on messages whose meta lists this fault as matched (http faults). */
  needsMatch: boolean
}

/**
 * One toxic acting on one direction of one connection. A stage is FIFO: it never lets a later chunk
 * overtake an earlier one, so a chain of stages preserves the order of the stream.
 *
 * ```
 *   write(chunk) ──▶ [ held, each with a due time ] ──(due)──▶ next.write(chunk)
 * ```
 * `drain()` (the fault was removed) passes everything held on at once, in order, and turns the stage
 * into a pass-through; the link then unlinks it.
 */
export abstract class Stage implements Sink {
  next: Sink
  protected readonly queue: { chunk: Chunk; due: number }[] = []
  protected head = 0
  private heldBytes = 0
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined
  private timerDue = Infinity
  protected draining = false
  private readonly decided = new Map<number, boolean>()
  private lastCounted = -1

  constructor(
    readonly faultId: string,
    protected readonly host: StageHost,
    protected readonly counters: FaultCounters,
    /** HTTP mode: percent is drawn and effects are counted per request, not per connection. */
    private readonly opts: StageOptions,
    next: Sink,
  ) {
    this.next = next
  }

  /** Whether this stage acts on the chunk's message (percent per request, matchers); counts what it touches. */
  protected selects(chunk: Chunk): boolean {
    if (this.opts.needsMatch && !chunk.meta?.matched?.has(this.faultId)) return false
    let d = true
    if (this.opts.perMessage && this.opts.percent < 100) {
      const known = this.decided.get(chunk.msg)
      if (known === undefined) {
        d = Math.random() * 100 < this.opts.percent
        if (this.decided.size > 256) this.decided.clear()
        this.decided.set(chunk.msg, d)
      } else d = known
    }
    if (d) {
      if (this.opts.perMessage && chunk.msg !== this.lastCounted) {
        this.lastCounted = chunk.msg
        this.counters.requests++
      }
      this.counters.chunks++
      this.counters.bytes += chunk.data.length
    }
    return d
  }

  protected isPerMessage(): boolean {
    return this.opts.perMessage
  }

  /** The time the chunk may leave, given the due time of the chunk before it (FIFO). Infinity holds it. */
  protected abstract dueFor(chunk: Chunk, t: number, lastDue: number): number

  /** The time the end (FIN) may leave; by default right behind the chunk before it. */
  protected dueForEnd(_chunk: Chunk, _t: number, lastDue: number): number {
    return Math.max(lastDue, 0)
  }

  /**
   * Whether chunks released together are gathered into one write. A stage whose point is separate writes
   * (the slicer) turns it off.
   */
  protected batchRelease = true

  private lastDue = 0

  write(chunk: Chunk): void {
    if (this.draining) {
      if (this.queue.length === this.head) this.next.write(chunk)
      else this.push(chunk, 0)
      return
    }
    const t = now()
    const prev = this.queue.length > this.head ? this.lastDue : 0
    const due = chunk.end ? this.dueForEnd(chunk, t, prev) : this.dueFor(chunk, t, prev)
    if (due <= t && this.queue.length === this.head) {
      this.next.write(chunk)
      return
    }
    this.push(chunk, Math.max(due, prev))
  }

  private push(chunk: Chunk, due: number): void {
    this.queue.push({ chunk, due })
    this.lastDue = due
    this.heldBytes += chunk.data.length
    this.arm()
  }

  /** Bytes held right now. */
  held(): number {
    return this.heldBytes
  }

  /** Whether the stage wants the source paused (a bounded queue is full). */
  full(): boolean {
    return false
  }

  protected arm(): void {
    if (this.queue.length === this.head) return
    const due = this.queue[this.head]!.due
    if (due === Infinity) return
    if (this.timer !== undefined && this.timerDue <= due) return
    this.stopTimer()
    this.timerDue = due
    // Never early: a chunk leaves once its due time has passed (a latency of 10 ms is at least 10 ms, as netem and
    // Toxiproxy hold it). Timers fire on a millisecond clock and can fire early (their start is the loop's cached
    // clock); then the last fraction of a millisecond is waited out on the next loop turns (I/O still runs in
    // between) instead of a further timer that could not wait less than 1 ms. Only for the chunk the timer was
    // aimed at, so no stage ever spins for long.
    const wait = due - now()
    if (wait < 1 && due === this.aimed) {
      this.soon = true
      this.timer = setImmediate(this.fire)
    } else {
      this.soon = false
      this.timer = setTimeout(this.fire, Math.max(0, wait))
    }
  }

  /** Whether `timer` is an immediate (else a timeout). */
  private soon = false

  private stopTimer(): void {
    if (this.timer === undefined) return
    if (this.soon) clearImmediate(this.timer as unknown as NodeJS.Immediate)
    else clearTimeout(this.timer as NodeJS.Timeout)
    this.timer = undefined
    this.timerDue = Infinity
  }

  /** While a timer's release runs: the due time it was aimed at. */
  private aimed = NaN

  private readonly fire = (): void => {
    this.aimed = this.timerDue
    this.timer = undefined
    this.timerDue = Infinity
    this.release(now())
    this.aimed = NaN
  }

  /** Passes on every held chunk due by `until`, in order. */
  protected release(until: number): void {
    let n = 0
    const many = this.batchRelease && this.queue.length > this.head + 1 && this.queue[this.head + 1]!.due <= until
    if (many) this.host.beginBatch()
    try {
      while (this.queue.length > this.head) {
        const item = this.queue[this.head]!
        if (item.due > until) break
        this.head++
        this.heldBytes -= item.chunk.data.length
        n++
        this.next.write(item.chunk)
      }
    } finally {
      if (many) this.host.endBatch()
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head)
      this.head = 0
    } else if (this.head === this.queue.length) {
      this.queue.length = 0
      this.head = 0
    }
    if (n > 0) this.host.released()
    this.arm()
  }

  /** The fault was removed: pass on everything held, in order, and become a pass-through. */
  drain(): void {
    this.draining = true
    this.stopTimer()
    this.release(Infinity)
  }

  /** The connection is gone: drop everything held and stop timers. */
  destroy(): void {
    this.stopTimer()
    this.queue.length = 0
    this.head = 0
    this.heldBytes = 0
  }
}
