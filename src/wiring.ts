/**
 * @module wiring: a controller with its API on 127.0.0.1: on its own listener (`chaoscope server`), or mounted
 * on the runtime's (`chaoscope up`). Writes $CHAOSCOPE_HOME/controller.json so that the CLI finds it.
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
import type { ControllerApi } from './api/types.js'

/** A controller as the servers run it: the API's view plus its lifecycle. */
export interface ControllerHandle extends ControllerApi {
  start(): unknown
  stop(): unknown
  /** The controller's Prometheus registry. */
  metrics?: { text(): Promise<string> }
}

export interface ControllerServer {
  state: ControllerState
  controller: ControllerHandle
  /** Stops the controller (without recovering anything), the listener, and removes controller.json. Idempotent. */
  close(): Promise<void>
}

export interface ControllerServerOptions {
  controller: ControllerHandle
  runtime: RuntimeClient
  /** The SQLite file, for controller.json. */
  db: string
  /** Port on 127.0.0.1 (0: any free port). */
  port?: number
  host?: string
  /** Do not write controller.json (tests running several). */
  stateless?: boolean
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

/** `chaoscope server`: the controller and /api/v1 on their own listener. */
export async function startControllerServer(opts: ControllerServerOptions): Promise<ControllerServer> {
  if (!opts.stateless) refuseSecond()
  const host = opts.host ?? '127.0.0.1'
  const closing = new AbortController()
  await opts.controller.start()
  const app = apiApp({ controller: opts.controller, runtime: opts.runtime, signal: closing.signal, ...(opts.controller.metrics ? { metrics: () => opts.controller.metrics!.text() } : {}) })
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: host, port: opts.port ?? 0 }, () => resolve(s))
    s.once('error', reject)
  }).catch(async (cause: unknown) => {
    await opts.controller.stop()
    throw new ChaosError('API_LISTEN_FAILED', `the controller API cannot listen on ${host}:${opts.port ?? 0}: ${(cause as Error).message}`, { cause })
  })
  const addr = server.address()
  const port = typeof addr === 'object' && addr ? addr.port : 0
  const state: ControllerState = { pid: process.pid, url: `http://${host}:${port}`, db: opts.db, startedAt: new Date().toISOString() }
  if (!opts.stateless) writeControllerState(state)
  let done: Promise<void> | undefined
  return {
    state,
    controller: opts.controller,
    close() {
      done ??= (async () => {
        closing.abort() // the API's validators and watch streams first, so that nothing reaches a stopped controller
        await opts.controller.stop()
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

/** `chaoscope up`: the controller's /api/v1 (and its metrics) served by the runtime's own listener. */
export async function mountController(server: RuntimeServer, opts: Omit<ControllerServerOptions, 'port' | 'host'>): Promise<ControllerServer> {
  if (!opts.stateless) refuseSecond()
  const closing = new AbortController()
  await opts.controller.start()
  const app = apiApp({ controller: opts.controller, runtime: opts.runtime, signal: closing.signal })
  const state: ControllerState = { pid: process.pid, url: server.state.url, db: opts.db, startedAt: new Date().toISOString() }
  let done: Promise<void> | undefined
  const close = () => {
    done ??= (async () => {
      closing.abort()
      await opts.controller.stop()
      if (!opts.stateless) clearControllerState(process.pid)
    })()
    return done
  }
  server.mount({
    prefix: '/api/',
    fetch: (req, env) => app.fetch(req, env),
    ...(opts.controller.metrics ? { metrics: () => opts.controller.metrics!.text() } : {}),
    close,
  })
  if (!opts.stateless) writeControllerState(state)
  return { state, controller: opts.controller, close }
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
}

/** The controller's options that `up` and `server` share. */
function controllerOptions(opts: LocalControllerOptions): { retention: RetentionOptions; log?: Logger; backoff?: { baseMs: number; capMs: number }; allowExec?: boolean } {
  return { retention: { ...DEFAULT_RETENTION, ...opts.retention }, ...(opts.log ? { log: opts.log } : {}), ...(opts.backoff ? { backoff: opts.backoff } : {}), ...(opts.allowExec ? { allowExec: true } : {}) }
}

/** `chaoscope up`: a controller on the in-process runtime, its API on the runtime's listener. */
export async function startUpController(server: RuntimeServer, opts: LocalControllerOptions = {}): Promise<ControllerServer> {
  const db = opts.db ?? defaultDbPath()
  const runtime = new InProcessRuntimeClient(server.runtime)
  if (!opts.stateless) refuseSecond()
  const controller = Controller.open({ dbPath: db, runtime, ...controllerOptions(opts) })
  return mountController(server, { controller, runtime, db, ...(opts.stateless ? { stateless: true } : {}) })
}

/** `chaoscope server`: a controller on a runtime reached over HTTP (default: the one runtime.json names). */
export async function startServer(opts: LocalControllerOptions & { runtimeUrl?: string; port?: number }): Promise<ControllerServer & { runtimeUrl: string }> {
  const runtimeUrl = opts.runtimeUrl ?? readState()?.url
  if (!runtimeUrl) {
    throw new ChaosError('RUNTIME_NOT_RUNNING', `no local runtime is running (state directory ${stateDir()}) and no --runtime URL was given`, { hint: 'start one with `chaoscope up -f app.yaml`, or pass --runtime http://127.0.0.1:PORT' })
  }
  if (!opts.stateless) refuseSecond()
  const db = opts.db ?? defaultDbPath()
  const runtime = new HttpRuntimeClient(runtimeUrl.replace(/\/+$/, ''))
  const controller = Controller.open({ dbPath: db, runtime, ...controllerOptions(opts) })
  const server = await startControllerServer({ controller, runtime, db, ...(opts.port !== undefined ? { port: opts.port } : {}), ...(opts.stateless ? { stateless: true } : {}) })
  return { ...server, runtimeUrl }
}
