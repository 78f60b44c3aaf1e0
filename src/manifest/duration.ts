/**
 * @module manifest/duration: Go's time.ParseDuration, which Chaos Mesh uses for every duration field: the same
 * strings accepted and refused, the same value to the nanosecond (an int64 count of nanoseconds, so at most
 * 2562047h47m16.854775807s).
 */

const NS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n, // U+00B5 micro sign
  'μs': 1_000n, // U+03BC Greek small letter mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
}

const TWO_63 = 1n << 63n
const UINT64 = (1n << 64n) - 1n

/** The longest duration Go's time.Duration holds: 2^63-1 ns. */
export const MAX_DURATION_NS = TWO_63 - 1n
/** {@link MAX_DURATION_NS} as Go prints it. */
export const MAX_DURATION_TEXT = '2562047h47m16.854775807s'

/** Why Go refuses a duration string, in the words of its error ("time: <message> \"<text>\""). */
export type DurationProblem =
  | { problem: 'invalid' } // not a duration, or (overflow: true) longer than MAX_DURATION_NS
  | { problem: 'missing-unit' }
  | { problem: 'unknown-unit'; unit: string }

export type DurationResult = { ns: bigint } | (DurationProblem & { overflow?: true })

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9'

/**
 * Parses a Go duration string ("300ms", "-1.5h", "2h45m") into nanoseconds as Go does, or says why Go refuses
 * it. Like Go: an optional sign, then one or more `<number><unit>` parts (units may repeat: "1h1h"); "0" alone
 * needs no unit; a fraction is truncated to whole nanoseconds ("1.0000000001s" is 1s); the total must fit an
 * int64 (a negative one may reach -2^63 ns).
 *
 * @example parseDurationNs('1m30s') // { ns: 90_000_000_000n }
 * @example parseDurationNs('2562048h') // { problem: 'invalid', overflow: true }
 */
export function parseDurationNs(text: string): DurationResult {
  let s = text
  let neg = false
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    neg = s[0] === '-'
    s = s.slice(1)
  }
  if (s === '0') return { ns: 0n }
  if (s === '') return { problem: 'invalid' }
  const overflow = { problem: 'invalid', overflow: true } as const
  let d = 0n
  let i = 0
  while (i < s.length) {
    if (!(s[i] === '.' || isDigit(s[i]))) return { problem: 'invalid' }
    // the whole part: an error once it passes 2^63
    const intStart = i
    let v = 0n
    for (; isDigit(s[i]); i++) {
      v = v * 10n + BigInt(s.charCodeAt(i) - 48)
      if (v > TWO_63) return overflow
    }
    const pre = i > intStart
    // the fraction: digits past what a uint64 holds are read but add no precision
    let f = 0n
    let scale = 1
    let post = false
    if (s[i] === '.') {
      i++
      const fracStart = i
      let full = false
      for (; isDigit(s[i]); i++) {
        if (full) continue
        const y = f * 10n + BigInt(s.charCodeAt(i) - 48)
        if (f > (TWO_63 - 1n) / 10n || y > TWO_63) {
          full = true
          continue
        }
        f = y
        scale *= 10
      }
      post = i > fracStart
    }
    if (!pre && !post) return { problem: 'invalid' } // ".s", "-.s"
    const unitStart = i
    while (i < s.length && !(s[i] === '.' || isDigit(s[i]))) i++
    if (i === unitStart) return { problem: 'missing-unit' }
    const unitText = s.slice(unitStart, i)
    const unit = NS[unitText]
    if (unit === undefined) return { problem: 'unknown-unit', unit: unitText }
    if (v > TWO_63 / unit) return overflow
    v *= unit
    if (f > 0n) {
      // as Go does it, in float64: exact to the nanosecond for fractions of an hour, then truncated
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)))
      if (v > TWO_63) return overflow
    }
    d = (d + v) & UINT64 // Go adds in uint64
    if (d > TWO_63) return overflow
  }
  if (neg) return { ns: -d }
  if (d > MAX_DURATION_NS) return overflow
  return { ns: d }
}

/**
 * Milliseconds in a Go duration string (fractional below 1 ms), or undefined when Go would reject it.
 *
 * @example parseDuration('1m30s') === 90_000
 */
export function parseDuration(text: string): number | undefined {
  const r = parseDurationNs(text)
  if (!('ns' in r)) return undefined
  return Number(r.ns / 1_000_000n) + Number(r.ns % 1_000_000n) / 1e6
}

/** "1500ms" → "1.5s": for messages. */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms !== 0) return `${ms / 3_600_000}h`
  if (ms % 60_000 === 0 && ms !== 0) return `${ms / 60_000}m`
  if (ms >= 1000) return `${ms / 1000}s`
  return `${ms}ms`
}
