/**
 * @module manifest/kinds/experiment: chaoscope's Experiment (chaoscope.dev/v1alpha1), the short form of an experiment
 * for `chaoscope run`: a hypothesis written as SLOs on the golden signals of services and edges (and plain HTTP
 * probes), optional background load, the Chaos Mesh faults written out in full, how long they stay, and an optional
 * recovery bound. src/verdict/native.ts compiles a validated one into a Chaos Toolkit experiment.
 *
 *   spec ─ schema (each fault's spec by its kind's schema, chosen by `kind`) ─▶ rules: SLOs, durations, percents,
 *          URLs, the faults' apiVersion, kind, name and their kind's own rules ─▶ defaults (window, duration, the
 *          faults' namespaces and their kind's defaults)
 *
 * Faults are checked as `chaoscope validate` checks them on their own, at their own lines: the schema of the fault's
 * kind is part of this kind's schema, and the kind's rules run on the fault's spec.
 */
import type { TSchema } from '@sinclair/typebox'
import type { ErrorCode } from '../../errors.js'
import { parseDuration } from '../duration.js'
import { didYouMean } from '../issues.js'
import type { FieldPath } from '../issues.js'
import { defineKind } from '../kind.js'
import type { CheckContext, KindDefinition, ObjectMeta } from '../kind.js'
import { arr, map, num, obj, oneOf, opt, str, unsafe } from '../schema-kit.js'
import type { Static } from '../schema-kit.js'
import { describeValue } from '../schema-issues.js'
import { objectMeta } from './common.js'
import { EMBEDDED_CHAOS } from './embed.js'
import { targetProblem } from './load-profile.js'
import { schedule } from './schedule.js'
import { workflow } from './workflow.js'

export const EXPERIMENT_API_VERSION = 'chaoscope.dev/v1alpha1'
export const FAULT_API_VERSION = 'chaos-mesh.org/v1alpha1'

/** The latency keys of an SLO and the quantile each stands for (`max`: the slowest request, quantile 1). */
export const QUANTILES = { p50: 0.5, p90: 0.9, p95: 0.95, p99: 0.99, max: 1 } as const
export type QuantileKey = keyof typeof QUANTILES
export const QUANTILE_KEYS = Object.keys(QUANTILES) as QuantileKey[]

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const

/** Defaults the kind fills in. */
export const DEFAULT_WINDOW = '10s'
export const DEFAULT_DURATION = '30s'
export const DEFAULT_HTTP_TIMEOUT = '5s'
export const DEFAULT_HTTP_STATUS = 200

/** The kinds a fault may be: every chaos kind, and the Schedule and Workflow that create them. */
export const FAULT_KINDS: Readonly<Record<string, KindDefinition>> = {
  ...Object.fromEntries(Object.values(EMBEDDED_CHAOS).map((e) => [e.kind, e.definition])),
  Schedule: schedule,
  Workflow: workflow,
}
export const FAULT_KIND_NAMES = Object.keys(FAULT_KINDS).sort()

// ---- the schema ---------------------------------------------------------------------------------------------------

/** A duration ("300ms", "10s"); numbers pass the schema so that the rule can say which unit to write. */
const durationValue = unsafe<string | number>({ type: ['string', 'number'] })
/** "1%" or a fraction (0.01). */
const percentValue = unsafe<string | number>({ type: ['string', 'number'] })

export const latencySpec = obj({
  p50: opt(durationValue),
  p90: opt(durationValue),
  p95: opt(durationValue),
  p99: opt(durationValue),
  max: opt(durationValue),
})
export type LatencySpec = Static<typeof latencySpec>

export const httpSloSpec = obj({
  url: str(),
  /** The status the answer must have (default 200). */
  status: opt(unsafe<number>({ type: 'integer', minimum: 100, maximum: 599 })),
  method: opt(oneOf(HTTP_METHODS)),
  headers: opt(map(str())),
  /** Per request (default 5s). */
  timeout: opt(durationValue),
})
export type HttpSloSpec = Static<typeof httpSloSpec>

