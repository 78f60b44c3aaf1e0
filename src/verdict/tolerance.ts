/**
 * @module verdict/tolerance: whether a probe's value is within its tolerance, as chaostoolkit-lib's
 * `within_tolerance` decides (a singledispatch on the tolerance's Python type), with what was observed and what
 * was expected in words for the terminal and the journal.
 *
 *   tolerance ─ str? substitute (as run_steady_state_hypothesis does) ─▶ dispatch on its type
 *     bool  value == tol                     int   value == tol, or value.status == tol
 *     str   value == tol                     list  value.status in tol | tol[0] <= value <= tol[1] | value in tol
 *     float never met (no rule for floats in chaostoolkit-lib; JSON's whole numbers count as int)
 *     dict  probe | regex (re.search) | jsonpath (jsonpath2) | range (Decimal, inclusive)
 *
 * It never throws for what a probe returned: where Python would raise (a TypeError comparing 1 with "a", a
 * regex on a number, a NaN in a range), the tolerance is not met and `observed` says why.
 */
import { decimalLe, isPyDict, isPyInt, pyCompare, pyDecimal, pyEquals, pyIn, pyRegex, pyRepr, pyTruthy, pyTypeName, PyTypeError } from './pyvalue.js'
import { substitute } from './substitute.js'
import type { ActivityRun, ChaosToolkitActivityDefinition, ChaosToolkitTolerance, ToleranceCheck, Values } from './types.js'

export type RunToleranceProbe = (probe: ChaosToolkitActivityDefinition) => Promise<ActivityRun>

/** A value in a line of text: JSON-like (strings quoted, bytes as b'…'), cut at `max` characters. */
export function show(v: unknown, max = 80): string {
  const text = render(v)
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}

