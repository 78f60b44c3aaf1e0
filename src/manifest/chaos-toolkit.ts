/** @module manifest/chaos-toolkit: Chaos Toolkit experiments (JSON or YAML), checked as chaostoolkit-lib does. */
import type { ErrorCode } from '../errors.js'
import { describeValue } from './schema-issues.js'
import { didYouMean, formatPath } from './issues.js'
import type { FieldPath, Issue } from './issues.js'
import type { ParsedDocument } from './parse.js'
import { validateObject } from './validate.js'

/**
 * A tolerance of a steady-state probe: the value (or list of values, or [min, max] pair) the probe's result must
 * match, or an object that says how to judge it.
 */
export type ChaosToolkitTolerance =
  | boolean
  | number
  | string
  | unknown[]
  | ({ type: 'probe' } & ChaosToolkitActivityDefinition)
  | { type: 'regex'; pattern: string; target?: string; [key: string]: unknown }
  | { type: 'jsonpath'; path: string; target?: string; expect?: unknown; count?: number; [key: string]: unknown }
  | { type: 'range'; range: [number, number]; target?: string; [key: string]: unknown }

export type ChaosToolkitProvider =
  | { type: 'python'; module: string; func: string; arguments?: Record<string, unknown>; timeout?: number; [key: string]: unknown }
  | { type: 'process'; path: string; arguments?: string | unknown[] | Record<string, unknown>; timeout?: number; [key: string]: unknown }
  | {
      type: 'http'
      url: string
      method?: string
      headers?: Record<string, string>
      arguments?: unknown
      expected_status?: number
      /** Seconds, or a [connect, read] pair. */
      timeout?: number | [number, number] | string
      verify_tls?: boolean
      max_retries?: number
      [key: string]: unknown
    }

export interface ChaosToolkitControl {
  name: string
  provider?: { type?: string; module?: string; [key: string]: unknown }
  ref?: string
  scope?: 'before' | 'after'
  [key: string]: unknown
}

/** A probe or an action, written out in full. */
export interface ChaosToolkitActivityDefinition {
  type: 'action' | 'probe'
  name: string
  provider: ChaosToolkitProvider
  tolerance?: ChaosToolkitTolerance
  /** Seconds before and after the activity; a string is a `${name}` taken from configuration or secrets. */
  pauses?: { before?: number | string; after?: number | string }
  background?: boolean
  timeout?: number
  controls?: ChaosToolkitControl[]
  [key: string]: unknown
}

/** An activity that reuses one defined (by name) in the steady-state hypothesis or the method. */
export interface ChaosToolkitActivityRef {
  ref: string
  [key: string]: unknown
}

export type ChaosToolkitActivity = ChaosToolkitActivityDefinition | ChaosToolkitActivityRef

/** An experiment that passed every rule chaostoolkit-lib's validator applies (other top-level keys are kept). */
export interface ChaosToolkitExperiment {
  title: string
  description?: string
  tags?: string[]
  configuration?: Record<string, unknown>
  secrets?: Record<string, Record<string, unknown>>
  'steady-state-hypothesis'?: { title: string; probes?: ChaosToolkitActivity[]; controls?: ChaosToolkitControl[]; [key: string]: unknown }
  method: ChaosToolkitActivity[]
  rollbacks?: ChaosToolkitActivity[]
  controls?: ChaosToolkitControl[]
  [key: string]: unknown
}

/** Top-level keys chaostoolkit-lib (or the CLI and its plugins) reads. Any other key is allowed and kept. */
const TOP_LEVEL_KEYS = [
  'version', 'title', 'description', 'tags', 'contributions', 'configuration', 'secrets', 'extensions', 'controls',
  'steady-state-hypothesis', 'method', 'rollbacks', 'runtime', 'dry',
]
const ACTIVITY_KEYS = ['type', 'name', 'provider', 'ref', 'tolerance', 'pauses', 'background', 'controls', 'timeout', 'dry']
const PROVIDER_KEYS = [
  'type', 'module', 'func', 'arguments', 'path', 'url', 'method', 'headers', 'timeout', 'expected_status', 'verify_tls',
  'max_retries', 'secrets',
]
/** Keys only an experiment has: one of them (or a near miss of one) makes a document an experiment. */
const EXPERIMENT_MARKERS = ['method', 'steady-state-hypothesis', 'rollbacks']
/** Keys that make a document with a `title` an experiment (a Grafana dashboard also has a title). */
const EXPERIMENT_SECTIONS = ['configuration', 'secrets', 'controls', 'contributions', 'extensions']

