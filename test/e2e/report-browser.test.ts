/**
 * The HTML report as a browser shows it: nothing loaded from anywhere, no console error, one chart per affected edge,
 * each fault window shaded at the x its time axis gives and each one-shot fault (a pod-kill) a line at its moment. Screenshots go to test-artifacts/ for a person to look at.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { renderHtml } from '../../src/report/html.js'
import { POD_KILL_ID, reportData, withPodKill } from '../fixtures/report-data.js'
import { checkReportInBrowser, CHROMIUM, hasChromium } from '../report-check.js'

const ARTIFACTS = join(import.meta.dirname, '../../test-artifacts')

describe.skipIf(!hasChromium())(`HTML report in headless Chromium (needs ${CHROMIUM})`, () => {
  it('loads nothing, logs no error, and shades each fault window where the time axis puts it', async () => {
    mkdirSync(ARTIFACTS, { recursive: true })
    const html = join(ARTIFACTS, 'report-fixture.html')
    writeFileSync(html, renderHtml(reportData()))
    const r = await checkReportInBrowser(html, join(ARTIFACTS, 'report-fixture.png'))
    expect(r.consoleErrors).toEqual([])
    expect(r.failedRequests).toEqual([])
    expect(r.charts).toBe(1)
    expect(r.faultsChecked).toBe(1)
    expect(r.instantsChecked).toBe(0)
    expect(r.misplaced).toEqual([])
  })

  it('draws a one-shot pod-kill as a line in its colour at its moment, beside a shaded window', async () => {
    const d = withPodKill(reportData())
    d.trace!.spans[2]!.faults = ['chaoscope:7f3e2a91-bb10-4c2e-9d1a-0c5a1e2f3b4c:api-1:delay@api-1.shop.sidecar']
    mkdirSync(ARTIFACTS, { recursive: true })
    const html = join(ARTIFACTS, 'report-pod-kill.html')
    writeFileSync(html, renderHtml(d))
    const r = await checkReportInBrowser(html, join(ARTIFACTS, 'report-pod-kill.png'))
    expect(r.consoleErrors).toEqual([])
    expect(r.failedRequests).toEqual([])
    expect(r.charts).toBe(1)
    expect(r.faultsChecked).toBe(2)
    expect(r.instantsChecked).toBe(1)
    expect(r.misplaced).toEqual([])
  })

  it('reports a one-shot fault whose line is not where the axis puts it', async () => {
    mkdirSync(ARTIFACTS, { recursive: true })
    const html = join(ARTIFACTS, 'report-pod-kill-misplaced.html')
    // the chart's list claims the pod-kill 10 s later than the line drawn
    const page = renderHtml(withPodKill(reportData())).replace(
      new RegExp(`(<li data-fault-id="${POD_KILL_ID}" data-fault-start=")(\\d+)" data-fault-end="(\\d+)"`),
      (_, head, start) => `${head}${Number(start) + 10_000}" data-fault-end="${Number(start) + 10_000}"`,
    )
    writeFileSync(html, page)
    const r = await checkReportInBrowser(html, join(ARTIFACTS, 'report-pod-kill-misplaced.png'))
    expect(r.instantsChecked).toBe(1)
    expect(r.misplaced).toHaveLength(1)
    expect(r.misplaced[0]).toMatch(/^frontend→api PodChaos\/shop\/api-kill#1: expected a #[0-9a-f]{6} line at x /)
  })

  it('still places the windows when a fault runs past the end of the range, another starts before it and a pod-kill strikes inside it', async () => {
    const d = reportData()
    const first = d.faults[0]!
    d.faults.unshift({ ...first, id: 'HTTPChaos/shop/abort#1', action: 'abort', start: new Date(Date.parse(d.range.from) - 30_000).toISOString(), end: new Date(Date.parse(d.range.from) + 15_000).toISOString() })
    d.faults.push({ ...first, id: 'NetworkChaos/shop/loss#1', action: 'loss', start: new Date(Date.parse(d.range.to) - 20_000).toISOString(), end: null })
    const kill = new Date(Date.parse(d.range.from) + 7_000).toISOString()
    d.faults.splice(1, 0, { ...first, id: 'PodChaos/shop/api-kill#1', experiment: { ...first.experiment, kind: 'PodChaos', name: 'api-kill' }, action: 'pod-kill', start: kill, end: kill })
    d.edges[1]!.affected = true
    d.edges[1]!.recovery.push({ faultId: 'PodChaos/shop/api-kill#1', faultEnd: kill, recoveredAt: null, secondsToRecover: null, trafficAfter: false })
    mkdirSync(ARTIFACTS, { recursive: true })
    const html = join(ARTIFACTS, 'report-three-faults.html')
    writeFileSync(html, renderHtml(d))
    const r = await checkReportInBrowser(html, join(ARTIFACTS, 'report-three-faults.png'))
    expect(r.consoleErrors).toEqual([])
    expect(r.failedRequests).toEqual([])
    expect(r.charts).toBe(2)
    expect(r.faultsChecked).toBe(8)
    expect(r.instantsChecked).toBe(2)
    expect(r.misplaced).toEqual([])
  })

  it('reports a window drawn away from where the axis puts it', async () => {
    mkdirSync(ARTIFACTS, { recursive: true })
    const html = join(ARTIFACTS, 'report-misplaced.html')
    // the figure claims a plot area 40 px to the right of the one drawn
    writeFileSync(html, renderHtml(reportData()).replace(/data-plot-left="(\d+)"/, (_, l) => `data-plot-left="${Number(l) + 40}"`))
    const r = await checkReportInBrowser(html, join(ARTIFACTS, 'report-misplaced.png'))
    expect(r.faultsChecked).toBe(1)
    expect(r.misplaced).toHaveLength(1)
    expect(r.misplaced[0]).toMatch(/^frontend→api NetworkChaos\/shop\/api-delay#1: expected x /)
  })

  it('counts what a page tries to load from elsewhere', async () => {
    mkdirSync(ARTIFACTS, { recursive: true })
    const html = join(ARTIFACTS, 'report-external.html')
    writeFileSync(html, renderHtml(reportData()).replace('</main>', '<img src="http://127.0.0.1:9/x.png"></main>'))
    const r = await checkReportInBrowser(html, join(ARTIFACTS, 'report-external.png'))
    // the report's own CSP refuses it before any request goes out
    expect(r.consoleErrors.join('\n')).toMatch(/Content Security Policy/)
  })
})