function render(v: unknown): string {
  if (v === undefined || v === null) return 'null'
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity'
  if (typeof v === 'string') return JSON.stringify(v)
  if (v instanceof Uint8Array) return pyRepr(v)
  if (Array.isArray(v)) return `[${v.map(render).join(', ')}]`
  if (isPyDict(v)) return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${render(x)}`).join(', ')}}`
  return String(v)
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : word.endsWith('ch') ? 'es' : 's'}`
}

function oneOf(list: readonly unknown[]): string {
  return list.length === 0 ? 'one of (an empty list)' : `one of ${list.map((x) => show(x, 30)).join(', ')}`
}

const check = (met: boolean, observed: string, expected: string): ToleranceCheck => ({ met, observed, expected })

/**
 * Checks `value` against `tolerance` as chaostoolkit-lib does. A string tolerance is substituted first (as
 * run_steady_state_hypothesis does before calling within_tolerance), and its result dispatched on its own type;
 * inside a dict tolerance the regex pattern, the JSON path and `expect` are substituted, as within_tolerance
 * does. `runProbe` runs a probe tolerance (its `arguments.value` set to the value).
 */
export async function checkTolerance(tolerance: ChaosToolkitTolerance, value: unknown, values: Values, runProbe?: RunToleranceProbe): Promise<ToleranceCheck> {
  let tol: unknown = tolerance
  if (typeof tol === 'string') tol = substitute(tol, values)
  if (typeof tol === 'boolean') return check(pyEquals(value, tol), show(value), tol ? 'true' : 'false')
  if (typeof tol === 'string') return check(pyEquals(value, tol), show(value), show(tol))
  if (typeof tol === 'number') {
    if (!isPyInt(tol)) {
      return check(false, show(value), `${tol}: a float tolerance is never met (chaostoolkit-lib has no rule for floats); write an int, [min, max] or a range tolerance`)
    }
    if (isPyDict(value) && 'status' in value) return check(pyEquals(value.status, tol), `status ${show(value.status)}`, String(tol))
    return check(pyEquals(value, tol), show(value), String(tol))
  }
  if (Array.isArray(tol)) return listTolerance(tol, value)
  if (isPyDict(tol)) return dictTolerance(tol, value, values, runProbe)
  return check(false, show(value), `${show(tol)}: a tolerance of type ${pyTypeName(tol)} is never met (chaostoolkit-lib has no rule for it)`)
}

function listTolerance(tol: unknown[], value: unknown): ToleranceCheck {
  if (isPyDict(value) && 'status' in value) return check(pyIn(value.status, tol), `status ${show(value.status)}`, oneOf(tol))
  if (tol.length === 2) {
    const expected = `between ${show(tol[0], 30)} and ${show(tol[1], 30)}`
    try {
      // Python's chained tol[0] <= value <= tol[1]: the second comparison only when the first holds
      const met = pyCompare(tol[0], value) <= 0 && pyCompare(value, tol[1]) <= 0
      return check(met, show(value), expected)
    } catch (e) {
      if (e instanceof PyTypeError) return check(false, `${show(value)} (${e.message})`, expected)
      throw e
    }
  }
  return check(pyIn(value, tol), show(value), oneOf(tol))
}

/** `value.get(target, value)`: the target key of a dict, else the value itself; undefined where Python raises. */
function targetOf(value: unknown, target: unknown): { value: unknown } | { error: string } {
  if (!pyTruthy(target)) return { value }
  if (!isPyDict(value)) return { error: `${show(value)} has no key ${show(target)} to read (the value is a ${pyTypeName(value)}, not a mapping)` }
  return { value: typeof target === 'string' && Object.hasOwn(value, target) ? value[target] : value }
}

function label(target: unknown, v: unknown): string {
  return pyTruthy(target) ? `${String(target)} ${show(v)}` : show(v)
}

async function dictTolerance(tol: Record<string, unknown>, value: unknown, values: Values, runProbe?: RunToleranceProbe): Promise<ToleranceCheck> {
  switch (tol.type) {
    case 'probe':
      return probeTolerance(tol, value, runProbe)
    case 'regex':
      return regexTolerance(tol, value, values)
    case 'jsonpath':
      return jsonPathTolerance(tol, value, values)
    case 'range':
      return rangeTolerance(tol, value)
    default:
      return check(false, show(value), `a tolerance of type ${show(tol.type)}, which chaostoolkit-lib does not know (never met)`)
  }
}

async function probeTolerance(tol: Record<string, unknown>, value: unknown, runProbe?: RunToleranceProbe): Promise<ToleranceCheck> {
  const name = String(tol.name ?? '')
  const expected = `probe "${name}" returns a true value`
  const provider = isPyDict(tol.provider) ? tol.provider : {}
  const args = provider.arguments ?? {}
  if (!isPyDict(args)) return check(false, `the value cannot be given to probe "${name}": its arguments are a ${pyTypeName(args)}, not a mapping`, expected)
  if (!runProbe) return check(false, `probe "${name}" was not run (no probe runner)`, expected)
  const probe = { ...tol, provider: { ...provider, arguments: { ...args, value } } } as unknown as ChaosToolkitActivityDefinition
  let run: ActivityRun
  try {
    run = await runProbe(probe)
  } catch (e) {
    return check(false, `probe "${name}" failed: ${(e as Error).message}`, expected)
  }
  if (run.status !== 'succeeded') {
    const why = run.chaoscope?.error?.message ?? run.exception?.join('').trim() ?? 'it failed'
    return check(false, `probe "${name}" failed: ${why}`, expected)
  }
  return check(pyTruthy(run.output), `probe "${name}" returned ${show(run.output)}`, expected)
}

function regexTolerance(tol: Record<string, unknown>, value: unknown, values: Values): ToleranceCheck {
  const pattern = substitute(tol.pattern, values)
  const expected = typeof pattern === 'string' ? `text matching ${JSON.stringify(pattern)}` : `text matching ${show(pattern)}`
  const t = targetOf(value, tol.target)
  if ('error' in t) return check(false, t.error, expected)
  if (typeof pattern !== 'string') return check(false, `${label(tol.target, t.value)} (the pattern is a ${pyTypeName(pattern)}, not text)`, expected)
  const rx = pyRegex(pattern)
  if ('problem' in rx) return check(false, `${label(tol.target, t.value)} (the pattern cannot be used: ${rx.problem})`, expected)
  if (typeof t.value !== 'string') {
    const why = t.value instanceof Uint8Array ? 'cannot use a string pattern on a bytes-like object' : `expected string or bytes-like object, got '${pyTypeName(t.value)}'`
    return check(false, `${label(tol.target, t.value)} (${why})`, expected)
  }
  return check(rx.regex.test(t.value), label(tol.target, t.value), expected)
}

function jsonPathTolerance(tol: Record<string, unknown>, value: unknown, values: Values): ToleranceCheck {
  const path = substitute(tol.path, values)
  const shownPath = typeof path === 'string' ? path : show(path)
  const count = tol.count
  const hasExpect = 'expect' in tol
  const expect = hasExpect ? substitute(tol.expect, values) : undefined
  const expected = hasExpect
    ? Array.isArray(expect) ? `matches equal to ${show(expect)}` : `1 match equal to ${show(expect)}`
    : count !== null && count !== undefined ? (typeof count === 'number' ? plural(count, 'match') : `${show(count)} matches`) : 'at least 1 match'
  const t = targetOf(value, tol.target)
  if ('error' in t) return check(false, t.error, expected)
  let doc = t.value
  if (doc instanceof Uint8Array) {
    try {
      doc = new TextDecoder('utf-8', { fatal: true }).decode(doc)
    } catch {
      return check(false, `${show(doc)} ('utf-8' codec can't decode the bytes)`, expected)
    }
  }
  if (typeof doc === 'string') {
    try {
      doc = JSON.parse(doc) as unknown
    } catch {
      // not JSON: the text itself is matched, as chaostoolkit-lib does
    }
  }
  if (typeof path !== 'string') return check(false, `the JSON path is a ${pyTypeName(path)}, not text`, expected)
  let found: unknown[]
  try {
    found = matchJsonPath2(parseJsonPath2(path), doc)
  } catch (e) {
    if (e instanceof JsonPathError || e instanceof PyTypeError) return check(false, `JSON path ${shownPath} cannot be used: ${e.message}`, expected)
    throw e
  }
  let met = found.length > 0
  if (count !== null && count !== undefined) met = pyEquals(found.length, count)
  if (hasExpect) met = pyEquals(found, Array.isArray(expect) ? expect : [expect])
  const observed = found.length === 0 ? `0 matches of ${shownPath}` : `${plural(found.length, 'match')} of ${shownPath}: ${show(found.length === 1 ? found[0] : found, 60)}`
  return check(met, observed, expected)
}

