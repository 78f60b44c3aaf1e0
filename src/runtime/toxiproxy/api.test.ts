/**
 * Toxiproxy's API over the local runtime, in-process, with real sockets: the routes, JSON shapes, status codes and
 * error bodies Toxiproxy's clients rely on; toxics acting on traffic; enabled false refusing connections; populate
 * and reset; and the same proxies selected by Chaos Mesh YAML through the controller.
 * (test/e2e/toxiproxy-*.test.ts compare all of it with the real Toxiproxy and its client libraries.)
 */
import net from 'node:net'
import type { AddressInfo, Server, Socket } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LocalRuntime } from '../local-runtime.js'
import { startToxiproxyApi } from './api.js'
import type { ToxiproxyApi } from './api.js'
import { ControllerClient } from '../../api/client.js'
import { startRuntimeServer, startUpController } from '../../wiring.js'
import type { ControllerServer } from '../../wiring.js'
import type { RuntimeServer } from '../server.js'

/** An echo server counting its connections. */
async function echoServer(): Promise<{ port: number; server: Server; close(): Promise<void> }> {
  const sockets = new Set<Socket>()
  const server = net.createServer((s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.on('error', () => {})
    s.pipe(s)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    port: (server.address() as AddressInfo).port,
    server,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise((r) => server.close(r))
    },
  }
}

/** One round trip of `n` bytes through host:port: the ms it took, or the socket error's code. */
function roundTrip(port: number, n = 16, timeoutMs = 5000): Promise<number | string> {
  return new Promise((resolve) => {
    const t0 = performance.now()
    const s = net.connect({ host: '127.0.0.1', port })
    let got = 0
    const timer = setTimeout(() => (s.destroy(), resolve('timeout')), timeoutMs)
    s.on('connect', () => s.write(Buffer.alloc(n, 7)))
    s.on('data', (d) => {
      got += d.length
      if (got >= n) {
        clearTimeout(timer)
        s.destroy()
        resolve(performance.now() - t0)
      }
    })
    s.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      resolve(e.code ?? e.message)
    })
  })
}

const portOf = (listen: string): number => Number(listen.slice(listen.lastIndexOf(':') + 1))

