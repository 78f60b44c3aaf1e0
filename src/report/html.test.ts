/** The HTML report: one self-contained, script-free file that loads nothing, escapes the data, and shows every section. */
import { describe, expect, it } from 'vitest'
import { FAULT_END, FAULT_START, FROM, POD_KILL_AT, POD_KILL_ID, reportData, withPodKill } from '../../test/fixtures/report-data.js'
import { EDGE_LAYOUT, FAULT_COLOURS } from './charts.js'
import { CSP, renderHtml } from './html.js'

const figures = (html: string): string[] => [...html.matchAll(/<figure class="chart"[\s\S]*?<\/figure>/g)].map((m) => m[0])
const attr = (tag: string, name: string): string | undefined => new RegExp(`${name}="([^"]*)"`).exec(tag)?.[1]

describe('renderHtml', () => {
  const html = renderHtml(reportData())

  it('is one file that runs no script and loads nothing from anywhere', () => {
    expect(html).toMatch(/^<!doctype html>/)
    expect(html).not.toMatch(/<script/i)
    expect(html).not.toMatch(/https?:\/\//i)
    expect(html).not.toMatch(/@import|@font-face|url\((?!#)/i)
    expect(html).not.toMatch(/<(link|img|iframe|object|embed)\b/i)
    // every src= and href= points inside the page
    for (const m of html.matchAll(/\b(src|href)="([^"]*)"/g)) expect(m[2]).toMatch(/^#/)
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="${CSP}">`)
    expect(CSP).toBe("default-src 'none'; style-src 'unsafe-inline'; img-src data:")
  })

  it('escapes every string of the data, a hostile title included', () => {
    const d = reportData()
    d.title = '<img src=x onerror=alert(1)>'
    d.notes = ['"><script>alert(2)</script>']
    d.runs[0]!.hypothesis[0]!.probes[0]!.observed = '<b onmouseover=x>'
    d.edges[0]!.source = 'a"b'
    d.faults[0]!.targets = ["o'clock<"]
    const out = renderHtml(d)
    expect(out).not.toContain('<img')
    expect(out).not.toMatch(/<script/i)
    expect(out).not.toContain('<b onmouseover')
    expect(out).toContain('<title>&lt;img src=x onerror=alert(1)&gt;</title>')
    expect(out).toContain('<h1>&lt;img src=x onerror=alert(1)&gt;</h1>')
    expect(out).toContain('&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;')
    expect(out).toContain('a&quot;b')
    expect(out).toContain('o&#39;clock&lt;')
  })

  it('puts the verdict and the score at the top', () => {
    const top = html.slice(0, html.indexOf('<section'))
    expect(top).toMatch(/<span class="badge"[^>]*>deviated<\/span>/)
    expect(top).toContain('API stays fast under a delay')
    expect(top).toContain('<span class="score">67</span>')
    expect(top).toContain('2025-03-04 10:00:00 UTC')
    expect(top).toContain('2025-03-04 10:02:00 UTC')
  })

  it('shows the hypothesis before, during and after with observed and expected values, and the score with its formula', () => {
    for (const phase of ['before', 'during', 'after']) expect(html).toContain(`Steady state ${phase} the fault`)
    expect(html).toMatch(/<td>p99 below 100 ms<\/td><td>405 ms<\/td><td>&lt;= 100 ms<\/td><td><span class="badge unmet">not met<\/span>/)
    expect(html).toContain('<span class="badge error">error</span>')
    expect(html).toContain('score = 100 × Σ(weight × passed / checks) / Σ weight')
    expect(html).toContain('mean 83.3 · -16 since the run before')
  })

  it('draws one chart per affected edge and lists the unaffected ones in a table', () => {
    const figs = figures(html)
    expect(figs).toHaveLength(1)
    expect(attr(figs[0]!, 'data-edge')).toBe('frontend→api')
    expect(html).toContain('<h3>Unaffected edges</h3>')
    expect(html).toMatch(/<td>api → db<\/td><td class="num">13,435<\/td>/)
    const d = reportData()
    d.edges[1]!.affected = true
    expect(figures(renderHtml(d))).toHaveLength(2)
    expect(renderHtml(d)).not.toContain('Unaffected edges')
  })

  it('gives each chart its time axis and plot area, and shades the fault window where they put it', () => {
    const fig = figures(html)[0]!
    expect(Number(attr(fig, 'data-from'))).toBe(FROM)
    expect(Number(attr(fig, 'data-to'))).toBe(FROM + 120_000)
    const left = Number(attr(fig, 'data-plot-left'))
    const width = Number(attr(fig, 'data-plot-width'))
    expect(left).toBe(EDGE_LAYOUT.left)
    expect(width).toBe(EDGE_LAYOUT.width - EDGE_LAYOUT.left - EDGE_LAYOUT.right)
    expect(fig).toContain(`data-fault-start="${FAULT_START}" data-fault-end="${FAULT_END}"`)
    const x = (t: number) => left + ((t - FROM) / 120_000) * width
    // the shaded window in each of the three panels: a polygon from the fault's start to its end
    const shades = [...fig.matchAll(/<polygon points="([^"]+)"/g)].map((m) => m[1]!.split(' ').filter((_, i) => i % 2 === 0).map(Number))
    const spans = shades.map((xs) => [Math.min(...xs), Math.max(...xs)])
    const hits = spans.filter(([a, b]) => Math.abs(a! - x(FAULT_START)) <= 1 && Math.abs(b! - x(FAULT_END)) <= 1)
    expect(hits).toHaveLength(3)
    expect(fig).toContain('api-delay (delay)')
    expect(fig).toContain('recovered +10 s')
  })

  it('draws a one-shot fault (a pod-kill) as a solid line of its colour at its moment in each panel, not as a shade', () => {
    const out = renderHtml(withPodKill(reportData()))
    const fig = figures(out)[0]!
    const colour = FAULT_COLOURS[1]!
    const x = EDGE_LAYOUT.left + ((POD_KILL_AT - FROM) / 120_000) * (EDGE_LAYOUT.width - EDGE_LAYOUT.left - EDGE_LAYOUT.right)
    const lines = [...fig.matchAll(/<path d="M([\d.]+) ([\d.]+)L([\d.]+) ([\d.]+)"[^>]*stroke="([^"]+)"[^>]*>/g)].filter((m) => m[5] === colour)
    expect(lines).toHaveLength(3)
    for (const m of lines) {
      expect(Math.abs(Number(m[1]) - x)).toBeLessThanOrEqual(1)
      expect(m[3]).toBe(m[1])
      expect(m[0]).not.toContain('stroke-dasharray')
    }
    // the delay still shades its window in the three panels; the pod-kill adds no shade of its own
    expect([...fig.matchAll(/<polygon [^>]*fill="([^"]+)"/g)].filter((m) => m[1] === colour)).toHaveLength(0)
    expect(fig).toMatch(/>api-kill \(pod-kill\)<\/text>/)
    expect(fig).toContain(`data-fault-id="${POD_KILL_ID}" data-fault-start="${POD_KILL_AT}" data-fault-end="${POD_KILL_AT}" data-fault-colour="${colour}" data-fault-instant>`)
    expect(fig).toContain('api-kill (pod-kill) at 10:01:30</li>')
    expect(fig).toContain(`back within tolerance as soon as ${POD_KILL_ID} struck, at 10:01:30`)
    // back at once: no recovery line on top of the fault's own
    expect(fig).not.toContain('recovered +0 s')
    const row = new RegExp(`<tr data-fault-id="${POD_KILL_ID}"[^>]*>([\\s\\S]*?)</tr>`).exec(out)![1]!
    expect(row).toContain(`<span class="swatch instant" style="background:${colour}"></span>`)
    expect(row).toContain('<td class="num">instant</td>')
  })

  it('says a recovery is unknown, not late, when no traffic followed the fault', () => {
    const d = reportData()
    d.edges[0]!.recovery[0] = { ...d.edges[0]!.recovery[0]!, recoveredAt: null, secondsToRecover: null, trafficAfter: false }
    d.services[0] = { ...d.services[0]!, secondsToRecover: null, recoveryUnknown: true }
    const out = renderHtml(d)
    const fig = figures(out)[0]!
    expect(fig).toContain('recovery after NetworkChaos/shop/api-delay#1 unknown: no traffic followed it')
    expect(fig).not.toContain('not back')
    expect(out).toMatch(/<td><b>api<\/b><\/td>(<td class="num">[^<]*<\/td>){7}<td class="num">unknown<\/td>/)
    expect(out).toContain('<span class="n">unknown</span>slowest recovery')
    d.edges[0]!.recovery[0]!.trafficAfter = true
    expect(figures(renderHtml(d))[0]).toContain('not back within tolerance by the end of the range after NetworkChaos/shop/api-delay#1')
  })

  it('shows a tolerance above the data inside the chart, with room for the labels', () => {
    const d = reportData()
    d.edges[1]!.affected = true
    // api→db peaks at 8 ms against a 12 ms tolerance: the axis reaches past both
    const fig = figures(renderHtml(d))[1]!
    expect(fig).toMatch(/>20 ms<\/text>/)
    expect(fig).toMatch(/>p99 tolerance 12 ms<\/text>/)
  })

  it('writes valid SVG attributes (font names are quoted inside the style attribute)', () => {
    for (const tag of html.matchAll(/<(text|path|rect|polygon|g)\b[^>]*>/g)) expect(tag[0]).toMatch(/^<[a-z]+(\s+[a-z:-]+(="[^"]*")?)*\s*\/?>$/)
  })

  it('names a trace hop\'s fault by its window, with its colour, and shows an unmatched effect id as it is', () => {
    const d = reportData()
    const effect = 'chaoscope:7f3e2a91-bb10-4c2e-9d1a-0c5a1e2f3b4c:api-1:delay@api-1.shop.sidecar'
    d.trace!.spans[2]!.faults = [effect]
    const out = renderHtml(d)
    const rows = [...out.slice(out.indexOf('<section id="trace">')).matchAll(/<tr( class="bad")?><td>([\s\S]*?)<\/tr>/g)].map((m) => m[2]!)
    expect(rows[1]).toContain(`<span class="swatch" style="background:${FAULT_COLOURS[0]}"></span><code>NetworkChaos/shop/api-delay#1</code>`)
    expect(rows[2]).toContain(`<code class="effect">${effect}</code>`)
    // a hop whose effect matched no window is outlined, in the neutral grey of the stylesheet
    expect(rows[2]).toMatch(/class="bar faulted" style="left:[\d.]+%;width:[\d.]+%"/)
    expect(out).toContain('(grey: a fault effect the report could not match to a fault window)')
    expect(html).not.toContain('(grey:')
  })

  it('lists each fault window with its experiment, action, targets, start, end and duration', () => {
    const row = /<tr data-fault-id="NetworkChaos\/shop\/api-delay#1" data-fault-start="(\d+)" data-fault-end="(\d+)">([\s\S]*?)<\/tr>/.exec(html)
    expect(row).not.toBeNull()
    expect(Number(row![1])).toBe(FAULT_START)
    expect(Number(row![2])).toBe(FAULT_END)
    expect(row![3]).toContain('<td>delay</td>')
    expect(row![3]).toContain('api-0, api-1')
    expect(row![3]).toContain('2025-03-04 10:00:40 UTC')
    expect(row![3]).toContain('2025-03-04 10:01:00 UTC')
    expect(row![3]).toContain('<td class="num">20 s</td>')
  })

  it('shows impact per service, time to recover per fault per edge, the trace waterfall and the notes', () => {
    expect(html).toMatch(/<td><b>api<\/b><\/td><td class="num">5,400<\/td><td class="num">0.2%<\/td><td class="num">45 ms<\/td><td class="num">4.2%<\/td><td class="num">405 ms<\/td>/)
    expect(html).toMatch(/<td>frontend → api<\/td><td>2025-03-04 10:01:00 UTC<\/td><td>2025-03-04 10:01:10 UTC<\/td><td class="num">10 s<\/td>/)
    expect(html.match(/<div class="track">/g)).toHaveLength(3)
    expect(html).toContain(`class="bar failed faulted" style="left:2.35%;width:95.59%;outline-color:${FAULT_COLOURS[0]}"`)
    expect(html).toContain('Tracing sampled 10% of requests.')
    const d = reportData()
    d.trace = null
    expect(renderHtml(d)).toContain('No trace: the sidecars recorded none in this range')
  })

  it('renders the same data to the same bytes', () => {
    expect(renderHtml(reportData())).toBe(html)
  })

  it('says what is missing instead of drawing nothing', () => {
    const d = reportData()
    d.runs = []
    d.history = []
    d.faults = []
    d.edges = d.edges.map((e) => ({ ...e, affected: false, recovery: [] }))
    d.notes = []
    const out = renderHtml(d)
    expect(out).toContain('No chaoscope run in this range')
    expect(out).toContain('No fault was active in this range.')
    expect(out).toContain('No edge was affected.')
    expect(out).toContain('No fault ended in this range.')
    expect(figures(out)).toHaveLength(0)
  })
})
