/**
 * @module manifest/chaos-toolkit: Chaos Toolkit experiments (JSON or YAML), checked as chaostoolkit-lib does:
 * a JSON Schema (types, required fields, enums, each with chaostoolkit's own wording) and the rules a schema
 * cannot say (references between activities and controls, near-miss keys, regular expressions and JSON
 * paths that must compile, range bounds in order, Chaos Mesh objects embedded in arguments).
 *
 *   experiment ─ schema (validator 'ChaosToolkitExperiment', x-issue messages) ─▶ issues
 *              └ rules: walk activities ─▶ names, refs, controls, tolerances, embedded objects ─▶ issues
 */
import type { ErrorCode } from '../errors.js'
import { describeValue, schemaIssues } from './schema-issues.js'
import type { IssueMessage, IssueMessages, SchemaError } from './schema-issues.js'
import { didYouMean, formatPath } from './issues.js'
import type { FieldPath, Issue } from './issues.js'
import type { ParsedDocument } from './parse.js'
import { unsafe } from './schema-kit.js'
import type { TSchema } from './schema-kit.js'
import { validator } from './validators.js'

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

// ─── the schema ──────────────────────────────────────────────────────────────────────────────────────────
// Experiments are open objects (chaostoolkit keeps keys it does not know), so every node says only what it
// requires. `x-issue` names the message in MESSAGES that words any error at that node.

/** A `${name}` reference to a configuration or secret value, substituted at run time. */
const REFERENCE = '^\\$\\{[\\s\\S]*\\}$'

type Json = Record<string, unknown>
const at = (issue: string, schema: Json = {}): Json => ({ ...schema, 'x-issue': issue })
/** A required, non-empty string (null or blank is "empty"); `issue` words its errors. */
const text = (issue: string): Json => at(issue, { type: 'string', pattern: '\\S' })
/** Applies `then` to objects whose `type` field is `value`. */
const whenType = (value: string, then: Json): Json => ({
  if: { type: 'object', required: ['type'], properties: { type: { const: value } } },
  then: { type: 'object', ...then },
})

const control: Json = at('control', {
  type: 'object',
  required: ['name', 'provider'],
  properties: {
    name: {},
    provider: at('control-provider', { type: 'object', ...whenType('python', { required: ['module'], properties: { module: text('control-module') } }) }),
    scope: at('control-scope', { enum: [...CONTROL_SCOPES, '', null] }),
  },
})
const controls: Json = at('controls', { type: 'array', items: control })

const providerTimeout = at('timeout', { type: ['number', 'null'] })
const provider: Json = at('provider', {
  type: 'object',
  required: ['type'],
  properties: { type: at('provider-type', { enum: PROVIDER_TYPES }) },
  allOf: [
    whenType('python', {
      required: ['module', 'func'],
      properties: { module: text('python-module'), func: text('python-func'), arguments: at('python-arguments', { type: 'object' }), timeout: providerTimeout },
    }),
    whenType('process', {
      required: ['path'],
      properties: { path: text('process-path'), arguments: at('process-arguments', { type: ['string', 'array', 'object', 'null'] }), timeout: providerTimeout },
    }),
    whenType('http', {
      required: ['url'],
      properties: {
        url: text('http-url'),
        method: at('http-method', { type: 'string' }),
        headers: at('http-headers', { type: ['object', 'null'], additionalProperties: at('http-header', { type: 'string' }) }),
        expected_status: at('http-expected-status', { type: 'integer', minimum: 100, maximum: 599 }),
        timeout: at('http-timeout', { type: ['number', 'null', 'array', 'string'], pattern: REFERENCE, minItems: 2, maxItems: 2, items: at('http-timeout-part', { type: 'number' }) }),
        verify_tls: at('http-verify-tls', { type: 'boolean' }),
        max_retries: at('http-max-retries', { type: 'integer', minimum: 0 }),
      },
    }),
  ],
})

