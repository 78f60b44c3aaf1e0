/**
 * The controller's and the runtime's APIs as an attacker, a colleague with a narrow token and an admin meet them:
 * every endpoint × role × namespace scope against a real controller API on a port-0 listener; forged, expired and
 * revoked tokens; a protected namespace reached through a selector; the audit log of every mutating call; the
 * runtime's own token; Host, Origin and content types; `--auth none` off loopback refused by the built binary.
 */
import { execFile } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Controller } from '../../src/engine/controller.js'
import { Store } from '../../src/store/store.js'
import { startControllerServer, startRuntimeServer, startUpController } from '../../src/wiring.js'
import type { ControllerServer } from '../../src/wiring.js'
import type { RuntimeServer } from '../../src/runtime/server.js'
import { fakePod, FakeRuntime } from '../doubles/fake-runtime.js'

const ROOT = join(import.meta.dirname, '../..')
const BIN = join(ROOT, 'bin/chaoscope.js')

type Role = 'viewer' | 'operator' | 'admin'
type Need = 'any' | 'read' | 'write' | 'tokens' | 'audit'
const GRANTS: Record<Role, Need[]> = { viewer: ['any', 'read'], operator: ['any', 'read', 'write'], admin: ['any', 'read', 'write', 'tokens', 'audit'] }

/** The callers: each role across every namespace, and limited to team-a. */
const CALLERS: { name: string; role: Role; namespaces: string[] }[] = [
  { name: 'viewer', role: 'viewer', namespaces: [] },
  { name: 'operator', role: 'operator', namespaces: [] },
  { name: 'admin', role: 'admin', namespaces: [] },
  { name: 'viewer-a', role: 'viewer', namespaces: ['team-a'] },
  { name: 'operator-a', role: 'operator', namespaces: ['team-a'] },
]

const chaos = (ns: string, name = 'delay', extra = '') => `apiVersion: chaos-mesh.org/v1alpha1
kind: NetworkChaos
metadata: {name: ${name}, namespace: ${ns}}
spec:
  action: delay
  mode: all
  selector: {labelSelectors: {app: web}${extra}}
  delay: {latency: 10ms}
  duration: 30s
`

/** Every endpoint, with what it needs and the namespace it acts in (undefined: every namespace). */
interface Endpoint {
  method: string
  path: (i: number) => string
  need: Need
  ns?: string
  body?: (i: number) => string
  type?: string
  /** Streams (the watch): only the status is read. */
  stream?: boolean
}
const ONE = (ns: string, tail = '') => () => `/api/v1/namespaces/${ns}/networkchaos/none${tail}`
const ENDPOINTS: Endpoint[] = [
  { method: 'GET', path: () => '/api/v1/openapi.json', need: 'any' },
  { method: 'GET', path: () => '/api/v1/whoami', need: 'any' },
  { method: 'GET', path: () => '/api/v1/resources', need: 'read' },
  { method: 'GET', path: () => '/api/v1/resources?namespace=team-a', need: 'read', ns: 'team-a' },
  { method: 'GET', path: () => '/api/v1/resources?namespace=team-b', need: 'read', ns: 'team-b' },
  { method: 'GET', path: () => '/api/v1/events', need: 'read' },
  { method: 'GET', path: () => '/api/v1/events?namespace=team-a', need: 'read', ns: 'team-a' },
  { method: 'GET', path: () => '/api/v1/events?namespace=team-b', need: 'read', ns: 'team-b' },
  { method: 'GET', path: () => '/api/v1/pods', need: 'read' },
  { method: 'GET', path: () => '/api/v1/pods?namespace=team-a', need: 'read', ns: 'team-a' },
  { method: 'GET', path: () => '/api/v1/watch', need: 'read', stream: true },
  { method: 'GET', path: () => '/api/v1/watch?namespace=team-a', need: 'read', ns: 'team-a', stream: true },
  { method: 'GET', path: () => '/api/v1/watch?namespace=team-b', need: 'read', ns: 'team-b', stream: true },
  { method: 'GET', path: () => '/metrics', need: 'read' },
  { method: 'GET', path: ONE('team-a'), need: 'read', ns: 'team-a' },
  { method: 'GET', path: ONE('team-b'), need: 'read', ns: 'team-b' },
  { method: 'GET', path: ONE('team-a', '/events'), need: 'read', ns: 'team-a' },
  { method: 'GET', path: ONE('team-b', '/events'), need: 'read', ns: 'team-b' },
  { method: 'POST', path: () => '/api/v1/resources?dryRun=true', need: 'write', ns: 'team-a', body: () => chaos('team-a'), type: 'application/yaml' },
  { method: 'POST', path: () => '/api/v1/resources?dryRun=true', need: 'write', ns: 'team-b', body: () => chaos('team-b'), type: 'application/yaml' },
  // in team-a, but its selector reaches team-b's pods: a token of team-a may not
  { method: 'POST', path: () => '/api/v1/resources?dryRun=true', need: 'write', ns: 'team-b', body: () => chaos('team-a', 'reach', ', namespaces: [team-b]'), type: 'application/yaml' },
  { method: 'POST', path: ONE('team-a', '/pause'), need: 'write', ns: 'team-a' },
  { method: 'POST', path: ONE('team-b', '/pause'), need: 'write', ns: 'team-b' },
  { method: 'POST', path: ONE('team-a', '/resume'), need: 'write', ns: 'team-a' },
  { method: 'DELETE', path: ONE('team-a'), need: 'write', ns: 'team-a' },
  { method: 'DELETE', path: ONE('team-b'), need: 'write', ns: 'team-b' },
  { method: 'GET', path: () => '/api/v1/tokens', need: 'tokens' },
  { method: 'POST', path: (i) => '/api/v1/tokens', need: 'tokens', body: (i) => JSON.stringify({ name: `made-${i}`, role: 'viewer' }), type: 'application/json' },
  { method: 'DELETE', path: () => '/api/v1/tokens/nobody', need: 'tokens' },
  { method: 'GET', path: () => '/api/v1/audit', need: 'audit' },
]

