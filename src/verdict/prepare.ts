/**
 * @module verdict/prepare: everything `chaoscope run` checks before the first activity runs, so that a bad input
 * runs nothing: the experiment validated (Chaos Toolkit's rules, embedded Chaos Mesh objects), the strategies
 * (settings file, the experiment's `runtime`, then the flags, as `chaos run` orders them), configuration and
 * secrets with --var / --var-file, and every activity that cannot run here (refused with its place in the file).
 *
 *   file ─ validate ─ issues? ──────────────▶ { issues }           (exit 2, nothing run)
 *        ─ strategies, values ─ refusals? ──▶ { issues }
 *        ────────────────────────────────────▶ { run: PreparedRun }
 */
import { readFileSync } from 'node:fs'
import YAML from 'yaml'
import { ChaosError } from '../errors.js'
import type { Issue } from '../manifest/issues.js'
import { isChaosToolkitLike } from '../manifest/chaos-toolkit.js'
import { parseSource } from '../manifest/parse.js'
import { validatePaths } from '../manifest/validate.js'
import { processRefusal } from './providers/process.js'
import { pythonRefusals } from './providers/python.js'
import { nativeExperiment } from './native.js'
import { activitiesOf } from './runner.js'
import type { ChaosToolkitExperiment, DryMode, HypothesisStrategy, Refusal, RollbackStrategy, RunOptions, Values } from './types.js'
import { loadValues, readVarFiles, parseVar } from './vars.js'

export interface RunFlags {
  rollbackStrategy?: string
  hypothesisStrategy?: string
  hypothesisFrequency?: number
  failFast?: boolean
  /** `--var key[:type]=value`, as given. */
  vars?: string[]
  varFiles?: string[]
  dry?: string
  noValidation?: boolean
  noVerifyTls?: boolean
  /** A Chaos Toolkit settings file (default ~/.chaostoolkit/settings.yaml when it exists). */
  settings?: string
  controlFiles?: string[]
  allowExec?: boolean
  cwd: string
  env: Record<string, string | undefined>
  maxFileSize?: number
}

export interface PreparedRun {
  experiment: ChaosToolkitExperiment
  file: string
  options: RunOptions
  values: Values
  /** Environment variables from .env var files, for the processes the run starts. */
  env: Record<string, string>
  warnings: string[]
}

const HYPOTHESIS: readonly string[] = ['default', 'before-method-only', 'after-method-only', 'during-method-only', 'continuously']
const ROLLBACK: readonly string[] = ['default', 'always', 'never', 'deviated']
const DRY: readonly string[] = ['probes', 'actions', 'activities', 'pause']

/** Embedded Chaos Mesh 1.x `spec.scheduler` is run as a Schedule (chaosk8s.crd create_custom_object), so not refused here. */
const RUNNABLE_1X = (i: Issue) => i.code === 'SPEC_REMOVED_FIELD' && /\.spec\.scheduler$/.test(i.path) && /\.arguments\.resource\./.test(i.path)

function usageError(message: string, hint: string): ChaosError {
  return new ChaosError('CLI_USAGE', message, { hint })
}

function readSettings(file: string | undefined, env: Record<string, string | undefined>): Record<string, unknown> {
  const path = file ?? (env.HOME ? `${env.HOME}/.chaostoolkit/settings.yaml` : undefined)
  if (!path) return {}
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (cause) {
    if (!file) return {} // the default file is optional
    throw new ChaosError('SPEC_FILE_NOT_FOUND', `cannot read the settings file ${path}`, { cause, hint: 'check the path given to --settings' })
  }
  try {
    const v = YAML.parse(text) as unknown
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : {}
  } catch (cause) {
    throw new ChaosError('SPEC_YAML_SYNTAX', `the settings file ${path} is not valid YAML: ${(cause as Error).message}`, { cause, hint: 'fix the syntax, or run without --settings' })
  }
}