/** An activity: empty is an error of its own; `ref` reuses a named one; else type, name and provider. */
function activity(withControls: boolean): Json {
  const pause = at('pause', { type: ['number', 'null', 'string'], pattern: REFERENCE })
  return at('activity', {
    type: 'object',
    minProperties: 1,
    if: { type: 'object', minProperties: 1 },
    then: {
      type: 'object',
      ...(withControls ? { properties: { controls } } : {}),
      if: { type: 'object', required: ['ref'], properties: { ref: { not: { type: 'null' } } } },
      then: { type: 'object', properties: { ref: at('ref', { type: 'string', minLength: 1 }) } },
      else: {
        type: 'object',
        required: ['type', 'name', 'provider'],
        properties: {
          type: at('activity-type', { enum: ACTIVITY_TYPES }),
          name: text('activity-name'),
          provider,
          timeout: at('timeout', { type: ['number', 'null'] }),
          pauses: at('pauses', { type: ['object', 'null'], properties: { before: pause, after: pause } }),
          background: at('background', { type: 'boolean' }),
        },
      },
    },
  })
}

/** Activities of the hypothesis, method and rollbacks (their controls count); of tolerances and configuration. */
const stepActivity = activity(true)
const valueActivity = activity(false)

const tolerance: Json = at('tolerance', {
  type: ['boolean', 'integer', 'string', 'array', 'object'],
  if: { type: 'object' },
  then: {
    type: 'object',
    required: ['type'],
    properties: { type: at('tolerance-type', { enum: TOLERANCE_TYPES }) },
    allOf: [
      whenType('probe', valueActivity),
      whenType('regex', { required: ['pattern'], properties: { pattern: at('regex-pattern', { type: 'string' }) } }),
      whenType('jsonpath', { required: ['path'], properties: { path: at('jsonpath-path', { type: 'string', pattern: '\\S' }) } }),
      whenType('range', {
        required: ['range'],
        properties: {
          range: at('range', {
            type: 'array',
            minItems: 2,
            maxItems: 2,
            if: { type: 'array', minItems: 2, maxItems: 2 },
            then: { type: 'array', minItems: 2, items: [at('range-lower', { type: 'number' }), at('range-upper', { type: 'number' })], additionalItems: false },
          }),
        },
      }),
    ],
  },
})

const probe: Json = {
  allOf: [stepActivity, { if: { type: 'object' }, then: { type: 'object', required: ['tolerance'], properties: { tolerance } } }],
}

const envValue = (keyIssue: string, extra: Json = {}): Json => whenType('env', { required: ['key'], properties: { key: text(keyIssue), ...extra } })

/** The whole experiment. */
export const chaosToolkitSchema: TSchema = unsafe<ChaosToolkitExperiment>({
  type: 'object',
  required: ['title', 'description', 'method'],
  properties: {
    title: text('title'),
    description: text('description'),
    tags: at('tags', { type: ['array', 'null'], items: at('tag', { type: 'string', minLength: 1 }) }),
    extensions: at('extensions', { type: ['array', 'null'], items: at('extension', { type: 'object', required: ['name'], properties: { name: text('extension-name') } }) }),
    configuration: at('configuration', {
      type: 'object',
      additionalProperties: {
        allOf: [
          envValue('env-key', { env_var_type: at('env-var-type', { enum: [...ENV_VAR_TYPES, null] }) }),
          whenType('probe', valueActivity),
        ],
      },
    }),
    secrets: at('secrets', {
      type: 'object',
      additionalProperties: at('secret-scope', {
        type: 'object',
        additionalProperties: {
          allOf: [
            envValue('env-key'),
            whenType('vault', { if: { type: 'object', anyOf: [{ required: ['path'], properties: { path: {} } }, { required: ['key'], properties: { key: {} } }] }, else: { type: 'object', required: ['path'], properties: { path: at('vault-path') } } }),
          ],
        },
      }),
    }),
    'steady-state-hypothesis': at('hypothesis', {
      type: 'object',
      required: ['title'],
      properties: { title: text('hypothesis-title'), controls, probes: at('probes', { type: ['array', 'null'], items: probe }) },
    }),
    method: at('method', { type: 'array', items: stepActivity }),
    rollbacks: at('rollbacks', { type: 'array', items: stepActivity }),
    controls,
  },
})

// ─── the messages ────────────────────────────────────────────────────────────────────────────────────────

const got = (e: SchemaError) => describeValue(e.data)
const missing = (e: SchemaError, hint?: string) => ({ code: 'SPEC_REQUIRED' as const, message: `missing required field "${String(e.path[e.path.length - 1])}"`, hint })
const typeError = (expected: string, hint?: (v: unknown) => string | undefined): IssueMessage => (e) =>
  e.keyword === 'required' ? missing(e) : { code: 'SPEC_TYPE', message: `expected ${expected}, got ${got(e)}`, hint: hint?.(e.data) }