/** What the rules say a caller gets: through, or the 403 code. */
function expected(c: (typeof CALLERS)[number], e: Endpoint): 'through' | 'AUTH_FORBIDDEN' | 'AUTH_NAMESPACE_FORBIDDEN' {
  if (!GRANTS[c.role].includes(e.need)) return 'AUTH_FORBIDDEN'
  if (e.need === 'any' || c.namespaces.length === 0) return 'through'
  return e.ns !== undefined && c.namespaces.includes(e.ns) ? 'through' : 'AUTH_NAMESPACE_FORBIDDEN'
}

interface Answer {
  status: number
  code?: string
  headers: Headers
  body: string
}

async function call(url: string, e: { method: string; path: string; body?: string; type?: string; stream?: boolean }, headers: Record<string, string> = {}): Promise<Answer> {
  const abort = new AbortController()
  const res = await fetch(`${url}${e.path}`, {
    method: e.method,
    headers: { ...headers, ...(e.type ? { 'content-type': e.type } : {}) },
    ...(e.body !== undefined ? { body: e.body } : {}),
    signal: abort.signal,
  })
  if (e.stream && res.status === 200) {
    abort.abort()
    return { status: 200, headers: res.headers, body: '' }
  }
  const body = await res.text()
  let code: string | undefined
  try {
    code = (JSON.parse(body) as { code?: string }).code
  } catch {
    code = undefined
  }
  return { status: res.status, ...(code ? { code } : {}), headers: res.headers, body }
}

const bearer = (t: string) => ({ authorization: `Bearer ${t}` })

let home: string
let server: ControllerServer
let url: string
const tokens = new Map<string, string>()
const previousHome = process.env.CHAOSCOPE_HOME

async function makeToken(body: Record<string, unknown>): Promise<string> {
  const r = await call(url, { method: 'POST', path: '/api/v1/tokens', body: JSON.stringify(body), type: 'application/json' }, bearer(server.adminToken!))
  expect(r.status, r.body).toBe(201)
  return (JSON.parse(r.body) as { token: string }).token
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'chaoscope-security-'))
  process.env.CHAOSCOPE_HOME = home
  const runtime = new FakeRuntime(['default', 'team-a', 'team-b', 'prod'].map((ns) => fakePod(`web-${ns}`, { app: 'web' }, { namespace: ns })))
  const controller = Controller.open({ store: Store.open(':memory:'), runtime, podCacheMs: 0, podWatchMs: 0, policy: { protected: ['prod'] } })
  server = await startControllerServer({ controller, runtime, db: ':memory:', port: 0, stateless: true })
  url = server.state.url
  for (const c of CALLERS) tokens.set(c.name, await makeToken({ name: c.name, role: c.role, namespaces: c.namespaces }))
}, 30_000)

