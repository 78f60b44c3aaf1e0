/**
 * @module cli/verbs/report: `chaoscope report`: what the faults of a time range did, as one self-contained HTML
 * file, JSON or Markdown, built by the controller from what it recorded; and the report of `chaoscope run --report`.
 */
import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { ChaosError, controllerClient, isoOf, parseReportRange, reportFormatOfFile, reportOfJournal } from '../../index.js'
import type { ControllerClient, Journal } from '../../index.js'
import type { ReportFlags } from '../commands.js'
import { usage } from '../flags.js'
import type { Run } from '../main.js'


type Format = 'json' | 'html' | 'md'

/** `-o`: a format (printed to stdout) or a file whose extension names one. */
async function destination(output: string | undefined): Promise<{ format: Format; file?: string }> {
  if (output === undefined || output === 'md') return { format: 'md' }
  if (output === 'json' || output === 'html') return { format: output }
  const format = await reportFormatOfFile(output)
  if (!format) throw usage(`-o ${output}: a report file's name ends in .html, .json or .md (or give a format: html, json, md)`, 'chaoscope report --since 15m -o report.html')
  return { format, file: resolve(output) }
}

function write(file: string, text: string): void {
  try {
    writeFileSync(file, text)
  } catch (e) {
    throw new ChaosError('REPORT_WRITE_FAILED', `cannot write the report to ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { hint: 'check that the directory exists and is writable' })
  }
}

export async function report(opts: ReportFlags, run: Run): Promise<void> {
  const { format, file } = await destination(opts.output)
  // the range is checked here too, so a mistake in it is a usage error whether or not a controller runs
  if (opts.run === undefined || opts.since !== undefined || opts.from !== undefined) await parseReportRange(opts, Date.now())
  const text = await (await controllerClient()).report({
    ...(opts.since !== undefined ? { since: opts.since } : {}),
    ...(opts.from !== undefined ? { from: opts.from } : {}),
    ...(opts.to !== undefined ? { to: opts.to } : {}),
    ...(opts.run !== undefined ? { run: opts.run } : {}),
    ...(opts.title !== undefined ? { title: opts.title } : {}),
  }, format)
  if (file) {
    write(file, text)
    run.out(`report: ${file}\n`)
  } else run.out(text)
}

/**
 * After `chaoscope run --report FILE`: the run's journal kept by the controller (`id`), and its report written
 * from what the controller recorded; with no controller (or one that did not keep the run: `notKept` says why), the
 * report of the journal alone.
 */
export async function runReport(file: string, journal: Journal, recorded: { controller: ControllerClient; id: number } | undefined, notKept?: string): Promise<string> {
  const { format, file: path } = await destination(file)
  let text: string
  if (recorded) {
    // the recorder writes each second once it has passed: wait for the run's last one
    const end = Date.parse(isoOf(journal.end ?? journal.start))
    // (the report reaches RUN_TAIL_MS = 3 s past the run's end, and the second after that is written at its end)
    const wait = end + 4200 - Date.now()
    if (wait > 0) await new Promise((r) => setTimeout(r, Math.min(wait, 5000)))
    text = await recorded.controller.report({ run: recorded.id }, format)
  } else text = await reportOfJournal(journal, format, undefined, notKept)
  const out = path ?? resolve(file)
  write(out, text)
  return out
}
