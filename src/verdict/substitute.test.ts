/**
 * substitute against chaostoolkit-lib 1.44's substitute (Python 3.11's string.Template with chaoslib's
 * TypedTemplate): the tables were made by running each template through Python and are checked without it.
 */
import { describe, expect, it } from 'vitest'
import { substitute, substituteText } from './substitute.js'
import type { Values } from './types.js'

// from chaoslib.substitute(template, CFG, SEC)
const CFG = {"x": 1, "f": 1.5, "b": true, "n": null, "s": "str", "l": [1, "a"], "d": {"k": "v"}, "X": "upper", "_u": "under", "a1": "a1", "e": "", "big": 100000000000000000000, "tiny": 1e-05, "q": "it's"}
const SEC = {"s1": {"tok": "secret1", "x": "shadowed"}, "s2": {"tok": "second", "only2": 2}}
const TEMPLATES: [string, unknown][] = [
  ["${x}", 1],
  ["a ${x}", "a 1"],
  ["$x", "1"],
  ["${x}${x}", "11"],
  ["$$", "$"],
  ["$${x}", "${x}"],
  ["$$x", "$x"],
  ["${ x}", "${ x}"],
  ["${X}", "upper"],
  ["${_u}", "under"],
  ["${a1}", "a1"],
  ["$1", "$1"],
  ["${1}", "${1}"],
  ["${x", "${x"],
  ["$", "$"],
  ["a$", "a$"],
  ["${nope}", "${nope}"],
  ["a ${nope} $nope", "a ${nope} $nope"],
  ["${tok}", "secret1"],
  ["${only2}", 2],
  ["${b} ${n} ${f} ${l} ${d}", "True None 1.5 [1, 'a'] {'k': 'v'}"],
  ["${n}", null],
  ["${e}", ""],
  ["$xy", "$xy"],
  ["$x.y", "1.y"],
  ["${\u00e9}", "${\u00e9}"],
  ["$\u00e9", "$\u00e9"],
  ["${d}", {"k": "v"}],
  [" ${x}", " 1"],
  ["${x} ", "1 "],
  ["${x}\n", "1\n"],
  ["\u0130${x}", "\u01301"],
  ["${big} ${tiny}", "100000000000000000000 1e-05"],
  ["${q}", "it's"],
  ["${l}${d}", "[1, 'a']{'k': 'v'}"],
  ["$$$x", "$1"],
  ["${x}$", "1$"],
  ["$_u", "under"],
  ["${f}", 1.5],
  ["${b}", true],
]
const NESTED = {"a": ["${x}", {"b": "${s}"}, 3, null, [], {}], "k${x}": "${l}", "t": ["$x", ["${b}"]]}
const NESTED_OUT = {"a": [1, {"b": "str"}, 3, null, [], {}], "k${x}": [1, "a"], "t": ["1", [true]]}

const VALUES: Values = { configuration: CFG, secrets: SEC }

describe('substitute agrees with chaoslib', () => {
  it.each(TEMPLATES)('%j', (template, want) => {
    expect(substitute(template, VALUES)).toEqual(want)
  })

  it('walks objects and arrays, leaving keys and non-strings alone', () => {
    expect(substitute(NESTED, VALUES)).toEqual(NESTED_OUT)
  })
})

describe('substitute', () => {
  it('a string that is exactly ${name} keeps the value itself, in its own type', () => {
    const list = [1, 2]
    expect(substitute('${l}', { configuration: { l: list }, secrets: {} })).toBe(list)
    expect(substitute('${n}', { configuration: { n: 0 }, secrets: {} })).toBe(0)
  })

  it('writes bytes as Python str() does, and keeps them as bytes when alone', () => {
    const by = new TextEncoder().encode("hi'")
    const values: Values = { configuration: { by }, secrets: {} }
    expect(substitute('v=${by}', values)).toBe(`v=b"hi'"`)
    expect(substitute('${by}', values)).toBe(by)
  })

  it('never changes its input', () => {
    const data = { a: ['${x}', { b: '${s}' }] }
    const copy = structuredClone(data)
    const out = substitute(data, VALUES)
    expect(data).toEqual(copy)
    expect(out).not.toBe(data)
  })

  it('returns falsy data as it is', () => {
    for (const v of [null, undefined, '', 0, false]) expect(substitute(v, VALUES)).toBe(v)
    const empty: unknown[] = []
    expect(substitute(empty, VALUES)).toBe(empty)
  })

  it('looks in configuration first, then the secrets scopes in order, skipping scopes that are not mappings', () => {
    const values = { configuration: { a: 'conf' }, secrets: { s0: 'not a mapping', s1: { a: 'secret', b: 'one' }, s2: { b: 'two', c: 'three' } } } as unknown as Values
    expect(substitute(['${a}', '${b}', '${c}', '$d'], values)).toEqual(['conf', 'one', 'three', '$d'])
  })

  it('works with no configuration or secrets at all', () => {
    expect(substitute('${x} $$', { configuration: {}, secrets: {} })).toBe('${x} $')
    expect(substituteText('${x}', VALUES)).toBe(1)
  })
})
