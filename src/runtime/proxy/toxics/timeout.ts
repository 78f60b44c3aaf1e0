/** @module runtime/proxy/toxics/timeout: bytes dropped, the connection closed after an idle time (Toxiproxy's timeout). */

import type { TimeoutFault } from '../toxic.js'
import { Stage } from '../stream.js'
import type { Chunk, FaultCounters, Sink, StageHost, StageOptions } from '../stream.js'

const EMPTY = Buffer.alloc(0)

/**
 * Drops every chunk of its direction. `timeoutMs` after it was put on the connection, or after the last chunk
 * it dropped (each arrival restarts the wait, as Toxiproxy's loop re-arms its timer), it closes the connection
 * (`close: 'fin'`); with 0 only a FIN from the source or the fault's removal closes it. Removal closes it too,
 * as Toxiproxy's cleanup closes the stub. `passive`: the connection was not selected by `percent`; bytes pass,
 * and only the removal closes it (Toxiproxy's cleanup runs on unselected connections as well).
 */
export class TimeoutStage extends Stage {
  private closeTimer: NodeJS.Timeout | undefined
  private closed = false

  constructor(
    private readonly f: TimeoutFault,
    host: StageHost,
    counters: FaultCounters,
    opts: StageOptions,
    next: Sink,
    private readonly passive: boolean,
  ) {
    super(f.id, host, counters, opts, next)
    if (!passive) this.restartWait()
  }

  private restartWait(): void {
    if (this.f.timeoutMs <= 0) return
    if (this.closeTimer) this.closeTimer.refresh()
    else this.closeTimer = setTimeout(() => this.close(), this.f.timeoutMs)
  }

  private close(): void {
    if (this.closed) return
    this.closed = true
    if (this.closeTimer) clearTimeout(this.closeTimer)
    this.closeTimer = undefined
    this.next.write({ data: EMPTY, msg: 0, end: true, close: 'fin' })
  }

  override write(chunk: Chunk): void {
    if (this.passive || this.draining) return super.write(chunk)
    if (this.closed) return
    if (chunk.end) return this.close()
    this.counters.chunks++
    this.counters.bytes += chunk.data.length
    this.restartWait()
  }

  protected dueFor(_chunk: Chunk, _t: number, lastDue: number): number {
    return lastDue
  }

  override drain(): void {
    this.close()
    super.drain()
  }

  override destroy(): void {
    if (this.closeTimer) clearTimeout(this.closeTimer)
    this.closeTimer = undefined
    this.closed = true
    super.destroy()
  }
}
