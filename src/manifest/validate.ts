/**
 * @module manifest/validate: documents → typed resources with defaults, or positioned issues.
 *
 *   -f inputs ─ readSources ─▶ texts ─ parseSource ─▶ documents ─ validateDocument ─▶ resource | skipped | issues
 *                                                                   ├─ Kubernetes-style: group → kind → schema → defaults → rules
 *                                                                   └─ Chaos Toolkit experiment (title, method)
 */
import type { ErrorCode } from '../errors.js'
import { schemaIssues } from './schema-issues.js'
import type { UnknownFieldRule } from './schema-issues.js'
import { checkChaosToolkit, isChaosToolkitLike } from './chaos-toolkit.js'
import type { ChaosToolkitExperiment } from './chaos-toolkit.js'
import { didYouMean, formatPath, sortIssues } from './issues.js'
import type { FieldPath, Issue } from './issues.js'
import type { CheckContext, KindDefinition, ObjectMeta } from './kind.js'
import { objectMeta } from './kinds/common.js'
import { parseSource } from './parse.js'
import type { ParsedDocument } from './parse.js'
import { CHAOS_MESH_KINDS, CHAOSCOPE_KINDS, GROUPS, INTERNAL_KINDS, kindDefinition } from './registry.js'
import { readSources } from './source.js'
import type { ReadOptions, Source } from './source.js'
import { obj, opt, openObj, str } from './schema-kit.js'
import type { TSchema } from './schema-kit.js'
import { validator } from './validators.js'

/** A validated Kubernetes-style object, with Chaos Mesh's defaults applied. */
export interface Resource {
  apiVersion: string
  kind: string
  metadata: ObjectMeta & { name: string; namespace: string }
  spec: Record<string, unknown>
  /** Where it was read from. */
  source: { file: string; index: number; line: number }
}

export interface SkippedDocument {
  file: string
  index: number
  line: number
  apiVersion?: string
  kind?: string
  name?: string
  reason: string
}

export interface ValidationResult {
  resources: Resource[]
  experiments: (ChaosToolkitExperiment & { source: { file: string; index: number; line: number } })[]
  skipped: SkippedDocument[]
  issues: Issue[]
  files: number
  documents: number
}

/** Reads and validates every input (files, directories, "-"). Never throws for user input. */
export function validatePaths(inputs: readonly string[], opts: ReadOptions = {}): ValidationResult {
  const { sources, issues } = readSources(inputs, opts)
  const result = validateSources(sources)
  result.issues = sortIssues([...issues, ...result.issues])
  return result
}

/** Validates one text, as the API and the dashboard's editor do. */
export function validateText(text: string, file = '<input>'): ValidationResult {
  return validateSources([{ name: file, text, discovered: false }])
}

export function validateSources(sources: readonly Source[]): ValidationResult {
  const result: ValidationResult = { resources: [], experiments: [], skipped: [], issues: [], files: 0, documents: 0 }
  for (const src of sources) {
    if (src.text === undefined) continue
    result.files++
    const parsed = parseSource(src.name, src.text)
    result.issues.push(...parsed.issues)
    for (const doc of parsed.documents) {
      result.documents++
      const out = validateDocument(doc, { discovered: src.discovered })
      result.issues.push(...out.issues)
      if (out.resource) result.resources.push(out.resource)
      if (out.experiment) result.experiments.push({ ...out.experiment, source: { file: doc.file, index: doc.index, line: doc.line } })
      if (out.skipped) result.skipped.push(out.skipped)
    }
  }
  result.issues = sortIssues(result.issues)
  return result
}

export interface DocumentResult {
  resource?: Resource
  experiment?: ChaosToolkitExperiment
  skipped?: SkippedDocument
  issues: Issue[]
}

const K8S_MARKERS = ['apiVersion', 'kind', 'metadata', 'spec']

