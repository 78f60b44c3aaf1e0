/** @module manifest/kind: what one kind contributes to validation: its schema, its defaults, its extra rules. */
import type { TSchema, Static } from '@sinclair/typebox'
import type { ErrorCode } from '../errors.js'
import type { FieldPath } from './issues.js'

export type ApiVersion = 'chaos-mesh.org/v1alpha1' | 'chaoscope.dev/v1alpha1'

export interface ObjectMeta {
  name?: string
  generateName?: string
  namespace?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
  [key: string]: unknown
}

/**
 * Where a kind's rules report problems. Paths are relative to the spec being checked; the validator turns
 * them into positions in the file. `clean(path)` is true when the schema found nothing wrong at or below
 * `path`, so a rule can trust the types there.
 */
export interface CheckContext {
  issue(path: FieldPath, code: ErrorCode, message: string, hint?: string, opts?: { key?: boolean }): void
  clean(path: FieldPath): boolean
  /** A context for a nested spec (a Workflow template's embedded chaos), paths relative to `prefix`. */
  at(prefix: FieldPath): CheckContext
  /** The metadata of the top-level object. */
  readonly metadata: ObjectMeta
  /** An issue at a field of that metadata (`['annotations', key]`), wherever this context is nested. */
  metadataIssue(path: FieldPath, code: ErrorCode, message: string, hint?: string, opts?: { key?: boolean }): void
  /** A context for a whole object embedded at `prefix` (an Experiment's fault): its spec at `prefix.spec`, and its own metadata. */
  nested(prefix: FieldPath, metadata: ObjectMeta): CheckContext
}

/**
 * One kind. Adding a kind is: a file in `spec/kinds/` exporting one of these, and its line in
 * `spec/registry.ts`.
 *
 * @example
 * export const podChaos = defineKind({ apiVersion: 'chaos-mesh.org/v1alpha1', kind: 'PodChaos', embedKey: 'podChaos',
 *   spec: obj({ action: oneOf(['pod-kill']), ...podSelector }), check(spec, ctx) { checkSelectorValue(spec, ctx) } })
 */
export interface KindDefinition<S extends TSchema = TSchema> {
  apiVersion: ApiVersion
  kind: string
  /** JSON Schema of `spec` (field names, types, enums, required, defaults, ranges). */
  spec: S
  /** Is `spec` required on the object? (true for every Chaos Mesh kind). */
  specRequired?: boolean
  /** The key under which Workflow templates and Schedules embed this kind (`networkChaos`). */
  embedKey?: string
  /**
   * Defaults Chaos Mesh's webhook applies beyond the schema's `default`s (which Ajv applies itself).
   * Mutates `spec`. Runs only on a spec that passed its schema.
   */
  defaults?(spec: Static<S>, metadata: ObjectMeta): void
  /** The admission webhook's rules. Runs only on a spec that passed its schema (`ctx.clean([])`), or see `checkNeeds`. */
  check?(spec: Static<S>, ctx: CheckContext): void
  /**
   * The spec fields `check` needs to have passed the schema; when given, it also runs on a spec with problems
   * elsewhere (and guards the other fields with `ctx.clean`), so that one file shows all its mistakes at once
   * (a Workflow with an Argo-style entrypoint still has its templates checked). Defaults run on a clean spec only.
   */
  checkNeeds?: string[]
}

export function defineKind<S extends TSchema>(def: KindDefinition<S>): KindDefinition<S> {
  return def
}
