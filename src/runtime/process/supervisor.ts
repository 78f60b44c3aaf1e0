/**
 * @module runtime/process/supervisor: runs an App's services as pods (real child processes with Kubernetes-like
 * identity) and makes sure none outlives the runtime. The façade over the parts: replicas.ts (a service's set of
 * pods), pod-runner.ts (one pod's lifecycle, whose states are the table in pod-state.ts), exit-reason.ts (why a
 * container ended), cgroup.ts (limits), launch.ts (the exec chain), probe.ts, backoff.ts, log-buffer.ts, watchdog.ts.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { join, resolve } from 'node:path'
import { ChaosError } from '../../errors.js'
import { stateDir } from '../../store/state-files.js'
import type { ServiceConfig as ServiceSpec } from '../app.js'
import { KUBELET_BACKOFF } from './backoff.js'
import type { BackoffOptions } from './backoff.js'
import { detectCgroups, removeParents } from './cgroup.js'
import type { CgroupSupport } from './cgroup.js'
import { findOnPath, launchPlan } from './launch.js'
import type { LogBuffer } from './log-buffer.js'
import type { LogBufferOptions } from './log-buffer.js'
import type { StartOptions, StopOptions } from './pod-runner.js'
import { ReplicaSets } from './replicas.js'
import { matchesSelector } from '../../selector.js'
import type { LabelSelector } from '../../selector.js'
import type { Pod, PodEvent } from './types.js'
import { Watchdog } from './watchdog.js'

export type { StartOptions, StopOptions } from './pod-runner.js'
export { DATA_DIR_ENV } from './pod-runner.js'

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
  /**
   * Where services keep data (default `$CHAOSCOPE_HOME/data`). Each pod gets `$CHAOSCOPE_DATA_DIR` =
   * `<dataDir>/<namespace>/<service>`: shared by the service's pods, kept across their restarts and replacements
   * (like a volume), apart from every other service and every other state directory. The supervisor makes it before
   * the pod's first start (owned by the pod's runAsUser, when it has one) and never removes it.
   */
  dataDir?: string
}

/** The cgroup support the supervisor uses for the given option: what doctor reports too. */
export function cgroupSupportFor(opt: SupervisorOptions['cgroups']): CgroupSupport {
  if (opt === 'off') return { usable: false, reason: 'cgroups turned off' }
  if (opt === undefined || opt === 'auto') return detectCgroups()
  return opt
}

/** The setpriv the supervisor launches pods through (undefined: pods go without the parent-death signal). */
export function setprivFor(parentDeathSignal: boolean | undefined): string | undefined {
  return parentDeathSignal === false ? undefined : findOnPath('setpriv')
}

/**
 * Runs services as pods on this machine. Pod state changes are reported as `pod` events ({@link PodEvent}, like a
 * Kubernetes watch); `list` and `get` return snapshots.
 *
 * Lifecycle of one pod (the runner's states, pod-state.ts):
 *
 *   ADDED (Pending, ContainerCreating) ──spawn──▶ Running ──probe ok──▶ ready
 *        ▲                                          │ exit
 *        │ restart (immediate, then back-off)       ▼
 *        └── CrashLoopBackOff ◀── policy says restart ── Succeeded / Failed (policy says no)
 *   stopPod: Terminating ──SIGTERM, grace, SIGKILL──▶ DELETED
 *
 * Failures are per pod: they show in the pod's status and never reject `start` or `scale`.
 *
 * Must be constructed and used on the main thread (the parent-death signal is tied to the thread that forks).
 *
 * @example
 * const sup = new PodSupervisor({ workingDir: dirname(appFile) })
 * sup.on('pod', (e) => console.log(e.type, e.pod.name, e.pod.phase, e.pod.ready))
 * await sup.start(service, { podEnv: (pod) => ({ CART_ADDR: `127.0.0.1:${egressPortFor(pod, 'cart')}` }) })
 * await sup.stopAll()
 */
/** The variables that carry chaoscope's own API tokens: a pod (software the user brought) gets none of them. */
const TOKEN_VARIABLES = ['CHAOSCOPE_TOKEN', 'CHAOSCOPE_RUNTIME_TOKEN']

/** `env` without chaoscope's API tokens, for what runs in pods. */
export function withoutTokens(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const out = { ...env }
  for (const k of TOKEN_VARIABLES) delete out[k]
  return out
}

export class PodSupervisor extends EventEmitter<{ pod: [PodEvent] }> {
  readonly workingDir: string
  /** What the kernel allows for limits on this machine (detected once). */
  readonly cgroupSupport: CgroupSupport
  /** The parent of the services' data directories. */
  readonly dataDir: string
  private readonly watchdog: Watchdog | undefined
  private readonly replicas: ReplicaSets
  private readonly setpriv: string | undefined
  private helpers = 0
  private stopped = false
  private readonly onProcessExit = (): void => {
    for (const r of this.replicas.runners()) r.killNow()
  }