const ACTIVITY_TYPES = ['action', 'probe']
const PROVIDER_TYPES = ['python', 'process', 'http']
const TOLERANCE_TYPES = ['probe', 'regex', 'jsonpath', 'range']
const ENV_VAR_TYPES = ['str', 'string', 'int', 'integer', 'float', 'number', 'bytes', 'bool', 'json']
const CONTROL_SCOPES = ['before', 'after']

/** `steady_state_hypothesis`, `Method`, `rollback` → the key they were meant to be. */
function loose(key: string): string {
  return key.toLowerCase().replace(/[-_\s]/g, '').replace(/s$/, '')
}

function nearMiss(key: string, known: readonly string[]): string | undefined {
  if (known.includes(key)) return undefined
  const l = loose(key)
  return known.find((k) => loose(k) === l)
}

/**
 * A document with none of apiVersion/kind that has a Chaos Toolkit experiment's top-level keys: a method,
 * a steady-state hypothesis or rollbacks (or a near miss of one, such as `steady_state_hypothesis`), or a
 * title next to an experiment-only section. JSON Schema documents (`$schema`) and other titled JSON, such
 * as Grafana dashboards, are not experiments.
 */
export function isChaosToolkitLike(o: Record<string, unknown>): boolean {
  if ('$schema' in o) return false
  const keys = Object.keys(o)
  if (keys.some((k) => EXPERIMENT_MARKERS.includes(k) || nearMiss(k, EXPERIMENT_MARKERS) !== undefined)) return true
  return 'title' in o && keys.some((k) => EXPERIMENT_SECTIONS.includes(k))
}

type Obj = Record<string, unknown>

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

function isNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v)
}

/** A `${name}` reference to a configuration or secret value, substituted at run time. */
function isReference(v: unknown): boolean {
  return typeof v === 'string' && v.startsWith('${') && v.endsWith('}')
}

/**
 * Checks one experiment against chaostoolkit-lib's validator (`chaos validate`): the experiment's title and
 * description, tags, extensions, configuration, secrets, the steady-state hypothesis and its tolerances, the
 * method and rollbacks with their providers, references between activities, and controls. Checks that need
 * the machine the experiment runs on (that a Python module imports, that a process's path exists, that an
 * environment variable is set) are left to run time. Chaos Mesh objects in an activity's arguments are
 * validated as if they were documents of their own, at their own lines.
 *
 * Pushes every problem to `issues`; returns the experiment when there was none.
 *
 * @example
 * const issues: Issue[] = []
 * const exp = checkChaosToolkit(doc, doc.value as Record<string, unknown>, issues) // undefined when issues grew
 */
export function checkChaosToolkit(doc: ParsedDocument, o: Record<string, unknown>, issues: Issue[]): ChaosToolkitExperiment | undefined {
  const before = issues.length
  new ExperimentChecker(doc, issues).experiment(o)
  return issues.length === before ? (o as ChaosToolkitExperiment) : undefined
}

type Where = 'hypothesis' | 'method' | 'rollbacks' | 'tolerance' | 'configuration'

class ExperimentChecker {
  /** Controls found anywhere, with where they are, checked once everything has been read. */
  private readonly controls: { control: unknown; path: FieldPath }[] = []
  /** Activities written with `ref`, resolved once every named activity is known. */
  private readonly refs: { ref: string; path: FieldPath; where: Where }[] = []
  /** Names of activities `ref` can reach: the hypothesis's probes and the method's activities. */
  private readonly referable = new Set<string>()

