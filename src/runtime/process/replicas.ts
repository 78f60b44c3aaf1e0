/**
 * @module runtime/process/replicas: the pods of each service, as a ReplicaSet keeps them: it creates a service's
 * pods with their identity (`<service>-<5 chars>` name, uid, labels, a loopback port of their own), scales the set up
 * and down, replaces a deleted pod when asked, and forgets a pod's name and port once it is gone. How one pod runs is
 * the pod runner's business.
 */
import { randomInt, randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { ChaosError } from '../../errors.js'
import type { ServiceConfig as ServiceSpec } from '../app.js'
import { PodRunner } from './pod-runner.js'
import type { RunnerContext, RunnerService, StartOptions, StopOptions } from './pod-runner.js'
import type { Pod } from './types.js'

interface ServiceRecord extends RunnerService {
  replicas: number
}

const NAME_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789'

/** A loopback port free now: `port`, or one the kernel picks (0). Rejects when it is taken. */
function freePort(port = 0): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
      const addr = srv.address()
      const got = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => resolvePort(got))
    })
  })
}

/**
 * Where a pod's port is drawn from: below the kernel's range for the local ports of outgoing connections
 * (net.ipv4.ip_local_port_range, 32768-60999 by default). A pod keeps its port across restarts; drawn from that
 * range, an outgoing connection could take it while the pod restarts, and the pod would crash-loop on it. Nor
 * from 30000-32767, Kubernetes' NodePort range, where hostPorts are usually declared.
 */
export function podPortRange(rangeFile = '/proc/sys/net/ipv4/ip_local_port_range'): [low: number, high: number] | undefined {
  let low = 32768
  try {
    const [a] = readFileSync(rangeFile, 'utf8').trim().split(/\s+/).map(Number)
    if (a !== undefined && Number.isInteger(a) && a > 0) low = a
  } catch {
    // not Linux: the default range's bound
  }
  // and below 30000: 30000-32767 is Kubernetes' NodePort range, where App files put their fixed hostPorts
  const high = Math.min(low - 1, 29_999)
  return high > 12_000 ? [10_000, high] : undefined
}

export interface ReplicaOptions {
  /** Namespace of services that name none. */
  namespace: string
  /** Parent of the services' data directories: `<dataDir>/<namespace>/<service>`. */
  dataDir: string
  /** What every runner shares, except `forget` (the replica sets provide it). */
  runner: Omit<RunnerContext, 'forget'>
}

/** The services and their pods. Pods are keyed by name, unique among the pods that exist. */
export class ReplicaSets {
  private readonly services = new Map<string, ServiceRecord>()
  private readonly pods = new Map<string, PodRunner>()
  private readonly ports = new Set<number>()
  private readonly ctx: RunnerContext

  constructor(private readonly opts: ReplicaOptions) {
    this.ctx = { ...opts.runner, forget: (r) => this.forget(r) }
  }

  /** Every pod's runner, in creation order. */
  runners(): PodRunner[] {
    return [...this.pods.values()]
  }

  /** The runner of a pod; RUNTIME_UNKNOWN_POD when no pod has that name. */
  runner(name: string): PodRunner {
    const r = this.pods.get(name)
    if (!r) throw new ChaosError('RUNTIME_UNKNOWN_POD', `no pod named "${name}"`, { hint: 'list pods with `chaoscope get pods`' })
    return r
  }

  find(name: string): PodRunner | undefined {
    return this.pods.get(name)
  }

  /** Adds a service and creates its `replicas` pods; resolves once each exists and was launched. */
  async start(spec: ServiceSpec, opts: StartOptions): Promise<Pod[]> {
    if (!spec.command || spec.command.length === 0) {
      throw new ChaosError('RUNTIME_NOT_RUNNABLE', `service "${spec.name}" has no command to run`, { hint: spec.external !== undefined ? 'an external service is fronted by sidecars, not run as pods' : 'give the service a command' })
    }
    if (this.services.has(spec.name)) throw new ChaosError('RUNTIME_SERVICE_EXISTS', `service "${spec.name}" is already running`, { hint: 'use scale to change its number of pods' })
    const namespace = spec.namespace ?? this.opts.namespace
    const svc: ServiceRecord = { spec, opts, namespace, replicas: spec.replicas ?? 1, dataDir: join(this.opts.dataDir, namespace, spec.name) }
    this.services.set(spec.name, svc)
    return Promise.all(Array.from({ length: svc.replicas }, () => this.createPod(svc)))
  }