/** The strategies as `chaos run` picks them: settings, then the experiment's `runtime`, then the flags. */
function strategies(experiment: ChaosToolkitExperiment, settings: Record<string, unknown>, flags: RunFlags): { hypothesis: HypothesisStrategy; rollbacks: RollbackStrategy } {
  const rt = (settings.runtime ?? {}) as { rollbacks?: { strategy?: unknown }; hypothesis?: { strategy?: unknown } }
  let rollbacks = String(rt.rollbacks?.strategy ?? 'default')
  let hypothesis = String(rt.hypothesis?.strategy ?? 'default')
  const er = experiment.runtime as { rollbacks?: { strategy?: unknown }; hypothesis?: { strategy?: unknown } } | undefined
  if (er && typeof er === 'object') {
    // chaos run: an experiment with `runtime` sets both, each to its value or the default
    rollbacks = String(er.rollbacks?.strategy ?? 'default')
    hypothesis = String(er.hypothesis?.strategy ?? 'default')
  }
  if (flags.rollbackStrategy !== undefined) rollbacks = flags.rollbackStrategy
  if (flags.hypothesisStrategy !== undefined) hypothesis = flags.hypothesisStrategy
  if (hypothesis === 'continously') hypothesis = 'continuously' // chaos run accepts this spelling
  if (!HYPOTHESIS.includes(hypothesis)) throw usageError(`unknown hypothesis strategy ${JSON.stringify(hypothesis)}`, `use one of ${HYPOTHESIS.join(', ')}`)
  if (!ROLLBACK.includes(rollbacks)) throw usageError(`unknown rollback strategy ${JSON.stringify(rollbacks)}`, `use one of ${ROLLBACK.join(', ')}`)
  return { hypothesis: hypothesis as HypothesisStrategy, rollbacks: rollbacks as RollbackStrategy }
}

function refusalIssue(file: string, r: Refusal, locate: (path: string) => { line: number; col: number }): Issue {
  const at = locate(r.path)
  return { code: 'RUN_REFUSED_ACTIVITY', file, ...at, path: r.path, message: `${r.activity}: ${r.reason}`, ...(r.hint ? { hint: r.hint } : {}) }
}

/** `method[2].tolerance` → ['method', 2, 'tolerance']. */
function fieldPath(path: string): (string | number)[] {
  const out: (string | number)[] = []
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]!)
  return out
}

/**
 * Reads and checks the experiment at `file` and everything the run needs. Returns the issues (nothing ran) or the
 * prepared run. Throws ChaosError for usage errors (unknown strategy, bad --var).
 */