function rangeTolerance(tol: Record<string, unknown>, value: unknown): ToleranceCheck {
  const range = Array.isArray(tol.range) ? tol.range : []
  const expected = `between ${show(range[0], 30)} and ${show(range[1], 30)}`
  const t = targetOf(value, tol.target)
  if ('error' in t) return check(false, t.error, expected)
  const observed = label(tol.target, t.value)
  try {
    const v = pyDecimal(t.value)
    if (v === 'invalid') return check(false, `${observed} (not a number)`, expected)
    const lo = pyDecimal(range[0])
    const hi = pyDecimal(range[1])
    if (lo === 'invalid' || hi === 'invalid') return check(false, `${observed} (a bound of the range is not a number)`, expected)
    return check(decimalLe(lo, v) && decimalLe(v, hi), observed, expected)
  } catch (e) {
    if (e instanceof PyTypeError) return check(false, `${observed} (not a number: ${e.message})`, expected)
    throw e
  }
}

// ─── jsonpath2 ───────────────────────────────────────────────────────────────────────────────────────────
// chaostoolkit-lib reads JSON paths with jsonpath2 (an ANTLR grammar of its own), whose syntax differs from
// Goessner's and RFC 9535's: filters apply to the value they follow (`$.items[*][?(@.x = 1)]`, not
// `$.items[?(@.x == 1)]`), `=` is equality, `and`/`or`/`not` are words (`and` binds looser than `or`), strings
// are double-quoted only and their escapes are kept as written, and a few calls exist (length(), keys(),
// values(), entries(), charAt(i), substring(a[, b])). This is that grammar and its matching, value for value.

