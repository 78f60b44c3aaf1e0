/**
 * @module verdict/pyvalue: Python's semantics on the values an experiment handles, so tolerances, substitution and
 * --var read them as Chaos Toolkit (Python) does: `==`, `<=`, truthiness, str() and repr(), int()/float()/Decimal()
 * of text, and Python `re` patterns translated to JavaScript.
 *
 * Values are JSON-ish: null (None), booleans, numbers, strings, arrays (list), plain objects (dict) and Uint8Array
 * (bytes, from `--var k:bytes=v`). JSON loses Python's int/float distinction, so the one rule here is: a number
 * that is a whole number is an int, any other (and -0) is a float. `--var x:float=1` is therefore the int 1 here
 * (Python: 1.0); equality and order do not notice, only str() does (`1`, where Python writes `1.0`).
 */
import { ActivityFailed } from './types.js'

/** A Python TypeError (or another error Python would raise on these values): an activity failure, not a bug. */
export class PyTypeError extends ActivityFailed {
  constructor(message: string) {
    super(message, 'PY_TYPE_ERROR')
    this.name = 'PyTypeError'
  }
}

export type PyDict = Record<string, unknown>

/** A dict: a plain object (not null, an array or bytes). */
export function isPyDict(v: unknown): v is PyDict {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array)
}

/** Python's type name of a value: `NoneType`, `bool`, `int`, `float`, `str`, `bytes`, `list`, `dict`. */
export function pyTypeName(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType'
  if (typeof v === 'boolean') return 'bool'
  if (typeof v === 'number') return isPyInt(v) ? 'int' : 'float'
  if (typeof v === 'string') return 'str'
  if (v instanceof Uint8Array) return 'bytes'
  if (Array.isArray(v)) return 'list'
  return isPyDict(v) ? 'dict' : typeof v
}

/** The int side of the int/float rule: a whole number (but not -0). */
export function isPyInt(n: number): boolean {
  return Number.isInteger(n) && !Object.is(n, -0)
}

/** bool, int or float: the types Python orders and compares as numbers (True is 1). */
function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v
  if (typeof v === 'boolean') return v ? 1 : 0
  return undefined
}

// ─── == and <= ───────────────────────────────────────────────────────────────────────────────────────────

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

/** Python's `a == b`: 1 == 1.0 == True, deep for lists and dicts, a str never equals a number or bytes. */
export function pyEquals(a: unknown, b: unknown): boolean {
  const na = asNumber(a)
  const nb = asNumber(b)
  if (na !== undefined || nb !== undefined) return na !== undefined && nb !== undefined && na === nb
  if (a === null || a === undefined || b === null || b === undefined) return (a ?? null) === (b ?? null)
  if (typeof a === 'string' || typeof b === 'string') return a === b
  if (a instanceof Uint8Array || b instanceof Uint8Array) return a instanceof Uint8Array && b instanceof Uint8Array && bytesEqual(a, b)
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => pyEquals(x, b[i]))
  }
  if (isPyDict(a) && isPyDict(b)) {
    const ka = Object.keys(a)
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && pyEquals(a[k], b[k]))
  }
  return false
}

/** Python's `x in list`. */
export function pyIn(x: unknown, list: readonly unknown[]): boolean {
  return list.some((y) => pyEquals(x, y))
}

function compareCodePoints(a: string, b: string): number {
  const ca = Array.from(a)
  const cb = Array.from(b)
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
    const d = ca[i]!.codePointAt(0)! - cb[i]!.codePointAt(0)!
    if (d !== 0) return d
  }
  return ca.length - cb.length
}

/**
 * Python's order of two values: negative, 0 or positive, or NaN when they are unordered (a float NaN). Numbers
 * (bool, int, float) with numbers, str with str (by code point), bytes with bytes, lists element by element.
 * Throws PyTypeError, worded as Python's, where Python raises TypeError (`'<=' not supported between instances
 * of 'int' and 'str'`).
 */