/** A required non-empty string: missing, empty (null or blank), or not a string. */
const textMessage = (code: ErrorCode, what: string, hint?: string): IssueMessage => (e) => {
  if (e.keyword === 'required') return missing(e, hint)
  if (e.keyword === 'pattern' || e.data === null) return { code, message: `${what} must not be empty`, hint }
  return { code: 'SPEC_TYPE', message: `expected a string, got ${got(e)}` }
}
/** Any error: "<what>, got <value>". */
const invalid = (code: ErrorCode, what: string, hint?: (v: unknown) => string | undefined): IssueMessage => (e) =>
  e.keyword === 'required' ? missing(e) : { code, message: `${what}, got ${got(e)}`, hint: hint?.(e.data) }
const nearest = (candidates: readonly string[]) => (v: unknown) => (typeof v === 'string' ? didYouMean(v, candidates) : undefined)
const removeQuotes = (v: unknown) => (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? `remove the quotes: ${v}` : undefined)
const only = (keyword: string, m: IssueMessage, otherwise: IssueMessage = () => null): IssueMessage => (e) => (e.keyword === keyword ? m(e) : otherwise(e))

const MESSAGES: IssueMessages = {
  title: textMessage('CTK_INVALID_EXPERIMENT', 'title'),
  description: textMessage('CTK_INVALID_EXPERIMENT', 'description', "Chaos Toolkit's validator rejects an experiment without a description"),
  tags: typeError('a list of strings', (v) => (typeof v === 'string' ? `write a list: [${JSON.stringify(v)}]` : undefined)),
  tag: (e) => (e.keyword === 'minLength' ? { code: 'CTK_INVALID_EXPERIMENT', message: 'a tag must not be empty' } : typeError('a string')(e)),
  extensions: typeError('a list of extensions'),
  extension: typeError('an object'),
  'extension-name': textMessage('CTK_INVALID_EXPERIMENT', 'an extension name'),
  configuration: typeError('an object mapping names to values'),
  'env-key': textMessage('CTK_INVALID_EXPERIMENT', 'the environment variable name'),
  'env-var-type': invalid('CTK_INVALID_EXPERIMENT', `env_var_type must be one of ${ENV_VAR_TYPES.join(', ')}`),
  secrets: typeError('an object mapping scopes to secrets'),
  'secret-scope': typeError('an object mapping secret names to values', () => 'secrets are grouped by scope: secrets: { <scope>: { <name>: <value> } }'),
  'vault-path': (e) => missing(e, 'name the Vault secret to read: { type: vault, path: "<secret path>", key: "<optional key>" }'),
  hypothesis: typeError('an object with a title and probes'),
  'hypothesis-title': textMessage('CTK_INVALID_EXPERIMENT', 'the hypothesis title'),
  probes: typeError('a list of probes'),
  method: (e) => (e.keyword === 'required' || e.data === null ? missing(e, 'write "method": [] to only check the steady-state hypothesis') : typeError('a list of activities')(e)),
  rollbacks: typeError('a list of actions'),
  activity: (e) => (e.keyword === 'minProperties'
    ? { code: 'CTK_INVALID_ACTIVITY', message: 'an activity must not be empty', hint: 'give it type, name and provider, or ref to reuse a named activity' }
    : typeError('an activity (an object with type, name and provider)')(e)),
  ref: invalid('CTK_INVALID_ACTIVITY', 'ref must be the name of an activity'),
  'activity-type': (e) => (e.keyword === 'required'
    ? missing(e, 'an activity is an "action" or a "probe"')
    : invalid('CTK_INVALID_ACTIVITY', 'activity type must be "action" or "probe"', nearest(ACTIVITY_TYPES))(e)),
  'activity-name': textMessage('CTK_INVALID_ACTIVITY', 'an activity name'),
  provider: (e) => (e.keyword === 'required' || e.data === null
    ? missing(e, 'say how to run it: provider: { type: python, module, func } | { type: process, path } | { type: http, url }')
    : typeError('an object')(e)),
  'provider-type': (e) => (e.keyword === 'required'
    ? missing(e, 'a provider is of type "python", "process" or "http"')
    : invalid('CTK_INVALID_ACTIVITY', 'provider type must be "python", "process" or "http"', nearest(PROVIDER_TYPES))(e)),
  timeout: typeError('a number of seconds'),
  pauses: typeError('an object with before and/or after'),
  pause: (e) => invalid('CTK_INVALID_ACTIVITY', `pause ${String(e.path[e.path.length - 1])} must be a number of seconds or a "\${name}" reference to configuration`, removeQuotes)(e),
  background: typeError('true or false'),
  'python-module': textMessage('CTK_INVALID_ACTIVITY', 'the Python module', 'a python provider names a module, e.g. chaosk8s.pod.actions'),
  'python-func': textMessage('CTK_INVALID_ACTIVITY', 'the function name', 'a python provider names the function of its module to call'),
  'python-arguments': typeError('an object mapping argument names to values'),
  'process-path': textMessage('CTK_INVALID_ACTIVITY', 'the process path', 'a process provider names the program to run'),
  'process-arguments': typeError('a string or a list'),
  'http-url': textMessage('CTK_INVALID_ACTIVITY', 'the URL', 'an http provider names the URL to call'),
  'http-method': typeError('a string'),
  'http-headers': typeError('an object mapping header names to values'),
  'http-header': typeError('a string', (v) => `quote the value: "${String(v)}"`),
  'http-expected-status': typeError('an HTTP status code (an integer from 100 to 599)'),
  'http-timeout': invalid('CTK_INVALID_ACTIVITY', 'timeout must be a number of seconds or a [connect, read] pair of numbers'),
  'http-timeout-part': (e) => ({ code: 'CTK_INVALID_ACTIVITY', message: 'timeout must be a number of seconds or a [connect, read] pair of numbers, got a list', path: e.path.slice(0, -1) }),
  'http-verify-tls': typeError('true or false'),
  'http-max-retries': typeError('a whole number of retries'),
  tolerance: (e) => (e.keyword === 'required'
    ? missing(e, 'a steady-state probe needs a tolerance: the value its result must match')
    : {
        code: 'CTK_INVALID_TOLERANCE',
        message: `a tolerance must be a boolean, an integer, a string, a list or an object, got ${got(e)}`,
        hint: typeof e.data === 'number' ? 'for a band of values write a range: { type: range, range: [min, max] }' : undefined,
      }),
  'tolerance-type': (e) => (e.keyword === 'required'
    ? { code: 'CTK_INVALID_TOLERANCE', message: 'an object tolerance needs a type: "probe", "regex", "jsonpath" or "range"' }
    : invalid('CTK_INVALID_TOLERANCE', 'tolerance type must be "probe", "regex", "jsonpath" or "range"', nearest(TOLERANCE_TYPES))(e)),
  'regex-pattern': (e) => (e.keyword === 'required' ? missing(e, 'a regex tolerance needs the pattern the result must match') : typeError('a string')(e)),
  'jsonpath-path': (e) => {
    if (e.keyword === 'required') return missing(e, 'a jsonpath tolerance needs the JSON path to read, e.g. "$.status"')
    if (e.keyword === 'pattern') return { code: 'CTK_INVALID_TOLERANCE', message: 'JSON path must not be empty', hint: 'write a path from the root, e.g. "$.status"' }
    return typeError('a string')(e)
  },
  range: (e) => {
    if (e.keyword === 'required') return missing(e, 'a range tolerance needs its bounds: range: [min, max]')
    if (e.keyword === 'type') return typeError('a list [min, max]')(e)
    return { code: 'CTK_INVALID_TOLERANCE', message: `range must have exactly two values [min, max], got ${(e.data as unknown[]).length}` }
  },
  'range-lower': only('type', typeError('a number (the lower bound)')),
  'range-upper': only('type', typeError('a number (the upper bound)')),
  controls: typeError('a list of controls'),
  control: typeError('a control (an object with name and provider)'),
  'control-provider': (e) => (e.keyword === 'required'
    ? missing(e, 'a control names its Python module: provider: { type: python, module: <module> }')
    : typeError('an object')(e)),
  'control-module': textMessage('CTK_INVALID_EXPERIMENT', 'the control module'),
  'control-scope': invalid('CTK_INVALID_EXPERIMENT', 'control scope must be "before" or "after"'),
}