/** One SLO: the golden signals of a service (traffic into it) or an edge ("src->dst") over a window, or an HTTP probe. */
export const sloSpec = obj({
  service: opt(str()),
  edge: opt(str()),
  window: opt(durationValue),
  /** Each quantile at most this. */
  latency: opt(latencySpec),
  /** At most this share of requests answered 5xx or not at all. */
  errorRate: opt(percentValue),
  /** At least this many requests per second. */
  throughput: opt(obj({ min: num({ minimum: 0 }) })),
  http: opt(httpSloSpec),
})
export type SloSpec = Static<typeof sloSpec>

export const loadSpec = obj({
  /** http:// on loopback. */
  url: str(),
  /** Requests started per second. */
  rate: unsafe<number>({ type: 'number', exclusiveMinimum: 0 }),
  /** Default: as long as the run (until the hypothesis after has been checked). */
  duration: opt(durationValue),
  method: opt(oneOf(HTTP_METHODS)),
  headers: opt(map(str())),
  body: opt(str()),
  /** Per request. */
  timeout: opt(durationValue),
})
export type LoadSpec = Static<typeof loadSpec>

export interface Fault {
  apiVersion: string
  kind: string
  metadata: ObjectMeta
  spec: Record<string, unknown>
}

/** A Chaos Mesh resource; its spec is checked by the schema of its kind, picked by `kind`. */
const faultSpec = unsafe<Fault>({
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: { apiVersion: str(), kind: str(), metadata: objectMeta, spec: { type: 'object' } },
  allOf: Object.entries(FAULT_KINDS).map(([kind, def]) => ({
    if: { type: 'object', required: ['kind'], properties: { kind: { const: kind } } },
    then: { type: 'object', properties: { spec: def.spec as TSchema } },
  })),
})

export const experimentSpec = obj({
  /** Default: metadata.name. */
  title: opt(str({ minLength: 1 })),
  description: opt(str()),
  tags: opt(arr(str({ minLength: 1 }))),
  hypothesis: arr(sloSpec, { minItems: 1 }),
  load: opt(loadSpec),
  faults: arr(faultSpec, { minItems: 1 }),
  /** How long the faults stay before the hypothesis after (default 30s). */
  duration: opt(durationValue),
  /** After the faults are removed, the hypothesis must hold again within this. */
  recovery: opt(obj({ within: durationValue })),
})
export type ExperimentSpec = Static<typeof experimentSpec>

// ---- values -------------------------------------------------------------------------------------------------------

type Report = (path: FieldPath, code: ErrorCode, message: string, hint?: string, opts?: { key?: boolean }) => void

/**
 * The milliseconds of a duration written in an Experiment, or undefined after reporting why not. A bare number is
 * refused with the unit to write (`unit`: "ms" for latencies, "s" for the rest).
 */
export function durationOf(value: unknown, path: FieldPath, report: Report, unit: 'ms' | 's' = 's'): number | undefined {
  const like = unit === 'ms' ? '"300ms"' : '"10s"'
  if (typeof value === 'number') {
    report(path, 'SPEC_TYPE', `expected a duration like ${like}, got number ${value}`, `write the unit: "${value}${unit}"`)
    return undefined
  }
  if (typeof value !== 'string') {
    report(path, 'SPEC_TYPE', `expected a duration like ${like}, got ${describeValue(value)}`)
    return undefined
  }
  const ms = parseDuration(value.trim())
  if (ms === undefined) {
    report(path, 'SPEC_INVALID_DURATION', `expected a duration like ${like}, got ${JSON.stringify(value)}`, 'units are ns, us, ms, s, m and h; combine them like "1m30s"')
    return undefined
  }
  if (ms <= 0) {
    report(path, 'SPEC_OUT_OF_RANGE', `must be longer than 0, got ${JSON.stringify(value)}`)
    return undefined
  }
  return ms
}

/** `"1%"` → 0.01, `0.01` → 0.01; undefined when it is neither a percent nor a fraction from 0 to 1. */
export function fractionOf(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 && value <= 1 ? value : undefined
  const m = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(value)
  if (!m) return undefined
  const n = Number(m[1])
  return n <= 100 ? Math.round(n * 1e6) / 1e8 : undefined
}

