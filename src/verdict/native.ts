/**
 * @module verdict/native: chaoscope's Experiment (chaoscope.dev/v1alpha1, src/manifest/kinds/experiment.ts) compiled
 * into the Chaos Toolkit experiment the run loop (runner.ts) runs, so a native experiment gets Chaos Toolkit's
 * journal, verdict and exit codes. Every generated activity is one of chaoscope's Python-named activities
 * (activities/chaoscope.ts) or an HTTP probe, named so that the journal reads as the SLOs were written.
 *
 *   controls: the load (a background chaoscope.actions.load of the safeguards control: it runs from before the
 *             hypothesis before until the hypothesis after has been checked)
 *   steady-state-hypothesis: per SLO, throughput, errorRate, then each latency quantile, as range tolerances; HTTP probes
 *   method:    apply each fault, the last one followed by a pause of `duration`
 *              + with recovery: delete the faults (last first), then a background wait_for per probe (at most `within`)
 *   rollbacks: delete the faults, last first (with runtime.rollbacks.strategy always: after a failure or an interrupt too)
 */
import { ChaosError } from '../errors.js'
import { parseDuration } from '../manifest/duration.js'
import {
  DEFAULT_DURATION, DEFAULT_HTTP_STATUS, DEFAULT_HTTP_TIMEOUT, DEFAULT_WINDOW, EXPERIMENT_API_VERSION, QUANTILES, fractionOf, scopeOf,
} from '../manifest/kinds/experiment.js'
import type { ExperimentSpec, Fault, LoadSpec, QuantileKey, SloSpec } from '../manifest/kinds/experiment.js'
import type { Resource } from '../manifest/validate.js'
import type { ChaosToolkitActivityDefinition, ChaosToolkitExperiment, ChaosToolkitTolerance } from './types.js'

/** The upper bound of a throughput range (chaoslib's range needs two numbers). */
export const THROUGHPUT_CEILING = 1e12

/** How much longer than the planned run a load without a duration is sent for at most (the run stops it earlier). */
const LOAD_MARGIN_S = 600

/** What compileNative reads of an Experiment resource: its name and namespace, and its validated (defaulted) spec. */
export interface NativeResource {
  metadata: { name: string; namespace?: string }
  spec: ExperimentSpec
}

type Probe = ChaosToolkitActivityDefinition & { tolerance: ChaosToolkitTolerance }

const seconds = (text: string | number): number => (typeof text === 'number' ? text : parseDuration(String(text).trim())! / 1000)

function python(type: 'action' | 'probe', name: string, module: string, func: string, args: Record<string, unknown>): ChaosToolkitActivityDefinition {
  return { type, name, provider: { type: 'python', module, func, arguments: args } }
}

/** `0.01` → `1%`; a percent as written stays as written. */
function percentText(v: string | number): string {
  if (typeof v === 'string') return v.replace(/\s+/g, '')
  return `${Math.round(v * 1e8) / 1e6}%`
}

/** The probes of one SLO: throughput, then error rate, then each latency quantile in the order written. */
export function sloProbes(slo: SloSpec): Probe[] {
  if (slo.http) {
    const h = slo.http
    const method = h.method ?? 'GET'
    const status = h.status ?? DEFAULT_HTTP_STATUS
    return [{
      type: 'probe',
      name: `${method} ${h.url} returns ${status}`,
      provider: { type: 'http', url: h.url, method, ...(h.headers ? { headers: { ...h.headers } } : {}), timeout: seconds(h.timeout ?? DEFAULT_HTTP_TIMEOUT) },
      tolerance: status,
    }]
  }
  const scope = scopeOf(slo)!
  const where = scope.includes('->') ? { edge: scope } : { service: scope }
  const window = String(slo.window ?? DEFAULT_WINDOW)
  const out: Probe[] = []
  if (slo.throughput) {
    out.push({
      ...python('probe', `${scope} throughput >= ${slo.throughput.min} req/s`, 'chaoscope.probes', 'throughput', { ...where, window }),
      tolerance: { type: 'range', range: [slo.throughput.min, THROUGHPUT_CEILING] },
    })
  }
  if (slo.errorRate !== undefined) {
    out.push({
      ...python('probe', `${scope} error rate <= ${percentText(slo.errorRate)}`, 'chaoscope.probes', 'error_rate', { ...where, window }),
      tolerance: { type: 'range', range: [0, fractionOf(slo.errorRate)!] },
    })
  }
  for (const [q, limit] of Object.entries(slo.latency ?? {}) as [QuantileKey, string | number | undefined][]) {
    if (limit === undefined) continue
    out.push({
      ...python('probe', `${scope} ${q} latency <= ${limit}`, 'chaoscope.probes', 'latency', { ...where, quantile: QUANTILES[q], window }),
      tolerance: { type: 'range', range: [0, parseDuration(String(limit).trim())!] },
    })
  }
  return out
}

interface FaultRef {
  kind: string
  name: string
  ns: string
  manifest: Fault
}

const applyAction = (f: FaultRef): ChaosToolkitActivityDefinition =>
  python('action', `apply ${f.kind} ${f.name}`, 'chaoscope.actions', 'apply', { manifest: structuredClone(f.manifest) })

