/**
 * @module test/doubles/test-app: a small App of real pods for the injector tests (not shipped behaviour): a `client`
 * pod whose egress sidecars the tests use as if they were the client, two `echo` TCP pods, two `web` HTTP pods
 * (which call echo), and `ext`, an external TCP echo server run by the test process.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadApp } from '../../src/app-file.js'
import { validateText } from '../../src/manifest/validate.js'
import { HttpRuntimeClient, InProcessRuntimeClient } from '../../src/runtime/client.js'
import type { RuntimeClient } from '../../src/runtime/client.js'
import type { LocalRuntime, RuntimePod } from '../../src/runtime/local-runtime.js'
import { startRuntimeServer } from '../../src/runtime/server.js'
import type { RuntimeServer } from '../../src/runtime/server.js'
import type { FaultContext } from '../../src/faults/injector.js'

/**
 * TCP line server: "ping N" → "pong N <pid>"; "ticks" starts a "tick <pid>" line every 50 ms (server-sent bytes,
 * so a test sees the server→client direction flow on its own).
 */
const ECHO = `
const net = require('node:net')
const port = Number(process.argv[2] || process.env.PORT)
net.createServer((s) => {
  s.on('error', () => {})
  let buf = '', timer
  s.on('data', (d) => {
    buf += d
    let i
    while ((i = buf.indexOf('\\n')) >= 0) {
      const line = buf.slice(0, i); buf = buf.slice(i + 1)
      if (line === 'ticks') timer ??= setInterval(() => s.write('tick ' + process.pid + '\\n'), 50)
      else if (line.startsWith('blob ')) s.write(Buffer.alloc(Number(line.slice(5)), 120))
      else s.write('pong ' + line.slice(5) + ' ' + process.pid + '\\n')
    }
  })
  s.on('close', () => clearInterval(timer))
}).listen(port, '127.0.0.1')
process.on('SIGTERM', () => process.exit(0))
`

/** HTTP server: answers JSON {pid, method, path, headers}; /status/N answers status N; /echo calls echo. */
const WEB = `
const http = require('node:http')
const net = require('node:net')
http.createServer((req, res) => {
  const m = /^\\/status\\/(\\d+)/.exec(req.url)
  const body = JSON.stringify({ pid: process.pid, method: req.method, path: req.url, headers: req.headers, status: 'ok' })
  res.writeHead(m ? Number(m[1]) : 200, { 'content-type': 'application/json', 'x-pod-pid': String(process.pid) })
  res.end(body)
}).listen(Number(process.env.PORT), '127.0.0.1')
process.on('SIGTERM', () => process.exit(0))
`

const IDLE = `
require('node:net').createServer((s) => s.end()).listen(Number(process.env.PORT), '127.0.0.1')
process.on('SIGTERM', () => process.exit(0))
`

export interface FaultApp {
  server: RuntimeServer
  rt: LocalRuntime
  /** The in-process client the injectors use. */
  client: RuntimeClient
  /** A fresh client through the control API, as a restarted controller would have. */
  freshClient(): RuntimeClient
  /** Address of the external echo server the App fronts as service `ext`. */
  extAddress: string
  close(): Promise<void>
}

/** More of the test App: files written next to app.yaml, and service entries appended to its services. */
export interface FaultAppExtra {
  files?: Record<string, string>
  /** YAML list items under `services:`, indented 4 spaces (`    - name: py\n      command: [python3, probe.py]`). */
  services?: string
  /** How long a pod must run without a restart before its next restart is immediate again (default 1 s, twice the 500 ms cap). */
  backoffResetMs?: number
}

