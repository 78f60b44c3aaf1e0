/**
 * @module report/html: a report as ONE self-contained HTML file: inline CSS, inline SVG charts (charts.ts), the
 * system's fonts, no script, and a Content-Security-Policy that forbids loading anything, so it opens the same from a
 * CI artifact, a mail attachment or a laptop without network. Every string of the data is escaped: titles, names
 * and probe values come from the user's YAML.
 *
 * Order: what the reader asks first (did it hold? what was the score?) at the top, the evidence below it (fault
 * windows, impact per service, a chart per affected edge, recovery, a failing request's trace), then the notes.
 * Charts carry their geometry as data attributes (data-from, data-to, data-plot-left, data-plot-width, data-panels) and
 * list the fault windows they draw (data-fault-start, data-fault-end, epoch ms; data-fault-colour; data-fault-instant on
 * a one-shot fault, drawn as a line), for tests that check the drawing.
 */
import { chartWindows, EDGE_LAYOUT, FONT, isInstant, verdictColour } from './charts.js'
import { edgeChart, historyChart } from './chart-svg.js'
import type { ChartWindow, EdgeChart } from './charts.js'
import { clock, count, duration, edgeRequests, millis, NONE, percent, secondsBetween, signed, verdictText, when } from './format.js'
import type { HypothesisCheck, PhaseSignals, ReportData, RunSummary, ScoreHistory } from './types.js'

export const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

/** Text for HTML content and attribute values. */
export function esc(s: string | number): string {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')
}

const CSS = `
:root { color-scheme: light; --ink: #1f2328; --muted: #59636e; --rule: #d8dee4; --soft: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; background: #fff; color: var(--ink); font: 14px/1.5 ${FONT}; }
main { max-width: 1148px; margin: 0 auto; padding: 28px 24px 48px; }
h1 { font-size: 26px; line-height: 1.25; margin: 0 0 6px; }
h2 { font-size: 19px; margin: 36px 0 12px; padding-bottom: 6px; border-bottom: 1px solid var(--rule); }
h3 { font-size: 15px; margin: 20px 0 8px; }
p { margin: 6px 0; }
.muted { color: var(--muted); }
header.top { padding-bottom: 16px; border-bottom: 3px solid var(--ink); }
.meta { color: var(--muted); margin: 0; }
.meta b { color: var(--ink); font-weight: 600; }
.verdicts { display: flex; flex-wrap: wrap; gap: 10px; margin: 14px 0 4px; }
.verdict { display: flex; align-items: center; gap: 10px; border: 1px solid var(--rule); border-radius: 8px; padding: 8px 12px; background: var(--soft); }
.badge { display: inline-block; color: #fff; border-radius: 999px; padding: 1px 10px; font-size: 12px; font-weight: 700; letter-spacing: .03em; text-transform: uppercase; white-space: nowrap; }
.badge.met { background: #1e8e3e; } .badge.unmet { background: #c62828; } .badge.error { background: #6b7280; }
.score { font-size: 20px; font-weight: 700; }
.summary { display: flex; flex-wrap: wrap; gap: 28px; margin-top: 12px; }
.summary div { min-width: 120px; }
.summary .n { font-size: 20px; font-weight: 700; display: block; }
nav { margin: 12px 0 0; font-size: 13px; }
nav a { color: #0b57d0; margin-right: 14px; text-decoration: none; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 4px; font-size: 13px; }
th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid var(--rule); vertical-align: top; }
th { background: var(--soft); font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.bad td { background: #fdecea; }
code { font: 12.5px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--soft); padding: 1px 4px; border-radius: 4px; }
.run { border: 1px solid var(--rule); border-radius: 10px; padding: 4px 18px 14px; margin: 14px 0; }
.run > header { display: flex; align-items: baseline; gap: 12px; flex-wrap: wrap; }
.phase { margin-top: 12px; }
.phase h4 { margin: 0; font-size: 14px; display: flex; gap: 10px; align-items: center; }
.cols { display: flex; gap: 24px; flex-wrap: wrap; align-items: flex-start; }
.cols > * { flex: 1 1 420px; }
figure { margin: 16px 0 24px; border: 1px solid var(--rule); border-radius: 10px; padding: 12px 12px 8px; break-inside: avoid; }
figure svg { display: block; max-width: 100%; height: auto; }
figcaption h3 { margin: 0 0 2px; }
figcaption p { color: var(--muted); margin: 0 0 6px; font-size: 13px; }
ul.windows { list-style: none; margin: 6px 0 0; padding: 0; display: flex; gap: 18px; flex-wrap: wrap; font-size: 12.5px; color: var(--muted); }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; vertical-align: -1px; margin-right: 5px; opacity: .55; }
.swatch.instant { width: 3px; border-radius: 0; margin: 0 9px 0 5px; opacity: 1; }
code.effect { color: var(--muted); background: none; padding: 0; overflow-wrap: anywhere; }
.faults div { margin: 0 0 2px; }
.faults div:has(.swatch) { white-space: nowrap; }
.waterfall { width: 100%; font-size: 12.5px; }
.waterfall td { padding: 4px 8px; }
.waterfall td:first-child { white-space: nowrap; }
.waterfall .track { position: relative; height: 16px; background: #eef1f4; border-radius: 3px; min-width: 400px; }
.waterfall .bar { position: absolute; top: 2px; bottom: 2px; border-radius: 3px; background: #3a7bd5; min-width: 2px; }
.waterfall .bar.failed { background: #c62828; }
.waterfall .bar.faulted { outline: 2px solid var(--muted); outline-offset: 1px; }
.notes li { margin: 4px 0; }
@page { margin: 12mm; }
@media print {
  body { font-size: 12px; }
  table { font-size: 11px; }
  th, th.num, td.num, .waterfall td:first-child, .faults div:has(.swatch) { white-space: normal; }
  th, td { padding: 4px 6px; }
  .waterfall .track { min-width: 160px; }
  main { max-width: none; padding: 0; }
  nav { display: none; }
  h2 { break-after: avoid; }
  .run, figure, table { break-inside: avoid; }
  th, .verdict, tr.bad td, .waterfall .track { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
`

