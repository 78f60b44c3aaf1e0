/**
 * @module report/markdown: a report as GitHub-flavoured Markdown, for a pull request comment or a CI job summary:
 * the HTML rendering's content (html.ts) as headings, lists and tables, without charts, links or images. Every string
 * of the data is backslash-escaped, `|` included, so a name from the user's YAML can neither break a table nor turn
 * into markup (`<img ...>` stays text).
 */
import { isInstant } from './charts.js'
import { clock, count, duration, edgeRequests, millis, NONE, percent, secondsBetween, signed, verdictText, when } from './format.js'
import type { EdgeSeries, HypothesisCheck, PhaseSignals, ReportData, RunSummary, ScoreHistory, TraceView } from './types.js'

/**
 * Text that Markdown shows as written, inside a line: the punctuation that can make emphasis, code, links, HTML,
 * strike-through, entities or a table cell boundary is escaped, and line breaks are joined (a line-start marker such as
 * `#` or `-` cannot occur: callers never start a line with data).
 */
export function mdText(s: string | number): string {
  return String(s)
    .replace(/\r?\n|\r/g, ' ')
    .replace(/[\\`*_[\]<>|~&]/g, '\\$&')
}

function table(head: string[], rows: string[][], numeric: Set<number> = new Set()): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`
  return [line(head.map(mdText)), line(head.map((_, i) => (numeric.has(i) ? '---:' : '---'))), ...rows.map(line)].join('\n')
}

const result = (met: boolean, ran = true): string => (!ran ? '⚠️ error' : met ? '✅ met' : '❌ not met')
const verdict = (v: string): string => `**${mdText(verdictText(v).toUpperCase())}**`

function header(d: ReportData): string[] {
  const seconds = (Date.parse(d.range.to) - Date.parse(d.range.from)) / 1000
  const affected = d.edges.filter((e) => e.affected)
  const recoveries = affected.flatMap((e) => e.recovery)
  const never = recoveries.filter((r) => r.secondsToRecover === null && r.trafficAfter).length
  const unknown = recoveries.filter((r) => r.secondsToRecover === null && !r.trafficAfter).length
  const slowest = recoveries.reduce<number | null>((m, r) => (r.secondsToRecover === null ? m : Math.max(m ?? 0, r.secondsToRecover)), null)
  const runs = d.runs.length ? d.runs.map((r) => `- ${verdict(r.verdict)} ${mdText(r.title)}: score **${Math.round(r.score.value)}** / 100`) : [`- ${verdict('not-tested')} no chaoscope run in this range: signals only`]
  return [
    `# ${mdText(d.title)}`,
    '',
    `${mdText(when(d.range.from))} to ${mdText(when(d.range.to))} (${mdText(duration(seconds))}, ${d.stepSeconds} s steps) · generated ${mdText(when(d.generatedAt))}`,
    '',
    ...runs,
    '',
    `${d.faults.length} fault window${d.faults.length === 1 ? '' : 's'} · ${affected.length} of ${d.edges.length} edges affected · slowest recovery ${mdText(never ? `${never} never recovered` : !unknown ? duration(slowest) : slowest === null ? 'unknown' : `${duration(slowest)} (${unknown} unknown)`)}`,
  ]
}

function phase(h: HypothesisCheck): string[] {
  const rows = h.probes.map((p) => [mdText(p.name), p.observed === null ? NONE : mdText(p.observed), p.expected === null ? NONE : mdText(p.expected), result(p.met, p.ran)])
  return [`#### Steady state ${mdText(h.phase)} the fault: ${result(h.met)} (${mdText(when(h.at))})`, '', table(['Probe', 'Observed', 'Expected', 'Result'], rows), '']
}

function run(r: RunSummary): string[] {
  const inputs = r.score.inputs.map((i) => [mdText(i.probe), String(i.weight), String(i.checks), String(i.passed)])
  return [
    `### ${mdText(r.title)}: ${verdict(r.verdict)}`,
    '',
    `Status ${mdText(r.status)}${r.deviated ? ', deviated' : ''} · ${mdText(when(r.startedAt))} to ${mdText(clock(r.endedAt))} (${mdText(duration(secondsBetween(r.startedAt, r.endedAt)))}) · experiment ${mdText(r.experiment)}`,
    '',
    ...(r.hypothesis.length ? r.hypothesis.flatMap(phase) : ['The run checked no hypothesis.', '']),
    `#### Score: ${Math.round(r.score.value)} / 100`,
    '',
    `Formula: ${mdText(r.score.formula)}`,
    '',
    table(['Probe', 'Weight', 'Checks', 'Passed'], inputs, new Set([1, 2, 3])),
    '',
  ]
}

function history(h: ScoreHistory): string[] {
  const trend = h.trend === null ? 'a single run: no trend yet' : h.trend === 0 ? 'unchanged from the run before' : `${signed(h.trend)} since the run before`
  const rows = h.runs.map((r) => [mdText(when(r.at)), verdict(r.verdict), String(Math.round(r.score))])
  return [`### ${mdText(h.experiment)}`, '', `Mean ${Number(h.mean.toFixed(1))} · ${mdText(trend)}`, '', table(['Run', 'Verdict', 'Score'], rows, new Set([2])), '']
}

function faults(d: ReportData): string {
  if (!d.faults.length) return 'No fault was active in this range.'
  const rows = d.faults.map((f) => [
    mdText(f.id),
    f.action === null ? NONE : mdText(f.action),
    mdText(f.targets.join(', ')) + (f.services.length ? ` (services ${mdText(f.services.join(', '))})` : ''),
    mdText(when(f.start)),
    f.end === null ? 'still active' : mdText(when(f.end)),
    f.end === null ? NONE : isInstant(f) ? 'instant' : mdText(duration(secondsBetween(f.start, f.end))),
  ])
  return table(['Fault', 'Action', 'Targets', 'Start', 'End', 'Duration'], rows, new Set([5]))
}

const phaseCells = (p: PhaseSignals): string[] => [mdText(percent(p.errorRate)), mdText(millis(p.p99Ms))]

function services(d: ReportData): string {
  if (!d.services.length) return 'No service received requests in this range.'
  const rows = d.services.map((s) => [
    s.affected ? `**${mdText(s.service)}**` : `${mdText(s.service)} (unaffected)`,
    mdText(count(s.requests)),
    ...phaseCells(s.before),
    ...phaseCells(s.during),
    ...phaseCells(s.after),
    s.secondsToRecover === null ? (s.recoveryUnknown ? 'unknown' : s.affected ? 'never' : NONE) : mdText(duration(s.secondsToRecover)),
  ])
  const head = ['Service', 'Requests', 'Errors before', 'p99 before', 'Errors during', 'p99 during', 'Errors after', 'p99 after', 'Time to recover']
  return table(head, rows, new Set([1, 2, 3, 4, 5, 6, 7, 8]))
}

function edgeRow(d: ReportData, e: EdgeSeries): string[] {
  const rates = e.points.map((p) => p.errorRate).filter((x): x is number => x !== null)
  const p99s = e.points.map((p) => p.p99Ms).filter((x): x is number => x !== null)
  const tol = e.tolerance ? `p99 ≤ ${millis(e.tolerance.p99Ms)}, errors ≤ ${percent(e.tolerance.errorRate)}` : NONE
  return [
    `${mdText(e.source)} → ${mdText(e.destination)}`,
    e.affected ? '**yes**' : 'no',
    mdText(count(edgeRequests(e.points, d.stepSeconds))),
    mdText(percent(rates.length ? Math.max(...rates) : null)),
    mdText(millis(p99s.length ? Math.max(...p99s) : null)),
    mdText(millis(e.baseline?.p99Ms ?? null)),
    mdText(tol),
  ]
}

function edges(d: ReportData): string {
  if (!d.edges.length) return 'No edge carried requests in this range.'
  const sorted = [...d.edges.filter((e) => e.affected), ...d.edges.filter((e) => !e.affected)]
  const head = ['Edge', 'Affected', 'Requests', 'Worst error rate', 'Worst p99', 'Baseline p99', 'Tolerance']
  const bases = d.edges.filter((e) => e.tolerance).map((e) => `- ${mdText(e.id)}: tolerance from ${mdText(e.tolerance!.basis)}`)
  return [table(head, sorted.map((e) => edgeRow(d, e)), new Set([2, 3, 4, 5])), ...(bases.length ? ['', ...bases] : [])].join('\n')
}

function recovery(d: ReportData): string {
  const rows = d.edges.flatMap((e) =>
    e.recovery.map((r) => [
      mdText(r.faultId),
      `${mdText(e.source)} → ${mdText(e.destination)}${e.affected ? '' : ' (unaffected)'}`,
      mdText(when(r.faultEnd)),
      r.recoveredAt === null ? (r.trafficAfter ? 'not in the range' : 'no traffic after it') : mdText(when(r.recoveredAt)),
      r.secondsToRecover === null ? (r.trafficAfter ? 'never' : 'unknown') : mdText(duration(r.secondsToRecover)),
    ]),
  )
  if (!rows.length) return 'No fault ended in this range.'
  return table(['Fault', 'Edge', 'Fault ended', 'Back within tolerance', 'Time to recover'], rows, new Set([4]))
}

/**
 * A fault on a trace hop: the fault window's id as the fault windows table writes it, or, when the builder could not
 * tell which window it was, the sidecar's raw effect id as code (a code span shows it as it is; only `|` still needs
 * its backslash inside a table).
 */
function hopFault(id: string, windows: Set<string>): string {
  return windows.has(id) || id.includes('`') ? mdText(id) : `\`${id.replace(/\r?\n|\r/g, ' ').replace(/\|/g, '\\|')}\``
}

function trace(d: ReportData): string {
  const t = d.trace
  if (t === null) return 'No trace: the sidecars recorded none in this range (tracing may be off).'
  const total = Math.max(0, ...t.spans.map((s) => s.startOffsetMs + s.durationMs))
  const depth = (s: TraceView['spans'][number], seen = 0): number => {
    const parent = t.spans.find((p) => p.spanId === s.parentSpanId)
    return parent && seen < t.spans.length ? depth(parent, seen + 1) + 1 : 0
  }
  const windows = new Set(d.faults.map((f) => f.id))
  const rows = t.spans.map((s) => [
    `${'↳ '.repeat(depth(s))}${mdText(s.method)} ${mdText(s.path)}`,
    `${mdText(s.source)} → ${mdText(s.destination)} via ${mdText(s.sidecar)}`,
    mdText(millis(s.startOffsetMs)),
    mdText(millis(s.durationMs)),
    s.status === 0 ? 'no response' : s.status >= 500 ? `**${s.status}**` : String(s.status),
    s.faults.length ? s.faults.map((f) => hopFault(f, windows)).join(', ') : NONE,
  ])
  const why = t.why === 'failed' ? 'a failing request' : 'the slowest request (none failed)'
  return [
    `Trace ${mdText(t.traceId)}, ${why}, at ${mdText(when(t.at))}: ${t.spans.length} span${t.spans.length === 1 ? '' : 's'} over ${mdText(millis(total))}.`,
    '',
    table(['Hop', 'Path', 'Offset', 'Duration', 'Status', 'Faults'], rows, new Set([2, 3])),
  ].join('\n')
}

/** The report as one Markdown document. */
export function renderMarkdown(data: ReportData): string {
  const parts = [
    ...header(data),
    '',
    '## Runs',
    '',
    ...(data.runs.length ? data.runs.flatMap(run) : ['No chaoscope run in this range: the report shows signals and fault windows only.', '']),
    '## Score history',
    '',
    ...(data.history.length ? data.history.flatMap(history) : ['No score history.', '']),
    '## Fault windows',
    '',
    faults(data),
    '',
    '## Impact per service',
    '',
    'Before the first fault, during the faults, and after the last one. Time to recover is the longest among the service\'s inbound edges.',
    '',
    services(data),
    '',
    '## Edges',
    '',
    edges(data),
    '',
    '## Time to recover',
    '',
    recovery(data),
    '',
    '## Trace of one request',
    '',
    trace(data),
    '',
    '## Notes',
    '',
    ...(data.notes.length ? data.notes.map((n) => `- ${mdText(n)}`) : ['None.']),
    '',
  ]
  return parts.join('\n')
}