afterAll(async () => {
  await server?.close()
  if (previousHome === undefined) delete process.env.CHAOSCOPE_HOME
  else process.env.CHAOSCOPE_HOME = previousHome
  rmSync(home, { recursive: true, force: true })
})

describe('every endpoint × role × namespace, against the real API', () => {
  const made: { caller: string; method: string; path: string; status: number }[] = []

  it.each(CALLERS.map((c) => [c.name, c] as const))('%s gets what its role and namespaces allow, and a coded 403 for the rest', async (_, c) => {
    const got: string[] = []
    const want: string[] = []
    for (const [i, e] of ENDPOINTS.entries()) {
      const req = { method: e.method, path: e.path(i), ...(e.body ? { body: e.body(i) } : {}), ...(e.type ? { type: e.type } : {}), ...(e.stream ? { stream: true } : {}) }
      const r = await call(url, req, bearer(tokens.get(c.name)!))
      if (e.method !== 'GET') made.push({ caller: c.name, method: e.method, path: req.path.split('?')[0]!, status: r.status })
      const what = r.status === 403 ? (r.code ?? '403') : r.status === 401 || r.status >= 500 ? `${r.status} ${r.code}` : 'through'
      got.push(`${e.method} ${req.path} [${e.need}${e.ns ? ` ${e.ns}` : ''}]: ${what}`)
      want.push(`${e.method} ${req.path} [${e.need}${e.ns ? ` ${e.ns}` : ''}]: ${expected(c, e)}`)
      if (r.status === 403) expect((JSON.parse(r.body) as { message: string }).message, `${e.method} ${req.path}`).toContain(`token "${c.name}"`)
    }
    expect(got).toEqual(want)
  })

  it('the audit log holds every mutating call above, with the token\'s name, its result, and where it came from', async () => {
    const r = await call(url, { method: 'GET', path: '/api/v1/audit?limit=10000' }, bearer(server.adminToken!))
    const rows = (JSON.parse(r.body) as { items: { actor: string; method: string; path: string; status: number; remote: string; time: string }[] }).items
    const logged = rows.filter((row) => CALLERS.some((c) => c.name === row.actor)).map((row) => ({ caller: row.actor, method: row.method, path: row.path, status: row.status }))
    expect(logged).toEqual(made)
    expect(new Set(rows.map((row) => row.remote))).toEqual(new Set(['127.0.0.1']))
    // the tokens the setup made, by the local admin
    expect(rows.filter((row) => row.actor === 'local-admin' && row.path === '/api/v1/tokens').length).toBeGreaterThanOrEqual(CALLERS.length)
  })

  it('nothing edits the audit log through the API', async () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const r = await call(url, { method, path: '/api/v1/audit', body: '{}', type: 'application/json' }, bearer(server.adminToken!))
      expect([r.status, r.code], method).toEqual([405, 'API_METHOD_NOT_ALLOWED'])
    }
    const lines = await call(url, { method: 'GET', path: '/api/v1/audit?format=jsonl' }, bearer(server.adminToken!))
    expect(lines.headers.get('content-type')).toMatch(/^application\/x-ndjson/)
    for (const line of lines.body.trimEnd().split('\n')) expect(JSON.parse(line)).toHaveProperty('actor')
  })

  it('an admin acts in every namespace: one limited to namespaces is refused at creation', async () => {
    const r = await call(url, { method: 'POST', path: '/api/v1/tokens', body: JSON.stringify({ name: 'admin-a', role: 'admin', namespaces: ['team-a'] }), type: 'application/json' }, bearer(server.adminToken!))
    expect([r.status, r.code]).toEqual([400, 'API_INVALID_QUERY'])
    expect(r.body).toContain('--role operator --namespace NS')
  })

  it('a 403 says which permission is missing, and what would do', async () => {
    const r = await call(url, { method: 'POST', path: '/api/v1/resources', body: chaos('team-a'), type: 'application/yaml' }, bearer(tokens.get('viewer')!))
    expect(r.status).toBe(403)
    expect(JSON.parse(r.body)).toEqual({ code: 'AUTH_FORBIDDEN', message: 'token "viewer" (role viewer) lacks the permission "write" (create, pause, resume and delete resources)', hint: 'it takes a token of role operator or admin' })
  })
})

