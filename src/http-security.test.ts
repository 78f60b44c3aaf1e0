/**
 * What a browser page can no longer do to either API: reach it under a rebound name, call it from another origin,
 * POST a form's text/plain to a JSON endpoint, or leave a token in a URL; and the headers every answer carries.
 */
import { once } from 'node:events'
import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { connect } from 'node:net'
import { hostname } from 'node:os'
import { serve } from '@hono/node-server'
import type { ServerType } from '@hono/node-server'
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ChaosError, errorBody, httpStatus } from './errors.js'
import { FailedAuthLimiter, isLoopbackHost, parseListen, requireContentType, security } from './http-security.js'
import type { SecurityOptions } from './http-security.js'

/** An API as both servers build theirs: errors through onError, the security middleware first. */
function api(opts: Partial<SecurityOptions> = {}): Hono {
  const app = new Hono()
  app.onError((e, c) => c.json(errorBody(e), httpStatus(errorBody(e).code)))
  app.use('*', security({ listen: ['127.0.0.1:4000'], ...opts }))
  app.get('/x', (c) => c.json({ ok: true }))
  app.post('/x', requireContentType(['application/json']), (c) => c.json({ ok: true }))
  app.delete('/x', (c) => c.json({ ok: true }))
  app.get('/cached', (c) => c.text('x', 200, { 'Cache-Control': 'max-age=5' }))
  app.get('/gone', () => {
    throw new ChaosError('CONTROLLER_NOT_FOUND', 'no such thing')
  })
  return app
}

const HOST = '127.0.0.1:4000'

async function call(app: Hono, path: string, init: RequestInit & { headers?: Record<string, string> } = {}) {
  const res = await app.request(path, { ...init, headers: { Host: HOST, ...init.headers } })
  const text = await res.text()
  return { status: res.status, headers: res.headers, text, body: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : undefined }
}

function corsHeaders(h: Headers): string[] {
  return [...h.keys()].filter((k) => k.startsWith('access-control-'))
}

describe('Host: DNS rebinding', () => {
  const app = api({ listen: ['127.0.0.1:4000', 'box.lan:4001'], allowedHosts: ['Chaos.Internal'] })

  it.each(['evil.example', 'evil.example:4000', '127.0.0.1.evil.example', 'localhost.evil.example', 'internal', '[::1', '127.0.0.1:4000:1'])('refuses Host %s with 403, naming it', async (host) => {
    const r = await call(app, '/x', { headers: { Host: host } })
    expect(r.status).toBe(403)
    expect(r.body).toMatchObject({ code: 'API_HOST_REFUSED', message: expect.stringContaining(JSON.stringify(host)), hint: expect.stringContaining('--allowed-hosts') })
  })

  it.each(['127.0.0.1:4000', '10.1.2.3', '[::1]:4000', '[fe80::1]', 'localhost', 'LOCALHOST:4000', 'dash.localhost:4000', hostname(), `${hostname().toUpperCase()}:4000`, 'chaos.internal', 'CHAOS.internal:8080', 'box.lan:4001'])('accepts Host %s', async (host) => {
    expect((await call(app, '/x', { headers: { Host: host } })).status).toBe(200)
  })

  it('passes requests made in-process (app.request, Host localhost)', async () => {
    expect((await app.request('/x')).status).toBe(200)
  })

  it('accepts any Host with --allowed-hosts "*"', async () => {
    expect((await call(api({ allowedHosts: ['*'] }), '/x', { headers: { Host: 'evil.example' } })).status).toBe(200)
  })
})

