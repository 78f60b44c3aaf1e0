/**
 * Opens a rendered HTML report in headless Chromium and checks what a reader would see: it loads nothing (every
 * request but the file itself is refused and counted, CSP violations show as console errors), its charts are drawn,
 * and each fault window a chart lists is drawn where the chart's time axis puts it, in every panel (data-panels): shaded
 * from its start to its end, or, for a one-shot fault (data-fault-instant), a vertical line in its colour
 * (data-fault-colour) at its moment. The figure's data-from, data-to, data-plot-left and data-plot-width give
 * x = left + (t - from) / (to - from) × width, in the SVG's own pixels.
 * Saves a full-page screenshot. Used by the report's browser test and the end-to-end test of a real run's report.
 */
import { existsSync, mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { chromium } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'
export const hasChromium = (): boolean => existsSync(CHROMIUM)

/** How far (SVG px) a shaded window's edge, or a one-shot fault's line, may sit from where the axis puts it. */
export const TOLERANCE_PX = 3

export interface ReportCheck {
  /** Figures of class `chart` with an SVG that has a visible size. */
  charts: number
  /** Fault windows (listed in a chart) whose shading or line was looked for. */
  faultsChecked: number
  /** Of those, one-shot faults (a line, not a shade). */
  instantsChecked: number
  /**
   * Fault windows not drawn in every panel at the expected x: `edge fault: expected x1..x2, shapes at ...` for a shaded
   * one, `edge fault: expected a <colour> line at x, lines at ...` for a one-shot one.
   */
  misplaced: string[]
  consoleErrors: string[]
  /** Requests the page made besides the report file itself, and requests that failed. */
  failedRequests: string[]
}

/** The little of the DOM the check reads (the project compiles without the DOM library; this runs in the page). */
interface El {
  dataset: Record<string, string | undefined>
  getAttribute(name: string): string | null
  getBoundingClientRect(): { left: number; right: number; width: number; height: number }
  querySelector(selector: string): El | null
  querySelectorAll(selector: string): Iterable<El>
  viewBox?: { baseVal: { width: number } }
}
declare const document: { querySelectorAll(selector: string): Iterable<El> }

interface FigureResult {
  edge: string
  drawn: boolean
  panels: number
  /** Filled polygons (shades): their left and right x. */
  shapes: [number, number][]
  /** Vertical lines: their x and stroke colour. */
  lines: { x: number; colour: string }[]
  windows: { id: string; x1: number; x2: number; instant: boolean; colour: string }[]
}

export async function checkReportInBrowser(htmlPath: string, screenshotPath: string): Promise<ReportCheck> {
  const url = pathToFileURL(resolve(htmlPath)).href
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } })
    const consoleErrors: string[] = []
    const failedRequests: string[] = []
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text())
    })
    page.on('pageerror', (e) => consoleErrors.push(e.message))
    page.on('requestfailed', (r) => failedRequests.push(`${r.url()}: ${r.failure()?.errorText ?? 'failed'}`))
    await page.route('**/*', (route) => {
      if (route.request().url() === url) return route.continue()
      failedRequests.push(`${route.request().url()}: requested by the report`)
      return route.abort()
    })
    await page.goto(url, { waitUntil: 'load' })

    const figures: FigureResult[] = await page.evaluate(() =>
      [...document.querySelectorAll('figure.chart')].map((fig) => {
        const svg = fig.querySelector('svg')
        const box = svg?.getBoundingClientRect()
        const drawn = !!svg && !!box && box.width > 0 && box.height > 0
        const from = Number(fig.dataset.from)
        const to = Number(fig.dataset.to)
        const left = Number(fig.dataset.plotLeft)
        const width = Number(fig.dataset.plotWidth)
        const x = (t: number): number => left + ((t - from) / (to - from)) * width
        // shapes as the browser laid them out, brought back to the SVG's own pixels (CSS may scale the chart)
        const scale = drawn ? box!.width / (svg!.viewBox?.baseVal.width || box!.width) : 1
        const shapes: [number, number][] = drawn
          ? [...svg!.querySelectorAll('polygon')]
              .filter((p) => p.getAttribute('fill') !== 'none')
              .map((p) => {
                const r = p.getBoundingClientRect()
                return [(r.left - box!.left) / scale, (r.right - box!.left) / scale] as [number, number]
              })
          : []
        // a vertical line: a stroked path with no fill, a few px wide at most and taller than it is wide
        const lines = drawn
          ? [...svg!.querySelectorAll('path')]
              .filter((p) => (p.getAttribute('fill') ?? 'none') === 'none' && p.getAttribute('stroke'))
              .map((p) => ({ r: p.getBoundingClientRect(), colour: (p.getAttribute('stroke') ?? '').toLowerCase() }))
              .filter(({ r }) => r.width <= 4 * scale && r.height > 4 * r.width + 8)
              .map(({ r, colour }) => ({ x: ((r.left + r.right) / 2 - box!.left) / scale, colour }))
          : []
        const windows = [...fig.querySelectorAll('[data-fault-start]')].map((li) => ({
          id: li.dataset.faultId ?? '?',
          x1: x(Number(li.dataset.faultStart)),
          x2: x(Number(li.dataset.faultEnd)),
          instant: li.dataset.faultInstant !== undefined,
          colour: (li.dataset.faultColour ?? '').toLowerCase(),
        }))
        return { edge: fig.dataset.edge ?? '?', drawn, panels: Number(fig.dataset.panels ?? 1), shapes, lines, windows }
      }),
    )

    const misplaced: string[] = []
    for (const f of figures) {
      for (const w of f.windows) {
        if (w.instant) {
          const hits = f.lines.filter((l) => l.colour === w.colour && Math.abs(l.x - w.x1) <= TOLERANCE_PX).length
          if (hits < f.panels) misplaced.push(`${f.edge} ${w.id}: expected a ${w.colour} line at x ${w.x1.toFixed(1)} in each of ${f.panels} panels, ${w.colour} lines at ${f.lines.filter((l) => l.colour === w.colour).map((l) => l.x.toFixed(1)).join(', ') || 'none'}`)
          continue
        }
        const hits = f.shapes.filter(([a, b]) => Math.abs(a - w.x1) <= TOLERANCE_PX && Math.abs(b - w.x2) <= TOLERANCE_PX).length
        if (hits < f.panels) misplaced.push(`${f.edge} ${w.id}: expected x ${w.x1.toFixed(1)}..${w.x2.toFixed(1)} in each of ${f.panels} panels, shapes at ${f.shapes.map(([a, b]) => `${a.toFixed(1)}..${b.toFixed(1)}`).join(', ') || 'none'}`)
      }
    }
    mkdirSync(dirname(resolve(screenshotPath)), { recursive: true })
    await page.screenshot({ path: screenshotPath, fullPage: true })
    return {
      charts: figures.filter((f) => f.drawn).length,
      faultsChecked: figures.reduce((n, f) => n + f.windows.length, 0),
      instantsChecked: figures.reduce((n, f) => n + f.windows.filter((w) => w.instant).length, 0),
      misplaced,
      consoleErrors,
      failedRequests,
    }
  } finally {
    await browser.close()
  }
}
