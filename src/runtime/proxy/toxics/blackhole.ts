/** @module runtime/proxy/toxics/blackhole: a partition; the direction's bytes go nowhere while it lasts. */

import type { BlackholeFault } from '../toxic.js'
import { Stage } from '../stream.js'
import type { Chunk, FaultCounters, Sink, StageHost, StageOptions } from '../stream.js'

/** Above this many held bytes the sender is paused, as a full TCP window stops it. */
const WINDOW = 256 * 1024

/**
 * Every chunk is held indefinitely: the peer sees nothing and the connection hangs, as when packets are
 * dropped. When the fault is removed the held bytes are delivered in order, as TCP's retransmissions would
 * deliver them once the partition heals (unless the application gave up and closed first).
 */
export class BlackholeStage extends Stage {
  constructor(f: BlackholeFault, host: StageHost, counters: FaultCounters, opts: StageOptions, next: Sink) {
    super(f.id, host, counters, opts, next)
  }

  protected dueFor(chunk: Chunk, _t: number, lastDue: number): number {
    return this.selects(chunk) ? Infinity : lastDue
  }

  override full(): boolean {
    return this.held() > WINDOW
  }
}
