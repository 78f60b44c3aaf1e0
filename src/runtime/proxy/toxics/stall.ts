/** @module runtime/proxy/toxics/stall: packet loss as TCP shows it to applications, a retransmission stall. */

import type { StallFault } from '../toxic.js'
import { Stage } from '../stream.js'
import type { Chunk, FaultCounters, Sink, StageHost, StageOptions } from '../stream.js'

/**
 * With `probability` % a chunk is held for `rtoMs` (default 200 ms, Linux's minimum RTO), and every later
 * chunk waits behind it: head-of-line blocking, as a lost segment causes on a real TCP stream. Bytes are
 * never lost, because TCP would have retransmitted them.
 */
export class StallStage extends Stage {
  constructor(private readonly f: StallFault, host: StageHost, counters: FaultCounters, opts: StageOptions, next: Sink) {
    super(f.id, host, counters, opts, next)
  }

  /** Chunks held so far (each one a "lost segment"). */
  stalls = 0

  protected dueFor(chunk: Chunk, t: number, lastDue: number): number {
    if (Math.random() * 100 >= this.f.probability) return lastDue
    if (!this.selects(chunk)) return lastDue
    this.stalls++
    return t + (this.f.rtoMs ?? 200)
  }
}
