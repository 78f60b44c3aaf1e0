/**
 * The http provider against real loopback servers: what the server sees (query string, JSON and form bodies,
 * headers), what the activity returns (status, headers, JSON or text), timeouts, retries, redirects, TLS, and
 * an interrupted run. Where the reference venv exists, chaostoolkit-lib's run_http_activity is sent the same
 * activity and must make the same request and return the same result.
 */
import { spawn, execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ActivityFailed } from '../types.js'
import type { ActivityContext, ChaosToolkitActivityDefinition, Values } from '../types.js'
import { encodeParams, pyJsonDumps, runHttp } from './http.js'

const VENV_PY = join(homedir(), '.cache/chaoscope/venv-chaostoolkit/bin/python')
const haveChaoslib = existsSync(VENV_PY)

interface Seen {
  method: string
  url: string
  headers: http.IncomingHttpHeaders
  body: string
}

let seen: Seen[] = []
let server: http.Server
let base = ''

function reply(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
  const path = (req.url ?? '').split('?')[0]
  if (path === '/json') {
    res.writeHead(200, { 'Content-Type': 'application/json' })
    return void res.end(JSON.stringify({ ok: true, n: [1, 2] }))
  }
  if (path === '/json-charset') {
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' })
    return void res.end('{"ok": true}')
  }
  if (path === '/fail') {
    res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' })
    return void res.end('broken')
  }
  if (path === '/headers') {
    res.setHeader('X-Custom-Thing', 'one')
    res.setHeader('set-cookie', ['a=1', 'b=2'])
    res.writeHead(204)
    return void res.end()
  }
  if (path === '/redirect') {
    res.writeHead(302, { Location: '/echo?from=redirect' })
    return void res.end()
  }
  if (path === '/busy') {
    res.writeHead(503, { 'Retry-After': '0', 'Content-Type': 'text/plain' })
    return void res.end('busy')
  }
  if (path === '/silent') return // never answers
  res.writeHead(200, { 'Content-Type': 'application/json' })
  res.end(JSON.stringify({ method: req.method, url: req.url, body, contentType: req.headers['content-type'] ?? null }))
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (c: string) => (body += c))
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body })
      reply(req, res, body)
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => {
  server.closeAllConnections()
  return new Promise<void>((r) => server.close(() => r()))
})

function ctxOf(over: Partial<ActivityContext> = {}): ActivityContext & { lines: string[] } {
  const lines: string[] = []
  return {
    values: { configuration: {}, secrets: {} },
    signal: new AbortController().signal,
    allowExec: false,
    cwd: tmpdir(),
    verifyTls: true,
    log: (line) => lines.push(line),
    runProbe: () => Promise.reject(new Error('not used')),
    checkTolerance: () => Promise.reject(new Error('not used')),
    results: new Map(),
    lines,
    ...over,
  }
}

function act(provider: Record<string, unknown>, extra: Record<string, unknown> = {}): ChaosToolkitActivityDefinition {
  return { type: 'action', name: 'call', provider: { type: 'http', ...provider }, ...extra } as ChaosToolkitActivityDefinition
}

/** chaostoolkit-lib's run_http_activity on the same activity, in the reference venv. */
function chaoslib(activity: ChaosToolkitActivityDefinition, values: Values = { configuration: {}, secrets: {} }): Promise<{ value?: unknown; error?: string }> {
  const script = [
    'import json, sys',
    'from chaoslib.provider.http import run_http_activity',
    'req = json.load(sys.stdin)',
    'try:',
    "    print(json.dumps({'value': run_http_activity(req['activity'], req['configuration'], req['secrets'])}))",
    'except Exception as x:',
    "    print(json.dumps({'error': str(x)}))",
  ].join('\n')
  return new Promise((resolve, reject) => {
    const p = spawn(VENV_PY, ['-c', script], { stdio: ['pipe', 'pipe', 'ignore'] })
    let out = ''
    p.stdout.on('data', (b: Buffer) => (out += b.toString()))
    p.on('error', reject)
    p.on('close', () => resolve(JSON.parse(out) as { value?: unknown; error?: string }))
    p.stdin.end(JSON.stringify({ activity, ...values }))
  })
}

