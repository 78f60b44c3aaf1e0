/** @module cli/validate: `chaoscope validate -f FILE|DIR|-`. */
import type { Command } from 'commander'
import { stringify } from 'yaml'
import { EXIT } from '../errors.js'
import { validatePaths } from '../index.js'
import type { ValidationResult } from '../index.js'
import { formatIssue } from '../manifest/issues.js'
import { outputOption, usage } from './main.js'
import type { Io, Run } from './main.js'

export function registerValidate(program: Command, io: Run): void {
  program
    .command('validate')
    .description('check Chaos Mesh, Chaos Toolkit and chaoscope files; report every problem with file:line:col')
    .option('-f, --filename <path...>', 'file, directory (searched recursively for *.yaml, *.yml, *.json) or - for stdin')
    .addOption(outputOption(['text', 'json'], 'text'))
    .option('--show-defaults', 'print the resources with the defaults Chaos Mesh applies (YAML, or JSON with -o json)')
    .option('--max-file-size <bytes>', 'largest file read, in bytes', (v) => {
      const n = Number(v)
      if (!Number.isInteger(n) || n <= 0) throw usage(`--max-file-size expects a positive whole number of bytes, got "${v}"`)
      return n
    })
    .addHelpText('after', `
Exit codes: 0 all valid, 2 any problem (or a usage error).
Examples:
  chaoscope validate -f examples/
  chaoscope validate -f delay.yaml -o json
  cat delay.yaml | chaoscope validate -f - --show-defaults`)
    .action((opts: { filename?: string[]; output: 'text' | 'json'; showDefaults?: boolean; maxFileSize?: number }) => {
      if (!opts.filename || opts.filename.length === 0) throw usage('validate needs at least one -f FILE|DIR|-', 'chaoscope validate -f experiment.yaml')
      const result = validatePaths(opts.filename, {
        ...(opts.maxFileSize ? { maxFileSize: opts.maxFileSize } : {}),
        ...(io.stdin ? { stdin: io.stdin } : {}),
      })
      if (opts.output === 'json') io.out(`${JSON.stringify(toJson(result, opts.showDefaults ?? false), null, 2)}\n`)
      else printText(result, opts.showDefaults ?? false, io)
      io.exitCode = result.issues.length > 0 ? EXIT.USAGE : EXIT.OK
    })
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

function printText(r: ValidationResult, showDefaults: boolean, io: Io): void {
  for (const issue of r.issues) io.err(`${formatIssue(issue)}\n`)
  if (showDefaults) {
    const docs = r.resources.map((x) => stringify({ apiVersion: x.apiVersion, kind: x.kind, metadata: x.metadata, spec: x.spec }))
    if (docs.length > 0) io.out(`${docs.join('---\n')}`)
  }
  for (const s of r.skipped) io.err(`${s.file}:${s.line}  skipped ${s.kind ? `${s.apiVersion ?? ''} ${s.kind}` : 'document'}${s.name ? ` ${s.name}` : ''}: ${s.reason}\n`)
  const valid = r.resources.length + r.experiments.length
  const summary = `${r.documents} document(s) in ${r.files} file(s): ${valid} valid, ${r.skipped.length} skipped, ${r.issues.length} problem(s)`
  io.err(`${r.issues.length > 0 ? 'invalid' : 'ok'}: ${summary}\n`)
}
