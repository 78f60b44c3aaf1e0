/** @module cli/format: the cells every CLI table shares: ages as kubectl prints them, <none>, padded columns. */

/** Shown where a cell has no value, as kubectl does. */
export const NONE = '<none>'

/**
 * How long ago, as kubectl prints ages (its HumanDuration): `45s`, `119s`, `3m25s`, `175m`, `3h25m`, `47h`,
 * `3d4h`, `45d`, `2y30d`, `9y`. `now` is ms since the epoch (tests pass a fixed one).
 */
export function age(iso: string, now: number = Date.now()): string {
  const seconds = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000))
  if (Number.isNaN(seconds)) return '<unknown>'
  if (seconds < 120) return `${seconds}s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`
  if (minutes < 180) return `${minutes}m`
  const hours = Math.floor(minutes / 60)
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`
  if (hours < 48) return `${hours}h`
  const days = Math.floor(hours / 24)
  if (hours < 24 * 8) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`
  if (days < 365 * 2) return `${days}d`
  const years = Math.floor(days / 365)
  if (years < 8) return days % 365 === 0 ? `${years}y` : `${years}y${days % 365}d`
  return `${years}y`
}

/** Columns padded to their widest cell and 3 spaces apart (kubectl's tabwriter); the first row is the header. */
export function table(rows: string[][], opts: { header?: boolean } = {}): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)))
  const shown = opts.header === false ? rows.slice(1) : rows
  return shown.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('   ').trimEnd()).join('\n') + '\n'
}
