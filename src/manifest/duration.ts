/** @module manifest/duration: Go's time.ParseDuration, which Chaos Mesh uses for every duration field. */

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }
const PART = /^(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/

/**
 * Milliseconds in a Go duration string ("300ms", "-1.5h", "2h45m"), or undefined when Go would reject it.
 * Like Go: "0" alone is valid, any other number needs a unit, and units may repeat ("1h1h").
 *
 * @example parseDuration('1m30s') === 90_000
 */
export function parseDuration(text: string): number | undefined {
  let s = text
  let sign = 1
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1
    s = s.slice(1)
  }
  if (s === '0') return 0
  if (s === '') return undefined
  let total = 0
  while (s.length > 0) {
    const m = PART.exec(s)
    if (!m) return undefined
    total += Number(m[1]) * UNITS[m[2]!]!
    s = s.slice(m[0].length)
  }
  return sign * total
}

/** "1500ms" → "1.5s": for messages. */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms !== 0) return `${ms / 3_600_000}h`
  if (ms % 60_000 === 0 && ms !== 0) return `${ms / 60_000}m`
  if (ms >= 1000) return `${ms / 1000}s`
  return `${ms}ms`
}