describe('tokens that are not good', () => {
  it.each([
    ['no header', {}, 'AUTH_REQUIRED'],
    ['a forged token', bearer(`chs_${'A'.repeat(43)}`), 'AUTH_INVALID_TOKEN'],
    ['not a bearer header', { authorization: 'Basic YWRtaW46YWRtaW4=' }, 'AUTH_INVALID_TOKEN'],
  ])('%s: 401 with its code', async (_, headers, code) => {
    const r = await call(url, { method: 'GET', path: '/api/v1/resources' }, headers as Record<string, string>)
    expect([r.status, r.code]).toEqual([401, code])
  })

  it('an expired token: 401 AUTH_TOKEN_EXPIRED, once its time is past', async () => {
    const t = await makeToken({ name: 'short', role: 'admin', expires: '300ms' })
    expect((await call(url, { method: 'GET', path: '/api/v1/whoami' }, bearer(t))).status).toBe(200)
    await expect.poll(async () => (await call(url, { method: 'GET', path: '/api/v1/whoami' }, bearer(t))).code, { timeout: 5000, interval: 100 }).toBe('AUTH_TOKEN_EXPIRED')
  })

  it('a revoked token: 401 AUTH_TOKEN_REVOKED from the next call on; the list shows it revoked, never a token', async () => {
    const t = await makeToken({ name: 'gone', role: 'operator' })
    expect((await call(url, { method: 'GET', path: '/api/v1/resources' }, bearer(t))).status).toBe(200)
    const r = await call(url, { method: 'DELETE', path: '/api/v1/tokens/gone' }, bearer(server.adminToken!))
    expect(JSON.parse(r.body)).toEqual({ name: 'gone', revoked: true, state: 'revoked' })
    expect((await call(url, { method: 'GET', path: '/api/v1/resources' }, bearer(t))).code).toBe('AUTH_TOKEN_REVOKED')
    const list = await call(url, { method: 'GET', path: '/api/v1/tokens' }, bearer(server.adminToken!))
    expect(list.body).not.toContain('chs_')
    expect(list.body).not.toMatch(/[0-9a-f]{64}/)
    expect((JSON.parse(list.body) as { items: { name: string; state: string }[] }).items.find((x) => x.name === 'gone')?.state).toBe('revoked')
  })

  it('a token in the URL is refused without being echoed', async () => {
    const t = tokens.get('admin')!
    const r = await call(url, { method: 'GET', path: `/api/v1/resources?access_token=${t}` }, bearer(t))
    expect([r.status, r.code]).toEqual([400, 'AUTH_TOKEN_IN_URL'])
    expect(r.body).not.toContain(t)
  })

  it('ten bad tokens from one address lock it out (429 with Retry-After) for bad tokens only: a good one still gets through', async () => {
    // a server of its own: the lock-out holds 127.0.0.1 for the rest of its minute
    const runtime = new FakeRuntime([])
    const controller = Controller.open({ store: Store.open(':memory:'), runtime, podCacheMs: 0, podWatchMs: 0 })
    const other = await startControllerServer({ controller, runtime, db: ':memory:', port: 0, stateless: true })
    try {
      const post = (headers: Record<string, string>, path = '/api/v1/resources?dryRun=true') => call(other.state.url, { method: 'POST', path, body: chaos('default'), type: 'application/yaml' }, headers)
      const codes: (string | undefined)[] = []
      for (let i = 0; i < 15; i++) codes.push((await post(bearer(`chs_bad${i}`))).code)
      expect(codes.slice(0, 9)).toEqual(Array(9).fill('AUTH_INVALID_TOKEN'))
      expect(codes.slice(9)).toEqual(Array(6).fill('AUTH_RATE_LIMITED'))
      const refused = await post({})
      expect([refused.status, refused.code]).toEqual([429, 'AUTH_RATE_LIMITED'])
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)
      // the owner is never locked out of its own server by someone else's bad requests
      const good = await call(other.state.url, { method: 'GET', path: '/api/v1/resources' }, bearer(other.adminToken!))
      expect(good.status).toBe(200)
      // a flood of long junk paths writes bounded rows: the refusals before the lock-out, one for the lock-out, none during it
      expect((await post(bearer(other.adminToken!), `/api/v1/x%0A2026-12-04T10:00:00Z%20alice%1B${'a'.repeat(5000)}`)).status).toBe(404)
      const rows = (JSON.parse((await call(other.state.url, { method: 'GET', path: '/api/v1/audit' }, bearer(other.adminToken!))).body) as { items: { actor: string; path: string; action: string; code?: string }[] }).items
      const anonymous = rows.filter((r) => r.actor === '-')
      expect(anonymous.map((r) => r.code)).toEqual([...Array(9).fill('AUTH_INVALID_TOKEN'), 'AUTH_RATE_LIMITED'])
      const junk = rows.find((r) => r.action === 'unknown route')!
      expect(junk.path).toHaveLength(256)
      expect(junk.path).toMatch(/^\/api\/v1\/x%0A2026-12-04T10:00:00Z%20alice%1Ba+…$/) // as sent, never decoded into a forged line
    } finally {
      await other.close()
    }
  })
})

