/**
 * @module runtime/client: what the controller, the API and the CLI need from a local runtime: its pods, and one
 * generic interface for every effect (apply, remove by id, list). Both implementations behave the same; errors
 * are ChaosErrors with the runtime's codes. No fault-specific method: a new fault kind is a new effect type, not
 * a new method here.
 */
import { ChaosError } from '../errors.js'
import { query, request, requestJson } from '../http-client.js'
import type { HttpAnswer } from '../http-client.js'
import { requireRuntime } from '../store/state-files.js'
import type { ApplyOutcome, EffectSpec, Exemplar, HeldEffect, RuntimePod } from './types.js'

export type { ApplyOutcome, EffectOwner, EffectSpec, EffectTarget, Exemplar, HeldEffect, RuntimePod } from './types.js'

export interface RuntimeClient {
  /** Every pod, externals included. */
  pods(): Promise<RuntimePod[]>
  /**
   * Applies an effect. Idempotent: the same effect again is the one held (its expiry moved to the new one);
   * a different effect under a held id is EFFECT_EXISTS. One-shot effects return what they did.
   */
  apply(effect: EffectSpec): Promise<ApplyOutcome>
  /** Removes a held effect; false when none is held under that id (already removed, expired, or its pod gone). */
  remove(id: string): Promise<boolean>
  /**
   * Every effect the runtime holds (optionally one experiment's), with what each observed so far; with `ended`,
   * also those that ended lately (expired, removed, their pod gone), each with its last observation.
   */
  effects(filter?: EffectFilter): Promise<HeldEffect[]>
}

/** What a client reads of one sidecar (`GET /runtime/v1/sidecars` answers more). */
export interface SidecarCounters {
  name: string
  mode: string
  labels: Record<string, string>
  /** By status class; `error`: no response. */
  requests: Record<'1xx' | '2xx' | '3xx' | '4xx' | '5xx' | 'error', number>
  latency: { boundsMs: readonly number[]; counts: readonly number[]; sumMs: number; count: number }
  exemplars: Exemplar[]
}

export interface EffectFilter {
  /** Only the effects of this experiment (owner.experiment). */
  owner?: string
  /** Also the effects that ended in the last 15 minutes. */
  ended?: boolean
}

/** The part of a LocalRuntime the in-process client uses (kept structural, so clients need not import the daemon). */
export interface EffectRuntime {
  pods(): RuntimePod[]
  applyEffect(input: unknown): Promise<ApplyOutcome>
  removeEffect(id: string): Promise<boolean>
  effects(filter?: EffectFilter): Promise<HeldEffect[]>
  stats(opts?: { since?: number }): Promise<SidecarCounters[]>
}

/** The runtime in this process (`chaoscope up`). Effects are copied on the way in, as over the wire. */
export class InProcessRuntimeClient implements RuntimeClient {
  constructor(private readonly rt: EffectRuntime) {}
  async pods() {
    return this.rt.pods()
  }
  apply(effect: EffectSpec) {
    return this.rt.applyEffect(structuredClone(effect))
  }
  remove(id: string) {
    return this.rt.removeEffect(id)
  }
  effects(filter: EffectFilter = {}) {
    return this.rt.effects(filter)
  }
  /** What {@link HttpRuntimeClient.sidecars} reads, from the data plane directly. */
  sidecars(opts: { since?: number } = {}) {
    return this.rt.stats(opts)
  }
}

/** A runtime in another process, through its control API (`chaoscope server` against `chaoscope up`, and the CLI). */
export class HttpRuntimeClient implements RuntimeClient {
  /** `token`: the runtime's own (runtime.json's `token`); none for a runtime started with --auth none. */
  constructor(
    readonly url: string,
    private readonly token?: string,
  ) {}

  /** The runtime named by $CHAOSCOPE_HOME/runtime.json, with its token; RUNTIME_NOT_RUNNING when there is none. */
  static fromState(): HttpRuntimeClient {
    const s = requireRuntime()
    return new HttpRuntimeClient(s.url, s.token)
  }

  private get headers(): { headers?: Record<string, string> } {
    return this.token ? { headers: { authorization: `Bearer ${this.token}` } } : {}
  }

  private readonly unreachable = (cause: unknown) =>
    new ChaosError('RUNTIME_NOT_RUNNING', `the local runtime does not answer at ${this.url}`, { cause, retryable: true, hint: 'it may be starting or stopping; try again, or start it with `chaoscope up -f app.yaml`' })

  private call<T>(method: string, path: string, body?: unknown, timeoutMs?: number): Promise<T> {
    return requestJson<T>(`${this.url}${path}`, { method, body, ...this.headers, unreachable: this.unreachable, ...(timeoutMs !== undefined ? { timeoutMs } : {}) })
  }

  async pods() {
    return this.listPods()
  }

  /** Pods matching a label selector and namespace (both optional). */
  async listPods(q: { labelSelector?: string; namespace?: string } = {}): Promise<RuntimePod[]> {
    return (await this.call<{ items: RuntimePod[] }>('GET', `/runtime/v1/pods${query(q)}`)).items
  }

  apply(effect: EffectSpec) {
    // a pod-kill answers once the pod is gone: after its grace period at most
    const grace = (effect.body as { gracePeriodMs?: unknown } | undefined)?.gracePeriodMs
    return this.call<ApplyOutcome>('POST', '/runtime/v1/effects', effect, 30_000 + (typeof grace === 'number' && grace > 0 ? grace : 0))
  }

  async remove(id: string) {
    return (await this.call<{ removed: boolean }>('DELETE', `/runtime/v1/effects/${encodeURIComponent(id)}`)).removed
  }

  async effects(filter: EffectFilter = {}) {
    return (await this.call<{ items: HeldEffect[] }>('GET', `/runtime/v1/effects${query({ owner: filter.owner, ended: filter.ended || undefined })}`)).items
  }

  /** A pod's log lines (`follow`: the response streams until the signal aborts). */
  logs(pod: string, opts: { tail?: number; follow?: boolean; signal?: AbortSignal } = {}): Promise<HttpAnswer> {
    return request(`${this.url}/runtime/v1/pods/${encodeURIComponent(pod)}/logs${query({ tail: opts.tail, follow: opts.follow || undefined })}`, { ...this.headers, unreachable: this.unreachable, ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.follow ? { timeoutMs: 2 ** 31 - 1 } : {}) })
  }

  /**
   * Every sidecar's counters now (`GET /runtime/v1/sidecars`): labels, requests by status class, latency histogram,
   * and while the runtime traces its exemplars: with `since` (epoch ms), only those of requests that ended after it.
   */
  async sidecars(opts: { since?: number } = {}): Promise<SidecarCounters[]> {
    return (await this.call<{ items: SidecarCounters[] }>('GET', `/runtime/v1/sidecars${query({ since: opts.since })}`)).items
  }

  /** Asks the runtime to stop every pod and exit; resolves once it accepted. */
  async shutdown(): Promise<void> {
    await this.call('POST', '/runtime/v1/shutdown')
  }
}
