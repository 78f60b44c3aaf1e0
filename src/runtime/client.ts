/**
 * @module runtime/client: what the controller needs from a local runtime, in-process or over its control API.
 * Both implementations behave the same; errors are ChaosErrors with the runtime's codes.
 */
import { ChaosError } from '../errors.js'
import { requestJson } from '../http-client.js'
import { requireRuntime } from '../store/state-files.js'
import type { FaultTarget, LocalRuntime, RuntimePod } from './local-runtime.js'
import type { FaultStats } from './proxy/proxy.js'
import type { FaultSpec } from './proxy/toxic.js'

/** A fault present on a sidecar, with the target it was added for. */
export interface ActiveFault extends FaultStats {
  proxy: string
  target: FaultTarget
  /** When the runtime removes it by itself (ms since the epoch). */
  expiresAt?: number
}

export interface FaultOptions {
  /** Ms since the epoch at which the runtime removes the fault (or releases the pod) by itself. */
  expiresAt?: number
}

export interface RuntimeClient {
  /** Every pod, externals included. */
  pods(): Promise<RuntimePod[]>
  /**
   * Adds a fault to the sidecar the target names. PROXY_FAULT_EXISTS when one with the same id is there.
   * With `expiresAt` (ms since the epoch) the runtime removes the fault at that time by itself.
   */
  addFault(target: FaultTarget, fault: FaultSpec, opts?: FaultOptions): Promise<void>
  /** Resolves false when there was no such fault (or no such pod any more): already recovered. */
  removeFault(target: FaultTarget, id: string): Promise<boolean>
  /** Every fault on every sidecar. */
  faults(): Promise<ActiveFault[]>
  /** Signals the pod's main process (container-kill); false when nothing was running. */
  killContainer(pod: string, signal?: NodeJS.Signals): Promise<boolean>
  /** Deletes the pod (SIGTERM, grace, SIGKILL); its service creates a replacement (pod-kill). */
  deletePod(pod: string, gracePeriodMs?: number): Promise<void>
  /** Holds the pod down until released (pod-failure), or until `expiresAt` by the runtime itself. Idempotent. */
  failPod(pod: string, opts?: FaultOptions): Promise<void>
  /** Releases a pod held by failPod. Idempotent; a pod that no longer exists counts as released. */
  unfailPod(pod: string): Promise<void>
}

/** The runtime in this process. */
export class InProcessRuntimeClient implements RuntimeClient {
  constructor(private readonly rt: LocalRuntime) {}
  async pods() {
    return this.rt.pods()
  }
  addFault(target: FaultTarget, fault: FaultSpec, opts: FaultOptions = {}) {
    return this.rt.addFault(target, fault, opts)
  }
  async removeFault(target: FaultTarget, id: string) {
    try {
      return await this.rt.removeFault(target, id)
    } catch (e) {
      if (e instanceof ChaosError && (e.code === 'RUNTIME_UNKNOWN_POD' || e.code === 'RUNTIME_UNKNOWN_EDGE' || e.code === 'PROXY_NOT_FOUND')) return false
      throw e
    }
  }
  async faults() {
    return this.rt.activeFaults()
  }
  async killContainer(pod: string, signal: NodeJS.Signals = 'SIGKILL') {
    this.rt.pod(pod)
    return this.rt.supervisor.killPod(pod, signal)
  }
  async deletePod(pod: string, gracePeriodMs?: number) {
    this.rt.pod(pod)
    await this.rt.supervisor.stopPod(pod, { replace: true, ...(gracePeriodMs !== undefined ? { gracePeriodMs } : {}) })
  }
  async failPod(pod: string, opts: FaultOptions = {}) {
    this.rt.failPod(pod, opts)
  }
  async unfailPod(pod: string) {
    if (!this.rt.supervisor.get(pod)) return
    this.rt.supervisor.unfailPod(pod)
  }
}

/** A runtime in another process, through its control API (`chaoscope server` against `chaoscope up`, and the CLI). */
export class HttpRuntimeClient implements RuntimeClient {
  constructor(readonly url: string) {}

  /** The runtime named by $CHAOSCOPE_HOME/runtime.json; RUNTIME_NOT_RUNNING when there is none. */
  static fromState(): HttpRuntimeClient {
    return new HttpRuntimeClient(requireRuntime().url)
  }

  private call<T>(method: string, path: string, body?: unknown): Promise<T> {
    return requestJson<T>(`${this.url}${path}`, {
      method,
      body,
      unreachable: (cause) => new ChaosError('RUNTIME_NOT_RUNNING', `the local runtime does not answer at ${this.url}`, { cause, retryable: true, hint: 'it may be starting or stopping; try again, or start it with `chaoscope up -f app.yaml`' }),
    })
  }

  /** Pods matching a label selector and namespace (both optional). */
  async listPods(query: { labelSelector?: string; namespace?: string } = {}): Promise<RuntimePod[]> {
    const q = new URLSearchParams()
    if (query.labelSelector) q.set('labelSelector', query.labelSelector)
    if (query.namespace) q.set('namespace', query.namespace)
    return (await this.call<{ items: RuntimePod[] }>('GET', `/runtime/v1/pods?${q}`)).items
  }

  /** Asks the runtime to stop every pod and exit; resolves once it accepted. */
  async shutdown(): Promise<void> {
    await this.call('POST', '/runtime/v1/shutdown')
  }

  async pods() {
    return (await this.call<{ items: RuntimePod[] }>('GET', '/runtime/v1/pods')).items
  }
  async addFault(target: FaultTarget, fault: FaultSpec, opts: FaultOptions = {}) {
    await this.call('POST', '/runtime/v1/faults', { ...target, fault, ...opts })
  }
  async removeFault(target: FaultTarget, id: string) {
    const q = new URLSearchParams({ pod: target.pod, ...(target.edge ? { edge: target.edge } : {}) })
    try {
      return (await this.call<{ removed: boolean }>('DELETE', `/runtime/v1/faults/${encodeURIComponent(id)}?${q}`)).removed
    } catch (e) {
      if (e instanceof ChaosError && (e.code === 'RUNTIME_UNKNOWN_POD' || e.code === 'RUNTIME_UNKNOWN_EDGE' || e.code === 'PROXY_NOT_FOUND')) return false
      throw e
    }
  }
  async faults() {
    return (await this.call<{ items: ActiveFault[] }>('GET', '/runtime/v1/faults')).items
  }
  async killContainer(pod: string, signal: NodeJS.Signals = 'SIGKILL') {
    return (await this.call<{ killed: boolean }>('POST', `/runtime/v1/pods/${encodeURIComponent(pod)}/kill`, { signal })).killed
  }
  async deletePod(pod: string, gracePeriodMs?: number) {
    await this.call('POST', `/runtime/v1/pods/${encodeURIComponent(pod)}/delete`, gracePeriodMs !== undefined ? { gracePeriodMs } : {})
  }
  async failPod(pod: string, opts: FaultOptions = {}) {
    await this.call('POST', `/runtime/v1/pods/${encodeURIComponent(pod)}/fail`, opts)
  }
  async unfailPod(pod: string) {
    try {
      await this.call('POST', `/runtime/v1/pods/${encodeURIComponent(pod)}/unfail`, {})
    } catch (e) {
      if (e instanceof ChaosError && e.code === 'RUNTIME_UNKNOWN_POD') return
      throw e
    }
  }
}
