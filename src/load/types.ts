/**
 * @module load/types: what a load run is given and what it gives back. Plain data throughout: a plan crosses to
 * the worker threads as it is, and a result is what `chaoscope load -o json` prints.
 */

/**
 * One stretch of the arrival rate: it goes linearly from `from` to `to` requests (or flow iterations) per second
 * over `durationMs`. A constant rate is a stage with from === to; a step is two stages back to back.
 */
export interface Stage {
  durationMs: number
  from: number
  to: number
}

/** Think time after a step: uniform in [minMs, maxMs]. */
export interface Think {
  minMs: number
  maxMs: number
}

/**
 * One request of a flow. `path`, header values and `body` may hold `{{name}}` placeholders: a var of the flow
 * file (one of its values, drawn once per iteration, so the product viewed is the product added to the cart) or
 * the built-ins `{{iteration}}` (a number unique in the run) and `{{vu}}` (the virtual user's number).
 */
export interface StepPlan {
  /** For the per-step table; defaults to "METHOD path" as written. */
  name: string
  method: string
  /** A path (joined to the run's base URL) or an absolute http:// URL. */
  path: string
  headers: Record<string, string>
  body?: string
  /** Status codes that count as success; left out: 2xx and 3xx. */
  expect?: number[]
  /** Waited after this step's response, before the next step (or the next iteration in the closed model). */
  think?: Think
}

export interface FlowPlan {
  name: string
  /** Relative share of iterations that run this flow. */
  weight: number
  steps: StepPlan[]
}

/** What a flow file holds, compiled: the steps of every flow and the values each var draws from. */
export interface FlowSet {
  flows: FlowPlan[]
  vars: Record<string, string[]>
  /** Settings the file carries; command-line flags win over them. */
  defaults: FlowDefaults
}

export interface FlowDefaults {
  target?: string
  stages?: Stage[]
  /** Closed model: this many virtual users. */
  users?: number
  durationMs?: number
  timeoutMs?: number
  headers?: Record<string, string>
}

/** A whole run, as `runLoad` takes it. */
export interface LoadPlan {
  /** Base URL: the target of a single-request run, or what flow paths are joined to. http:// only. */
  url: string
  /** One request repeated (method, headers, body), used when `flows` is absent. */
  method: string
  headers: Record<string, string>
  body?: string
  flows?: FlowSet
  /** Open model: the arrival rate; absent: the closed model. */
  stages?: Stage[]
  /** Open model: the most connections opened (lazily). Closed model: the virtual users, one connection each. */
  connections: number
  /** Stop sending after this long; absent with `requests`: until the count is reached. */
  durationMs?: number
  /** Stop sending after this many requests (or flow iterations). */
  requests?: number
  /** Per request, from when it is written to when its response has ended. */
  timeoutMs: number
  /** Worker threads. */
  workers: number
  /** A send this much later than its intended time counts as late. */
  lateAfterMs: number
}

/** Latency figures in milliseconds. */
export interface Quantiles {
  p50: number
  p90: number
  p99: number
  p999: number
  max: number
  min: number
  mean: number
}

export interface SecondStats {
  /** Seconds since the start (the second in which the responses ended). */
  t: number
  /** Requests that ended in this second (with a response or an error). */
  requests: number
  /** Requests sent in this second. */
  sent: number
  statusClasses: Record<string, number>
  errors: number
  latency: Pick<Quantiles, 'p50' | 'p90' | 'p99' | 'max'>
}

export interface StepStats {
  flow: string
  name: string
  requests: number
  failed: number
  latency: Pick<Quantiles, 'p50' | 'p90' | 'p99' | 'max'>
}

export interface LoadResult {
  url: string
  model: 'open' | 'closed'
  /** The open model's rate over the send phase (its mean; with flows, of iterations), or null in the closed model. */
  targetRate: number | null
  /** Requests sent (every one ends as a response or an error). */
  requests: number
  /** Requests (with flows: iterations) started per second of the send phase. */
  achievedRate: number
  /** Responses that counted as success per second, from the first send to the last response. */
  throughput: number
  /** Share of requests that got a successful response (2xx or 3xx, or the step's `expect`). */
  success: number
  /** Requests that got no response: connection errors and timeouts (dropped sends are counted apart). */
  errors: number
  errorKinds: Record<string, number>
  statusCodes: Record<string, number>
  /** From each request's intended send time to the end of its response (open model: no coordinated omission). */
  latency: Quantiles
  /** From the request's actual write to the end of its response (what a closed-loop tool reports). */
  serviceTime: Quantiles
  /** Open model: sends later than `lateAfterMs` after their intended time. */
  late: number
  /** Open model: intended sends never made (no free connection before the timeout or the end). */
  dropped: number
  /** Flow iterations started and finished; 0 for a single-request run. */
  iterations: { started: number; completed: number }
  bytesIn: number
  bytesOut: number
  /** Wall time of the send phase and of the whole run, in seconds. */
  duration: { send: number; total: number }
  perSecond: SecondStats[]
  steps: StepStats[]
  /** The latency histogram, HdrHistogram's compressed base-64 form (microseconds), for tools that merge runs. */
  histogram: string
}

/** What a run reports while it goes, about once a second. */
export interface LoadProgress {
  elapsedMs: number
  plannedMs: number | undefined
  sent: number
  done: number
  errors: number
  inFlight: number
  /** The last second's figures. */
  last: SecondStats | undefined
}
