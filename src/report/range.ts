/**
 * @module report/range: the time range of a report, as `--since 15m` or `--from T --to T` (the API's `since`,
 * `from` and `to`) give it. Bounded to 7 days: the signals are kept a day by default, and a range's rows are read
 * at once.
 */
import { ChaosError } from '../errors.js'
import { parseDuration } from '../manifest/duration.js'

export const MAX_RANGE_MS = 7 * 86_400_000

const bad = (message: string) =>
  new ChaosError('REPORT_INVALID_RANGE', message, { hint: 'give --since 15m, or --from and --to as ISO times (2026-12-04T10:00:00Z) with --from before --to' })

function time(name: string, v: string): number {
  const t = Date.parse(v)
  if (Number.isNaN(t)) throw bad(`${name}: expected an ISO time like 2026-12-04T10:00:00Z, got ${JSON.stringify(v)}`)
  return t
}

/** Epoch ms `[from, to)`: `since` back from now (or from `to`), or `from` to `to` (default now). */
export function parseRange(q: { since?: string | undefined; from?: string | undefined; to?: string | undefined }, now: number): { from: number; to: number } {
  const since = q.since?.trim() || undefined
  const fromText = q.from?.trim() || undefined
  const to = q.to?.trim() ? time('to', q.to.trim()) : now
  if (since !== undefined && fromText !== undefined) throw bad('give --since or --from, not both')
  let from: number
  if (since !== undefined) {
    const d = parseDuration(since)
    if (d === undefined || !(d > 0)) throw bad(`since: expected a duration like 15m, 2h or 90s, got ${JSON.stringify(since)}`)
    from = to - d
  } else if (fromText !== undefined) from = time('from', fromText)
  else throw bad('a report needs a time range: --since, or --from (and --to)')
  if (!(from < to)) throw bad(`the range is empty: from ${new Date(from).toISOString()} is not before to ${new Date(to).toISOString()}`)
  if (to - from > MAX_RANGE_MS) throw bad(`the range is ${((to - from) / 86_400_000).toFixed(1)} days: a report covers at most 7`)
  return { from, to }
}
