/** @module runtime/process/types: what the pod supervisor reports about a pod (the shape `get pods` and the sidecars read). */

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed'

/**
 * Why a container stopped: `Completed` (exit 0), `Error` (non-zero exit), `Killed` (ended by a signal; exit code
 * 128 + signal number, as a shell shows it), `OOMKilled` (the kernel killed it at its memory limit),
 * `ContainerCannotRun` (it never started: missing executable, bad working directory, cgroup refused).
 */
export type ExitReason = 'Completed' | 'Error' | 'Killed' | 'OOMKilled' | 'ContainerCannotRun'

/**
 * Why a pod that is not running is not: `ContainerCreating` (being set up), `CrashLoopBackOff` (waiting out the
 * restart back-off), `PodFailure` (held down by pod-failure chaos), `Terminating` (being stopped),
 * `CreateContainerConfigError` (its environment could not be prepared; not retried).
 */
export type WaitingReason = 'ContainerCreating' | 'CrashLoopBackOff' | 'PodFailure' | 'Terminating' | 'CreateContainerConfigError'

export interface PodExit {
  reason: ExitReason
  exitCode: number
  /** The signal that ended it (`SIGKILL`), when one did. */
  signal?: string
  message?: string
  startedAt?: string
  finishedAt: string
}

export interface PodLimits {
  cpu?: string
  memory?: string
  /** True when the kernel enforces them (a cgroup of the pod's own). */
  enforced: boolean
  /** Why they are not enforced. */
  reason?: string
}

/** A snapshot: the supervisor hands out copies, never its own state. */
export interface Pod {
  namespace: string
  name: string
  uid: string
  /** The service it belongs to. */
  service: string
  labels: Record<string, string>
  annotations: Record<string, string>
  phase: PodPhase
  ready: boolean
  restartCount: number
  /** When the pod was created (ISO 8601). */
  startTime: string
  /** When the current container started, while one runs. */
  startedAt?: string
  reason?: WaitingReason
  message?: string
  lastExit?: PodExit
  /** pid of the running container (also its process group id). */
  pid?: number
  /**
   * The port the pod must listen on (its `$PORT`), stable across restarts: on the host's network a loopback port of
   * its own; in a network namespace of its own, its service's declared port.
   */
  port: number
  /** The pod's address (`$POD_IP`): its veth's in a namespace of its own, else 127.0.0.1. Set before ADDED. */
  podIP?: string
  /** Where the pod reaches the host, so its egress sidecars: the host end of its veth, else 127.0.0.1. */
  hostIP?: string
  /** The name (`ip netns list`) of the pod's network namespace, when it has one. */
  netns?: string
  /** Why the pod shares the host's network although its service asked for a namespace of its own. */
  networkReason?: string
  /** Set when the service declares limits. */
  limits?: PodLimits
  /** The pod's cgroup directories, when it has a cgroup (StressChaos places stressors there). */
  cgroups?: string[]
}

/**
 * A pod's network as the runtime gives it (StartOptions.network): a namespace of its own, entered by the launch
 * chain, or the host's network with the reason a namespace was not made.
 */
export interface PodNetworkPlan {
  podIP: string
  hostIP: string
  netns?: { name: string; path: string }
  reason?: string
}

export interface PodEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED'
  pod: Pod
}

/** `limits: enforced (cpu=500m memory=64Mi)` or `limits: not enforced (not running as root) (cpu=500m)`, for `get pods`. */
export function describeLimits(limits: PodLimits | undefined): string {
  if (!limits) return 'limits: none'
  const what = [limits.cpu !== undefined ? `cpu=${limits.cpu}` : '', limits.memory !== undefined ? `memory=${limits.memory}` : ''].filter(Boolean).join(' ')
  return limits.enforced ? `limits: enforced (${what})` : `limits: not enforced (${limits.reason ?? 'unknown reason'}) (${what})`
}
