/** @module manifest/kinds/field-rules: checks and defaults that several chaos kinds share (percent strings, ports, byte sizes). */
import type { FieldPath } from '../issues.js'
import type { CheckContext } from '../kind.js'

/**
 * A percent written as a string ("25", "0.5"), as netem takes its probabilities. Chaos Mesh parses these as
 * floats; a value outside 0..100 is no probability at all, so it is reported here rather than at injection.
 * `required`: the field has no default, so an empty string is an error too (Chaos Mesh cannot parse "").
 */
export function checkPercentString(ctx: CheckContext, path: FieldPath, value: string | undefined, opts: { required?: boolean } = {}): void {
  if (value === undefined) return
  if (value.trim() === '') {
    if (opts.required) ctx.issue(path, 'SPEC_INVALID_VALUE', 'expected a percent from 0 to 100, got ""', 'write a percent in a string, e.g. "25"')
    return
  }
  const n = Number(value)
  if (!Number.isFinite(n)) return // the schema's float-string format has reported it
  if (n < 0 || n > 100) ctx.issue(path, 'SPEC_OUT_OF_RANGE', `expected a percent from 0 to 100, got ${JSON.stringify(value)}`)
}

/** Sets `o[key]` to `value` when it is missing or empty, as Chaos Mesh's `default:"…"` struct tags do. */
export function fillEmpty<T extends object, K extends keyof T>(o: T | undefined, key: K, value: T[K]): void {
  if (!o) return
  if (o[key] === undefined || (o[key] as unknown) === '') o[key] = value
}

/** A TCP/UDP port: an integer from 1 to 65535. Reports and returns false otherwise. */
export function checkPort(ctx: CheckContext, path: FieldPath, port: number): boolean {
  if (port >= 1 && port <= 65535) return true
  ctx.issue(path, 'SPEC_OUT_OF_RANGE', `expected a port from 1 to 65535, got ${port}`)
  return false
}

const HUMAN_SIZE = /^\d+(\.\d+)? ?[kmgtp]?i?b?$/i

/**
 * A memory size as Chaos Mesh's stress webhook reads it: "256MB", "1.5GiB", "1024", or a percent of the
 * container's memory "50%" (0..100). Empty is allowed (no size given).
 */
export function checkByteSize(ctx: CheckContext, path: FieldPath, value: string | undefined): void {
  if (value === undefined || value === '') return
  if (value.endsWith('%')) {
    const body = value.slice(0, -1)
    if (!/^[+-]?\d+$/.test(body)) {
      ctx.issue(path, 'SPEC_INVALID_VALUE', `expected a size like "256MB" or a percent like "50%", got ${JSON.stringify(value)}`, 'a percent must be a whole number')
    } else if (Number(body) < 0 || Number(body) > 100) {
      ctx.issue(path, 'SPEC_OUT_OF_RANGE', `expected a percent from 0 to 100, got ${JSON.stringify(value)}`)
    }
    return
  }
  if (!HUMAN_SIZE.test(value)) {
    ctx.issue(path, 'SPEC_INVALID_VALUE', `expected a size like "256MB" or a percent like "50%", got ${JSON.stringify(value)}`, 'write a number with an optional unit: B, KB, MB, GB, TB, PB (or KiB, MiB, ...)')
  }
}

/** Reports every key of `o` listed in `fields` that is set, as having no effect in `context`. */
export function checkUnusedFields(ctx: CheckContext, base: FieldPath, o: object | undefined, fields: readonly string[], why: (field: string) => string, hint: string): void {
  if (!o) return
  for (const f of fields) {
    if ((o as Record<string, unknown>)[f] !== undefined) ctx.issue([...base, f], 'SPEC_INVALID_VALUE', why(f), hint)
  }
}
