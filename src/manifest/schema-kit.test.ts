/** Our schema builders return what TypeBox's would, so TypeBox's types (`Static`) describe them truly. */
import { Type } from '@sinclair/typebox'
import { expect, it } from 'vitest'
import { any, arr, bool, duration, floatStr, int, intOrString, map, num, obj, oneOf, openObj, opt, str } from './schema-kit.js'

/** JSON plus the TypeBox symbols, at every level. */
function shape(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v
  if (Array.isArray(v)) return v.map(shape)
  const out: Record<string, unknown> = {}
  for (const s of Object.getOwnPropertySymbols(v)) out[`@${s.description}`] = (v as Record<symbol, unknown>)[s]
  for (const [k, x] of Object.entries(v)) out[k] = shape(x)
  return out
}

it('every builder equals its TypeBox counterpart, keys, order and symbols', () => {
  const pairs: [unknown, unknown][] = [
    [obj({ a: str(), b: opt(int({ minimum: 1 })) }, { description: 'd' }), Type.Object({ a: Type.String(), b: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false, description: 'd' })],
    [obj({ b: opt(bool({ default: true })) }), Type.Object({ b: Type.Optional(Type.Boolean({ default: true })) }, { additionalProperties: false })],
    [str({ pattern: '^a', default: 'a' }), Type.String({ pattern: '^a', default: 'a' })],
    [duration({ default: '1s' }), Type.String({ format: 'duration', default: '1s' })],
    [floatStr(), Type.String({ format: 'float-string' })],
    [num({ maximum: 2 }), Type.Number({ maximum: 2 })],
    [arr(str(), { minItems: 1 }), Type.Array(Type.String(), { minItems: 1 })],
    [map(str()), Type.Unsafe({ type: 'object', additionalProperties: Type.String() })],
    [oneOf(['x', 'y'], { default: 'x' }), Type.Unsafe({ type: 'string', enum: ['x', 'y'], default: 'x' })],
    [intOrString(), Type.Unsafe({ type: ['integer', 'string'] })],
    [openObj(), Type.Unsafe({ type: 'object' })],
    [any(), Type.Unsafe({})],
  ]
  for (const [ours, typebox] of pairs) expect(shape(ours)).toEqual(shape(typebox))
  for (const [ours, typebox] of pairs) expect(JSON.stringify(ours)).toBe(JSON.stringify(typebox))
})

it('shares sub-schemas as TypeBox does: properties by identity, opt() a shallow copy', () => {
  const inner = obj({ x: str() })
  const outer = obj({ a: inner, b: opt(inner) })
  expect(outer.properties.a).toBe(inner)
  expect(outer.properties.b).not.toBe(inner)
  expect(outer.properties.b.properties).toBe(inner.properties)
  expect(outer.required).toEqual(['a'])
})
