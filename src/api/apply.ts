/**
 * @module api/apply: apply many documents all or nothing.
 *
 *   text ─ validateText ─▶ issues? ─▶ refuse all (400/422, every issue)
 *                      └─▶ resources ─ controller.applyAll ─▶ any refused? ─▶ refuse all (every refusal, by position)
 *                                         (one transaction)  └─▶ created|configured|unchanged each
 */
import { ChaosError } from '../errors.js'
import type { ErrorCode } from '../errors.js'
import type { Issue } from '../manifest/issues.js'
import { sortIssues } from '../manifest/issues.js'
import type { Resource, ValidationResult } from '../manifest/validate.js'
import { findKind } from './kinds.js'
import type { ApplyResult, ControllerApi } from './types.js'

/** A refusal that carries every problem found, each with its position in the input. */
export class IssuesError extends ChaosError {
  constructor(readonly issues: Issue[], what = 'the request') {
    const first = issues[0]!
    super(first.code, `${issues.length} problem(s) in ${what}; nothing was applied`, first.hint ? { hint: first.hint } : {})
  }
}

/** Documents that validate but that the controller does not keep (Chaos Toolkit experiments, Apps, other API groups). */
export function notApplicable(r: ValidationResult): Issue[] {
  const issues: Issue[] = []
  const at = (file: string, line: number, code: ErrorCode, message: string, hint: string) => issues.push({ code, file, line, col: 1, path: '', message, hint })
  for (const e of r.experiments) at(e.source.file, e.source.line, 'SPEC_UNRECOGNIZED_DOCUMENT', `"${e.title}" is a Chaos Toolkit experiment, which is run, not applied`, 'run it with `chaoscope run FILE`; `chaoscope validate -f` checks it')
  for (const s of r.skipped) at(s.file, s.line, 'SPEC_UNRECOGNIZED_DOCUMENT', `${s.kind ?? 'document'}${s.name ? ` ${s.name}` : ''}: ${s.reason}; the controller keeps chaos-mesh.org resources only`, 'apply it with kubectl, or remove it from the input')
  const seen = new Map<string, Resource>()
  for (const res of r.resources) {
    const at2 = (code: ErrorCode, message: string, hint: string) => at(res.source.file, res.source.line, code, message, hint)
    if (!res.apiVersion.startsWith('chaos-mesh.org/') || !findKind(res.kind)) {
      at2('SPEC_UNRECOGNIZED_DOCUMENT', `${res.kind} ${res.metadata.name} is not a chaos-mesh.org resource; the controller does not keep it`, res.kind === 'App' ? 'run an App with `chaoscope up -f FILE`' : res.kind === 'LoadProfile' ? 'run a LoadProfile with `chaoscope load -f FILE`' : 'remove it from the input')
      continue
    }
    const key = `${res.kind}/${res.metadata.namespace}/${res.metadata.name}`
    const prev = seen.get(key)
    if (prev) at2('SPEC_DUPLICATE_NAME', `${res.kind} ${res.metadata.namespace}/${res.metadata.name} appears twice (first at ${prev.source.file}:${prev.source.line})`, 'give each resource its own name')
    else seen.set(key, res)
  }
  return issues
}

/** The refusal of one document, as an issue at the document's position. */
function refusalIssue(r: Resource, e: ChaosError): Issue {
  return {
    code: e.code, file: r.source.file, line: r.source.line, col: 1, path: '',
    message: `${r.kind} ${r.metadata.namespace}/${r.metadata.name}: ${e.message}`, ...(e.hint ? { hint: e.hint } : {}),
  }
}

/** An error that says which documents of an apply were refused (the controller's AdmissionError). */
function refusalsOf(e: unknown): { index: number; error: ChaosError }[] | undefined {
  const list = (e as { refusals?: unknown } | undefined)?.refusals
  return e instanceof ChaosError && Array.isArray(list) ? (list as { index: number; error: ChaosError }[]) : undefined
}

/**
 * Applies every resource, or none. With a controller that has `applyAll` (the real one), all documents are
 * admitted and then written in one store transaction, so a refusal, however late, leaves none of them created.
 * Otherwise each is tried with dryRun first, and applied only when all were accepted. Throws an IssuesError naming
 * each refused resource by position.
 */
export async function applyAll(controller: ControllerApi, resources: Resource[], opts: { dryRun?: boolean } = {}): Promise<ApplyResult[]> {
  const what = resources.length > 1 ? `the ${resources.length} resources` : 'the resource'
  if (controller.applyAll) {
    try {
      return await controller.applyAll(resources, opts)
    } catch (e) {
      const refused = refusalsOf(e)
      if (!refused) throw e
      throw new IssuesError(sortIssues(refused.map((r) => refusalIssue(resources[r.index]!, r.error))), what)
    }
  }
  const plans: ApplyResult[] = []
  const refusals: Issue[] = []
  for (const r of resources) {
    try {
      plans.push(await controller.apply(r, { dryRun: true }))
    } catch (e) {
      if (!(e instanceof ChaosError)) throw e
      refusals.push(refusalIssue(r, e))
    }
  }
  if (refusals.length > 0) throw new IssuesError(sortIssues(refusals), what)
  if (opts.dryRun) return plans
  const done: ApplyResult[] = []
  for (const r of resources) done.push(await controller.apply(r))
  return done
}