/** Validates one parsed document. */
export function validateDocument(doc: ParsedDocument, opts: { discovered?: boolean } = {}): DocumentResult {
  const issues: Issue[] = []
  const v = doc.value
  const at = (path: FieldPath, code: ErrorCode, message: string, hint?: string, key = false): Issue => {
    const { line, col } = doc.locate(path, { key })
    return { code, file: doc.file, line, col, path: formatPath(path), message, ...(hint ? { hint } : {}) }
  }
  if (v === null || v === undefined) return { issues } // an empty document (`~`, `null`): skipped, as kubectl does
  if (typeof v !== 'object' || Array.isArray(v)) {
    issues.push(at([], 'SPEC_NOT_AN_OBJECT', `document is ${Array.isArray(v) ? 'a list' : `a ${typeof v}`}, not an object`, 'each document must be a Kubernetes-style object or a Chaos Toolkit experiment'))
    return { issues }
  }
  const o = v as Record<string, unknown>
  if (K8S_MARKERS.some((k) => k in o)) {
    const resource = validateObject(doc, o, [], issues, opts)
    return resource && 'reason' in resource ? { skipped: resource, issues } : { ...(resource ? { resource } : {}), issues }
  }
  if (isChaosToolkitLike(o)) {
    const experiment = checkChaosToolkit(doc, o, issues, validateObject)
    return { ...(experiment ? { experiment } : {}), issues }
  }
  const reason = 'not a Kubernetes-style object (apiVersion, kind) nor a Chaos Toolkit experiment (title, method)'
  if (opts.discovered) return { skipped: { file: doc.file, index: doc.index, line: doc.line, reason }, issues }
  issues.push(at([], 'SPEC_UNRECOGNIZED_DOCUMENT', `document is ${reason}`, 'add apiVersion and kind, or title and method'))
  return { issues }
}

const ALL_KNOWN_KINDS = [...CHAOS_MESH_KINDS, ...CHAOSCOPE_KINDS]

/**
 * Validates a Kubernetes-style object found at `base` in `doc` (the whole document, or an object embedded
 * in a Chaos Toolkit activity's arguments). Pushes issues; returns the defaulted resource when valid, a
 * skip record for objects of other API groups, or undefined.
 */