const rangeSeconds = (d: ReportData): number => (Date.parse(d.range.to) - Date.parse(d.range.from)) / 1000

function badge(verdict: string): string {
  return `<span class="badge" style="background:${verdictColour(verdict)}">${esc(verdictText(verdict))}</span>`
}

const metBadge = (met: boolean, ran = true): string =>
  !ran ? '<span class="badge error">error</span>' : met ? '<span class="badge met">met</span>' : '<span class="badge unmet">not met</span>'

function table(head: string[], rows: string[][], numeric: Set<number> = new Set(), rowAttrs: string[] = []): string {
  const th = head.map((h, i) => `<th${numeric.has(i) ? ' class="num"' : ''}>${esc(h)}</th>`).join('')
  const body = rows.map((r, j) => `<tr${rowAttrs[j] ?? ''}>${r.map((c, i) => `<td${numeric.has(i) ? ' class="num"' : ''}>${c}</td>`).join('')}</tr>`).join('\n')
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`
}

/** The mark a fault has in the charts: a square of its shade, or a thin bar of its colour for a one-shot fault's line. */
const swatch = (w: ChartWindow): string => `<span class="swatch${w.instant ? ' instant' : ''}" style="background:${w.colour}"></span>`

function header(d: ReportData): string {
  const affected = d.edges.filter((e) => e.affected).length
  const recoveries = d.edges.filter((e) => e.affected).flatMap((e) => e.recovery)
  const never = recoveries.filter((r) => r.secondsToRecover === null && r.trafficAfter).length
  const unknown = recoveries.filter((r) => r.secondsToRecover === null && !r.trafficAfter).length
  const slowest = recoveries.reduce<number | null>((m, r) => (r.secondsToRecover === null ? m : Math.max(m ?? 0, r.secondsToRecover)), null)
  const verdicts = d.runs.length
    ? d.runs.map((r) => `<div class="verdict">${badge(r.verdict)}<span>${esc(r.title)}</span><span class="score">${esc(Math.round(r.score.value))}</span><span class="muted">/ 100</span></div>`).join('\n')
    : `<div class="verdict">${badge('not-tested')}<span>No chaoscope run in this range: signals only.</span></div>`
  const recovery = never ? `${never} never recovered` : !unknown ? duration(slowest) : slowest === null ? 'unknown' : `${duration(slowest)} (${unknown} unknown)`
  return `<header class="top">
<h1>${esc(d.title)}</h1>
<p class="meta"><b>${esc(when(d.range.from))}</b> to <b>${esc(when(d.range.to))}</b> (${esc(duration(rangeSeconds(d)))}, ${esc(d.stepSeconds)} s steps) · generated ${esc(when(d.generatedAt))}</p>
<div class="verdicts">${verdicts}</div>
<div class="summary">
<div><span class="n">${d.faults.length}</span>fault window${d.faults.length === 1 ? '' : 's'}</div>
<div><span class="n">${affected} of ${d.edges.length}</span>edges affected</div>
<div><span class="n">${esc(recovery)}</span>slowest recovery</div>
</div>
<nav><a href="#runs">Runs</a><a href="#history">Score history</a><a href="#faults">Fault windows</a><a href="#services">Services</a><a href="#edges">Edges</a><a href="#recovery">Recovery</a><a href="#trace">Trace</a><a href="#notes">Notes</a></nav>
</header>`
}

function phase(h: HypothesisCheck): string {
  const rows = h.probes.map((p) => [esc(p.name), p.observed === null ? NONE : esc(p.observed), p.expected === null ? NONE : esc(p.expected), metBadge(p.met, p.ran)])
  const attrs = h.probes.map((p) => (p.met && p.ran ? '' : ' class="bad"'))
  return `<div class="phase"><h4>Steady state ${esc(h.phase)} the fault ${metBadge(h.met)} <span class="muted">${esc(when(h.at))}</span></h4>
${table(['Probe', 'Observed', 'Expected', 'Result'], rows, new Set(), attrs)}</div>`
}

function run(r: RunSummary): string {
  const inputs = r.score.inputs.map((i) => [esc(i.probe), esc(i.weight), esc(i.checks), esc(i.passed)])
  return `<article class="run">
<header><h3>${esc(r.title)}</h3>${badge(r.verdict)}<span class="muted">status ${esc(r.status)}${r.deviated ? ', deviated' : ''} · ${esc(when(r.startedAt))} to ${esc(clock(r.endedAt))} (${esc(duration(secondsBetween(r.startedAt, r.endedAt)))}) · experiment <code>${esc(r.experiment)}</code></span></header>
${r.hypothesis.length ? r.hypothesis.map(phase).join('\n') : '<p class="muted">The run checked no hypothesis.</p>'}
<div class="phase"><h4>Score <span class="score">${esc(Math.round(r.score.value))}</span><span class="muted">/ 100</span></h4>
<p><code>${esc(r.score.formula)}</code></p>
${table(['Probe', 'Weight', 'Checks', 'Passed'], inputs, new Set([1, 2, 3]))}</div>
</article>`
}

function history(h: ScoreHistory): string {
  const trend = h.trend === null ? 'a single run: no trend yet' : h.trend === 0 ? 'unchanged from the run before' : `${signed(h.trend)} since the run before`
  const rows = h.runs.map((r) => [esc(when(r.at)), badge(r.verdict), esc(Math.round(r.score))])
  return `<h3><code>${esc(h.experiment)}</code> · mean ${esc(Number(h.mean.toFixed(1)))} · ${esc(trend)}</h3>
<div class="cols"><div>${historyChart(h)}</div><div>${table(['Run', 'Verdict', 'Score'], rows, new Set([2]))}</div></div>`
}

function faults(d: ReportData): string {
  if (!d.faults.length) return '<p class="muted">No fault was active in this range.</p>'
  const windows = chartWindows(d)
  const rows = d.faults.map((f, i) => [
    `${swatch(windows[i]!)}<code>${esc(f.id)}</code>`,
    f.action === null ? NONE : esc(f.action),
    `${esc(f.targets.join(', '))}${f.services.length ? `<br><span class="muted">services ${esc(f.services.join(', '))}</span>` : ''}`,
    esc(when(f.start)),
    f.end === null ? 'still active' : esc(when(f.end)),
    f.end === null ? NONE : isInstant(f) ? 'instant' : esc(duration(secondsBetween(f.start, f.end))),
  ])
  const attrs = d.faults.map((f) => ` data-fault-id="${esc(f.id)}" data-fault-start="${Date.parse(f.start)}" data-fault-end="${f.end === null ? '' : Date.parse(f.end)}"`)
  return table(['Fault', 'Action', 'Targets', 'Start', 'End', 'Duration'], rows, new Set([5]), attrs)
}

const phaseCells = (p: PhaseSignals): string[] => [esc(percent(p.errorRate)), esc(millis(p.p99Ms))]

function services(d: ReportData): string {
  if (!d.services.length) return '<p class="muted">No service received requests in this range.</p>'
  const rows = d.services.map((s) => [
    `<b>${esc(s.service)}</b>${s.affected ? '' : ' <span class="muted">(unaffected)</span>'}`,
    esc(count(s.requests)),
    ...phaseCells(s.before),
    ...phaseCells(s.during),
    ...phaseCells(s.after),
    s.secondsToRecover === null ? (s.recoveryUnknown ? 'unknown' : s.affected ? 'never' : NONE) : esc(duration(s.secondsToRecover)),
  ])
  const head = ['Service', 'Requests', 'Errors before', 'p99 before', 'Errors during', 'p99 during', 'Errors after', 'p99 after', 'Time to recover']
  return table(head, rows, new Set([1, 2, 3, 4, 5, 6, 7, 8]), d.services.map((s) => (s.affected ? ' class="bad"' : '')))
}

function figure(d: ReportData, c: EdgeChart): string {
  const e = d.edges.find((x) => x.id === c.edge)!
  const base = e.baseline ? `baseline ${e.baseline.rps.toFixed(1)} rps, errors ${percent(e.baseline.errorRate)}, p99 ${millis(e.baseline.p99Ms)}` : 'no baseline (no traffic before the first fault)'
  const tol = e.tolerance ? `tolerance: p99 ≤ ${millis(e.tolerance.p99Ms)}, errors ≤ ${percent(e.tolerance.errorRate)} (${e.tolerance.basis})` : 'no tolerance'
  const instants = new Set(c.windows.filter((w) => w.instant).map((w) => w.faultId))
  const recovered = e.recovery.map((r) =>
    r.recoveredAt !== null
      ? `back within tolerance ${r.secondsToRecover ? `${duration(r.secondsToRecover)} after` : 'as soon as'} ${r.faultId} ${instants.has(r.faultId) ? 'struck' : 'ended'}, at ${clock(r.recoveredAt)}`
      : r.trafficAfter
        ? `not back within tolerance by the end of the range after ${r.faultId}`
        : `recovery after ${r.faultId} unknown: no traffic followed it`,
  )
  const windows = c.windows
    .map((w) => {
      const at = w.instant ? `at ${clock(w.start)}` : `${clock(w.start)}–${clock(w.end)}`
      return `<li data-fault-id="${esc(w.faultId)}" data-fault-start="${w.start}" data-fault-end="${w.end}" data-fault-colour="${w.colour}"${w.instant ? ' data-fault-instant' : ''}>${swatch(w)}${esc(w.name)} ${esc(at)}</li>`
    })
    .join('')
  return `<figure class="chart" data-edge="${esc(c.edge)}" data-from="${c.from}" data-to="${c.to}" data-plot-left="${c.plotLeft}" data-plot-width="${c.plotWidth}" data-panels="${EDGE_LAYOUT.panels.length}">
<figcaption><h3>${esc(e.source)} → ${esc(e.destination)}</h3><p>${esc(base)} · ${esc(tol)}</p>${recovered.length ? `<p>${esc(recovered.join('; '))}</p>` : ''}</figcaption>
${c.svg}
${windows ? `<ul class="windows">${windows}</ul>` : ''}
</figure>`
}

function edges(d: ReportData): string {
  const affected = d.edges.filter((e) => e.affected)
  const others = d.edges.filter((e) => !e.affected)
  const charts = affected.length ? affected.map((e) => figure(d, edgeChart(d, e))).join('\n') : '<p class="muted">No edge was affected.</p>'
  const rows = others.map((e) => {
    const rates = e.points.map((p) => p.errorRate).filter((x): x is number => x !== null)
    const p99s = e.points.map((p) => p.p99Ms).filter((x): x is number => x !== null)
    return [
      `${esc(e.source)} → ${esc(e.destination)}`,
      esc(count(edgeRequests(e.points, d.stepSeconds))),
      esc(percent(rates.length ? Math.max(...rates) : null)),
      esc(millis(p99s.length ? Math.max(...p99s) : null)),
      esc(millis(e.baseline?.p99Ms ?? null)),
    ]
  })
  const rest = others.length ? `<h3>Unaffected edges</h3>${table(['Edge', 'Requests', 'Worst error rate', 'Worst p99', 'Baseline p99'], rows, new Set([1, 2, 3, 4]))}` : ''
  return charts + rest
}

function recovery(d: ReportData): string {
  const rows = d.edges.flatMap((e) =>
    e.recovery.map((r) => [
      `<code>${esc(r.faultId)}</code>`,
      `${esc(e.source)} → ${esc(e.destination)}${e.affected ? '' : ' <span class="muted">(unaffected)</span>'}`,
      esc(when(r.faultEnd)),
      r.recoveredAt === null ? (r.trafficAfter ? 'not in the range' : 'no traffic after it') : esc(when(r.recoveredAt)),
      r.secondsToRecover === null ? (r.trafficAfter ? 'never' : 'unknown') : esc(duration(r.secondsToRecover)),
    ]),
  )
  if (!rows.length) return '<p class="muted">No fault ended in this range.</p>'
  return table(['Fault', 'Edge', 'Fault ended', 'Back within tolerance', 'Time to recover'], rows, new Set([4]))
}

function trace(d: ReportData): string {
  const t = d.trace
  if (t === null) return '<p class="muted">No trace: the sidecars recorded none in this range (tracing may be off).</p>'
  const total = Math.max(1, ...t.spans.map((s) => s.startOffsetMs + s.durationMs))
  const depth = new Map<string, number>()
  const depthOf = (id: string | null, seen = 0): number => {
    if (id === null || seen > t.spans.length) return -1
    if (depth.has(id)) return depth.get(id)!
    const parent = t.spans.find((s) => s.spanId === id)?.parentSpanId ?? null
    const d = parent === null ? 0 : depthOf(parent, seen + 1) + 1
    depth.set(id, d)
    return d
  }
  // A span names the fault window (`Kind/ns/name#n`) that acted on it when the builder could tell which; otherwise the
  // sidecar's raw effect id, shown as it is but muted: it is evidence, not a name the rest of the report uses.
  const windows = new Map(chartWindows(d).map((w) => [w.faultId, w]))
  const raw = t.spans.some((s) => s.faults.some((f) => !windows.has(f)))
  const rows = t.spans.map((s) => {
    const failed = s.status === 0 || s.status >= 500
    const left = ((s.startOffsetMs / total) * 100).toFixed(2)
    const width = ((s.durationMs / total) * 100).toFixed(2)
    const cls = `bar${failed ? ' failed' : ''}${s.faults.length ? ' faulted' : ''}`
    const first = s.faults.map((f) => windows.get(f)).find((w) => w !== undefined)
    const outline = first ? `;outline-color:${first.colour}` : ''
    const indent = Math.max(0, depthOf(s.spanId)) * 14
    return [
      `<div style="padding-left:${indent}px"><b>${esc(s.method)} ${esc(s.path)}</b><br><span class="muted">${esc(s.source)} → ${esc(s.destination)} via ${esc(s.sidecar)}</span></div>`,
      `<div class="track"><div class="${cls}" style="left:${left}%;width:${width}%${outline}"></div></div>`,
      esc(millis(s.startOffsetMs)),
      esc(millis(s.durationMs)),
      s.status === 0 ? 'no response' : esc(s.status),
      s.faults.length
        ? `<div class="faults">${s.faults.map((f) => `<div>${windows.has(f) ? `${swatch(windows.get(f)!)}<code>${esc(f)}</code>` : `<code class="effect">${esc(f)}</code>`}</div>`).join('')}</div>`
        : NONE,
    ]
  })
  const attrs = t.spans.map((s) => (s.status === 0 || s.status >= 500 ? ' class="bad"' : ''))
  const why = t.why === 'failed' ? 'a failing request' : 'the slowest request (none failed)'
  return `<p>Trace <code>${esc(t.traceId)}</code>, ${esc(why)}, at ${esc(when(t.at))}: ${t.spans.length} span${t.spans.length === 1 ? '' : 's'} over ${esc(millis(total))}. A hop that went through a fault is outlined in the fault's colour${raw ? ' (grey: a fault effect the report could not match to a fault window)' : ''}.</p>
<div class="waterfall">${table(['Hop', `Timeline (0 to ${millis(total)})`, 'Offset', 'Duration', 'Status', 'Faults'], rows, new Set([2, 3]), attrs)}</div>`
}