/** A JSON path jsonpath2 would refuse (or a failure while matching, such as a slice step of 0). */
export class JsonPathError extends Error {}

type JNode =
  | { kind: 'terminal' }
  | { kind: 'root' | 'current'; next: JNode }
  | { kind: 'subscript'; subs: JSub[]; next: JNode }
  | { kind: 'descent'; inner: JNode }

type JArg = { node: JNode } | { value: unknown }

type JSub =
  | { kind: 'key'; key: string }
  | { kind: 'index'; index: number }
  | { kind: 'slice'; start?: number; end?: number; step?: number }
  | { kind: 'wildcard' }
  | { kind: 'filter'; expr: JExpr }
  | { kind: 'node'; node: JNode }
  | { kind: 'call'; name: string; args: JArg[] }

type JExpr =
  | { kind: 'and' | 'or'; items: JExpr[] }
  | { kind: 'not'; expr: JExpr }
  | { kind: 'cmp'; op: string; left: JArg; right: JArg }
  | { kind: 'some'; arg: JArg }

interface Token {
  type: string
  text: string
  pos: number
}

const KEYWORDS = new Set(['and', 'or', 'not', 'true', 'false', 'null'])
const CALLS = new Set(['charAt', 'entries', 'keys', 'length', 'substring', 'values'])
const LEX: [string, RegExp][] = [
  ['ws', /[ \t\n\r]+/y],
  ['..', /\.\./y],
  ['op', />=|<=|!=|[=<>]/y],
  ['punct', /[@$.*{}[\]:,()?]/y],
  ['string', /"(?:\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})|[^"\\\u0000-\u001f])*"/y],
  ['number', /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?(?:0|[1-9][0-9]*))?/y],
  ['id', /[_A-Za-z][_A-Za-z0-9]*/y],
]

function lex(path: string): Token[] {
  const out: Token[] = []
  let pos = 0
  outer: while (pos < path.length) {
    for (const [kind, rx] of LEX) {
      rx.lastIndex = pos
      const m = rx.exec(path)
      if (!m) continue
      const text = m[0]
      if (kind !== 'ws') {
        const type = kind === 'id' && KEYWORDS.has(text) ? text : kind === 'op' || kind === 'punct' || kind === '..' ? text : kind
        out.push({ type, text, pos })
      }
      pos += text.length
      continue outer
    }
    throw new JsonPathError(`unexpected ${JSON.stringify(path[pos])} at position ${pos + 1}`)
  }
  out.push({ type: 'eof', text: '', pos })
  return out
}

class JsonPathParser {
  private i = 0
  constructor(private readonly tokens: Token[]) {}

  private get tok(): Token {
    return this.tokens[this.i]!
  }

  private accept(type: string): Token | undefined {
    if (this.tok.type !== type) return undefined
    return this.tokens[this.i++]
  }

  private expect(type: string, what = `"${type}"`): Token {
    const t = this.accept(type)
    if (!t) this.fail(`${what} expected`)
    return t
  }

  private fail(message: string): never {
    const t = this.tok
    throw new JsonPathError(`${message} at position ${t.pos + 1}${t.type === 'eof' ? ' (the end)' : `, found ${JSON.stringify(t.text)}`}`)
  }

  path(): JNode {
    this.expect('$', 'the root "$"')
    const next = this.subscript()
    if (this.tok.type !== 'eof') this.fail('the end of the path expected')
    return { kind: 'root', next }
  }

  /** `$…` or `@…` inside a path. */
  private relative(): JNode | undefined {
    const t = this.accept('$') ?? this.accept('@')
    if (!t) return undefined
    return { kind: t.type === '$' ? 'root' : 'current', next: this.subscript() }
  }

  private subscript(): JNode {
    if (this.accept('..')) {
      const subs = this.tok.type === '[' ? this.subscriptables() : [this.bareword()]
      return { kind: 'descent', inner: { kind: 'subscript', subs, next: this.subscript() } }
    }
    if (this.accept('.')) {
      const sub = this.bareword()
      return { kind: 'subscript', subs: [sub], next: this.subscript() }
    }
    if (this.tok.type === '[') {
      const subs = this.subscriptables()
      return { kind: 'subscript', subs, next: this.subscript() }
    }
    return { kind: 'terminal' }
  }

