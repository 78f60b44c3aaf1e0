/**
 * The dashboard's page and assets on the controller's API: in-process (app.request) with a built dashboard of the
 * test's own (a page and assets in a temporary directory): served without a token, with the page's CSP and the
 * assets' types and caching; nothing outside assets/ reachable; the API still behind its token; the Host and
 * Origin rules still on. Then on real listeners: `chaoscope up`'s (the runtime's, where the controller is
 * mounted) serves / and the controller's routes beside the runtime's own, and pod logs through it and through
 * `chaoscope server`'s.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiApp } from './app.js'
import { hashToken } from './auth.js'
import { DASHBOARD_CSP, dashboardDir } from './dashboard.js'
import { Controller } from '../engine/controller.js'
import { Store } from '../store/store.js'
import { loadApp } from '../app-file.js'
import { HttpRuntimeClient } from '../runtime/client.js'
import type { RuntimeServer } from '../runtime/server.js'
import { startControllerServer, startRuntimeServer, startUpController } from '../wiring.js'
import type { ControllerServer } from '../wiring.js'
import { FakeRuntime } from '../../test/doubles/fake-runtime.js'

const ROOT = join(import.meta.dirname, '../..')
const PAGE = '<!doctype html><title>chaoscope</title><script type="module" src="/assets/main-5HBKQ2DX.js"></script>'
const SCRIPT = 'console.log("dashboard")'
const TOKEN = 'chs_admin-of-the-dashboard-test'

let work: string
let store: Store
let controller: Controller
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'chaoscope-dashboard-'))
  mkdirSync(join(work, 'built', 'assets'), { recursive: true })
  writeFileSync(join(work, 'built', 'index.html'), PAGE)
  writeFileSync(join(work, 'built', 'assets', 'main-5HBKQ2DX.js'), SCRIPT)
  writeFileSync(join(work, 'built', 'assets', 'theme.css'), 'body{margin:0}')
  writeFileSync(join(work, 'built', 'assets', 'notes.txt'), 'not a type the dashboard serves')
  writeFileSync(join(work, 'built', 'secret.js'), 'outside assets/')
  writeFileSync(join(work, 'secret.js'), 'outside the dashboard')
  mkdirSync(join(work, 'empty'))
  store = Store.open(':memory:')
  store.insertToken({ name: 'root', hash: hashToken(TOKEN), role: 'admin', namespaces: [], createdAt: new Date().toISOString() })
  controller = Controller.open({ store, runtime: new FakeRuntime([]), podCacheMs: 0 })
})
afterAll(async () => {
  await controller.stop()
  rmSync(work, { recursive: true, force: true })
})

/** The API as the servers build it (tokens, Host and Origin rules), serving the dashboard of `dir`. */
const appOf = (dir: string) => apiApp({ controller, rateLimit: false, dashboard: { dir: join(work, dir) }, security: { auth: 'token', store, http: { listen: ['127.0.0.1:4000'] } } })
const HOST = { host: '127.0.0.1:4000' }

