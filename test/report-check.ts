/**
 * Opens a rendered HTML report in headless Chromium and checks what a reader would see: it loads nothing (every
 * request but the file itself is refused and counted, CSP violations show as console errors), its charts are drawn,
 * and each fault window a chart lists is shaded where the chart's time axis puts it: the figure's data-from, data-to,
 * data-plot-left and data-plot-width give x = left + (t - from) / (to - from) × width, in the SVG's own pixels.
 * Saves a full-page screenshot. Used by the report's browser test and the end-to-end test of a real run's report.
 */
import { existsSync, mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { chromium } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'
export const hasChromium = (): boolean => existsSync(CHROMIUM)

/** How far (SVG px) a shaded window's edge may sit from where the axis puts it. */
export const TOLERANCE_PX = 3

export interface ReportCheck {
  /** Figures of class `chart` with an SVG that has a visible size. */
  charts: number
  /** Fault windows (listed in a chart) whose shading was looked for. */
  faultsChecked: number
  /** Fault windows with no shaded shape at the expected x: `edge fault: expected x1..x2, shapes at ...`. */
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
  windows: { id: string; x1: number; x2: number; shapes: [number, number][] }[]
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
        const windows = [...fig.querySelectorAll('[data-fault-start]')].map((li) => ({
          id: li.dataset.faultId ?? '?',
          x1: x(Number(li.dataset.faultStart)),
          x2: x(Number(li.dataset.faultEnd)),
          shapes,
        }))
        return { edge: fig.dataset.edge ?? '?', drawn, windows }
      }),
    )

    const misplaced: string[] = []
    for (const f of figures) {
      for (const w of f.windows) {
        const hit = w.shapes.some(([a, b]) => Math.abs(a - w.x1) <= TOLERANCE_PX && Math.abs(b - w.x2) <= TOLERANCE_PX)
        if (!hit) misplaced.push(`${f.edge} ${w.id}: expected x ${w.x1.toFixed(1)}..${w.x2.toFixed(1)}, shapes at ${w.shapes.map(([a, b]) => `${a.toFixed(1)}..${b.toFixed(1)}`).join(', ') || 'none'}`)
      }
    }
    mkdirSync(dirname(resolve(screenshotPath)), { recursive: true })
    await page.screenshot({ path: screenshotPath, fullPage: true })
    return {
      charts: figures.filter((f) => f.drawn).length,
      faultsChecked: figures.reduce((n, f) => n + f.windows.length, 0),
      misplaced,
      consoleErrors,
      failedRequests,
    }
  } finally {
    await browser.close()
  }
}
