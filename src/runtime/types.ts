/**
 * @module runtime/types: the data that crosses the runtime's boundary (plain JSON, the same in-process and over
 * the control API): pods as the runtime shows them, and effects. Clients (the controller, the API, the CLI)
 * import these and src/runtime/client.ts, never the daemon's code.
 */
import type { Pod } from './process/types.js'

export type { Pod, PodExit, PodLimits, PodNetworkPlan, PodPhase, ExitReason, WaitingReason } from './process/types.js'

/**
 * A pod as `get pods` shows it: the supervisor's view plus where callers reach it. Its network is the supervisor's
 * (Pod): `podIP` and `hostIP` (its own and the host end of its link in a namespace of its own, else 127.0.0.1),
 * `netns` when it has a namespace, `networkReason` when it asked for one and shares the host's network instead.
 */
export interface RuntimePod extends Pod {
  /**
   * `127.0.0.1:<port>` of the pod's ingress sidecar: the pod's address for everything that calls it (for a pod in a
   * namespace of its own, the only way in; on the host's network, `127.0.0.1:<port>` bypasses its faults).
   */
  address?: string
  /** Set for an external service's pseudo-pod: the address its sidecar fronts. */
  external?: string
  /** Its service's protocol: the mode of its sidecars (`http` sidecars can take HTTP faults). */
  protocol?: 'tcp' | 'http'
  /** The port its service declares (the container port callers use), when it declares one. */
  containerPort?: number
  /** The services it calls: it has one egress sidecar for each. */
  dependencies?: string[]
  /**
   * The fault library (LD_PRELOAD) that TimeChaos, IOChaos and DNSChaos act through: whether the pod's running
   * container has loaded it (read from its memory map), or why not. Absent for external pods and while no
   * container runs.
   */
  faultLibrary?: { loaded: boolean; reason?: string }
}

/** Where an effect acts: a pod (its ingress sidecar, its process), or one edge (the pod's calls to a dependency). */
export interface EffectTarget {
  pod: string
  /** A dependency service name: the pod's egress sidecar for it. Absent: the pod itself / its ingress. */
  edge?: string
}

/** Who an effect belongs to: the controller that made it, the experiment (uid) and the record (target key). */
export interface EffectOwner {
  controller?: string
  experiment: string
  record: string
}

/**
 * An effect as a client asks for it. `type` names a module of src/runtime/effects/ (sidecar-fault, pod-failure,
 * pod-kill, container-kill, ...); `body` is that module's own, checked by the runtime.
 */
export interface EffectSpec<B = unknown> {
  /** Unique in the runtime. */
  id: string
  type: string
  target: EffectTarget
  owner?: EffectOwner
  /** Ms since the epoch at which the runtime removes the effect by itself. */
  expiresAt?: number
  body: B
}

/** An effect the runtime holds, with when it was applied and what it observed so far (what it touched). */
export interface HeldEffect<B = unknown> extends EffectSpec<B> {
  appliedAt: number
  observed?: Record<string, unknown>
  /** Set on an effect that no longer acts (listed only when asked for): when and why it ended; `observed` is its last. */
  ended?: { at: number; reason: 'expired' | 'removed' | 'pod-gone' }
}

/** What applying an effect did: a held effect, or (one-shot, or already expired) the facts of what was done. */
export type ApplyOutcome = { held: true; effect: HeldEffect } | { held: false; result: Record<string, unknown> }

/**
 * One request through one http sidecar, kept while the runtime traces (OTEL_* env): its span's ids, so a report
 * can show the trace of a request that went wrong, and what the sidecar saw of it. A sidecar keeps the newest
 * that failed or that a fault acted on, and the slowest few of the last second.
 */
export interface Exemplar {
  traceId: string
  spanId: string
  /** The caller's span, from the incoming traceparent; absent when this hop started the trace. */
  parentSpanId?: string
  /** The sidecar's name: the pod for an ingress sidecar, pod>dependency for an egress one. */
  sidecar: string
  /** The calling service (`ingress` or `hostport` for those sidecars), when the sidecar is labelled. */
  source?: string
  destination?: string
  method: string
  path: string
  /** The status the client got; 0 when it got no response. */
  status: number
  /** When the request head arrived, ms since the epoch (fractional). */
  start: number
  durationMs: number
  /** Ids of the http faults that acted on the request or its response. */
  faults: string[]
  /** Why it was kept: a fault acted, it failed (status 0 or 5xx), or it was among the slowest. */
  reason: 'fault' | 'failed' | 'slow'
}