/** The report as one HTML document. */
export function renderHtml(data: ReportData): string {
  const runs = data.runs.length ? data.runs.map(run).join('\n') : '<p class="muted">No chaoscope run in this range: the report shows signals and fault windows only.</p>'
  const hist = data.history.length ? data.history.map(history).join('\n') : '<p class="muted">No score history.</p>'
  const notes = data.notes.length ? `<ul class="notes">${data.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : '<p class="muted">None.</p>'
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="chaoscope ${esc(data.schema)}">
<title>${esc(data.title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${header(data)}
<section id="runs"><h2>Runs</h2>
${runs}
</section>
<section id="history"><h2>Score history</h2>
${hist}
</section>
<section id="faults"><h2>Fault windows</h2>
${faults(data)}
</section>
<section id="services"><h2>Impact per service</h2>
<p class="muted">Before the first fault, during the faults, and after the last one. Time to recover is the longest among the service's inbound edges.</p>
${services(data)}
</section>
<section id="edges"><h2>Edges</h2>
${edges(data)}
</section>
<section id="recovery"><h2>Time to recover</h2>
${recovery(data)}
</section>
<section id="trace"><h2>Trace of one request</h2>
${trace(data)}
</section>
<section id="notes"><h2>Notes</h2>
${notes}
</section>
</main>
</body>
</html>
`
}
