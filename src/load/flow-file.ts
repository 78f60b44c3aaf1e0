/**
 * @module load/flow-file: reads the files `chaoscope load` takes besides flags: a flow file (one LoadProfile,
 * chaoscope.dev/v1alpha1) compiled into a FlowSet, and a stages file (`--stages FILE`) compiled into Stages.
 * Both come back as plain data or as positioned issues (file:line:col, field path, hint), never as a throw.
 *
 *   flow file ─ validatePaths (schema, LoadProfile rules) ─▶ one LoadProfile ─ compileLoadProfile ─▶ FlowSet
 *   stages file ─ readSources ─ parseSource ─▶ one document ─ stagesOf (the LoadProfile's stage rules) ─▶ Stage[]
 */
import { parseDuration } from '../manifest/duration.js'
import { didYouMean, formatPath, sortIssues } from '../manifest/issues.js'
import type { Issue } from '../manifest/issues.js'
import {
  normalizePlaceholders, parseThink, splitPlaceholders, stagesOf, stepMethod,
} from '../manifest/kinds/load-profile.js'
import type { LoadProfileSpec, Report, StepSpec } from '../manifest/kinds/load-profile.js'
import { parseSource } from '../manifest/parse.js'
import { readSources } from '../manifest/source.js'
import { validatePaths } from '../manifest/validate.js'
import type { FlowDefaults, FlowPlan, FlowSet, Stage, StepPlan } from './types.js'

const API_VERSION = 'chaoscope.dev/v1alpha1'

/**
 * The one LoadProfile in `file`, compiled, or every issue found. Other documents in the file (an App, say) are
 * validated and then ignored; no LoadProfile, or more than one, is an issue.
 *
 * @example
 * const r = loadFlowFile('examples/load/shop.yaml')
 * if ('issues' in r) r.issues.forEach((i) => console.error(formatIssue(i)))
 * else runLoad({ ...plan, url: r.flows.defaults.target ?? url, flows: r.flows })
 */
export function loadFlowFile(file: string): { flows: FlowSet } | { issues: Issue[] } {
  const r = validatePaths([file])
  if (r.issues.length > 0) return { issues: r.issues }
  const profiles = r.resources.filter((x) => x.apiVersion === API_VERSION && x.kind === 'LoadProfile')
  if (profiles.length === 0) {
    return { issues: [{ code: 'SPEC_MISSING_KIND', file, line: 1, col: 1, path: '', message: 'no LoadProfile in this file', hint: 'a flow file holds one object of apiVersion: chaoscope.dev/v1alpha1, kind: LoadProfile (see examples/load/shop.yaml)' }] }
  }
  if (profiles.length > 1) {
    const second = profiles[1]!.source
    return { issues: [{ code: 'SPEC_DUPLICATE_NAME', file: second.file, line: second.line, col: 1, path: '', message: 'more than one LoadProfile in this file', hint: 'one load run takes one LoadProfile: put several flows in its spec.flows, or split the file' }] }
  }
  return { flows: compileLoadProfile(profiles[0]!.spec as LoadProfileSpec) }
}

/**
 * A validated LoadProfile's spec (its rules passed) as the load generator's plain data. Durations become
 * milliseconds; header names are lowercased, and each step's headers are the profile's with the step's own
 * over them; bodies are serialized with their content-type (a step's own content-type header wins); placeholders
 * are left for the workers, written `{{name}}`.
 *
 * Stages: `stages` compile as stagesOf says; `rate: N` becomes one constant stage `{ durationMs: 0, from: N, to: N }`,
 * where **durationMs 0 means "until the run ends"**: its duration (`defaults.durationMs`, or `--duration`, which
 * wins over it), request count or interrupt, whatever stops it first. (A stage as long as spec.duration would end
 * early when --duration asks for a longer run.) `users` stays the closed model's count.
 */
export function compileLoadProfile(spec: LoadProfileSpec): FlowSet {
  const headers = lowerKeys(spec.headers)
  const durationMs = spec.duration === undefined ? undefined : parseDuration(spec.duration)
  const timeoutMs = spec.timeout === undefined ? undefined : parseDuration(spec.timeout)
  let stages: Stage[] | undefined
  if (spec.stages !== undefined) stages = stagesOf(spec.stages, spec.startRate, ['stages'], ['startRate'], unreachable)
  else if (spec.rate !== undefined) stages = [{ durationMs: 0, from: spec.rate, to: spec.rate }]
  const defaults: FlowDefaults = {
    ...(spec.target !== undefined ? { target: spec.target } : {}),
    ...(stages !== undefined ? { stages } : {}),
    ...(spec.users !== undefined ? { users: spec.users } : {}),
    ...(durationMs !== undefined ? { durationMs } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(spec.headers !== undefined ? { headers } : {}),
  }
  const flows: FlowPlan[] = spec.flows.map((f) => ({
    name: f.name,
    weight: f.weight ?? 1,
    steps: f.steps.map((s) => compileStep(s, headers)),
  }))
  const vars = Object.fromEntries(Object.entries(spec.vars ?? {}).map(([k, vs]) => [k, vs.map(String)]))
  return { flows, vars, defaults }
}

function compileStep(step: StepSpec, profileHeaders: Record<string, string>): StepPlan {
  const m = stepMethod(step)
  if (!m) throw new Error('compileLoadProfile: a step without exactly one method passed the LoadProfile rules')
  const method = m.key.toUpperCase()
  const headers: Record<string, string> = { ...profileHeaders }
  let body: string | undefined
  if (step.json !== undefined) {
    body = normalizePlaceholders(JSON.stringify(step.json))
    headers['content-type'] = 'application/json'
  } else if (step.form !== undefined) {
    body = formBody(step.form)
    headers['content-type'] = 'application/x-www-form-urlencoded'
  } else if (step.body !== undefined) {
    body = normalizePlaceholders(step.body)
  }
  Object.assign(headers, lowerKeys(step.headers))
  let think: StepPlan['think']
  if (step.think !== undefined) think = parseThink(step.think, ['think'], unreachable)
  return {
    name: step.name ?? `${method} ${m.path}`,
    method,
    path: normalizePlaceholders(m.path),
    headers,
    ...(body !== undefined ? { body } : {}),
    ...(step.expect !== undefined ? { expect: [...step.expect] } : {}),
    ...(think !== undefined ? { think } : {}),
  }
}

/** `a=1&b=x+y`, as URLSearchParams writes it, with `{{name}}` placeholders kept as they are (not percent-encoded). */
function formBody(form: Record<string, string | number | boolean>): string {
  const enc = (text: string) => splitPlaceholders(String(text))
    .map((part, i) => (i % 2 === 1 ? `{{${part}}}` : new URLSearchParams([['', part]]).toString().slice(1)))
    .join('')
  return Object.entries(form).map(([k, v]) => `${enc(k)}=${enc(String(v))}`).join('&')
}

function lowerKeys(h: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(h ?? {}).map(([k, v]) => [k.toLowerCase(), normalizePlaceholders(v)]))
}