/** Runs the activity here, then (when the venv exists) in chaoslib, and returns both requests the server saw. */
async function both(activity: ChaosToolkitActivityDefinition): Promise<{ ours: Seen; theirs?: Seen; result: unknown; reference?: unknown }> {
  seen = []
  const result = await runHttp(activity, ctxOf())
  const ours = seen[0] as Seen
  if (!haveChaoslib) return { ours, result }
  seen = []
  const reference = (await chaoslib(activity)).value
  return { ours, theirs: seen[0], result, reference }
}

describe('the request', () => {
  it('GET sends the arguments as the query string, as requests encodes params', async () => {
    const arguments_ = { a: 1, list: ['x', 'y z'], none: null, text: 'hé & co', yes: true, f: 0.5 }
    const { ours, theirs } = await both(act({ url: `${base}/echo?q=0`, arguments: arguments_ }))
    expect(ours.method).toBe('GET')
    expect(ours.url).toBe('/echo?q=0&a=1&list=x&list=y+z&text=h%C3%A9+%26+co&yes=True&f=0.5')
    if (theirs) expect(ours.url).toBe(theirs.url)
  })

  it('POST with Content-Type exactly application/json sends JSON as Python writes it', async () => {
    const activity = act({ url: `${base}/echo`, method: 'post', headers: { 'Content-Type': 'application/json' }, arguments: { a: 1, s: 'é', l: [true, null] } })
    const { ours, theirs, result, reference } = await both(activity)
    expect(ours.method).toBe('POST')
    expect(ours.body).toBe('{"a": 1, "s": "\\u00e9", "l": [true, null]}')
    expect(ours.headers['content-type']).toBe('application/json')
    if (theirs) {
      expect(ours.body).toBe(theirs.body)
      expect((result as { body: unknown }).body).toEqual((reference as { body: unknown }).body)
    }
  })

  it('POST without that header sends a mapping as a form, and a string as it is', async () => {
    const form = await both(act({ url: `${base}/echo`, method: 'POST', arguments: { a: [1, 2], b: 'x y' } }))
    expect(form.ours.body).toBe('a=1&a=2&b=x+y')
    expect(form.ours.headers['content-type']).toBe('application/x-www-form-urlencoded')
    if (form.theirs) expect([form.ours.body, form.ours.headers['content-type']]).toEqual([form.theirs.body, form.theirs.headers['content-type']])

    // a lower-case content-type key is not chaoslib's `headers.get("Content-Type")`: the mapping goes as a form
    const lower = await both(act({ url: `${base}/echo`, method: 'PUT', headers: { 'content-type': 'application/json' }, arguments: { a: 1 } }))
    expect(lower.ours.body).toBe('a=1')
    if (lower.theirs) expect(lower.ours.body).toBe(lower.theirs.body)

    const raw = await both(act({ url: `${base}/echo`, method: 'POST', arguments: 'plain text' }))
    expect(raw.ours.body).toBe('plain text')
    expect(raw.ours.headers['content-type']).toBeUndefined()
    if (raw.theirs) expect(raw.theirs.headers['content-type']).toBeUndefined()
  })

  it('a POST without arguments sends Content-Length: 0; headers given as null are not sent', async () => {
    const { ours } = await both(act({ url: `${base}/echo`, method: 'POST', headers: { 'User-Agent': null, 'X-A': 'b' } }))
    expect(ours.headers['content-length']).toBe('0')
    expect(ours.headers['user-agent']).toBeUndefined()
    expect(ours.headers['x-a']).toBe('b')
  })

  it('substitutes the url, headers and arguments from configuration and secrets', async () => {
    seen = []
    const values: Values = { configuration: { base, who: 'me' }, secrets: { s: { token: 't0k' } } }
    await runHttp(act({ url: '${base}/echo', headers: { Authorization: 'Bearer ${token}' }, arguments: { user: '${who}' } }), ctxOf({ values }))
    expect(seen[0]?.url).toBe('/echo?user=me')
    expect(seen[0]?.headers.authorization).toBe('Bearer t0k')
  })

  it('follows a redirect as requests does (a 302 POST becomes a GET without its body)', async () => {
    seen = []
    const r = await runHttp(act({ url: `${base}/redirect`, method: 'POST', arguments: { a: 1 } }), ctxOf())
    expect(r.status).toBe(200)
    expect(seen.map((s) => [s.method, s.url, s.body])).toEqual([['POST', '/redirect', 'a=1'], ['GET', '/echo?from=redirect', '']])
  })
})

