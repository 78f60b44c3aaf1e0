/**
 * @module manifest/kinds/load-profile: chaoscope's LoadProfile (chaoscope.dev/v1alpha1): scripted user flows for
 * `chaoscope load -f`, and the rate (or stages, or virtual users), duration, timeout, headers and vars they run with.
 * src/load/flow-file.ts compiles a validated one into the load generator's FlowSet; the rules and parsers that both
 * need (stages, think times, placeholders, loopback URLs) live here, so that a stages file read on its own is
 * checked by the same code.
 */
import type { ErrorCode } from '../../errors.js'
import { parseDuration } from '../duration.js'
import { didYouMean } from '../issues.js'
import type { FieldPath } from '../issues.js'
import { defineKind } from '../kind.js'
import { any, arr, duration, int, map, num, obj, opt, str, unsafe } from '../schema-kit.js'
import { describeValue } from '../schema-issues.js'
import type { Static } from '../schema-kit.js'

/** The step keys that name the request's method, as written (lowercase); the compiled step carries it uppercased. */
export const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'] as const
export type HttpMethodKey = (typeof HTTP_METHODS)[number]

/** Placeholders every flow may use without defining them: the iteration's number (unique in the run) and the virtual user's. */
export const BUILTIN_VARS = ['iteration', 'vu'] as const

/** A var's name, as `{{name}}` refers to it. */
export const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/

/** A var value or a form field: written as a string, number or boolean, sent as text. */
const scalar = unsafe<string | number | boolean>({ type: ['string', 'number', 'boolean'] })
const positive = (opts: { default?: number } = {}) => unsafe<number>({ type: 'number', exclusiveMinimum: 0, ...opts })

/** Think time: "2s", a range "1s-3s", or { min: 1s, max: 3s }. The string forms are parsed by the rule (parseThink). */
export const thinkSpec = unsafe<string | { min: string; max: string }>({
  type: ['string', 'object'],
  additionalProperties: false,
  required: ['min', 'max'],
  properties: { min: duration(), max: duration() },
})

export const stepSpec = obj({
  get: opt(str()),
  post: opt(str()),
  put: opt(str()),
  patch: opt(str()),
  delete: opt(str()),
  head: opt(str()),
  options: opt(str()),
  /** For the per-step table; defaults to "METHOD path" as written. */
  name: opt(str({ minLength: 1 })),
  headers: opt(map(str())),
  /** Sent as written (no content-type added). */
  body: opt(str()),
  /** Serialized with JSON.stringify; content-type: application/json. */
  json: opt(any()),
  /** URL-encoded; content-type: application/x-www-form-urlencoded. */
  form: opt(map(scalar)),
  /** Status codes that count as success; left out: 2xx and 3xx. */
  expect: opt(arr(int({ minimum: 100, maximum: 599 }), { minItems: 1 })),
  think: opt(thinkSpec),
})
export type StepSpec = Static<typeof stepSpec>

export const flowSpec = obj({
  name: str({ minLength: 1 }),
  /** Relative share of the iterations that run this flow. */
  weight: opt(positive({ default: 1 })),
  steps: arr(stepSpec, { minItems: 1 }),
})
export type FlowSpec = Static<typeof flowSpec>

/** One stretch of the arrival rate: ramp to `target` (k6's ramping-arrival-rate), or hold `rate`. */
export const stageSpec = obj({
  duration: duration(),
  target: opt(num({ minimum: 0 })),
  rate: opt(num({ minimum: 0 })),
})

export const loadProfileSpec = obj({
  /** Base URL (http:// on loopback); `chaoscope load`'s URL argument overrides it. */
  target: opt(str()),
  /** Open model: flow iterations started per second. */
  rate: opt(positive()),
  /** Open model with a changing rate; each `target` ramps from where the previous stage ended (`startRate`, default 0). */
  stages: opt(arr(stageSpec, { minItems: 1 })),
  startRate: opt(num({ minimum: 0 })),
  /** Closed model: this many virtual users, each looping over the flows. */
  users: opt(int({ minimum: 1 })),
  duration: opt(duration()),
  /** Per request. */
  timeout: opt(duration()),
  headers: opt(map(str())),
  /** Values each `{{name}}` draws from, one per iteration. */
  vars: opt(map(arr(scalar, { minItems: 1 }))),
  flows: arr(flowSpec, { minItems: 1 }),
})
export type LoadProfileSpec = Static<typeof loadProfileSpec>

