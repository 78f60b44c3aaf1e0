/**
 * @module selector: Kubernetes label selectors (a map, or the `kubectl -l` string form) matched
 * against pod labels. The string form is read by a small tokenizer and a recursive-descent parser, so a malformed
 * selector is a SELECTOR_INVALID error that quotes it and names the column where it breaks, never a silent match.
 */
import { ChaosError } from './errors.js'

/** `{app: 'web'}`, or a string like `app=web,tier!=db,canary,!legacy,env in (dev,qa),zone notin (b)`. */
export type LabelSelector = Record<string, string> | string

/** One requirement of a selector; every requirement must hold for a match. */
export type Requirement =
  | { key: string; op: 'in'; values: string[] }
  | { key: string; op: 'notin'; values: string[] }
  | { key: string; op: 'exists' }
  | { key: string; op: '!exists' }

type TokenKind = 'word' | ',' | '(' | ')' | '=' | '==' | '!=' | '!' | 'end'

interface Token {
  kind: TokenKind
  text: string
  /** 0-based offset in the selector text. */
  at: number
}

const HINT = 'write requirements separated by commas: key, !key, key=value, key!=value, key in (a,b), key notin (a,b)'
/** A label name or value: up to 63 characters, alphanumeric at both ends, `-`, `_` and `.` between. */
const NAME = /^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/
/** A key's optional prefix: a DNS subdomain (`app.kubernetes.io`). */
const PREFIX = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/

function tokenize(text: string, fail: (at: number, what: string) => never): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < text.length) {
    const c = text[i]!
    if (/\s/.test(c)) {
      i++
    } else if (c === ',' || c === '(' || c === ')') {
      tokens.push({ kind: c, text: c, at: i++ })
    } else if (c === '=') {
      const two = text[i + 1] === '='
      tokens.push({ kind: two ? '==' : '=', text: two ? '==' : '=', at: i })
      i += two ? 2 : 1
    } else if (c === '!') {
      const ne = text[i + 1] === '='
      tokens.push({ kind: ne ? '!=' : '!', text: ne ? '!=' : '!', at: i })
      i += ne ? 2 : 1
    } else if (c === '<' || c === '>') {
      fail(i, `${JSON.stringify(c)} is not a label selector operator (use =, ==, !=, in or notin)`)
    } else {
      const start = i
      while (i < text.length && !/[\s,()=!<>]/.test(text[i]!)) i++
      tokens.push({ kind: 'word', text: text.slice(start, i), at: start })
    }
  }
  tokens.push({ kind: 'end', text: '', at: text.length })
  return tokens
}

const describe = (t: Token): string => (t.kind === 'end' ? 'the end of the selector' : JSON.stringify(t.text))

/**
 * Parses the string form. Throws a SELECTOR_INVALID ChaosError that quotes the selector and says at which column
 * (1-based) and why it cannot be read. An empty (or blank) selector has no requirements and matches everything.
 *
 * @example parseSelector('app=web,env in (dev,qa)') // [{key:'app',op:'in',values:['web']}, {key:'env',op:'in',values:['dev','qa']}]
 * @example parseSelector('app in (web') // throws: label selector "app in (web" breaks at column 12: expected "," or ")" ...
 */
export function parseSelector(text: string): Requirement[] {
  const fail = (at: number, what: string): never => {
    throw new ChaosError('SELECTOR_INVALID', `label selector ${JSON.stringify(text)} breaks at column ${at + 1}: ${what}`, { hint: HINT })
  }
  const tokens = tokenize(text, fail)
  let pos = 0
  const peek = (): Token => tokens[pos]!
  const next = (): Token => tokens[pos++]!

  const key = (t: Token): string => {
    if (t.kind !== 'word') fail(t.at, `expected a label key, got ${describe(t)}`)
    const slash = t.text.indexOf('/')
    const prefix = slash >= 0 ? t.text.slice(0, slash) : undefined
    const name = slash >= 0 ? t.text.slice(slash + 1) : t.text
    if (prefix !== undefined && (prefix.length > 253 || !PREFIX.test(prefix))) fail(t.at, `the key prefix ${JSON.stringify(prefix)} is not a DNS subdomain (lowercase letters, digits, "-" and ".")`)
    if (!NAME.test(name)) fail(t.at + (slash + 1), `the key name ${JSON.stringify(name)} is not a label name (up to 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit)`)
    return t.text
  }
  const value = (t: Token): string => {
    if (!NAME.test(t.text)) fail(t.at, `the value ${JSON.stringify(t.text)} is not a label value (up to 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit)`)
    return t.text
  }
  /** A value or nothing: `app=` selects an empty value, as in Kubernetes. */
  const optionalValue = (): string => (peek().kind === 'word' ? value(next()) : '')

  const requirement = (): Requirement => {
    const first = next()
    if (first.kind === '!') return { key: key(next()), op: '!exists' }
    const k = key(first)
    const op = peek()
    if (op.kind === '=' || op.kind === '==' || op.kind === '!=') {
      next()
      const v = optionalValue()
      return { key: k, op: op.kind === '!=' ? 'notin' : 'in', values: [v] }
    }
    if (op.kind === 'word' && (op.text === 'in' || op.text === 'notin')) {
      next()
      const open = next()
      if (open.kind !== '(') fail(open.at, `expected "(" to open the values of ${JSON.stringify(op.text)}, got ${describe(open)}`)
      const values: string[] = []
      for (;;) {
        values.push(optionalValue())
        const t = next()
        if (t.kind === ')') break
        if (t.kind !== ',') fail(t.at, `expected "," or ")" to close the values opened at column ${open.at + 1}, got ${describe(t)}`)
      }
      if (values.length === 1 && values[0] === '') fail(open.at, `${JSON.stringify(op.text)} needs at least one value between the parentheses`)
      return { key: k, op: op.text, values }
    }
    return { key: k, op: 'exists' }
  }

  const reqs: Requirement[] = []
  if (peek().kind === 'end') return reqs
  for (;;) {
    reqs.push(requirement())
    const t = next()
    if (t.kind === 'end') return reqs
    if (t.kind !== ',') fail(t.at, `expected "," between requirements or the end of the selector, got ${describe(t)}`)
  }
}

// matching parses the same few selectors again and again (once per pod): keep the last ones read
const parsed = new Map<string, Requirement[]>()

function requirements(text: string): Requirement[] {
  let reqs = parsed.get(text)
  if (!reqs) {
    reqs = parseSelector(text)
    if (parsed.size >= 64) parsed.delete(parsed.keys().next().value!)
    parsed.set(text, reqs)
  }
  return reqs
}

/**
 * True when `labels` satisfy every requirement of `selector` (an empty selector matches everything). A string
 * selector that cannot be read throws SELECTOR_INVALID (see {@link parseSelector}).
 */
export function matchesSelector(labels: Record<string, string>, selector: LabelSelector | undefined): boolean {
  if (selector === undefined) return true
  if (typeof selector !== 'string') return Object.entries(selector).every(([k, v]) => labels[k] === v)
  return requirements(selector).every((r) => {
    const has = Object.hasOwn(labels, r.key)
    switch (r.op) {
      case 'exists': return has
      case '!exists': return !has
      case 'in': return has && r.values.includes(labels[r.key]!)
      case 'notin': return !has || !r.values.includes(labels[r.key]!)
    }
  })
}
