/**
 * The limits both APIs share: nesting counted without parsing (deep bodies refused at once, valid documents of
 * every style never refused for nesting they do not have), bodies read no further than the limit, a token bucket.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseAllDocuments, stringify } from 'yaml'
import { checkNesting, MAX_BODY_BYTES, nestingPastBound, RateLimiter, rateLimitFromEnv, readBody } from './http-guard.js'

/** The depth the scan counts: the least bound it does not pass. */
function scanned(text: string): number {
  let max = 0
  while (nestingPastBound(text, max)) max++
  return max
}

/** How deep a parsed value nests (collections only). */
function depth(v: unknown): number {
  if (Array.isArray(v)) return 1 + Math.max(0, ...v.map(depth))
  if (typeof v === 'object' && v !== null) return 1 + Math.max(0, ...Object.values(v).map(depth))
  return 0
}

/** A random value nesting exactly `d` levels (a seeded generator: the same values on every run). */
function nested(d: number, seed: number): unknown {
  let s = seed
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
  const leaf = () => ['x', 'it\'s [not] {nested}', 'a: b', '- c', '# no comment', 42, true, null, '"q"', 'multi\nline [\n  text'][Math.floor(rnd() * 10)]
  const make = (k: number): unknown => {
    if (k === 0) return leaf()
    const children = [make(k - 1), ...Array.from({ length: Math.floor(rnd() * 3) }, () => (rnd() < 0.5 ? leaf() : make(Math.floor(rnd() * k))))]
    return rnd() < 0.5 ? children : Object.fromEntries(children.map((c, i) => [`k${i}`, c]))
  }
  return make(d)
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f)
    return statSync(p).isDirectory() ? yamlFiles(p) : /\.(ya?ml|json)$/.test(f) ? [p] : []
  })
}