describe('Origin and Sec-Fetch-Site', () => {
  const app = api()

  it.each(['GET', 'POST', 'DELETE'])('refuses %s from another origin with 403 and no CORS header', async (method) => {
    const r = await call(app, '/x', { method, headers: { Origin: 'http://evil.example', 'Content-Type': 'application/json' }, ...(method === 'POST' ? { body: '{}' } : {}) })
    expect(r.status).toBe(403)
    expect(r.body).toMatchObject({ code: 'API_CROSS_ORIGIN', message: expect.stringContaining('http://evil.example'), hint: expect.stringContaining('--cors-origin') })
    expect(corsHeaders(r.headers)).toEqual([])
  })

  it.each([
    ['another port', 'http://127.0.0.1:5000'],
    ['the null origin of a sandboxed frame or a file', 'null'],
    ['another scheme', 'chrome-extension://abc'],
    ['a sub-domain', 'http://x.127.0.0.1:4000'],
  ])('refuses %s', async (_what, origin) => {
    expect((await call(app, '/x', { headers: { Origin: origin } })).body).toMatchObject({ code: 'API_CROSS_ORIGIN' })
  })

  it.each([
    ['http, with the port', HOST, 'http://127.0.0.1:4000'],
    ['https', HOST, 'https://127.0.0.1:4000'],
    ['the default port left out of the Origin', 'localhost:80', 'http://localhost'],
    ['an IPv6 host', '[::1]:4000', 'http://[::1]:4000'],
    ['another case', 'LocalHost:4000', 'http://localhost:4000'],
  ])('accepts the same origin: %s', async (_what, host, origin) => {
    const r = await call(app, '/x', { method: 'POST', body: '{}', headers: { Host: host, Origin: origin, 'Content-Type': 'application/json', 'Sec-Fetch-Site': 'same-origin' } })
    expect(r.status).toBe(200)
    expect(corsHeaders(r.headers)).toEqual([])
  })

  it.each(['cross-site', 'same-site', 'Cross-Site'])('refuses Sec-Fetch-Site: %s without an Origin (a cross-site GET, an image, a link)', async (site) => {
    const r = await call(app, '/x', { headers: { 'Sec-Fetch-Site': site } })
    expect(r.status).toBe(403)
    expect(r.body).toMatchObject({ code: 'API_CROSS_ORIGIN', message: expect.stringContaining('without an Origin') })
  })

  it('accepts Sec-Fetch-Site: none (a URL typed into the browser)', async () => {
    expect((await call(app, '/x', { headers: { 'Sec-Fetch-Site': 'none' } })).status).toBe(200)
  })
})