// ─── the rules a schema cannot say ───────────────────────────────────────────────────────────────────────

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
 * const exp = checkChaosToolkit(doc, doc.value as Record<string, unknown>, issues, validateObject) // undefined when issues grew
 */
export function checkChaosToolkit(doc: ParsedDocument, o: Record<string, unknown>, issues: Issue[], embedded: EmbeddedValidator): ChaosToolkitExperiment | undefined {
  const before = issues.length
  const rules = new ExperimentRules(doc, embedded)
  rules.experiment(o)
  // Near-miss keys first: where one ties with a schema issue (the first key of an object that misses a
  // field), the key is named first, as chaostoolkit's reading order has it.
  issues.push(...rules.nearMissIssues)
  issues.push(...schemaIssues(doc, o, [], validator('ChaosToolkitExperiment', () => chaosToolkitSchema), { messages: MESSAGES }))
  issues.push(...rules.issues)
  return issues.length === before ? (o as ChaosToolkitExperiment) : undefined
}

/**
 * Validates a Kubernetes-style object embedded in an activity's arguments, pushing its issues at their own
 * positions: the manifest layer's own object validator, handed in (it also dispatches to this module).
 */
export type EmbeddedValidator = (doc: ParsedDocument, o: Record<string, unknown>, base: FieldPath, issues: Issue[]) => unknown

