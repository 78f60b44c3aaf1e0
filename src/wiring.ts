/**
 * @module wiring: a controller with its API (127.0.0.1 unless --listen says otherwise): on its own listener
 * (`chaoscope server`), or mounted on the runtime's (`chaoscope up`). Writes $CHAOSCOPE_HOME/controller.json so
 * that the CLI finds it, and the local admin token, $CHAOSCOPE_HOME/token (0600), that the CLI sends.
 *
 *   start: controller.start() (recover, remove orphan faults, reconcile all) ─▶ listen ─▶ controller.json
 *   close: controller.stop() (no recovery: stopping is not deleting) ─▶ close watch streams ─▶ unlisten ─▶ rm controller.json
 */
import { serve } from '@hono/node-server'
import type { ServerType } from '@hono/node-server'
import { join } from 'node:path'
import { Controller } from './engine/controller.js'
import { DEFAULT_RETENTION } from './engine/retention.js'
import type { RetentionOptions } from './engine/retention.js'
import type { Logger } from './engine/controller.js'
import { ChaosError } from './errors.js'
import { HttpRuntimeClient, InProcessRuntimeClient } from './runtime/client.js'
import type { RuntimeClient } from './runtime/client.js'
import type { AppResource } from './runtime/app.js'
import type { RuntimeServer, RuntimeServerOptions } from './runtime/server.js'
import { clearControllerState, clearState, pidAlive, readControllerState, readState, stateDir, writeControllerState, writeState } from './store/state-files.js'
import type { ControllerState } from './store/state-files.js'
import { apiApp } from './api/app.js'
import { isDashboardPath } from './api/dashboard.js'
import type { TokenStore } from './api/app.js'
import { allow, Authenticator, hashToken, newToken, tokenState } from './api/auth.js'
import type { ControllerApi } from './api/types.js'
import type { NamespacePolicy } from './engine/namespace-policy.js'
import { hostPort, isLoopbackHost, localUrl } from './http-security.js'
import { ADMIN_TOKEN_FILE, ensureHome, readSecret, writeSecret } from './store/state-files.js'
import { Store } from './store/store.js'
import type { TokenRow } from './store/store.js'
import { kubeController } from './kube-controller.js'
import { kubeBackend } from './run-target.js'
import type { TargetChoice } from './run-target.js'
import type { ReportStore } from './api/reports.js'
import { startRecorder } from './recorder.js'
import { startControllerTracing } from './engine/lifecycle-tracing.js'
import type { SidecarCounters } from './recorder.js'

/** A controller as the servers run it: the API's view plus its lifecycle. */
export interface ControllerHandle extends ControllerApi {
  start(): unknown
  stop(): unknown
  /** The controller's Prometheus registry. */
  metrics?: { text(): Promise<string> }
  /** Where its tokens, audit log, recorded signals and runs are kept. */
  store: TokenStore & ReportStore & Pick<Store, 'appendSignals' | 'appendExemplars' | 'open'> & { replaceToken(t: Omit<TokenRow, 'revokedAt' | 'lastUsedAt'>): void }
}

/** How an API is reached and who may call it: `--listen`, `--auth`, `--allowed-hosts`, `--cors-origin`. */
export interface AccessOptions {
  host?: string
  /** 'token' (default): every call carries a token; 'none': nobody needs one (loopback only). */
  auth?: 'token' | 'none'
  allowedHosts?: string[]
  corsOrigins?: string[]
}

/** AUTH_NONE_NOT_LOOPBACK unless `--auth none` is asked for on a loopback address only. */
export function checkAccess(a: AccessOptions): void {
  const host = a.host ?? '127.0.0.1'
  if (a.auth === 'none' && a.allowedHosts?.includes('*')) {
    throw new ChaosError('AUTH_NONE_NOT_LOOPBACK', '--auth none with --allowed-hosts \'*\' would let any web page drive the API through DNS rebinding: with no token, the Host check is what keeps them out', { hint: 'name the hosts you use in --allowed-hosts, or keep tokens on' })
  }
  if (a.auth === 'none' && !isLoopbackHost(host)) {
    throw new ChaosError('AUTH_NONE_NOT_LOOPBACK', `--auth none was asked for on ${host}, which other machines can reach: anyone there could kill processes and cut traffic here`, { hint: 'listen on 127.0.0.1 (the default) to run without tokens, or leave --auth at its default (tokens)' })
  }
}

/** The name of the admin token `up` and `server` keep in $CHAOSCOPE_HOME/token for the CLI. */
export const LOCAL_ADMIN = 'local-admin'

/**
 * The local admin token: the one in $CHAOSCOPE_HOME/token when this store knows it (and it is live), else a new
 * one, replacing the store's `local-admin` and the file. `stateless` (tests): a new one, no file.
 */