const deleteAction = (f: FaultRef): ChaosToolkitActivityDefinition =>
  python('action', `delete ${f.kind} ${f.name}`, 'chaoscope.actions', 'delete', { kind: f.kind, name: f.name, ns: f.ns })

/** A wait until `probe` meets its tolerance again, for at most `within`; in the background, so every SLO waits at once. */
function waitFor(probe: Probe, within: string): ChaosToolkitActivityDefinition {
  const { tolerance, ...inline } = probe
  return {
    ...python('probe', `${probe.name} again within ${within}`, 'chaoscope.probes', 'wait_for', { probe: inline, tolerance, within, interval: '1s' }),
    background: true,
  }
}

/** The load, as a background activity of the safeguards control: it starts before the hypothesis before. */
function loadControl(load: LoadSpec, plannedS: number): NonNullable<ChaosToolkitExperiment['controls']>[number] {
  const args: Record<string, unknown> = {
    url: load.url,
    rate: load.rate,
    duration: load.duration !== undefined ? String(load.duration) : `${Math.ceil(plannedS) + LOAD_MARGIN_S}s`,
    ...(load.method ? { method: load.method } : {}),
    ...(load.headers ? { headers: { ...load.headers } } : {}),
    ...(load.body !== undefined ? { body: load.body } : {}),
    ...(load.timeout !== undefined ? { timeout: String(load.timeout) } : {}),
  }
  return {
    name: 'chaoscope-load',
    provider: {
      type: 'python',
      module: 'chaosaddons.controls.safeguards',
      arguments: {
        probes: [{
          ...python('action', `load ${load.url} at ${load.rate} req/s`, 'chaoscope.actions', 'load', args),
          background: true,
          // any outcome of the load itself passes; a load that fails to run interrupts the experiment
          tolerance: { type: 'jsonpath', path: '$' },
        }],
      },
    },
  }
}

/**
 * The Chaos Toolkit experiment of a validated Experiment: what `chaoscope run` runs for it (see the module's header).
 *
 * @example compileNative({ metadata: { name: 'front-holds' }, spec }).method[0].name // 'apply NetworkChaos middle-slow'
 */
export function compileNative(resource: NativeResource): ChaosToolkitExperiment {
  const { spec, metadata } = resource
  const namespace = metadata.namespace ?? 'default'
  const title = spec.title ?? metadata.name
  const duration = String(spec.duration ?? DEFAULT_DURATION)
  const within = spec.recovery ? String(spec.recovery.within) : undefined

  const probes = spec.hypothesis.flatMap(sloProbes)
  const faults: FaultRef[] = spec.faults.map((f) => ({ kind: f.kind, name: f.metadata.name!, ns: f.metadata.namespace ?? namespace, manifest: f }))
  const method = faults.map(applyAction)
  method[method.length - 1]!.pauses = { after: seconds(duration) }
  const removeAll = () => [...faults].reverse().map(deleteAction)
  if (within !== undefined) method.push(...removeAll(), ...probes.map((p) => waitFor(p, within)))

  const windows = spec.hypothesis.filter((s) => !s.http).map((s) => seconds(s.window ?? DEFAULT_WINDOW))
  const longest = Math.max(0, ...windows)
  const plannedS = longest + seconds(duration) + (within !== undefined ? seconds(within) : 0) + longest

  const summary = `${faults.map((f) => `${f.kind} ${f.name}`).join(', ')} for ${duration}${within !== undefined ? `, then recovery within ${within}` : ''}`
  return {
    version: '1.0.0',
    title,
    description: spec.description ?? `chaoscope Experiment ${namespace}/${metadata.name}: ${summary}`,
    ...(spec.tags && spec.tags.length > 0 ? { tags: [...spec.tags] } : {}),
    extensions: [{ name: 'chaoscope', compiledFrom: { apiVersion: EXPERIMENT_API_VERSION, kind: 'Experiment', name: metadata.name, namespace } }],
    runtime: { rollbacks: { strategy: 'always' } },
    ...(spec.load ? { controls: [loadControl(spec.load, plannedS)] } : {}),
    'steady-state-hypothesis': { title, probes },
    method,
    rollbacks: removeAll(),
  }
}

/**
 * The Chaos Toolkit experiment of an Experiment resource as validatePaths returns it (validated, defaults applied).
 * Throws ChaosError CTK_INVALID_EXPERIMENT for a resource of another kind.
 */
export function nativeExperiment(resource: Resource): ChaosToolkitExperiment {
  if (resource.apiVersion !== EXPERIMENT_API_VERSION || resource.kind !== 'Experiment') {
    throw new ChaosError('CTK_INVALID_EXPERIMENT', `${resource.source.file}: ${resource.kind} ${resource.metadata.name} is not an Experiment (${EXPERIMENT_API_VERSION})`, {
      hint: 'chaoscope run takes a Chaos Toolkit experiment or a chaoscope Experiment; apply Chaos Mesh resources with `chaoscope apply -f`',
    })
  }
  return compileNative({ metadata: resource.metadata, spec: resource.spec as unknown as ExperimentSpec })
}
