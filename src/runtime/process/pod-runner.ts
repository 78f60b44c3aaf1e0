/**
 * @module runtime/process/pod-runner: one pod from creation to deletion: it prepares the pod's environment, launches
 * its container through the launch chain (setpriv, cgroup), watches it end, classifies the exit, restarts it by
 * policy with the kubelet's back-off, probes readiness, holds it down for pod-failure chaos and stops it gracefully.
 * Its state moves only along the table in pod-state.ts; what it reports (phase, reason, ready) is set beside it.
 * The set of pods of a service (names, ports, replacements) is replicas.ts's business, not the runner's.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { chmodSync, chownSync, mkdirSync, statSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { parseEnv } from 'node:util'
import type { ServiceConfig as ServiceSpec } from '../app.js'
import { Backoff } from './backoff.js'
import type { BackoffOptions } from './backoff.js'
import { PodCgroup } from './cgroup.js'
import type { CgroupSupport } from './cgroup.js'
import { cannotRunExit, classifyExit } from './exit-reason.js'
import type { LaunchProblem } from './exit-reason.js'
import { blockedOnTheWay, resolveCredentials, setprivArgs } from './credentials.js'
import type { Credentials } from './credentials.js'
import { buildPodEnv, expandArgv } from './expand.js'
import { checkWorkingDir, findOnPath, launchPlan, resolveExecutable } from './launch.js'
import type { LaunchSteps } from './launch.js'
import { LogBuffer } from './log-buffer.js'
import { openPodStdio } from './stdio.js'
import type { PodStdio } from './stdio.js'
import type { LogBufferOptions } from './log-buffer.js'
import { PodStateMachine } from './pod-state.js'
import type { PodState } from './pod-state.js'
import { ReadinessProber } from './probe.js'
import type { ProbeHandler } from './probe.js'
import type { Pod, PodEvent, PodExit, PodLimits, PodNetworkPlan } from './types.js'
import type { Watchdog } from './watchdog.js'

/**
 * What a pod in a network namespace of its own may do as root: a container runtime's default capabilities (Docker's
 * and containerd's set), so no CAP_NET_ADMIN (routes to other pods), CAP_SYS_ADMIN (setns back to the host's
 * network), CAP_SYS_PTRACE or CAP_SYS_MODULE. The pod still sees the host's files: this bounds its network, it
 * is not a sandbox (runAsUser is the way to run software you do not trust).
 */
const CONTAINER_CAPS = ['--bounding-set=-all,+chown,+dac_override,+fowner,+fsetid,+kill,+setgid,+setuid,+setpcap,+net_bind_service,+net_raw,+sys_chroot,+mknod,+audit_write,+setfcap']

/** The variable that tells a pod where its service keeps data (see SupervisorOptions.dataDir). */
export const DATA_DIR_ENV = 'CHAOSCOPE_DATA_DIR'

export interface StartOptions {
  /** Extra variables for every pod of the service (they win over the service env). */
  env?: Record<string, string>
  /**
   * Extra variables for one pod, asked once when the pod is created (before its first start), e.g. the addresses of
   * its egress sidecars. A rejection leaves that pod in `CreateContainerConfigError`; other pods are unaffected.
   */
  podEnv?: (pod: Pod) => Record<string, string> | Promise<Record<string, string>>
  /**
   * The pod's network, asked once when the pod is created, before ADDED: a namespace of its own (the launch chain
   * enters it, and the pod listens on its service's port at `podIP`), or undefined for the host's loopback. A
   * rejection leaves that pod in `CreateContainerConfigError`. Whoever made a namespace removes it on DELETED.
   */
  network?: (pod: Pod) => Promise<PodNetworkPlan | undefined>
}

export interface StopOptions {
  /** Overrides the service's terminationGracePeriodSeconds. 0 kills at once. */
  gracePeriodMs?: number
  /** Create a new pod for the service once this one is gone (what a ReplicaSet does after a pod is deleted). */
  replace?: boolean
}

/** A service as its pods' runners see it. */
export interface RunnerService {
  readonly spec: ServiceSpec
  readonly opts: StartOptions
  readonly namespace: string
  /** Handed to each pod as $CHAOSCOPE_DATA_DIR. */
  readonly dataDir: string
}