/** The rules ran before compiling, so a report here is a bug, not a user's mistake. */
const unreachable: Report = (path, _code, message) => {
  throw new Error(`compileLoadProfile: ${formatPath(path)}: ${message} passed the LoadProfile rules`)
}

// ---- stages files -----------------------------------------------------------------------------------------------

const STAGES_FILE_FIELDS = ['startRate', 'stages']
const STAGES_FILE_HINT = 'a stages file is a list like [{duration: 30s, target: 100}, {duration: 1m, rate: 100}], or {startRate: 10, stages: [...]}'

/**
 * The arrival-rate stages of a stages file (`chaoscope load --stages FILE`), or every issue found. The file is
 * YAML (or JSON) holding either a list of stages or `{startRate: N, stages: [...]}`; each stage is
 * `{duration: 30s, target: 1000}` (ramp linearly from the previous stage's end rate, the first from startRate,
 * default 0, to target: k6's ramping-arrival-rate) or `{duration: 30s, rate: 100}` (hold 100 for the duration).
 *
 * @example
 * // stages.yaml: [{duration: 30s, target: 100}, {duration: 1m, rate: 100}]
 * parseStagesFile('stages.yaml') // { stages: [{ durationMs: 30000, from: 0, to: 100 }, { durationMs: 60000, from: 100, to: 100 }] }
 */
export function parseStagesFile(file: string): { stages: Stage[] } | { issues: Issue[] } {
  const read = readSources([file])
  if (read.issues.length > 0) return { issues: read.issues }
  const src = read.sources[0]
  if (src?.text === undefined) return { issues: [{ code: 'SPEC_FILE_NOT_FOUND', file, line: 1, col: 1, path: '', message: 'cannot read the stages file' }] }
  return parseStagesText(src.text, src.name)
}

/** parseStagesFile on a text already read; `file` names it in issues. */
export function parseStagesText(text: string, file: string): { stages: Stage[] } | { issues: Issue[] } {
  const parsed = parseSource(file, text)
  if (parsed.issues.length > 0) return { issues: parsed.issues }
  const docs = parsed.documents.filter((d) => d.value !== null && d.value !== undefined)
  const whole = (code: Issue['code'], message: string, line = 1, col = 1): { issues: Issue[] } => ({ issues: [{ code, file, line, col, path: '', message, hint: STAGES_FILE_HINT }] })
  if (docs.length === 0) return whole('SPEC_REQUIRED', 'the stages file holds no stages')
  if (docs.length > 1) return whole('SPEC_INVALID_VALUE', 'a stages file is one document', docs[1]!.line, docs[1]!.col)
  const doc = docs[0]!
  const issues: Issue[] = []
  const report: Report = (path, code, message, hint, opts) => {
    const { line, col } = doc.locate(path, opts?.key ? { key: true } : {})
    issues.push({ code, file, line, col, path: formatPath(path), message, ...(hint ? { hint } : {}) })
  }
  const v = doc.value
  let stages: Stage[]
  if (Array.isArray(v)) {
    stages = stagesOf(v, undefined, [], ['startRate'], report)
  } else if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>
    for (const k of Object.keys(o)) {
      if (!STAGES_FILE_FIELDS.includes(k)) report([k], 'SPEC_UNKNOWN_FIELD', `unknown field "${k}"`, didYouMean(k, STAGES_FILE_FIELDS) ?? STAGES_FILE_HINT, { key: true })
    }
    if (o.stages === undefined) {
      report(['stages'], 'SPEC_REQUIRED', 'missing required field "stages"', 'stages: [{duration: 30s, target: 100}]')
      stages = []
    } else {
      stages = stagesOf(o.stages, o.startRate, ['stages'], ['startRate'], report)
    }
  } else {
    return whole('SPEC_TYPE', `expected a list of stages or {startRate, stages}, got ${typeof v}`, doc.line, doc.col)
  }
  return issues.length > 0 ? { issues: sortIssues(issues) } : { stages }
}
