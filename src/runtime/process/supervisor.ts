/**
 * @module runtime/process/supervisor: runs an App's services as pods (real child processes with Kubernetes-like
 * identity), restarts them by policy with the kubelet's back-off, probes readiness, keeps their logs, applies
 * cgroup limits, and makes sure none outlives the runtime.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { randomInt, randomUUID } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { createServer } from 'node:net'
import { constants as osConstants } from 'node:os'
import { isAbsolute, join, resolve } from 'node:path'
import { ChaosError } from '../../errors.js'
import type { ServiceConfig as ServiceSpec } from '../app.js'
import { Backoff, KUBELET_BACKOFF } from './backoff.js'
import type { BackoffOptions } from './backoff.js'
import { PodCgroup, detectCgroups, removeParents } from './cgroup.js'
import type { CgroupSupport } from './cgroup.js'
import { buildPodEnv, expandArgv } from './expand.js'
import { JOIN_FAILED_EXIT, JOIN_FAILED_MARK, checkWorkingDir, findOnPath, launchPlan, resolveExecutable } from './launch.js'
import { LogBuffer } from './log-buffer.js'
import type { LogBufferOptions } from './log-buffer.js'
import { ReadinessProber } from './probe.js'
import type { ProbeHandler, ReadinessSettings } from './probe.js'
import { matchesSelector } from './selector.js'
import type { LabelSelector } from './selector.js'
import type { ExitReason, Pod, PodEvent, PodExit, PodLimits } from './types.js'
import { Watchdog } from './watchdog.js'

export interface SupervisorOptions {
  /** Where pods run when the service sets no workingDir, and what a relative workingDir is relative to: the App file's directory. Default: the current directory. */
  workingDir?: string
  /** Namespace of services that name none (default `default`). */
  namespace?: string
  /** Restart back-off (default: the kubelet's 10 s doubling to 5 min, reset after 10 min). */
  backoff?: Partial<BackoffOptions>
  /** Length in ms of one "second" of the spec's probe timings and grace periods (default 1000; tests use less). */
  secondMs?: number
  /** Per-pod log bounds (default 10 000 lines, 5 MiB). */
  logs?: LogBufferOptions
  /** Variables every pod inherits before its own (default: this process's environment). */
  baseEnv?: Record<string, string | undefined>
  /** `off` never creates cgroups; a {@link CgroupSupport} replaces detection (tests). Default: detect. */
  cgroups?: 'auto' | 'off' | CgroupSupport
  /** Start the orphan-reaping watchdog process (default true). */
  watchdog?: boolean
  /** Spawn pods through `setpriv --pdeathsig KILL` when setpriv is installed (default true). */
  parentDeathSignal?: boolean
}

export interface StartOptions {
  /** Extra variables for every pod of the service (they win over the service env). */
  env?: Record<string, string>
  /**
   * Extra variables for one pod, asked once when the pod is created (before its first start), e.g. the addresses of
   * its egress sidecars. A rejection leaves that pod in `CreateContainerConfigError`; other pods are unaffected.
   */
  podEnv?: (pod: Pod) => Record<string, string> | Promise<Record<string, string>>
}

export interface StopOptions {
  /** Overrides the service's terminationGracePeriodSeconds. 0 kills at once. */
  gracePeriodMs?: number
  /** Create a new pod for the service once this one is gone (what a ReplicaSet does after a pod is deleted). */
  replace?: boolean
}

interface ServiceRecord {
  spec: ServiceSpec
  opts: StartOptions
  namespace: string
  replicas: number
}

interface Deferred {
  promise: Promise<void>
  resolve: () => void
}

interface PodRecord {
  pod: Pod
  svc: ServiceRecord
  env?: Record<string, string>
  logs: LogBuffer
  backoff: Backoff
  cgroup?: PodCgroup
  child?: ChildProcess
  prober?: ReadinessProber
  restartTimer?: NodeJS.Timeout
  failTimer?: NodeJS.Timeout
  killTimer?: NodeJS.Timeout
  /** Held down by pod-failure chaos. */
  failed: boolean
  /** Will not run again (restart policy said so). */
  terminal: boolean
  everStarted: boolean
  deleting?: Deferred
}

const NAME_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789'

function deferred(): Deferred {
  let resolveFn!: () => void
  const promise = new Promise<void>((r) => (resolveFn = r))
  return { promise, resolve: resolveFn }
}

