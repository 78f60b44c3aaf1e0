/**
 * @module verdict/types: the contract of `chaoscope run`: a Chaos Toolkit experiment run (steady-state hypothesis
 * before, during and after a method, rollbacks, a verdict), with Chaos Toolkit's journal, and the pieces the run
 * loop is made of. The loop (runner.ts) is written against these types only; providers, tolerances, variables
 * and the target each live in their own module.
 *
 *   experiment ─ vars.ts (configuration, secrets, --var, --var-file) ─▶ Values
 *              ─ runner.ts: before ─▶ method (+ background, + during) ─▶ after ─▶ rollbacks ─▶ Journal
 *                  each activity: substitute.ts ─▶ providers (http.ts, process.ts, python.ts ─▶ activities/*.ts)
 *                  each probe of the hypothesis: tolerance.ts
 *
 * The layer imports only leaves (manifest types, errors, …) and `load`; what it acts on (the controller, the
 * runtime's pods, logs and sidecars) comes in as a `Target`, built by the wiring from the API clients.
 */
import type { ChaosToolkitActivity, ChaosToolkitActivityDefinition, ChaosToolkitExperiment, ChaosToolkitTolerance } from '../manifest/chaos-toolkit.js'

export type { ChaosToolkitActivity, ChaosToolkitActivityDefinition, ChaosToolkitExperiment, ChaosToolkitTolerance }

/** Chaos Toolkit's strategies, spelled as `chaos run` spells them (`continously` is accepted there too). */
export type HypothesisStrategy = 'default' | 'before-method-only' | 'after-method-only' | 'during-method-only' | 'continuously'
export type RollbackStrategy = 'default' | 'always' | 'never' | 'deviated'
export type DryMode = 'probes' | 'actions' | 'activities' | 'pause'
export type JournalStatus = 'completed' | 'failed' | 'aborted' | 'interrupted'

/** Configuration values after loading (`${name}` looks here first), and secrets by scope. */
export interface Values {
  configuration: Record<string, unknown>
  secrets: Record<string, Record<string, unknown>>
}

/** What the observed value was next to what the tolerance wanted, in words (output and journal). */
export interface ToleranceCheck {
  met: boolean
  /** e.g. `status 500`, `$.error matched 1 value(s)`, `1520.3`. */
  observed: string
  /** e.g. `200`, `0 match(es) of $.error`, `between 0 and 300`. */
  expected: string
}

/** One activity's run, as Chaos Toolkit's journal records it. */
export interface ActivityRun {
  activity: ChaosToolkitActivityDefinition
  output: unknown
  start: string
  status: 'succeeded' | 'failed'
  end?: string
  /** Seconds. */
  duration?: number
  /** Python-style traceback lines; ours hold the error's message (and code). */
  exception?: string[]
  /** Only on the probes of a steady-state hypothesis. */
  tolerance_met?: boolean
  /** chaoscope's own: the tolerance's observed and expected values (probes of a hypothesis). */
  chaoscope?: { observed?: string; expected?: string; error?: { code: string; message: string } }
}

export interface SteadyState {
  steady_state_met: boolean | null
  probes: ActivityRun[]
}

/** The journal: chaostoolkit-lib's keys and values, so tools that read Chaos Toolkit journals read ours. */
export interface Journal {
  'chaoslib-version': string
  platform: string
  node: string
  experiment: ChaosToolkitExperiment
  start: string
  status: JournalStatus | null
  deviated: boolean
  steady_states: { before: SteadyState | null; after: SteadyState | null; during: SteadyState[] }
  run: ActivityRun[]
  rollbacks: ActivityRun[]
  end?: string
  /** Seconds. */
  duration?: number
  /** chaoscope's own: what ran it, and why it ended as it did. */
  chaoscope?: { version: string; reason?: string; warnings?: string[] }
}

/** An activity failed (Chaos Toolkit's ActivityFailed): the run records it and goes on. */
export class ActivityFailed extends Error {
  constructor(
    message: string,
    readonly code = 'ACTIVITY_FAILED',
  ) {
    super(message)
    this.name = 'ActivityFailed'
  }
}

/** A pod as the target shows it (the runtime's pod, reduced to what activities read). */
export interface TargetPod {
  name: string
  namespace: string
  service: string
  labels: Record<string, string>
  phase: string
  ready: boolean
  restarts: number
  /** host:port the pod listens on. */
  address?: string
  /** The pod's own id, where the target has one (a cluster's pod): a pod re-created under the same name differs. */
  uid?: string
  /** Its containers' names, where a pod has several (a cluster's); a local pod has one, named after its service. */
  containers?: string[]
}

export interface TargetLogLine {
  /** ISO 8601. */
  time: string
  stream: string
  text: string
}