/** Where a rule reports a problem; the same shape as CheckContext.issue, so a kind's context serves as one. */
export type Report = (path: FieldPath, code: ErrorCode, message: string, hint?: string, opts?: { key?: boolean }) => void

// ---- durations --------------------------------------------------------------------------------------------------

/**
 * The milliseconds of a duration field (Go syntax), or undefined after reporting why not. `zero` allows 0 (a think
 * time); negatives never pass.
 */
export function durationMs(value: unknown, path: FieldPath, report: Report, opts: { zero?: boolean } = {}): number | undefined {
  if (typeof value !== 'string') {
    report(path, 'SPEC_TYPE', `expected a duration like "30s", got ${describeValue(value)}`, typeof value === 'number' ? `write the unit: "${value}s"` : undefined)
    return undefined
  }
  const ms = parseDuration(value)
  if (ms === undefined) {
    report(path, 'SPEC_INVALID_DURATION', `expected a duration like "30s", got ${JSON.stringify(value)}`, 'units are ns, us, ms, s, m and h; combine them like "1m30s"')
    return undefined
  }
  if (ms < 0 || (ms === 0 && !opts.zero)) {
    report(path, 'SPEC_OUT_OF_RANGE', `must be ${opts.zero ? 'at least 0' : 'longer than 0'}, got ${JSON.stringify(value)}`)
    return undefined
  }
  return ms
}

// ---- think times ------------------------------------------------------------------------------------------------

/**
 * A think time as min and max milliseconds, or undefined after reporting why not: "2s" (fixed), "1s-3s" (uniform
 * in the range, spaces allowed around the dash) or { min, max }.
 *
 * @example parseThink('500ms-1.5s', ['think'], report) // { minMs: 500, maxMs: 1500 }
 */
export function parseThink(value: string | { min: string; max: string }, path: FieldPath, report: Report): { minMs: number; maxMs: number } | undefined {
  if (typeof value === 'object') {
    const minMs = durationMs(value.min, [...path, 'min'], report, { zero: true })
    const maxMs = durationMs(value.max, [...path, 'max'], report, { zero: true })
    if (minMs === undefined || maxMs === undefined) return undefined
    if (minMs > maxMs) {
      report([...path, 'max'], 'SPEC_INVALID_VALUE', `max (${value.max}) is shorter than min (${value.min})`, 'write the shorter time as min')
      return undefined
    }
    return { minMs, maxMs }
  }
  const text = value.trim()
  const whole = parseDuration(text)
  const dash = text.indexOf('-', 1)
  if (whole !== undefined || dash < 0) {
    const ms = durationMs(text, path, hinted(report, 'write a time like "2s", a range like "1s-3s", or {min: 1s, max: 3s}'), { zero: true })
    return ms === undefined ? undefined : { minMs: ms, maxMs: ms }
  }
  const lo = text.slice(0, dash).trim()
  const hi = text.slice(dash + 1).trim()
  const minMs = parseDuration(lo)
  const maxMs = parseDuration(hi)
  if (minMs === undefined || maxMs === undefined || minMs < 0 || maxMs < 0) {
    report(path, 'SPEC_INVALID_DURATION', `expected a think time like "2s" or a range like "1s-3s", got ${JSON.stringify(value)}`, 'units are ns, us, ms, s, m and h; combine them like "1m30s"')
    return undefined
  }
  if (minMs > maxMs) {
    report(path, 'SPEC_INVALID_VALUE', `the range ${JSON.stringify(value)} ends before it starts`, `write the shorter time first: "${hi}-${lo}"`)
    return undefined
  }
  return { minMs, maxMs }
}

