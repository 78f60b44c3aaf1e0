/**
 * Pods with `network: namespace`, run by a real LocalRuntime: each in a network namespace of its own, listening on
 * its service's declared port, reached only through its sidecars. Needs root (the namespaces are real); the
 * fallback to the host's network runs everywhere.
 */
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AppConfig } from './app.js'
import { tryConnect } from '../../test/sockets.js'
import { LocalRuntime } from './local-runtime.js'
import { netnsSupport, PodNetworks } from './netns.js'
import { faultLibrary } from './preload/library.js'
import type { RuntimePod } from './types.js'

const support = await netnsSupport()
const dirs: string[] = []
const tmp = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix))
  dirs.push(d)
  return d
}
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

/** An uncommon fixed port, so that "nothing listens on the host's 127.0.0.1:PORT" is about our pods only. */
const WEB_PORT = 28361
const CALLER_PORT = 28362

/**
 * Answers every request with its $POD_IP; binds every address of its namespace, as a container's server does, on a
 * port fixed in its own code (as a config file would fix it), or on $PORT.
 */
const web = (port: string) => `require('node:http').createServer((q, s) => s.end(process.env.POD_IP)).listen(${port}, '0.0.0.0')`

/** Whether the fault library is built (it resolves dependencies by name: $WEB_SERVICE_URL). */
const library = 'path' in faultLibrary()

/**
 * Calls web through $WEB_ADDR and answers with what it got and the address it used; `/direct?to=host:port` says
 * what a direct TCP connection from inside its namespace does.
 */
const caller = (port: string) => `
const http = require('node:http'), net = require('node:net')
http.createServer((q, s) => {
  const u = new URL(q.url, 'http://x')
  if (u.pathname === '/direct') {
    const [host, port] = u.searchParams.get('to').split(':')
    const c = net.connect({ host, port: Number(port), timeout: 2000 })
    c.on('connect', () => (c.destroy(), s.end('connected')))
    c.on('timeout', () => (c.destroy(), s.end('timeout')))
    c.on('error', (e) => s.end(e.code || e.message))
    return
  }
  // by name ($WEB_SERVICE_URL, resolved by the fault library) or by address
  const url = u.pathname === '/byname' ? process.env.WEB_SERVICE_URL + '/' : 'http://' + process.env.WEB_ADDR + '/'
  http.get(url, (r) => {
    let body = ''
    r.on('data', (d) => (body += d)).on('end', () => s.end(JSON.stringify({ addr: process.env.WEB_ADDR, url, body })))
  }).on('error', (e) => { s.statusCode = 502; s.end(e.message) })
}).listen(${port}, '0.0.0.0')`

/** GET over a fresh connection: the status and body, or status 0 and the error when there was no answer. */
function get(address: string, path = '/'): Promise<{ status: number; body: string; ms: number }> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))]
  const t0 = performance.now()
  return new Promise((resolve) => {
    const req = request({ host, port, path, agent: false, timeout: 10_000 }, (res) => {
      let body = ''
      res.on('data', (d) => (body += d)).on('end', () => resolve({ status: res.statusCode ?? 0, body, ms: performance.now() - t0 }))
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', (e) => resolve({ status: 0, body: e.message, ms: performance.now() - t0 }))
    req.end()
  })
}

async function until<T>(what: string, fn: () => T | Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (ok(v)) return v
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(v)} after ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

const netnsList = () => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
const links = () => execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })

/** web (2 replicas) and caller (calls web), both with hostPorts; `fixed`: their programs listen on their declared ports, else on $PORT. */
function app(ports: 'fixed' | 'env' = 'fixed'): AppConfig {
  const network = 'namespace'
  const port = (n: number) => (ports === 'fixed' ? String(n) : 'process.env.PORT')
  return {
    services: [
      {
        name: 'web', command: [process.execPath, '-e', web(port(WEB_PORT))], port: WEB_PORT, hostPort: WEB_PORT, protocol: 'http', replicas: 2, network,
        labels: { app: 'web' }, readinessProbe: { httpGet: { path: '/' }, periodSeconds: 1 }, terminationGracePeriodSeconds: 1, preload: false,
      },
      {
        name: 'caller', command: [process.execPath, '-e', caller(port(CALLER_PORT))], port: CALLER_PORT, hostPort: CALLER_PORT, protocol: 'http', network,
        dependencies: ['web'], labels: { app: 'caller' }, readinessProbe: { tcpSocket: {}, periodSeconds: 1 }, terminationGracePeriodSeconds: 1, preload: library,
      },
    ],
  }
}