export async function prepareRun(file: string, flags: RunFlags): Promise<{ issues: Issue[]; warnings: string[] } | { run: PreparedRun }> {
  const warnings: string[] = []
  const result = validatePaths([file], flags.maxFileSize ? { maxFileSize: flags.maxFileSize } : {})
  const blocking = flags.noValidation ? result.issues.filter((i) => i.code.startsWith('SPEC_FILE') || i.code === 'SPEC_YAML_SYNTAX' || i.code === 'SPEC_INVALID_UTF8') : result.issues.filter((i) => !RUNNABLE_1X(i))
  for (const i of result.issues) if (RUNNABLE_1X(i)) warnings.push(`${i.file}:${i.line}:${i.col}  ${i.path}: Chaos Mesh 1.x scheduler; it runs as a Schedule of that chaos, as 1.x ran it`)
  if (blocking.length > 0) return { issues: blocking, warnings }
  // chaoscope's own Experiment kind, compiled to a Chaos Toolkit experiment
  const native = result.resources.length === 1 && result.experiments.length === 0 && result.resources[0]!.kind === 'Experiment' && result.resources[0]!.apiVersion === 'chaoscope.dev/v1alpha1'
  const r0 = result.resources[0]
  // an experiment whose only issues run anyway (a 1.x scheduler) or were not checked (--no-validation): read as written
  const experiment = native && r0
    ? { ...nativeExperiment(r0), source: { file: r0.source?.file ?? file, index: r0.source?.index ?? 0, line: r0.source?.line ?? 1 } }
    : (result.experiments[0] ?? (result.resources.length === 0 ? readAsWritten(file) : undefined))
  if (!experiment || (!native && Math.max(result.experiments.length, 1) + result.resources.length !== 1)) {
    const found = result.resources.length > 0 ? `${result.resources.length} Chaos Mesh resource(s)` : 'no Chaos Toolkit experiment'
    return {
      issues: [{ code: 'CTK_INVALID_EXPERIMENT', file, line: 1, col: 1, path: '', message: `one Chaos Toolkit experiment (or one chaoscope Experiment) per file is run; ${file} holds ${found}${result.experiments.length > 1 ? ` and ${result.experiments.length} experiments` : ''}`, hint: 'apply Chaos Mesh resources with `chaoscope apply -f`, or put each experiment in its own file' }],
      warnings,
    }
  }
  const { source, ...plain } = experiment
  const exp = plain as ChaosToolkitExperiment

  const settings = readSettings(flags.settings, flags.env)
  const strat = strategies(exp, settings, flags)
  if (flags.dry !== undefined && !DRY.includes(flags.dry)) throw usageError(`unknown --dry mode ${JSON.stringify(flags.dry)}`, `use one of ${DRY.join(', ')}`)
  const freq = flags.hypothesisFrequency ?? 1
  if (!(freq > 0) || !Number.isFinite(freq)) throw usageError(`--hypothesis-frequency must be a number of seconds above 0, got ${flags.hypothesisFrequency}`, 'e.g. --hypothesis-frequency 2')
  if ((flags.controlFiles ?? []).length > 0) throw usageError('--control-file is not supported: chaoscope runs no Chaos Toolkit controls of its own', 'remove --control-file; the safeguards control written in the experiment runs')

  const vars: Record<string, unknown> = {}
  for (const v of flags.vars ?? []) {
    const [k, value] = parseVar(v)
    vars[k] = value
  }
  const files = readVarFiles(flags.varFiles ?? [], flags.env)
  const env = { ...flags.env, ...files.env }
  const values = loadValues(exp, { vars, configuration: files.configuration, secrets: files.secrets, env })

  // what cannot run here, found before anything runs
  const text = readFileSync(source.file, 'utf8')
  const doc = parseSource(source.file, text).documents[source.index]
  const locate = (path: string) => (doc ? doc.locate(fieldPath(path)) : { line: source.line, col: 1 })
  const refusals: Refusal[] = []
  const all = activitiesOf(exp)
  for (const { activity, path } of all) {
    if (activity.provider?.type === 'process') {
      const r = processRefusal(activity, { allowExec: !!flags.allowExec, cwd: flags.cwd })
      if (r) refusals.push({ ...r, path })
    }
  }
  refusals.push(...(await pythonRefusals(all.filter((a) => a.activity.provider?.type === 'python'), { allowExec: !!flags.allowExec, cwd: flags.cwd })))
  refusals.push(...controlRefusals(exp))
  if (refusals.length > 0) return { issues: refusals.map((r) => refusalIssue(source.file, r, locate)), warnings }

  const options: RunOptions = {
    hypothesisStrategy: strat.hypothesis,
    hypothesisFrequency: freq,
    failFast: !!flags.failFast,
    rollbackStrategy: strat.rollbacks,
    ...(flags.dry ? { dry: flags.dry as DryMode } : {}),
    allowExec: !!flags.allowExec,
    verifyTls: !flags.noVerifyTls,
    cwd: flags.cwd,
  }
  return { run: { experiment: exp, file: source.file, options, values, env: files.env, warnings } }
}

/** The one Chaos Toolkit experiment of `file` as parsed, without its validation (see prepareRun). */
function readAsWritten(file: string): (ChaosToolkitExperiment & { source: { file: string; index: number; line: number } }) | undefined {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
  const docs = parseSource(file, text).documents.filter((d) => d.value && typeof d.value === 'object' && !Array.isArray(d.value) && isChaosToolkitLike(d.value as Record<string, unknown>))
  if (docs.length !== 1) return undefined
  const d = docs[0]!
  return { ...(d.value as ChaosToolkitExperiment), source: { file, index: d.index, line: d.line } }
}

/** Controls other than chaosaddons' safeguards are not run here: refused, so no safety net is silently missing. */
function controlRefusals(exp: ChaosToolkitExperiment): Refusal[] {
  const out: Refusal[] = []
  const check = (controls: unknown, base: string) => {
    if (!Array.isArray(controls)) return
    controls.forEach((c: { name?: unknown; provider?: { module?: unknown }; ref?: unknown }, i) => {
      if (c?.ref !== undefined) return
      const mod = c?.provider?.module
      if (mod === 'chaosaddons.controls.safeguards') return
      out.push({
        activity: `control ${String(c?.name ?? i)}`,
        path: `${base}[${i}]`,
        reason: `the control ${String(mod ?? '(no module)')} is not one chaoscope runs (only chaosaddons.controls.safeguards is)`,
        hint: 'remove the control, or run the experiment with `chaos run`',
      })
    })
  }
  check(exp.controls, 'controls')
  check(exp['steady-state-hypothesis']?.controls, 'steady-state-hypothesis.controls')
  ;(['method', 'rollbacks'] as const).forEach((k) => (exp[k] ?? []).forEach((a, i) => check((a as { controls?: unknown }).controls, `${k}[${i}].controls`)))
  return out
}