  constructor(
    private readonly doc: ParsedDocument,
    private readonly issues: Issue[],
  ) {}

  private report(path: FieldPath, code: ErrorCode, message: string, hint?: string, key = false): void {
    const { line, col } = this.doc.locate(path, { key })
    this.issues.push({ code, file: this.doc.file, line, col, path: formatPath(path), message, ...(hint ? { hint } : {}) })
  }

  private typeError(path: FieldPath, expected: string, got: unknown, hint?: string): void {
    this.report(path, 'SPEC_TYPE', `expected ${expected}, got ${describeValue(got)}`, hint)
  }

  private missing(parent: FieldPath, name: string, hint?: string): void {
    this.report([...parent, name], 'SPEC_REQUIRED', `missing required field "${name}"`, hint)
  }

  /** A required, non-empty string field. Returns it when it is one. */
  private text(o: Obj, base: FieldPath, name: string, code: ErrorCode, what: string, hint?: string): string | undefined {
    const v = o[name]
    if (!(name in o)) {
      this.missing(base, name, hint)
      return undefined
    }
    if (v === null || (typeof v === 'string' && v.trim() === '')) {
      this.report([...base, name], code, `${what} must not be empty`, hint)
      return undefined
    }
    if (typeof v !== 'string') {
      this.typeError([...base, name], 'a string', v)
      return undefined
    }
    return v
  }

  /** Keys that are almost a known key (case, `_` for `-`, a missing plural s): the lib would silently ignore them. */
  private nearMisses(o: Obj, base: FieldPath, known: readonly string[]): void {
    for (const k of Object.keys(o)) {
      const meant = nearMiss(k, known)
      if (meant !== undefined) this.report([...base, k], 'SPEC_UNKNOWN_FIELD', `unknown field "${k}"`, `did you mean "${meant}"?`, true)
    }
  }

  experiment(o: Obj): void {
    this.nearMisses(o, [], TOP_LEVEL_KEYS)
    this.text(o, [], 'title', 'CTK_INVALID_EXPERIMENT', 'title')
    this.text(o, [], 'description', 'CTK_INVALID_EXPERIMENT', 'description', "Chaos Toolkit's validator rejects an experiment without a description")
    this.tags(o.tags)
    this.extensions(o.extensions)
    if ('configuration' in o) this.configuration(o.configuration)
    if ('secrets' in o) this.secrets(o.secrets)
    if ('steady-state-hypothesis' in o) this.hypothesis(o['steady-state-hypothesis'])

    if (o.method === undefined || o.method === null) {
      this.missing([], 'method', 'write "method": [] to only check the steady-state hypothesis')
    } else if (!Array.isArray(o.method)) {
      this.typeError(['method'], 'a list of activities', o.method)
    } else {
      o.method.forEach((a, i) => this.activity(a, ['method', i], 'method'))
    }

    if ('rollbacks' in o) {
      if (!Array.isArray(o.rollbacks)) this.typeError(['rollbacks'], 'a list of actions', o.rollbacks)
      else o.rollbacks.forEach((a, i) => this.activity(a, ['rollbacks', i], 'rollbacks'))
    }

    this.collectControls(o.controls, ['controls'])
    this.resolveRefs()
    this.checkControls()
  }

  private tags(tags: unknown): void {
    if (tags === undefined || tags === null) return
    if (!Array.isArray(tags)) {
      this.typeError(['tags'], 'a list of strings', tags, typeof tags === 'string' ? `write a list: [${JSON.stringify(tags)}]` : undefined)
      return
    }
    tags.forEach((t, i) => {
      if (typeof t !== 'string') this.typeError(['tags', i], 'a string', t)
      else if (t === '') this.report(['tags', i], 'CTK_INVALID_EXPERIMENT', 'a tag must not be empty')
    })
  }

