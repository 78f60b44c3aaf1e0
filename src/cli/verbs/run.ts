/** @module cli/verbs/run: `chaoscope run EXPERIMENT`: a Chaos Toolkit experiment to its verdict and journal. */
import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { EXIT, connectTarget, formatIssue, junitXml, prepareRun, reportFormatOfFile, runController, runExperiment } from '../../index.js'
import type { ActivityRun, Journal, RunEvent } from '../../index.js'
import { targetChoice, usage } from '../flags.js'
import type { Run } from '../main.js'

export interface RunCommandOptions {
  target?: 'local' | 'kubernetes'
  kubeconfig?: string
  context?: string
  rollbackStrategy?: string
  hypothesisStrategy?: string
  hypothesisFrequency?: number
  failFast?: boolean
  var?: string[]
  varFile?: string[]
  journalPath: string
  /** Interrupts the run as a first Ctrl-C does (the rollbacks run): `chaoscope demo` stopping. */
  signal?: AbortSignal
  dry?: string
  validation: boolean
  verifyTls: boolean
  settings?: string
  controlFile?: string[]
  allowExec?: boolean
  junit?: string
  /** Write a report of the run (.html, .json or .md). */
  report?: string
  output: 'text' | 'json'
  quiet?: boolean
}

const clock = () => new Date().toISOString().slice(11, 19)
const secs = (run: ActivityRun) => `${(run.duration ?? 0).toFixed(2)}s`

function short(v: unknown, max = 120): string {
  let s: string
  try {
    s = typeof v === 'string' ? v : JSON.stringify(v)
  } catch {
    s = String(v)
  }
  s = (s ?? 'null').replace(/\s+/g, ' ')
  return s.length > max ? `${s.slice(0, max - 1)}…` : s
}

/** What an activity returned, in a few words: an HTTP or process status, or the value. */
function outcome(run: ActivityRun): string {
  const o = run.output as { status?: unknown; body?: unknown; stdout?: unknown } | null
  if (o && typeof o === 'object' && typeof o.status === 'number') return `status ${o.status}`
  return run.output === null || run.output === undefined ? '' : short(run.output, 60)
}

/** One line per phase and activity, for a terminal or a CI log (no cursor tricks, so both read the same). */
export function progressLine(e: RunEvent): string | undefined {
  const at = `${clock()} `
  switch (e.type) {
    case 'start':
      return `${at}running: ${e.title} (hypothesis ${e.hypothesisStrategy}, rollbacks ${e.rollbackStrategy})`
    case 'phase':
      return { before: `${at}steady state before the method`, method: `${at}method`, after: `${at}steady state after the method`, during: `${at}steady state during the method (continuously)`, rollbacks: `${at}rollbacks` }[e.phase]
    case 'activity':
      return e.background ? `${at}  ${e.activity.type} ${e.activity.name} started in the background` : undefined
    case 'pause':
      return `${at}  ${e.skipped ? 'skipped the pause' : 'pausing'} ${e.seconds}s ${e.when} ${e.activity}`
    case 'done': {
      const { run } = e
      const name = `${run.activity.type} ${run.activity.name}`
      if (run.status === 'failed') return `${at}  FAILED  ${name} (${secs(run)}): ${run.chaoscope?.error?.message ?? 'failed'}`
      if (e.check) return e.check.met ? `${at}  ok      ${name}: ${e.check.observed} (${secs(run)})` : `${at}  NOT MET ${name}: observed ${e.check.observed}, expected ${e.check.expected} (${secs(run)})`
      const o = outcome(run)
      return `${at}  done    ${name}${o ? `: ${o}` : ''} (${secs(run)})`
    }
    case 'hypothesis': {
      if (e.phase !== 'during') return `${at}  steady state ${e.phase}: ${e.met ? 'met' : 'NOT met'}`
      const last = e.state.probes[e.state.probes.length - 1]
      const why = !e.met && last ? (last.status === 'failed' ? `: ${last.activity.name} failed` : `: ${last.activity.name} observed ${last.chaoscope?.observed}, expected ${last.chaoscope?.expected}`) : ''
      return `${at}  during: ${e.met ? 'met' : 'NOT met'}${why}`
    }
    case 'skipped':
      return `${at}${e.phase} skipped: ${e.reason}`
    case 'warning':
      return `${at}  warning: ${e.message}`
    case 'log':
      return `${at}    ${e.message}`
    case 'end':
      return undefined
  }
}

/** The exit code of a finished run: 0 only when it completed, did not deviate and the steady state held before. */
export function exitOf(journal: Journal): number {
  if (journal.deviated || journal.status !== 'completed') return EXIT.FAILED
  if (journal.steady_states.before && journal.steady_states.before.steady_state_met === false) return EXIT.FAILED
  return EXIT.OK
}

/** A probe of a hypothesis that missed: its name, and why (its error, or what it observed against what was expected). */
export function missedCheck(r: ActivityRun): string {
  return `${r.activity.name}: ${r.status === 'failed' ? `failed: ${r.chaoscope?.error?.message ?? ''}` : `observed ${r.chaoscope?.observed}, expected ${r.chaoscope?.expected}`}`
}

function failedChecks(journal: Journal): string[] {
  const lines: string[] = []
  const add = (phase: string, runs: ActivityRun[]) => {
    for (const r of runs) {
      if (r.tolerance_met === false) lines.push(`  ${phase}: ${missedCheck(r)}`)
    }
  }
  if (journal.steady_states.before) add('before', journal.steady_states.before.probes)
  journal.steady_states.during.forEach((s, i) => add(`during #${i + 1}`, s.probes))
  if (journal.steady_states.after) add('after', journal.steady_states.after.probes)
  return lines
}

