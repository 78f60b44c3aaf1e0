/**
 * @module manifest/schema-kit: small builders for the JSON Schemas of our kinds, shaped like Kubernetes OpenAPI:
 * closed objects, string maps as `additionalProperties`, enums as `enum`.
 *
 * Every builder returns a plain JSON Schema object typed with TypeBox's types, so one definition gives Ajv its
 * schema, the compiler its types (`Static<typeof x>`), and the CRD parity test something to compare. The values
 * are exactly what TypeBox's `Type.*` builders return (same keys, same `TypeBox.Kind`/`TypeBox.Optional`
 * symbols, shared sub-objects), built here so that reading a file never loads TypeBox: at run time the schemas
 * are only data, compiled at build time (see validators.ts).
 */
import type { Static, TSchema, TObject, TProperties, TArray, TString, TInteger, TNumber, TBoolean, TOptional } from '@sinclair/typebox'

export type { Static, TSchema }

const KIND = Symbol.for('TypeBox.Kind')
const OPTIONAL = Symbol.for('TypeBox.Optional')

function typed<T>(kind: string, schema: Record<string, unknown>): T {
  return Object.assign(schema, { [KIND]: kind }) as T
}

/** A closed object: unknown fields are errors, as Chaos Mesh's structural schemas prune/reject them. */
export function obj<P extends TProperties>(props: P, opts: { description?: string } = {}): TObject<P> {
  const required = Object.keys(props).filter((k) => !(OPTIONAL in props[k]!))
  return typed<TObject<P>>('Object', { additionalProperties: false, ...opts, type: 'object', ...(required.length > 0 ? { required } : {}), properties: props })
}

/** An object that keeps any field (Kubernetes `x-kubernetes-preserve-unknown-fields`). */
export function openObj(): TSchema & { static: Record<string, unknown> } {
  return unsafe<Record<string, unknown>>({ type: 'object' })
}

/** An optional property: a shallow copy of `s` marked optional, as TypeBox's `Type.Optional`. */
export const opt = <T extends TSchema>(s: T): TOptional<T> => ({ ...s, [OPTIONAL]: 'Optional' }) as TOptional<T>

/** A schema written as plain JSON Schema, with the static type given (TypeBox's `Type.Unsafe`). */
export function unsafe<T>(schema: Record<string, unknown>): TSchema & { static: T } {
  return typed('Unsafe', { ...schema })
}

export function str(opts: { pattern?: string; minLength?: number; maxLength?: number; default?: string; format?: string } = {}) {
  return typed<TString>('String', { ...opts, type: 'string' })
}

/** A Go `time.Duration` string: "100ms", "1.5h", "2h45m". Empty is allowed where Chaos Mesh allows it. */
export function duration(opts: { default?: string } = {}) {
  return typed<TString>('String', { format: 'duration', ...opts, type: 'string' })
}

/** A string that must parse as a float (Chaos Mesh's FloatStr: "25", "0.5"). */
export function floatStr(opts: { default?: string } = {}) {
  return typed<TString>('String', { format: 'float-string', ...opts, type: 'string' })
}

export function int(opts: { minimum?: number; maximum?: number; default?: number } = {}) {
  return typed<TInteger>('Integer', { ...opts, type: 'integer' })
}

export function num(opts: { minimum?: number; maximum?: number; default?: number } = {}) {
  return typed<TNumber>('Number', { ...opts, type: 'number' })
}

export function bool(opts: { default?: boolean } = {}) {
  return typed<TBoolean>('Boolean', { ...opts, type: 'boolean' })
}

export function arr<T extends TSchema>(items: T, opts: { minItems?: number; maxItems?: number } = {}): TArray<T> {
  return typed<TArray<T>>('Array', { ...opts, type: 'array', items })
}

/** `{ [key: string]: T }` written as `additionalProperties`, as in the CRDs. */
export function map<T extends TSchema>(values: T) {
  return unsafe<Record<string, Static<T>>>({ type: 'object', additionalProperties: values })
}

/** A string enum, as one `enum` keyword (no anyOf), so that errors say "expected one of …". */
export function oneOf<const V extends readonly string[]>(values: V, opts: { default?: V[number] } = {}) {
  return unsafe<V[number]>({ type: 'string', enum: [...values], ...opts })
}

/** Kubernetes int-or-string (ports, quantities). */
export function intOrString(opts: { pattern?: string } = {}) {
  return unsafe<number | string>({ type: ['integer', 'string'], ...opts })
}

/** Any JSON value (Chaos Toolkit arguments, opaque blobs). */
export function any() {
  return unsafe<unknown>({})
}