  private extensions(exts: unknown): void {
    if (exts === undefined || exts === null) return
    if (!Array.isArray(exts)) {
      this.typeError(['extensions'], 'a list of extensions', exts)
      return
    }
    exts.forEach((e, i) => {
      if (!isObj(e)) this.typeError(['extensions', i], 'an object', e)
      else this.text(e, ['extensions', i], 'name', 'CTK_INVALID_EXPERIMENT', 'an extension name')
    })
  }

  private configuration(conf: unknown): void {
    if (!isObj(conf)) {
      this.typeError(['configuration'], 'an object mapping names to values', conf)
      return
    }
    for (const [name, value] of Object.entries(conf)) {
      const path = ['configuration', name]
      if (!isObj(value) || !('type' in value)) continue // a literal value, used as written
      if (value.type === 'env') {
        this.text(value, path, 'key', 'CTK_INVALID_EXPERIMENT', 'the environment variable name')
        const t = value.env_var_type
        if (t !== undefined && t !== null && !(typeof t === 'string' && ENV_VAR_TYPES.includes(t))) {
          this.report([...path, 'env_var_type'], 'CTK_INVALID_EXPERIMENT', `env_var_type must be one of ${ENV_VAR_TYPES.join(', ')}, got ${describeValue(t)}`)
        }
      } else if (value.type === 'probe') {
        this.activity(value, path, 'configuration') // a value computed by a probe before the run
      }
    }
  }

  private secrets(secrets: unknown): void {
    if (!isObj(secrets)) {
      this.typeError(['secrets'], 'an object mapping scopes to secrets', secrets)
      return
    }
    for (const [scope, entries] of Object.entries(secrets)) {
      if (!isObj(entries)) {
        this.typeError(['secrets', scope], 'an object mapping secret names to values', entries, 'secrets are grouped by scope: secrets: { <scope>: { <name>: <value> } }')
        continue
      }
      for (const [name, value] of Object.entries(entries)) {
        const path = ['secrets', scope, name]
        if (!isObj(value)) continue
        if (value.type === 'env') {
          this.text(value, path, 'key', 'CTK_INVALID_EXPERIMENT', 'the environment variable name')
        } else if (value.type === 'vault' && !('path' in value) && !('key' in value)) {
          this.missing(path, 'path', 'name the Vault secret to read: { type: vault, path: "<secret path>", key: "<optional key>" }')
        }
      }
    }
  }

  private hypothesis(h: unknown): void {
    const base = ['steady-state-hypothesis']
    if (!isObj(h)) {
      this.typeError(base, 'an object with a title and probes', h)
      return
    }
    this.text(h, base, 'title', 'CTK_INVALID_EXPERIMENT', 'the hypothesis title')
    this.collectControls(h.controls, [...base, 'controls'])
    if (h.probes === undefined || h.probes === null) return
    if (!Array.isArray(h.probes)) {
      this.typeError([...base, 'probes'], 'a list of probes', h.probes)
      return
    }
    h.probes.forEach((p, i) => {
      const path = [...base, 'probes', i]
      if (!this.activity(p, path, 'hypothesis')) return
      if (!('tolerance' in (p as Obj))) {
        this.missing(path, 'tolerance', 'a steady-state probe needs a tolerance: the value its result must match')
      } else {
        this.tolerance((p as Obj).tolerance, [...path, 'tolerance'])
      }
    })
  }

