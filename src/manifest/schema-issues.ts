/** @module manifest/schema-issues: runs a validate function over a value and turns Ajv's errors into our positioned issues. */
import type { ErrorObject, ValidateFunction } from 'ajv'
import type { ErrorCode } from '../errors.js'
import { MAX_DURATION_TEXT, parseDurationNs } from './duration.js'
import { didYouMean, formatPath } from './issues.js'
import type { FieldPath, Issue } from './issues.js'
import type { ParsedDocument } from './parse.js'

/** Patterns the CRDs use for durations: a mismatch gets the duration message, not the regex. */
const DURATION_PATTERNS = new Set(['^[0-9]+(\\.[0-9]+)?(ns|us|ms|s|m|h)$'])

/** Overrides for unknown fields that mean something (a removed 1.x field, an Argo keyword). */
export type UnknownFieldRule = (name: string, path: FieldPath) => { code: ErrorCode; message: string; hint?: string } | undefined

/** One schema error, as a message of `IssueMessages` sees it. */
export interface SchemaError {
  /** The failing keyword: `type`, `required`, `enum`, `pattern`, `minItems`, … */
  keyword: string
  /** The value at `path`; undefined for `required` (the field is missing). */
  data: unknown
  /** Where the problem is: the value's path, or for `required` the missing field's path. */
  path: FieldPath
}

/** What an `x-issue` message says instead of the generic one; `null` drops the error (another one says it). */
export type IssueMessage = (e: SchemaError) => { code: ErrorCode; message: string; hint?: string | undefined; path?: FieldPath; key?: boolean } | null

/**
 * Messages by the name a schema node gives in its `x-issue` annotation. Every error at that node (or, for
 * `required`, a missing property whose schema carries the annotation) is worded by that message.
 */
export type IssueMessages = Readonly<Record<string, IssueMessage>>

export interface SchemaIssueOptions {
  unknownField?: UnknownFieldRule | undefined
  messages?: IssueMessages | undefined
}

/**
 * Validates `value` (found at `base` inside `doc`) with `validate`, applying the schema's defaults to
 * `value` in place. Returns every problem, positioned; an empty list means valid.
 */
export function schemaIssues(doc: ParsedDocument, value: unknown, base: FieldPath, validate: ValidateFunction, opts: SchemaIssueOptions = {}): Issue[] {
  if (validate(value)) return []
  const issues: Issue[] = []
  const seen = new Set<string>()
  for (const err of validate.errors ?? []) {
    const issue = toIssue(doc, value, base, err, opts)
    if (!issue) continue
    const key = `${issue.line}:${issue.col}:${issue.code}:${issue.path}:${issue.message}`
    if (seen.has(key)) continue
    seen.add(key)
    issues.push(issue)
  }
  return issues
}

/** JSON pointer → path segments, array indexes as numbers (decided by walking the value). */
export function pointerToPath(root: unknown, pointer: string): (string | number)[] {
  if (pointer === '') return []
  const out: (string | number)[] = []
  let cur: unknown = root
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    if (Array.isArray(cur)) {
      const i = Number(seg)
      out.push(i)
      cur = cur[i]
    } else {
      out.push(seg)
      cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[seg] : undefined
    }
  }
  return out
}

export function describeValue(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'a list'
  if (typeof v === 'object') return 'an object'
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v)
  return `${typeof v} ${String(v)}`
}

const TYPE_WORDS: Record<string, string> = {
  object: 'an object', array: 'a list', string: 'a string', integer: 'an integer', number: 'a number', boolean: 'true or false', null: 'null',
}

function typeWords(t: unknown): string {
  const list = Array.isArray(t) ? t : String(t).split(',')
  return list.map((x) => TYPE_WORDS[x] ?? x).join(' or ')
}

/** The `x-issue` annotation that words `err`: on the failing node, or for `required` on the missing property's schema. */
function annotation(err: ErrorObject): string | undefined {
  const parent = err.parentSchema as Record<string, unknown> | undefined
  if (err.keyword === 'required') {
    const props = parent?.properties as Record<string, Record<string, unknown> | undefined> | undefined
    const own = props !== undefined && Object.hasOwn(props, String(err.params.missingProperty)) ? props[String(err.params.missingProperty)] : undefined
    return own?.['x-issue'] as string | undefined
  }
  return parent?.['x-issue'] as string | undefined
}