/** One sidecar's counters at one moment (the runtime's `/runtime/v1/sidecars`, reduced). */
export interface SidecarSnapshot {
  name: string
  mode: string
  /** `source`, `destination` (service names; `hostport`/`ingress` for traffic from outside). */
  labels: Record<string, string>
  /** Requests by status class: `1xx`…`5xx`, `error` (no response). */
  requests: Record<string, number>
  /** Latency histogram: cumulative counts at upper bounds in seconds, as Prometheus buckets. */
  latency: { buckets: { le: number; count: number }[]; sum: number; count: number }
}

/** What an experiment acts on: the controller (Chaos Mesh resources) and the runtime (pods, logs, sidecars). */
export interface Target {
  /** Applies Chaos Mesh resources (YAML or JSON text); returns what was created or changed. */
  apply(text: string, file?: string): Promise<{ kind: string; namespace: string; name: string; action: string }[]>
  /** Deletes and waits until its faults are recovered; false when it did not exist. */
  delete(kind: string, namespace: string, name: string): Promise<boolean>
  pause(kind: string, namespace: string, name: string): Promise<void>
  resume(kind: string, namespace: string, name: string): Promise<void>
  /** Chaos Mesh resources now (kind and namespace optional), for rollbacks that delete by label. */
  list(query?: { kind?: string; namespace?: string; labelSelector?: string }): Promise<{ kind: string; metadata: { name: string; namespace: string; labels?: Record<string, string> } }[]>
  pods(query?: { namespace?: string; labelSelector?: string }): Promise<TargetPod[]>
  /** The pod's log; `namespace` and `container` matter where pod names repeat across namespaces or a pod has several containers (a cluster). */
  logs(pod: string, opts?: { tail?: number; namespace?: string; container?: string }): Promise<TargetLogLine[]>
  sidecars(): Promise<SidecarSnapshot[]>
}

/** Everything an activity's implementation gets besides its arguments. */
export interface ActivityContext {
  values: Values
  /** The target; undefined when no controller runs (then activities that need it fail, saying so). */
  target?: Target
  /** Aborted when the run is interrupted (SIGINT/SIGTERM) or the activity's time is up. */
  signal: AbortSignal
  /** `--allow-exec`: processes and the Python bridge may run. */
  allowExec: boolean
  /** The directory relative paths are read from (the current directory, as `chaos run`). */
  cwd: string
  /** `--no-verify-tls`. */
  verifyTls: boolean
  /** A line of progress (warnings, what an activity did). */
  log(line: string): void
  /** Runs a probe written inline in arguments (`chaoscope.probes.wait_for`), as the run loop runs any activity. */
  runProbe(probe: ChaosToolkitActivityDefinition): Promise<ActivityRun>
  /** Checks a value against a tolerance, as the hypothesis does. */
  checkTolerance(tolerance: ChaosToolkitTolerance, value: unknown): Promise<ToleranceCheck>
  /** Results of actions run so far in this run, by activity name (background load results, …). */
  results: Map<string, Promise<unknown>>
}

/**
 * A Python activity implemented here, by `module.func` (chaosk8s.*, chaosprometheus.*, chaoscope.*). Arguments
 * arrive substituted; `secrets` and `configuration` are not passed in (the context has them).
 */
export type PythonActivity = (args: Record<string, unknown>, ctx: ActivityContext) => Promise<unknown>

/** An activity that cannot run here (unknown Python module, process without --allow-exec), found before the run. */
export interface Refusal {
  activity: string
  /** JSON path of the activity in the experiment, e.g. `method[2]`. */
  path: string
  reason: string
  hint?: string
}

export interface RunOptions {
  hypothesisStrategy: HypothesisStrategy
  /** Seconds between two runs of the hypothesis during the method (`--hypothesis-frequency`, default 1). */
  hypothesisFrequency: number
  failFast: boolean
  rollbackStrategy: RollbackStrategy
  dry?: DryMode
  allowExec: boolean
  verifyTls: boolean
  cwd: string
}

/** Progress while it runs; the CLI prints a line for each. */
export type RunEvent =
  | { type: 'start'; title: string; hypothesisStrategy: HypothesisStrategy; rollbackStrategy: RollbackStrategy }
  | { type: 'phase'; phase: 'before' | 'method' | 'after' | 'during' | 'rollbacks'; iteration?: number }
  | { type: 'activity'; phase: 'before' | 'method' | 'after' | 'during' | 'rollbacks'; activity: ChaosToolkitActivityDefinition; background: boolean }
  | { type: 'pause'; activity: string; when: 'before' | 'after'; seconds: number; skipped: boolean }
  | { type: 'done'; phase: 'before' | 'method' | 'after' | 'during' | 'rollbacks'; run: ActivityRun; check?: ToleranceCheck }
  | { type: 'hypothesis'; phase: 'before' | 'after' | 'during'; met: boolean | null; state: SteadyState }
  | { type: 'skipped'; phase: 'rollbacks' | 'after' | 'method'; reason: string }
  | { type: 'warning'; message: string }
  /** What an activity said while it ran (a Python activity's print(), a note of an implementation). */
  | { type: 'log'; message: string }
  | { type: 'end'; journal: Journal }