describe('the server\'s namespace policy', () => {
  it('an experiment in an allowed namespace whose selector reaches a protected one is refused, whoever sends it; nothing is written', async () => {
    for (const name of ['admin', 'operator']) {
      const r = await call(url, { method: 'POST', path: '/api/v1/resources', body: chaos('default', 'reach-prod', ', namespaces: [prod]'), type: 'application/yaml' }, bearer(tokens.get(name)!))
      expect([r.status, r.code], r.body).toEqual([403, 'POLICY_NAMESPACE_PROTECTED'])
      expect(r.body).toContain('prod')
    }
    const left = await call(url, { method: 'GET', path: '/api/v1/resources' }, bearer(server.adminToken!))
    expect((JSON.parse(left.body) as { items: { metadata: { name: string } }[] }).items.map((i) => i.metadata.name)).not.toContain('reach-prod')
  })

  it('the same experiment on an unprotected namespace goes through', async () => {
    const r = await call(url, { method: 'POST', path: '/api/v1/resources?dryRun=true', body: chaos('default', 'reach-b', ', namespaces: [team-b]'), type: 'application/yaml' }, bearer(tokens.get('operator')!))
    expect(r.status, r.body).toBe(200)
  })
})

describe('what a browser page can do', () => {
  it('a DNS-rebinding Host is refused before any token is looked at', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const u = new URL(url)
      const req = httpRequest({ host: u.hostname, port: u.port, path: '/api/v1/resources', method: 'POST', headers: { host: 'evil.example', 'content-type': 'text/plain', ...bearer(server.adminToken!) } }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.once('error', reject)
      req.end(chaos('default', 'from-a-page'))
    })
    expect(status).toBe(403)
  })

  it('a cross-origin request is refused, with a token or without', async () => {
    for (const headers of [{}, bearer(server.adminToken!)]) {
      const r = await call(url, { method: 'POST', path: '/api/v1/resources', body: chaos('default', 'from-a-page'), type: 'text/plain' }, { origin: 'http://evil.example', ...headers })
      expect([r.status, r.code]).toEqual([403, 'API_CROSS_ORIGIN'])
      expect(r.headers.get('access-control-allow-origin')).toBeNull()
    }
  })

  it('every answer carries the security headers, errors too', async () => {
    for (const headers of [{}, bearer(server.adminToken!)]) {
      const r = await call(url, { method: 'GET', path: '/api/v1/resources' }, headers)
      expect(r.headers.get('x-content-type-options')).toBe('nosniff')
      expect(r.headers.get('x-frame-options')).toBe('DENY')
      expect(r.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
      expect(r.headers.get('cache-control')).toBe('no-store')
    }
  })
})

