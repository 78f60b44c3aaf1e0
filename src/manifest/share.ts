/**
 * @module manifest/share: chaoscope's `chaoscope.dev/percent` annotation, read where it is validated (a Workflow's
 * per-template form) and where it is applied (the sidecar faults), so both take the same values.
 */

/** The annotation that limits a fault to a share of connections (tcp) or requests (http). */
export const PERCENT_ANNOTATION = 'chaoscope.dev/percent'

/** A share as chaoscope reads it: a number from 0 to 100 ("10", "2.5"), or undefined for anything else. */
export function parseShare(text: string): number | undefined {
  const n = Number(text.trim())
  return text.trim() === '' || !Number.isFinite(n) || n < 0 || n > 100 ? undefined : n
}