  private bareword(): JSub {
    if (this.accept('*')) return { kind: 'wildcard' }
    const id = this.expect('id', 'a name or "*"')
    if (this.tok.type === '(') return this.call(id.text)
    return { kind: 'key', key: id.text }
  }

  private call(name: string): JSub {
    if (!CALLS.has(name)) throw new JsonPathError(`callable subscript '${name}' not found (known: ${[...CALLS].join(', ')})`)
    this.expect('(')
    const args: JArg[] = []
    if (!this.accept(')')) {
      do args.push(this.operand())
      while (this.accept(','))
      this.expect(')')
    }
    return { kind: 'call', name, args }
  }

  private subscriptables(): JSub[] {
    this.expect('[')
    const subs = [this.subscriptable()]
    while (this.accept(',')) subs.push(this.subscriptable())
    this.expect(']')
    return subs
  }

  private int(): number {
    const t = this.expect('number', 'an integer')
    if (!/^-?(?:0|[1-9][0-9]*)$/.test(t.text)) throw new JsonPathError(`${t.text} at position ${t.pos + 1} is not an integer`)
    return Number(t.text)
  }

  private subscriptable(): JSub {
    const t = this.tok
    if (this.accept('string')) return { kind: 'key', key: t.text.slice(1, -1) }
    if (t.type === 'number') {
      const index = this.int()
      return this.tok.type === ':' ? this.slice(index) : { kind: 'index', index }
    }
    if (t.type === ':') return this.slice(undefined)
    if (this.accept('*')) return { kind: 'wildcard' }
    if (this.accept('?')) {
      this.expect('(')
      const expr = this.expression()
      this.expect(')')
      return { kind: 'filter', expr }
    }
    const node = this.relative()
    if (node) return { kind: 'node', node }
    if (this.accept('id')) {
      if (this.tok.type !== '(') this.fail('"(" expected after a name in brackets (use "name" in quotes for a key)')
      return this.call(t.text)
    }
    return this.fail('a key, an index, a slice, "*", a filter or a path expected')
  }

  private slice(start: number | undefined): JSub {
    this.expect(':')
    const s: { kind: 'slice'; start?: number; end?: number; step?: number } = { kind: 'slice' }
    if (start !== undefined) s.start = start
    if (this.tok.type === 'number') s.end = this.int()
    if (this.accept(':') && this.tok.type === 'number') s.step = this.int()
    return s
  }

  private expression(): JExpr {
    return this.and()
  }

  private and(): JExpr {
    const first = this.or()
    if (!this.accept('and')) return first
    const rest = this.and()
    return { kind: 'and', items: [...flat('and', first), ...flat('and', rest)] }
  }

  private or(): JExpr {
    const first = this.not()
    if (!this.accept('or')) return first
    const rest = this.or()
    return { kind: 'or', items: [...flat('or', first), ...flat('or', rest)] }
  }

  private not(): JExpr {
    if (this.accept('not')) return { kind: 'not', expr: this.not() }
    if (this.accept('(')) {
      const e = this.expression()
      this.expect(')')
      return e
    }
    const left = this.operand()
    const op = this.tok.type
    if (['=', '!=', '<', '<=', '>', '>='].includes(op)) {
      this.i++
      return { kind: 'cmp', op, left, right: this.operand() }
    }
    return { kind: 'some', arg: left }
  }

  private operand(): JArg {
    const node = this.relative()
    return node ? { node } : { value: this.value() }
  }

