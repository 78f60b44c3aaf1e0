/** HTTP mode: keep-alive connections through the proxy, each http fault with its matchers, signals, traceparent. */

import type http from 'node:http'
import { describe, expect, it } from 'vitest'
import { RawHttp, addr, echoHandler, withHttpServer, withProxy, withRawHttp } from '../../../test/sockets.js'
import type { Proxy } from './proxy.js'
import type { HttpFault } from './toxic.js'

interface Echo {
  method: string
  url: string
  headers: Record<string, string>
  body: string
}
const echoOf = (b: Buffer): Echo => JSON.parse(b.toString()) as Echo

/** Upstream: /status/<code> answers that code; /chunked answers with a chunked body; anything else echoes. */
const handler: http.RequestListener = (req, res) => {
  const m = /^\/status\/(\d+)/.exec(req.url ?? '')
  if (m) {
    req.resume()
    req.on('end', () => {
      res.writeHead(Number(m[1]), { 'content-type': 'application/json', 'x-kind': 'status' })
      res.end(JSON.stringify({ code: Number(m[1]), nested: { a: 1, b: 2 } }))
    })
    return
  }
  if (req.url === '/chunked') {
    req.resume()
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.write('part1-')
    setTimeout(() => res.end('part2'), 5)
    return
  }
  echoHandler(req, res)
}

async function withHttpProxy<T>(fn: (p: Proxy, c: RawHttp) => Promise<T>): Promise<T> {
  return withHttpServer(handler, (up) =>
    withProxy({ mode: 'http', upstreams: [addr(up)] }, (p) => withRawHttp(p.port, (c) => fn(p, c))),
  )
}

const fault = (f: Omit<HttpFault, 'type' | 'direction'>): HttpFault => ({
  type: 'http',
  direction: f.target === 'Request' ? 'upstream' : 'downstream',
  ...f,
})

async function timed<T>(p: Promise<T>): Promise<[T, number]> {
  const t = performance.now()
  const v = await p
  return [v, performance.now() - t]
}