function hinted(report: Report, hint: string): Report {
  return (path, code, message, h, opts) => report(path, code, message, code === 'SPEC_INVALID_DURATION' ? hint : h, opts)
}

// ---- stages -----------------------------------------------------------------------------------------------------

/** A compiled stage: the rate goes linearly from `from` to `to` over `durationMs` (src/load/types.ts's Stage). */
export interface StageValue {
  durationMs: number
  from: number
  to: number
}

const STAGE_FIELDS = ['duration', 'target', 'rate']

/**
 * Checks a list of stages (from a LoadProfile's spec or a stages file, so any value) and compiles it. `{duration,
 * target}` ramps linearly from the previous stage's end rate (the first from `startRate`, default 0) to target, as
 * k6's ramping-arrival-rate does; `{duration, rate}` holds the rate for the duration. Reports every problem; the
 * stages returned are only meaningful when nothing was reported.
 *
 * @example stagesOf([{ duration: '30s', target: 100 }, { duration: '1m', rate: 100 }], 10, ['stages'], ['startRate'], report)
 *   // [{ durationMs: 30000, from: 10, to: 100 }, { durationMs: 60000, from: 100, to: 100 }]
 */
export function stagesOf(stages: unknown, startRate: unknown, at: FieldPath, startAt: FieldPath, report: Report): StageValue[] {
  let prev = 0
  if (startRate !== undefined) {
    const r = rateValue(startRate, startAt, report)
    if (r !== undefined) prev = r
  }
  if (!Array.isArray(stages)) {
    report(at, 'SPEC_TYPE', `expected a list of stages, got ${describeValue(stages)}`, 'stages: [{duration: 30s, target: 100}, {duration: 1m, rate: 100}]')
    return []
  }
  if (stages.length === 0) {
    report(at, 'SPEC_OUT_OF_RANGE', 'must have at least 1 item(s)', 'stages: [{duration: 30s, target: 100}]')
    return []
  }
  const out: StageValue[] = []
  stages.forEach((s: unknown, i) => {
    const p = [...at, i]
    if (s === null || typeof s !== 'object' || Array.isArray(s)) {
      report(p, 'SPEC_TYPE', `expected a stage like {duration: 30s, target: 100}, got ${describeValue(s)}`)
      return
    }
    const stage = s as Record<string, unknown>
    for (const k of Object.keys(stage)) {
      if (!STAGE_FIELDS.includes(k)) report([...p, k], 'SPEC_UNKNOWN_FIELD', `unknown field "${k}"`, didYouMean(k, STAGE_FIELDS) ?? `a stage has duration and either target (ramp to) or rate (hold)`, { key: true })
    }
    let ms: number | undefined
    if (stage.duration === undefined) report([...p, 'duration'], 'SPEC_REQUIRED', 'missing required field "duration"', 'duration: 30s')
    else ms = durationMs(stage.duration, [...p, 'duration'], report)
    const hasTarget = stage.target !== undefined
    const hasRate = stage.rate !== undefined
    if (!hasTarget && !hasRate) {
      report(p, 'SPEC_REQUIRED', 'a stage needs target (the rate to ramp to) or rate (the rate to hold)', '{duration: 30s, target: 100}  or  {duration: 30s, rate: 100}')
      return
    }
    if (hasTarget && hasRate) {
      report([...p, 'rate'], 'SPEC_INVALID_VALUE', 'a stage has either target (ramp to it) or rate (hold it), not both', 'split it into two stages', { key: true })
      return
    }
    const to = rateValue(hasTarget ? stage.target : stage.rate, [...p, hasTarget ? 'target' : 'rate'], report)
    if (ms === undefined || to === undefined) return
    out.push({ durationMs: ms, from: hasTarget ? prev : to, to })
    prev = to
  })
  return out
}