describe('the Toxiproxy API', () => {
  let rt: LocalRuntime
  let api: ToxiproxyApi
  let echo: Awaited<ReturnType<typeof echoServer>>
  let call: (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<{ status: number; type: string | null; text: string; json: unknown }>

  beforeAll(async () => {
    echo = await echoServer()
    rt = await LocalRuntime.start({ services: [], proxies: [{ name: 'from-app', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echo.port}`, labels: { app: 'from-app' } }] }, { appFile: join(tmpdir(), 'app.yaml') })
    api = await startToxiproxyApi(rt, { port: 0, version: 'test' })
    call = async (method, path, body, headers = {}) => {
      const res = await fetch(`${api.url}${path}`, { method, headers, ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}) })
      const text = await res.text()
      let json: unknown
      try {
        json = JSON.parse(text)
      } catch {
        json = undefined
      }
      return { status: res.status, type: res.headers.get('content-type'), text, json }
    }
  })

  afterAll(async () => {
    await api?.close()
    await rt?.stop()
    await echo?.close()
  })

  it('lists the App file\'s proxies, creates proxies with Toxiproxy\'s shapes and codes, and refuses what Toxiproxy refuses', async () => {
    const index = await call('GET', '/proxies')
    expect(index.status).toBe(200)
    expect(index.json).toEqual({ 'from-app': { name: 'from-app', listen: expect.stringMatching(/^127\.0\.0\.1:\d+$/), upstream: `127.0.0.1:${echo.port}`, enabled: true, Logger: {}, toxics: [] } })

    const made = await call('POST', '/proxies', { name: 'echo', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echo.port}` })
    expect(made.status).toBe(201)
    expect(made.type).toBe('application/json')
    const p = made.json as { name: string; listen: string }
    // the real port comes back, and the keys are in Toxiproxy's order
    expect(Object.keys(p)).toEqual(['name', 'listen', 'upstream', 'enabled', 'Logger', 'toxics'])
    expect(p.listen).toMatch(/^127\.0\.0\.1:[1-9]\d*$/)
    expect(typeof (await roundTrip(portOf(p.listen)))).toBe('number')

    const dup = await call('POST', '/proxies', { name: 'echo', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echo.port}` })
    expect([dup.status, dup.type, dup.text]).toEqual([409, 'text/plain; charset=utf-8', '{"error":"proxy already exists","status":409}\n'])
    expect((await call('POST', '/proxies', { listen: '127.0.0.1:0', upstream: 'x:1' })).json).toEqual({ error: 'missing required field: name', status: 400 })
    expect((await call('POST', '/proxies', { name: 'y' })).json).toEqual({ error: 'missing required field: upstream', status: 400 })
    expect((await call('POST', '/proxies', '{')).json).toMatchObject({ status: 400, error: expect.stringMatching(/^bad request body: /) })
    expect((await call('POST', '/proxies', { name: 7, upstream: 'x' })).json).toEqual({ error: 'bad request body: json: cannot unmarshal number into Go struct field Proxy.name of type string', status: 400 })
    expect((await call('GET', '/proxies/nosuch')).json).toEqual({ error: 'proxy not found', status: 404 })
    expect((await call('GET', '/proxies/echo/toxics/nosuch')).json).toEqual({ error: 'toxic not found', status: 404 })
    // chaoscope's own limit: traffic stays on this machine unless --allow-remote
    expect((await call('POST', '/proxies', { name: 'far', upstream: '10.1.2.3:5432' })).json).toMatchObject({ status: 400, error: expect.stringMatching(/not on this machine.*--allow-remote/) })
    expect(rt.proxies().map((x) => x.name).sort()).toEqual(['echo', 'from-app'])

    expect((await call('GET', '/version')).text).toBe('{"version": "2.12.0", "chaoscope": "test"}\n')
    expect(await call('GET', '/proxies', undefined, { 'User-Agent': 'Mozilla/5.0' })).toMatchObject({ status: 403, text: 'User agent not allowed\n' })
    expect(await call('GET', '/nosuch')).toMatchObject({ status: 404, text: '404 page not found\n' })
    expect((await call('PUT', '/proxies')).status).toBe(405)
    expect((await call('GET', '/proxies/%E0')).json).toEqual({ error: 'proxy not found', status: 404 })
    const big = await call('POST', '/proxies', `{"name": "${'x'.repeat(2 * 1024 * 1024)}"}`)
    expect(big.status).toBe(413)
  })

  it('toxics: defaults, order, update and removal, each acting on the traffic', async () => {
    const port = portOf(((await call('GET', '/proxies/echo')).json as { listen: string }).listen)
    const base = (await roundTrip(port)) as number
    const t = await call('POST', '/proxies/echo/toxics', { type: 'latency', attributes: { latency: 150 } })
    expect(t.status).toBe(200)
    expect(t.text).toBe('{"attributes":{"latency":150,"jitter":0},"name":"latency_downstream","type":"latency","stream":"downstream","toxicity":1}')
    const slow = (await roundTrip(port)) as number
    expect(slow).toBeGreaterThanOrEqual(145)
    expect(slow).toBeLessThan(base + 400)

    expect((await call('POST', '/proxies/echo/toxics', { type: 'latency', attributes: { latency: 1 } })).json).toEqual({ error: 'toxic already exists', status: 409 })
    expect((await call('POST', '/proxies/echo/toxics', { type: 'nosuch' })).json).toEqual({ error: 'invalid toxic type', status: 400 })
    expect((await call('POST', '/proxies/echo/toxics', { type: 'latency', stream: 'sideways' })).json).toEqual({ error: 'stream was invalid, can be either upstream or downstream', status: 400 })
    expect((await call('POST', '/proxies/echo/toxics', { type: 'latency', name: 'x', attributes: { latency: '5' } })).json).toEqual({
      error: 'bad request body: json: cannot unmarshal string into Go struct field LatencyToxic.attributes.latency of type int64',
      status: 400,
    })
    await call('POST', '/proxies/echo/toxics', { name: 'up', type: 'bandwidth', stream: 'upstream', toxicity: 0.5, attributes: { rate: 100 } })
    // upstream toxics list first, as Toxiproxy's chains are listed
    const list = (await call('GET', '/proxies/echo/toxics')).json as { name: string; toxicity: number }[]
    expect(list.map((x) => [x.name, x.toxicity])).toEqual([['up', 0.5], ['latency_downstream', 1]])

    const patched = await call('PATCH', '/proxies/echo/toxics/latency_downstream', { attributes: { jitter: 5 } })
    expect(patched.json).toEqual({ attributes: { latency: 150, jitter: 5 }, name: 'latency_downstream', type: 'latency', stream: 'downstream', toxicity: 1 })
    await call('POST', '/proxies/echo/toxics/latency_downstream', { attributes: { latency: 0, jitter: 0 } })
    expect((await roundTrip(port)) as number).toBeLessThan(100)

    // bandwidth 0: nothing leaves while it is on, as in Toxiproxy
    await call('POST', '/proxies/echo/toxics', { name: 'stopped', type: 'bandwidth', attributes: { rate: 0 } })
    expect(await roundTrip(port, 16, 400)).toBe('timeout')
    await call('DELETE', '/proxies/echo/toxics/stopped')

    const metrics = await call('GET', '/metrics')
    const series = (name: string, dir: string) => Number(new RegExp(`^${name}\\{direction="${dir}",listener="127\\.0\\.0\\.1:${port}",proxy="echo",upstream="[^"]+"\\} (\\d+)$`, 'm').exec(metrics.text)?.[1])
    expect(series('toxiproxy_proxy_received_bytes_total', 'upstream')).toBeGreaterThanOrEqual(16 * 4)
    expect(series('toxiproxy_proxy_sent_bytes_total', 'downstream')).toBeGreaterThanOrEqual(16 * 3)

    // a refused update leaves the toxic as it was, on the traffic and in the list
    await call('POST', '/proxies/echo/toxics', { name: 'L', type: 'latency', attributes: { latency: 120 } })
    const refused = await call('PATCH', '/proxies/echo/toxics/L', { attributes: { latency: 100_000_000_000 } })
    expect(refused.status).toBe(400)
    expect(((await call('GET', '/proxies/echo/toxics/L')).json as { attributes: { latency: number } }).attributes.latency).toBe(120)
    expect((await rt.proxyFaults('echo')).map((f) => f.id)).toContain('toxiproxy:L')
    expect((await roundTrip(port)) as number).toBeGreaterThanOrEqual(115)
    await call('DELETE', '/proxies/echo/toxics/L')

    expect((await call('DELETE', '/proxies/echo/toxics/up')).status).toBe(204)
    expect((await call('DELETE', '/proxies/echo/toxics/up')).status).toBe(404)
    expect(((await call('GET', '/proxies/echo')).json as { toxics: unknown[] }).toxics).toHaveLength(1)
  })

  it('enabled false takes a proxy down (refused), true brings it back on the same port with its toxics; reset enables and clears', async () => {
    const listen = ((await call('GET', '/proxies/echo')).json as { listen: string }).listen
    await call('POST', '/proxies/echo/toxics', { name: 'slow', type: 'latency', attributes: { latency: 120 } })
    const down = await call('PATCH', '/proxies/echo', { enabled: false })
    expect(down.json).toMatchObject({ name: 'echo', listen, enabled: false })
    expect(await roundTrip(portOf(listen))).toBe('ECONNREFUSED')
    expect(rt.pod('echo')).toMatchObject({ ready: false, phase: 'Pending' })
    await call('POST', '/proxies/echo', { enabled: true })
    expect((await roundTrip(portOf(listen))) as number).toBeGreaterThanOrEqual(115)

    // a bad address or upstream changes nothing: the proxy keeps listening where it did
    expect((await call('PATCH', '/proxies/echo', { listen: 'bogus' })).status).toBe(500)
    expect((await call('PATCH', '/proxies/echo', { upstream: '127.0.0.1:99999' })).status).toBe(400)
    expect((await call('GET', '/proxies/echo')).json).toMatchObject({ listen, enabled: true, upstream: `127.0.0.1:${echo.port}` })

    await call('PATCH', '/proxies/echo', { enabled: false })
    expect((await call('POST', '/reset')).status).toBe(204)
    const after = (await call('GET', '/proxies/echo')).json as { enabled: boolean; toxics: unknown[] }
    expect(after).toMatchObject({ enabled: true, toxics: [] })
    expect((await roundTrip(portOf(listen))) as number).toBeLessThan(100)
    expect(await rt.proxyFaults('echo')).toEqual([])
  })

  it('populate adds, keeps an unchanged proxy with its toxics, replaces a changed one, and checks every entry first', async () => {
    const listen = ((await call('GET', '/proxies/echo')).json as { listen: string }).listen
    await call('POST', '/proxies/echo/toxics', { name: 'kept', type: 'latency', attributes: { latency: 10 } })
    const r = await call('POST', '/populate', [
      { name: 'echo', listen, upstream: `127.0.0.1:${echo.port}` },
      { name: 'pop', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echo.port}`, enabled: false },
    ])
    expect(r.status).toBe(201)
    const got = r.json as { proxies: { name: string; enabled: boolean; toxics: { name: string }[] }[] }
    expect(got.proxies.map((p) => [p.name, p.enabled, p.toxics.map((t) => t.name)])).toEqual([['echo', true, ['kept']], ['pop', false, []]])
    // a disabled proxy never bound: its listen is as given
    expect(((await call('GET', '/proxies/pop')).json as { listen: string }).listen).toBe('127.0.0.1:0')

    const bad = await call('POST', '/populate', [{ name: 'new-one', upstream: `127.0.0.1:${echo.port}` }, { name: 'z' }])
    expect([bad.status, bad.json]).toEqual([400, { error: 'missing required field: upstream at proxy 2', status: 400, proxies: null }])
    expect(rt.proxies().map((p) => p.name)).not.toContain('new-one')
    expect((await call('POST', '/populate', [])).text).toBe('{"proxies":null}')

    const moved = await call('POST', '/populate', [{ name: 'echo', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echo.port}` }])
    expect((moved.json as { proxies: { toxics: unknown[]; listen: string }[] }).proxies[0]).toMatchObject({ toxics: [] })
    expect((moved.json as { proxies: { listen: string }[] }).proxies[0]!.listen).not.toBe(listen)
    expect((await call('DELETE', '/proxies/pop')).status).toBe(204)
    expect((await call('DELETE', '/proxies/pop')).status).toBe(404)
  })

  it('each proxy is a pod: named as the proxy, labelled app, ready while it listens', () => {
    const pod = rt.pod('echo')
    expect(pod).toMatchObject({ name: 'echo', service: 'echo', labels: { app: 'echo' }, ready: true, external: `127.0.0.1:${echo.port}` })
    expect(rt.pods('app=from-app').map((p) => p.name)).toEqual(['from-app'])
  })
})

describe('Chaos Mesh YAML on proxies', () => {
  let dir: string
  let server: RuntimeServer
  let ctl: ControllerServer
  let api: ToxiproxyApi
  let echo: Awaited<ReturnType<typeof echoServer>>

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'chaoscope-proxy-'))
    echo = await echoServer()
    server = await startRuntimeServer({ metadata: { name: 'proxies' }, spec: { services: [], proxies: [] } }, join(dir, 'app.yaml'), { stateless: true })
    ctl = await startUpController(server, { db: join(dir, 'chaoscope.db'), stateless: true })
    api = await startToxiproxyApi(server.runtime, { port: 0 })
  }, 30_000)

  afterAll(async () => {
    await api?.close()
    await ctl?.close()
    await server?.close()
    await echo?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('a NetworkChaos selecting a proxy made through the Toxiproxy API slows it, and deleting it recovers', async () => {
    const res = await fetch(`${api.url}/proxies`, { method: 'POST', body: JSON.stringify({ name: 'db', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echo.port}` }) })
    const port = portOf(((await res.json()) as { listen: string }).listen)
    const client = new ControllerClient(server.state.url, ctl.adminToken)
    await client.apply(`apiVersion: chaos-mesh.org/v1alpha1
kind: NetworkChaos
metadata: {name: slow-db, namespace: default}
spec:
  action: delay
  mode: all
  selector: {labelSelectors: {app: db}}
  delay: {latency: 200ms}
`)
    await expect.poll(async () => (await roundTrip(port)) as number, { timeout: 10_000 }).toBeGreaterThanOrEqual(190)
    // the Toxiproxy API shows its own toxics only: the Chaos Mesh fault is the runtime's
    expect(((await (await fetch(`${api.url}/proxies/db`)).json()) as { toxics: unknown[] }).toxics).toEqual([])
    // disabled while the fault is held: the fault stays on the sidecar; deleted meanwhile, it does not come back
    await fetch(`${api.url}/proxies/db`, { method: 'PATCH', body: JSON.stringify({ enabled: false }) })
    expect(await roundTrip(port)).toBe('ECONNREFUSED')
    await client.call('DELETE', '/api/v1/namespaces/default/networkchaos/slow-db')
    await expect.poll(async () => (await server.runtime.effects()).length, { timeout: 10_000 }).toBe(0)
    await fetch(`${api.url}/proxies/db`, { method: 'PATCH', body: JSON.stringify({ enabled: true }) })
    expect(await server.runtime.proxyFaults('db')).toEqual([])
    expect((await roundTrip(port)) as number).toBeLessThan(100)
  }, 30_000)
})

describe('a service that calls a proxy', () => {
  let rt: LocalRuntime
  let api: ToxiproxyApi
  let echo: Awaited<ReturnType<typeof echoServer>>

  beforeAll(async () => {
    echo = await echoServer()
    // web relays each connection to its dependency db (a proxy), through its egress sidecar ($DB_ADDR)
    const relay = "const net=require('net');net.createServer(c=>{const [h,p]=process.env.DB_ADDR.split(':');const u=net.connect(+p,h);c.pipe(u).pipe(c);u.on('error',()=>c.destroy());c.on('error',()=>u.destroy())}).listen(+process.env.PORT,'127.0.0.1')"
    rt = await LocalRuntime.start({
      proxies: [{ name: 'db', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echo.port}`, labels: { app: 'db' } }],
      services: [{ name: 'web', command: [process.execPath, '-e', relay], port: 8080, dependencies: ['db'], readinessProbe: { tcpSocket: {} }, labels: { app: 'web' } }],
    }, { appFile: join(tmpdir(), 'app.yaml') })
    await rt.waitReady(20_000)
    api = await startToxiproxyApi(rt, { port: 0 })
  }, 30_000)

  afterAll(async () => {
    await api?.close()
    await rt?.stop()
    await echo?.close()
  })

  it('reaches it through its egress sidecar, and a toxic on the proxy slows the service\'s calls', async () => {
    const web = portOf(rt.pods('app=web')[0]!.address!)
    expect((await roundTrip(web)) as number).toBeLessThan(150)
    await fetch(`${api.url}/proxies/db/toxics`, { method: 'POST', body: JSON.stringify({ type: 'latency', attributes: { latency: 200 } }) })
    expect((await roundTrip(web)) as number).toBeGreaterThanOrEqual(195)
    // disabled: web's calls to db are refused, so web closes its callers' connections
    await fetch(`${api.url}/proxies/db`, { method: 'PATCH', body: JSON.stringify({ enabled: false }) })
    expect(typeof (await roundTrip(web, 16, 2000))).toBe('string')
  })
})
