/**
 * @module manifest/validators: one validate function per schema key (a kind, the Chaos Toolkit experiment),
 * loaded on first use.
 *
 *   validator('PodChaos', schema) ─▶ cached? ─▶ generated/PodChaos.cjs (standalone code made by `npm run build`)
 *                                            └▶ absent: compile `schema()` with Ajv now (vitest, tsc-only builds)
 *
 * Generated code is a CommonJS module exporting `load(formats, require)`, so it loads synchronously (createRequire)
 * and only for the kinds a run meets: validating a PodChaos file loads PodChaos's code, not Workflow's.
 */
import { createRequire } from 'node:module'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { ValidateFunction } from 'ajv'
import { SchemaCompiler } from './compile.js'
import { FORMATS } from './formats.js'
import type { StringFormat } from './formats.js'
import type { TSchema } from './schema-kit.js'

const require = createRequire(import.meta.url)

/** Where `npm run build` writes the generated validators, next to this module in dist/. */
export const GENERATED_DIR = fileURLToPath(new URL('./generated/', import.meta.url))

/** The file a key's generated code is written to (keys are kind names: letters only). */
export function generatedFile(key: string): string {
  if (!/^[A-Za-z][A-Za-z0-9]*$/.test(key)) throw new Error(`not a validator key: ${key}`)
  return `${key}.cjs`
}

export type ValidatorOrigin = 'generated' | 'compiled'

let dir: string | undefined = GENERATED_DIR
const cache = new Map<string, { fn: ValidateFunction; origin: ValidatorOrigin }>()
let compiler: SchemaCompiler | undefined

/**
 * The validate function of `key`: the generated one when its file exists, else `schema()` compiled now (once).
 * Callers give the same schema for the same key.
 */
export function validator(key: string, schema: () => TSchema): ValidateFunction {
  let hit = cache.get(key)
  if (!hit) {
    const file = dir === undefined ? undefined : `${dir}/${generatedFile(key)}`
    if (file !== undefined && existsSync(file)) {
      const load = require(file) as (formats: Readonly<Record<string, StringFormat>>, req: NodeJS.Require) => ValidateFunction
      hit = { fn: load(FORMATS, require), origin: 'generated' }
    } else {
      compiler ??= new SchemaCompiler() // loads Ajv
      hit = { fn: compiler.compile(schema()), origin: 'compiled' }
    }
    cache.set(key, hit)
  }
  return hit.fn
}

/** Keys loaded so far and how: what a run paid for (tests check that one kind loads one kind). */
export function loadedValidators(): Record<string, ValidatorOrigin> {
  return Object.fromEntries([...cache].map(([k, v]) => [k, v.origin]))
}

/**
 * Tests only: read generated code from `from` (a directory), or compile everything at run time (`undefined`).
 * Forgets what was loaded.
 */
export function useGeneratedValidators(from: string | undefined): void {
  dir = from
  cache.clear()
  compiler = undefined
}