function rateValue(v: unknown, path: FieldPath, report: Report): number | undefined {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    const hint = typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? `remove the quotes: ${v}` : undefined
    report(path, 'SPEC_TYPE', `expected a rate in requests per second, got ${describeValue(v)}`, hint)
    return undefined
  }
  if (v < 0) {
    report(path, 'SPEC_OUT_OF_RANGE', `must be >= 0, got number ${v}`)
    return undefined
  }
  return v
}

// ---- placeholders -----------------------------------------------------------------------------------------------

/** `{{name}}`, with spaces allowed inside the braces (`{{ name }}`); the compiled flow carries `{{name}}` exactly. */
const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g

/** `text` with every placeholder written as `{{name}}` (no spaces), the one form the load workers fill in. */
export function normalizePlaceholders(text: string): string {
  return text.replace(PLACEHOLDER, (_, name: string) => `{{${name}}}`)
}

/** The text between placeholders and the placeholder names, in order: `"/p/{{id}}"` → `["/p/", "id", ""]` (odd indexes are names). */
export function splitPlaceholders(text: string): string[] {
  const out: string[] = []
  let last = 0
  for (const m of text.matchAll(PLACEHOLDER)) {
    out.push(text.slice(last, m.index), m[1]!)
    last = m.index + m[0].length
  }
  out.push(text.slice(last))
  return out
}

/** Reports every `{{name}}` in `text` that names neither a var nor a built-in, and `{{` left unclosed. */
export function checkPlaceholders(text: string, path: FieldPath, known: readonly string[], report: Report, opts: { key?: boolean } = {}): void {
  const parts = splitPlaceholders(text)
  for (let i = 1; i < parts.length; i += 2) {
    const name = parts[i]!
    if (name === '') {
      report(path, 'SPEC_INVALID_VALUE', 'empty placeholder "{{}}"', 'write the var\'s name inside the braces: {{product}}', opts)
    } else if (!known.includes(name)) {
      const hint = didYouMean(name, known) ?? (known.length > BUILTIN_VARS.length
        ? `known: ${known.map((k) => `{{${k}}}`).join(', ')}`
        : `define it under spec.vars (${name}: [a, b]), or use {{iteration}} or {{vu}}`)
      report(path, 'SPEC_INVALID_VALUE', `{{${name}}} names no var`, hint, opts)
    }
  }
  if (parts.some((p, i) => i % 2 === 0 && p.includes('{{'))) {
    report(path, 'SPEC_INVALID_VALUE', `unclosed placeholder in ${JSON.stringify(text)}`, 'close it with }}: {{product}}', opts)
  }
}

// ---- URLs and headers -------------------------------------------------------------------------------------------

const LOOPBACK_V4 = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
/** Headers the load generator writes itself, from the body and its keep-alive connections. */
const OWN_HEADERS = ['content-length', 'transfer-encoding', 'connection']

/**
 * Why `url` is not a URL chaoscope sends load to, or undefined when it is: http:// (no TLS) to a loopback host
 * (127.0.0.0/8, localhost, [::1]); chaoscope sends traffic only to this machine.
 */
export function targetProblem(url: string): string | undefined {
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(url)) return `${JSON.stringify(url)} is not an http:// URL`
  if (!URL.canParse(url)) return `${JSON.stringify(url)} is not a URL`
  const u = new URL(url)
  if (u.protocol === 'https:') return `${JSON.stringify(url)} is https://; chaoscope load speaks plain http:// only`
  if (u.protocol !== 'http:') return `${JSON.stringify(url)} is not an http:// URL`
  if (!(u.hostname === 'localhost' || u.hostname === '[::1]' || LOOPBACK_V4.test(u.hostname))) return `${u.hostname} is not a loopback address`
  return undefined
}

const TARGET_HINT = 'chaoscope sends traffic only to this machine: write http://127.0.0.1:PORT (127.0.0.0/8, localhost or [::1])'