  constructor(opts: SupervisorOptions = {}) {
    super()
    this.workingDir = resolve(opts.workingDir ?? process.cwd())
    const cap = opts.backoff?.capMs ?? KUBELET_BACKOFF.capMs
    const backoff: BackoffOptions = {
      baseMs: opts.backoff?.baseMs ?? KUBELET_BACKOFF.baseMs,
      capMs: cap,
      resetMs: opts.backoff?.resetMs ?? (opts.backoff?.capMs !== undefined ? 2 * cap : KUBELET_BACKOFF.resetMs),
    }
    this.cgroupSupport = cgroupSupportFor(opts.cgroups)
    this.dataDir = resolve(opts.dataDir ?? join(stateDir(), 'data'))
    this.watchdog = opts.watchdog === false ? undefined : new Watchdog()
    this.replicas = new ReplicaSets({
      namespace: opts.namespace ?? 'default',
      dataDir: this.dataDir,
      runner: {
        workingDir: this.workingDir,
        secondMs: opts.secondMs ?? 1000,
        backoff,
        logs: opts.logs,
        baseEnv: opts.baseEnv ?? withoutTokens(process.env),
        cgroups: this.cgroupSupport,
        setpriv: (this.setpriv = setprivFor(opts.parentDeathSignal)),
        watchdog: this.watchdog,
        stopping: () => this.stopped,
        emit: (e) => this.emit('pod', e),
      },
    })
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
    return this.replicas.start(spec, opts)
  }

  /** Sets the number of pods of a service: creates new ones, or stops (gracefully) unready, then youngest, ones. */
  async scale(service: string, replicas: number): Promise<Pod[]> {
    this.assertRunning()
    await this.replicas.scale(service, replicas)
    return this.list().filter((p) => p.service === service)
  }

  /** Stops every pod of a service and forgets the service. */
  async stopService(service: string): Promise<void> {
    await this.replicas.stopService(service)
  }

  /** Pods (snapshots) matching a label selector, optionally in one namespace; sorted by name. */
  list(selector?: LabelSelector, namespace?: string): Pod[] {
    return this.replicas.runners()
      .filter((r) => (namespace === undefined || r.pod.namespace === namespace) && matchesSelector(r.pod.labels, selector))
      .map((r) => r.snapshot())
      .sort((a, b) => a.name.localeCompare(b.name))
  }

  get(name: string): Pod | undefined {
    return this.replicas.find(name)?.snapshot()
  }

  /** The pod's log buffer (read, tail, follow). Throws RUNTIME_UNKNOWN_POD. */
  logs(name: string): LogBuffer {
    return this.replicas.runner(name).logs
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
    await this.replicas.stopPod(name, opts)
  }

  /**
   * Sends a signal to the pod's main process (pod-kill / container-kill chaos). What follows is the restart policy's
   * business. Returns false when no container is running (nothing to signal).
   */
  killPod(name: string, signal: NodeJS.Signals = 'SIGKILL'): boolean {
    return this.replicas.runner(name).kill(signal)
  }

  /**
   * Pod-failure chaos: kills the container and keeps the pod down (not ready, reason PodFailure, no restarts) until
   * {@link unfailPod}. Idempotent. `durationMs` releases it by itself after that time (the runtime's effect store
   * expires pod-failures itself and calls unfailPod; the option stays for direct users of the supervisor).
   */
  failPod(name: string, opts: { durationMs?: number } = {}): void {
    this.replicas.runner(name).hold(opts.durationMs)
  }

  /** Releases a pod held by {@link failPod}: it starts again at once (restart count + 1), unless it had already ended for good. */
  unfailPod(name: string): void {
    this.replicas.runner(name).release()
  }

  /**
   * Starts a helper process inside a pod (StressChaos's stressors): in the pod's cgroups when it has them (so it
   * counts against the pod's limits and shows in its accounting), in a process group of its own, with the
   * parent-death signal, and known to the watchdog, which kills it if the runtime dies. It is not the pod's
   * container: the pod's restarts do not start it again, and whoever started it stops it. Its environment is this
   * process's, without LD_PRELOAD, plus `opts.env`.
   */
  spawnIn(name: string, argv: readonly [string, ...string[]], opts: { env?: Record<string, string> } = {}): ChildProcess {
    this.assertRunning()
    const pod = this.get(name)
    if (!pod) throw new ChaosError('RUNTIME_UNKNOWN_POD', `no pod named "${name}"`, { hint: 'list the pods with `chaoscope get pods`' })
    const plan = launchPlan(argv, this.setpriv, (pod.cgroups ?? []).map((d) => join(d, 'cgroup.procs')))
    const env: Record<string, string | undefined> = { ...withoutTokens(process.env), ...opts.env }
    delete env.LD_PRELOAD
    const child = spawn(plan.file, plan.args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    if (child.pid !== undefined && this.watchdog) {
      const key = `helper:${pod.uid}:${++this.helpers}`
      this.watchdog.add(key, { pgid: child.pid, cgroups: [], parents: [] })
      child.once('exit', () => this.watchdog?.delete(key))
    }
    return child
  }

  /** Stops every pod (gracefully, in parallel), then the watchdog. The supervisor cannot be used afterwards. */
  async stopAll(opts: StopOptions = {}): Promise<void> {
    this.stopped = true
    await this.replicas.stopAll(opts)
    this.watchdog?.close()
    removeParents(this.cgroupSupport)
    process.off('exit', this.onProcessExit)
  }

  private assertRunning(): void {
    if (this.stopped) throw new ChaosError('INTERNAL', 'the pod supervisor was stopped; create a new one')
  }
}
