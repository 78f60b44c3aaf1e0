/**
 * @module manifest/schema-kit: small builders for the JSON Schemas of our kinds (TypeBox underneath), shaped
 * like Kubernetes OpenAPI: closed objects, string maps as `additionalProperties`, enums as `enum`.
 *
 * Every builder returns a plain JSON Schema object with a static TypeScript type, so one definition gives
 * Ajv its schema, the compiler its types, and the CRD parity test something to compare.
 */
import { Type } from '@sinclair/typebox'
import type { Static, TSchema, TObject, TProperties, TArray } from '@sinclair/typebox'

export type { Static, TSchema }

/** A closed object: unknown fields are errors, as Chaos Mesh's structural schemas prune/reject them. */
export function obj<P extends TProperties>(props: P, opts: { description?: string } = {}): TObject<P> {
  return Type.Object(props, { additionalProperties: false, ...opts })
}

/** An object that keeps any field (Kubernetes `x-kubernetes-preserve-unknown-fields`). */
export function openObj(): TSchema & { static: Record<string, unknown> } {
  return Type.Unsafe<Record<string, unknown>>({ type: 'object' })
}

export const opt = <T extends TSchema>(s: T) => Type.Optional(s)

export function str(opts: { pattern?: string; minLength?: number; maxLength?: number; default?: string; format?: string } = {}) {
  return Type.String(opts)
}

/** A Go `time.Duration` string: "100ms", "1.5h", "2h45m". Empty is allowed where Chaos Mesh allows it. */
export function duration(opts: { default?: string } = {}) {
  return Type.String({ format: 'duration', ...opts })
}

/** A string that must parse as a float (Chaos Mesh's FloatStr: "25", "0.5"). */
export function floatStr(opts: { default?: string } = {}) {
  return Type.String({ format: 'float-string', ...opts })
}

export function int(opts: { minimum?: number; maximum?: number; default?: number } = {}) {
  return Type.Integer(opts)
}

export function num(opts: { minimum?: number; maximum?: number; default?: number } = {}) {
  return Type.Number(opts)
}

export function bool(opts: { default?: boolean } = {}) {
  return Type.Boolean(opts)
}

export function arr<T extends TSchema>(items: T, opts: { minItems?: number; maxItems?: number } = {}): TArray<T> {
  return Type.Array(items, opts)
}

/** `{ [key: string]: T }` written as `additionalProperties`, as in the CRDs. */
export function map<T extends TSchema>(values: T) {
  return Type.Unsafe<Record<string, Static<T>>>({ type: 'object', additionalProperties: values })
}

/** A string enum, as one `enum` keyword (no anyOf), so that errors say "expected one of …". */
export function oneOf<const V extends readonly string[]>(values: V, opts: { default?: V[number] } = {}) {
  return Type.Unsafe<V[number]>({ type: 'string', enum: [...values], ...opts })
}

/** Kubernetes int-or-string (ports, quantities). */
export function intOrString(opts: { pattern?: string } = {}) {
  return Type.Unsafe<number | string>({ type: ['integer', 'string'], ...opts })
}

/** Any JSON value (Chaos Toolkit arguments, opaque blobs). */
export function any() {
  return Type.Unsafe<unknown>({})
}