  /** Checks one activity. Returns false when it is not even an object. */
  private activity(a: unknown, path: FieldPath, where: Where): boolean {
    if (!isObj(a)) {
      this.typeError(path, 'an activity (an object with type, name and provider)', a)
      return false
    }
    if (Object.keys(a).length === 0) {
      this.report(path, 'CTK_INVALID_ACTIVITY', 'an activity must not be empty', 'give it type, name and provider, or ref to reuse a named activity')
      return true
    }
    if (where === 'hypothesis' || where === 'method' || where === 'rollbacks') this.collectControls(a.controls, [...path, 'controls'])
    if (a.ref !== undefined && a.ref !== null) {
      if (typeof a.ref !== 'string' || a.ref === '') {
        this.report([...path, 'ref'], 'CTK_INVALID_ACTIVITY', `ref must be the name of an activity, got ${describeValue(a.ref)}`)
      } else {
        this.refs.push({ ref: a.ref, path: [...path, 'ref'], where })
      }
      return true
    }
    this.nearMisses(a, path, ACTIVITY_KEYS)

    if (!('type' in a)) {
      this.missing(path, 'type', 'an activity is an "action" or a "probe"')
    } else if (typeof a.type !== 'string' || !ACTIVITY_TYPES.includes(a.type)) {
      const hint = typeof a.type === 'string' ? didYouMean(a.type, ACTIVITY_TYPES) : undefined
      this.report([...path, 'type'], 'CTK_INVALID_ACTIVITY', `activity type must be "action" or "probe", got ${describeValue(a.type)}`, hint)
    }
    const name = this.text(a, path, 'name', 'CTK_INVALID_ACTIVITY', 'an activity name')
    if (name !== undefined && (where === 'hypothesis' || where === 'method')) this.referable.add(name)

    if (!('provider' in a) || a.provider === null) {
      this.missing(path, 'provider', 'say how to run it: provider: { type: python, module, func } | { type: process, path } | { type: http, url }')
    } else if (!isObj(a.provider)) {
      this.typeError([...path, 'provider'], 'an object', a.provider)
    } else {
      this.provider(a.provider, [...path, 'provider'])
    }

    if ('timeout' in a && a.timeout !== null && !isNumber(a.timeout)) this.typeError([...path, 'timeout'], 'a number of seconds', a.timeout)
    if ('pauses' in a && a.pauses !== null) this.pauses(a.pauses, [...path, 'pauses'])
    if ('background' in a && typeof a.background !== 'boolean') this.typeError([...path, 'background'], 'true or false', a.background)
    return true
  }

  private pauses(p: unknown, path: FieldPath): void {
    if (!isObj(p)) {
      this.typeError(path, 'an object with before and/or after', p)
      return
    }
    for (const when of ['before', 'after'] as const) {
      const v = p[when]
      if (v === undefined || v === null || isNumber(v) || isReference(v)) continue
      this.report([...path, when], 'CTK_INVALID_ACTIVITY', `pause ${when} must be a number of seconds or a "\${name}" reference to configuration, got ${describeValue(v)}`,
        typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? `remove the quotes: ${v}` : undefined)
    }
  }

  private provider(p: Obj, path: FieldPath): void {
    this.nearMisses(p, path, PROVIDER_KEYS)
    if (!('type' in p)) {
      this.missing(path, 'type', 'a provider is of type "python", "process" or "http"')
      return
    }
    if (typeof p.type !== 'string' || !PROVIDER_TYPES.includes(p.type)) {
      const hint = typeof p.type === 'string' ? didYouMean(p.type, PROVIDER_TYPES) : undefined
      this.report([...path, 'type'], 'CTK_INVALID_ACTIVITY', `provider type must be "python", "process" or "http", got ${describeValue(p.type)}`, hint)
      return
    }
    const timeout = p.timeout
    switch (p.type) {
      case 'python':
        this.text(p, path, 'module', 'CTK_INVALID_ACTIVITY', 'the Python module', 'a python provider names a module, e.g. chaosk8s.pod.actions')
        this.text(p, path, 'func', 'CTK_INVALID_ACTIVITY', 'the function name', 'a python provider names the function of its module to call')
        if ('arguments' in p && !isObj(p.arguments)) this.typeError([...path, 'arguments'], 'an object mapping argument names to values', p.arguments)
        if (timeout !== undefined && timeout !== null && !isNumber(timeout)) this.typeError([...path, 'timeout'], 'a number of seconds', timeout)
        break
      case 'process':
        this.text(p, path, 'path', 'CTK_INVALID_ACTIVITY', 'the process path', 'a process provider names the program to run')
        if ('arguments' in p && p.arguments !== null && typeof p.arguments !== 'string' && !Array.isArray(p.arguments) && !isObj(p.arguments)) {
          this.typeError([...path, 'arguments'], 'a string or a list', p.arguments)
        }
        if (timeout !== undefined && timeout !== null && !isNumber(timeout)) this.typeError([...path, 'timeout'], 'a number of seconds', timeout)
        break
      case 'http':
        this.http(p, path)
        break
    }
    if (isObj(p.arguments) || Array.isArray(p.arguments)) this.embedded(p.arguments, [...path, 'arguments'])
  }