/** Why a step's path is not one chaoscope can send, or undefined: a path starting with "/", or an absolute loopback http:// URL. */
function pathProblem(written: string): { message: string; hint: string } | undefined {
  const path = normalizePlaceholders(written)
  if (path === '') return { message: 'the path is empty', hint: 'write a path like /product/{{product}}' }
  if (/[\s\x00-\x1f\x7f]/.test(path)) return { message: `${JSON.stringify(path)} holds a space or control character`, hint: 'percent-encode it (a space is %20)' }
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(path)) {
    const p = targetProblem(path)
    return p === undefined ? undefined : { message: p, hint: TARGET_HINT }
  }
  if (!path.startsWith('/')) return { message: `${JSON.stringify(path)} is neither a path (starting with /) nor an http:// URL`, hint: `write /${path}` }
  return undefined
}

/** Checks a headers map: names are HTTP tokens, unique regardless of case, not one chaoscope writes itself; values are one line. */
function checkHeaders(headers: Record<string, string>, at: FieldPath, known: readonly string[], report: Report): void {
  const seen = new Map<string, string>()
  for (const [name, value] of Object.entries(headers)) {
    const p = [...at, name]
    const lower = name.toLowerCase()
    if (!HEADER_NAME.test(name)) report(p, 'SPEC_INVALID_VALUE', `${JSON.stringify(name)} is not a header name`, 'header names are letters, digits and - (no spaces or colons)', { key: true })
    else if (OWN_HEADERS.includes(lower)) report(p, 'SPEC_INVALID_VALUE', `${lower} is written by the load generator itself`, 'remove it: the body and the keep-alive connection decide it', { key: true })
    const first = seen.get(lower)
    if (first !== undefined) report(p, 'SPEC_DUPLICATE_KEY', `header "${name}" is also written as "${first}" (header names ignore case)`, 'keep one of them', { key: true })
    else seen.set(lower, name)
    if (/[\r\n\0]/.test(value)) report(p, 'SPEC_INVALID_VALUE', 'a header value is one line', 'remove the line break')
    else checkPlaceholders(value, p, known, report)
  }
}

// ---- the kind ---------------------------------------------------------------------------------------------------

/** The method key of a step and its path, when the step has exactly one. */
export function stepMethod(step: StepSpec): { key: HttpMethodKey; path: string } | undefined {
  const keys = HTTP_METHODS.filter((m) => step[m] !== undefined)
  return keys.length === 1 ? { key: keys[0]!, path: step[keys[0]!]! } : undefined
}

/** The LoadProfile's rules, beyond its schema's. */
export function checkLoadProfile(spec: LoadProfileSpec, report: Report): void {
  if (spec.target !== undefined) {
    const p = targetProblem(spec.target)
    if (p) report(['target'], 'SPEC_INVALID_VALUE', p, TARGET_HINT)
  }
  const models = (['rate', 'stages', 'users'] as const).filter((k) => spec[k] !== undefined)
  for (const k of models.slice(1)) {
    report([k], 'SPEC_INVALID_VALUE', `${models[0]} and ${k} are alternatives: give one`, 'rate: N (iterations started per second), stages: [...] (a changing rate), or users: N (virtual users looping)', { key: true })
  }
  if (spec.startRate !== undefined && spec.stages === undefined) {
    report(['startRate'], 'SPEC_INVALID_VALUE', 'startRate is where stages start; this profile has no stages', 'add stages: [{duration: 30s, target: 100}], or remove startRate', { key: true })
  }
  if (spec.stages !== undefined) stagesOf(spec.stages, spec.startRate, ['stages'], ['startRate'], report)
  if (spec.duration !== undefined) durationMs(spec.duration, ['duration'], report)
  if (spec.timeout !== undefined) durationMs(spec.timeout, ['timeout'], report)

  const vars = Object.keys(spec.vars ?? {})
  for (const v of vars) {
    if (!VAR_NAME.test(v)) report(['vars', v], 'SPEC_INVALID_NAME', `${JSON.stringify(v)} is not a var name`, 'use letters, digits, _ and -, starting with a letter or _', { key: true })
    else if ((BUILTIN_VARS as readonly string[]).includes(v)) report(['vars', v], 'SPEC_INVALID_NAME', `{{${v}}} is built in`, 'give the var another name', { key: true })
  }
  const known = [...vars, ...BUILTIN_VARS]
  if (spec.headers) checkHeaders(spec.headers, ['headers'], known, report)

  const flowNames = new Map<string, number>()
  spec.flows.forEach((flow, f) => {
    const first = flowNames.get(flow.name)
    if (first !== undefined) report(['flows', f, 'name'], 'SPEC_DUPLICATE_NAME', `flow "${flow.name}" is also defined at flows[${first}]`, 'give each flow its own name')
    else flowNames.set(flow.name, f)
    flow.steps.forEach((step, s) => checkStep(step, ['flows', f, 'steps', s], known, report))
  })
}

