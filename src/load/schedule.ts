/**
 * @module load/schedule: the open model's arrival times. A run's rate is a list of stages, each linear from one
 * rate to another; arrival i (from 0) is due when the integral of the rate since the start reaches i, so a ramp
 * from 100 to 1000 per second sends exactly the requests its area holds, at the times its slope says.
 */
import { parseDuration } from '../manifest/duration.js'
import type { Stage } from './types.js'

/** Why a `--rate` text was refused, said to the user as it is. */
export class RateSyntaxError extends Error {}

const NUMBER = /^\d+(\.\d+)?$/

function rateNumber(text: string, whole: string, zeroOk = false): number {
  const t = text.trim()
  if (!NUMBER.test(t)) throw new RateSyntaxError(`--rate expects requests per second like 100, a ramp like 100:1000/30s or steps like 100,500,1000/10s; "${t}" in "${whole}" is not a rate`)
  const n = Number(t)
  if (n < 0 || (n === 0 && !zeroOk) || n > 1_000_000) throw new RateSyntaxError(`--rate: ${zeroOk ? 'a ramp or step may start at 0, and each rate is' : 'a rate must be'} above 0 and at most 1000000 per second, got ${t}`)
  return n
}

/**
 * Reads `--rate`: `500` (constant), `100:1000/30s` (a linear ramp over 30 s, then 1000 held), `100,500,1000/10s`
 * (each rate held 10 s, the last one until the run ends). The last stage of every form is open-ended
 * (durationMs 0): it lasts as long as the run's --duration gives it.
 */
export function parseRate(text: string): Stage[] {
  const whole = text.trim()
  const slash = whole.indexOf('/')
  if (slash < 0) {
    const r = rateNumber(whole, whole)
    return [{ durationMs: 0, from: r, to: r }]
  }
  const head = whole.slice(0, slash)
  const span = parseDuration(whole.slice(slash + 1).trim())
  if (span === undefined || span <= 0) throw new RateSyntaxError(`--rate: "${whole.slice(slash + 1)}" after / is not a duration above zero (write 30s, 1m or 1m30s)`)
  if (head.includes(':')) {
    const parts = head.split(':')
    if (parts.length !== 2) throw new RateSyntaxError(`--rate: a ramp has two rates, from:to/duration, got "${whole}"`)
    const from = rateNumber(parts[0]!, whole, true)
    const to = rateNumber(parts[1]!, whole, true)
    if (from === 0 && to === 0) throw new RateSyntaxError(`--rate: a ramp from 0 to 0 sends nothing, got "${whole}"`)
    return [{ durationMs: span, from, to }, { durationMs: 0, from: to, to }]
  }
  const rates = head.split(',').map((p, i, all) => rateNumber(p, whole, i < all.length - 1))
  if (rates.length < 2) throw new RateSyntaxError(`--rate: steps need two rates or more, like 100,500/10s; for one rate write --rate ${rates[0]}`)
  return rates.map((r, i) => ({ durationMs: i === rates.length - 1 ? 0 : span, from: r, to: r }))
}

/**
 * The stages a run of `runMs` follows: open-ended stages get what is left of the run, stages beyond the run are
 * cut. With no run length the stages must all be bounded (their sum is the run). Returns undefined when the
 * length cannot be known (an open-ended stage and no run length).
 */
export function fitStages(stages: Stage[], runMs: number | undefined): { stages: Stage[]; totalMs: number } | undefined {
  const bounded = stages.reduce((s, x) => s + x.durationMs, 0)
  const openEnded = stages.some((x) => x.durationMs === 0)
  if (runMs === undefined) {
    if (openEnded) return undefined
    return { stages: stages.slice(), totalMs: bounded }
  }
  const out: Stage[] = []
  let left = runMs
  for (const s of stages) {
    if (left <= 0) break
    const d = s.durationMs === 0 ? left : Math.min(s.durationMs, left)
    // a stage cut short ends at the rate its slope reaches there
    const to = s.durationMs === 0 || d === s.durationMs ? s.to : s.from + ((s.to - s.from) * d) / s.durationMs
    out.push({ durationMs: d, from: s.from, to })
    left -= d
  }
  if (left > 0 && out.length > 0) {
    // bounded stages shorter than the run: the last rate holds
    const last = out[out.length - 1]!
    out.push({ durationMs: left, from: last.to, to: last.to })
  }
  return { stages: out, totalMs: runMs }
}

/** A year: how long an open-ended stage lasts in a run that only --requests (or a stop) ends. */
const OPEN_ENDED_MS = 365 * 24 * 3600_000

/** The stages with the open-ended ones (durationMs 0) made a year long, for a run with no planned end. */
export function unboundedStages(stages: Stage[]): Stage[] {
  return stages.map((s) => (s.durationMs === 0 ? { ...s, durationMs: OPEN_ENDED_MS } : s))
}

/** Milliseconds since the epoch, sub-millisecond: the one clock the main thread and the workers share. */
export const epochNow = (): number => performance.timeOrigin + performance.now()

/** How many arrivals a stage holds (its area, rates per second and duration in ms). */
function area(s: Stage): number {
  return ((s.from + s.to) / 2) * (s.durationMs / 1000)
}

/** The arrivals the stages hold in all: the open model's planned request count. */
export function plannedArrivals(stages: Stage[]): number {
  return Math.floor(stages.reduce((n, s) => n + area(s), 0) - 1e-9) + 1
}

/** The mean rate over the stages, per second. */
export function meanRate(stages: Stage[]): number {
  const ms = stages.reduce((s, x) => s + x.durationMs, 0)
  return ms > 0 ? (stages.reduce((n, s) => n + area(s), 0) * 1000) / ms : 0
}

/** The rate at `ms` into the run, per second (0 after the last stage). */
export function rateAt(stages: Stage[], ms: number): number {
  let start = 0
  for (const s of stages) {
    if (ms < start + s.durationMs) return s.from + ((s.to - s.from) * (ms - start)) / s.durationMs
    start += s.durationMs
  }
  return 0
}

/**
 * Arrival times, in ms from the start, of arrivals first, first + stride, first + 2·stride…: one worker's share
 * when `stride` workers split the schedule. Ends (undefined) past the last stage.
 */
export class Arrivals {
  private stage = 0
  /** Arrivals before the current stage (fractional: the integral at its start). */
  private before = 0
  private start = 0
  private next: number

  constructor(
    private readonly stages: Stage[],
    first = 0,
    private readonly stride = 1,
  ) {
    this.next = first
  }

  /** The due time of the next arrival and its index, or undefined when the schedule is over. */
  take(): { index: number; at: number } | undefined {
    const i = this.next
    for (;;) {
      const s = this.stages[this.stage]
      if (s === undefined) return undefined
      const n = area(s)
      if (i < this.before + n) {
        const k = i - this.before
        this.next += this.stride
        return { index: i, at: this.start + offsetIn(s, k) }
      }
      this.before += n
      this.start += s.durationMs
      this.stage++
    }
  }
}

/** When, in ms into stage s, its integral reaches k arrivals. */
function offsetIn(s: Stage, k: number): number {
  const a = s.from / 1000 // per ms
  const b = s.to / 1000
  const d = s.durationMs
  if (k <= 0) return 0
  if (Math.abs(b - a) < 1e-12) return k / a
  // N(t) = a·t + (b − a)·t² / (2d) = k
  const slope = (b - a) / d
  const disc = a * a + 2 * slope * k
  return (-a + Math.sqrt(Math.max(0, disc))) / slope
}