describe.skipIf(!support.usable)(`pods in network namespaces of their own${support.usable ? '' : ` (skipped: ${support.reason})`}`, () => {
  let rt: LocalRuntime
  const made = new Set<string>() // namespaces this runtime's pods had

  beforeAll(async () => {
    const home = tmp('chaoscope-podnet-')
    rt = await LocalRuntime.start(app(), { appFile: join(home, 'app.yaml'), hostPorts: 'ephemeral', faultDir: join(home, 'pods'), netnsDir: join(home, 'netns') })
    await rt.waitReady(30_000)
    for (const p of rt.pods()) if (p.netns) made.add(p.netns)
  }, 60_000)

  afterAll(async () => {
    await rt?.stop()
  })

  const webPods = () => rt.pods('app=web')
  const hostPort = (service: string) => rt.hostPortAddress(service)!

  it('gives each replica an address of its own, listening on the declared port, with nothing of it on the host\'s loopback', async () => {
    const [a, b] = webPods() as [RuntimePod, RuntimePod]
    for (const p of [a, b]) {
      expect(p).toMatchObject({ ready: true, port: WEB_PORT, netns: expect.stringMatching(/^chaoscope-[0-9a-f]{8}$/) })
      expect(p.podIP).toMatch(/^169\.254\.\d+\.\d+$/)
      expect(p.hostIP).toMatch(/^169\.254\.\d+\.\d+$/)
      expect(p.networkReason).toBeUndefined()
      expect(netnsList()).toContain(p.netns)
      // as a container: no CAP_NET_ADMIN (12) to route elsewhere, no CAP_SYS_ADMIN (21) to setns back to the host
      const bounding = BigInt(`0x${/^CapBnd:\s+([0-9a-f]+)$/m.exec(readFileSync(`/proc/${p.pid}/status`, 'utf8'))![1]}`)
      expect(bounding & (1n << 12n)).toBe(0n)
      expect(bounding & (1n << 21n)).toBe(0n)
      // through its ingress sidecar, the pod itself answers
      expect(await get(p.address!)).toMatchObject({ status: 200, body: p.podIP })
    }
    expect(a.podIP).not.toBe(b.podIP)
    expect(await tryConnect('127.0.0.1', WEB_PORT)).toBe('ECONNREFUSED')
    // the hostPort reaches both replicas
    const seen = new Set<string>()
    for (let i = 0; i < 60 && seen.size < 2; i++) {
      const r = await get(hostPort('web'))
      expect(r.status).toBe(200)
      seen.add(r.body)
    }
    expect([...seen].sort()).toEqual([a.podIP, b.podIP].sort())
  })

  it('an ingress fault acts on requests through the hostPort', async () => {
    const before = await get(hostPort('web'))
    expect(before.status).toBe(200)
    const pods = webPods()
    for (const p of pods) {
      await rt.applyEffect({ id: `abort-${p.name}`, type: 'sidecar-fault', target: { pod: p.name }, body: { fault: { type: 'http', direction: 'upstream', target: 'Request', action: 'abort' } } })
    }
    try {
      for (let i = 0; i < 6; i++) expect((await get(hostPort('web'))).status).toBe(0)
    } finally {
      for (const p of pods) await rt.removeEffect(`abort-${p.name}`)
    }
    expect((await get(hostPort('web'))).status).toBe(200)
    await rt.applyEffect({ id: 'slow-web', type: 'sidecar-fault', target: { pod: pods[0]!.name }, body: { fault: { type: 'latency', direction: 'downstream', latencyMs: 300 } } })
    try {
      const r = await get(pods[0]!.address!)
      expect(r.status).toBe(200)
      expect(r.ms).toBeGreaterThanOrEqual(280)
    } finally {
      await rt.removeEffect('slow-web')
    }
  })

  it('a caller reaches its dependency through $WEB_ADDR on its own link, and not another pod\'s address directly', async () => {
    const caller = rt.pods('app=caller')[0]!
    const r = await get(hostPort('caller'))
    expect(r.status).toBe(200)
    const { addr, body } = JSON.parse(r.body) as { addr: string; body: string }
    expect(addr.startsWith(`${caller.hostIP}:`)).toBe(true)
    expect(webPods().map((p) => p.podIP)).toContain(body)
    if (library) {
      // by name, as a Kubernetes pod calls a Service: the name answers the caller's own link
      const named = await get(hostPort('caller'), '/byname')
      expect(named.status).toBe(200)
      const got = JSON.parse(named.body) as { url: string; body: string }
      expect(got.url).toMatch(/^http:\/\/web:\d+\/$/)
      expect(webPods().map((p) => p.podIP)).toContain(got.body)
    }
    // a web pod's own address is routed on the host (its sidecar uses it), never from another pod's namespace
    const web = webPods()[0]!
    expect(await tryConnect(web.podIP!, WEB_PORT)).toBe('connected')
    const direct = await get(hostPort('caller'), `/direct?to=${web.podIP}:${WEB_PORT}`)
    expect(direct.body).not.toBe('connected')
    expect(direct.body).toMatch(/ENETUNREACH|EHOSTUNREACH|timeout/)
  })

  it('a pod whose process dies comes back in the same namespace, on the same port', async () => {
    const victim = webPods()[0]!
    process.kill(victim.pid!, 'SIGKILL')
    const back = await until('the restarted pod', () => rt.pod(victim.name), (p) => p.restartCount >= 1 && p.ready && p.pid !== undefined && p.pid !== victim.pid, 20_000)
    expect(back).toMatchObject({ port: WEB_PORT, podIP: victim.podIP, netns: victim.netns })
    expect(await get(back.address!)).toMatchObject({ status: 200, body: victim.podIP })
  })

  it('a pod that is deleted takes its namespace and link with it', async () => {
    await rt.supervisor.scale('web', 1)
    const left = await until('one web pod', () => webPods(), (ps) => ps.length === 1)
    const gone = [...made].filter((n) => n !== left[0]!.netns && n !== rt.pods('app=caller')[0]!.netns)
    expect(gone).toHaveLength(1)
    await until('the deleted pod\'s namespace', () => existsSync(`/run/netns/${gone[0]}`), (e) => !e)
    expect(links()).not.toContain(`cs-${gone[0]!.slice('chaoscope-'.length)}`)
    expect((await get(hostPort('web'))).body).toBe(left[0]!.podIP)
  })

  it('after stop, none of its namespaces or links is left', async () => {
    for (const p of rt.pods()) if (p.netns) made.add(p.netns)
    expect(made.size).toBeGreaterThanOrEqual(3)
    await rt.stop()
    const list = netnsList()
    const ls = links()
    for (const name of made) {
      expect(list).not.toContain(name)
      expect(ls).not.toContain(`cs-${name.slice('chaoscope-'.length)}`)
    }
  })
})

