/**
 * Python's semantics on values against Python 3.11: str()/repr(), int() and float() of text (tables made by
 * Python, checked without it), ==, ordering, truthiness, Decimal and the translation of `re` patterns.
 */
import { describe, expect, it } from 'vitest'
import { decimalLe, pyCompare, pyDecimal, pyEquals, pyFloatOf, pyIntOf, pyLe, pyRegex, pyRepr, pyStr, pyStrip, pyTruthy, PyTypeError } from './pyvalue.js'

// from /tmp/oracle/py.py: str() and repr() in Python
const STR: [unknown, string, string][] = [
  [null, "None", "None"],
  [true, "True", "True"],
  [false, "False", "False"],
  [0, "0", "0"],
  [1, "1", "1"],
  [-5, "-5", "-5"],
  [100000000000000000000, "100000000000000000000", "100000000000000000000"],
  [9007199254740992, "9007199254740992", "9007199254740992"],
  [1.5, "1.5", "1.5"],
  [-0.0, "-0.0", "-0.0"],
  [0.1, "0.1", "0.1"],
  [1e-05, "1e-05", "1e-05"],
  [1.5e-07, "1.5e-07", "1.5e-07"],
  [123456789.123, "123456789.123", "123456789.123"],
  [0.0001, "0.0001", "0.0001"],
  ["s", "s", "'s'"],
  ["it's", "it's", "\"it's\""],
  ["a\"b'c", "a\"b'c", "'a\"b\\'c'"],
  ["\u0000\u200b\u00e9\n\t\r\\", "\u0000\u200b\u00e9\n\t\r\\", "'\\x00\\u200b\u00e9\\n\\t\\r\\\\'"],
  ["\u007f\u0085\u2028\ud83d\ude00\ud7ff", "\u007f\u0085\u2028\ud83d\ude00\ud7ff", "'\\x7f\\x85\\u2028\ud83d\ude00\\ud7ff'"],
  [[], "[]", "[]"],
  [[1, "a", null], "[1, 'a', None]", "[1, 'a', None]"],
  [{}, "{}", "{}"],
  [{"a": [true, null, 1.5, "x"], "b": {}}, "{'a': [True, None, 1.5, 'x'], 'b': {}}", "{'a': [True, None, 1.5, 'x'], 'b': {}}"],
  [Infinity, "inf", "inf"],
  [-Infinity, "-inf", "-inf"],
  [NaN, "nan", "nan"],
]
const BYTES: [number[], string][] = [
  [[], "b''"],
  [[104, 105], "b'hi'"],
  [[97, 39, 98], "b\"a'b\""],
  [[97, 34, 98], "b'a\"b'"],
  [[39, 34], "b'\\'\"'"],
  [[0, 255, 10, 9, 13, 92], "b'\\x00\\xff\\n\\t\\r\\\\'"],
  [[127, 32], "b'\\x7f '"],
]
const INTS: [string, number | null][] = [
  ["  42 ", 42],
  ["1_000", 1000],
  ["+3", 3],
  ["-0", 0],
  ["010", 10],
  ["1__0", null],
  ["_1", null],
  ["1_", null],
  ["4.0", null],
  ["", null],
  [" ", null],
  ["0x10", null],
  ["\u0661\u0662", 12],
  ["\u001c5\u001f", null],
  ["\ufeff5", null],
  ["\u00a07\u3000", 7],
  ["9007199254740993", 9007199254740992.0],
  ["-12", -12],
  ["+-1", null],
  ["1 2", null],
  ["\ud835\udfd95", 15],
]
const FLOATS: [string, number | string | null][] = [
  ["1.5", 1.5],
  [" 1e5 ", 100000.0],
  [".5", 0.5],
  ["5.", 5.0],
  ["1_0.5", 10.5],
  ["1e", null],
  ["1_e5", null],
  ["0x10", null],
  ["1E+05", 100000.0],
  ["  ", null],
  ["+.5e-3", 0.0005],
  ["1.0", 1.0],
  ["-0", "-0"],
  ["1e-400", 0.0],
  ["1e400", "Infinity"],
  ["\u0661.\u0665", 1.5],
  [".", null],
  ["e5", null],
  ["1.5.5", null],
  ["1__0", null],
  ["nan", "NaN"],
  ["-inf", "-Infinity"],
  ["Infinity", "Infinity"],
  ["+infinity", "Infinity"],
  ["infinit", null],
  ["in f", null],
]

describe('pyStr and pyRepr agree with str() and repr()', () => {
  it.each(STR)('%j', (value, str, repr) => {
    expect(pyStr(value)).toBe(str)
    expect(pyRepr(value)).toBe(repr)
  })

  it.each(BYTES)('bytes %j', (bytes, str) => {
    expect(pyStr(new Uint8Array(bytes))).toBe(str)
  })

  it('a whole number is an int, since JSON cannot tell 1e16 from 10000000000000000 (Python: 1e+16 for a float)', () => {
    expect(pyStr(1e16)).toBe('10000000000000000')
    expect(pyStr(1e22)).toBe('10000000000000000000000')
    expect(pyStr(1.0)).toBe('1')
  })
})

describe('pyIntOf and pyFloatOf agree with int() and float()', () => {
  it.each(INTS)('int(%j)', (text, want) => {
    expect(pyIntOf(text) ?? null).toBe(want)
  })

  it.each(FLOATS)('float(%j)', (text, want) => {
    const got = pyFloatOf(text)
    const shown = got === undefined ? null : Number.isNaN(got) ? 'NaN' : got === Infinity ? 'Infinity' : got === -Infinity ? '-Infinity' : Object.is(got, -0) ? '-0' : got
    expect(shown).toBe(want)
  })

  it('strip() strips what str.isspace() says, \\x1c included', () => {
    expect(pyStrip('\x1c\u3000 a b\u2028\n')).toBe('a b')
    expect(pyStrip('\ufeffa')).toBe('\ufeffa')
  })
})