type Where = 'hypothesis' | 'method' | 'rollbacks' | 'tolerance' | 'configuration'

/**
 * What the schema cannot say, and why:
 * - near-miss keys (`steady_state_hypothesis`, `Type`): experiments are open objects, and "almost a known key"
 *   (case, `_` for `-`, a plural s) is a relation between a key and the known ones, not a list a schema holds;
 * - `ref`s that must name an activity of the hypothesis or the method, and control `ref`s that must name a
 *   declared control: a schema judges each value alone, these compare a value with names found elsewhere;
 * - regular expressions (as Python's `re` reads them) and JSON paths that must compile: a grammar check with
 *   the parser's own reason in the message, beyond what a pattern can say;
 * - range bounds in order: a comparison of two values of the data, both named in the message;
 * - Chaos Mesh objects in arguments: checked by their own kind's schema and rules, chosen by their data.
 * It walks the nodes the schema walks and trusts only what it checks itself.
 */
class ExperimentRules {
  /** Controls found anywhere, checked once every declared control is known. */
  private readonly controls: { control: unknown; path: FieldPath }[] = []
  /** Activities written with `ref`, resolved once every named activity is known. */
  private readonly refs: { ref: string; path: FieldPath }[] = []
  /** Names of activities `ref` can reach: the hypothesis's probes and the method's activities. */
  private readonly referable = new Set<string>()

  readonly nearMissIssues: Issue[] = []
  readonly issues: Issue[] = []

  constructor(
    private readonly doc: ParsedDocument,
    private readonly validateEmbedded: EmbeddedValidator,
  ) {}

  private report(path: FieldPath, code: ErrorCode, message: string, hint?: string, key = false, to = this.issues): void {
    const { line, col } = this.doc.locate(path, { key })
    to.push({ code, file: this.doc.file, line, col, path: formatPath(path), message, ...(hint ? { hint } : {}) })
  }

  private nearMisses(o: Obj, base: FieldPath, known: readonly string[]): void {
    for (const k of Object.keys(o)) {
      const meant = nearMiss(k, known)
      if (meant !== undefined) this.report([...base, k], 'SPEC_UNKNOWN_FIELD', `unknown field "${k}"`, `did you mean "${meant}"?`, true, this.nearMissIssues)
    }
  }