function toIssue(doc: ParsedDocument, root: unknown, base: FieldPath, err: ErrorObject, opts: SchemaIssueOptions): Issue | undefined {
  const rel = pointerToPath(root, err.instancePath)
  const path = [...base, ...rel]
  const params = err.params as Record<string, unknown>
  const make = (code: ErrorCode, message: string, p: FieldPath, hint?: string, key = false): Issue => {
    const { line, col } = doc.locate(p, { key })
    return { code, file: doc.file, line, col, path: formatPath(p), message, ...(hint ? { hint } : {}) }
  }
  if (err.keyword === 'if') return undefined // the failing `then`/`else` keywords are reported themselves
  const id = annotation(err)
  const message = id === undefined ? undefined : opts.messages?.[id]
  if (message) {
    const at = err.keyword === 'required' ? [...path, String(params.missingProperty)] : path
    const m = message({ keyword: err.keyword, data: err.keyword === 'required' ? undefined : err.data, path: at })
    return m === null ? undefined : make(m.code, m.message, m.path ?? at, m.hint, m.key ?? false)
  }
  const unknownField = opts.unknownField
  switch (err.keyword) {
    case 'required': {
      const name = String(params.missingProperty)
      return make('SPEC_REQUIRED', `missing required field "${name}"`, [...path, name])
    }
    case 'additionalProperties': {
      const name = String(params.additionalProperty)
      const special = unknownField?.(name, [...path, name])
      if (special) return make(special.code, special.message, [...path, name], special.hint, true)
      const known = Object.keys((err.parentSchema as { properties?: object } | undefined)?.properties ?? {})
      const hint = didYouMean(name, known) ?? (known.length > 0 && known.length <= 12 ? `known fields: ${known.join(', ')}` : undefined)
      return make('SPEC_UNKNOWN_FIELD', `unknown field "${name}"`, [...path, name], hint, true)
    }
    case 'type':
      return make('SPEC_TYPE', `expected ${typeWords(params.type)}, got ${describeValue(err.data)}`, path, typeHint(params.type, err.data))
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]) ?? []
      const hint = typeof err.data === 'string' ? didYouMean(err.data, allowed.map(String)) : undefined
      return make('SPEC_ENUM', `expected one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${describeValue(err.data)}`, path, hint)
    }
    case 'const':
      return make('SPEC_ENUM', `expected ${JSON.stringify(params.allowedValue)}, got ${describeValue(err.data)}`, path)
    case 'pattern':
      if (DURATION_PATTERNS.has(String(params.pattern))) return formatIssue(make, 'duration', err.data, path)
      return make('SPEC_PATTERN', `${describeValue(err.data)} does not match the pattern ${String(params.pattern)}`, path)
    case 'format':
      return formatIssue(make, String(params.format), err.data, path)
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return make('SPEC_OUT_OF_RANGE', `must be ${String(params.comparison)} ${String(params.limit)}, got ${describeValue(err.data)}`, path)
    case 'minItems':
      return make('SPEC_OUT_OF_RANGE', `must have at least ${String(params.limit)} item(s)`, path)
    case 'maxItems':
      return make('SPEC_OUT_OF_RANGE', `must have at most ${String(params.limit)} item(s)`, path)
    case 'minLength':
      return make('SPEC_OUT_OF_RANGE', `must be at least ${String(params.limit)} character(s) long`, path)
    case 'maxLength':
      return make('SPEC_OUT_OF_RANGE', `must be at most ${String(params.limit)} characters long`, path)
    default:
      return make('SPEC_INVALID_VALUE', err.message ?? 'is not valid', path)
  }
}

function typeHint(expected: unknown, got: unknown): string | undefined {
  const t = String(expected)
  if (t === 'string' && (typeof got === 'number' || typeof got === 'boolean')) return `quote the value: "${String(got)}"`
  if ((t === 'integer' || t === 'number') && typeof got === 'string' && got.trim() !== '' && Number.isFinite(Number(got))) return `remove the quotes: ${got}`
  if (t === 'array' && (typeof got === 'string' || typeof got === 'number')) return `write a list: [${JSON.stringify(got)}]`
  return undefined
}

function formatIssue(
  make: (code: ErrorCode, message: string, p: FieldPath, hint?: string) => Issue,
  format: string,
  data: unknown,
  path: FieldPath,
): Issue {
  switch (format) {
    case 'duration': {
      const r = typeof data === 'string' ? parseDurationNs(data) : undefined
      if (r && 'overflow' in r) {
        return make('SPEC_INVALID_DURATION', `expected a duration of at most ${MAX_DURATION_TEXT}, got ${describeValue(data)}`, path, 'Chaos Mesh keeps a duration as a Go time.Duration (int64 nanoseconds, about 292 years): write a shorter one')
      }
      return make('SPEC_INVALID_DURATION', `expected a duration like "100ms", got ${describeValue(data)}`, path, 'units are ns, us, ms, s, m and h; combine them like "1m30s"')
    }
    case 'float-string':
      return make('SPEC_INVALID_VALUE', `expected a number in a string like "25", got ${describeValue(data)}`, path)
    case 'byte':
      return make('SPEC_INVALID_VALUE', `expected base64-encoded bytes, got ${describeValue(data)}`, path, 'encode the content with base64')
    case 'date-time':
      return make('SPEC_INVALID_VALUE', `expected an RFC 3339 time like "2024-01-02T15:04:05Z", got ${describeValue(data)}`, path)
    default:
      return make('SPEC_INVALID_VALUE', `expected a ${format}, got ${describeValue(data)}`, path)
  }
}
