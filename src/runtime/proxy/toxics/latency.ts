/** @module runtime/proxy/toxics/latency: hold chunks (tcp) or messages (http) for a drawn delay, order kept. */

import type { LatencyFault } from '../toxic.js'
import { Stage } from '../stream.js'
import type { Chunk, FaultCounters, Sink, StageHost, StageOptions } from '../stream.js'

/**
 * A correlated uniform draw in [0, 1), as netem draws it: with correlation ρ the next value is
 * `(1 − ρ)·U + ρ·previous`, so consecutive delays drift together instead of jumping independently.
 */
export class CorrelatedRandom {
  private last = Math.random()
  constructor(private readonly rho: number) {}
  next(): number {
    const u = Math.random()
    if (this.rho <= 0) return u
    this.last = (1 - this.rho) * u + this.rho * this.last
    return this.last
  }
}

/** latency ± jitter, uniform (netem's default distribution), never below zero. */
export function drawDelay(f: Pick<LatencyFault, 'latencyMs' | 'jitterMs'>, rnd: CorrelatedRandom): number {
  const jitter = f.jitterMs ?? 0
  if (jitter <= 0) return f.latencyMs
  return Math.max(0, f.latencyMs + jitter * (2 * rnd.next() - 1))
}

/**
 * Each chunk is due at arrival + drawn delay, but never before the chunk ahead of it (order is kept, as on a
 * single TCP stream). In http mode the delay is drawn once per message, so a request's chunks move together.
 */
export class LatencyStage extends Stage {
  private readonly rnd: CorrelatedRandom
  private msg = -1
  private delay = 0

  constructor(private readonly f: LatencyFault, host: StageHost, counters: FaultCounters, opts: StageOptions, next: Sink) {
    super(f.id, host, counters, opts, next)
    this.rnd = new CorrelatedRandom((f.correlation ?? 0) / 100)
  }

  protected dueFor(chunk: Chunk, t: number, lastDue: number): number {
    if (!this.selects(chunk)) return lastDue
    // tcp: a fresh draw per chunk; http: one draw per message.
    if (!this.isPerMessage() || chunk.msg !== this.msg) {
      this.msg = chunk.msg
      this.delay = this.reordered() ? 0 : drawDelay(this.f, this.rnd)
    }
    return t + this.delay
  }

  private reorderRnd: CorrelatedRandom | undefined
  private sinceReorder = 0

  /** netem's rule: after gap − 1 delayed chunks, the next one skips the delay with probability `reorder` %. */
  private reordered(): boolean {
    const p = this.f.reorder ?? 0
    if (p <= 0) return false
    const gap = Math.max(1, this.f.reorderGap ?? 1)
    if (this.sinceReorder < gap - 1) {
      this.sinceReorder++
      return false
    }
    this.reorderRnd ??= new CorrelatedRandom((this.f.reorderCorrelation ?? 0) / 100)
    if (this.reorderRnd.next() * 100 >= p) {
      this.sinceReorder++
      return false
    }
    this.sinceReorder = 0
    return true
  }
}