export function pyCompare(a: unknown, b: unknown, op = '<='): number {
  const na = asNumber(a)
  const nb = asNumber(b)
  if (na !== undefined && nb !== undefined) return na < nb ? -1 : na > nb ? 1 : na === nb ? 0 : NaN
  if (typeof a === 'string' && typeof b === 'string') return compareCodePoints(a, b)
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!
    return a.length - b.length
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (!pyEquals(a[i], b[i])) return pyCompare(a[i], b[i], op)
    return a.length - b.length
  }
  throw new PyTypeError(`'${op}' not supported between instances of '${pyTypeName(a)}' and '${pyTypeName(b)}'`)
}

/** Python's `a <= b` (throws PyTypeError as Python raises TypeError). */
export function pyLe(a: unknown, b: unknown): boolean {
  return pyCompare(a, b, '<=') <= 0
}

/** Python's truthiness: None, False, 0, '', b'', [] and {} are false. */
export function pyTruthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false
  if (v instanceof Uint8Array || Array.isArray(v)) return v.length > 0
  if (typeof v === 'object') return Object.keys(v).length > 0
  return true
}

// ─── str() and repr() ────────────────────────────────────────────────────────────────────────────────────

/** Python's repr() of a float: shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
function floatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan'
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf'
  if (Object.is(x, -0)) return '-0.0'
  const [mantissa = '0', expText = '0'] = x.toExponential().split('e')
  const exp = Number(expText)
  const sign = mantissa.startsWith('-') ? '-' : ''
  const digits = mantissa.replace('-', '').replace('.', '')
  if (exp >= -4 && exp < 16) {
    if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`
    const int = digits.slice(0, exp + 1).padEnd(exp + 1, '0')
    const frac = digits.slice(exp + 1)
    return `${sign}${int}.${frac === '' ? '0' : frac}`
  }
  const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits
  return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`
}

/** A number as Python prints it, by the int/float rule (whole numbers in full digits, as a Python int). */
export function pyNumberStr(n: number): string {
  return isPyInt(n) ? BigInt(n).toString() : floatRepr(n)
}

/** Characters str.isprintable() refuses (other than the space): controls, format, separators, unassigned. */
const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u

function strRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'"
  let out = quote
  for (const ch of s) {
    const c = ch.codePointAt(0)!
    if (ch === '\\' || ch === quote) out += `\\${ch}`
    else if (ch === '\n') out += '\\n'
    else if (ch === '\r') out += '\\r'
    else if (ch === '\t') out += '\\t'
    else if (ch !== ' ' && NOT_PRINTABLE.test(ch)) {
      out += c < 0x100 ? `\\x${hex(c, 2)}` : c < 0x10000 ? `\\u${hex(c, 4)}` : `\\U${hex(c, 8)}`
    } else out += ch
  }
  return out + quote
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0')
}

function bytesRepr(b: Uint8Array): string {
  const hasSingle = b.includes(0x27)
  const quote = hasSingle && !b.includes(0x22) ? '"' : "'"
  let out = `b${quote}`
  for (const c of b) {
    const ch = String.fromCharCode(c)
    if (ch === '\\' || ch === quote) out += `\\${ch}`
    else if (ch === '\n') out += '\\n'
    else if (ch === '\r') out += '\\r'
    else if (ch === '\t') out += '\\t'
    else if (c < 0x20 || c >= 0x7f) out += `\\x${hex(c, 2)}`
    else out += ch
  }
  return out + quote
}

