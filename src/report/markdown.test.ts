/** The Markdown report: the HTML report's content as GitHub tables and lists, with the data escaped. */
import { describe, expect, it } from 'vitest'
import { reportData, withPodKill } from '../../test/fixtures/report-data.js'
import { mdText, renderMarkdown } from './markdown.js'

/** The table right after a heading: its header cells and rows of cells, `\|` kept inside a cell. */
function tableAfter(md: string, heading: string): { head: string[]; rows: string[][] } {
  const start = md.indexOf(`${heading}\n`)
  expect(start, heading).toBeGreaterThanOrEqual(0)
  const lines = md.slice(start).split('\n').slice(1)
  const first = lines.findIndex((l) => l.startsWith('|'))
  const block: string[] = []
  for (const l of lines.slice(first)) {
    if (!l.startsWith('|')) break
    block.push(l)
  }
  const cells = (l: string) => l.slice(2, -2).split(/(?<!\\) \| /)
  expect(block[1]).toMatch(/^\|( ---:? \|)+$/)
  return { head: cells(block[0]!), rows: block.slice(2).map(cells) }
}

describe('renderMarkdown', () => {
  const md = renderMarkdown(reportData())

  it('starts with the title, the range and each run\'s verdict and score', () => {
    const lines = md.split('\n')
    expect(lines[0]).toBe('# Shop: API latency under a 300 ms delay')
    expect(lines[2]).toBe('2025-03-04 10:00:00 UTC to 2025-03-04 10:02:00 UTC (2 min, 5 s steps) · generated 2025-03-04 10:02:05 UTC')
    expect(lines[4]).toBe('- **DEVIATED** API stays fast under a delay: score **67** / 100')
  })

  it('tables the hypothesis of each phase, observed against expected', () => {
    const during = tableAfter(md, '#### Steady state during the fault: ❌ not met (2025-03-04 10:00:55 UTC)')
    expect(during.head).toEqual(['Probe', 'Observed', 'Expected', 'Result'])
    expect(during.rows).toEqual([
      ['p99 below 100 ms', '405 ms', '\\<= 100 ms', '❌ not met'],
      ['error rate below 1%', '4.2%', '\\<= 1%', '❌ not met'],
    ])
    const after = tableAfter(md, '#### Steady state after the fault: ✅ met (2025-03-04 10:01:30 UTC)')
    expect(after.rows[1]).toEqual(['error rate below 1%', '—', '\\<= 1%', '⚠️ error'])
  })

  it('tables the score inputs, the history, the fault windows, the services, the edges, recovery and the trace', () => {
    expect(tableAfter(md, '#### Score: 67 / 100').rows).toEqual([
      ['p99 below 100 ms', '2', '3', '2'],
      ['error rate below 1%', '1', '3', '2'],
    ])
    expect(md).toContain('Mean 83.3 · -16 since the run before')
    expect(tableAfter(md, '### api-latency').rows.map((r) => r[2])).toEqual(['100', '83', '67'])
    expect(tableAfter(md, '## Fault windows').rows).toEqual([
      ['NetworkChaos/shop/api-delay#1', 'delay', 'api-0, api-1 (services api)', '2025-03-04 10:00:40 UTC', '2025-03-04 10:01:00 UTC', '20 s'],
    ])
    const services = tableAfter(md, '## Impact per service')
    expect(services.head).toEqual(['Service', 'Requests', 'Errors before', 'p99 before', 'Errors during', 'p99 during', 'Errors after', 'p99 after', 'Time to recover'])
    expect(services.rows[0]).toEqual(['**api**', '5,400', '0.2%', '45 ms', '4.2%', '405 ms', '0.2%', '46 ms', '10 s'])
    expect(services.rows[1]![0]).toBe('db (unaffected)')
    const edges = tableAfter(md, '## Edges')
    expect(edges.rows.map((r) => [r[0], r[1]])).toEqual([['frontend → api', '**yes**'], ['api → db', 'no']])
    expect(tableAfter(md, '## Time to recover').rows[0]).toEqual(['NetworkChaos/shop/api-delay#1', 'frontend → api', '2025-03-04 10:01:00 UTC', '2025-03-04 10:01:10 UTC', '10 s'])
    const trace = tableAfter(md, '## Trace of one request')
    expect(trace.rows.map((r) => [r[0], r[4]])).toEqual([['GET /checkout', '**503**'], ['↳ GET /cart/42', '**503**'], ['↳ ↳ POST /query', '200']])
    expect(md).toContain('- Tracing sampled 10% of requests.')
  })

  it('gives a one-shot fault (a pod-kill) the duration "instant"', () => {
    const faults = tableAfter(renderMarkdown(withPodKill(reportData())), '## Fault windows')
    expect(faults.rows[1]).toEqual(['PodChaos/shop/api-kill#1', 'pod-kill', 'api-1 (services api)', '2025-03-04 10:01:30 UTC', '2025-03-04 10:01:30 UTC', 'instant'])
  })

  it('says a recovery with no traffic after the fault is unknown, in the header too', () => {
    const d = reportData()
    d.edges[0]!.recovery[0] = { ...d.edges[0]!.recovery[0]!, recoveredAt: null, secondsToRecover: null, trafficAfter: false }
    d.services[0] = { ...d.services[0]!, secondsToRecover: null, recoveryUnknown: true }
    const out = renderMarkdown(d)
    expect(out).toContain('1 of 2 edges affected · slowest recovery unknown')
    expect(tableAfter(out, '## Impact per service').rows[0]![8]).toBe('unknown')
    expect(tableAfter(out, '## Time to recover').rows[0]!.slice(3)).toEqual(['no traffic after it', 'unknown'])
    // one edge recovered, another unknown: the known time, and how many are unknown
    d.edges[1]!.affected = true
    d.edges[0]!.recovery.push({ faultId: 'x', faultEnd: d.range.to, recoveredAt: d.range.to, secondsToRecover: 4, trafficAfter: true })
    expect(renderMarkdown(d)).toContain('slowest recovery 4 s (1 unknown)')
  })

  it('names a trace hop\'s fault by its window and shows an unmatched effect id as code', () => {
    const d = reportData()
    d.trace!.spans[2]!.faults = ['chaoscope:7f3e2a91:api-1:delay@api-1|x', 'tick`y']
    const trace = tableAfter(renderMarkdown(d), '## Trace of one request')
    expect(trace.rows[1]![5]).toBe('NetworkChaos/shop/api-delay#1')
    expect(trace.rows[2]![5]).toBe('`chaoscope:7f3e2a91:api-1:delay@api-1\\|x`, tick\\`y')
  })

  it('escapes | and markup so data can break neither a table nor the page', () => {
    const d = reportData()
    d.title = '<img src=x onerror=alert(1)>'
    d.faults[0]!.targets = ['a|b', '*bold*']
    d.runs[0]!.hypothesis[1]!.probes[0]!.observed = 'x | y\nz'
    const out = renderMarkdown(d)
    expect(out).not.toMatch(/(?<!\\)<img/)
    expect(out.split('\n')[0]).toBe('# \\<img src=x onerror=alert(1)\\>')
    const faults = tableAfter(out, '## Fault windows')
    expect(faults.rows[0]).toHaveLength(6)
    expect(faults.rows[0]![2]).toBe('a\\|b, \\*bold\\* (services api)')
    const during = tableAfter(out, '#### Steady state during the fault: ❌ not met (2025-03-04 10:00:55 UTC)')
    expect(during.rows[0]).toEqual(['p99 below 100 ms', 'x \\| y z', '\\<= 100 ms', '❌ not met'])
    expect(mdText('[a](http://x) `c` ~s~ &amp;')).toBe('\\[a\\](http://x) \\`c\\` \\~s\\~ \\&amp;')
  })

  it('links nothing and embeds nothing', () => {
    expect(md).not.toMatch(/\]\(|<[a-z]|https?:\/\//i)
  })

  it('says so when there is no trace or no run', () => {
    const d = reportData()
    d.trace = null
    d.runs = []
    const out = renderMarkdown(d)
    expect(out).toContain('No trace: the sidecars recorded none in this range (tracing may be off).')
    expect(out).toContain('- **NOT TESTED** no chaoscope run in this range: signals only')
  })
})