describe('pyEquals is Python ==', () => {
  const cases: [unknown, unknown, boolean][] = [
    [1, 1.0, true], [true, 1, true], [false, 0, true], [true, 2, false], ['1', 1, false], [null, null, true], [null, 0, false],
    [[1, [true]], [1.0, [1]], true], [[1], [1, 2], false], [{ a: 1, b: [2] }, { b: [2], a: true }, true], [{ a: 1 }, { a: 1, b: 2 }, false],
    [{}, [], false], ['', null, false], [new Uint8Array([104]), 'h', false], [new Uint8Array([104]), new Uint8Array([104]), true], [NaN, NaN, false],
  ]
  it.each(cases)('%j == %j is %s', (a, b, want) => {
    expect(pyEquals(a, b)).toBe(want)
    expect(pyEquals(b, a)).toBe(want)
  })
})

describe('pyCompare orders as Python and raises where Python raises TypeError', () => {
  it('orders numbers, bools, strings by code point, bytes and lists', () => {
    expect(pyLe(1, 1.5)).toBe(true)
    expect(pyLe(true, 1)).toBe(true)
    expect(pyLe('b', 'a')).toBe(false)
    expect(pyCompare('\uffff', '\u{1F600}')).toBeLessThan(0) // UTF-16 would order them the other way
    expect(pyLe([1, 2], [1, 3])).toBe(true)
    expect(pyLe([1, 2], [1])).toBe(false)
    expect(pyLe(NaN, 1)).toBe(false)
  })

  it.each([[1, 'a', 'int', 'str'], [null, 1, 'NoneType', 'int'], [{}, {}, 'dict', 'dict'], [1.5, [1], 'float', 'list'], ['a', new Uint8Array(), 'str', 'bytes']] as const)('%j <= %j raises', (a, b, ta, tb) => {
    expect(() => pyLe(a, b)).toThrow(PyTypeError)
    expect(() => pyLe(a, b)).toThrow(`'<=' not supported between instances of '${ta}' and '${tb}'`)
  })
})

describe('pyTruthy', () => {
  it('is false for None, False, 0, empty text, bytes, lists and dicts only', () => {
    for (const v of [null, undefined, false, 0, -0, '', [], {}, new Uint8Array()]) expect(pyTruthy(v)).toBe(false)
    for (const v of [true, 1, NaN, ' ', [0], { a: null }, new Uint8Array([0])]) expect(pyTruthy(v)).toBe(true)
  })
})

describe('pyDecimal', () => {
  it('compares exactly, as Decimal(float) does: the text 0.1 is below the float 0.1', () => {
    const le = (a: unknown, b: unknown) => decimalLe(pyDecimal(a) as never, pyDecimal(b) as never)
    expect(le(0.1, '0.1')).toBe(false)
    expect(le('0.1', 0.1)).toBe(true)
    expect(le(0.30000000000000004, 0.1 + 0.2)).toBe(true)
    expect(le('1e400', 1e308)).toBe(false)
    expect(le('-1e-400', 0)).toBe(true)
    expect(le(0, '-1e-400')).toBe(false)
    expect(le('-inf', -1e308)).toBe(true)
    expect(le(5e-324, '1e-1200')).toBe(false)
  })

  it('reads text as Decimal() does and refuses as Python does', () => {
    expect(pyDecimal(' 1_0 ')).toEqual({ num: 10n, den: 1n })
    expect(pyDecimal('abc')).toBe('invalid')
    expect(pyDecimal('')).toBe('invalid')
    expect(() => pyDecimal(null)).toThrow('conversion from NoneType to Decimal is not supported')
    expect(() => decimalLe(pyDecimal('NaN') as never, pyDecimal(1) as never)).toThrow(PyTypeError)
  })
})

describe('pyRegex', () => {
  const search = (pattern: string, text: string) => {
    const r = pyRegex(pattern)
    if ('problem' in r) throw new Error(r.problem)
    return r.regex.test(text)
  }

  it('matches as re.search does where JavaScript differs', () => {
    expect(search('^OK$', 'OK\n')).toBe(true) // $ before a final newline
    expect(search('a.c', 'a\rc')).toBe(true) // . is anything but \n
    expect(search('(?m)^b$', 'a\rb\rc')).toBe(false) // lines end at \n only
    expect(search('\\d', '٣')).toBe(true)
    expect(search('(?a)\\d', '٣')).toBe(false)
    expect(search('a{', 'a{')).toBe(true)
    expect(search('^a{,2}$', 'aa')).toBe(true)
    expect(search('(?P<n>a)(?P=n)', 'aa')).toBe(true)
  })

  it('gives a problem, never an exception, for what Python refuses or chaoscope cannot translate', () => {
    const problems: [string, RegExp][] = [
      ['\\q', /bad escape \\q/], ['a(?i)b', /global flags not at the start/], ['(?<n>a)', /unknown extension \?<n/], ['(?L)a', /'L' flag/],
      ['a*+', /possessive/], ['(?>a)', /atomic/], ['(?i:a)', /scoped/], ['(?(1)a|b)', /conditional/], ['\\N{DIGIT ONE}', /named Unicode/],
      ['[a', /unterminated character set/], ['(', /.+/], ['[\\d-z]', /bad character range/], ['\\x4', /incomplete escape/], ['(a)\\10', /.+/],
    ]
    for (const [pattern, problem] of problems) {
      const r = pyRegex(pattern)
      expect('problem' in r ? r.problem : 'compiled', pattern).toMatch(problem)
    }
  })
})
