/**
 * @module demo/lib/trace: W3C trace context (`traceparent`): parse the caller's, hand a child on to each outgoing call.
 * With tracing on (observe/tracing) the ids are those of the request's OpenTelemetry span.
 */
import { randomBytes } from 'node:crypto'
import type { Span } from '@opentelemetry/api'

/** The trace this request belongs to and the span this service opened for it. */
export interface TraceContext {
  traceId: string
  /** This service's span for the request being served. */
  spanId: string
  /** The caller's span, when the request carried a valid `traceparent`. */
  parentSpanId?: string
  flags: string
  /** This service's OpenTelemetry span for the request, when tracing is on (its ids are the ones above). */
  span?: Span
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/

const hex = (bytes: number): string => randomBytes(bytes).toString('hex')
const allZero = (s: string): boolean => /^0+$/.test(s)

/** Continues the caller's trace when `header` is a valid version-00 traceparent; starts a new trace otherwise. */
export function continueTrace(header: string | string[] | undefined): TraceContext {
  const value = Array.isArray(header) ? header[0] : header
  const m = value ? TRACEPARENT.exec(value.trim().toLowerCase()) : null
  if (m && !allZero(m[1]!) && !allZero(m[2]!)) return { traceId: m[1]!, parentSpanId: m[2]!, spanId: hex(8), flags: m[3]! }
  return { traceId: hex(16), spanId: hex(8), flags: '01' }
}

/** The `traceparent` for one outgoing call: same trace id, a new span id for the call. */
export function childTraceparent(ctx: TraceContext): string {
  return `00-${ctx.traceId}-${hex(8)}-${ctx.flags}`
}

/** The context of a request served under `span`: its ids, and the caller's span id when `header` named one. */
export function spanTrace(span: Span, header: string | string[] | undefined): TraceContext {
  const sc = span.spanContext()
  const value = Array.isArray(header) ? header[0] : header
  const parent = value ? parseTraceparent(value) : undefined
  const ctx: TraceContext = { traceId: sc.traceId, spanId: sc.spanId, flags: sc.traceFlags.toString(16).padStart(2, '0') }
  if (parent && parent.traceId === sc.traceId) ctx.parentSpanId = parent.spanId
  // Not enumerable: the context stays a plain set of ids when logged or sent as JSON.
  Object.defineProperty(ctx, 'span', { value: span, enumerable: false })
  return ctx
}

export function parseTraceparent(header: string): { traceId: string; spanId: string; flags: string } | undefined {
  const m = TRACEPARENT.exec(header.trim().toLowerCase())
  return m ? { traceId: m[1]!, spanId: m[2]!, flags: m[3]! } : undefined
}