describe('nesting, counted before parsing', () => {
  it.each([
    ['flow sequences', '['.repeat(1024 * 1024)],
    ['flow mappings', '{a: '.repeat(256 * 1024)],
    ['JSON', '{"a":'.repeat(200 * 1024)],
    ['compact block sequences', `${'- '.repeat(512 * 1024)}x`],
    ['block mappings', Array.from({ length: 150 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n')],
    ['explicit keys', `${'? '.repeat(1000)}x`],
  ])('refuses %s nesting past the bound, at once, naming where', (_what, text) => {
    const t0 = performance.now()
    expect(() => checkNesting(text)).toThrow(expect.objectContaining({ code: 'API_BODY_TOO_DEEP', message: expect.stringMatching(/deeper than 100 levels \(at line \d+, column \d+\)/) }))
    expect(performance.now() - t0).toBeLessThan(200)
  })

  it('does not count what is content: quoted and block scalars, plain text with brackets, comments', () => {
    const deep = '['.repeat(500)
    const text = [
      `a: "${deep}"`,
      `b: '${deep}'`,
      `c: see ${deep}`,
      `d: # ${deep}`,
      '  e: |',
      `    ${deep}`,
      `      ${deep}`,
      '  f: >-',
      `    - ${'- '.repeat(200)}`,
      `g: [ "${deep}", '${deep}' ]`,
      `h: "multi`,
      `  ${deep}"`,
      'i:',
      '  plain words',
      `    that wrap ${deep}`,
      `      and wrap`,
      '---',
      `|`,
      `  ${deep}`,
    ].join('\n')
    expect(parseAllDocuments(text).every((d) => d.errors.length === 0)).toBe(true)
    expect(scanned(text)).toBeLessThanOrEqual(3)
  })

  it('counts about what a parser nests (at most one level more), in every style the YAML library writes and in JSON', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const d = 1 + (seed % 12)
      const value = nested(d, seed)
      expect(depth(value)).toBe(d)
      for (const text of [stringify(value), stringify(value, { collectionStyle: 'flow' }), stringify(value, { indentSeq: false }), JSON.stringify(value), JSON.stringify(value, null, 2)]) {
        expect(depth(parseAllDocuments(text)[0]!.toJS())).toBe(d)
        const n = scanned(text)
        if (n < d || n > d + 1) throw new Error(`scanned ${n} levels for ${d}:\n${text}`)
      }
    }
  })

  it('counts no deeper than the document nests in every example and fixture', () => {
    const root = join(import.meta.dirname, '..')
    const files = [...yamlFiles(join(root, 'examples')), ...yamlFiles(join(root, 'test', 'fixtures'))]
    expect(files.length).toBeGreaterThan(20)
    for (const f of files) {
      const text = readFileSync(f, 'utf8')
      const docs = parseAllDocuments(text)
      if (!Array.isArray(docs) || docs.some((d) => d.errors.length > 0)) continue // invalid YAML fixtures: nothing to compare
      const d = Math.max(0, ...docs.map((doc) => depth(doc.toJS({ maxAliasCount: -1 }))))
      const n = scanned(text)
      if (n > d + 1) throw new Error(`${f}: scanned ${n} levels, the document nests ${d}`)
    }
  })
})

describe('readBody', () => {
  /** A body streamed in 64 KiB chunks (as a chunked upload arrives), counting what was pulled from it. */
  function streamed(total: number) {
    const chunk = new Uint8Array(64 * 1024).fill(0x20)
    const seen = { bytes: 0 }
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (seen.bytes >= total) return c.close()
        seen.bytes += chunk.byteLength
        c.enqueue(chunk)
      },
    }, { highWaterMark: 0 })
    return { req: new Request('http://x/', { method: 'POST', body, duplex: 'half' } as RequestInit), seen }
  }

  it('stops reading a chunked body at the limit: 413, with no more than a chunk past it read', async () => {
    const { req, seen } = streamed(300 * 1024 * 1024)
    await expect(readBody(req)).rejects.toMatchObject({ code: 'API_BODY_TOO_LARGE' })
    expect(seen.bytes).toBeLessThanOrEqual(MAX_BODY_BYTES + 64 * 1024)
  })

  it('refuses a declared length over the limit without reading a byte', async () => {
    const { req, seen } = streamed(10)
    const declared = { headers: new Headers({ 'content-length': String(300 * 1024 * 1024) }), body: req.body } as Request
    await expect(readBody(declared)).rejects.toMatchObject({ code: 'API_BODY_TOO_LARGE' })
    expect(seen.bytes).toBe(0)
  })

  it('reads a body within the limit as UTF-8 text', async () => {
    expect(await readBody(new Request('http://x/', { method: 'POST', body: 'kind: Ä' }))).toBe('kind: Ä')
    expect(await readBody(new Request('http://x/'))).toBe('')
  })
})

describe('the rate limit', () => {
  it('is a token bucket per client: a burst, then one request per 1/rate seconds, with the wait to tell', () => {
    let now = 0
    const limiter = new RateLimiter({ perSecond: 2, burst: 3 }, () => now)
    expect([1, 2, 3, 4].map(() => limiter.take('a'))).toEqual([0, 0, 0, 1])
    expect(limiter.take('b')).toBe(0) // another client has its own bucket
    now += 500
    expect([limiter.take('a'), limiter.take('a')]).toEqual([0, 1])
    now += 10_000
    expect([1, 2, 3, 4].map(() => limiter.take('a'))).toEqual([0, 0, 0, 1]) // refilled to the burst, not past it
  })

  it('is read from CHAOSCOPE_RATE_LIMIT: per second, with a burst, or off', () => {
    expect(rateLimitFromEnv(undefined)).toEqual({ perSecond: 5000, burst: 10_000 })
    expect(rateLimitFromEnv('100')).toEqual({ perSecond: 100, burst: 200 })
    expect(rateLimitFromEnv('100:5')).toEqual({ perSecond: 100, burst: 5 })
    expect(rateLimitFromEnv('off')).toBe(false)
    expect(() => rateLimitFromEnv('fast')).toThrow(expect.objectContaining({ code: 'CLI_USAGE' }))
  })
})