/** Starts the test App (pods ready). Always `close()` it. */
export async function startFaultApp(extra: FaultAppExtra = {}): Promise<FaultApp> {
  const dir = mkdtempSync(join(tmpdir(), 'chaoscope-faults-'))
  for (const [name, text] of Object.entries(extra.files ?? {})) writeFileSync(join(dir, name), text)
  writeFileSync(join(dir, 'echo.cjs'), ECHO)
  writeFileSync(join(dir, 'web.cjs'), WEB)
  writeFileSync(join(dir, 'idle.cjs'), IDLE)
  const ext = net.createServer((s) => {
    s.on('error', () => {})
    let buf = ''
    s.on('data', (d) => {
      buf += String(d)
      let i
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i)
        buf = buf.slice(i + 1)
        s.write(`pong ${line.slice(5)} ext\n`)
      }
    })
  })
  await new Promise<void>((r) => ext.listen(0, '127.0.0.1', r))
  const extAddress = `127.0.0.1:${(ext.address() as AddressInfo).port}`
  const file = join(dir, 'app.yaml')
  writeFileSync(
    file,
    `apiVersion: chaoscope.dev/v1alpha1
kind: App
metadata: {name: faults}
spec:
  services:
    - name: client
      command: [node, idle.cjs]
      port: 7000
      labels: {role: client}
      readinessProbe: {tcpSocket: {}, periodSeconds: 1}
      terminationGracePeriodSeconds: 1
      dependencies: [echo, web, ext]
    - name: echo
      command: [node, echo.cjs]
      port: 7001
      replicas: 2
      labels: {role: server}
      readinessProbe: {tcpSocket: {}, periodSeconds: 1}
      terminationGracePeriodSeconds: 1
    - name: web
      command: [node, web.cjs]
      port: 8080
      protocol: http
      replicas: 2
      labels: {role: server}
      readinessProbe: {httpGet: {path: /}, periodSeconds: 1}
      terminationGracePeriodSeconds: 1
      dependencies: [echo]
    - name: ext
      external: "${extAddress}"
${extra.services ? `${extra.services.replace(/\n*$/, '')}\n` : ''}`,
  )
  const app = loadApp(file)
  if ('issues' in app) throw new Error(JSON.stringify(app.issues))
  const server = await startRuntimeServer(app.resource, file, { hostPorts: 'ephemeral', faultDir: join(dir, 'pods'), supervisor: { backoff: { baseMs: 100, capMs: 500, ...(extra.backoffResetMs !== undefined ? { resetMs: extra.backoffResetMs } : {}) } } })
  try {
    await server.runtime.waitReady(30_000)
  } catch (e) {
    await server.close()
    ext.close()
    rmSync(dir, { recursive: true, force: true })
    throw e
  }
  return {
    server,
    rt: server.runtime,
    client: new InProcessRuntimeClient(server.runtime),
    freshClient: () => new HttpRuntimeClient(server.state.url, server.state.token),
    extAddress,
    async close() {
      await server.close()
      await new Promise((r) => ext.close(r))
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

let uidSeq = 0

/** A FaultContext for a new experiment (a fresh uid each call). */
export function testContext(runtime: RuntimeClient, annotations: Record<string, string> = {}, name = 'exp'): FaultContext {
  const uid = `uid${process.pid}x${++uidSeq}x${Math.random().toString(36).slice(2, 8)}`
  return { runtime, experiment: { uid, kind: 'Test', namespace: 'default', name, annotations }, now: () => Date.now() }
}

/** The ready pods of a service, by name. */
export function podsOf(app: FaultApp, service: string): RuntimePod[] {
  return app.rt.pods().filter((p) => p.service === service && p.ready)
}

/** `127.0.0.1:<port>` of a pod's egress sidecar toward `dep` (the address the pod itself is given). */
export async function egress(app: FaultApp, pod: string, dep: string): Promise<number> {
  const s = (await app.rt.stats()).find((x) => x.name === `${pod}>${dep}`)
  if (!s) throw new Error(`no egress sidecar ${pod}>${dep}`)
  return s.port
}

/** A line-oriented TCP client for the echo servers: `ping()` measures one round trip. */
export class LineClient {
  private buf = ''
  lines: string[] = []
  private waiters: (() => void)[] = []
  closed = false
  private n = 0
  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d) => {
      this.buf += String(d)
      let i
      while ((i = this.buf.indexOf('\n')) >= 0) {
        this.lines.push(this.buf.slice(0, i))
        this.buf = this.buf.slice(i + 1)
      }
      for (const w of this.waiters.splice(0)) w()
    })
    socket.on('error', () => {})
    socket.on('close', () => {
      this.closed = true
      for (const w of this.waiters.splice(0)) w()
    })
  }

  static connect(port: number): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1', noDelay: true })
      s.once('connect', () => resolve(new LineClient(s)))
      s.once('error', reject)
    })
  }

  /** Waits until a line matching `re` arrived (removing it), or the timeout passed (undefined). */
  async waitLine(re: RegExp, timeoutMs: number): Promise<string | undefined> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const i = this.lines.findIndex((l) => re.test(l))
      if (i >= 0) return this.lines.splice(i, 1)[0]
      const left = deadline - Date.now()
      if (left <= 0 || this.closed) return undefined
      await new Promise<void>((r) => {
        const t = setTimeout(r, left)
        this.waiters.push(() => {
          clearTimeout(t)
          r()
        })
      })
    }
  }

  /** One "ping N" → "pong N <who>" round trip: its time in ms and who answered, or undefined after timeoutMs. */
  async ping(timeoutMs = 3000): Promise<{ ms: number; who: string } | undefined> {
    const n = ++this.n
    const t0 = performance.now()
    this.socket.write(`ping ${n}\n`)
    const line = await this.waitLine(new RegExp(`^pong ${n} `), timeoutMs)
    if (line === undefined) return undefined
    return { ms: performance.now() - t0, who: line.split(' ')[2]! }
  }

  close(): void {
    this.socket.destroy()
  }
}

/** Opens a connection through `port`, runs fn, always closes. */
export async function withLine<T>(port: number, fn: (c: LineClient) => Promise<T>): Promise<T> {
  const c = await LineClient.connect(port)
  try {
    return await fn(c)
  } finally {
    c.close()
  }
}

/** Median round trip over `n` fresh connections (each a new connection, so the balancer's choice varies). */
export async function medianPing(port: number, n = 5): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < n; i++) {
    await withLine(port, async (c) => {
      const r = await c.ping()
      times.push(r ? r.ms : Infinity)
    })
  }
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)]!
}

/** One HTTP GET through a sidecar port on a fresh connection: status, headers and body. */
export async function httpGet(port: number, path = '/', headers: Record<string, string> = {}, timeoutMs = 3000): Promise<{ status: number; body: string; ms: number; headers: Headers } | { error: string; ms: number }> {
  const t0 = performance.now()
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { connection: 'close', ...headers }, signal: AbortSignal.timeout(timeoutMs) })
    const body = await res.text()
    return { status: res.status, body, ms: performance.now() - t0, headers: res.headers }
  } catch (e) {
    return { error: (e as Error).message, ms: performance.now() - t0 }
  }
}

/** The effects the runtime still holds for this experiment (sidecar faults, pods held down...). */
export async function ownedFaults(runtime: RuntimeClient, uid: string) {
  return runtime.effects({ owner: uid })
}

/** The validated, defaulted spec of one Chaos Mesh object written in YAML (throws on any issue). */
export function specOf<S>(yaml: string): S {
  const r = validateText(yaml)
  if (r.issues.length > 0 || r.resources.length !== 1) throw new Error(`bad test spec: ${JSON.stringify(r.issues)}`)
  return r.resources[0]!.spec as S
}