/** Runs one experiment file; returns its journal (also written to `journalPath`), or undefined when it was refused. */
export async function run(file: string, opts: RunCommandOptions, io: Run): Promise<Journal | undefined> {
  if (!file) throw usage('run needs an experiment file', 'chaoscope run experiment.json')
  const where = targetChoice(opts)
  if (opts.report && !(await reportFormatOfFile(opts.report))) throw usage(`--report ${opts.report}: a report file's name ends in .html, .json or .md`, 'chaoscope run experiment.json --report report.html')
  const prepared = await prepareRun(file, {
    ...(opts.rollbackStrategy !== undefined ? { rollbackStrategy: opts.rollbackStrategy } : {}),
    ...(opts.hypothesisStrategy !== undefined ? { hypothesisStrategy: opts.hypothesisStrategy } : {}),
    ...(opts.hypothesisFrequency !== undefined ? { hypothesisFrequency: opts.hypothesisFrequency } : {}),
    failFast: !!opts.failFast,
    vars: opts.var ?? [],
    varFiles: opts.varFile ?? [],
    ...(opts.dry !== undefined ? { dry: opts.dry } : {}),
    noValidation: !opts.validation,
    noVerifyTls: !opts.verifyTls,
    ...(opts.settings !== undefined ? { settings: opts.settings } : {}),
    controlFiles: opts.controlFile ?? [],
    allowExec: !!opts.allowExec,
    cwd: process.cwd(),
    env: process.env,
  })
  for (const w of 'issues' in prepared ? prepared.warnings : prepared.run.warnings) io.err(`warning: ${w}\n`)
  if ('issues' in prepared) {
    for (const i of prepared.issues) io.err(`${formatIssue(i)}\n`)
    io.err(`refused: ${prepared.issues.length} problem(s); nothing was run\n`)
    io.exitCode = EXIT.USAGE
    return undefined
  }
  const { run: p } = prepared
  // a .env var file's variables are the environment of what the run starts, as `chaos run` exports them
  Object.assign(process.env, p.env)
  const target = await connectTarget(where)
  const interrupt = new AbortController()
  const stopRollbacks = new AbortController()
  let signals = 0
  const onSignal = (sig: NodeJS.Signals) => {
    signals++
    if (signals === 1) {
      io.err(`${clock()} ${sig}: interrupting; rollbacks run as the strategy says (again to skip them)\n`)
      interrupt.abort()
    } else stopRollbacks.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  const onAbort = () => interrupt.abort()
  if (opts.signal?.aborted) interrupt.abort()
  opts.signal?.addEventListener('abort', onAbort, { once: true })
  let journal: Journal
  try {
    journal = await runExperiment(p.experiment, p.options, {
      values: p.values,
      ...(target ? { target } : {}),
      interrupt: interrupt.signal,
      stopRollbacks: stopRollbacks.signal,
      onEvent: (e) => {
        if (opts.quiet && e.type !== 'warning') return
        const line = progressLine(e)
        if (line !== undefined) io.err(`${line}\n`)
      },
    })
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    opts.signal?.removeEventListener('abort', onAbort)
  }
  const journalPath = resolve(opts.journalPath)
  writeFileSync(journalPath, `${JSON.stringify(journal, jsonReplacer, 2)}\n`)
  if (opts.junit) writeFileSync(resolve(opts.junit), await junitXml(journal))
  // the controller keeps every run (reports, the score across runs); a run without one still has its journal
  const controller = opts.dry === undefined ? await runController() : undefined
  let recorded: { controller: NonNullable<typeof controller>; id: number } | undefined
  let notKept: string | undefined
  if (controller) {
    try {
      recorded = { controller, id: (await controller.postRun(JSON.parse(JSON.stringify(journal, outputsCut)))).id }
    } catch (e) {
      notKept = `the controller did not keep the run: ${(e as Error).message}`
      io.err(`warning: ${notKept}\n`)
    }
  }
  const reportFile = opts.report ? await (await import('./report.js')).runReport(opts.report, journal, recorded, notKept) : undefined
  if (opts.output === 'json') io.out(`${JSON.stringify(journal, jsonReplacer, 2)}\n`)
  else {
    const verdict = journal.deviated ? 'deviated' : journal.status
    io.out(`${verdict}: ${journal.experiment.title}${journal.chaoscope?.reason ? ` (${journal.chaoscope.reason})` : ''}\n`)
    for (const l of failedChecks(journal)) io.out(`${l}\n`)
    io.out(`journal: ${journalPath}${opts.junit ? `, JUnit: ${resolve(opts.junit)}` : ''}${reportFile ? `, report: ${reportFile}` : ''}${recorded ? ` (run ${recorded.id})` : ''}\n`)
  }
  io.exitCode = exitOf(journal)
  return journal
}

/** Longest activity output, as JSON, the controller is sent: reports read the checks, not the outputs. */
const MAX_KEPT_OUTPUT = 4096

/** The journal as the controller keeps it: long outputs cut (the journal file has them whole), bytes decoded. */
function outputsCut(key: string, value: unknown): unknown {
  if (key === 'output' && value !== null && value !== undefined) {
    const text = JSON.stringify(value, jsonReplacer) ?? ''
    if (text.length > MAX_KEPT_OUTPUT) return `${text.length} characters, cut: the whole output is in the journal file`
  }
  return jsonReplacer(key, value)
}

/** Bytes (a --var k:bytes=v) as Python's json encoder would fail on them; chaostoolkit's encoder writes them decoded. */
function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8')
  return value
}

