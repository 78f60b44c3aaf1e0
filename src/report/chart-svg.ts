/**
 * @module report/chart-svg: a report's charts as SVG strings, drawn on the server by Apache ECharts in its SSR mode (no
 * DOM, no script in the page), from the options report/charts.ts builds. Kept apart from those options so that the
 * dashboard, which draws the same options in the browser, does not bundle this (and all of ECharts) with them.
 */
import * as echarts from 'echarts'
import type { EChartsOption } from 'echarts'
import { EDGE_LAYOUT, edgeChartOption, historyChartOption } from './charts.js'
import type { EdgeChart } from './charts.js'
import type { EdgeSeries, ReportData, ScoreHistory } from './types.js'

/** The chart for one edge over the report's range, drawn as SVG. */
export function edgeChart(data: ReportData, edge: EdgeSeries): EdgeChart {
  const { option, ...geometry } = edgeChartOption(data, edge)
  return { edge: edge.id, svg: renderSvg(option, EDGE_LAYOUT.width, EDGE_LAYOUT.height, `e${slug(edge.id)}`), ...geometry }
}

/** The score history of one experiment (a bar per run), drawn as SVG. */
export function historyChart(h: ScoreHistory): string {
  return renderSvg(historyChartOption(h), 560, 200, `h${slug(h.experiment)}`)
}

/** A short, stable id fragment from any text (ids of SVG elements must not collide across charts of one page). */
function slug(s: string): string {
  let h = 0x811c9dc5
  for (const c of s) h = Math.imul(h ^ c.codePointAt(0)!, 0x01000193) >>> 0
  return h.toString(36)
}

/**
 * Renders an option to an SVG string. ECharts numbers its zrender instances across the process (zr0, zr1...), so
 * the same data would give different ids on the second call: the prefix replaces that number, which keeps the output
 * deterministic and the ids unique in a page of many charts. The hover styles (and the classes that name them, numbered
 * across the process too) and ECharts' bookkeeping attributes are dropped: nothing in a report reacts to the mouse.
 */
function renderSvg(option: EChartsOption, width: number, height: number, prefix: string): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height })
  try {
    chart.setOption(option)
    return chart
      .renderToSVGString()
      .replace(/zr\d+-/g, `${prefix}-`)
      .replace(/<style\s*>[\s\S]*?<\/style>/g, '')
      .replace(/ ecmeta_[a-z_]+="[^"]*"/g, '')
      .replace(/ class="[^"]*-cls-\d+"/g, '')
      .replace(/ xmlns(:xlink)?="[^"]*"/g, '')
      .replace(/<svg /, `<svg role="img" `)
  } finally {
    chart.dispose()
  }
}