describe.skipIf(!support.usable)(`a runtime that starts where a killed one left namespaces${support.usable ? '' : ` (skipped: ${support.reason})`}`, () => {
  it('removes them before its pods start, even when none of its services asks for one', async () => {
    const home = tmp('chaoscope-podnet-')
    const netnsDir = join(home, 'netns')
    const left = await new PodNetworks({ recordDir: netnsDir, support: support as Extract<typeof support, { usable: true }> }).create(`${randomBytes(4).toString('hex')}-left`)
    writeFileSync(join(netnsDir, left.name), '999999999\n') // as if its runtime had been killed
    expect(netnsList()).toContain(left.name)
    const said: string[] = []
    const rt = await LocalRuntime.start({ services: [] }, { appFile: join(home, 'app.yaml'), faultDir: join(home, 'pods'), netnsDir, log: (_level, message) => said.push(message) })
    try {
      expect(existsSync(left.path)).toBe(false)
      expect(links()).not.toContain(left.hostLink)
      expect(readdirSync(netnsDir)).toEqual([])
      expect(said.join('\n')).toContain(left.name)
    } finally {
      await rt.stop()
    }
  })
})

describe('network: namespace where namespaces cannot be made', () => {
  it('falls back to the host\'s network, on a loopback port of its own, and says why', async () => {
    const home = tmp('chaoscope-podnet-')
    const spec = app('env')
    spec.services = spec.services!.map((s) => ({ ...s, replicas: 1 }))
    const rt = await LocalRuntime.start(spec, {
      appFile: join(home, 'app.yaml'), hostPorts: 'ephemeral', faultDir: join(home, 'pods'), netnsDir: join(home, 'netns'),
      netns: { usable: false, reason: 'the runtime does not run as root' },
    })
    try {
      await rt.waitReady(30_000)
      const web = rt.pods('app=web')[0]!
      expect(web).toMatchObject({ podIP: '127.0.0.1', hostIP: '127.0.0.1', networkReason: 'the runtime does not run as root' })
      expect(web.netns).toBeUndefined()
      expect(web.port).not.toBe(WEB_PORT)
      // the caller still reaches it through its egress sidecar on loopback
      const r = await get(rt.hostPortAddress('caller')!)
      expect(r.status).toBe(200)
      const { addr } = JSON.parse(r.body) as { addr: string }
      expect(addr).toMatch(/^127\.0\.0\.1:\d+$/)
    } finally {
      await rt.stop()
    }
  })
})
