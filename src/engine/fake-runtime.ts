/**
 * @module engine/fake-runtime: an in-memory RuntimeClient for reconciler-step tests: pods given by the test,
 * faults kept in a map, every call logged. Not shipped behaviour; the lifecycle tests use the real runtime.
 */
import { ChaosError } from '../errors.js'
import type { ActiveFault, RuntimeClient } from '../runtime/client.js'
import type { FaultTarget, RuntimePod } from '../runtime/local-runtime.js'
import type { FaultSpec } from '../runtime/proxy/toxic.js'

export function fakePod(name: string, labels: Record<string, string>, more: Partial<RuntimePod> = {}): RuntimePod {
  return {
    namespace: 'default', name, uid: `uid-${name}`, service: labels.app ?? name, labels, annotations: {}, phase: 'Running', ready: true,
    restartCount: 0, startTime: '2024-05-01T09:00:00.000Z', port: 10_000, address: '127.0.0.1:20000', ...more,
  }
}

export class FakeRuntime implements RuntimeClient {
  readonly faultMap = new Map<string, ActiveFault>()
  readonly calls: string[] = []
  readonly failed = new Set<string>()
  /** Makes the next calls of that method throw (a runtime that does not answer). */
  broken = new Set<string>()

  constructor(public podList: RuntimePod[]) {}

  private check(method: string): void {
    this.calls.push(method)
    if (this.broken.has(method)) throw new ChaosError('RUNTIME_NOT_RUNNING', `fake runtime: ${method} is broken`, { retryable: true })
  }

  private pod(name: string): RuntimePod {
    const p = this.podList.find((x) => x.name === name)
    if (!p) throw new ChaosError('RUNTIME_UNKNOWN_POD', `no pod named "${name}"`)
    return p
  }

  private key(t: FaultTarget, id: string): string {
    return `${t.pod}|${t.edge ?? ''}|${id}`
  }

  async pods() {
    this.check('pods')
    return this.podList.map((p) => ({ ...p, ...(this.failed.has(p.name) ? { reason: 'PodFailure' as const, phase: 'Pending' as const, ready: false } : {}) }))
  }
  async addFault(target: FaultTarget, fault: FaultSpec) {
    this.check('addFault')
    this.pod(target.pod)
    const k = this.key(target, fault.id)
    if (this.faultMap.has(k)) throw new ChaosError('PROXY_FAULT_EXISTS', `fault ${fault.id} exists`)
    this.faultMap.set(k, { spec: fault, addedAt: Date.now(), touched: {} as ActiveFault['touched'], proxy: target.edge ? `${target.pod}>${target.edge}` : target.pod, target })
  }
  async removeFault(target: FaultTarget, id: string) {
    this.check('removeFault')
    return this.faultMap.delete(this.key(target, id))
  }
  async faults() {
    this.check('faults')
    return [...this.faultMap.values()]
  }
  async killContainer(pod: string) {
    this.check('killContainer')
    this.pod(pod)
    return true
  }
  async deletePod(pod: string) {
    this.check('deletePod')
    this.pod(pod)
  }
  async failPod(pod: string) {
    this.check('failPod')
    this.pod(pod)
    this.failed.add(pod)
  }
  async unfailPod(pod: string) {
    this.check('unfailPod')
    this.failed.delete(pod)
  }
}
