/** The exemplar ring of one sidecar: what it keeps and for how long, in bounded memory. */
import { describe, expect, test } from 'vitest'
import type { Exemplar } from '../types.js'
import { controlApi } from '../control-api.js'
import type { LocalRuntime } from '../local-runtime.js'
import { ExemplarRing, INTERVAL_MS, NOTABLE_CAP, SLOWEST_PER_INTERVAL } from './exemplars.js'

let n = 0
/** A request that started at `start` (epoch ms) and took `durationMs`. */
function ex(start: number, durationMs: number, reason: Exemplar['reason'], path = `/r${n}`): Exemplar {
  n++
  return { traceId: 'a'.repeat(32), spanId: n.toString(16).padStart(16, '0'), sidecar: 'web-1>api', method: 'GET', path, status: reason === 'slow' ? 200 : 503, start, durationMs, faults: [], reason }
}

/** Offers a passing request the way tracing does: built only when the ring wants it. */
function offer(ring: ExemplarRing, e: Exemplar): void {
  if (ring.wantsSlow(e.start + e.durationMs, e.durationMs)) ring.add(e)
}

const T0 = 1_700_000_000_000

describe('exemplar ring', () => {
  test('keeps the newest failed or faulted requests up to the cap', () => {
    const ring = new ExemplarRing()
    for (let i = 0; i < NOTABLE_CAP + 20; i++) ring.add(ex(T0 + i, 1, i % 2 ? 'fault' : 'failed', `/boom/${i}`))
    const kept = ring.list()
    expect(kept).toHaveLength(NOTABLE_CAP)
    expect(kept.map((e) => e.path)).toEqual(Array.from({ length: NOTABLE_CAP }, (_, i) => `/boom/${i + 20}`))
  })

  test('of passing requests, keeps only the slowest few of this interval and the one before', () => {
    const ring = new ExemplarRing()
    const base = Math.ceil(T0 / INTERVAL_MS) * INTERVAL_MS
    // interval 1: 100 fast requests and two slow ones among them
    for (let i = 0; i < 100; i++) offer(ring, ex(base + i, i === 30 ? 250 : i === 60 ? 400 : 2 + (i % 3), 'slow', i === 30 || i === 60 ? `/slow/${i}` : '/fast'))
    let kept = ring.list()
    expect(kept).toHaveLength(SLOWEST_PER_INTERVAL)
    expect(kept.filter((e) => e.path.startsWith('/slow')).map((e) => e.durationMs).sort()).toEqual([250, 400])
    // a fast passing request after the interval has its slowest few is not kept
    const fast = ex(base + 200, 1, 'slow', '/late-fast')
    offer(ring, fast)
    expect(ring.list()).not.toContainEqual(fast)
    // interval 2 keeps interval 1's; interval 3 drops them
    offer(ring, ex(base + INTERVAL_MS + 10, 1, 'slow', '/next'))
    kept = ring.list()
    expect(kept.map((e) => e.path)).toContain('/slow/60')
    expect(kept.map((e) => e.path)).toContain('/next')
    offer(ring, ex(base + 2 * INTERVAL_MS + 10, 1, 'slow', '/third'))
    expect(ring.list().map((e) => e.path)).toEqual(['/next', '/third'])
  })

  test('passing requests never push out failed ones; the total stays bounded', () => {
    const ring = new ExemplarRing()
    for (let i = 0; i < NOTABLE_CAP; i++) ring.add(ex(T0 + i, 1, 'failed'))
    for (let i = 0; i < 10_000; i++) offer(ring, ex(T0 + i * 7, (i * 37) % 100, 'slow'))
    const kept = ring.list()
    expect(kept.filter((e) => e.reason === 'failed')).toHaveLength(NOTABLE_CAP)
    expect(kept.length).toBeLessThanOrEqual(NOTABLE_CAP + 2 * SLOWEST_PER_INTERVAL)
    expect(NOTABLE_CAP + 2 * SLOWEST_PER_INTERVAL).toBe(64)
  })

  test('since: only requests that ended after it, oldest end first', () => {
    const ring = new ExemplarRing()
    const a = ex(T0, 50, 'fault')
    const b = ex(T0 + 10, 5, 'failed')
    const c = ex(T0 + 20, 100, 'fault')
    for (const e of [c, a, b]) ring.add(e)
    expect(ring.list()).toEqual([b, a, c])
    expect(ring.list(T0 + 15)).toEqual([a, c])
    expect(ring.list(T0 + 120)).toEqual([])
  })
})

describe('GET /runtime/v1/sidecars?since', () => {
  const asked: unknown[] = []
  const rt = { stats: async (o: unknown) => (asked.push(o), []) } as unknown as LocalRuntime
  const app = controlApi(rt, { onShutdown() {}, rateLimit: false })

  test('passes a time in epoch ms on, and refuses anything else', async () => {
    expect((await app.request('/runtime/v1/sidecars')).status).toBe(200)
    expect((await app.request('/runtime/v1/sidecars?since=1700000000123.5')).status).toBe(200)
    expect(asked).toEqual([{}, { since: 1700000000123.5 }])
    for (const bad of ['abc', '-1', '', '1e400']) {
      const res = await app.request(`/runtime/v1/sidecars?since=${bad}`)
      expect(res.status).toBe(400)
      expect(await res.json()).toMatchObject({ code: 'API_INVALID_QUERY', message: expect.stringContaining('since') })
    }
  })
})