export function validateObject(
  doc: ParsedDocument,
  o: Record<string, unknown>,
  base: FieldPath,
  issues: Issue[],
  opts: { discovered?: boolean } = {},
): Resource | SkippedDocument | undefined {
  const at = (path: FieldPath, code: ErrorCode, message: string, hint?: string, key = false) => {
    const full = [...base, ...path]
    const { line, col } = doc.locate(full, { key })
    issues.push({ code, file: doc.file, line, col, path: formatPath(full), message, ...(hint ? { hint } : {}) })
  }
  const apiVersion = o.apiVersion
  const kind = o.kind
  if (typeof apiVersion !== 'string' || typeof kind !== 'string' || apiVersion === '' || kind === '') {
    const missing = typeof apiVersion !== 'string' || apiVersion === '' ? 'apiVersion' : 'kind'
    if (missing in o) at([missing], 'SPEC_TYPE', `${missing} must be a non-empty string`)
    else at([missing], 'SPEC_MISSING_KIND', `missing required field "${missing}"`, kindHint(kind))
    return undefined
  }
  const slash = apiVersion.indexOf('/')
  const group = slash < 0 ? '' : apiVersion.slice(0, slash)
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1)
  const groupDef = (GROUPS as Record<string, { versions: readonly string[]; kinds: Record<string, KindDefinition | undefined> }>)[group]
  if (!groupDef) {
    const meta = o.metadata as { name?: unknown } | undefined
    const near = group === '' ? undefined : didYouMean(group, Object.keys(GROUPS))
    if (near) {
      at(['apiVersion'], 'SPEC_UNSUPPORTED_VERSION', `unknown API group "${group}"`, `${near} (chaos-mesh.org/v1alpha1)`)
      return undefined
    }
    return {
      file: doc.file, index: doc.index, line: doc.locate(base).line, apiVersion, kind,
      ...(typeof meta?.name === 'string' ? { name: meta.name } : {}),
      reason: `${apiVersion} is not a chaos-mesh.org or chaoscope.dev kind`,
    }
  }
  if (!groupDef.versions.includes(version)) {
    at(['apiVersion'], 'SPEC_UNSUPPORTED_VERSION', `unknown version "${version}" of ${group}`, `use ${group}/${groupDef.versions[0]}`)
    return undefined
  }
  const def = kindDefinition(group, kind)
  if (!def) {
    if (group === 'chaos-mesh.org' && kind in INTERNAL_KINDS) {
      at(['kind'], 'SPEC_INTERNAL_KIND', `${kind} is created by Chaos Mesh's controller, not written by users`, `write a ${INTERNAL_KINDS[kind]} instead`)
    } else {
      const known = Object.keys(groupDef.kinds)
      at(['kind'], 'SPEC_UNKNOWN_KIND', `unknown kind "${kind}" in ${group}`, didYouMean(kind, ALL_KNOWN_KINDS) ?? `known kinds: ${known.join(', ')}`)
    }
    return undefined
  }
  const before = issues.length
  const validate = validator(def.kind, () => objectSchema(def))
  const schemaProblems = schemaIssues(doc, o, base, validate, { unknownField: unknownFieldRule(def, base) })
  issues.push(...schemaProblems)
  const meta = (o.metadata ?? {}) as ObjectMeta
  checkMetadata(meta, (p, c, m, h) => at(['metadata', ...p], c, m, h))

  const spec = o.spec as Record<string, unknown> | undefined
  const ctx = checkContext(doc, base, [...base, 'spec'], issues, meta, schemaProblems)
  const clean = ctx.clean([])
  if (spec && typeof spec === 'object' && (clean || (def.checkNeeds?.every((f) => f in spec && ctx.clean([f])) ?? false))) {
    try {
      def.check?.(spec as never, ctx)
      if (clean) def.defaults?.(spec as never, meta)
    } catch (cause) {
      at(['spec'], 'INTERNAL', `rule check failed: ${(cause as Error).message}`, 'this is a bug in chaoscope; please report it with this file')
    }
  }
  if (issues.length > before) return undefined
  meta.namespace ??= 'default'
  return {
    apiVersion,
    kind,
    metadata: meta as Resource['metadata'],
    spec: (spec ?? {}) as Record<string, unknown>,
    source: { file: doc.file, index: doc.index, line: doc.locate(base).line },
  }
}

function kindHint(kind: unknown): string {
  if (typeof kind === 'string' && (CHAOS_MESH_KINDS as readonly string[]).includes(kind)) return 'add apiVersion: chaos-mesh.org/v1alpha1'
  return 'add apiVersion and kind, e.g. apiVersion: chaos-mesh.org/v1alpha1, kind: NetworkChaos'
}

const objectSchemas = new WeakMap<KindDefinition, TSchema>()

/**
 * The whole object's schema: apiVersion, kind, metadata, spec (and status, accepted and ignored). Its
 * validator's key is the kind's name (kind names are unique across our groups).
 */
export function objectSchema(def: KindDefinition): TSchema {
  let s = objectSchemas.get(def)
  if (!s) {
    s = obj({
      apiVersion: str(),
      kind: str(),
      metadata: objectMeta,
      spec: def.specRequired === false ? opt(def.spec) : def.spec,
      status: opt(openObj()),
    })
    objectSchemas.set(def, s)
  }
  return s
}