describe('CORS, only for --cors-origin', () => {
  const DASH = 'https://dash.example:8443'
  const app = api({ corsOrigins: [DASH, 'HTTPS://Other.Example:443'] })
  const preflight = (origin: string) => call(app, '/x', { method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization, content-type' } })

  it('answers an allowed origin\'s preflight with 204 and the methods and headers the APIs take', async () => {
    const r = await preflight(DASH)
    expect(r.status).toBe(204)
    expect(r.text).toBe('')
    expect(Object.fromEntries([...r.headers].filter(([k]) => k.startsWith('access-control-') || k === 'vary'))).toEqual({
      'access-control-allow-origin': DASH,
      'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE',
      'access-control-allow-headers': 'Authorization, Content-Type',
      'access-control-max-age': '600',
      vary: 'Origin',
    })
    expect(r.headers.get('x-frame-options')).toBe('DENY')
  })

  it('adds Access-Control-Allow-Origin and Vary to an allowed origin\'s answers, errors too', async () => {
    for (const [path, status] of [['/x', 200], ['/gone', 404], ['/nowhere', 404]] as const) {
      const r = await call(app, path, { headers: { Origin: DASH, 'Sec-Fetch-Site': 'cross-site' } })
      expect(r.status).toBe(status)
      expect(r.headers.get('access-control-allow-origin')).toBe(DASH)
      expect(r.headers.get('vary')).toBe('Origin')
    }
  })

  it('matches origins as browsers send them (lowercase, no default port)', async () => {
    const r = await call(app, '/x', { headers: { Origin: 'https://other.example' } })
    expect(r.status).toBe(200)
    expect(r.headers.get('access-control-allow-origin')).toBe('https://other.example')
  })

  it('refuses the preflight of any other origin, and sends no CORS header to it', async () => {
    for (const origin of ['https://dash.example', 'http://dash.example:8443', 'https://evil.example']) {
      const r = await preflight(origin)
      expect(r.status).toBe(403)
      expect(corsHeaders(r.headers)).toEqual([])
    }
  })

  it('sends no CORS header without an Origin', async () => {
    const r = await call(app, '/x')
    expect(r.status).toBe(200)
    expect(corsHeaders(r.headers)).toEqual([])
    expect(r.headers.get('vary')).toBeNull()
  })
})

describe('content types', () => {
  const app = api()

  it.each(['text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/yaml'])('refuses a %s body where only application/json is read, with 415', async (type) => {
    const r = await call(app, '/x', { method: 'POST', body: '{}', headers: { 'Content-Type': type } })
    expect(r.status).toBe(415)
    expect(r.body).toMatchObject({ code: 'API_UNSUPPORTED_MEDIA_TYPE', message: `the body is ${JSON.stringify(type.split(';')[0])}: POST /x reads application/json`, hint: 'send the body with Content-Type: application/json' })
  })

  it.each(['application/json', 'application/json; charset=utf-8', 'Application/JSON'])('reads %s', async (type) => {
    expect((await call(app, '/x', { method: 'POST', body: '{}', headers: { 'Content-Type': type } })).status).toBe(200)
  })

  it('passes a body without a Content-Type, and a body-less request with any', async () => {
    expect((await call(app, '/x', { method: 'POST', body: new TextEncoder().encode('{}') })).status).toBe(200)
    expect((await call(app, '/x', { method: 'POST', headers: { 'Content-Type': 'text/plain' } })).status).toBe(200)
  })
})

describe('security headers', () => {
  const app = api()
  const HEADERS = {
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
    'referrer-policy': 'no-referrer',
    'cross-origin-resource-policy': 'same-origin',
    'cross-origin-opener-policy': 'same-origin',
  }

  it.each([
    ['200', '/x', {}, 200],
    ['404 from notFound', '/nowhere', {}, 404],
    ['404 from a thrown error', '/gone', {}, 404],
    ['403 for the Host', '/x', { headers: { Host: 'evil.example' } }, 403],
    ['403 for the Origin', '/x', { headers: { Origin: 'http://evil.example' } }, 403],
    ['400 for a token in the URL', '/x?token=t', {}, 400],
    ['415 for the content type', '/x', { method: 'POST', body: 'x', headers: { 'Content-Type': 'text/plain' } }, 415],
  ] as const)('are on a %s', async (_what, path, init, status) => {
    const r = await call(app, path, init)
    expect(r.status).toBe(status)
    for (const [k, v] of Object.entries(HEADERS)) expect(r.headers.get(k), k).toBe(v)
    expect(r.headers.get('cache-control')).toBe('no-store')
  })

  it('keep a Cache-Control the route set', async () => {
    const r = await call(app, '/cached')
    expect(r.headers.get('cache-control')).toBe('max-age=5')
    expect(r.headers.get('x-frame-options')).toBe('DENY')
  })
})

describe('a token in the URL', () => {
  const app = api()

  it.each(['token', 'access_token', 'auth', 'authorization', 'api_key', 'apikey', 'bearer', 'Access_Token', 'TOKEN'])('refuses ?%s=… with 400, never echoing the value', async (name) => {
    const r = await call(app, `/x?a=1&${name}=s3cr3t-value`)
    expect(r.status).toBe(400)
    expect(r.body).toMatchObject({ code: 'AUTH_TOKEN_IN_URL', message: expect.stringContaining(JSON.stringify(name)), hint: expect.stringContaining('Authorization: Bearer') })
    expect(r.text).not.toContain('s3cr3t')
    expect([...r.headers.values()].join('\n')).not.toContain('s3cr3t')
  })

  it('passes other parameters', async () => {
    expect((await call(app, '/x?tokens=1&author=x&dryRun=true')).status).toBe(200)
  })
})

describe('over a real socket', () => {
  let server: ServerType
  let port: number
  beforeAll(async () => {
    server = serve({ fetch: api({ listen: ['127.0.0.1:0'] }).fetch, port: 0, hostname: '127.0.0.1' })
    await once(server, 'listening')
    port = (server.address() as AddressInfo).port
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  const get = (headers: Record<string, string>, method = 'GET', body?: string) => new Promise<{ status: number; headers: Record<string, unknown>; text: string }>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/x', method, headers }, (res) => {
      let text = ''
      res.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }))
    })
    req.on('error', reject).end(body)
  })

  /** A request written byte by byte, as a client that sends whatever Host it likes (or none) would. */
  const raw = (text: string) => new Promise<string>((resolve, reject) => {
    let out = ''
    const s = connect(port, '127.0.0.1', () => s.end(text))
    s.setEncoding('utf8').on('data', (d: string) => (out += d)).on('end', () => resolve(out)).on('error', reject)
  })

  it('refuses Host: evil.example (a rebound name) and serves the same request by address', async () => {
    const evil = await get({ Host: 'evil.example' })
    expect(evil.status).toBe(403)
    expect(JSON.parse(evil.text)).toMatchObject({ code: 'API_HOST_REFUSED', message: expect.stringContaining('"evil.example"') })
    expect(evil.headers['x-frame-options']).toBe('DENY')
    expect((await get({ Host: `127.0.0.1:${port}` })).status).toBe(200)
    expect((await get({ Host: `localhost:${port}` })).status).toBe(200)
  })

  it('refuses a raw request with Host: evil.example, and one with no Host at all', async () => {
    expect(await raw('GET /x HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 403 [^]*API_HOST_REFUSED/)
    expect(await raw('GET /x HTTP/1.0\r\n\r\n')).toMatch(/^HTTP\/1\.1 403 [^]*no Host header/)
  })

  it('refuses a browser\'s text/plain POST from another origin, and a same-origin one that is not JSON', async () => {
    const cross = await get({ Host: `127.0.0.1:${port}`, Origin: 'http://evil.example', 'Content-Type': 'text/plain' }, 'POST', '{}')
    expect(cross.status).toBe(403)
    expect(Object.keys(cross.headers).filter((k) => k.startsWith('access-control-'))).toEqual([])
    const plain = await get({ Host: `127.0.0.1:${port}`, Origin: `http://127.0.0.1:${port}`, 'Content-Type': 'text/plain' }, 'POST', '{}')
    expect(plain.status).toBe(415)
    expect((await get({ Host: `127.0.0.1:${port}`, 'Content-Type': 'text/plain', 'Content-Length': '0' }, 'POST')).status).toBe(200)
    expect((await get({ Host: `127.0.0.1:${port}`, 'Content-Type': 'application/json' }, 'POST', '{}')).status).toBe(200)
  })
})