  /** Sets the number of pods: creates new ones, or stops (gracefully) unready, then youngest, ones. */
  async scale(service: string, replicas: number): Promise<void> {
    const svc = this.services.get(service)
    if (!svc) throw new ChaosError('RUNTIME_UNKNOWN_SERVICE', `no service named "${service}" is running`, { hint: `running services: ${[...this.services.keys()].join(', ') || 'none'}` })
    svc.replicas = replicas
    const current = this.runners().filter((r) => r.service === svc && !r.deleted)
    if (current.length > replicas) {
      const victims = current
        .sort((a, b) => Number(a.pod.ready) - Number(b.pod.ready) || b.pod.startTime.localeCompare(a.pod.startTime))
        .slice(0, current.length - replicas)
      await Promise.all(victims.map((r) => r.stop()))
    } else if (current.length < replicas) {
      await Promise.all(Array.from({ length: replicas - current.length }, () => this.createPod(svc)))
    }
  }

  /** Stops every pod of a service and forgets the service. */
  async stopService(service: string): Promise<void> {
    const svc = this.services.get(service)
    if (!svc) throw new ChaosError('RUNTIME_UNKNOWN_SERVICE', `no service named "${service}" is running`)
    svc.replicas = 0
    await Promise.all(this.runners().filter((r) => r.service === svc).map((r) => r.stop()))
    this.services.delete(service)
  }

  /** Deletes a pod; with `replace`, a new pod of its service takes its place (unless the service is gone). */
  async stopPod(name: string, opts: StopOptions = {}): Promise<void> {
    const r = this.runner(name)
    await r.stop(opts)
    const svc = r.service as ServiceRecord
    if (opts.replace && !this.opts.runner.stopping() && this.services.get(svc.spec.name) === svc) await this.createPod(svc)
  }

  /** Stops every pod (in parallel, no replacements) and forgets every service. */
  async stopAll(opts: StopOptions = {}): Promise<void> {
    await Promise.all(this.runners().map((r) => r.stop({ ...opts, replace: false })))
    this.services.clear()
  }

  private async createPod(svc: ServiceRecord): Promise<Pod> {
    const port = await this.pickPort()
    if (this.opts.runner.stopping()) {
      this.ports.delete(port)
      throw new ChaosError('INTERNAL', 'the pod supervisor was stopped; create a new one')
    }
    const spec = svc.spec
    const name = this.newName(spec.name)
    const pod: Pod = {
      namespace: svc.namespace,
      name,
      uid: randomUUID(),
      service: spec.name,
      labels: { app: spec.name, 'app.kubernetes.io/component': spec.name, ...(spec.labels ?? {}) },
      annotations: { ...(spec.annotations ?? {}) },
      phase: 'Pending',
      ready: false,
      restartCount: 0,
      startTime: new Date().toISOString(),
      reason: 'ContainerCreating',
      port,
    }
    const runner = new PodRunner(this.ctx, svc, pod)
    this.pods.set(name, runner)
    await runner.create()
    return runner.snapshot()
  }

  private forget(r: PodRunner): void {
    if (this.pods.get(r.pod.name) !== r) return
    this.pods.delete(r.pod.name)
    this.ports.delete(r.drawnPort)
  }

  private newName(service: string): string {
    for (;;) {
      let suffix = ''
      for (let i = 0; i < 5; i++) suffix += NAME_CHARS[randomInt(NAME_CHARS.length)]
      const name = `${service}-${suffix}`
      if (!this.pods.has(name)) return name
    }
  }

  private async pickPort(): Promise<number> {
    const hint = 'free ports on 127.0.0.1 (stop other runtimes or programs), or widen net.ipv4.ip_local_port_range'
    // first a free port drawn outside the range of outgoing connections' ports, then any the kernel gives
    const range = podPortRange()
    for (let i = 0; range && i < 50; i++) {
      const p = randomInt(range[0], range[1] + 1)
      if (this.ports.has(p)) continue
      if (await freePort(p).then(() => true, () => false)) {
        this.ports.add(p)
        return p
      }
    }
    for (let i = 0; i < 20; i++) {
      let p: number
      try {
        p = await freePort()
      } catch (cause) {
        throw new ChaosError('RUNTIME_NO_FREE_PORT', `no loopback port for a new pod: ${(cause as Error).message}`, { cause, hint })
      }
      if (!this.ports.has(p)) {
        this.ports.add(p)
        return p
      }
    }
    throw new ChaosError('RUNTIME_NO_FREE_PORT', 'no loopback port for a new pod: 20 ports offered by the kernel were all taken by pods already', { hint })
  }
}