describe('the runtime\'s control API has a token of its own', () => {
  let rt: RuntimeServer

  beforeAll(async () => {
    rt = await startRuntimeServer({ metadata: { name: 'empty' }, spec: { services: [], proxies: [] } }, join(home, 'app.yaml'), { stateless: true })
  })
  afterAll(async () => {
    await rt?.close()
  })

  it('only its own token gets in: none, a forged one and a controller admin token get 401', async () => {
    const path = { method: 'GET', path: '/runtime/v1/pods' }
    expect((await call(rt.state.url, path)).code).toBe('AUTH_REQUIRED')
    expect((await call(rt.state.url, path, bearer('chs_forged'))).code).toBe('AUTH_INVALID_TOKEN')
    expect((await call(rt.state.url, path, bearer(server.adminToken!))).code).toBe('AUTH_INVALID_TOKEN')
    expect((await call(rt.state.url, path, bearer(rt.state.token!))).status).toBe(200)
    expect((await call(rt.state.url, { method: 'GET', path: '/healthz' })).status).toBe(200)
  })

  it('a shutdown without the token is refused and the runtime keeps running', async () => {
    const r = await call(rt.state.url, { method: 'POST', path: '/runtime/v1/shutdown' }, { origin: 'http://evil.example' })
    expect([r.status, r.code]).toEqual([403, 'API_CROSS_ORIGIN'])
    expect((await call(rt.state.url, { method: 'POST', path: '/runtime/v1/shutdown' })).code).toBe('AUTH_REQUIRED')
    expect((await call(rt.state.url, { method: 'GET', path: '/healthz' })).status).toBe(200)
  })

  it('in `up`, /metrics (the runtime\'s and the controller\'s) also takes a controller token that may read every namespace', async () => {
    const ctl = await startUpController(rt, { db: join(home, 'up.db'), stateless: true })
    try {
      const viewer = (await call(rt.state.url, { method: 'POST', path: '/api/v1/tokens', body: JSON.stringify({ name: 'scraper', role: 'viewer' }), type: 'application/json' }, bearer(ctl.adminToken!))).body
      const narrow = (await call(rt.state.url, { method: 'POST', path: '/api/v1/tokens', body: JSON.stringify({ name: 'narrow', role: 'viewer', namespaces: ['team-a'] }), type: 'application/json' }, bearer(ctl.adminToken!))).body
      const metrics = (t: string) => call(rt.state.url, { method: 'GET', path: '/metrics' }, bearer(t))
      const read = await metrics((JSON.parse(viewer) as { token: string }).token)
      expect(read.status).toBe(200)
      expect(read.body).toContain('chaoscope_')
      expect((await metrics(rt.state.token!)).status).toBe(200)
      expect((await metrics((JSON.parse(narrow) as { token: string }).token)).code).toBe('AUTH_INVALID_TOKEN')
      // the runtime's other routes still take only its own token
      expect((await call(rt.state.url, { method: 'GET', path: '/runtime/v1/pods' }, bearer(ctl.adminToken!))).code).toBe('AUTH_INVALID_TOKEN')
    } finally {
      await ctl.close()
    }
  })

  it('effects are read as JSON only', async () => {
    const r = await call(rt.state.url, { method: 'POST', path: '/runtime/v1/effects', body: '{}', type: 'text/plain' }, bearer(rt.state.token!))
    expect([r.status, r.code]).toEqual([415, 'API_UNSUPPORTED_MEDIA_TYPE'])
  })
})

function chaoscope(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, CHAOSCOPE_HOME: home, ...env }, timeout: 60_000 }, (err, _stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr })
    })
  })
}

describe('the built binary', () => {
  it.each([
    [['server', '--listen', '0.0.0.0:0', '--auth', 'none', '--runtime', 'http://127.0.0.1:1']],
    [['up', '-f', 'demo/chain/app.yaml', '--listen', '0.0.0.0:0', '--auth', 'none']],
  ])('chaoscope %j is refused at start: exit 2, AUTH_NONE_NOT_LOOPBACK', async (args) => {
    const r = await chaoscope(args)
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--auth none was asked for on 0\.0\.0\.0.*\[AUTH_NONE_NOT_LOOPBACK\]/)
    expect(r.stderr).not.toMatch(/^\s+at /m)
  })

  it('a state directory others can write is refused before any token is read from it', async () => {
    const unsafe = join(home, 'shared')
    mkdirSync(unsafe)
    chmodSync(unsafe, 0o777)
    const r = await chaoscope(['get', 'networkchaos'], { CHAOSCOPE_HOME: unsafe })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('[STORE_HOME_UNSAFE]')
    expect(r.stderr).toContain('chmod 711')
  })
})
