/** @module runtime/proxy/trace: W3C trace context (`traceparent`) for one proxy hop. */

import { randomFillSync } from 'node:crypto'

const pool = Buffer.alloc(4096)
let poolAt = pool.length

function randomHex(bytes: number): string {
  if (poolAt + bytes > pool.length) {
    randomFillSync(pool)
    poolAt = 0
  }
  const s = pool.toString('hex', poolAt, poolAt + bytes)
  poolAt += bytes
  return s
}

const ZEROS = /^0+$/
const VALID = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})/

/** The ids of this hop's span: the trace it belongs to, its own id and its parent's (absent at a new root). */
export interface HopSpan {
  traceId: string
  spanId: string
  parentId: string | undefined
  /** The traceparent value to send onward. */
  header: string
}

/** A new random span id (16 hex digits, never all zero). */
export function newSpanId(): string {
  let id = randomHex(8)
  while (id === '0000000000000000') id = randomHex(8)
  return id
}

/**
 * The span for a hop given the incoming traceparent value: the trace id and flags are kept and this hop's
 * new span id replaces the parent id. A missing or malformed value (or version ff, or all-zero ids) starts
 * a new sampled trace.
 */
export function hop(incoming: string | undefined): HopSpan {
  if (incoming === undefined) {
    // The common case (no incoming context): both ids from one draw of 24 random bytes.
    const r = randomHex(24)
    const traceId = r.slice(0, 32)
    const spanId = r.slice(32)
    if (!ZEROS.test(traceId) && !ZEROS.test(spanId)) {
      return { traceId, spanId, parentId: undefined, header: '00-' + r.slice(0, 32) + '-' + spanId + '-01' }
    }
  }
  const m = incoming === undefined ? null : VALID.exec(incoming)
  const spanId = newSpanId()
  if (m && m[1] !== 'ff' && !/^0+$/.test(m[2]!) && !/^0+$/.test(m[3]!)) {
    return { traceId: m[2]!, spanId, parentId: m[3]!, header: `00-${m[2]}-${spanId}-${m[4]}` }
  }
  let traceId = randomHex(16)
  while (/^0+$/.test(traceId)) traceId = randomHex(16)
  return { traceId, spanId, parentId: undefined, header: `00-${traceId}-${spanId}-01` }
}