export function localAdminToken(store: ControllerHandle['store'], stateless = false): string {
  const existing = stateless ? undefined : readSecret(ADMIN_TOKEN_FILE)
  if (existing) {
    const row = store.tokenByHash(hashToken(existing))
    if (row && row.name === LOCAL_ADMIN && row.role === 'admin' && row.namespaces.length === 0 && tokenState(row, Date.now()) === 'active') return existing
  }
  const token = newToken()
  store.replaceToken({ name: LOCAL_ADMIN, hash: hashToken(token), role: 'admin', namespaces: [], createdAt: new Date().toISOString(), createdBy: 'chaoscope' })
  if (!stateless) writeSecret(ADMIN_TOKEN_FILE, token)
  return token
}

export interface ControllerServer {
  state: ControllerState
  controller: ControllerHandle
  /** The local admin token (undefined with --auth none); also in $CHAOSCOPE_HOME/token unless stateless. */
  adminToken: string | undefined
  /** Stops the controller (without recovering anything), the listener, and removes controller.json. Idempotent. */
  close(): Promise<void>
}

export interface ControllerServerOptions extends AccessOptions {
  controller: ControllerHandle
  /** The runtime the API lists pods from; none for a server whose target is a Kubernetes cluster. */
  runtime?: RuntimeClient
  /** The SQLite file, for controller.json. */
  db: string
  /** Port (0: any free port), on `host` (default 127.0.0.1). */
  port?: number
  /** Do not write controller.json (tests running several). */
  stateless?: boolean
  /** The sidecars' counters, which the recorder keeps each second for reports (none: nothing is recorded). */
  sidecars?: () => Promise<readonly SidecarCounters[]>
  /** Called once the controller has stopped (the controller's tracing flushes there). */
  onStopped?: () => Promise<void>
}

/** Records the sidecars' signals into the controller's store until the returned stop is called. */
function recordSignals(opts: ControllerServerOptions): () => Promise<void> {
  if (!opts.sidecars) return async () => {}
  const store = opts.controller.store
  const rec = startRecorder({
    read: opts.sidecars,
    // once the controller has closed its store, a late tick writes nothing
    sink: { appendSignals: (r) => store.open && store.appendSignals(r), appendExemplars: (r) => store.open && store.appendExemplars(r) },
    onError: (e) => console.error(`chaoscope: recording the sidecars' signals failed: ${(e as Error).message}`),
  })
  return () => rec.stop()
}

function refuseSecond(): void {
  const s = readControllerState()
  if (s && s.pid !== process.pid && pidAlive(s.pid)) {
    throw new ChaosError('API_CONTROLLER_ALREADY_RUNNING', `a controller (pid ${s.pid}) is already running at ${s.url}`, { hint: 'stop it, or set CHAOSCOPE_HOME to run another' })
  }
}

/**
 * `chaoscope up`'s runtime: a local runtime with its control API, and runtime.json saying where it is (unless
 * `stateless`: tests running several). Refused when another runtime of this state directory is alive.
 */
export async function startRuntimeServer(app: AppResource, appFile: string, opts: RuntimeServerOptions & { stateless?: boolean } = {}): Promise<RuntimeServer> {
  const { stateless, ...rest } = opts
  checkAccess(opts)
  if (!stateless) {
    const existing = readState()
    if (existing && existing.pid !== process.pid && pidAlive(existing.pid)) {
      throw new ChaosError('RUNTIME_ALREADY_RUNNING', `a runtime (pid ${existing.pid}, app ${existing.app}) is already running`, { hint: 'stop it with `chaoscope down`, or set CHAOSCOPE_HOME to run another' })
    }
  }
  const server = await (await import('./runtime/server.js')).startRuntimeServer(app, appFile, rest)
  if (stateless) return server
  writeState(server.state)
  const close = server.close.bind(server)
  return {
    ...server,
    close: async () => {
      await close()
      clearState(process.pid)
    },
  }
}

