/** @module cli/verbs/validate: `chaoscope validate -f FILE|DIR|-`. */
import { EXIT, formatIssue, validatePaths } from '../../index.js'
import type { ValidationResult } from '../../index.js'
import { usage } from '../flags.js'
import type { Run } from '../main.js'
import { json, yaml } from '../print.js'

export async function validate(opts: { filename?: string[]; output: 'text' | 'json'; showDefaults?: boolean; maxFileSize?: number }, run: Run): Promise<void> {
  if (!opts.filename || opts.filename.length === 0) throw usage('validate needs at least one -f FILE|DIR|-', 'chaoscope validate -f experiment.yaml')
  const result = await validatePaths(opts.filename, {
    ...(opts.maxFileSize ? { maxFileSize: opts.maxFileSize } : {}),
    ...(run.stdin ? { stdin: run.stdin } : {}),
  })
  if (opts.output === 'json') run.out(json(toJson(result, opts.showDefaults ?? false)))
  else await printText(result, opts.showDefaults ?? false, run)
  run.exitCode = result.issues.length > 0 ? EXIT.USAGE : EXIT.OK
}

function toJson(r: ValidationResult, showDefaults: boolean) {
  return {
    valid: r.issues.length === 0,
    files: r.files,
    documents: r.documents,
    resources: r.resources.map((x) => ({
      apiVersion: x.apiVersion, kind: x.kind, name: x.metadata.name, namespace: x.metadata.namespace, file: x.source.file, line: x.source.line,
      ...(showDefaults ? { object: { apiVersion: x.apiVersion, kind: x.kind, metadata: x.metadata, spec: x.spec } } : {}),
    })),
    experiments: r.experiments.map((x) => ({ title: x.title, file: x.source.file, line: x.source.line })),
    skipped: r.skipped,
    issues: r.issues,
  }
}

/** Problems and skipped documents on stderr; the summary on stdout when all is valid, unless stdout carries YAML. */
async function printText(r: ValidationResult, showDefaults: boolean, run: Run): Promise<void> {
  for (const issue of r.issues) run.err(`${formatIssue(issue)}\n`)
  if (showDefaults) {
    const docs = await Promise.all(r.resources.map((x) => yaml({ apiVersion: x.apiVersion, kind: x.kind, metadata: x.metadata, spec: x.spec })))
    if (docs.length > 0) run.out(docs.join('---\n'))
  }
  for (const s of r.skipped) run.err(`${s.file}:${s.line}  skipped ${s.kind ? `${s.apiVersion ?? ''} ${s.kind}` : 'document'}${s.name ? ` ${s.name}` : ''}: ${s.reason}\n`)
  const valid = r.resources.length + r.experiments.length
  const summary = `${r.documents} document(s) in ${r.files} file(s): ${valid} valid, ${r.skipped.length} skipped, ${r.issues.length} problem(s)`
  if (r.issues.length > 0) run.err(`invalid: ${summary}\n`)
  else if (showDefaults) run.err(`ok: ${summary}\n`)
  else run.out(`ok: ${summary}\n`)
}