  private value(): unknown {
    const t = this.tok
    if (this.accept('string')) return t.text.slice(1, -1)
    if (this.accept('number')) return Number(t.text)
    if (this.accept('true')) return true
    if (this.accept('false')) return false
    if (this.accept('null')) return null
    if (this.accept('{')) {
      const obj: Record<string, unknown> = {}
      if (this.accept('}')) return obj
      do {
        const key = this.expect('string', 'a quoted key')
        this.expect(':')
        obj[key.text.slice(1, -1)] = this.value()
      } while (this.accept(','))
      this.expect('}')
      return obj
    }
    if (this.accept('[')) {
      const arr: unknown[] = []
      if (this.accept(']')) return arr
      do arr.push(this.value())
      while (this.accept(','))
      this.expect(']')
      return arr
    }
    return this.fail('a path (@ or $) or a value expected')
  }
}

function flat(kind: 'and' | 'or', e: JExpr): JExpr[] {
  return e.kind === kind ? e.items : [e]
}

/** Parses a JSON path as jsonpath2 does; throws JsonPathError where jsonpath2 raises ValueError. */
export function parseJsonPath2(path: string): JNode {
  return new JsonPathParser(lex(path)).path()
}

/** Why jsonpath2 would refuse `path`, or undefined. */
export function jsonPath2Problem(path: string): string | undefined {
  try {
    parseJsonPath2(path)
    return undefined
  } catch (e) {
    if (e instanceof JsonPathError) return e.message
    throw e
  }
}

/** jsonpath2's ints: int and bool (JSON's whole numbers count as int). */
function asIndex(v: unknown): number | undefined {
  if (typeof v === 'boolean') return v ? 1 : 0
  return typeof v === 'number' && Number.isInteger(v) ? v : undefined
}

function children(v: unknown): unknown[] {
  if (Array.isArray(v)) return v
  if (isPyDict(v)) return Object.values(v)
  return []
}

function atIndex(list: unknown[], index: number): unknown[] {
  const i = index < 0 ? index + list.length : index
  return i >= 0 && i < list.length ? [list[i]] : []
}

/** jsonpath2's slice: its own start rule, then Python's range(), each index read as an index (so -1 wraps). */
function sliceOf(list: unknown[], s: { start?: number; end?: number; step?: number }): unknown[] {
  const len = list.length
  const start = s.start === undefined ? 0 : s.start < 0 ? s.start + (Math.abs(s.start) < len ? len : Math.abs(s.start)) : s.start
  const stop = s.end === undefined ? len : s.end < 0 ? s.end + len : s.end
  const step = s.step ?? 1
  if (step === 0) throw new JsonPathError('range() arg 3 must not be zero (a slice step of 0)')
  const out: unknown[] = []
  // only indices in [-len, len) match anything; the loops skip the others, so huge bounds stay cheap
  // (start is never below 0 here, and an index at or past len matches nothing)
  if (step > 0) for (let i = start; i < Math.min(stop, len); i += step) out.push(...atIndex(list, i))
  else {
    let i = start
    if (i > len - 1) i -= Math.ceil((i - (len - 1)) / -step) * -step
    for (; i > Math.max(stop, -len - 1); i += step) out.push(...atIndex(list, i))
  }
  return out
}

/** Python's s[a:b] on code points. */
function pySlice(chars: string[], a: number, b?: number): string {
  const len = chars.length
  const clamp = (n: number) => Math.min(Math.max(n < 0 ? n + len : n, 0), len)
  return chars.slice(clamp(a), b === undefined ? len : clamp(b)).join('')
}

function callOf(name: string, cur: unknown, args: unknown[]): unknown[] {
  const isStr = typeof cur === 'string'
  switch (name) {
    case 'length':
      if (args.length === 0 && (Array.isArray(cur) || isStr)) return [isStr ? Array.from(cur as string).length : (cur as unknown[]).length]
      return []
    case 'keys':
      if (args.length > 0) return []
      if (isPyDict(cur)) return [Object.keys(cur)]
      return Array.isArray(cur) ? [cur.map((_, i) => i)] : []
    case 'values':
      if (args.length > 0) return []
      if (isPyDict(cur)) return [Object.values(cur)]
      return Array.isArray(cur) ? [cur] : []
    case 'entries':
      if (args.length > 0) return []
      if (isPyDict(cur)) return [Object.entries(cur).map(([k, v]) => [k, v])]
      return Array.isArray(cur) ? [cur.map((v, i) => [i, v])] : []
    case 'charAt': {
      const i = args.length === 1 ? asIndex(args[0]) : undefined
      if (!isStr || i === undefined) return []
      const chars = Array.from(cur as string)
      const j = i < 0 ? i + chars.length : i
      return j >= 0 && j < chars.length ? [chars[j]] : []
    }
    case 'substring': {
      if (!isStr) return []
      const a = asIndex(args[0])
      const b = args.length === 2 ? asIndex(args[1]) : undefined
      if (a === undefined || (args.length === 2 && b === undefined) || args.length > 2 || args.length === 0) return []
      return [pySlice(Array.from(cur as string), a, b)]
    }
    default:
      return []
  }
}