  experiment(o: Obj): void {
    this.nearMisses(o, [], TOP_LEVEL_KEYS)
    if (isObj(o.configuration)) {
      for (const [name, value] of Object.entries(o.configuration)) {
        if (isObj(value) && value.type === 'probe') this.activity(value, ['configuration', name], 'configuration')
      }
    }
    const h = o['steady-state-hypothesis']
    if (isObj(h)) {
      this.collectControls(h.controls, ['steady-state-hypothesis', 'controls'])
      if (Array.isArray(h.probes)) {
        h.probes.forEach((p, i) => {
          const path = ['steady-state-hypothesis', 'probes', i]
          if (this.activity(p, path, 'hypothesis') && 'tolerance' in (p as Obj)) this.tolerance((p as Obj).tolerance, [...path, 'tolerance'])
        })
      }
    }
    if (Array.isArray(o.method)) o.method.forEach((a, i) => this.activity(a, ['method', i], 'method'))
    if (Array.isArray(o.rollbacks)) o.rollbacks.forEach((a, i) => this.activity(a, ['rollbacks', i], 'rollbacks'))
    this.collectControls(o.controls, ['controls'])
    this.resolveRefs()
    this.checkControlRefs()
  }

  /** Returns false when `a` is not even an object (the schema says so). */
  private activity(a: unknown, path: FieldPath, where: Where): boolean {
    if (!isObj(a)) return false
    if (Object.keys(a).length === 0) return true
    if (where === 'hypothesis' || where === 'method' || where === 'rollbacks') this.collectControls(a.controls, [...path, 'controls'])
    if (a.ref !== undefined && a.ref !== null) {
      if (typeof a.ref === 'string' && a.ref !== '') this.refs.push({ ref: a.ref, path: [...path, 'ref'] })
      return true
    }
    this.nearMisses(a, path, ACTIVITY_KEYS)
    const name = a.name
    if (typeof name === 'string' && name.trim() !== '' && (where === 'hypothesis' || where === 'method')) this.referable.add(name)
    if (isObj(a.provider)) this.provider(a.provider, [...path, 'provider'])
    return true
  }

  private provider(p: Obj, path: FieldPath): void {
    this.nearMisses(p, path, PROVIDER_KEYS)
    if (typeof p.type !== 'string' || !PROVIDER_TYPES.includes(p.type)) return
    if (isObj(p.arguments) || Array.isArray(p.arguments)) this.embedded(p.arguments, [...path, 'arguments'])
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
      this.validateEmbedded(this.doc, v, path, this.issues) // other API groups come back as a skip record: not ours to judge
      return
    }
    for (const [k, child] of Object.entries(v)) this.embedded(child, [...path, k])
  }

  private tolerance(t: unknown, path: FieldPath): void {
    if (!isObj(t)) return
    switch (t.type) {
      case 'probe':
        this.activity(t, path, 'tolerance')
        return
      case 'regex':
        if (typeof t.pattern === 'string') {
          const problem = pythonRegexProblem(t.pattern)
          if (problem !== undefined) this.report([...path, 'pattern'], 'CTK_INVALID_TOLERANCE', `pattern ${describeValue(t.pattern)} is not a valid regular expression: ${problem}`)
        }
        return
      case 'jsonpath':
        if (typeof t.path === 'string' && t.path.trim() !== '') {
          const problem = jsonPathProblem(t.path.trim())
          if (problem !== undefined) this.report([...path, 'path'], 'CTK_INVALID_TOLERANCE', `JSON path ${describeValue(t.path)} is not valid: ${problem}`)
        }
        return
      case 'range': {
        const r = t.range
        if (!Array.isArray(r) || r.length !== 2) return
        const [lo, hi] = r as [unknown, unknown]
        if (isNumber(lo) && isNumber(hi) && lo > hi) {
          this.report([...path, 'range'], 'CTK_INVALID_TOLERANCE', `range lower bound ${lo} is greater than its upper bound ${hi}: no value can be within it`, `write [${hi}, ${lo}]`)
        }
      }
    }
  }

  private collectControls(list: unknown, path: FieldPath): void {
    if (Array.isArray(list)) list.forEach((control, i) => this.controls.push({ control, path: [...path, i] }))
  }

  private checkControlRefs(): void {
    const names = new Set<string>()
    for (const { control } of this.controls) {
      if (isObj(control) && !('ref' in control) && typeof control.name === 'string') names.add(control.name)
    }
    for (const { control: c, path } of this.controls) {
      if (isObj(c) && 'ref' in c && !(typeof c.ref === 'string' && names.has(c.ref))) {
        this.report([...path, 'ref'], 'CTK_UNKNOWN_REFERENCE', `control ref ${describeValue(c.ref)} names no control declared in the experiment`,
          typeof c.ref === 'string' ? didYouMean(c.ref, names) : undefined)
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