/** Unknown fields that mean something: Chaos Mesh 1.x's spec.scheduler, Argo's workflow keywords. */
function unknownFieldRule(def: KindDefinition, base: FieldPath): UnknownFieldRule {
  return (name, path) => {
    const rel = path.slice(base.length)
    if (name === 'scheduler' && rel.length >= 2 && rel[rel.length - 2] !== 'metadata') {
      return {
        code: 'SPEC_REMOVED_FIELD',
        message: 'spec.scheduler was removed in Chaos Mesh 2.0',
        hint: `to repeat a fault on a cron, wrap it in a Schedule: kind: Schedule, spec: { schedule: "<cron>", type: ${def.kind === 'Schedule' || def.kind === 'Workflow' ? '<Kind>' : def.kind}, ${def.embedKey ?? '<kindKey>'}: { ...this spec without scheduler } }; duration stays in the chaos spec`,
      }
    }
    const argoTemplateKey = rel.length === 4 && rel[1] === 'templates' && ['container', 'script', 'inputs', 'outputs'].includes(name)
    if (def.kind === 'Workflow' && (argoTemplateKey || ['entrypoint', 'tasks', 'steps', 'dag', 'arguments', 'dependencies', 'onExit'].includes(name))) {
      return {
        code: 'SPEC_ARGO_WORKFLOW',
        message: `"${name}" is Argo Workflows syntax, not Chaos Mesh's`,
        hint: name === 'container' || name === 'script'
          ? 'Chaos Mesh runs a container in a template with templateType: Task and task: { container: { name, image, command } }'
          : 'Chaos Mesh writes spec.entry: <template name>, and templates: [{ name, templateType: Serial|Parallel|Suspend|Task|Schedule|<Kind>, children: [<template names>] }]',
      }
    }
    return undefined
  }
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

function checkMetadata(meta: ObjectMeta, report: (p: FieldPath, c: ErrorCode, m: string, h?: string) => void): void {
  if (typeof meta !== 'object' || meta === null) return
  if (meta.name === undefined && meta.generateName === undefined) {
    report(['name'], 'SPEC_REQUIRED', 'missing required field "name"', 'every object needs metadata.name')
  }
  if (typeof meta.name === 'string' && (meta.name.length > 253 || !DNS_SUBDOMAIN.test(meta.name))) {
    report(['name'], 'SPEC_INVALID_NAME', `${JSON.stringify(meta.name)} is not a valid name`, 'use lowercase letters, digits, "-" and ".", starting and ending with a letter or digit (at most 253 characters)')
  }
  if (typeof meta.namespace === 'string' && (meta.namespace.length > 63 || !DNS_LABEL.test(meta.namespace))) {
    report(['namespace'], 'SPEC_INVALID_NAME', `${JSON.stringify(meta.namespace)} is not a valid namespace`, 'use lowercase letters, digits and "-" (at most 63 characters)')
  }
}

/** `root` is the object's own path (its metadata is under it), `base` the spec's or a nested spec's. */
function checkContext(doc: ParsedDocument, root: FieldPath, base: FieldPath, issues: Issue[], metadata: ObjectMeta, schemaProblems: Issue[]): CheckContext {
  const report = (full: FieldPath, code: ErrorCode, message: string, hint?: string, opts?: { key?: boolean }) => {
    const { line, col } = doc.locate(full, opts?.key ? { key: true } : {})
    issues.push({ code, file: doc.file, line, col, path: formatPath(full), message, ...(hint ? { hint } : {}) })
  }
  return {
    metadata,
    issue: (path, code, message, hint, opts) => report([...base, ...path], code, message, hint, opts),
    metadataIssue: (path, code, message, hint, opts) => report([...root, 'metadata', ...path], code, message, hint, opts),
    clean(path) {
      const full = formatPath([...base, ...path])
      return !schemaProblems.some((i) => i.path === full || i.path.startsWith(`${full}.`) || i.path.startsWith(`${full}[`))
    },
    at(prefix) {
      return checkContext(doc, root, [...base, ...prefix], issues, metadata, schemaProblems)
    },
    nested(prefix, meta) {
      return checkContext(doc, [...base, ...prefix], [...base, ...prefix, 'spec'], issues, meta, schemaProblems)
    },
  }
}