  private http(p: Obj, path: FieldPath): void {
    this.text(p, path, 'url', 'CTK_INVALID_ACTIVITY', 'the URL', 'an http provider names the URL to call')
    if ('method' in p && typeof p.method !== 'string') this.typeError([...path, 'method'], 'a string', p.method)
    if ('headers' in p && p.headers !== null) {
      if (!isObj(p.headers)) this.typeError([...path, 'headers'], 'an object mapping header names to values', p.headers)
      else for (const [h, v] of Object.entries(p.headers)) if (typeof v !== 'string') this.typeError([...path, 'headers', h], 'a string', v, `quote the value: "${String(v)}"`)
    }
    if ('expected_status' in p && !(Number.isInteger(p.expected_status) && (p.expected_status as number) >= 100 && (p.expected_status as number) <= 599)) {
      this.typeError([...path, 'expected_status'], 'an HTTP status code (an integer from 100 to 599)', p.expected_status)
    }
    if ('timeout' in p && p.timeout !== null) {
      const t = p.timeout
      const pair = Array.isArray(t) && t.length === 2 && t.every(isNumber)
      if (!isNumber(t) && !pair && !isReference(t)) {
        this.report([...path, 'timeout'], 'CTK_INVALID_ACTIVITY', `timeout must be a number of seconds or a [connect, read] pair of numbers, got ${describeValue(t)}`)
      }
    }
    if ('verify_tls' in p && typeof p.verify_tls !== 'boolean') this.typeError([...path, 'verify_tls'], 'true or false', p.verify_tls)
    if ('max_retries' in p && !(Number.isInteger(p.max_retries) && (p.max_retries as number) >= 0)) this.typeError([...path, 'max_retries'], 'a whole number of retries', p.max_retries)
  }