/** `chaoscope server`: the controller, /api/v1 and the dashboard on their own listener. */
export async function startControllerServer(opts: ControllerServerOptions): Promise<ControllerServer> {
  checkAccess(opts)
  if (!opts.stateless) refuseSecond()
  const host = opts.host ?? '127.0.0.1'
  const closing = new AbortController()
  await opts.controller.start()
  const adminToken = opts.auth === 'none' ? undefined : localAdminToken(opts.controller.store, opts.stateless)
  const http = { listen: [hostPort(host, opts.port ?? 0)], ...(opts.allowedHosts ? { allowedHosts: opts.allowedHosts } : {}), ...(opts.corsOrigins ? { corsOrigins: opts.corsOrigins } : {}) }
  const security = { auth: opts.auth ?? 'token', store: opts.controller.store, http } as const
  const store = opts.controller.store
  const app = apiApp({
    controller: opts.controller,
    ...(opts.runtime ? { runtime: opts.runtime } : {}),
    // a runtime in another process reads its pods' logs through its control API; a cluster has no runtime
    ...(opts.runtime instanceof HttpRuntimeClient ? { logs: opts.runtime } : {}),
    signal: closing.signal,
    security,
    reports: store,
    ...(store instanceof Store ? { archive: store } : {}),
    ...(opts.controller.metrics ? { metrics: () => opts.controller.metrics!.text() } : {}),
  })
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: host, port: opts.port ?? 0 }, () => resolve(s))
    s.once('error', reject)
  }).catch(async (cause: unknown) => {
    await opts.controller.stop()
    throw new ChaosError('API_LISTEN_FAILED', `the controller API cannot listen on ${host}:${opts.port ?? 0}: ${(cause as Error).message}`, { cause })
  })
  const addr = server.address()
  const port = typeof addr === 'object' && addr ? addr.port : 0
  http.listen[0] = hostPort(host, port)
  const state: ControllerState = { pid: process.pid, url: localUrl(host, port), db: opts.db, startedAt: new Date().toISOString() }
  if (!opts.stateless) writeControllerState(state)
  const stopRecording = recordSignals(opts)
  let done: Promise<void> | undefined
  return {
    state,
    controller: opts.controller,
    adminToken,
    close() {
      done ??= (async () => {
        closing.abort() // the API's validators and watch streams first, so that nothing reaches a stopped controller
        await stopRecording()
        await opts.controller.stop()
        await opts.onStopped?.()
        await new Promise<void>((r) => {
          server.close(() => r())
          ;(server as { closeAllConnections?: () => void }).closeAllConnections?.()
        })
        if (!opts.stateless) clearControllerState(process.pid)
      })()
      return done
    },
  }
}

/** `chaoscope up`: the controller's /api/v1 (and its metrics) and the dashboard served by the runtime's own listener, with its access rules. */
export async function mountController(server: RuntimeServer, opts: Omit<ControllerServerOptions, 'port' | 'host' | 'auth' | 'allowedHosts' | 'corsOrigins'>): Promise<ControllerServer> {
  if (!opts.stateless) refuseSecond()
  const closing = new AbortController()
  await opts.controller.start()
  const access = server.access
  const adminToken = access.auth === 'none' ? undefined : localAdminToken(opts.controller.store, opts.stateless)
  const security = { auth: access.auth, store: opts.controller.store, http: access.http } as const
  const store = opts.controller.store
  // the pods' logs through the runtime's control API on this very listener, with its own token
  const logs = new HttpRuntimeClient(server.state.url, server.state.token)
  const app = apiApp({ controller: opts.controller, runtime: opts.runtime, logs, signal: closing.signal, security, reports: store, ...(store instanceof Store ? { archive: store } : {}) })
  const metricsAuth = new Authenticator({ mode: 'token', store: opts.controller.store })
  const state: ControllerState = { pid: process.pid, url: server.state.url, db: opts.db, startedAt: new Date().toISOString() }
  const stopRecording = recordSignals(opts)
  let done: Promise<void> | undefined
  const close = () => {
    done ??= (async () => {
      closing.abort()
      await stopRecording()
      await opts.controller.stop()
      await opts.onStopped?.()
      if (!opts.stateless) clearControllerState(process.pid)
    })()
    return done
  }
  server.mount({
    // the controller's API, and the dashboard's page and assets: the runtime's own paths stay the runtime's
    serves: (path) => path.startsWith('/api/') || isDashboardPath(path),
    fetch: (req, env) => app.fetch(req, env),
    // once closed, its store is: the runtime's calls are no longer the controller's to record
    audit: (e) => {
      if (!closing.signal.aborted) opts.controller.store.addAudit(e)
    },
    // /metrics on this listener holds the controller's metrics too: its readers' tokens open it (not namespaced ones)
    readsMetrics: (h) => {
      if (closing.signal.aborted) return false
      try {
        allow(metricsAuth.authenticate(h, 'metrics'), 'read')
        return true
      } catch {
        return false
      }
    },
    ...(opts.controller.metrics ? { metrics: () => opts.controller.metrics!.text() } : {}),
    close,
  })
  if (!opts.stateless) writeControllerState(state)
  return { state, controller: opts.controller, adminToken, close }
}

/** The database `up` and `server` use unless told otherwise: $CHAOSCOPE_HOME/chaoscope.db. */
export function defaultDbPath(): string {
  return join(stateDir(), 'chaoscope.db')
}