describe('FailedAuthLimiter', () => {
  it('locks a client out after max failures in the window, for the rest of it', () => {
    let now = 1_000_000
    const l = new FailedAuthLimiter({ max: 3, windowMs: 60_000, now: () => now })
    expect(l.fail('a')).toBe(0)
    now += 10_000
    expect(l.fail('a')).toBe(0)
    expect(l.blocked('a')).toBe(0)
    expect(l.fail('a')).toBe(50) // the window began at the first failure
    expect(l.blocked('a')).toBe(50)
    expect(l.blocked('b')).toBe(0) // per client
    now += 49_500
    expect(l.blocked('a')).toBe(1)
    now += 500
    expect(l.blocked('a')).toBe(0)
    expect(l.fail('a')).toBe(0) // a new window
  })

  it('counts failures of one window only', () => {
    let now = 0
    const l = new FailedAuthLimiter({ max: 2, windowMs: 1000, now: () => now })
    l.fail('a')
    now = 1000
    expect(l.fail('a')).toBe(0)
    expect(l.fail('a')).toBe(1)
  })

  it('forgets a client\'s failures when it succeeds', () => {
    const l = new FailedAuthLimiter({ max: 2, now: () => 0 })
    l.fail('a')
    l.succeed('a')
    expect(l.fail('a')).toBe(0)
    expect(l.fail('a')).toBe(60)
  })

  it('defaults to 10 failures a minute', () => {
    const l = new FailedAuthLimiter({ now: () => 0 })
    for (let i = 0; i < 9; i++) expect(l.fail('a')).toBe(0)
    expect(l.fail('a')).toBe(60)
  })

  it('keeps at most 10 000 clients, forgetting the oldest', () => {
    const l = new FailedAuthLimiter({ max: 2, now: () => 0 })
    l.fail('first')
    for (let i = 0; i < 10_000; i++) l.fail(`10.0.${i >> 8}.${i & 255}`)
    expect(l.fail('first')).toBe(0) // its first failure was forgotten
    expect(l.fail('10.0.39.15')).toBe(60) // the newest are kept
  })
})

describe('isLoopbackHost', () => {
  it.each(['127.0.0.1', '127.1.2.3', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'localhost', 'LOCALHOST'])('%s is loopback', (h) => {
    expect(isLoopbackHost(h)).toBe(true)
  })
  it.each(['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', '::2', 'example.com', 'localhost.example.com', '', '127.0.0.1:4000'])('%s is not', (h) => {
    expect(isLoopbackHost(h)).toBe(false)
  })
})

describe('parseListen', () => {
  it.each([
    ['127.0.0.1:4000', '127.0.0.1', 4000],
    ['127.0.0.1:0', '127.0.0.1', 0],
    ['[::1]:4000', '::1', 4000],
    ['[::]:65535', '::', 65535],
    ['0.0.0.0:4000', '0.0.0.0', 4000],
    ['localhost:4000', 'localhost', 4000],
    ['box.lan:80', 'box.lan', 80],
  ])('%s', (value, host, port) => {
    expect(parseListen(value)).toEqual({ host, port })
  })

  it.each([
    [':4000', 'the host is missing'],
    ['127.0.0.1', 'the port is missing'],
    ['127.0.0.1:', 'is not a number from 0 to 65535'],
    ['127.0.0.1:65536', 'is not a number from 0 to 65535'],
    ['127.0.0.1:-1', 'is not a number from 0 to 65535'],
    ['127.0.0.1:http', 'is not a number from 0 to 65535'],
    ['::1:4000', 'an IPv6 address goes in brackets'],
    ['[127.0.0.1]:4000', 'is not an IP address or a host name'],
    ['[::1', 'expected HOST:PORT'],
    ['bad_name:4000', 'is not an IP address or a host name'],
    ['', 'the host is missing'],
  ])('refuses %j: %s', (value, why) => {
    expect(() => parseListen(value)).toThrow(expect.objectContaining({ code: 'CLI_USAGE', message: expect.stringContaining(why), hint: expect.stringContaining('127.0.0.1:4000') }))
  })
})
