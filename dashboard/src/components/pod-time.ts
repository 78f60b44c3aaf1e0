/** @module dashboard/components/pod-time: how long ago, in the short words `kubectl get` uses (45s, 3m, 2h, 5d). */

/** The age of an ISO time at `now`: seconds under two minutes, then minutes, hours, days. */
export function ageOf(iso: string | undefined, now: number): string {
  if (!iso) return '—'
  const s = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000))
  if (s < 120) return `${s}s`
  if (s < 2 * 3600) return `${Math.floor(s / 60)}m`
  if (s < 2 * 86400) return `${Math.floor(s / 3600)}h`
  return `${Math.floor(s / 86400)}d`
}

/** An ISO time as a date and time in UTC (as the charts' axes, the CLI and the reports show them): `2026-12-07 23:13:34 UTC`. */
export function utcTime(iso: string | undefined): string {
  if (!iso) return '—'
  const t = new Date(iso)
  return Number.isNaN(t.getTime()) ? iso : `${t.toISOString().slice(0, 10)} ${t.toISOString().slice(11, 19)} UTC`
}
