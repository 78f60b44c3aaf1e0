/** @module runtime/proxy/link: one direction of one proxied connection, with its live chain of toxic stages. */

import type { Socket } from 'node:net'
import type { Chunk, Sink, Stage, StageHost } from './stream.js'

/** Held bytes across a link's stages above which the source is paused (bounded memory per connection). */
const HIGH_WATER = 1024 * 1024

/**
 * One direction of a connection: bytes read from `src` flow through the stages, in order, to `dst`.
 *
 * ```
 *   src ──data──▶ write() ──▶ [stage 1] ──▶ [stage 2] ──▶ … ──▶ terminal ──▶ dst.write / dst.end
 *    ▲                                                                          │
 *    └──────── pause while dst is full, or stages hold too much ◀───────────────┘
 * ```
 * Stages are added and removed while bytes flow. A new stage goes at the end of the chain; a removed stage
 * first passes on what it holds (in order), then is unlinked, so no byte it should pass is ever lost and no
 * chunk overtakes an earlier one. With no stage, `write` and `push` go straight to the socket.
 *
 * Batches: between `beginBatch()` and `endBatch()` what reaches the terminal is gathered and written at the
 * end, as one write when the pieces are adjacent in memory (an HTTP head and the body after it, read together)
 * and as one `writev` otherwise. Order, bytes and `done` callbacks are the same as unbatched; only the number
 * of system calls drops.
 */
export class Link implements StageHost {
  private readonly stages: Stage[] = []
  private head: Sink
  private paused = false
  private sinkBlocked = false
  /** Bytes handed to `dst`. */
  bytes = 0
  private readonly terminal: Sink
  private batching = 0
  private readonly out: Buffer[] = []
  private readonly outDone: (() => void)[] = []
  /** An end (FIN) was fed in. */
  inputEnded = false
  /** The end reached `dst` (`dst.end()` was called, or the link was reset). */
  outputEnded = false
  /** The connection is being closed by a toxic: whatever is fed in from now on is dropped. */
  shut = false
  /** Treat the end, when it reaches `dst`, as a toxic's `fin` close (the other direction was closed first). */
  closeOnEnd = false

  constructor(
    readonly src: Socket,
    readonly dst: Socket,
    private readonly onBytes: (n: number) => void,
    /** A toxic's close (an end chunk with `close`, or any end after `closeOnEnd`) reached `dst`. */
    private readonly onClose?: (how: 'fin' | 'rst') => void,
  ) {
    this.terminal = { write: (c: Chunk) => this.deliver(c) }
    this.head = this.terminal
    dst.on('drain', () => {
      this.sinkBlocked = false
      this.check()
    })
  }

  private deliver(c: Chunk): void {
    if (this.dst.destroyed || this.outputEnded) return
    if (c.end) {
      if (this.batching > 0) this.flushOut()
      this.outputEnded = true
      if (c.close === 'rst') {
        this.onClose?.('rst')
        return
      }
      this.dst.end()
      c.done?.()
      if (c.close || this.closeOnEnd) this.onClose?.('fin')
      return
    }
    if (this.batching > 0) {
      if (c.data.length > 0) this.gather(c.data)
      if (c.done) this.outDone.push(c.done)
      return
    }
    if (c.data.length > 0) this.send(c.data)
    c.done?.()
  }

  private send(data: Buffer): void {
    this.bytes += data.length
    this.onBytes(data.length)
    if (!this.dst.write(data)) this.block()
  }

  private gather(data: Buffer): void {
    const out = this.out
    const last = out.length > 0 ? out[out.length - 1]! : undefined
    if (last !== undefined && last.buffer === data.buffer && last.byteOffset + last.length === data.byteOffset) {
      out[out.length - 1] = Buffer.from(last.buffer, last.byteOffset, last.length + data.length)
    } else out.push(data)
  }

  private flushOut(): void {
    const out = this.out
    if (out.length === 1) {
      const b = out[0]!
      out.length = 0
      if (!this.dst.destroyed) this.send(b)
    } else if (out.length > 1) {
      const dst = this.dst
      if (!dst.destroyed) {
        dst.cork()
        for (const b of out) this.send(b)
        out.length = 0
        dst.uncork()
      } else out.length = 0
    }
    if (this.outDone.length > 0) {
      const dones = this.outDone.splice(0)
      for (const d of dones) d()
    }
  }

  /** Starts gathering output (nestable); `endBatch` writes it. */
  beginBatch(): void {
    this.batching++
  }

  endBatch(): void {
    if (--this.batching === 0) this.flushOut()
  }

  /** Writes what a batch gathered so far now (before the session closes the connection, say). */
  flushNow(): void {
    this.flushOut()
  }

  /** Whether no stage is on the chain: bytes written go straight to the socket. */
  get direct(): boolean {
    return this.stages.length === 0
  }

  /** Feeds raw stream bytes of message 0 (tcp mode). With no stage and no batch, writes straight to `dst`. */
  push(data: Buffer): void {
    if (this.shut) return
    if (this.stages.length === 0 && this.batching === 0) {
      if (!this.dst.destroyed) this.send(data)
      return
    }
    this.write({ data, msg: 0 })
  }

  /** Feeds one chunk in. The caller (socket reader or HTTP session) must call it in stream order. */
  write(chunk: Chunk): void {
    if (this.shut) return
    if (chunk.end) this.inputEnded = true
    this.head.write(chunk)
    if (this.stages.length > 0) this.check()
  }

  private block(): void {
    this.sinkBlocked = true
    if (!this.paused) {
      this.paused = true
      this.src.pause()
    }
  }

  /** Stage host: held bytes left a stage. */
  released(): void {
    this.check()
  }
  private check(): void {
    let pause = this.sinkBlocked
    if (!pause && this.stages.length > 0) {
      let held = 0
      for (const s of this.stages) {
        held += s.held()
        if (s.full()) pause = true
      }
      if (held > HIGH_WATER) pause = true
    }
    if (pause && !this.paused) {
      this.paused = true
      this.src.pause()
    } else if (!pause && this.paused && !this.shut) {
      this.paused = false
      if (!this.src.destroyed) this.src.resume()
    }
  }

  private relink(): void {
    for (let i = 0; i < this.stages.length; i++) this.stages[i]!.next = this.stages[i + 1] ?? this.terminal
    this.head = this.stages[0] ?? this.terminal
  }

  /** Builds and appends a stage; `make` receives the sink it must write to. */
  addStage(make: (host: StageHost, next: Sink) => Stage | undefined): void {
    const s = make(this, this.terminal)
    if (!s) return
    this.stages.push(s)
    this.relink()
  }

  hasStage(faultId: string): boolean {
    return this.stages.some((s) => s.faultId === faultId)
  }

  /** Passes on what the fault's stage holds, then unlinks it. No-op when the fault has no stage here. */
  removeStage(faultId: string): void {
    const i = this.stages.findIndex((s) => s.faultId === faultId)
    if (i < 0) return
    const s = this.stages[i]!
    s.drain()
    this.stages.splice(i, 1)
    // Anything that reached the drained stage while it was being drained has already gone on to its next.
    this.relink()
    this.check()
  }

  /** The connection is gone: timers stop, held bytes are dropped. */
  destroy(): void {
    for (const s of this.stages) s.destroy()
    this.stages.length = 0
    this.head = this.terminal
  }
}
