/**
 * @module manifest/compile: JSON Schema → Ajv validate function, the one way both paths compile: at build time
 * into standalone code (scripts/gen-validators.mjs), and at run time when that code is absent (under vitest, or
 * a build that skipped the generator). Ajv is loaded on first use only.
 */
import { createRequire } from 'node:module'
import type { Ajv as AjvClass, Options, ValidateFunction } from 'ajv'
import type { TSchema } from './schema-kit.js'
import { FORMATS } from './formats.js'

const require = createRequire(import.meta.url)

/** The options every validator is compiled with: all errors, Chaos Mesh's defaults applied, data in errors. */
export const AJV_OPTIONS: Options = { allErrors: true, useDefaults: true, strict: true, allowUnionTypes: true, verbose: true, inlineRefs: false }

/**
 * Annotation keywords our schemas carry for the error mapping (schema-issues.ts); they validate nothing.
 * `x-issue` names the message an error at that node gets (see `IssueMessages`).
 */
export const ANNOTATIONS = ['x-issue'] as const

/**
 * One Ajv instance and the sub-schemas registered with it. Not reentrant; create one per use.
 *
 * @example
 * const c = new SchemaCompiler(); const validate = c.compile(podChaosObjectSchema)
 */
export class SchemaCompiler {
  readonly ajv: AjvClass
  /** Ids of sub-schemas already registered with Ajv, by object identity. */
  private readonly sharedIds = new WeakMap<object, string>()
  private nextSharedId = 0

  constructor(extra: Options = {}) {
    const { Ajv } = require('ajv') as typeof import('ajv')
    this.ajv = new Ajv({ ...AJV_OPTIONS, ...extra })
    for (const [name, format] of Object.entries(FORMATS)) this.ajv.addFormat(name, format)
    for (const keyword of ANNOTATIONS) this.ajv.addKeyword({ keyword, schemaType: 'string' })
  }

  compile(schema: TSchema): ValidateFunction {
    return this.ajv.compile(this.hoistShared(schema))
  }

  /**
   * Ajv inlines a sub-schema at every place it is used. A Workflow template embeds every chaos kind's spec,
   * a Schedule embeds those and a Workflow again: inlined, that is megabytes of generated code and seconds of
   * compile time. So every object sub-schema that occurs more than once in `root` (by identity) is registered
   * once under an id and referenced with `$ref`; validation, defaults, error paths and `x-issue` annotations
   * are unchanged.
   */
  private hoistShared(root: TSchema): TSchema {
    const seen = new Map<object, number>()
    const count = (node: unknown): void => {
      if (node === null || typeof node !== 'object') return
      const n = (seen.get(node) ?? 0) + 1
      seen.set(node, n)
      if (n > 1) return
      for (const child of Object.values(node)) count(child)
    }
    count(root)
    const isShared = (node: object) => (seen.get(node) ?? 0) > 1 && ('properties' in node || 'then' in node)
    const rewrite = (node: unknown, top: boolean): unknown => {
      if (node === null || typeof node !== 'object') return node
      if (!top && (this.sharedIds.has(node) || isShared(node))) {
        // the annotation stays where the node was, for errors its parent reports (a missing property)
        const note = (node as Record<string, unknown>)['x-issue']
        return { $ref: register(node), ...(note === undefined ? {} : { 'x-issue': note }) }
      }
      if (Array.isArray(node)) return node.map((x) => rewrite(x, false))
      const out: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(node)) out[k] = k === 'enum' || k === 'default' || k === 'const' ? v : rewrite(v, false)
      return out
    }
    const register = (node: object): string => {
      let id = this.sharedIds.get(node)
      if (!id) {
        id = `chaoscope:shared:${this.nextSharedId++}`
        this.sharedIds.set(node, id)
        this.ajv.addSchema(rewrite(node, true) as object, id)
      }
      return id
    }
    return rewrite(root, true) as TSchema
  }
}
