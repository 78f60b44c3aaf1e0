/**
 * @module runtime/proxy/exemplars: the requests one sidecar keeps as examples while tracing is on, in bounded memory.
 *
 *   fault acted, or status 0 / 5xx ─▶ ring of the newest NOTABLE_CAP
 *   any other request              ─▶ the SLOWEST_PER_INTERVAL slowest of this interval, and of the one before
 *
 * At most NOTABLE_CAP + 2 × SLOWEST_PER_INTERVAL (64) per sidecar. Intervals are read from each request's end time,
 * so the ring needs no timer. Only runtime/proxy/hop-tracing adds to it: with tracing off no ring is made.
 */
import type { Exemplar } from '../types.js'

export const NOTABLE_CAP = 56
export const SLOWEST_PER_INTERVAL = 4
export const INTERVAL_MS = 1000

const endOf = (e: Exemplar): number => e.start + e.durationMs

export class ExemplarRing {
  private readonly notable: Exemplar[] = []
  /** Where the next notable one goes once the ring is full (the oldest). */
  private at = 0
  private interval = -Infinity
  /** This interval's slowest passing requests, slowest first. */
  private slowest: Exemplar[] = []
  private previous: Exemplar[] = []

  /**
   * Whether a passing request that ended at `end` (epoch ms) after `durationMs` would be kept: asked before one is
   * built, so most passing requests cost a comparison.
   */
  wantsSlow(end: number, durationMs: number): boolean {
    this.roll(end)
    const s = this.slowest
    return s.length < SLOWEST_PER_INTERVAL || durationMs > s[s.length - 1]!.durationMs
  }

  add(e: Exemplar): void {
    if (e.reason !== 'slow') {
      if (this.notable.length < NOTABLE_CAP) this.notable.push(e)
      else {
        this.notable[this.at] = e
        this.at = (this.at + 1) % NOTABLE_CAP
      }
      return
    }
    this.roll(endOf(e))
    const s = this.slowest
    let i = s.length
    while (i > 0 && s[i - 1]!.durationMs < e.durationMs) i--
    s.splice(i, 0, e)
    if (s.length > SLOWEST_PER_INTERVAL) s.pop()
  }

  /** The kept ones, oldest end first; with `since`, only those of requests that ended after it (epoch ms). */
  list(since?: number): Exemplar[] {
    const all = [...this.notable, ...this.previous, ...this.slowest]
    const kept = since === undefined ? all : all.filter((e) => endOf(e) > since)
    return kept.sort((a, b) => endOf(a) - endOf(b))
  }

  private roll(end: number): void {
    const interval = Math.floor(end / INTERVAL_MS)
    if (interval <= this.interval) return
    this.previous = interval === this.interval + 1 ? this.slowest : []
    this.slowest = []
    this.interval = interval
  }
}
