/**
 * @module demo/lib/testing: test helpers for the demo apps: start an app's services in-process as its App file wires
 * them, and put a controllable gate (pass, delay, drop, fail) on any edge.
 */
import { createServer, request } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import { validatePaths } from '../../src/index.js'
import { envName } from './client.js'
import type { DemoService, ServiceFactory } from './service.js'

interface AppService { name: string; env?: Record<string, string>; dependencies?: string[] }

/** The services of an App file, validated (throws with the issues when it does not validate). */
export async function readApp(file: string): Promise<AppService[]> {
  const result = await validatePaths([file])
  if (result.issues.length > 0) throw new Error(`${file} does not validate:\n${result.issues.map((i) => JSON.stringify(i)).join('\n')}`)
  const app = result.resources.find((r) => r.kind === 'App')
  if (!app) throw new Error(`${file} holds no App`)
  return (app.spec as { services: AppService[] }).services
}

export interface StartedApp {
  services: Map<string, DemoService>
  /** The base URL of a service (its own listener, as a hostPort would reach it). */
  url(name: string): string
  /** Every log line the services wrote. */
  logs: string[]
  close(): Promise<void>
}

export interface StartOptions {
  /** Extra env per service name (wins over the App file's env). */
  env?: Record<string, Record<string, string>>
  /** Replace the URL one service uses for one dependency: `{ 'checkout->payment': gate.url }`. */
  edges?: Record<string, string>
}

/**
 * Starts every service of the App file in this process on port 0 and hands each the `<DEP>_URL` of its
 * dependencies, as the runtime would (minus the sidecars). Always `close()` it, e.g. in afterEach.
 */
export async function startApp(file: string, factories: Record<string, ServiceFactory>, opts: StartOptions = {}): Promise<StartedApp> {
  const specs = await readApp(file)
  const logs: string[] = []
  const services = new Map<string, DemoService>()
  const envs = new Map<string, Record<string, string>>()
  const close = async (): Promise<void> => { await Promise.all([...services.values()].map((s) => s.close(200))) }
  try {
    for (const spec of specs) {
      const factory = factories[spec.name]
      if (!factory) throw new Error(`no factory for service "${spec.name}"`)
      const env: Record<string, string> = { ...(spec.env ?? {}), ...(opts.env?.[spec.name] ?? {}) }
      envs.set(spec.name, env)
      const svc = factory({ env, log: (line) => logs.push(line) })
      services.set(spec.name, svc)
      await svc.listen(0)
    }
  } catch (err) {
    await close()
    throw err
  }
  for (const spec of specs) {
    const env = envs.get(spec.name)!
    for (const dep of spec.dependencies ?? []) env[`${envName(dep)}_URL`] = opts.edges?.[`${spec.name}->${dep}`] ?? services.get(dep)!.url
  }
  return {
    services,
    logs,
    url: (name) => {
      const svc = services.get(name)
      if (!svc) throw new Error(`no service "${name}"`)
      return svc.url
    },
    close,
  }
}

export type GateMode =
  | { kind: 'pass' }
  /** Holds each request this long before passing it on. */
  | { kind: 'delay'; ms: number }
  /** Drops each connection without an answer. */
  | { kind: 'drop' }
  /** Answers every request with this status. */
  | { kind: 'status'; status: number }

export interface Gate {
  url: string
  set(mode: GateMode): void
  close(): Promise<void>
}

/** A forwarding HTTP server in front of `target` whose behaviour the test switches, like a fault on one edge. */
export async function startGate(target: string, mode: GateMode = { kind: 'pass' }): Promise<Gate> {
  let current = mode
  const timers = new Set<NodeJS.Timeout>()
  const forward = (req: IncomingMessage, res: ServerResponse): void => {
    const up = request(target + (req.url ?? '/'), { method: req.method, headers: req.headers }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers)
      upRes.pipe(res)
    })
    up.on('error', () => { if (!res.headersSent) res.writeHead(502); res.end() })
    req.pipe(up)
  }
  const server = createServer((req, res) => {
    const m = current
    if (m.kind === 'drop') { req.socket.destroy(); return }
    if (m.kind === 'status') { res.writeHead(m.status, { 'content-type': 'application/json' }); res.end(JSON.stringify({ error: `gate answered ${m.status}` })); return }
    if (m.kind === 'delay') {
      const t = setTimeout(() => { timers.delete(t); if (!req.socket.destroyed) forward(req, res) }, m.ms)
      timers.add(t)
      return
    }
    forward(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    set: (next) => { current = next },
    close: () => new Promise<void>((resolve) => {
      for (const t of timers) clearTimeout(t)
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}

/** Ports below 1024 that fetch() refuses to call ("bad port", the Fetch standard's list): no refusal to see there. */
const FETCH_BLOCKED = new Set([1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995])

/**
 * A loopback URL where nothing listens (connections are refused). A port below 1024 that refuses now: such ports
 * are never handed out to a listen on port 0, so no server started later in the run (a service of the same app)
 * can take it, as one could take a freed ephemeral port. Never one that fetch() itself refuses.
 */
export async function deadUrl(): Promise<string> {
  const refuses = (port: number) =>
    new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port })
      s.once('connect', () => { s.destroy(); resolve(false) })
      s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'))
    })
  const start = 1 + Math.floor(Math.random() * 1000)
  for (let i = 0; i < 1023; i++) {
    const port = ((start + i - 1) % 1023) + 1
    if (!FETCH_BLOCKED.has(port) && (await refuses(port))) return `http://127.0.0.1:${port}`
  }
  throw new Error('no port below 1024 refuses connections on 127.0.0.1')
}

/** Minimal cookie jar for one browser session. */
export class CookieJar {
  private readonly cookies = new Map<string, string>()
  /** Stores the cookies a response sets. */
  take(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';')
      const i = pair!.indexOf('=')
      if (i > 0) this.cookies.set(pair!.slice(0, i), pair!.slice(i + 1))
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
  }
}
