/** @module wire/histogram: a fixed-bucket latency histogram cheap enough for every request. */

/** Upper bounds in milliseconds (the last bucket, +Inf, is implicit). */
export const LATENCY_BOUNDS_MS: readonly number[] = [
  0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 75, 100, 150, 200, 250, 500, 750, 1000, 2500, 5000, 10000, 30000, 60000,
]

/** A plain-data copy of a histogram, safe to post between threads. */
export interface HistogramSnapshot {
  boundsMs: readonly number[]
  /** Non-cumulative counts, one per bound plus one for +Inf. */
  counts: number[]
  sumMs: number
  count: number
}

export class Histogram {
  private readonly counts: number[]
  private sum = 0
  private n = 0
  constructor(private readonly bounds: readonly number[] = LATENCY_BOUNDS_MS) {
    this.counts = new Array<number>(bounds.length + 1).fill(0)
  }

  record(ms: number): void {
    const b = this.bounds
    let lo = 0
    let hi = b.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (ms <= b[mid]!) hi = mid
      else lo = mid + 1
    }
    this.counts[lo]!++
    this.sum += ms
    this.n++
  }

  snapshot(): HistogramSnapshot {
    return { boundsMs: this.bounds, counts: this.counts.slice(), sumMs: this.sum, count: this.n }
  }
}

/** An estimate of quantile q (0–1) from a snapshot, interpolating inside the bucket. */
export function quantile(s: Readonly<Pick<HistogramSnapshot, 'boundsMs' | 'count'>> & { counts: readonly number[] }, q: number): number {
  if (s.count === 0) return NaN
  const rank = q * s.count
  let seen = 0
  for (let i = 0; i < s.counts.length; i++) {
    const c = s.counts[i]!
    if (seen + c >= rank && c > 0) {
      const lo = i === 0 ? 0 : s.boundsMs[i - 1]!
      const hi = s.boundsMs[i] ?? lo
      return lo + ((hi - lo) * (rank - seen)) / c
    }
    seen += c
  }
  return s.boundsMs[s.boundsMs.length - 1]!
}