describe('the result', () => {
  it('parses the body only when Content-Type is exactly application/json', async () => {
    const json = await runHttp(act({ url: `${base}/json` }), ctxOf())
    expect(json.body).toEqual({ ok: true, n: [1, 2] })
    const withCharset = await runHttp(act({ url: `${base}/json-charset` }), ctxOf())
    expect(withCharset.body).toBe('{"ok": true}')
    if (haveChaoslib) {
      expect(((await chaoslib(act({ url: `${base}/json-charset` }))).value as { body: unknown }).body).toBe('{"ok": true}')
    }
  })

  it('a 500 is a result, not a failure (with a warning outside the hypothesis)', async () => {
    const ctx = ctxOf()
    const r = await runHttp(act({ url: `${base}/fail` }), ctx)
    expect(r.status).toBe(500)
    expect(r.body).toBe('broken')
    expect(ctx.lines.join('\n')).toMatch(/status 500/)
    const probe = ctxOf()
    await runHttp(act({ url: `${base}/fail` }, { type: 'probe', tolerance: 200 }), probe)
    expect(probe.lines).toEqual([])
  })

  it('keeps the server casing of header names, repeated headers joined', async () => {
    const r = await runHttp(act({ url: `${base}/headers` }), ctxOf())
    expect(r.status).toBe(204)
    expect(r.headers['X-Custom-Thing']).toBe('one')
    expect(r.headers['set-cookie']).toBe('a=1, b=2')
    expect(r.body).toBe('')
    if (haveChaoslib) {
      const ref = (await chaoslib(act({ url: `${base}/headers` }))).value as { headers: Record<string, string> }
      expect(ref.headers['X-Custom-Thing']).toBe('one')
      expect(ref.headers['set-cookie']).toBe('a=1, b=2')
    }
  })
})

describe('failures', () => {
  it('a server that never answers times out as chaoslib says it', async () => {
    const started = Date.now()
    await expect(runHttp(act({ url: `${base}/silent`, timeout: 0.3 }), ctxOf())).rejects.toThrow(new ActivityFailed('activity took too long to complete'))
    expect(Date.now() - started).toBeLessThan(5000)
    if (haveChaoslib) expect((await chaoslib(act({ url: `${base}/silent`, timeout: 0.3 }))).error).toBe('activity took too long to complete')
  })

  it('a [connect, read] timeout pair reads the second as the read timeout', async () => {
    await expect(runHttp(act({ url: `${base}/silent`, timeout: [5, 0.2] }), ctxOf())).rejects.toThrow('activity took too long to complete')
  })

  it('a refused connection fails the activity, retried max_retries times', async () => {
    const port = await freePort()
    const url = `http://127.0.0.1:${port}/`
    await expect(runHttp(act({ url }), ctxOf())).rejects.toThrow(`failed to connect to ${url}: connection refused (ECONNREFUSED)`)
    await expect(runHttp(act({ url, max_retries: 3 }), ctxOf())).rejects.toThrow('(4 attempts)')
    // the request never left: retried whatever the method
    await expect(runHttp(act({ url, method: 'POST', max_retries: 2 }), ctxOf())).rejects.toThrow('(3 attempts)')
    if (haveChaoslib) expect((await chaoslib(act({ url }))).error).toMatch(new RegExp(`^failed to connect to ${url}: .*Connection refused`))
  })

  it('a connection dropped before the answer is retried for GET (max_retries), never for POST', async () => {
    const flaky = await flakyServer(2)
    try {
      const url = `http://127.0.0.1:${flaky.port}/`
      const ok = await runHttp(act({ url, max_retries: 2 }), ctxOf())
      expect(ok.status).toBe(200)
      expect(flaky.connections()).toBe(3)
      flaky.reset(2)
      await expect(runHttp(act({ url, max_retries: 1 }), ctxOf())).rejects.toThrow(/^failed to connect to .*\(2 attempts\)$/)
      flaky.reset(1)
      await expect(runHttp(act({ url, method: 'POST', max_retries: 5 }), ctxOf())).rejects.toThrow(/^failed to connect to /)
      expect(flaky.connections()).toBe(1)
      if (haveChaoslib) {
        flaky.reset(2)
        expect(((await chaoslib(act({ url, max_retries: 2 }))).value as { status: number }).status).toBe(200)
        expect(flaky.connections()).toBe(3)
      }
    } finally {
      await flaky.close()
    }
  })

  it('an answer 503 with Retry-After is asked again max_retries times, then returned', async () => {
    seen = []
    expect((await runHttp(act({ url: `${base}/busy` }), ctxOf())).status).toBe(503)
    expect(seen).toHaveLength(1)
    seen = []
    expect((await runHttp(act({ url: `${base}/busy`, max_retries: 2 }), ctxOf())).status).toBe(503)
    expect(seen).toHaveLength(3)
    seen = []
    await runHttp(act({ url: `${base}/busy`, method: 'POST', max_retries: 2 }), ctxOf())
    expect(seen).toHaveLength(1)
    if (haveChaoslib) {
      seen = []
      expect(((await chaoslib(act({ url: `${base}/busy`, max_retries: 2 }))).value as { status: number }).status).toBe(503)
      expect(seen).toHaveLength(3)
    }
  })

  it('an interrupted run fails the activity at once', async () => {
    const ac = new AbortController()
    seen = []
    const running = runHttp(act({ url: `${base}/silent` }), ctxOf({ signal: ac.signal }))
    await until(() => seen.some((s) => s.url === '/silent'))
    ac.abort()
    await expect(running).rejects.toThrow(new ActivityFailed('interrupted'))
  })
})

