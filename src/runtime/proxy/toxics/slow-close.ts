/** @module runtime/proxy/toxics/slow-close: the FIN of a direction held for a while (Toxiproxy's slow_close). */

import type { SlowCloseFault } from '../toxic.js'
import { Stage } from '../stream.js'
import type { Chunk, FaultCounters, Sink, StageHost, StageOptions } from '../stream.js'

/**
 * Data passes untouched; the end (a FIN from the source, or a close made by a toxic) is held `delayMs` from
 * when it arrives, and never leaves before the data ahead of it. Removing the fault lets a held FIN go at once.
 */
export class SlowCloseStage extends Stage {
  constructor(private readonly f: SlowCloseFault, host: StageHost, counters: FaultCounters, opts: StageOptions, next: Sink) {
    super(f.id, host, counters, opts, next)
  }

  protected dueFor(_chunk: Chunk, _t: number, lastDue: number): number {
    return lastDue
  }

  protected override dueForEnd(chunk: Chunk, t: number, lastDue: number): number {
    if (!this.selects(chunk)) return Math.max(lastDue, 0)
    return Math.max(lastDue, t + this.f.delayMs)
  }
}