export interface LocalControllerOptions {
  /** SQLite file (default $CHAOSCOPE_HOME/chaoscope.db). */
  db?: string
  log?: Logger
  stateless?: boolean
  /** Retry back-off of failed reconciles (tests shorten it). */
  backoff?: { baseMs: number; capMs: number }
  /**
   * What the store keeps of events and finished experiments; each limit left out is {@link DEFAULT_RETENTION}'s,
   * and 0 turns that limit off (`--event-ttl`, `--max-events`, `--archive-ttl`, `--max-archived`).
   */
  retention?: RetentionOptions
  /** Workflow Tasks may run their container's command as a local process (`--allow-exec`). */
  allowExec?: boolean
  /** Namespaces experiments may act in, and those they may not (`--allowed-namespaces`, `--protected-namespaces`). */
  policy?: NamespacePolicy
}

/** The controller's options that `up` and `server` share. */
function controllerOptions(opts: LocalControllerOptions): { retention: RetentionOptions; log?: Logger; backoff?: { baseMs: number; capMs: number }; allowExec?: boolean; policy?: NamespacePolicy } {
  return { retention: { ...DEFAULT_RETENTION, ...opts.retention }, ...(opts.log ? { log: opts.log } : {}), ...(opts.backoff ? { backoff: opts.backoff } : {}), ...(opts.allowExec ? { allowExec: true } : {}), ...(opts.policy ? { policy: opts.policy } : {}) }
}

/** `chaoscope up`: a controller on the in-process runtime, its API on the runtime's listener. */
export async function startUpController(server: RuntimeServer, opts: LocalControllerOptions = {}): Promise<ControllerServer> {
  if (!opts.stateless) ensureHome() // before the database in it is opened: a home others can write is refused first
  const db = opts.db ?? defaultDbPath()
  const runtime = new InProcessRuntimeClient(server.runtime)
  if (!opts.stateless) refuseSecond()
  // the experiments' lifecycle as spans, when the OTEL_* environment asks for traces
  const tracing = await startControllerTracing()
  const controller = Controller.open({ dbPath: db, runtime, tracing, ...controllerOptions(opts) })
  return mountController(server, { controller, runtime, db, sidecars: () => server.runtime.stats(), onStopped: () => tracing.shutdown(), ...(opts.stateless ? { stateless: true } : {}) })
}

/**
 * `chaoscope server`: a controller on a runtime reached over HTTP (default: the one runtime.json names); with
 * `target: kubernetes`, the API over a cluster's Chaos Mesh resources instead (no runtime: the cluster runs the pods).
 */
export async function startServer(opts: LocalControllerOptions & AccessOptions & { runtimeUrl?: string; runtimeToken?: string; port?: number; target?: TargetChoice }): Promise<ControllerServer & { runtimeUrl?: string; cluster?: { server: string; context: string } }> {
  checkAccess(opts)
  const access: AccessOptions = { ...(opts.host ? { host: opts.host } : {}), ...(opts.auth ? { auth: opts.auth } : {}), ...(opts.allowedHosts ? { allowedHosts: opts.allowedHosts } : {}), ...(opts.corsOrigins ? { corsOrigins: opts.corsOrigins } : {}) }
  if (opts.target?.target === 'kubernetes') {
    if (!opts.stateless) {
      ensureHome()
      refuseSecond()
    }
    const db = opts.db ?? defaultDbPath()
    const backend = await kubeBackend(opts.target)
    const controller = kubeController(backend, Store.open(db), opts.policy)
    const server = await startControllerServer({ controller, db, ...access, ...(opts.port !== undefined ? { port: opts.port } : {}), ...(opts.stateless ? { stateless: true } : {}) })
    return { ...server, cluster: { server: backend.conn.server, context: backend.conn.context } }
  }
  const local = readState()
  const runtimeUrl = opts.runtimeUrl ?? local?.url
  if (!runtimeUrl) {
    throw new ChaosError('RUNTIME_NOT_RUNNING', `no local runtime is running (state directory ${stateDir()}) and no --runtime URL was given`, { hint: 'start one with `chaoscope up -f app.yaml`, or pass --runtime http://127.0.0.1:PORT' })
  }
  if (!opts.stateless) {
    ensureHome()
    refuseSecond()
  }
  const db = opts.db ?? defaultDbPath()
  const url = runtimeUrl.replace(/\/+$/, '')
  // the runtime's token: given, or the one runtime.json holds for that runtime
  const runtimeToken = opts.runtimeToken ?? process.env.CHAOSCOPE_RUNTIME_TOKEN ?? (local && local.url === url ? local.token : undefined)
  const runtime = new HttpRuntimeClient(url, runtimeToken)
  const tracing = await startControllerTracing()
  const controller = Controller.open({ dbPath: db, runtime, tracing, ...controllerOptions(opts) })
  const server = await startControllerServer({ controller, runtime, db, sidecars: () => runtime.sidecars(), onStopped: () => tracing.shutdown(), ...access, ...(opts.port !== undefined ? { port: opts.port } : {}), ...(opts.stateless ? { stateless: true } : {}) })
  return { ...server, runtimeUrl }
}