function checkStep(step: StepSpec, p: FieldPath, known: readonly string[], report: Report): void {
  const methods = HTTP_METHODS.filter((m) => step[m] !== undefined)
  if (methods.length === 0) {
    report(p, 'SPEC_REQUIRED', 'a step needs its method and path', `one of ${HTTP_METHODS.join(', ')}, e.g. get: /product/{{product}}`)
  }
  for (const m of methods.slice(1)) {
    report([...p, m], 'SPEC_INVALID_VALUE', `a step is one request: it has ${methods[0]} already`, 'split it into two steps', { key: true })
  }
  for (const m of methods) {
    const problem = pathProblem(step[m]!)
    if (problem) report([...p, m], 'SPEC_INVALID_VALUE', problem.message, problem.hint)
    else checkPlaceholders(step[m]!, [...p, m], known, report)
  }
  const bodies = (['body', 'json', 'form'] as const).filter((k) => step[k] !== undefined)
  for (const k of bodies.slice(1)) {
    report([...p, k], 'SPEC_INVALID_VALUE', `${bodies[0]} and ${k} are two bodies: give one`, 'body: text as written, json: a value sent as JSON, form: fields sent URL-encoded', { key: true })
  }
  const bodiless = methods.find((m) => m === 'get' || m === 'head')
  if (bodiless && bodies.length > 0) {
    report([...p, bodies[0]!], 'SPEC_INVALID_VALUE', `a ${bodiless.toUpperCase()} request has no body`, `send it with post, put or patch`, { key: true })
  }
  if (step.headers) checkHeaders(step.headers, [...p, 'headers'], known, report)
  if (step.body !== undefined) checkPlaceholders(step.body, [...p, 'body'], known, report)
  if (step.json !== undefined) walkJson(step.json, [...p, 'json'], known, report)
  for (const [k, v] of Object.entries(step.form ?? {})) {
    checkPlaceholders(k, [...p, 'form', k], known, report, { key: true })
    checkPlaceholders(String(v), [...p, 'form', k], known, report)
  }
  if (step.think !== undefined) parseThink(step.think, [...p, 'think'], report)
}

function walkJson(v: unknown, p: FieldPath, known: readonly string[], report: Report): void {
  if (typeof v === 'string') checkPlaceholders(v, p, known, report)
  else if (Array.isArray(v)) v.forEach((x, i) => walkJson(x, [...p, i], known, report))
  else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      checkPlaceholders(k, [...p, k], known, report, { key: true })
      walkJson(x, [...p, k], known, report)
    }
  }
}

/**
 * @example
 * apiVersion: chaoscope.dev/v1alpha1
 * kind: LoadProfile
 * metadata: {name: shoppers}
 * spec: {target: "http://127.0.0.1:30090", rate: 5, flows: [{name: browse, steps: [{get: /}]}]}
 */
export const loadProfile = defineKind({
  apiVersion: 'chaoscope.dev/v1alpha1',
  kind: 'LoadProfile',
  spec: loadProfileSpec,
  check(spec, ctx) {
    checkLoadProfile(spec, (path, code, message, hint, opts) => ctx.issue(path, code, message, hint, opts))
  },
})
