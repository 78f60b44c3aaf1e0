/** The HTML report: one self-contained, script-free file that loads nothing, escapes the data, and shows every section. */
import { describe, expect, it } from 'vitest'
import { FAULT_END, FAULT_START, FROM, reportData } from '../../test/fixtures/report-data.js'
import { EDGE_LAYOUT } from './charts.js'
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
    expect(html).toContain('class="bar failed faulted" style="left:2.35%;width:95.59%"')
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
