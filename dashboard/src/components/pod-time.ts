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

/** An ISO time as the browser's local date and time, with its zone's name (so it cannot be misread). */
export function localTime(iso: string | undefined): string {
  if (!iso) return '—'
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' })
}
