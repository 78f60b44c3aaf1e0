/**
 * @module report/format: how the HTML and Markdown renderings write times, durations, rates and latencies, so both
 * say the same number the same way. A missing value is an em dash, never a zero.
 */

export const NONE = '—'

/** `2025-03-04 10:00:40 UTC` */
export function when(iso: string): string {
  const ms = Date.parse(iso)
  if (Number.isNaN(ms)) return iso
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`
}

/** `10:00:40` (UTC), for moments inside the report's range. */
export function clock(iso: string | number): string {
  const ms = typeof iso === 'number' ? iso : Date.parse(iso)
  if (Number.isNaN(ms)) return String(iso)
  return new Date(ms).toISOString().slice(11, 19)
}

/** `20 s`, `2 min 5 s`, `1 h 3 min` */
export function duration(seconds: number | null): string {
  if (seconds === null) return NONE
  if (seconds < 60) return `${Number(seconds.toFixed(seconds < 10 ? 1 : 0))} s`
  const s = Math.round(seconds)
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`
  return `${Math.floor(s / 3600)} h${Math.floor((s % 3600) / 60) ? ` ${Math.floor((s % 3600) / 60)} min` : ''}`
}

/** Seconds from one ISO time to another (null when either is missing). */
export function secondsBetween(from: string, to: string | null): number | null {
  if (to === null) return null
  return (Date.parse(to) - Date.parse(from)) / 1000
}

/** An error rate (0..1) as a percentage with enough digits to tell 0.2% from 0. */
export function percent(rate: number | null): string {
  if (rate === null) return NONE
  const p = rate * 100
  if (p === 0) return '0%'
  return `${Number(p.toFixed(p < 1 ? 2 : 1))}%`
}

export function millis(ms: number | null): string {
  if (ms === null) return NONE
  return `${Number(ms.toFixed(ms < 10 ? 1 : 0))} ms`
}

export function count(n: number): string {
  return Math.round(n).toLocaleString('en-US')
}

export function signed(n: number | null): string {
  if (n === null) return NONE
  const r = Number(n.toFixed(1))
  return r > 0 ? `+${r}` : String(r)
}

/** Requests an edge carried in the range: each step's rate times the step. */
export function edgeRequests(points: { rps: number }[], stepSeconds: number): number {
  return points.reduce((sum, p) => sum + p.rps * stepSeconds, 0)
}

/** The verdict as a reader says it. */
export function verdictText(v: string): string {
  return v === 'not-tested' ? 'not tested' : v === 'deviated-during' ? 'deviated during the method' : v
}
