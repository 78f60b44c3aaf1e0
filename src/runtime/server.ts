/**
 * @module runtime/server: a LocalRuntime with its control API on 127.0.0.1: what `up` runs. Where it is (the state
 * file the CLI reads) is the wiring's business (src/wiring.ts), not the daemon's.
 */
import { serve } from '@hono/node-server'
import type { ServerType } from '@hono/node-server'
import { ChaosError } from '../errors.js'
import type { AppResource } from './app.js'
import { controlApi } from './control-api.js'
import { LocalRuntime } from './local-runtime.js'
import type { LocalRuntimeOptions } from './local-runtime.js'
import type { PodEvent } from './process/types.js'
import type { RuntimeState } from '../store/state-files.js'
import { newToken } from '../http-auth.js'
import { hostPort, localUrl } from '../http-security.js'
import type { SecurityOptions } from '../http-security.js'
import type { AuditEntry } from '../http-auth.js'

export interface RuntimeServerOptions {
  /** Control API port (0: any free port). */
  controlPort?: number
  /** The address it listens on (default 127.0.0.1; `up --listen`). */
  host?: string
  /**
   * 'token' (the default): every call carries the token made at start (in `state.token`); 'none' (`--auth none`,
   * which the wiring allows on loopback only): no token.
   */
  auth?: 'token' | 'none'
  /** More Host names and CORS origins the API accepts (src/http-security.ts). */
  allowedHosts?: string[]
  corsOrigins?: string[]
  /** One line per pod change, for the foreground output. */
  log?: (line: string) => void
  hostPorts?: LocalRuntimeOptions['hostPorts']
  supervisor?: LocalRuntimeOptions['supervisor']
  faultDir?: LocalRuntimeOptions['faultDir']
}

/** More routes served beside the control API (the controller's /api/v1 and the dashboard in `up`); it never depends on the engine. */
export interface Mounted {
  /**
   * Whether it answers a request for `path` (the controller's: /api/..., / and /assets/...). The runtime's own
   * paths (/healthz, /runtime/v1/..., /metrics) are never handed to it.
   */
  serves(path: string): boolean
  /** `env` is what @hono/node-server passes (`{incoming, outgoing}`), handed on as it is. */
  fetch(req: Request, env?: unknown): Response | Promise<Response>
  /** Prometheus text appended to the runtime's own at /metrics. */
  metrics?(): string | Promise<string>
  /** Where the runtime's own mutating calls are audited (the controller's log). */
  audit?(e: AuditEntry): void
  /** Whether this Authorization header may read /metrics too (the controller's tokens with read). */
  readsMetrics?(authorization: string | undefined): boolean
  /** Called first by close(), before the runtime stops. */
  close(): Promise<void>
}

export interface RuntimeServer {
  runtime: LocalRuntime
  /** `state.token` is the control API's token (absent with --auth none). */
  state: RuntimeState
  /** What the listener checks, for what is mounted on it (the controller's API keeps the same Host and Origin rules). */
  access: { auth: 'token' | 'none'; http: SecurityOptions }
  /** Each service with a hostPort: where outside callers reach it, and whether it speaks http. */
  hostPorts(): [service: string, address: string, protocol: 'tcp' | 'http'][]
  onShutdownRequest(fn: () => void): void
  /** Serves more routes on the same listener (the controller API). */
  mount(m: Mounted): void
  /** Closes what was mounted, stops pods, sidecars and the API. Idempotent. */
  close(): Promise<void>
}

/** The control API's paths: what it answers whatever is mounted. */
const OWN_PATHS = /^\/(healthz|metrics|runtime\/v1(\/.*)?)$/

export async function startRuntimeServer(app: AppResource, appFile: string, opts: RuntimeServerOptions = {}): Promise<RuntimeServer> {
  const spec = app.spec
  const runtime = await LocalRuntime.start(spec, {
    appFile,
    namespace: app.metadata.namespace,
    ...(opts.hostPorts ? { hostPorts: opts.hostPorts } : {}),
    ...(opts.supervisor ? { supervisor: opts.supervisor } : {}),
    ...(opts.faultDir ? { faultDir: opts.faultDir } : {}),
  })
  if (opts.log) {
    const log = opts.log
    const last = new Map<string, string>()
    runtime.supervisor.on('pod', (e: PodEvent) => {
      const p = e.pod
      const line = `pod ${p.name}  ${e.type === 'DELETED' ? 'deleted' : `${p.reason ?? p.phase}${p.ready ? ' ready' : ''}${p.restartCount ? ` restarts=${p.restartCount}` : ''}`}`
      if (last.get(p.name) === line) return
      last.set(p.name, line)
      log(line)
    })
  }
  let shutdownRequested: (() => void) | undefined
  const host = opts.host ?? '127.0.0.1'
  const port0 = opts.controlPort ?? 0
  const token = opts.auth === 'none' ? undefined : newToken()
  const mounted: Mounted[] = []
  const http = { listen: [hostPort(host, port0)], ...(opts.allowedHosts ? { allowedHosts: opts.allowedHosts } : {}), ...(opts.corsOrigins ? { corsOrigins: opts.corsOrigins } : {}) }
  const audit = (e: AuditEntry) => {
    for (const m of mounted) m.audit?.(e)
  }
  const readsMetrics = (h: string | undefined) => mounted.some((m) => m.readsMetrics?.(h) === true)
  const api = controlApi(runtime, { onShutdown: () => shutdownRequested?.(), security: { token, http, audit, readsMetrics } })
  const fetch = async (req: Request, env?: unknown): Promise<Response> => {
    const path = new URL(req.url).pathname
    const m = OWN_PATHS.test(path) ? undefined : mounted.find((x) => x.serves(path))
    if (m) return m.fetch(req, env)
    const res = await api.fetch(req, env as Parameters<typeof api.fetch>[1])
    if (path !== '/metrics' || !res.ok) return res
    const extra = await Promise.all(mounted.map((x) => x.metrics?.() ?? ''))
    return new Response(`${await res.text()}${extra.join('')}`, { status: 200, headers: res.headers })
  }
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch, hostname: host, port: port0 }, () => resolve(s))
    s.once('error', reject)
  }).catch(async (cause: unknown) => {
    await runtime.stop()
    throw new ChaosError('API_LISTEN_FAILED', `the control API cannot listen on ${host}:${port0}: ${(cause as Error).message}`, { cause })
  })
  const addr = server.address()
  const port = typeof addr === 'object' && addr ? addr.port : 0
  const state: RuntimeState = { pid: process.pid, url: localUrl(host, port), appFile, app: app.metadata.name, startedAt: new Date().toISOString(), ...(token ? { token } : {}) }
  // the Host rules need the port the kernel gave (listen on :0)
  http.listen[0] = hostPort(host, port)
  let closing: Promise<void> | undefined
  return {
    runtime,
    state,
    access: { auth: token ? 'token' : 'none', http },
    hostPorts: () => (spec.services ?? []).filter((s) => s.hostPort !== undefined).map((s) => [s.name, runtime.hostPortAddress(s.name)!, s.protocol ?? 'tcp'] as [string, string, 'tcp' | 'http']),
    onShutdownRequest(fn) {
      shutdownRequested = fn
    },
    mount(m) {
      mounted.push(m)
    },
    close() {
      closing ??= (async () => {
        for (const m of mounted.splice(0)) await m.close().catch((e: unknown) => console.error('chaoscope: closing a mounted API failed', e))
        await runtime.stop()
        await new Promise<void>((r) => server.close(() => r()))
      })()
      return closing
    },
  }
}
