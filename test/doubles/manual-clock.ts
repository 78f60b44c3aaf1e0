/**
 * @module test/doubles/manual-clock: a Clock whose time moves only when the test says so. Timers set on it fire,
 * in time order, during `advance`; nothing else makes them fire. The engine takes it as its clock, so a test of a
 * duration's end or a back-off advances time instead of sleeping.
 */
import type { Clock, ClockTimer } from '../../src/engine/context.js'

interface Pending {
  at: number
  seq: number
  fn: () => void
}

export class ManualClock implements Clock {
  private t: number
  private seq = 0
  private pending: Pending[] = []

  /** Starts at `start` (ms since the epoch, or an ISO time); default 2024-05-01T10:00:00Z. */
  constructor(start: number | string = '2024-05-01T10:00:00.000Z') {
    this.t = typeof start === 'number' ? start : Date.parse(start)
  }

  now(): number {
    return this.t
  }

  setTimer(fn: () => void, ms: number): ClockTimer {
    const p: Pending = { at: this.t + Math.max(0, ms), seq: this.seq++, fn }
    this.pending.push(p)
    return { cancel: () => void (this.pending = this.pending.filter((x) => x !== p)) }
  }

  /** When the next timer is due (ms since the epoch), or undefined when none is set. */
  nextAt(): number | undefined {
    return this.pending.length ? Math.min(...this.pending.map((p) => p.at)) : undefined
  }

  /** How many timers are set. */
  get timers(): number {
    return this.pending.length
  }

  /** Moves time forward by `ms`, firing every timer due on the way, each at its own time, in order. */
  advance(ms: number): void {
    const end = this.t + ms
    for (;;) {
      const due = this.pending.filter((p) => p.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0]
      if (!due) break
      this.pending = this.pending.filter((p) => p !== due)
      this.t = Math.max(this.t, due.at)
      due.fn()
    }
    this.t = end
  }
}