/** Python's repr() of a value: `'it\'s'`, `b'\x00'`, `[1, 'a']`, `{'k': None}`. */
export function pyRepr(v: unknown): string {
  if (typeof v === 'string') return strRepr(v)
  if (v instanceof Uint8Array) return bytesRepr(v)
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`
  if (isPyDict(v)) return `{${Object.entries(v).map(([k, x]) => `${strRepr(k)}: ${pyRepr(x)}`).join(', ')}}`
  if (v === null || v === undefined) return 'None'
  if (typeof v === 'boolean') return v ? 'True' : 'False'
  if (typeof v === 'number') return pyNumberStr(v)
  return String(v)
}

/** Python's str() of a value: a str as it is, others as repr() (`True`, `None`, `1.5`, `b'hi'`, `{'a': 1}`). */
export function pyStr(v: unknown): string {
  return typeof v === 'string' ? v : pyRepr(v)
}

// ─── int(), float(), Decimal() of text ───────────────────────────────────────────────────────────────────

/** str.isspace(): what str.strip() and Decimal() strip. */
const PY_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000'
/** What int() and float() strip: str.isspace() without \x1c-\x1f. */
const NUM_SPACE = '\\t\\n\\v\\f\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000'
const STRIP = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, 'g')
const NUM_STRIP = new RegExp(`^[${NUM_SPACE}]+|[${NUM_SPACE}]+$`, 'g')

/** Python's str.strip() (no arguments). */
export function pyStrip(s: string): string {
  return s.replace(STRIP, '')
}

/** Python's whitespace class (str.isspace()), for regular expressions. */
export const PY_WHITESPACE_CLASS = PY_SPACE

const ND = /\p{Nd}/u

/** Unicode decimal digits (Nd) as ASCII: they come in runs of ten, 0 to 9, so a digit's value is its place in its run. */
function asciiDigits(s: string): string {
  let out = ''
  for (const ch of s) {
    const c = ch.codePointAt(0)!
    if (c < 0x80 || !ND.test(ch)) {
      out += ch
      continue
    }
    let start = c
    while (start > 0 && ND.test(String.fromCodePoint(start - 1))) start--
    out += String((c - start) % 10)
  }
  return out
}

const INT_TEXT = /^[+-]?\d(?:_?\d)*$/
const FLOAT_TEXT = /^[+-]?(?:(?:\d(?:_?\d)*)?\.\d(?:_?\d)*|\d(?:_?\d)*\.?)(?:[eE][+-]?\d(?:_?\d)*)?$/
const FLOAT_SPECIAL = /^([+-]?)(inf|infinity|nan)$/i

/** Python's int() of a str, or undefined where it raises ValueError ("  42 ", "1_000", "+3" and "٤٢" are ints). */
export function pyIntOf(text: string): number | undefined {
  const s = asciiDigits(text.replace(NUM_STRIP, ''))
  if (!INT_TEXT.test(s)) return undefined
  const n = Number(s.replace(/_/g, ''))
  return n === 0 ? 0 : n
}

/** Python's float() of a str, or undefined where it raises ValueError ("1e5", ".5", "inf", "1_0.5"). */
export function pyFloatOf(text: string): number | undefined {
  const s = asciiDigits(text.replace(NUM_STRIP, ''))
  const special = FLOAT_SPECIAL.exec(s)
  if (special) return special[2]!.toLowerCase() === 'nan' ? NaN : special[1] === '-' ? -Infinity : Infinity
  if (!FLOAT_TEXT.test(s)) return undefined
  return Number(s.replace(/_/g, ''))
}

/**
 * A Decimal, exactly: `num / den` (den a power of two or ten), or an infinity or a NaN. Chaos Toolkit's range
 * tolerance compares `Decimal(value)` with `Decimal(bound)`, and Decimal(float) is the float's exact binary value,
 * so the string "0.1" is below the bound 0.1 (0.1000000000000000055…); this keeps that.
 */
export type PyDecimal = { num: bigint; den: bigint } | { special: 'inf' | '-inf' | 'nan' | 'snan' }

/** The exact value of a double. */
function decimalOfNumber(x: number): PyDecimal {
  if (Number.isNaN(x)) return { special: 'nan' }
  if (!Number.isFinite(x)) return { special: x > 0 ? 'inf' : '-inf' }
  if (Number.isInteger(x)) return { num: BigInt(x), den: 1n }
  const view = new DataView(new ArrayBuffer(8))
  view.setFloat64(0, x)
  const bits = view.getBigUint64(0)
  const sign = bits >> 63n ? -1n : 1n
  const exp = Number((bits >> 52n) & 0x7ffn)
  const frac = bits & ((1n << 52n) - 1n)
  const mantissa = exp === 0 ? frac : frac | (1n << 52n)
  const shift = (exp === 0 ? 1 : exp) - 1075 // x = mantissa * 2^shift, shift < 0 for a non-integer
  return { num: sign * mantissa, den: 1n << BigInt(-shift) }
}

const DECIMAL_TEXT = /^([+-]?)(?:(\d+)(?:\.(\d*))?|\.(\d+))(?:[eE]([+-]?\d+))?$/
const DECIMAL_SPECIAL = /^([+-]?)(?:(inf|infinity)|(s?nan)\d*)$/i

/** Decimal(text) exactly, or undefined where Python raises InvalidOperation (text that is not a number). */
function decimalOfText(text: string): PyDecimal | undefined {
  const s = asciiDigits(pyStrip(text)).replace(/_/g, '')
  const special = DECIMAL_SPECIAL.exec(s)
  if (special) {
    if (special[2]) return { special: special[1] === '-' ? '-inf' : 'inf' }
    return { special: special[3]!.toLowerCase() === 'snan' ? 'snan' : 'nan' }
  }
  const m = DECIMAL_TEXT.exec(s)
  if (!m) return undefined
  const intPart = m[2] ?? ''
  const fracPart = m[3] ?? m[4] ?? ''
  let digits = BigInt(`${intPart}${fracPart}` || '0')
  if (m[1] === '-') digits = -digits
  // 10^exp; beyond any double's reach the exponent is clamped, which keeps every comparison with a double exact
  let exp = Number(m[5] ?? '0') - fracPart.length
  if (digits === 0n) return { num: 0n, den: 1n }
  const size = (digits < 0n ? -digits : digits).toString().length
  if (exp + size > 400) exp = 400 - size
  if (exp + size < -1200) exp = -1200 - size
  return exp >= 0 ? { num: digits * 10n ** BigInt(exp), den: 1n } : { num: digits, den: 10n ** BigInt(-exp) }
}

/**
 * Python's Decimal(value): exact for numbers and bools, Decimal's own syntax for text ("1_0", " 1 ", "Inf").
 * Returns 'invalid' where Python raises InvalidOperation (text that is no number); throws PyTypeError where it
 * raises TypeError or ValueError (None, bytes, a list, a dict).
 */
export function pyDecimal(v: unknown): PyDecimal | 'invalid' {
  if (typeof v === 'boolean') return { num: v ? 1n : 0n, den: 1n }
  if (typeof v === 'number') return decimalOfNumber(v)
  if (typeof v === 'string') return decimalOfText(v) ?? 'invalid'
  if (Array.isArray(v)) throw new PyTypeError('argument must be a sequence of length 3')
  throw new PyTypeError(`conversion from ${pyTypeName(v)} to Decimal is not supported`)
}

/** a <= b on Decimals; throws PyTypeError where Python raises InvalidOperation (a NaN compared). */
export function decimalLe(a: PyDecimal, b: PyDecimal): boolean {
  const rank = (d: PyDecimal): number | undefined => ('special' in d ? (d.special === 'inf' ? 1 : d.special === '-inf' ? -1 : undefined) : 0)
  const ra = rank(a)
  const rb = rank(b)
  if (ra === undefined || rb === undefined) throw new PyTypeError('a NaN cannot be ordered (decimal.InvalidOperation)')
  if (ra !== rb || ra !== 0) return ra <= rb
  const x = a as { num: bigint; den: bigint }
  const y = b as { num: bigint; den: bigint }
  return x.num * y.den <= y.num * x.den
}

/** Python's json.loads for text: JSON.parse, or undefined when it is not JSON. */
export function pyJsonLoads(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) as unknown }
  } catch {
    return undefined
  }
}

// ─── Python's re, translated ─────────────────────────────────────────────────────────────────────────────

interface ReFlags {
  i: boolean
  m: boolean
  s: boolean
  a: boolean
  x: boolean
}

/** JavaScript class contents for Python's \d, \w, \s (Unicode by default, ASCII under (?a)). */
function shorthand(letter: 'd' | 'w' | 's', ascii: boolean): string {
  if (letter === 'd') return ascii ? '0-9' : '\\p{Nd}'
  if (letter === 'w') return ascii ? 'A-Za-z0-9_' : '\\p{L}\\p{N}_'
  return ascii ? ' \\t\\n\\r\\f\\v' : PY_SPACE
}

/** One literal character for a JavaScript `u` pattern (inside or outside a class). */
function literal(ch: string): string {
  return /^[A-Za-z0-9_]$/.test(ch) || ch.codePointAt(0)! >= 0x80 ? ch : `\\u{${ch.codePointAt(0)!.toString(16)}}`
}

class ReProblem extends Error {}

/** Translates a Python pattern to JavaScript (`u` flag, plus `i`); throws ReProblem. */
class ReTranslator {
  private readonly c: string[]
  private pos = 0
  readonly flags: ReFlags = { i: false, m: false, s: false, a: false, x: false }

  constructor(pattern: string) {
    this.c = Array.from(pattern)
  }

  private get peek(): string | undefined {
    return this.c[this.pos]
  }

  private rest(): string {
    return this.c.slice(this.pos).join('')
  }

  private fail(message: string): never {
    throw new ReProblem(`${message} at position ${this.pos}`)
  }

  translate(): string {
    // global flags: only at the start (several groups may follow each other)
    for (let m = /^\(\?([a-zA-Z]+)\)/.exec(this.rest()); m; m = /^\(\?([a-zA-Z]+)\)/.exec(this.rest())) {
      for (const f of m[1]!) {
        if (f === 'L') this.fail("bad inline flags: cannot use 'L' flag with a str pattern")
        if (f === 'u') continue
        if (!'aimsx'.includes(f)) this.fail(`unknown flag ${f}`)
        this.flags[f as keyof ReFlags] = true
      }
      this.pos += Array.from(m[0]).length
    }
    let out = ''
    while (this.pos < this.c.length) out += this.atom()
    return out
  }

  private atom(): string {
    const ch = this.c[this.pos++]!
    const f = this.flags
    if (f.x && /^[ \t\n\r\v\f]$/.test(ch)) return ''
    if (f.x && ch === '#') {
      while (this.pos < this.c.length && this.c[this.pos] !== '\n') this.pos++
      return ''
    }
    switch (ch) {
      case '\\':
        return this.escape()
      case '.':
        return f.s ? '[\\s\\S]' : '[^\\n]'
      case '^':
        return f.m ? '(?:(?<![\\s\\S])|(?<=\\n))' : '(?<![\\s\\S])'
      case '$':
        return f.m ? '(?=\\n|(?![\\s\\S]))' : '(?=\\n?(?![\\s\\S]))'
      case '[':
        return this.charClass()
      case '(':
        return this.group()
      case ')':
      case '|':
        return ch
      case '*':
      case '+':
      case '?':
        return ch + this.quantifierSuffix()
      case '{': {
        const m = /^(\d*)(?:(,)(\d*))?\}/.exec(this.rest())
        if (this.peek === '}' || !m) return literal('{')
        this.pos += m[0].length
        const lo = m[1] || '0'
        const q = m[2] ? `{${lo},${m[3] ?? ''}}` : `{${lo}}`
        return q + this.quantifierSuffix()
      }
      default:
        return literal(ch)
    }
  }

  private quantifierSuffix(): string {
    if (this.peek === '?') {
      this.pos++
      return '?'
    }
    if (this.peek === '+') this.fail('possessive quantifiers are not supported by chaoscope')
    return ''
  }

  private group(): string {
    if (this.peek !== '?') return '('
    const rest = this.rest()
    const named = /^\?P<([^>]*)>/.exec(rest)
    if (named) {
      if (!/^[\p{L}_][\p{L}\p{N}_]*$/u.test(named[1]!)) this.fail(`bad character in group name '${named[1]}'`)
      this.pos += Array.from(named[0]).length
      return `(?<${named[1]}>`
    }
    const ref = /^\?P=([^)]*)\)/.exec(rest)
    if (ref) {
      this.pos += Array.from(ref[0]).length
      return `\\k<${ref[1]}>`
    }
    for (const open of ['?:', '?=', '?!', '?<=', '?<!']) {
      if (rest.startsWith(open)) {
        this.pos += open.length
        return `(${open}`
      }
    }
    if (rest.startsWith('?#')) {
      const end = rest.indexOf(')')
      if (end < 0) this.fail('missing ), unterminated comment')
      this.pos += Array.from(rest.slice(0, end + 1)).length
      return ''
    }
    if (/^\?[aiLmsux]+\)/.test(rest)) this.fail('global flags not at the start of the expression')
    if (/^\?[-aiLmsux]+:/.test(rest)) this.fail('scoped inline flags (?i:…) are not supported by chaoscope')
    if (rest.startsWith('?>')) this.fail('atomic groups (?>…) are not supported by chaoscope')
    if (rest.startsWith('?(')) this.fail('conditional groups (?(…)…) are not supported by chaoscope')
    return this.fail(`unknown extension ${rest.slice(0, 3)}`)
  }

  /** A code point from \x, \u, \U or an octal escape (the letter or first digit is consumed). */
  private hexEscape(letter: string): string {
    const width = letter === 'x' ? 2 : letter === 'u' ? 4 : 8
    const digits = this.c.slice(this.pos, this.pos + width).join('')
    if (!new RegExp(`^[0-9a-fA-F]{${width}}$`).test(digits)) this.fail(`incomplete escape \\${letter}${digits}`)
    this.pos += width
    const code = parseInt(digits, 16)
    if (code > 0x10ffff) this.fail(`bad escape \\${letter}${digits}`)
    return literal(String.fromCodePoint(code))
  }

  private octal(first: string): string {
    let digits = first
    while (digits.length < 3 && /^[0-7]$/.test(this.peek ?? '')) digits += this.c[this.pos++]
    const code = parseInt(digits, 8)
    if (code > 0o377) this.fail(`octal escape value \\${digits} outside of range 0-0o377`)
    return literal(String.fromCodePoint(code))
  }

  /** An escape that means one character, the same inside and outside a class; undefined for others. */
  private charEscape(ch: string): string | undefined {
    const simple: Record<string, string> = { a: '\x07', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' }
    if (simple[ch] !== undefined) return literal(simple[ch]!)
    if (ch === 'x' || ch === 'u' || ch === 'U') return this.hexEscape(ch)
    if (ch === 'N') this.fail('named Unicode escapes \\N{…} are not supported by chaoscope')
    return undefined
  }

  private escape(): string {
    const ch = this.c[this.pos++]
    if (ch === undefined) this.fail('bad escape (end of pattern)')
    const ascii = this.flags.a
    const word = shorthand('w', ascii)
    switch (ch) {
      case 'A':
        return '(?<![\\s\\S])'
      case 'Z':
        return '(?![\\s\\S])'
      case 'b':
        return `(?:(?<=[${word}])(?![${word}])|(?<![${word}])(?=[${word}]))`
      case 'B':
        return `(?:(?<=[${word}])(?=[${word}])|(?<![${word}])(?![${word}]))`
      case 'd':
      case 'w':
      case 's':
        return `[${shorthand(ch, ascii)}]`
      case 'D':
      case 'W':
      case 'S':
        return `[^${shorthand(ch.toLowerCase() as 'd' | 'w' | 's', ascii)}]`
    }
    const one = this.charEscape(ch)
    if (one !== undefined) return one
    if (ch === '0') return this.octal('0')
    if (/^[1-9]$/.test(ch)) {
      const next = this.c.slice(this.pos, this.pos + 2).join('')
      if (/^[0-7]$/.test(ch) && /^[0-7]{2}$/.test(next)) {
        this.pos += 2
        const code = parseInt(ch + next, 8)
        if (code > 0o377) this.fail(`octal escape value \\${ch}${next} outside of range 0-0o377`)
        return literal(String.fromCodePoint(code))
      }
      let group = ch
      if (/^[0-9]$/.test(this.peek ?? '')) group += this.c[this.pos++]
      return `(?:\\${group})`
    }
    if (/^[A-Za-z]$/.test(ch)) this.fail(`bad escape \\${ch}`)
    return literal(ch)
  }

  /** `[...]`: Python's rules (a leading `]` is literal; \d, \w, \s inside), as JavaScript `u` syntax. */
  private charClass(): string {
    const negate = this.peek === '^'
    if (negate) this.pos++
    const items: string[] = []
    const negated: string[] = [] // \D, \W, \S: each a class of its own, joined by alternation
    let first = true
    for (;;) {
      const ch = this.c[this.pos++]
      if (ch === undefined) this.fail('unterminated character set')
      if (ch === ']' && !first) break
      first = false
      const start = this.classItem(ch)
      if ('shorthand' in start) {
        if (this.peek === '-' && this.c[this.pos + 1] !== ']' && this.c[this.pos + 1] !== undefined) this.fail('bad character range')
        ;(start.negated ? negated : items).push(start.shorthand)
        continue
      }
      if (this.peek === '-' && this.c[this.pos + 1] !== ']' && this.c[this.pos + 1] !== undefined) {
        this.pos++
        const end = this.classItem(this.c[this.pos++]!)
        if ('shorthand' in end) this.fail('bad character range')
        if (end.code < start.code) this.fail('bad character range')
        items.push(`${literal(String.fromCodePoint(start.code))}-${literal(String.fromCodePoint(end.code))}`)
      } else items.push(literal(String.fromCodePoint(start.code)))
    }
    if (negated.length === 0) return `[${negate ? '^' : ''}${items.join('')}]`
    const parts = [...(items.length > 0 ? [`[${items.join('')}]`] : []), ...negated.map((n) => `[^${n}]`)]
    return negate ? `(?:(?!${parts.join('|')})[\\s\\S])` : `(?:${parts.join('|')})`
  }

  private classItem(ch: string): { code: number } | { shorthand: string; negated: boolean } {
    if (ch !== '\\') return { code: ch.codePointAt(0)! }
    const e = this.c[this.pos++]
    if (e === undefined) this.fail('bad escape (end of pattern)')
    if ('dwsDWS'.includes(e)) return { shorthand: shorthand(e.toLowerCase() as 'd' | 'w' | 's', this.flags.a), negated: e !== e.toLowerCase() }
    if (e === 'b') return { code: 8 }
    const one = this.charEscape(e)
    if (one !== undefined) {
      // charEscape returns the character as a literal; read its code point back
      const m = /^\\u\{([0-9a-f]+)\}$/.exec(one)
      return { code: m ? parseInt(m[1]!, 16) : one.codePointAt(0)! }
    }
    if (/^[0-7]$/.test(e)) {
      let digits = e
      while (digits.length < 3 && /^[0-7]$/.test(this.peek ?? '')) digits += this.c[this.pos++]
      const code = parseInt(digits, 8)
      if (code > 0o377) this.fail(`octal escape value \\${digits} outside of range 0-0o377`)
      return { code }
    }
    if (/^[A-Za-z0-9]$/.test(e)) this.fail(`bad escape \\${e}`)
    return { code: e.codePointAt(0)! }
  }
}

/**
 * A Python `re` pattern as a JavaScript RegExp with the same matches for `re.search`: `$` also before a final
 * newline, `.` is anything but \n, \d \w \s \b are Unicode's (ASCII under (?a)), (?P<n>…) and (?P=n), \A and \Z,
 * leading inline flags (?aimsux), verbose patterns, Python's escapes and literal `{`, `]`. Constructs JavaScript
 * cannot say (possessive quantifiers, atomic groups, conditionals, scoped flags, \N{…}) give a problem instead.
 */
export function pyRegex(pattern: string): { regex: RegExp } | { problem: string } {
  const t = new ReTranslator(pattern)
  try {
    const source = t.translate()
    return { regex: new RegExp(source, t.flags.i ? 'iu' : 'u') }
  } catch (e) {
    if (e instanceof ReProblem) return { problem: e.message }
    const msg = (e as Error).message
    return { problem: msg.slice(msg.lastIndexOf(':') + 1).trim() || msg }
  }
}