function copyPod(p: Pod): Pod {
  return {
    ...p,
    labels: { ...p.labels },
    annotations: { ...p.annotations },
    ...(p.lastExit ? { lastExit: { ...p.lastExit } } : {}),
    ...(p.limits ? { limits: { ...p.limits } } : {}),
    ...(p.cgroups ? { cgroups: [...p.cgroups] } : {}),
  }
}

/** A free loopback port (the kernel picks it; the caller keeps track of what it already handed out). */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => resolvePort(port))
    })
  })
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)}s` : `${ms}ms`
}

/**
 * Runs services as pods on this machine. Pod state changes are reported as `pod` events ({@link PodEvent}, like a
 * Kubernetes watch); `list` and `get` return snapshots.
 *
 * Lifecycle of one pod:
 *
 *   ADDED (Pending, ContainerCreating) ──spawn──▶ Running ──probe ok──▶ ready
 *        ▲                                          │ exit
 *        │ restart (immediate, then back-off)       ▼
 *        └── CrashLoopBackOff ◀── policy says restart ── Succeeded / Failed (policy says no)
 *   stopPod: Terminating ──SIGTERM, grace, SIGKILL──▶ DELETED
 *
 * Every pod runs in its own process group (and cgroup, where usable); when its main process exits, whatever it left
 * in that group or cgroup is killed, as a container's processes die with it. Failures are per pod: they show in the
 * pod's status and never reject `start` or `scale`.
 *
 * Must be constructed and used on the main thread (the parent-death signal is tied to the thread that forks).
 *
 * @example
 * const sup = new PodSupervisor({ workingDir: dirname(appFile) })
 * sup.on('pod', (e) => console.log(e.type, e.pod.name, e.pod.phase, e.pod.ready))
 * await sup.start(service, { podEnv: (pod) => ({ CART_ADDR: `127.0.0.1:${egressPortFor(pod, 'cart')}` }) })
 * await sup.stopAll()
 */
export class PodSupervisor extends EventEmitter<{ pod: [PodEvent] }> {
  readonly workingDir: string
  /** What the kernel allows for limits on this machine (detected once). */
  readonly cgroupSupport: CgroupSupport
  private readonly opts: SupervisorOptions
  private readonly backoffOpts: BackoffOptions
  private readonly secondMs: number
  private readonly setpriv: string | undefined
  private readonly watchdog: Watchdog | undefined
  private readonly services = new Map<string, ServiceRecord>()
  private readonly pods = new Map<string, PodRecord>()
  private readonly ports = new Set<number>()
  private stopped = false
  private readonly onProcessExit = (): void => this.killEverythingNow()

  constructor(opts: SupervisorOptions = {}) {
    super()
    this.opts = opts
    this.workingDir = resolve(opts.workingDir ?? process.cwd())
    const cap = opts.backoff?.capMs ?? KUBELET_BACKOFF.capMs
    this.backoffOpts = {
      baseMs: opts.backoff?.baseMs ?? KUBELET_BACKOFF.baseMs,
      capMs: cap,
      resetMs: opts.backoff?.resetMs ?? (opts.backoff?.capMs !== undefined ? 2 * cap : KUBELET_BACKOFF.resetMs),
    }
    this.secondMs = opts.secondMs ?? 1000
    this.cgroupSupport =
      opts.cgroups === 'off' ? { usable: false, reason: 'cgroups turned off' } : opts.cgroups === undefined || opts.cgroups === 'auto' ? detectCgroups() : opts.cgroups
    this.setpriv = opts.parentDeathSignal === false ? undefined : findOnPath('setpriv')
    this.watchdog = opts.watchdog === false ? undefined : new Watchdog()
    process.on('exit', this.onProcessExit)
  }

  /** Resolves once the orphan watchdog runs (true) or could not start (false, see `watchdogProblem`). */
  async watchdogReady(): Promise<boolean> {
    return this.watchdog ? this.watchdog.ready : false
  }

  get watchdogPid(): number | undefined {
    return this.watchdog?.pid
  }

  /**
   * Starts `spec.replicas` pods of a service. Resolves once every pod exists and was launched (not once running or
   * ready: watch `pod` events or use {@link waitFor}). Throws only when the service itself is unusable.
   */
  async start(spec: ServiceSpec, opts: StartOptions = {}): Promise<Pod[]> {
    this.assertRunning()
    if (!spec.command || spec.command.length === 0) {
      throw new ChaosError('RUNTIME_NOT_RUNNABLE', `service "${spec.name}" has no command to run`, { hint: spec.external !== undefined ? 'an external service is fronted by sidecars, not run as pods' : 'give the service a command' })
    }
    if (this.services.has(spec.name)) throw new ChaosError('RUNTIME_SERVICE_EXISTS', `service "${spec.name}" is already running`, { hint: 'use scale to change its number of pods' })
    const svc: ServiceRecord = { spec, opts, namespace: spec.namespace ?? this.opts.namespace ?? 'default', replicas: spec.replicas ?? 1 }
    this.services.set(spec.name, svc)
    return Promise.all(Array.from({ length: svc.replicas }, () => this.createPod(svc)))
  }

  /** Sets the number of pods of a service: creates new ones, or stops (gracefully) unready, then youngest, ones. */
  async scale(service: string, replicas: number): Promise<Pod[]> {
    this.assertRunning()
    const svc = this.services.get(service)
    if (!svc) throw new ChaosError('RUNTIME_UNKNOWN_SERVICE', `no service named "${service}" is running`, { hint: `running services: ${[...this.services.keys()].join(', ') || 'none'}` })
    svc.replicas = replicas
    const current = [...this.pods.values()].filter((r) => r.svc === svc && !r.deleting)
    if (current.length > replicas) {
      const victims = current
        .sort((a, b) => Number(a.pod.ready) - Number(b.pod.ready) || b.pod.startTime.localeCompare(a.pod.startTime))
        .slice(0, current.length - replicas)
      await Promise.all(victims.map((r) => this.stopPod(r.pod.name)))
    } else if (current.length < replicas) {
      await Promise.all(Array.from({ length: replicas - current.length }, () => this.createPod(svc)))
    }
    return this.list().filter((p) => p.service === service)
  }

  /** Stops every pod of a service and forgets the service. */
  async stopService(service: string): Promise<void> {
    const svc = this.services.get(service)
    if (!svc) throw new ChaosError('RUNTIME_UNKNOWN_SERVICE', `no service named "${service}" is running`)
    svc.replicas = 0
    await Promise.all([...this.pods.values()].filter((r) => r.svc === svc).map((r) => this.stopPod(r.pod.name)))
    this.services.delete(service)
  }

  /** Pods (snapshots) matching a label selector, optionally in one namespace; sorted by name. */
  list(selector?: LabelSelector, namespace?: string): Pod[] {
    return [...this.pods.values()]
      .filter((r) => (namespace === undefined || r.pod.namespace === namespace) && matchesSelector(r.pod.labels, selector))
      .map((r) => copyPod(r.pod))
      .sort((a, b) => a.name.localeCompare(b.name))
  }

  get(name: string): Pod | undefined {
    const r = this.pods.get(name)
    return r ? copyPod(r.pod) : undefined
  }

  /** The pod's log buffer (read, tail, follow). Throws RUNTIME_UNKNOWN_POD. */
  logs(name: string): LogBuffer {
    return this.record(name).logs
  }

  /**
   * Resolves with the pod once `predicate` holds (checked now and on every change); rejects after `timeoutMs`
   * (with the pod's last state in the message) or when the pod is deleted first.
   */
  waitFor(name: string, predicate: (pod: Pod) => boolean, timeoutMs = 10_000): Promise<Pod> {
    return new Promise((resolveWait, reject) => {
      const now = this.get(name)
      if (now && predicate(now)) return resolveWait(now)
      if (!now) return reject(new ChaosError('RUNTIME_UNKNOWN_POD', `no pod named "${name}"`))
      let last = now
      const done = (): void => {
        clearTimeout(timer)
        this.off('pod', onPod)
      }
      const onPod = (e: PodEvent): void => {
        if (e.pod.name !== name) return
        last = e.pod
        if (e.type === 'DELETED') {
          done()
          if (predicate(e.pod)) resolveWait(e.pod)
          else reject(new ChaosError('RUNTIME_UNKNOWN_POD', `pod "${name}" was deleted while waiting`))
        } else if (predicate(e.pod)) {
          done()
          resolveWait(e.pod)
        }
      }
      const timer = setTimeout(() => {
        done()
        reject(new Error(`timed out after ${timeoutMs}ms waiting for pod ${name} (phase ${last.phase}, ready ${last.ready}, reason ${last.reason ?? '-'}, last exit ${last.lastExit?.reason ?? '-'})`))
      }, timeoutMs)
      this.on('pod', onPod)
    })
  }

  /**
   * Deletes a pod gracefully: SIGTERM to its process group, SIGKILL after the grace period, then DELETED.
   * Idempotent while in progress (the same promise). Throws RUNTIME_UNKNOWN_POD for a pod that does not exist.
   */
  async stopPod(name: string, opts: StopOptions = {}): Promise<void> {
    const rec = this.record(name)
    if (rec.deleting) return rec.deleting.promise
    rec.deleting = deferred()
    clearTimeout(rec.restartTimer)
    clearTimeout(rec.failTimer)
    rec.prober?.stop()
    rec.pod.ready = false
    rec.pod.reason = 'Terminating'
    rec.pod.message = undefined
    this.emitPod('MODIFIED', rec)
    const child = rec.child
    if (child?.pid !== undefined) {
      const graceMs = opts.gracePeriodMs ?? (rec.svc.spec.terminationGracePeriodSeconds ?? 5) * this.secondMs
      if (graceMs <= 0) this.killGroup(rec, 'SIGKILL')
      else {
        this.killGroup(rec, 'SIGTERM')
        rec.killTimer = setTimeout(() => this.killGroup(rec, 'SIGKILL'), graceMs)
      }
    } else {
      void this.finishDelete(rec)
    }
    await rec.deleting.promise
    if (opts.replace && !this.stopped && this.services.get(rec.svc.spec.name) === rec.svc) await this.createPod(rec.svc)
  }

  /**
   * Sends a signal to the pod's main process (pod-kill / container-kill chaos). What follows is the restart policy's
   * business. Returns false when no container is running (nothing to signal).
   */
  killPod(name: string, signal: NodeJS.Signals = 'SIGKILL'): boolean {
    const rec = this.record(name)
    const child = rec.child
    const pid = child?.pid
    if (!child || pid === undefined || child.exitCode !== null || child.signalCode !== null) return false // not running
    try {
      process.kill(pid, signal)
      return true
    } catch {
      return false
    }
  }

  /**
   * Pod-failure chaos: kills the container and keeps the pod down (not ready, reason PodFailure, no restarts) until
   * {@link unfailPod} or, with `durationMs`, until that time has passed. Idempotent.
   */
  failPod(name: string, opts: { durationMs?: number } = {}): void {
    const rec = this.record(name)
    if (rec.deleting) return
    clearTimeout(rec.failTimer)
    if (opts.durationMs !== undefined) rec.failTimer = setTimeout(() => this.pods.get(name) === rec && this.unfailPod(name), opts.durationMs)
    if (rec.failed) return
    rec.failed = true
    clearTimeout(rec.restartTimer)
    rec.prober?.stop()
    rec.pod.ready = false
    rec.pod.reason = 'PodFailure'
    rec.pod.message = 'held down by pod-failure chaos until released'
    if (rec.child) this.killGroup(rec, 'SIGKILL')
    this.emitPod('MODIFIED', rec)
  }

  /** Releases a pod held by {@link failPod}: it starts again at once (restart count + 1), unless it had already ended for good. */
  unfailPod(name: string): void {
    const rec = this.record(name)
    clearTimeout(rec.failTimer)
    if (!rec.failed) return
    rec.failed = false
    rec.pod.reason = undefined
    rec.pod.message = undefined
    if (rec.deleting) return
    if (rec.terminal || rec.child) {
      this.emitPod('MODIFIED', rec)
      return
    }
    if (rec.everStarted) rec.pod.restartCount++
    this.runContainer(rec)
  }

  /** Stops every pod (gracefully, in parallel), then the watchdog. The supervisor cannot be used afterwards. */
  async stopAll(opts: StopOptions = {}): Promise<void> {
    this.stopped = true
    await Promise.all([...this.pods.keys()].map((n) => this.stopPod(n, { ...opts, replace: false })))
    this.services.clear()
    this.watchdog?.close()
    removeParents(this.cgroupSupport)
    process.off('exit', this.onProcessExit)
  }

  // ---------------------------------------------------------------------------------------------------------------

  private assertRunning(): void {
    if (this.stopped) throw new ChaosError('INTERNAL', 'the pod supervisor was stopped; create a new one')
  }

  private record(name: string): PodRecord {
    const rec = this.pods.get(name)
    if (!rec) throw new ChaosError('RUNTIME_UNKNOWN_POD', `no pod named "${name}"`, { hint: 'list pods with `chaoscope get pods`' })
    return rec
  }

  private emitPod(type: PodEvent['type'], rec: PodRecord): void {
    this.emit('pod', { type, pod: copyPod(rec.pod) })
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
    for (let i = 0; i < 20; i++) {
      const p = await freePort()
      if (!this.ports.has(p)) {
        this.ports.add(p)
        return p
      }
    }
    throw new Error('could not find a free loopback port')
  }

  private async createPod(svc: ServiceRecord): Promise<Pod> {
    const spec = svc.spec
    const port = await this.pickPort()
    if (this.stopped) {
      this.ports.delete(port)
      this.assertRunning()
    }
    const name = this.newName(spec.name)
    const uid = randomUUID()
    const pod: Pod = {
      namespace: svc.namespace,
      name,
      uid,
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
    const rec: PodRecord = { pod, svc, logs: new LogBuffer(this.opts.logs), backoff: new Backoff(this.backoffOpts), failed: false, terminal: false, everStarted: false }
    this.pods.set(name, rec)
    this.setUpCgroup(rec)
    this.emitPod('ADDED', rec)
    let extra: Record<string, string> = {}
    try {
      extra = (await svc.opts.podEnv?.(copyPod(pod))) ?? {}
    } catch (e) {
      if (!rec.deleting) {
        pod.reason = 'CreateContainerConfigError'
        pod.message = `could not prepare the environment: ${(e as Error)?.message ?? String(e)}`
        this.emitPod('MODIFIED', rec)
      }
      return copyPod(pod)
    }
    if (rec.deleting) return copyPod(pod)
    rec.env = buildPodEnv({ base: this.opts.baseEnv ?? process.env, service: spec.env, runtime: { ...(svc.opts.env ?? {}), ...extra, PORT: String(port) } })
    this.runContainer(rec)
    return copyPod(rec.pod)
  }

  private setUpCgroup(rec: PodRecord): void {
    const declared = rec.svc.spec.resources?.limits
    const wanted = declared && (declared.cpu !== undefined || declared.memory !== undefined) ? declared : undefined
    const limits: PodLimits | undefined = wanted ? { ...(wanted.cpu !== undefined ? { cpu: wanted.cpu } : {}), ...(wanted.memory !== undefined ? { memory: wanted.memory } : {}), enforced: false } : undefined
    const support = this.cgroupSupport
    if (!support.usable) {
      if (limits) limits.reason = support.reason
    } else {
      const leaf = `${rec.pod.name}-${rec.pod.uid.slice(0, 8)}`
      try {
        try {
          rec.cgroup = new PodCgroup(support, leaf, wanted ?? {})
        } catch (e) {
          // another runtime may have removed the shared chaoscope/ parent between our mkdirs: once more
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
          rec.cgroup = new PodCgroup(support, leaf, wanted ?? {})
        }
        rec.pod.cgroups = [...rec.cgroup.dirs]
        if (limits) limits.enforced = true
      } catch (e) {
        if (limits) limits.reason = (e as Error).message
      }
    }
    if (limits) rec.pod.limits = limits
  }

  private cgroupParents(rec: PodRecord): string[] {
    return rec.cgroup ? rec.cgroup.dirs.map((d) => resolve(d, '..')) : []
  }

  /** Starts the container of a pod, or records why it cannot start. Never throws. */
  private runContainer(rec: PodRecord): void {
    if (rec.deleting || rec.failed || this.stopped || !rec.env) return
    const spec = rec.svc.spec
    const env = rec.env
    const argv = expandArgv(spec.command ?? [], spec.args, env)
    const cwd = spec.workingDir === undefined ? this.workingDir : isAbsolute(spec.workingDir) ? spec.workingDir : join(this.workingDir, spec.workingDir)
    const startedAt = new Date().toISOString()
    const wdProblem = checkWorkingDir(cwd)
    if (wdProblem) return this.cannotRun(rec, wdProblem, 128, startedAt)
    const exe = resolveExecutable(argv[0] ?? '', env.PATH, cwd)
    if (!exe.ok) return this.cannotRun(rec, exe.message, /permission|not a regular file/.test(exe.message) ? 126 : 127, startedAt)
    const plan = launchPlan([exe.path, ...argv.slice(1)], this.setpriv, rec.cgroup?.procsFiles ?? [])
    rec.cgroup?.markStart()
    let child: ChildProcess
    try {
      child = spawn(plan.file, plan.args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'], ...(plan.file === exe.path ? { argv0: argv[0] } : {}) })
    } catch (e) {
      return this.cannotRun(rec, `cannot start ${JSON.stringify(argv[0])}: ${(e as Error).message}`, 128, startedAt)
    }
    let settled = false
    let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined
    let streamsOpen = 2
    let closeTimer: NodeJS.Timeout | undefined
    const finish = (): void => {
      if (settled || !exited) return
      settled = true
      clearTimeout(closeTimer)
      this.onExit(rec, child, exited.code, exited.signal, startedAt)
    }
    child.on('error', (e) => {
      // spawn itself failed: the process never existed (without a pid, exit events are ignored below)
      if (settled || child.pid !== undefined) return
      settled = true
      clearTimeout(closeTimer)
      this.cannotRun(rec, `cannot start ${JSON.stringify(argv[0])}: ${e.message}`, 128, startedAt)
    })
    for (const [stream, name] of [[child.stdout!, 'stdout'], [child.stderr!, 'stderr']] as const) {
      stream.setEncoding('utf8')
      stream.on('data', (chunk: string) => rec.logs.append(name, chunk))
      stream.on('error', () => {})
      stream.on('close', () => {
        rec.logs.flush(name)
        if (--streamsOpen === 0) finish()
      })
    }
    child.on('exit', (code, signal) => {
      if (child.pid === undefined) return
      exited = { code, signal }
      // the pod's other processes die with its main one, which also closes the log pipes they held
      if (child.pid !== undefined) this.killGroupPid(child.pid)
      if (rec.child === child) rec.cgroup?.killAll()
      if (streamsOpen === 0) finish()
      else closeTimer = setTimeout(finish, 1000)
    })
    if (child.pid === undefined) return // the error event reports it
    rec.child = child
    rec.everStarted = true
    Object.assign(rec.pod, { phase: 'Running', pid: child.pid, startedAt, reason: undefined, message: undefined, ready: false })
    this.watchdog?.add(rec.pod.uid, { pgid: child.pid, cgroups: rec.cgroup?.dirs ?? [], parents: this.cgroupParents(rec) })
    const handler = this.probeHandler(rec)
    if (handler) {
      const p = spec.readinessProbe!
      const settings: ReadinessSettings = {
        handler,
        initialDelayMs: (p.initialDelaySeconds ?? 0) * this.secondMs,
        periodMs: (p.periodSeconds ?? 1) * this.secondMs,
        timeoutMs: (p.timeoutSeconds ?? 1) * this.secondMs,
        successThreshold: p.successThreshold ?? 1,
        failureThreshold: p.failureThreshold ?? 3,
      }
      const prober = new ReadinessProber(settings, (ready) => {
        if (rec.prober !== prober || rec.child !== child) return
        rec.pod.ready = ready
        this.emitPod('MODIFIED', rec)
      })
      rec.prober = prober
    } else {
      rec.pod.ready = true
    }
    this.emitPod('MODIFIED', rec)
  }

  /** The probe's target: the pod's own PORT when the probe names no port or the service port, else the port as written. */
  private probeHandler(rec: PodRecord): ProbeHandler | undefined {
    const p = rec.svc.spec.readinessProbe
    if (!p) return undefined
    const portFor = (port: number | undefined): number => (port === undefined || port === rec.svc.spec.port ? rec.pod.port : port)
    if (p.httpGet) return { httpGet: { path: p.httpGet.path ?? '/', port: portFor(p.httpGet.port) } }
    if (p.tcpSocket) return { tcpSocket: { port: portFor(p.tcpSocket.port) } }
    return undefined
  }

  private cannotRun(rec: PodRecord, message: string, exitCode: number, startedAt: string): void {
    this.afterExit(rec, { reason: 'ContainerCannotRun', exitCode, message, startedAt, finishedAt: new Date().toISOString() })
  }

  private onExit(rec: PodRecord, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null, startedAt: string): void {
    if (rec.child !== child) return
    rec.child = undefined
    clearTimeout(rec.killTimer)
    if (child.pid !== undefined) this.watchdog?.delete(rec.pod.uid)
    const finishedAt = new Date().toISOString()
    let exit: PodExit
    const lastErr = rec.logs.lines(5).filter((l) => l.stream === 'stderr').pop()?.text ?? ''
    if (rec.cgroup?.oomKilledSinceStart()) {
      exit = { reason: 'OOMKilled', exitCode: 137, ...(signal ? { signal } : {}), message: `killed at its memory limit (${rec.pod.limits?.memory ?? '?'})`, startedAt, finishedAt }
    } else if (code === JOIN_FAILED_EXIT && lastErr.startsWith(JOIN_FAILED_MARK)) {
      exit = { reason: 'ContainerCannotRun', exitCode: code, message: lastErr, startedAt, finishedAt }
    } else if ((code === 126 || code === 127) && /^setpriv: failed to execute/.test(lastErr)) {
      exit = { reason: 'ContainerCannotRun', exitCode: code, message: lastErr.replace(/^setpriv: /, ''), startedAt, finishedAt }
    } else if (signal) {
      const num = osConstants.signals[signal] ?? 0
      exit = { reason: 'Killed', exitCode: 128 + num, signal, message: `killed by signal ${signal}`, startedAt, finishedAt }
    } else {
      const reason: ExitReason = code === 0 ? 'Completed' : 'Error'
      exit = { reason, exitCode: code ?? 0, startedAt, finishedAt }
    }
    this.afterExit(rec, exit)
  }

  /** A container ended (or never began): record it, then delete, hold, restart or finish the pod. */
  private afterExit(rec: PodRecord, exit: PodExit): void {
    rec.prober?.stop()
    rec.prober = undefined
    const pod = rec.pod
    pod.lastExit = exit
    pod.ready = false
    pod.pid = undefined
    pod.startedAt = undefined
    if (rec.deleting) {
      void this.finishDelete(rec)
      return
    }
    if (rec.failed) {
      pod.reason = 'PodFailure'
      this.emitPod('MODIFIED', rec)
      return
    }
    const policy = rec.svc.spec.restartPolicy ?? 'Always'
    const restart = !this.stopped && (policy === 'Always' || (policy === 'OnFailure' && exit.exitCode !== 0))
    if (!restart) {
      rec.terminal = true
      pod.phase = exit.exitCode === 0 ? 'Succeeded' : 'Failed'
      pod.reason = undefined
      pod.message = exit.message
      this.emitPod('MODIFIED', rec)
      return
    }
    pod.phase = rec.everStarted ? 'Running' : 'Pending'
    const delay = rec.backoff.delay(Date.parse(exit.finishedAt))
    const go = (): void => {
      rec.restartTimer = undefined
      if (rec.deleting || rec.failed || this.stopped) return
      rec.backoff.restarted(Date.now())
      pod.restartCount++
      this.runContainer(rec)
    }
    if (delay > 0) {
      pod.reason = 'CrashLoopBackOff'
      pod.message = `back-off ${formatMs(delay)} restarting failed container (last exit: ${exit.reason}${exit.message ? `: ${exit.message}` : ''})`
      rec.restartTimer = setTimeout(go, delay)
      this.emitPod('MODIFIED', rec)
    } else {
      pod.reason = undefined
      pod.message = undefined
      this.emitPod('MODIFIED', rec)
      rec.restartTimer = setTimeout(go, 0)
    }
  }

  private async finishDelete(rec: PodRecord): Promise<void> {
    if (this.pods.get(rec.pod.name) !== rec) return
    clearTimeout(rec.killTimer)
    clearTimeout(rec.restartTimer)
    clearTimeout(rec.failTimer)
    await rec.cgroup?.remove()
    this.watchdog?.delete(rec.pod.uid)
    this.pods.delete(rec.pod.name)
    this.ports.delete(rec.pod.port)
    rec.logs.close()
    this.emitPod('DELETED', rec)
    rec.deleting?.resolve()
  }

  private killGroup(rec: PodRecord, signal: NodeJS.Signals): void {
    const pid = rec.child?.pid
    if (pid !== undefined) this.killGroupPid(pid, signal)
    if (signal === 'SIGKILL') rec.cgroup?.killAll()
  }

  private killGroupPid(pgid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
    try {
      process.kill(-pgid, signal)
    } catch {
      // the group is gone
    }
  }

  /** Last resort when this process exits without stopAll: SIGKILL every pod's group and cgroup, synchronously. */
  private killEverythingNow(): void {
    for (const rec of this.pods.values()) {
      if (rec.child?.pid !== undefined) this.killGroupPid(rec.child.pid)
      rec.cgroup?.killAll()
    }
  }
}