describe('http proxy', () => {
  it('forwards many requests on one keep-alive connection, with bodies of both framings, and counts them', async () => {
    await withHttpProxy(async (p, c) => {
      for (let i = 0; i < 20; i++) {
        const r = await c.request('POST', `/echo/${i}?q=${i}`, { body: `payload-${i}`, chunked: i % 2 === 0 })
        expect(r.status).toBe(200)
        expect(echoOf(r.body)).toMatchObject({ method: 'POST', url: `/echo/${i}?q=${i}`, body: `payload-${i}` })
      }
      const chunked = await c.request('GET', '/chunked')
      expect(chunked.headers['transfer-encoding']).toBe('chunked')
      expect(chunked.body.toString()).toBe('part1-part2')
      const head = await c.request('HEAD', '/status/200')
      expect(head.status).toBe(200)
      expect((await c.request('GET', '/status/404')).status).toBe(404)
      expect((await c.request('GET', '/status/503')).status).toBe(503)
      const s = p.stats()
      expect(s.connections.total).toBe(1)
      expect(s.requests).toEqual({ '1xx': 0, '2xx': 22, '3xx': 0, '4xx': 1, '5xx': 1, error: 0 })
      expect(s.latency.count).toBe(24)
    })
  })

  it('propagates traceparent: keeps the trace id, new span id per hop, creates one when absent', async () => {
    await withHttpProxy(async (_p, c) => {
      const fresh = echoOf((await c.request('GET', '/t')).body).headers.traceparent!
      expect(fresh).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
      const incoming = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
      const out = echoOf((await c.request('GET', '/t', { headers: { traceparent: incoming } })).body).headers.traceparent!
      expect(out.slice(0, 36)).toBe(incoming.slice(0, 36))
      expect(out.slice(36, 52)).not.toBe('b7ad6b7169203331')
      expect(out).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/)
      const bad = echoOf((await c.request('GET', '/t', { headers: { traceparent: 'garbage' } })).body).headers.traceparent!
      expect(bad).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
    })
  })

  it('abort on Request closes the connection without a response, only for matching path and method', async () => {
    await withHttpServer(handler, (up) =>
      withProxy({ mode: 'http', upstreams: [addr(up)] }, async (p) => {
        p.addFault(fault({ id: 'ab', target: 'Request', action: 'abort', match: { path: '/api/*', method: 'GET' } }))
        await withRawHttp(p.port, async (c) => {
          expect((await c.request('POST', '/api/x', { body: 'x' })).status).toBe(200)
          expect((await c.request('GET', '/other')).status).toBe(200)
          await expect(c.request('GET', '/api/users/1')).rejects.toThrow(/closed/)
        })
        expect(p.stats().faults[0]!.touched.requests).toBe(1)
        expect(p.stats().requests.error).toBe(1)
      }),
    )
  })

  it('abort on Response matches the status code', async () => {
    await withHttpServer(handler, (up) =>
      withProxy({ mode: 'http', upstreams: [addr(up)] }, async (p) => {
        p.addFault(fault({ id: 'ab', target: 'Response', action: 'abort', match: { code: 404 } }))
        await withRawHttp(p.port, async (c) => {
          expect((await c.request('GET', '/status/200')).status).toBe(200)
          await expect(c.request('GET', '/status/404')).rejects.toThrow(/closed/)
        })
      }),
    )
  })

  it('delay holds matching requests (Request) and responses (Response) only', async () => {
    await withHttpProxy(async (p, c) => {
      p.addFault(fault({ id: 'd', target: 'Request', action: 'delay', delayMs: 150, match: { path: '/slow*' } }))
      const [, fast] = await timed(c.request('GET', '/fast'))
      const [r, slow] = await timed(c.request('GET', '/slow/1'))
      expect(r.status).toBe(200)
      expect(fast).toBeLessThan(100)
      expect(slow).toBeGreaterThan(145)
      expect(slow).toBeLessThan(400)
      p.removeFault('d')
      p.addFault(fault({ id: 'd2', target: 'Response', action: 'delay', delayMs: 150, match: { code: 503 } }))
      const [, ok] = await timed(c.request('GET', '/status/200'))
      const [r2, late] = await timed(c.request('GET', '/status/503'))
      expect(r2.status).toBe(503)
      expect(ok).toBeLessThan(100)
      expect(late).toBeGreaterThan(145)
      expect(p.stats().faults[0]!.touched.requests).toBe(1)
    })
  })

  it('replace rewrites the request: method, path, queries, headers, body', async () => {
    await withHttpProxy(async (p, c) => {
      p.addFault(
        fault({
          id: 'rq',
          target: 'Request',
          action: 'replace',
          match: { path: '/orig', requestHeaders: { 'X-User': 'alice' } },
          replace: { method: 'PUT', path: '/replaced', queries: { a: '9' }, headers: { 'x-added': 'yes' }, body: 'new body' },
        }),
      )
      const other = echoOf((await c.request('POST', '/orig?a=1', { body: 'old', headers: { 'x-user': 'bob' } })).body)
      expect(other).toMatchObject({ method: 'POST', url: '/orig?a=1', body: 'old' })
      const e = echoOf((await c.request('POST', '/orig?a=1&b=2', { body: 'old body', chunked: true, headers: { 'x-user': 'alice' } })).body)
      expect(e.method).toBe('PUT')
      expect(e.url).toBe('/replaced?a=9&b=2')
      expect(e.headers['x-added']).toBe('yes')
      expect(e.body).toBe('new body')
      expect(e.headers['content-length']).toBe('8')
    })
  })

  it('replace rewrites the response: code, headers, body', async () => {
    await withHttpProxy(async (p, c) => {
      p.addFault(
        fault({
          id: 'rs',
          target: 'Response',
          action: 'replace',
          match: { path: '/status/*', responseHeaders: { 'x-kind': 'status' } },
          replace: { code: 418, headers: { 'x-chaos': '1' }, body: 'teapot' },
        }),
      )
      const r = await c.request('GET', '/status/200')
      expect(r.status).toBe(418)
      expect(r.head.reason).toBe("I'm a Teapot")
      expect(r.headers['x-chaos']).toBe('1')
      expect(r.body.toString()).toBe('teapot')
      expect((await c.request('GET', '/echo')).status).toBe(200)
      expect(p.stats().requests['4xx']).toBe(1)
    })
  })

  it('patch adds headers and queries and merge-patches JSON bodies, both ways', async () => {
    await withHttpProxy(async (p, c) => {
      p.addFault(
        fault({
          id: 'pq',
          target: 'Request',
          action: 'patch',
          patch: { headers: [['x-extra', 'e']], queries: [['debug', '1']], body: { role: 'admin', drop: null } },
        }),
      )
      p.addFault(
        fault({
          id: 'ps',
          target: 'Response',
          action: 'patch',
          match: { code: 201 },
          patch: { headers: [['x-patched', 'yes']], body: { nested: { b: null, c: 3 } } },
        }),
      )
      const e = echoOf((await c.request('POST', '/p?x=1', { body: JSON.stringify({ name: 'n', drop: 1 }) })).body)
      expect(e.url).toBe('/p?x=1&debug=1')
      expect(e.headers['x-extra']).toBe('e')
      expect(JSON.parse(e.body)).toEqual({ name: 'n', role: 'admin' })
      const r = await c.request('GET', '/status/201')
      expect(r.headers['x-patched']).toBe('yes')
      expect(JSON.parse(r.body.toString())).toEqual({ code: 201, nested: { a: 1, c: 3 } })
      expect(p.stats().faults.map((f) => f.touched.requests)).toEqual([2, 1])
    })
  })

  it('a fault added while a keep-alive connection is open acts on its next request; removing it restores it', async () => {
    await withHttpProxy(async (p, c) => {
      expect((await c.request('GET', '/status/200')).status).toBe(200)
      p.addFault(fault({ id: 'r', target: 'Response', action: 'replace', replace: { code: 500 } }))
      expect((await c.request('GET', '/status/200')).status).toBe(500)
      p.removeFault('r')
      expect((await c.request('GET', '/status/200')).status).toBe(200)
      // Network latency in http mode holds whole requests.
      p.addFault({ id: 'lat', type: 'latency', direction: 'upstream', latencyMs: 120 })
      const [, t] = await timed(c.request('GET', '/echo'))
      expect(t).toBeGreaterThan(115)
      expect(p.stats().faults[0]!.touched.requests).toBe(1)
      p.removeFault('lat')
      const [, t2] = await timed(c.request('GET', '/echo'))
      expect(t2).toBeLessThan(100)
      expect(p.stats().connections.total).toBe(1)
    })
  })

  it('percent acts on about that share of requests', async () => {
    await withHttpProxy(async (p, c) => {
      p.addFault(fault({ id: 'half', target: 'Response', action: 'replace', replace: { code: 503 }, percent: 50 }))
      let hit = 0
      for (let i = 0; i < 60; i++) if ((await c.request('GET', '/x')).status === 503) hit++
      expect(hit).toBeGreaterThanOrEqual(15)
      expect(hit).toBeLessThanOrEqual(45)
      expect(p.stats().faults[0]!.touched.requests).toBe(hit)
    })
  })

  it('answers 502 when the upstream refuses, and counts it as 5xx', async () => {
    await withProxy({ mode: 'http', upstreams: ['127.0.0.1:9'] }, async (p) => {
      await withRawHttp(p.port, async (c) => expect((await c.request('GET', '/')).status).toBe(502))
      expect(p.stats().requests['5xx']).toBe(1)
    })
  })
})