function argValues(arg: JArg, root: unknown, cur: unknown): unknown[] {
  return 'node' in arg ? matchNode(arg.node, root, cur) : [arg.value]
}

function product(lists: unknown[][]): unknown[][] {
  return lists.reduce<unknown[][]>((acc, list) => acc.flatMap((prefix) => list.map((x) => [...prefix, x])), [[]])
}

function matchSub(sub: JSub, root: unknown, cur: unknown): unknown[] {
  switch (sub.kind) {
    case 'key':
      return isPyDict(cur) && Object.hasOwn(cur, sub.key) ? [cur[sub.key]] : []
    case 'index':
      return Array.isArray(cur) ? atIndex(cur, sub.index) : []
    case 'slice':
      return Array.isArray(cur) ? sliceOf(cur, sub) : []
    case 'wildcard':
      return children(cur)
    case 'filter':
      return evaluate(sub.expr, root, cur) ? [cur] : []
    case 'node':
      return matchNode(sub.node, root, cur).flatMap((v) => {
        const i = asIndex(v)
        if (i !== undefined) return Array.isArray(cur) ? atIndex(cur, i) : []
        if (typeof v === 'string') return isPyDict(cur) && Object.hasOwn(cur, v) ? [cur[v]] : []
        return []
      })
    case 'call':
      return product(sub.args.map((a) => argValues(a, root, cur))).flatMap((args) => callOf(sub.name, cur, args))
  }
}

function matchNode(node: JNode, root: unknown, cur: unknown): unknown[] {
  switch (node.kind) {
    case 'terminal':
      return [cur]
    case 'root':
      return matchNode(node.next, root, root)
    case 'current':
      return matchNode(node.next, root, cur)
    case 'subscript':
      return node.subs.flatMap((sub) => matchSub(sub, root, cur).flatMap((v) => matchNode(node.next, root, v)))
    case 'descent':
      return [...matchNode(node.inner, root, cur), ...children(cur).flatMap((c) => matchNode(node, root, c))]
  }
}

function numeric(v: unknown): number | undefined {
  return typeof v === 'number' ? v : typeof v === 'boolean' ? (v ? 1 : 0) : undefined
}

function compare(op: string, a: unknown, b: unknown): boolean {
  if (op === '=') return pyEquals(a, b)
  if (op === '!=') return !pyEquals(a, b)
  const x = numeric(a)
  const y = numeric(b)
  if (x === undefined || y === undefined) return false // jsonpath2 orders numbers only
  return op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y
}

function evaluate(e: JExpr, root: unknown, cur: unknown): boolean {
  switch (e.kind) {
    case 'and':
      return e.items.every((x) => evaluate(x, root, cur))
    case 'or':
      return e.items.some((x) => evaluate(x, root, cur))
    case 'not':
      return !evaluate(e.expr, root, cur)
    case 'cmp': {
      const left = argValues(e.left, root, cur)
      const right = argValues(e.right, root, cur)
      return left.some((a) => right.some((b) => compare(e.op, a, b)))
    }
    case 'some':
      return 'node' in e.arg ? matchNode(e.arg.node, root, cur).length > 0 : pyTruthy(e.arg.value)
  }
}

/** The values a parsed jsonpath2 path matches in `doc`, in jsonpath2's order (descent is depth-first, pre-order). */
export function matchJsonPath2(path: JNode, doc: unknown): unknown[] {
  return matchNode(path, doc, doc)
}
