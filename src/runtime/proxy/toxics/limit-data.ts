/** @module runtime/proxy/toxics/limit-data: the connection is closed once N bytes have passed (Toxiproxy's limit_data). */

import type { LimitDataFault } from '../toxic.js'
import { Stage } from '../stream.js'
import type { Chunk, FaultCounters, Sink, StageHost, StageOptions } from '../stream.js'

const EMPTY = Buffer.alloc(0)

/**
 * Passes bytes on (never holds them) and counts them; `touched` counts the chunks and bytes it cut off. The chunk that reaches `bytes` is cut at the limit and
 * followed by an end that closes the connection (`close: 'fin'`); whatever comes after is dropped. As in
 * Toxiproxy the check runs when a chunk arrives, so with `bytes` 0 the first chunk closes the connection.
 */
export class LimitDataStage extends Stage {
  private passed = 0
  private closed = false

  constructor(private readonly f: LimitDataFault, host: StageHost, counters: FaultCounters, opts: StageOptions, next: Sink) {
    super(f.id, host, counters, opts, next)
  }

  override write(chunk: Chunk): void {
    if (this.draining) return super.write(chunk)
    if (this.closed) {
      this.dropped(chunk.data.length)
      return
    }
    if (chunk.end) return super.write(chunk)
    const left = this.f.bytes - this.passed
    if (chunk.data.length < left) {
      this.passed += chunk.data.length
      return super.write(chunk)
    }
    this.closed = true
    const keep = Math.max(0, left)
    if (keep > 0) {
      this.passed += keep
      super.write({ ...chunk, data: chunk.data.subarray(0, keep) })
    }
    this.dropped(chunk.data.length - keep)
    super.write({ data: EMPTY, msg: chunk.msg, end: true, close: 'fin' })
  }

  /** Touched counts what the limit cut off: chunks and bytes dropped. */
  private dropped(n: number): void {
    this.counters.chunks++
    this.counters.bytes += n
  }

  protected dueFor(_chunk: Chunk, _t: number, lastDue: number): number {
    return lastDue
  }
}
