/** @module runtime/proxy/data-plane: the main thread's handle on the worker thread that owns every sidecar proxy. */

import { Worker } from 'node:worker_threads'
import { ChaosError } from '../../errors.js'
import type { ErrorCode } from '../../errors.js'
import type { FaultStats, ProxyOptions, ProxyStats, StatsOptions } from './proxy.js'
import type { FaultSpec } from './toxic.js'
import { checkFault } from './toxic.js'
import type { Command, ReplyMessage, Results } from './protocol.js'
import { sidecarRegistry } from './metrics.js'
import { workerSpec } from '../../wire/worker-spec.js'

export interface DataPlaneOptions {
  /** A command not answered within this time fails with PROXY_WORKER_FAILED (default 10 s). */
  callTimeoutMs?: number
}

interface Waiter {
  resolve(v: unknown): void
  reject(e: unknown): void
  timer: NodeJS.Timeout
}


/**
 * The data plane: one worker thread owns every proxy, socket and fault, so a busy main thread (API,
 * engine, dashboard) never delays proxied bytes. This class only sends commands and awaits replies.
 *
 * Every method is async and rejects with a ChaosError (PROXY_* codes, or PROXY_WORKER_FAILED when the
 * worker is gone). Commands are applied in the order they are sent. `removeProxy` and `removeFault` are
 * idempotent and resolve false when there was nothing to remove. A command that changes faults, upstreams or
 * proxies resolves once every proxy's port follows its partitions (Proxy.syncPartition): a partition that cuts
 * every new connection to a sidecar has its port refuse them by then, and a removed one has it accept again.
 *
 * @example
 * const dp = await DataPlane.start()
 * const { port } = await dp.createProxy({ name: 'web>api', mode: 'http', upstreams: ['127.0.0.1:8080'] })
 * await dp.addFault('web>api', { id: 'slow', type: 'latency', direction: 'upstream', latencyMs: 100 })
 * console.log(await dp.stats())
 * await dp.close()
 */
export class DataPlane {
  private seq = 0
  private readonly waiting = new Map<number, Waiter>()
  private failure: ChaosError | undefined
  private closing = false

  private constructor(
    private readonly worker: Worker,
    private readonly timeoutMs: number,
  ) {
    worker.on('message', (m: ReplyMessage) => {
      const w = this.waiting.get(m.id)
      if (!w) return
      this.waiting.delete(m.id)
      clearTimeout(w.timer)
      if (m.ok) w.resolve(m.value)
      else w.reject(new ChaosError(m.error.code as ErrorCode, m.error.message, m.error.hint ? { hint: m.error.hint } : {}))
    })
    const die = (why: string, cause?: unknown): void => {
      this.failure ??= new ChaosError('PROXY_WORKER_FAILED', `the data plane worker ${why}`, { cause })
      for (const w of this.waiting.values()) {
        clearTimeout(w.timer)
        w.reject(this.failure)
      }
      this.waiting.clear()
    }
    worker.on('error', (e) => die(`crashed: ${e.message}`, e))
    worker.on('exit', (code) => die(this.closing ? 'was closed' : `exited with code ${code}`))
  }

  /** Starts the worker thread; resolves once it answers. */
  static async start(opts: DataPlaneOptions = {}): Promise<DataPlane> {
    const { url, execArgv } = workerSpec(import.meta.url, './worker')
    const worker = new Worker(url, { execArgv, name: 'chaoscope-data-plane' })
    const dp = new DataPlane(worker, opts.callTimeoutMs ?? 10_000)
    await dp.call({ op: 'stats' })
    return dp
  }

  private call<O extends Command['op']>(cmd: Extract<Command, { op: O }>): Promise<Results[O]> {
    if (this.failure) return Promise.reject(this.failure)
    const id = ++this.seq
    return new Promise<Results[O]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id)
        reject(new ChaosError('PROXY_WORKER_FAILED', `the data plane worker did not answer ${cmd.op} within ${this.timeoutMs} ms`))
      }, this.timeoutMs)
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject, timer })
      this.worker.postMessage({ id, cmd })
    })
  }

  /** Creates and starts a proxy; resolves with the bound port. PROXY_EXISTS, PROXY_LISTEN_FAILED, PROXY_INVALID_UPSTREAM. */
  createProxy(opts: ProxyOptions): Promise<Results['createProxy']> {
    return this.call({ op: 'createProxy', opts })
  }

  /** Stops a proxy and resets its connections (`close`: closes them, a FIN, as Toxiproxy does). Resolves false when there was none. */
  removeProxy(name: string, how?: 'reset' | 'close'): Promise<boolean> {
    return this.call({ op: 'removeProxy', name, ...(how ? { how } : {}) })
  }

  /**
   * Stops a proxy listening (its connections closed with a FIN, its faults kept) or starts it again, on `listen`
   * when given; resolves with where it listens. PROXY_NOT_FOUND, PROXY_LISTEN_FAILED (it stays stopped).
   */
  setListening(name: string, listening: boolean, listen?: { host?: string; port?: number }): Promise<Results['setListening']> {
    return this.call({ op: 'setListening', name, listening, ...(listen ? { listen } : {}) })
  }

  /** New connections use the new list at once; existing ones stay. */
  async setUpstreams(name: string, upstreams: string[]): Promise<void> {
    await this.call({ op: 'setUpstreams', name, upstreams })
  }

  /** Adds a fault; it acts on new and existing connections within milliseconds. Checked here first. */
  async addFault(name: string, fault: FaultSpec): Promise<void> {
    checkFault(fault, fault.type === 'http' ? 'http' : 'tcp')
    await this.call({ op: 'addFault', name, fault })
  }

  /** Removes a fault; bytes it held are passed on. Resolves false when the proxy had no such fault. */
  removeFault(name: string, id: string): Promise<boolean> {
    return this.call({ op: 'removeFault', name, id })
  }

  listFaults(name: string): Promise<FaultSpec[]> {
    return this.call({ op: 'listFaults', name })
  }

  /**
   * A snapshot of every proxy: connections, bytes, requests by status class, latency, faults and what they touched,
   * and (tracing on) its exemplars, those since `opts.since` when given.
   */
  stats(opts: StatsOptions = {}): Promise<ProxyStats[]> {
    return this.call({ op: 'stats', ...(opts.since !== undefined ? { since: opts.since } : {}) })
  }

  /** The faults of every proxy that has some, with what they touched: what `stats()` says of faults, without the rest. */
  faultStats(): Promise<{ name: string; faults: FaultStats[] }[]> {
    return this.call({ op: 'faultStats' })
  }

  private metrics: ReturnType<typeof sidecarRegistry> | undefined

  /** Prometheus text of the sidecar metrics, from one snapshot pulled from the worker now. */
  collect(): Promise<string> {
    // no exemplar ends after Infinity: the metrics do not read them, so they are not copied across
    this.metrics ??= sidecarRegistry(() => this.stats({ since: Infinity }))
    return this.metrics.collect()
  }

  /** Stops the worker and with it every proxy and connection; queued sidecar spans are exported first. Idempotent. */
  async close(): Promise<void> {
    if (this.closing) return
    this.closing = true
    await this.call({ op: 'shutdownTracing' }).catch(() => {})
    await this.worker.terminate()
  }
}
