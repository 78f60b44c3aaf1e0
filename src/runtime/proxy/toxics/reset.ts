/** @module runtime/proxy/toxics/reset: connections end with a TCP reset instead of a clean close. */

import type { Socket } from 'node:net'
import type { ResetFault } from '../toxic.js'
import { Stage } from '../stream.js'
import type { Chunk, FaultCounters, Sink, StageHost, StageOptions } from '../stream.js'

/**
 * Resets the given sockets (RST, not FIN): the peer's next read or write fails with ECONNRESET, as when a
 * middlebox or a crashed host kills the connection. Sockets already closed are skipped.
 */
export function resetSockets(...sockets: (Socket | undefined)[]): void {
  for (const s of sockets) {
    if (!s || s.destroyed) continue
    // After our FIN (shutdown) libuv cannot reset (EINVAL, and the socket would never emit 'close'): just close.
    if (s.writableEnded) {
      s.destroy()
      continue
    }
    try {
      s.resetAndDestroy()
    } catch {
      s.destroy()
    }
  }
}

const EMPTY = Buffer.alloc(0)

/**
 * `reset` with `timeoutMs` (Toxiproxy's reset_peer): the first chunk to arrive, data or FIN, starts the timer
 * and is dropped with everything after it; when the timer fires an end with `close: 'rst'` goes on, and the
 * connection resets both sockets when it gets it (`close: 'fin'`, a FIN close, for finOnExisting). As in Toxiproxy, removing the fault once the timer runs
 * does not stop the reset; removed before the first chunk, the stage just passes bytes on.
 */
export class ResetPeerStage extends Stage {
  private closeTimer: NodeJS.Timeout | undefined
  private triggered = false
  private out: Sink

  constructor(
    private readonly f: ResetFault,
    host: StageHost,
    counters: FaultCounters,
    opts: StageOptions,
    next: Sink,
    /** How the connection ends when the timer fires: reset, or (finOnExisting) a FIN close. */
    private readonly how: 'fin' | 'rst' = 'rst',
  ) {
    super(f.id, host, counters, opts, next)
    this.out = next
  }

  override write(chunk: Chunk): void {
    if (this.draining && !this.triggered) return super.write(chunk)
    this.counters.chunks++
    this.counters.bytes += chunk.data.length
    if (this.triggered) return
    this.triggered = true
    // The sink as it is now: if the fault is removed while the timer runs, the reset still goes there.
    this.out = this.next
    const fire = (): void => {
      this.closeTimer = undefined
      this.out.write({ data: EMPTY, msg: 0, end: true, close: this.how })
    }
    const ms = this.f.timeoutMs ?? 0
    if (ms <= 0) fire()
    else this.closeTimer = setTimeout(fire, ms)
  }

  protected dueFor(_chunk: Chunk, _t: number, lastDue: number): number {
    return lastDue
  }

  override destroy(): void {
    if (this.closeTimer) clearTimeout(this.closeTimer)
    this.closeTimer = undefined
    super.destroy()
  }
}