function checkPercent(value: unknown, path: FieldPath, report: Report): void {
  if (typeof value === 'number') {
    if (!(value >= 0 && value <= 1)) report(path, 'SPEC_OUT_OF_RANGE', `expected a fraction from 0 to 1, got number ${value}`, value > 1 && value <= 100 ? `for ${value} percent write "${value}%"` : undefined)
    return
  }
  if (typeof value !== 'string') return
  const m = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(value)
  if (!m) {
    const bare = value.trim() !== '' && Number.isFinite(Number(value))
    report(path, 'SPEC_INVALID_VALUE', `expected a percent like "1%" or a fraction like 0.01, got ${JSON.stringify(value)}`, bare ? `write "${value.trim()}%"` : undefined)
  } else if (Number(m[1]) > 100) {
    report(path, 'SPEC_OUT_OF_RANGE', `expected a percent from 0% to 100%, got ${JSON.stringify(value)}`)
  }
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const EDGE = /^\s*([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)\s*->\s*([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)\s*$/

/** `"front -> middle"` → `{ source: 'front', destination: 'middle' }`, or undefined. */
export function parseEdge(text: string): { source: string; destination: string } | undefined {
  const m = EDGE.exec(text)
  return m ? { source: m[1]!, destination: m[2]! } : undefined
}

/** The scope an SLO reads, as the activities name it: `front` or `front->middle`; undefined for an http SLO. */
export function scopeOf(slo: SloSpec): string | undefined {
  if (slo.service !== undefined) return slo.service
  if (slo.edge !== undefined) {
    const e = parseEdge(slo.edge)
    return e ? `${e.source}->${e.destination}` : slo.edge
  }
  return undefined
}

// ---- rules --------------------------------------------------------------------------------------------------------

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)

const SIGNALS = ['latency', 'errorRate', 'throughput'] as const
const SCOPES = ['service', 'edge', 'http'] as const

/** The Experiment's rules beyond its schema; each part is checked when its own schema passed, so every mistake shows at once. */
export function checkExperiment(spec: ExperimentSpec, ctx: CheckContext): void {
  const report: Report = (path, code, message, hint, opts) => ctx.issue(path, code, message, hint, opts)
  const clean = (path: FieldPath) => ctx.clean(path)

  let durationMs: number | undefined = parseDuration(DEFAULT_DURATION)
  if (spec.duration !== undefined) durationMs = clean(['duration']) ? durationOf(spec.duration, ['duration'], report) : undefined
  let withinMs: number | undefined
  if (isObj(spec.recovery) && spec.recovery.within !== undefined && clean(['recovery', 'within'])) withinMs = durationOf(spec.recovery.within, ['recovery', 'within'], report)

  if (Array.isArray(spec.hypothesis)) {
    const seen = new Map<string, number>()
    const defaultWindows: number[] = []
    spec.hypothesis.forEach((slo, i) => {
      if (isObj(slo)) checkSlo(slo as SloSpec, ['hypothesis', i], { durationMs, withinMs, seen, index: i, defaultWindows }, report, clean)
    })
    const windowMs = parseDuration(DEFAULT_WINDOW)!
    const which = defaultWindows.map((i) => `hypothesis[${i}]`).join(', ')
    if (defaultWindows.length > 0 && durationMs !== undefined && durationMs < windowMs) {
      report(['duration'], 'SPEC_INVALID_VALUE', `duration is shorter than the ${DEFAULT_WINDOW} window of ${which}: the hypothesis after would also measure traffic from before the faults`, `make duration at least ${DEFAULT_WINDOW}, or give those SLOs a shorter window`)
    }
    if (defaultWindows.length > 0 && withinMs !== undefined && withinMs <= windowMs) {
      report(['recovery', 'within'], 'SPEC_INVALID_VALUE', `recovery.within is not longer than the ${DEFAULT_WINDOW} window of ${which}: right after the faults are removed the window still holds their traffic, so the recovery could not show in time`, `make recovery.within longer than ${DEFAULT_WINDOW}, or give those SLOs a shorter window`)
    }
  }
  if (isObj(spec.load) && clean(['load'])) checkLoad(spec.load as LoadSpec, report)
  if (Array.isArray(spec.faults)) {
    const seen = new Map<string, number>()
    spec.faults.forEach((f, i) => checkFault(f, i, seen, ctx))
  }
}

interface SloContext {
  durationMs: number | undefined
  withinMs: number | undefined
  /** Signal identities (`front|latency|p99`, whatever the window) → the SLO that checks them first. */
  seen: Map<string, number>
  index: number
  /** SLOs on the default window, whose relation to duration and recovery is reported once, there. */
  defaultWindows: number[]
}

function checkSlo(slo: SloSpec, p: FieldPath, c: SloContext, report: Report, clean: (path: FieldPath) => boolean): void {
  const scopes = SCOPES.filter((k) => slo[k] !== undefined)
  if (scopes.length === 0) {
    report(p, 'SPEC_REQUIRED', 'an SLO names what it checks: service (traffic into a service), edge ("front->middle") or http (a probe)', '{service: front, latency: {p99: 300ms}}  or  {http: {url: "http://127.0.0.1:30080/"}}')
    return
  }
  for (const k of scopes.slice(1)) {
    report([...p, k], 'SPEC_INVALID_VALUE', `an SLO checks one thing: it has ${scopes[0]} already`, 'split it into two SLOs', { key: true })
  }
  const scope = scopes[0]!
  const dup = (id: string, path: FieldPath, what: string) => {
    const first = c.seen.get(id)
    if (first !== undefined) report(path, 'SPEC_DUPLICATE_NAME', `${what} is also checked by hypothesis[${first}]`, 'keep one of them', { key: true })
    else c.seen.set(id, c.index)
  }

  if (scope === 'http') {
    for (const k of ['window', ...SIGNALS] as const) {
      if (slo[k] !== undefined) report([...p, k], 'SPEC_INVALID_VALUE', `${k} belongs to an SLO on a service or an edge, not to an http probe`, 'write it in an SLO of its own: {service: front, ...}', { key: true })
    }
    const h = slo.http
    if (!isObj(h) || !clean([...p, 'http'])) return
    const http = h as HttpSloSpec
    if (!URL.canParse(http.url) || !/^https?:$/.test(new URL(http.url).protocol)) {
      report([...p, 'http', 'url'], 'SPEC_INVALID_VALUE', `${JSON.stringify(http.url)} is not an http:// or https:// URL`, 'write it like http://127.0.0.1:30080/')
    }
    if (http.timeout !== undefined) durationOf(http.timeout, [...p, 'http', 'timeout'], report)
    dup(`http|${http.method ?? 'GET'}|${http.url}|${http.status ?? DEFAULT_HTTP_STATUS}`, [...p, 'http'], `${http.method ?? 'GET'} ${http.url}`)
    return
  }

  // a service or an edge
  let name: string | undefined
  if (scope === 'service' && typeof slo.service === 'string' && clean([...p, 'service'])) {
    if (!DNS_LABEL.test(slo.service)) report([...p, 'service'], 'SPEC_INVALID_NAME', `${JSON.stringify(slo.service)} is not a service name`, 'write the name of a service of the App: lowercase letters, digits and "-"')
    else name = slo.service
  }
  if (scope === 'edge' && typeof slo.edge === 'string' && clean([...p, 'edge'])) {
    const e = parseEdge(slo.edge)
    if (!e) report([...p, 'edge'], 'SPEC_INVALID_VALUE', `expected an edge like "front->middle", got ${JSON.stringify(slo.edge)}`, 'an edge is the calling service, "->", and the called service')
    else name = `${e.source}->${e.destination}`
  }
  const signals = SIGNALS.filter((k) => slo[k] !== undefined)
  if (signals.length === 0) {
    report(p, 'SPEC_REQUIRED', `the SLO on ${slo[scope] === undefined ? scope : JSON.stringify(slo[scope])} sets no signal: give latency, errorRate or throughput`, 'latency: {p99: 300ms}, errorRate: 1%, throughput: {min: 1}')
  }
  let windowMs: number | undefined = parseDuration(DEFAULT_WINDOW)
  if (slo.window !== undefined) {
    windowMs = clean([...p, 'window']) ? durationOf(slo.window, [...p, 'window'], report) : undefined
    if (windowMs !== undefined && windowMs < 1000) {
      report([...p, 'window'], 'SPEC_OUT_OF_RANGE', `must be 1s or longer, got ${JSON.stringify(slo.window)}`, 'the sidecars are read once a second')
      windowMs = undefined
    }
  }
  if (windowMs !== undefined) {
    if (slo.window !== undefined) {
      const w = String(slo.window)
      if (c.durationMs !== undefined && windowMs > c.durationMs) {
        report([...p, 'window'], 'SPEC_INVALID_VALUE', `the window ${w} is longer than the faults' duration: the hypothesis after would also measure traffic from before the faults`, 'make the window at most as long as duration, or the duration longer')
      }
      if (c.withinMs !== undefined && windowMs >= c.withinMs) {
        report([...p, 'window'], 'SPEC_INVALID_VALUE', `the window ${w} is not shorter than recovery.within: right after the faults are removed the window still holds their traffic, so the recovery could not show in time`, 'make the window shorter than recovery.within')
      }
    } else {
      c.defaultWindows.push(c.index)
    }
  }
  const id = (signal: string) => (name === undefined ? undefined : `${name}|${signal}`)
  if (slo.latency !== undefined && clean([...p, 'latency']) && isObj(slo.latency)) {
    const keys = QUANTILE_KEYS.filter((q) => slo.latency![q] !== undefined)
    if (keys.length === 0) report([...p, 'latency'], 'SPEC_REQUIRED', 'latency sets no quantile', `give one or more of ${QUANTILE_KEYS.join(', ')}, e.g. {p99: 300ms}`)
    for (const q of keys) {
      durationOf(slo.latency[q], [...p, 'latency', q], report, 'ms')
      const i = id(`latency|${q}`)
      if (i) dup(i, [...p, 'latency', q], `the ${q} latency of ${name}`)
    }
  }
  if (slo.errorRate !== undefined && clean([...p, 'errorRate'])) {
    checkPercent(slo.errorRate, [...p, 'errorRate'], report)
    const i = id('errorRate')
    if (i) dup(i, [...p, 'errorRate'], `the error rate of ${name}`)
  }
  if (slo.throughput !== undefined && clean([...p, 'throughput'])) {
    const i = id('throughput')
    if (i) dup(i, [...p, 'throughput'], `the throughput of ${name}`)
  }
}

function checkLoad(load: LoadSpec, report: Report): void {
  const problem = targetProblem(load.url)
  if (problem) report(['load', 'url'], 'SPEC_INVALID_VALUE', problem, 'chaoscope sends load only to this machine: write http://127.0.0.1:PORT (127.0.0.0/8, localhost or [::1])')
  if (load.duration !== undefined) durationOf(load.duration, ['load', 'duration'], report)
  if (load.timeout !== undefined) durationOf(load.timeout, ['load', 'timeout'], report)
  if (load.body !== undefined && (load.method === undefined || load.method === 'GET' || load.method === 'HEAD')) {
    report(['load', 'body'], 'SPEC_INVALID_VALUE', `a ${load.method ?? 'GET'} request has no body`, 'set method: POST (or PUT, PATCH)', { key: true })
  }
}

function checkFault(f: unknown, i: number, seen: Map<string, number>, ctx: CheckContext): void {
  if (!isObj(f)) return // the schema said so
  const p: FieldPath = ['faults', i]
  if (typeof f.apiVersion === 'string' && f.apiVersion !== FAULT_API_VERSION) {
    const group = f.apiVersion.includes('/') ? f.apiVersion.slice(0, f.apiVersion.indexOf('/')) : ''
    ctx.issue([...p, 'apiVersion'], 'SPEC_UNSUPPORTED_VERSION',
      group === 'chaos-mesh.org' ? `unknown version "${f.apiVersion.slice(group.length + 1)}" of chaos-mesh.org` : `a fault is a Chaos Mesh resource (${FAULT_API_VERSION}), got ${JSON.stringify(f.apiVersion)}`,
      `use ${FAULT_API_VERSION}`)
  }
  let def: KindDefinition | undefined
  if (typeof f.kind === 'string') {
    def = FAULT_KINDS[f.kind]
    if (!def) {
      ctx.issue([...p, 'kind'], 'SPEC_UNKNOWN_KIND', `${JSON.stringify(f.kind)} is not a kind of fault`, didYouMean(f.kind, FAULT_KIND_NAMES) ?? `a fault is one of ${FAULT_KIND_NAMES.join(', ')}`)
    }
  }
  const meta = f.metadata
  let name: string | undefined
  if (isObj(meta) && ctx.clean([...p, 'metadata'])) {
    if (meta.name === undefined) {
      if (meta.generateName !== undefined) ctx.issue([...p, 'metadata', 'generateName'], 'SPEC_INVALID_VALUE', 'a fault needs a fixed metadata.name: the rollbacks delete each fault by its name', 'write name: instead of generateName:', { key: true })
      else ctx.issue([...p, 'metadata', 'name'], 'SPEC_REQUIRED', 'missing required field "name"', 'the rollbacks delete each fault by its name')
    } else if (typeof meta.name === 'string') {
      if (meta.name.length > 253 || !DNS_SUBDOMAIN.test(meta.name)) {
        ctx.issue([...p, 'metadata', 'name'], 'SPEC_INVALID_NAME', `${JSON.stringify(meta.name)} is not a valid name`, 'use lowercase letters, digits, "-" and ".", starting and ending with a letter or digit (at most 253 characters)')
      } else {
        name = meta.name
      }
    }
    if (typeof meta.namespace === 'string' && (meta.namespace.length > 63 || !DNS_LABEL.test(meta.namespace))) {
      ctx.issue([...p, 'metadata', 'namespace'], 'SPEC_INVALID_NAME', `${JSON.stringify(meta.namespace)} is not a valid namespace`, 'use lowercase letters, digits and "-" (at most 63 characters)')
    }
  }
  if (name !== undefined && typeof f.kind === 'string') {
    const key = `${f.kind}/${name}`
    const first = seen.get(key)
    if (first !== undefined) ctx.issue([...p, 'metadata', 'name'], 'SPEC_DUPLICATE_NAME', `${f.kind} "${name}" is also faults[${first}]`, 'give each fault its own name')
    else seen.set(key, i)
  }
  // the fault's own metadata (a Workflow's per-template annotations are checked against its templates)
  if (def?.check && isObj(f.spec) && ctx.clean([...p, 'spec'])) def.check(f.spec as never, ctx.nested(p, (isObj(f.metadata) ? f.metadata : {}) as ObjectMeta))
}

// ---- defaults -----------------------------------------------------------------------------------------------------

/** Fills in what the compile relies on: title, duration, each SLO's window or HTTP status, method and timeout, each fault's namespace and its kind's defaults. */
export function defaultExperiment(spec: ExperimentSpec, metadata: ObjectMeta): void {
  spec.title ??= metadata.name
  spec.duration ??= DEFAULT_DURATION
  for (const slo of spec.hypothesis) {
    if (slo.http) {
      slo.http.method ??= 'GET'
      slo.http.status ??= DEFAULT_HTTP_STATUS
      slo.http.timeout ??= DEFAULT_HTTP_TIMEOUT
    } else {
      slo.window ??= DEFAULT_WINDOW
      if (slo.edge !== undefined) slo.edge = scopeOf(slo)!
    }
  }
  for (const f of spec.faults) {
    f.metadata.namespace ??= metadata.namespace ?? 'default'
    FAULT_KINDS[f.kind]?.defaults?.(f.spec as never, f.metadata)
  }
}

/**
 * @example
 * apiVersion: chaoscope.dev/v1alpha1
 * kind: Experiment
 * metadata: {name: front-holds}
 * spec:
 *   hypothesis: [{service: front, latency: {p99: 300ms}}]
 *   faults: [{apiVersion: chaos-mesh.org/v1alpha1, kind: PodChaos, metadata: {name: kill-middle}, spec: {action: pod-kill, mode: one, selector: {labelSelectors: {app: middle}}}}]
 */
export const experiment = defineKind({
  apiVersion: EXPERIMENT_API_VERSION,
  kind: 'Experiment',
  spec: experimentSpec,
  check: checkExperiment,
  // the rules guard each part with ctx.clean: they run on a spec with problems elsewhere too
  checkNeeds: [],
  defaults: defaultExperiment,
})
