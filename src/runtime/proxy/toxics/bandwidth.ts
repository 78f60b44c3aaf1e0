/** @module runtime/proxy/toxics/bandwidth: a token bucket (rate, buffer), or per-piece pacing, with a bounded queue (limit). */

import type { BandwidthFault } from '../toxic.js'
import { Stage, now } from '../stream.js'
import type { Chunk, FaultCounters, Sink, StageHost, StageOptions } from '../stream.js'

/** Chunks larger than this are cut so that a big write does not leave as one burst. */
const PIECE = 16 * 1024

/**
 * Tokens (bytes) accrue at `rate` per second up to `buffer` (the burst). A piece leaves when the bucket
 * is not in debt and takes its size from it, so the long-run rate is exactly `rate` and a burst is at most
 * `buffer` plus one piece. When more than `limit` bytes wait (default 1 MiB) the sender is paused, as a full
 * queue makes TCP slow the sender down.
 *
 * Shape `serialize` (Toxiproxy's bandwidth toxic): no bucket and no burst. Chunks are cut into pieces of
 * rate/10 bytes (100 ms worth) and each piece leaves size/rate after it arrived or after the piece before it
 * left, whichever is later: a lone 1 KB write at 1000 bytes/s arrives whole, one second late.
 */
export class BandwidthStage extends Stage {
  private tokens: number
  private at = now()
  private readonly bucket: number
  private readonly piece: number
  private readonly serialize: boolean
  /** Serialize: when the last piece is due to have left. */
  private busyUntil = 0

  constructor(private readonly f: BandwidthFault, host: StageHost, counters: FaultCounters, opts: StageOptions, next: Sink) {
    super(f.id, host, counters, opts, next)
    this.serialize = f.shape === 'serialize'
    this.bucket = Math.max(1, f.buffer ?? Math.min(f.rate / 50, 64 * 1024))
    // Pieces small enough that one of them is at most ~20 ms of sending (serialize: 100 ms, as Toxiproxy).
    this.piece = this.serialize ? Math.max(1, Math.floor(f.rate / 10)) : Math.max(1, Math.min(PIECE, Math.ceil(f.rate / 50)))
    this.tokens = this.bucket
  }

  override write(chunk: Chunk): void {
    if (chunk.end || chunk.data.length <= this.piece) return super.write(chunk)
    const len = chunk.data.length
    for (let o = 0; o < len; o += this.piece) {
      const last = o + this.piece >= len
      super.write({ ...chunk, data: chunk.data.subarray(o, o + this.piece), done: last ? chunk.done : undefined })
    }
  }

  protected dueFor(chunk: Chunk, t: number, lastDue: number): number {
    if (!this.selects(chunk)) return lastDue
    if (this.serialize) {
      this.busyUntil = Math.max(t, lastDue, this.busyUntil) + (chunk.data.length * 1000) / this.f.rate
      return this.busyUntil
    }
    // Leave at the later of arrival and the previous piece's departure, once the bucket is out of debt.
    const start = Math.max(t, lastDue)
    this.tokens = Math.min(this.bucket, this.tokens + ((start - this.at) * this.f.rate) / 1000)
    this.at = start
    let due = start
    if (this.tokens < 0) {
      due = start + (-this.tokens * 1000) / this.f.rate
      this.tokens = 0
      this.at = due
    }
    this.tokens -= chunk.data.length
    return due
  }

  override full(): boolean {
    return this.held() > (this.f.limit ?? 1024 * 1024)
  }
}