describe.skipIf(!existsSync('/usr/bin/openssl'))('TLS', () => {
  let tls: https.Server
  let dir = ''
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'chaoscope-tls-'))
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem')], { stdio: 'ignore' })
    tls = https.createServer({ key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) }, (_req, res) => res.end('secure'))
    await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r))
  })
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true })
    return new Promise<void>((r) => tls.close(() => r()))
  })

  it('refuses a self-signed certificate unless verify_tls is false or --no-verify-tls', async () => {
    const url = `https://127.0.0.1:${(tls.address() as AddressInfo).port}/`
    await expect(runHttp(act({ url }), ctxOf())).rejects.toThrow(/^failed to connect to .*TLS: self[- ]signed certificate/)
    expect((await runHttp(act({ url, verify_tls: false }), ctxOf())).body).toBe('secure')
    expect((await runHttp(act({ url }), ctxOf({ verifyTls: false }))).body).toBe('secure')
  })
})

describe('encodings', () => {
  it('matches Python requests on params and json', () => {
    expect(encodeParams({ k: { x: 1, y: 2 } })).toBe('k=x&k=y')
    expect(encodeParams({ k: [[1, 2], 'a'] })).toBe('k=1&k=2&k=a')
    expect(encodeParams({ "it's": "(*)!~" })).toBe('it%27s=%28%2A%29%21~')
    expect(encodeParams('raw=1&x')).toBe('raw=1&x')
    expect(pyJsonDumps({ a: [], b: {}, c: 1e-7, d: '\u{1F600}\n' })).toBe('{"a": [], "b": {}, "c": 1e-07, "d": "\\ud83d\\ude00\\n"}')
  })
})

// ─── helpers ─────────────────────────────────────────────────────────────────────────────────────────────

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 10))
  }
}

async function freePort(): Promise<number> {
  const s = net.createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const port = (s.address() as AddressInfo).port
  await new Promise<void>((r) => s.close(() => r()))
  return port
}

/** A server that drops the first `n` connections (after reading the request) and answers the others. */
async function flakyServer(n: number): Promise<{ port: number; connections(): number; reset(n: number): void; close(): Promise<void> }> {
  let drop = n
  let count = 0
  const s = net.createServer((sock) => {
    count++
    sock.once('data', () => {
      if (drop > 0) {
        drop--
        sock.destroy()
      } else sock.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok')
    })
  })
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  return {
    port: (s.address() as AddressInfo).port,
    connections: () => count,
    reset: (k) => {
      drop = k
      count = 0
    },
    close: () => new Promise<void>((r) => s.close(() => r())),
  }
}
