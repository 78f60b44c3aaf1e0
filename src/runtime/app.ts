/**
 * @module runtime/app: the services the runtime runs, as the runtime needs them. The App file's validated spec
 * (manifest/kinds/app) has this shape; the runtime keeps its own declaration so that it never depends on the
 * layer that reads files (the wiring hands the validated spec over, and the compiler checks that it fits).
 */

export interface ProbeConfig {
  httpGet?: { path?: string; port?: number }
  tcpSocket?: { port?: number }
  initialDelaySeconds?: number
  periodSeconds?: number
  timeoutSeconds?: number
  successThreshold?: number
  failureThreshold?: number
}

export interface ServiceConfig {
  name: string
  namespace?: string
  command?: string[]
  args?: string[]
  workingDir?: string
  env?: Record<string, string>
  /** An address already listening on loopback: fronted by sidecars, not run. */
  external?: string
  port?: number
  hostPort?: number
  protocol?: 'tcp' | 'http'
  replicas?: number
  labels?: Record<string, string>
  annotations?: Record<string, string>
  restartPolicy?: 'Always' | 'OnFailure' | 'Never'
  terminationGracePeriodSeconds?: number
  readinessProbe?: ProbeConfig
  resources?: { limits?: { cpu?: string; memory?: string } }
  dependencies?: string[]
  /** Preload chaoscope's fault library into the pods (default true). */
  preload?: boolean
  /** `namespace`: each pod gets a network namespace of its own (needs root); `host` (default): pods share loopback. */
  network?: 'host' | 'namespace'
  /** Variables read from .env files (relative to the App file), under `env`: a later file wins over an earlier one. */
  envFrom?: { file: string; prefix?: string; optional?: boolean }[]
  /** The user and group the pods run as (names or ids); the runtime must run as root to change them. */
  securityContext?: { runAsUser?: number | string; runAsGroup?: number | string }
  lifecycle?: {
    /** Run in the pod before it is signalled to stop, within the grace period. */
    preStop?: { exec: { command: string[] } }
    /** What stops the pod gracefully (default SIGTERM); SIGKILL follows at the end of the grace period. */
    stopSignal?: string
  }
}

/**
 * Proxy mode: a named listener in front of an address that already runs (a local database, a compose service).
 * It is a pod to selectors (named `name`, labelled `app: <name>` and its own labels), and Chaos Mesh's network and
 * HTTP faults act on its sidecar; nothing is run.
 */
export interface ProxyConfig {
  name: string
  namespace?: string
  /** `host:port` it listens on (port 0: a free one; host empty, `0.0.0.0` or `[::]`: every address). */
  listen: string
  /** `host:port` on this machine it forwards to. */
  upstream: string
  protocol?: 'tcp' | 'http'
  labels?: Record<string, string>
  annotations?: Record<string, string>
  /** false: declared but not listening (Toxiproxy's `enabled`). Default true. */
  enabled?: boolean
}

export interface AppConfig {
  services?: ServiceConfig[]
  proxies?: ProxyConfig[]
}

/** A validated App resource: its name and namespace, and its services. */
export interface AppResource {
  metadata: { name: string; namespace?: string }
  spec: AppConfig
}