  /** Kubernetes-style objects among an activity's arguments (a Chaos Mesh resource to create) are validated in place. */
  private embedded(v: unknown, path: FieldPath): void {
    if (Array.isArray(v)) {
      v.forEach((item, i) => this.embedded(item, [...path, i]))
      return
    }
    if (!isObj(v)) return
    const apiVersion = v.apiVersion
    if (typeof apiVersion === 'string' && (typeof v.kind === 'string' || /^(chaos-mesh\.org|chaoscope\.dev)\//.test(apiVersion))) {
      validateObject(this.doc, v, path, this.issues) // other API groups come back as a skip record: not ours to judge
      return
    }
    for (const [k, child] of Object.entries(v)) this.embedded(child, [...path, k])
  }

  private tolerance(t: unknown, path: FieldPath): void {
    if (typeof t === 'boolean' || typeof t === 'string' || Array.isArray(t)) return
    if (typeof t === 'number' && Number.isInteger(t)) return
    if (!isObj(t)) {
      this.report(path, 'CTK_INVALID_TOLERANCE', `a tolerance must be a boolean, an integer, a string, a list or an object, got ${describeValue(t)}`,
        typeof t === 'number' ? 'for a band of values write a range: { type: range, range: [min, max] }' : undefined)
      return
    }
    if (!('type' in t)) {
      this.report([...path, 'type'], 'CTK_INVALID_TOLERANCE', 'an object tolerance needs a type: "probe", "regex", "jsonpath" or "range"')
      return
    }
    switch (t.type) {
      case 'probe':
        this.activity(t, path, 'tolerance')
        return
      case 'regex':
        this.regexTolerance(t, path)
        return
      case 'jsonpath':
        this.jsonPathTolerance(t, path)
        return
      case 'range':
        this.rangeTolerance(t, path)
        return
      default: {
        const hint = typeof t.type === 'string' ? didYouMean(t.type, TOLERANCE_TYPES) : undefined
        this.report([...path, 'type'], 'CTK_INVALID_TOLERANCE', `tolerance type must be "probe", "regex", "jsonpath" or "range", got ${describeValue(t.type)}`, hint)
      }
    }
  }

  private regexTolerance(t: Obj, path: FieldPath): void {
    if (!('pattern' in t)) {
      this.missing(path, 'pattern', 'a regex tolerance needs the pattern the result must match')
      return
    }
    if (typeof t.pattern !== 'string') {
      this.typeError([...path, 'pattern'], 'a string', t.pattern)
      return
    }
    const problem = pythonRegexProblem(t.pattern)
    if (problem !== undefined) {
      this.report([...path, 'pattern'], 'CTK_INVALID_TOLERANCE', `pattern ${describeValue(t.pattern)} is not a valid regular expression: ${problem}`)
    }
  }

  private jsonPathTolerance(t: Obj, path: FieldPath): void {
    if (!('path' in t)) {
      this.missing(path, 'path', 'a jsonpath tolerance needs the JSON path to read, e.g. "$.status"')
      return
    }
    if (typeof t.path !== 'string') {
      this.typeError([...path, 'path'], 'a string', t.path)
      return
    }
    if (t.path.trim() === '') {
      this.report([...path, 'path'], 'CTK_INVALID_TOLERANCE', 'JSON path must not be empty', 'write a path from the root, e.g. "$.status"')
      return
    }
    const problem = jsonPathProblem(t.path.trim())
    if (problem !== undefined) this.report([...path, 'path'], 'CTK_INVALID_TOLERANCE', `JSON path ${describeValue(t.path)} is not valid: ${problem}`)
  }

  private rangeTolerance(t: Obj, path: FieldPath): void {
    if (!('range' in t)) {
      this.missing(path, 'range', 'a range tolerance needs its bounds: range: [min, max]')
      return
    }
    const r = t.range
    const at = [...path, 'range']
    if (!Array.isArray(r)) {
      this.typeError(at, 'a list [min, max]', r)
      return
    }
    if (r.length !== 2) {
      this.report(at, 'CTK_INVALID_TOLERANCE', `range must have exactly two values [min, max], got ${r.length}`)
      return
    }
    const [lo, hi] = r as [unknown, unknown]
    if (!isNumber(lo)) this.typeError([...at, 0], 'a number (the lower bound)', lo)
    if (!isNumber(hi)) this.typeError([...at, 1], 'a number (the upper bound)', hi)
    if (isNumber(lo) && isNumber(hi) && lo > hi) {
      this.report(at, 'CTK_INVALID_TOLERANCE', `range lower bound ${lo} is greater than its upper bound ${hi}: no value can be within it`, `write [${hi}, ${lo}]`)
    }
  }

  private collectControls(list: unknown, path: FieldPath): void {
    if (list === undefined) return
    if (!Array.isArray(list)) {
      this.typeError(path, 'a list of controls', list)
      return
    }
    list.forEach((control, i) => this.controls.push({ control, path: [...path, i] }))
  }

  private checkControls(): void {
    const names = new Set<string>()
    for (const { control } of this.controls) {
      if (isObj(control) && !('ref' in control) && typeof control.name === 'string') names.add(control.name)
    }
    for (const { control: c, path } of this.controls) {
      if (!isObj(c)) {
        this.typeError(path, 'a control (an object with name and provider)', c)
        continue
      }
      if ('ref' in c && !(typeof c.ref === 'string' && names.has(c.ref))) {
        this.report([...path, 'ref'], 'CTK_UNKNOWN_REFERENCE', `control ref ${describeValue(c.ref)} names no control declared in the experiment`,
          typeof c.ref === 'string' ? didYouMean(c.ref, names) : undefined)
      }
      if (!('name' in c)) this.missing(path, 'name')
      if (!('provider' in c)) {
        this.missing(path, 'provider', 'a control names its Python module: provider: { type: python, module: <module> }')
      } else if (!isObj(c.provider)) {
        this.typeError([...path, 'provider'], 'an object', c.provider)
      } else if (c.provider.type === 'python') {
        this.text(c.provider, [...path, 'provider'], 'module', 'CTK_INVALID_EXPERIMENT', 'the control module')
      }
      if (c.scope !== undefined && c.scope !== null && c.scope !== '' && !(typeof c.scope === 'string' && CONTROL_SCOPES.includes(c.scope))) {
        this.report([...path, 'scope'], 'CTK_INVALID_EXPERIMENT', `control scope must be "before" or "after", got ${describeValue(c.scope)}`)
      }
    }
  }

  private resolveRefs(): void {
    for (const { ref, path } of this.refs) {
      if (this.referable.has(ref)) continue
      const known = [...this.referable]
      const hint = didYouMean(ref, known) ?? (known.length === 0 ? 'no activity has a name yet' : `named activities: ${known.slice(0, 8).join(', ')}${known.length > 8 ? ', ...' : ''}`)
      this.report(path, 'CTK_UNKNOWN_REFERENCE', `ref "${ref}" names no activity of the steady-state hypothesis or the method`, hint)
    }
  }
}

/**
 * Why Python's `re` would refuse `pattern`, or undefined. Python's syntax is mapped to JavaScript's first
 * (named groups, leading inline flags, comments); constructs JavaScript lacks (conditionals, scoped flags,
 * atomic groups, possessive quantifiers) are not checked.
 */
export function pythonRegexProblem(pattern: string): string | undefined {
  let source = pattern
  let flags = ''
  const lead = /^\(\?([aiLmsux]+)\)/.exec(source)
  if (lead) {
    source = source.slice(lead[0].length)
    for (const f of lead[1]!) if ('ims'.includes(f) && !flags.includes(f)) flags += f
    if (lead[1]!.includes('x')) return undefined // verbose patterns ignore whitespace; JavaScript has no such mode
  }
  if (/\(\?\(|\(\?[aiLmsux-]+:|\(\?>|[*+?}]\+/.test(source)) return undefined
  source = source
    .replace(/\(\?#[^)]*\)/g, '')
    .replace(/\(\?P<([A-Za-z_]\w*)>/g, '(?<$1>')
    .replace(/\(\?P=([A-Za-z_]\w*)\)/g, '\\k<$1>')
    .replace(/\\A/g, '^')
    .replace(/\\Z/g, '$')
  try {
    new RegExp(source, flags)
    return undefined
  } catch (cause) {
    const msg = (cause as Error).message
    const reason = msg.slice(msg.lastIndexOf(':') + 1).trim()
    return reason.charAt(0).toLowerCase() + reason.slice(1)
  }
}

/**
 * Why a JSON path (as jsonpath2 reads them) is malformed, or undefined: it must start at the root `$`, and
 * brackets, parentheses and quotes must be balanced.
 */
export function jsonPathProblem(path: string): string | undefined {
  if (!path.startsWith('$')) return 'it must start at the root "$"'
  const stack: string[] = []
  let quote: string | undefined
  for (let i = 1; i < path.length; i++) {
    const ch = path[i]!
    if (quote) {
      if (ch === '\\') i++
      else if (ch === quote) quote = undefined
      continue
    }
    if (ch === '"' || ch === "'") quote = ch
    else if (ch === '[' || ch === '(') stack.push(ch === '[' ? ']' : ')')
    else if (ch === ']' || ch === ')') {
      if (stack.pop() !== ch) return `unexpected "${ch}" at position ${i + 1}`
    } else if (stack.length === 0 && ch === '.' && path[i + 1] === '.' && path[i + 2] === '.') return `"..." at position ${i + 1}`
    else if (stack.length === 0 && !/[\w.*$@-]/.test(ch)) return `unexpected "${ch}" at position ${i + 1}`
  }
  if (quote) return 'a quoted name is not closed'
  if (stack.length > 0) return `"${stack[stack.length - 1]}" is missing`
  if (path.endsWith('.') && !path.endsWith('..')) return 'it ends with "."'
  return undefined
}