/** What every runner of one supervisor shares. */
export interface RunnerContext {
  readonly workingDir: string
  /** Length in ms of one "second" of the spec's probe timings and grace periods. */
  readonly secondMs: number
  readonly backoff: BackoffOptions
  readonly logs: LogBufferOptions | undefined
  readonly baseEnv: Record<string, string | undefined>
  readonly cgroups: CgroupSupport
  /** util-linux setpriv, for the parent-death signal; undefined to go without. */
  readonly setpriv: string | undefined
  readonly watchdog: Watchdog | undefined
  /** True once the supervisor stops: no container is started or restarted any more. */
  stopping(): boolean
  emit(event: PodEvent): void
  /** The pod is gone: forget its name and port (called just before DELETED is emitted). */
  forget(runner: PodRunner): void
}

interface Deferred {
  promise: Promise<void>
  resolve: () => void
}

function deferred(): Deferred {
  let resolveFn!: () => void
  const promise = new Promise<void>((r) => (resolveFn = r))
  return { promise, resolve: resolveFn }
}

/** A copy of a pod that shares nothing with the runner's own. */
export function copyPod(p: Pod): Pod {
  return {
    ...p,
    labels: { ...p.labels },
    annotations: { ...p.annotations },
    ...(p.lastExit ? { lastExit: { ...p.lastExit } } : {}),
    ...(p.limits ? { limits: { ...p.limits } } : {}),
    ...(p.cgroups ? { cgroups: [...p.cgroups] } : {}),
  }
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)}s` : `${ms}ms`
}

function killGroupPid(pgid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(-pgid, signal)
  } catch {
    // the group is gone
  }
}

/**
 * Runs one pod. Every pod runs in its own process group (and cgroup, where usable); when its main process exits,
 * whatever it left in that group or cgroup is killed, as a container's processes die with it. Nothing here throws
 * for a pod's own failure: it shows in the pod's status. Not allowed state moves throw (they are bugs).
 */
export class PodRunner {
  readonly pod: Pod
  readonly logs: LogBuffer
  private readonly machine: PodStateMachine
  private readonly backoff: Backoff
  private env?: Record<string, string>
  /** What the launch chain does after the cgroup join: enter the pod's namespace, drop to its user. */
  private steps: LaunchSteps = {}
  private cgroup?: PodCgroup
  /** The preStop hook's process group, killed with the pod (what it left running in the background too). */
  private preStopGroup?: number
  private child?: ChildProcess
  private prober?: ReadinessProber
  private restartTimer?: NodeJS.Timeout
  private failTimer?: NodeJS.Timeout
  private killTimer?: NodeJS.Timeout
  private everStarted = false
  /** Bumped at every launch, so that late callbacks of an earlier launch are ignored. */
  private attempt = 0
  /** Where a held pod goes back to when released. */
  private heldFrom: PodState = 'Creating'
  private configError?: string
  private deleting?: Deferred
  private finished = false
  /** The loopback port the replica set drew for this pod (its `$PORT` unless it has a namespace of its own). */
  readonly drawnPort: number

  constructor(
    private readonly ctx: RunnerContext,
    readonly service: RunnerService,
    pod: Pod,
  ) {
    this.pod = pod
    this.drawnPort = pod.port
    pod.podIP ??= '127.0.0.1'
    pod.hostIP ??= '127.0.0.1'
    this.machine = new PodStateMachine(pod.name)
    this.logs = new LogBuffer(ctx.logs)
    this.backoff = new Backoff(ctx.backoff)
  }

  get state(): PodState {
    return this.machine.state
  }

  get deleted(): boolean {
    return this.deleting !== undefined
  }

  snapshot(): Pod {
    return copyPod(this.pod)
  }

  /**
   * Sets up the pod's cgroup and network, reports it ADDED, prepares its environment (files, user, the runtime's
   * variables) and starts its container. Never throws: what cannot be prepared leaves it in CreateContainerConfigError.
   */
  async create(): Promise<void> {
    this.setUpCgroup()
    let problem: string | undefined
    try {
      this.useNetwork(await this.service.opts.network?.(this.snapshot()))
    } catch (e) {
      problem = `could not set up its network: ${(e as Error)?.message ?? String(e)}`
    }
    if (this.deleting) return // deleted while its network was made: DELETED is its last word (its network goes then)
    this.emit('ADDED')
    if (problem !== undefined) return this.configFailed(problem)
    let extra: Record<string, string> = {}
    let fromFiles: Record<string, string> = {}
    try {
      fromFiles = await this.envFromFiles()
      if (this.deleting) return
      const creds = resolveCredentials(this.service.spec.securityContext)
      if (!creds.ok) throw new Error(creds.message)
      if (creds.credentials) this.useCredentials(creds.credentials)
      else this.makeDataDir()
      if (this.deleting) return // nothing is prepared for a pod already gone (podEnv makes its sidecars)
      extra = (await this.service.opts.podEnv?.(this.snapshot())) ?? {}
    } catch (e) {
      return this.configFailed(`could not prepare the environment: ${(e as Error)?.message ?? String(e)}`)
    }
    if (this.deleting) return
    this.env = buildPodEnv({
      base: { ...this.ctx.baseEnv, ...fromFiles },
      service: this.service.spec.env,
      runtime: { ...(this.service.opts.env ?? {}), ...extra, PORT: String(this.pod.port), POD_IP: this.pod.podIP!, HOSTNAME: this.pod.name, [DATA_DIR_ENV]: this.service.dataDir },
    })
    if (this.machine.is('Held')) this.heldFrom = 'Starting' // released later: it starts then
    else this.start()
  }

  private configFailed(message: string): void {
    if (this.deleting) return
    this.configError = message
    clearTimeout(this.failTimer)
    this.machine.to('ConfigError')
    this.pod.reason = 'CreateContainerConfigError'
    this.pod.message = message
    this.emit('MODIFIED')
  }

  /** A namespace of its own: the pod listens on its service's port there, at its own address. */
  private useNetwork(plan: PodNetworkPlan | undefined): void {
    if (!plan) return
    this.pod.podIP = plan.podIP
    this.pod.hostIP = plan.hostIP
    if (plan.reason !== undefined) this.pod.networkReason = plan.reason
    if (!plan.netns) return
    const nsenter = findOnPath('nsenter')
    if (!nsenter) throw new Error('nsenter (util-linux) is not installed')
    this.steps.netns = { nsenter, path: plan.netns.path }
    // a container's capabilities, not root's
    this.steps.credentials = { setpriv: this.setprivFor('a namespace of its own'), args: [...(this.steps.credentials?.args ?? []), ...CONTAINER_CAPS] }
    this.pod.netns = plan.netns.name
    if (this.service.spec.port !== undefined) this.pod.port = this.service.spec.port
  }

  private useCredentials(creds: Credentials): void {
    this.steps.credentials = { setpriv: this.setprivFor('securityContext'), args: [...setprivArgs(creds), ...(this.steps.credentials?.args ?? [])] }
    // the service's data directory is the pod's to write, as a volume the kubelet prepares for its user; checked
    // once made, so that the levels made here count with the modes they were given
    this.makeDataDir()
    chownSync(this.service.dataDir, creds.uid ?? -1, creds.gid ?? -1)
    const blocked = blockedOnTheWay(this.service.dataDir, creds, statSync)
    if (blocked) {
      throw new Error(`user ${creds.user ?? creds.uid} cannot reach its data directory ${this.service.dataDir}: ${blocked.dir} is mode ${blocked.mode}; set CHAOSCOPE_HOME to a directory it can reach (such as /var/lib/chaoscope) or let it through (chmod o+x ${blocked.dir})`)
    }
  }

  /** The setpriv the launch chain changes credentials or capabilities with: the runner's own, else the one on PATH. */
  private setprivFor(what: string): string {
    const setpriv = this.ctx.setpriv ?? findOnPath('setpriv')
    if (!setpriv) throw new Error(`${what} needs setpriv (util-linux), which is not installed`)
    return setpriv
  }

  /** The service's data directory exists before its pods start, as a volume is mounted before a container starts. */
  private makeDataDir(): void {
    const dir = this.service.dataDir
    try {
      const first = mkdirSync(dir, { recursive: true, mode: 0o755 })
      // the umask may have taken bits off: every level made here is 0755, as a volume's path is
      if (first !== undefined) for (let d = dir; d.length >= first.length; d = dirname(d)) chmodSync(d, 0o755)
    } catch (e) {
      throw new Error(`cannot make its data directory ${dir}: ${(e as Error).message}`)
    }
  }

  /** The variables of the service's envFrom files, in order (a later file wins), each name with its prefix. */
  private async envFromFiles(): Promise<Record<string, string>> {
    const out: Record<string, string> = {}
    for (const src of this.service.spec.envFrom ?? []) {
      const file = isAbsolute(src.file) ? src.file : join(this.ctx.workingDir, src.file)
      let text: string
      try {
        text = await readFile(file, 'utf8')
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT' && src.optional) continue
        throw new Error(`envFrom ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`)
      }
      for (const [k, v] of Object.entries(parseEnv(text))) if (v !== undefined) out[`${src.prefix ?? ''}${k}`] = v
    }
    return out
  }

  /**
   * Deletes the pod gracefully: SIGTERM to its process group, SIGKILL after the grace period, then DELETED.
   * Idempotent while in progress (the same promise).
   */
  stop(opts: StopOptions = {}): Promise<void> {
    if (this.deleting) return this.deleting.promise
    this.deleting = deferred()
    clearTimeout(this.restartTimer)
    clearTimeout(this.failTimer)
    this.prober?.stop()
    this.machine.to('Terminating')
    this.pod.ready = false
    this.pod.reason = 'Terminating'
    this.pod.message = undefined
    this.emit('MODIFIED')
    if (this.child?.pid !== undefined) {
      const graceMs = opts.gracePeriodMs ?? (this.service.spec.terminationGracePeriodSeconds ?? 5) * this.ctx.secondMs
      if (graceMs <= 0) this.killGroup('SIGKILL')
      else {
        this.killTimer = setTimeout(() => this.killGroup('SIGKILL'), graceMs)
        const signal = (this.service.spec.lifecycle?.stopSignal ?? 'SIGTERM') as NodeJS.Signals
        const hook = this.service.spec.lifecycle?.preStop?.exec.command
        if (hook) void this.runPreStop(hook).then(() => this.killGroup(signal))
        else this.killGroup(signal)
      }
    } else {
      void this.finishDelete()
    }
    return this.deleting.promise
  }

  /**
   * Runs the preStop command in the pod (its cgroup, namespace, user, env and working directory) and waits for it
   * to end; the grace period's SIGKILL ends it too. A failure shows in the pod's message, and the pod is stopped anyway.
   */
  private runPreStop(command: readonly string[]): Promise<void> {
    const env = this.env ?? {}
    const argv = expandArgv(command, undefined, env)
    const cwd = this.cwd()
    const exe = resolveExecutable(argv[0] ?? '', env.PATH, cwd)
    if (!exe.ok) {
      this.pod.message = `preStop hook could not run: ${exe.message}`
      this.emit('MODIFIED')
      return Promise.resolve()
    }
    const plan = launchPlan([exe.path, ...argv.slice(1)], this.ctx.setpriv, this.cgroup?.procsFiles ?? [], this.steps)
    return new Promise((done) => {
      let stderr = ''
      const child = spawn(plan.file, plan.args, { cwd, env, detached: true, stdio: ['ignore', 'ignore', 'pipe'] })
      this.preStopGroup = child.pid
      child.stderr?.setEncoding('utf8').on('data', (c: string) => (stderr = (stderr + c).slice(-2000)))
      child.on('error', (e) => {
        this.pod.message = `preStop hook could not run: ${e.message}`
        done()
      })
      // 'exit', not 'close': something the hook left in the background may hold its stderr open
      child.on('exit', (code, signal) => {
        if (code !== 0 && this.child) {
          const last = stderr.trim().split('\n').pop()
          this.pod.message = `preStop hook ${signal ? `ended by ${signal}` : `exited with code ${code}`}${last ? `: ${last}` : ''}`
          this.emit('MODIFIED')
        }
        done()
      })
    })
  }

  private cwd(): string {
    const wd = this.ctx.workingDir
    const dir = this.service.spec.workingDir
    return dir === undefined ? wd : isAbsolute(dir) ? dir : join(wd, dir)
  }

  /** Signals the container's main process; false when no container is running. */
  kill(signal: NodeJS.Signals): boolean {
    const child = this.child
    const pid = child?.pid
    if (!child || pid === undefined || child.exitCode !== null || child.signalCode !== null) return false
    try {
      process.kill(pid, signal)
      return true
    } catch {
      return false
    }
  }

  /** Pod-failure chaos: kills the container and keeps the pod down until {@link release} (or `durationMs`). Idempotent. */
  hold(durationMs?: number): void {
    if (this.deleting) return
    clearTimeout(this.failTimer)
    if (durationMs !== undefined) this.failTimer = setTimeout(() => this.release(), durationMs)
    if (this.machine.is('Held')) return
    this.heldFrom = this.machine.state
    this.machine.to('Held')
    clearTimeout(this.restartTimer)
    this.prober?.stop()
    this.pod.ready = false
    this.pod.reason = 'PodFailure'
    this.pod.message = 'held down by pod-failure chaos until released'
    if (this.child) this.killGroup('SIGKILL')
    this.emit('MODIFIED')
  }

  /** Ends a hold: the pod starts again at once (restart count + 1), unless it had ended for good. Idempotent. */
  release(): void {
    clearTimeout(this.failTimer)
    if (!this.machine.is('Held')) return
    this.pod.reason = undefined
    this.pod.message = undefined
    if (this.child) {
      // still dying from the hold: its exit goes through the restart policy
      this.machine.to('Running')
      this.emit('MODIFIED')
      return
    }
    switch (this.heldFrom) {
      case 'Ended':
        this.machine.to('Ended')
        this.pod.message = this.pod.lastExit?.message
        this.emit('MODIFIED')
        return
      case 'ConfigError':
        this.machine.to('ConfigError')
        this.pod.reason = 'CreateContainerConfigError'
        this.pod.message = this.configError
        this.emit('MODIFIED')
        return
      case 'Creating':
        // its environment is still being prepared: create() starts it
        this.machine.to('Creating')
        this.pod.reason = 'ContainerCreating'
        this.emit('MODIFIED')
        return
      default:
        if (this.ctx.stopping() || !this.env) {
          this.emit('MODIFIED')
          return
        }
        if (this.everStarted) this.pod.restartCount++
        this.start()
    }
  }

  /** Last resort when the process exits without a stop: SIGKILL the pod's group and cgroup, synchronously. */
  killNow(): void {
    if (this.child?.pid !== undefined) killGroupPid(this.child.pid)
    this.cgroup?.killAll()
  }

  // ---------------------------------------------------------------------------------------------------------------

  private emit(type: PodEvent['type']): void {
    this.ctx.emit({ type, pod: this.snapshot() })
  }

  private setUpCgroup(): void {
    const declared = this.service.spec.resources?.limits
    const wanted = declared && (declared.cpu !== undefined || declared.memory !== undefined) ? declared : undefined
    const limits: PodLimits | undefined = wanted ? { ...(wanted.cpu !== undefined ? { cpu: wanted.cpu } : {}), ...(wanted.memory !== undefined ? { memory: wanted.memory } : {}), enforced: false } : undefined
    const support = this.ctx.cgroups
    if (!support.usable) {
      if (limits) limits.reason = support.reason
    } else {
      const leaf = `${this.pod.name}-${this.pod.uid.slice(0, 8)}`
      try {
        try {
          this.cgroup = new PodCgroup(support, leaf, wanted ?? {})
        } catch (e) {
          // another runtime may have removed the shared chaoscope/ parent between our mkdirs: once more
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
          this.cgroup = new PodCgroup(support, leaf, wanted ?? {})
        }
        this.pod.cgroups = [...this.cgroup.dirs]
        if (limits) limits.enforced = true
      } catch (e) {
        if (limits) limits.reason = (e as Error).message
      }
    }
    if (limits) this.pod.limits = limits
  }

  /** Launches the container, or records why it cannot run. Never throws for the pod's own failure. */
  private start(): void {
    if (this.ctx.stopping() || !this.env) return
    this.machine.to('Starting')
    const attempt = ++this.attempt
    const spec = this.service.spec
    const env = this.env
    const argv = expandArgv(spec.command ?? [], spec.args, env)
    const cwd = this.cwd()
    const startedAt = new Date().toISOString()
    const cannotRun = (problem: LaunchProblem): void => this.exited(cannotRunExit(problem, startedAt, new Date().toISOString()))
    const wdProblem = checkWorkingDir(cwd)
    if (wdProblem) return cannotRun({ kind: 'working-dir', message: wdProblem })
    const exe = resolveExecutable(argv[0] ?? '', env.PATH, cwd)
    if (!exe.ok) return cannotRun({ kind: 'executable', message: exe.message })
    const plan = launchPlan([exe.path, ...argv.slice(1)], this.ctx.setpriv, this.cgroup?.procsFiles ?? [], this.steps)
    this.cgroup?.markStart()
    let stdio: PodStdio
    try {
      stdio = openPodStdio()
    } catch (e) {
      return cannotRun({ kind: 'spawn', message: `cannot make the pipes for its stdout and stderr: ${(e as Error).message}` })
    }
    let child: ChildProcess
    try {
      child = spawn(plan.file, plan.args, { cwd, env, detached: true, stdio: ['ignore', stdio.childFds[0], stdio.childFds[1]], ...(plan.file === exe.path ? { argv0: argv[0] } : {}) })
    } catch (e) {
      stdio.destroy()
      return cannotRun({ kind: 'spawn', message: `cannot start ${JSON.stringify(argv[0])}: ${(e as Error).message}` })
    }
    // the pod holds the write ends now: the readers see the end when its last process closes them
    stdio.closeChildEnds()
    let settled = false
    let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined
    let streamsOpen = 2
    let closeTimer: NodeJS.Timeout | undefined
    const finish = (): void => {
      if (settled || !exited) return
      settled = true
      clearTimeout(closeTimer)
      this.onExit(child, exited.code, exited.signal, startedAt)
    }
    child.on('error', (e) => {
      // spawn itself failed: the process never existed (without a pid, exit events are ignored below)
      if (settled || child.pid !== undefined || attempt !== this.attempt) return
      settled = true
      clearTimeout(closeTimer)
      cannotRun({ kind: 'spawn', message: `cannot start ${JSON.stringify(argv[0])}: ${e.message}` })
    })
    for (const [stream, name] of [[stdio.stdout, 'stdout'], [stdio.stderr, 'stderr']] as const) {
      stream.setEncoding('utf8')
      stream.on('data', (chunk: string) => this.logs.append(name, chunk))
      stream.on('error', () => {})
      stream.on('close', () => {
        this.logs.flush(name)
        if (--streamsOpen === 0) finish()
      })
    }
    child.on('exit', (code, signal) => {
      if (child.pid === undefined) return
      exited = { code, signal }
      // the pod's other processes die with its main one, which also closes the log pipes they held
      killGroupPid(child.pid)
      if (this.child === child) this.cgroup?.killAll()
      if (streamsOpen === 0) finish()
      else closeTimer = setTimeout(finish, 1000)
    })
    if (child.pid === undefined) return // the error event reports it
    this.child = child
    this.everStarted = true
    this.machine.to('Running')
    Object.assign(this.pod, { phase: 'Running', pid: child.pid, startedAt, reason: undefined, message: undefined, ready: false })
    this.ctx.watchdog?.add(this.pod.uid, { pgid: child.pid, cgroups: this.cgroup?.dirs ?? [], parents: this.cgroup ? this.cgroup.dirs.map((d) => resolve(d, '..')) : [] })
    const handler = this.probeHandler()
    if (handler) {
      const p = spec.readinessProbe!
      const sec = this.ctx.secondMs
      const prober = new ReadinessProber({
        handler,
        initialDelayMs: (p.initialDelaySeconds ?? 0) * sec,
        periodMs: (p.periodSeconds ?? 1) * sec,
        timeoutMs: (p.timeoutSeconds ?? 1) * sec,
        successThreshold: p.successThreshold ?? 1,
        failureThreshold: p.failureThreshold ?? 3,
      }, (ready) => {
        if (this.prober !== prober || this.child !== child) return
        this.pod.ready = ready
        this.emit('MODIFIED')
      })
      this.prober = prober
    } else {
      this.pod.ready = true
    }
    this.emit('MODIFIED')
  }

  /** The probe's target: the pod's address, on its own PORT when the probe names no port or the service port, else the port as written. */
  private probeHandler(): ProbeHandler | undefined {
    const p = this.service.spec.readinessProbe
    if (!p) return undefined
    const portFor = (port: number | undefined): number => (port === undefined || port === this.service.spec.port ? this.pod.port : port)
    const host = this.pod.podIP ?? '127.0.0.1'
    if (p.httpGet) return { httpGet: { path: p.httpGet.path ?? '/', port: portFor(p.httpGet.port), host } }
    if (p.tcpSocket) return { tcpSocket: { port: portFor(p.tcpSocket.port), host } }
    return undefined
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null, startedAt: string): void {
    if (this.child !== child) return
    this.child = undefined
    clearTimeout(this.killTimer)
    if (child.pid !== undefined) this.ctx.watchdog?.delete(this.pod.uid)
    this.exited(classifyExit({
      code,
      signal,
      oomKilled: this.cgroup?.oomKilledSinceStart() ?? false,
      ...(this.pod.limits?.memory !== undefined ? { memoryLimit: this.pod.limits.memory } : {}),
      lastStderr: this.logs.lines(5).filter((l) => l.stream === 'stderr').pop()?.text ?? '',
      startedAt,
      finishedAt: new Date().toISOString(),
    }))
  }

  /** A container ended (or never began): record it, then delete, hold, restart or finish the pod. */
  private exited(exit: PodExit): void {
    this.prober?.stop()
    this.prober = undefined
    const pod = this.pod
    pod.lastExit = exit
    pod.ready = false
    pod.pid = undefined
    pod.startedAt = undefined
    if (this.machine.is('Terminating', 'Deleted')) {
      void this.finishDelete()
      return
    }
    if (this.machine.is('Held')) {
      pod.reason = 'PodFailure'
      this.emit('MODIFIED')
      return
    }
    const policy = this.service.spec.restartPolicy ?? 'Always'
    const restart = !this.ctx.stopping() && (policy === 'Always' || (policy === 'OnFailure' && exit.exitCode !== 0))
    if (!restart) {
      this.machine.to('Ended')
      pod.phase = exit.exitCode === 0 ? 'Succeeded' : 'Failed'
      pod.reason = undefined
      pod.message = exit.message
      this.emit('MODIFIED')
      return
    }
    this.machine.to('BackOff')
    pod.phase = this.everStarted ? 'Running' : 'Pending'
    const delay = this.backoff.delay(Date.parse(exit.finishedAt))
    const go = (): void => {
      this.restartTimer = undefined
      if (!this.machine.is('BackOff') || this.ctx.stopping()) return
      this.backoff.restarted(Date.now())
      pod.restartCount++
      this.start()
    }
    if (delay > 0) {
      pod.reason = 'CrashLoopBackOff'
      pod.message = `back-off ${formatMs(delay)} restarting failed container (last exit: ${exit.reason}${exit.message ? `: ${exit.message}` : ''})`
    } else {
      pod.reason = undefined
      pod.message = undefined
    }
    this.restartTimer = setTimeout(go, delay)
    this.emit('MODIFIED')
  }

  private async finishDelete(): Promise<void> {
    if (this.finished) return
    this.finished = true
    clearTimeout(this.killTimer)
    clearTimeout(this.restartTimer)
    clearTimeout(this.failTimer)
    if (this.preStopGroup !== undefined) killGroupPid(this.preStopGroup)
    await this.cgroup?.remove()
    this.ctx.watchdog?.delete(this.pod.uid)
    this.ctx.forget(this)
    this.logs.close()
    this.machine.to('Deleted')
    this.emit('DELETED')
    this.deleting?.resolve()
  }

  private killGroup(signal: NodeJS.Signals): void {
    const pid = this.child?.pid
    if (pid !== undefined) killGroupPid(pid, signal)
    if (signal === 'SIGKILL') {
      this.cgroup?.killAll()
      if (this.preStopGroup !== undefined) killGroupPid(this.preStopGroup)
    }
  }
}