describe('the dashboard on the API', () => {
  it('serves the page at / without a token, with its own CSP, not cached without asking, and HEAD alike', async () => {
    const app = appOf('built')
    const res = await app.request('/', { headers: HOST })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(await res.text()).toBe(PAGE)
    expect(res.headers.get('content-security-policy')).toBe(DASHBOARD_CSP)
    expect(res.headers.get('cache-control')).toBe('no-cache')
    // the API's other security headers stay
    expect(res.headers.get('x-frame-options')).toBe('DENY')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    const head = await app.request('/', { method: 'HEAD', headers: HOST })
    expect(head.status).toBe(200)
    expect(head.headers.get('content-security-policy')).toBe(DASHBOARD_CSP)
    expect(await head.text()).toBe('')
    // a page opened from the address bar, and the page's own calls
    expect((await app.request('/', { headers: { ...HOST, 'sec-fetch-site': 'none' } })).status).toBe(200)
    expect((await app.request('/', { headers: { ...HOST, origin: 'http://127.0.0.1:4000', 'sec-fetch-site': 'same-origin' } })).status).toBe(200)
  })

  it('serves an asset with its type; a hashed name is immutable, another is asked again; assets keep the API\'s CSP', async () => {
    const app = appOf('built')
    const js = await app.request('/assets/main-5HBKQ2DX.js', { headers: HOST })
    expect(js.status).toBe(200)
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    expect(js.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'")
    expect(await js.text()).toBe(SCRIPT)
    const css = await app.request('/assets/theme.css', { headers: HOST })
    expect([css.status, css.headers.get('content-type'), css.headers.get('cache-control')]).toEqual([200, 'text/css; charset=utf-8', 'no-cache'])
    expect((await app.request('/assets/main-5HBKQ2DX.js', { method: 'HEAD', headers: HOST })).status).toBe(200)
  })

  it('serves nothing but the plain files of assets/ of a known type', async () => {
    const app = appOf('built')
    // a name that is not a plain file name of assets/ of a known type: the dashboard has no such asset
    for (const path of ['/assets/..%2Fsecret.js', '/assets/%2e%2e%2f%2e%2e%2fsecret.js', '/assets/..%5Csecret.js', '/assets/notes.txt', '/assets/missing-ABCDEFGH.js', '/assets/.hidden.js']) {
      const res = await app.request(path, { headers: HOST })
      const body = await res.text()
      expect([res.status, JSON.parse(body).code], path).toEqual([404, 'API_NOT_FOUND'])
      expect(body, path).not.toContain('outside')
    }
    // dot segments are resolved before routing (/assets/../secret.js is /secret.js): no dashboard route, the token check
    for (const path of ['/assets/../secret.js', '/assets/.%2e/secret.js', '/assets/sub/theme.css', '/assets/', '/secret.js', '/index.html']) {
      const res = await app.request(path, { headers: HOST })
      const body = await res.text()
      expect([res.status, JSON.parse(body).code], path).toEqual([401, 'AUTH_REQUIRED'])
      expect(body, path).not.toContain('outside')
    }
    const post = await app.request('/', { method: 'POST', headers: { ...HOST, authorization: `Bearer ${TOKEN}` } })
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD'])
  })

  it('leaves the API behind its token', async () => {
    const app = appOf('built')
    const anon = await app.request('/api/v1/whoami', { headers: HOST })
    expect(anon.status).toBe(401)
    expect(anon.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'")
    expect((await app.request('/api/v1/whoami', { headers: { ...HOST, authorization: `Bearer ${TOKEN}` } })).status).toBe(200)
  })

  it('refuses the page to another site (Origin, Sec-Fetch-Site) and to a name it does not serve (Host)', async () => {
    const app = appOf('built')
    const cases: [Record<string, string>, string][] = [
      [{ ...HOST, origin: 'http://evil.example' }, 'API_CROSS_ORIGIN'],
      [{ ...HOST, 'sec-fetch-site': 'cross-site' }, 'API_CROSS_ORIGIN'],
      [{ host: 'evil.example:4000' }, 'API_HOST_REFUSED'],
    ]
    for (const [headers, code] of cases) {
      for (const path of ['/', '/assets/main-5HBKQ2DX.js']) {
        const res = await app.request(path, { headers })
        const body = await res.text()
        expect([res.status, JSON.parse(body).code], `${path} ${JSON.stringify(headers)}`).toEqual([403, code])
        expect(body).not.toContain('chaoscope</title>')
        expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'")
      }
    }
  })

  it('answers 503 with the hint `npm run build` while the dashboard is not built', async () => {
    const res = await appOf('empty').request('/', { headers: HOST })
    expect(res.status).toBe(503)
    const body = (await res.json()) as { code: string; message: string; hint: string }
    expect(body.code).toBe('API_DASHBOARD_NOT_BUILT')
    expect(body.message).toContain(join(work, 'empty', 'index.html'))
    expect(body.hint).toContain('npm run build')
  })

  it('is found in dist/dashboard of the repository when running from the sources', () => {
    expect(relative(ROOT, dashboardDir())).toBe(join('dist', 'dashboard'))
  })
})

describe('on the servers\' listeners', () => {
  let home: string
  let rt: RuntimeServer
  let up: ControllerServer
  let server: ControllerServer
  let pod: { name: string; namespace: string }
  const call = async (url: string, token?: string) => {
    const res = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {})
    return { status: res.status, type: res.headers.get('content-type') ?? '', csp: res.headers.get('content-security-policy'), text: await res.text() }
  }

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'chaoscope-dashboard-up-'))
    writeFileSync(join(home, 'talker.cjs'), "for (let i = 1; i <= 5; i++) console.log('line ' + i)\nrequire('node:net').createServer((s) => s.end()).listen(Number(process.env.PORT), '127.0.0.1')\nprocess.on('SIGTERM', () => process.exit(0))\n")
    writeFileSync(join(home, 'app.yaml'), 'apiVersion: chaoscope.dev/v1alpha1\nkind: App\nmetadata: {name: talk}\nspec:\n  services:\n    - name: talker\n      command: [node, talker.cjs]\n      port: 7100\n      readinessProbe: {tcpSocket: {}, periodSeconds: 1}\n      terminationGracePeriodSeconds: 1\n')
    const app = loadApp(join(home, 'app.yaml'))
    if ('issues' in app) throw new Error(JSON.stringify(app.issues))
    rt = await startRuntimeServer(app.resource, join(home, 'app.yaml'), { stateless: true })
    await rt.runtime.waitReady(30_000)
    up = await startUpController(rt, { db: join(home, 'up.db'), stateless: true })
    const runtime = new HttpRuntimeClient(rt.state.url, rt.state.token)
    server = await startControllerServer({ controller: Controller.open({ store: Store.open(join(home, 'server.db')), runtime, podCacheMs: 0 }), runtime, db: join(home, 'server.db'), port: 0, stateless: true })
    pod = rt.runtime.pods().find((p) => p.service === 'talker')!
    // the pod wrote its five lines
    for (const t0 = Date.now(); !rt.runtime.logs(pod.name).lines().some((l) => l.text === 'line 5'); ) {
      if (Date.now() - t0 > 10_000) throw new Error('the pod wrote no logs')
      await new Promise((r) => setTimeout(r, 50))
    }
  }, 60_000)
  afterAll(async () => {
    await server?.close()
    await up?.close()
    await rt?.close()
    rmSync(home, { recursive: true, force: true })
  })

  it('`chaoscope up`\'s listener serves the dashboard at / and its assets, beside the runtime\'s own routes', async () => {
    // `npm test` builds first: the page of this checkout's build (dist/dashboard)
    const built = await call(`${rt.state.url}/`)
    expect([built.status, built.type, built.csp]).toEqual([200, 'text/html; charset=utf-8', DASHBOARD_CSP])
    expect(built.text).toMatch(/<script type="module" src="assets\/main-[A-Z0-9]{8}\.js"><\/script>/)
    const asset = await call(`${rt.state.url}/assets/none-ABCDEFGH.js`)
    expect([asset.status, JSON.parse(asset.text).message]).toEqual([404, 'the dashboard has no asset "none-ABCDEFGH.js"'])
    // the runtime's routes answer as before: /healthz open, the rest with the runtime's token only
    expect((await call(`${rt.state.url}/healthz`)).text).toBe('ok')
    expect((await call(`${rt.state.url}/runtime/v1/pods`)).status).toBe(401)
    expect((await call(`${rt.state.url}/runtime/v1/pods`, rt.state.token)).status).toBe(200)
    expect((await call(`${rt.state.url}/runtime/v1/pods`, up.adminToken)).status).toBe(401)
    // and `chaoscope server`'s serves it too
    expect((await call(`${server.state.url}/`)).status).toBe(built.status)
  })

  it('reads a pod\'s logs through `up`\'s listener and `server`\'s, for a token that may read the pod\'s namespace', async () => {
    for (const s of [up, server]) {
      const logs = (q = '', token = s.adminToken) => call(`${s.state.url}/api/v1/pods/${pod.name}/logs${q}`, token)
      const all = await logs()
      expect(all.status, all.text).toBe(200)
      expect(all.type).toMatch(/^text\/plain/)
      expect(all.text.trimEnd().split('\n').map((l) => l.split(' ').slice(2).join(' '))).toEqual(['line 1', 'line 2', 'line 3', 'line 4', 'line 5'])
      expect((await logs('?tail=2')).text).toMatch(/^\S+ stdout line 4\n\S+ stdout line 5\n$/)
      expect((await logs('?tail=x')).status).toBe(400)
      expect((await call(`${s.state.url}/api/v1/pods/${pod.name}/logs`)).status).toBe(401)
      expect(JSON.parse((await call(`${s.state.url}/api/v1/pods/nobody/logs`, s.adminToken)).text).code).toBe('RUNTIME_UNKNOWN_POD')
      const mint = async (name: string, namespace: string) => {
        const res = await fetch(`${s.state.url}/api/v1/tokens`, { method: 'POST', headers: { authorization: `Bearer ${s.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ name, role: 'viewer', namespaces: [namespace] }) })
        return ((await res.json()) as { token: string }).token
      }
      expect((await logs('', await mint('own-ns', pod.namespace))).status).toBe(200)
      const other = await logs('', await mint('other-ns', 'team-elsewhere'))
      expect([other.status, JSON.parse(other.text).code]).toEqual([403, 'AUTH_NAMESPACE_FORBIDDEN'])
    }
  })
})
