/**
 * @module report/charts: a report's charts as Apache ECharts options, pure data: report/chart-svg.ts draws them as SVG
 * on the server for the HTML report, the dashboard draws the same ones live in the browser. An edge's chart stacks three panels on one time axis (latency p50/p95/p99, error rate,
 * throughput) with every fault window shaded, every one-shot fault (a pod-kill: no duration) drawn as a solid line in
 * its colour, and each recovery marked; the score history is a bar per run. The latency and error-rate axes reach
 * above both the data and the tolerance line, so the line is always in view and labels at the top clear the data.
 *
 * The plot area is fixed in pixels (EDGE_LAYOUT) and the time axis runs exactly from the report's range start to its
 * end, so where a moment is drawn is plain arithmetic: x = left + (t - from) / (to - from) × width. The HTML
 * rendering writes those numbers on each chart's <figure> so a browser test can check the drawing against them.
 */
import type { EChartsOption, MarkAreaComponentOption, MarkLineComponentOption } from 'echarts'
import type { EdgeSeries, FaultWindow, ReportData, ScoreHistory } from './types.js'

// Single quotes inside: ECharts writes the family into SVG style="..." attributes without escaping it.
export const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
const INK = '#1f2328'
const MUTED = '#59636e'
const RULE = '#e4e7eb'

/** Shades for fault windows, in fault order (a report rarely has more than a few; they cycle after that). */
export const FAULT_COLOURS = ['#f0a020', '#8e5bd0', '#1a9e8f', '#d0483a']
export const faultColour = (i: number): string => FAULT_COLOURS[i % FAULT_COLOURS.length]!
const RECOVERY_COLOUR = '#1e8e3e'

/** An edge chart's geometry, in SVG pixels. The three panels share the left and right margins and the time axis. */
export const EDGE_LAYOUT = {
  width: 1100,
  height: 480,
  left: 76,
  right: 28,
  panels: [
    { top: 40, height: 160 },
    { top: 240, height: 80 },
    { top: 360, height: 80 },
  ],
} as const

export interface ChartWindow {
  faultId: string
  name: string
  /** Epoch ms, clipped to the range: what the chart shades. */
  start: number
  end: number
  colour: string
  /** A one-shot fault (pod-kill, container-kill): its end is its start, so it is drawn as a line at `start`, not shaded. */
  instant: boolean
}

export interface EdgeChart {
  edge: string
  svg: string
  /** The time axis: epoch ms at the plot's left and right edges. */
  from: number
  to: number
  plotLeft: number
  plotWidth: number
  windows: ChartWindow[]
}

/** The fault windows as a chart draws them: clipped to the range; one still active runs to the range's end. */
export function chartWindows(data: ReportData): ChartWindow[] {
  const from = Date.parse(data.range.from)
  const to = Date.parse(data.range.to)
  return data.faults.map((f: FaultWindow, i) => ({
    faultId: f.id,
    name: f.action ? `${f.experiment.name} (${f.action})` : f.experiment.name,
    start: Math.max(from, Date.parse(f.start)),
    end: Math.min(to, f.end === null ? to : Date.parse(f.end)),
    colour: faultColour(i),
    instant: isInstant(f),
  }))
}

/** A fault that happened at one moment (PodChaos pod-kill, container-kill): the report gives it an end equal to its start. */
export const isInstant = (f: FaultWindow): boolean => f.end !== null && Date.parse(f.end) === Date.parse(f.start)

const round = (n: number, digits: number): number => Number(n.toFixed(digits))

/** Tick intervals a reader takes in at a glance, per power of ten. */
const STEPS = [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]

/**
 * A value axis from 0 that shows both the data and the tolerance line (ECharts fits the axis to the data alone, which
 * leaves a tolerance above the data off the chart), `headroom` times as high so the labels drawn at the plot's top
 * clear them, on `splits` round ticks.
 */
function axisScale(values: readonly (number | null)[], limit: number | null, splits: number, headroom: number): { max: number; interval: number } {
  const top = values.reduce<number>((m, v) => (v !== null && v > m ? v : m), Math.max(0, limit ?? 0)) * headroom
  const raw = (top > 0 ? top : 1) / splits
  const power = 10 ** Math.floor(Math.log10(raw))
  const interval = Number((STEPS.find((s) => s * power >= raw * (1 - 1e-9))! * power).toPrecision(6))
  return { max: Number((interval * splits).toPrecision(6)), interval }
}

/** One number per point, kept as a gap (null) where the step had no request. */
const line = (edge: EdgeSeries, pick: (p: EdgeSeries['points'][number]) => number | null): [number, number | null][] =>
  edge.points.map((p) => [p.t, pick(p)])

/**
 * The ECharts option of an edge's chart and its time axis: what edgeChart (report/chart-svg.ts) renders to SVG on the server, and
 * what the dashboard renders in the browser (the same chart, live and with tooltips).
 */
export function edgeChartOption(data: ReportData, edge: EdgeSeries): Omit<EdgeChart, 'edge' | 'svg'> & { option: EChartsOption } {
  const L = EDGE_LAYOUT
  const from = Date.parse(data.range.from)
  const to = Date.parse(data.range.to)
  const windows = chartWindows(data)
  const plotWidth = L.width - L.left - L.right

  const spans = windows.filter((w) => !w.instant)
  const instants = windows.filter((w) => w.instant)
  const shade = (labelled: boolean): MarkAreaComponentOption => ({
    silent: true,
    data: spans.map((w) => [
      {
        name: w.name,
        xAxis: w.start,
        itemStyle: { color: w.colour, opacity: 0.16 },
        label: labelled
          ? { show: true, position: 'insideTop', color: INK, fontSize: 12, fontWeight: 600, backgroundColor: 'rgba(255,255,255,0.85)', padding: [2, 4] }
          : { show: false },
      },
      { xAxis: w.end },
    ]),
  })
  // Back at once (0 s) is the fault's own end: a second line there would only hide it; the caption says it.
  const recovered = edge.recovery.filter((r) => r.recoveredAt !== null && (r.secondsToRecover ?? 0) > 0)
  const recovery = (labelled: boolean): MarkLineComponentOption['data'] =>
    recovered.map((r) => ({
      xAxis: Date.parse(r.recoveredAt!),
      lineStyle: { color: RECOVERY_COLOUR, type: 'dashed', width: 1.5 },
      label: labelled
        ? { show: true, position: 'insideEndTop', color: RECOVERY_COLOUR, fontSize: 11, formatter: `recovered +${r.secondsToRecover ?? 0} s` }
        : { show: false },
    }))
  const xOf = (t: number): number => L.left + ((t - from) / (to - from)) * plotWidth
  // A one-shot fault's line. Its label (top panel only, as the shades') reads across the plot's top, before the line
  // where it fits, since the recovery it may be followed by is marked after it; a row lower when a shade's label may
  // sit there.
  const instant = (labelled: boolean): MarkLineComponentOption['data'] =>
    instants.map((w) => {
      const before = xOf(w.start) - L.left > w.name.length * 7.5 + 16
      const shaded = spans.some((s) => s.start <= w.start && w.start <= s.end)
      return {
        xAxis: w.start,
        lineStyle: { color: w.colour, type: 'solid', width: 2, opacity: 1 },
        label: labelled
          ? {
              show: true, position: 'end', distance: shaded ? -44 : -20, align: before ? 'right' : 'left', offset: [before ? -5 : 5, 0], formatter: w.name,
              color: INK, fontSize: 12, fontWeight: 600, backgroundColor: 'rgba(255,255,255,0.85)', padding: [2, 4],
            }
          : { show: false },
      }
    })
  const threshold = (value: number, text: string): NonNullable<MarkLineComponentOption['data']>[number] => ({
    yAxis: value,
    lineStyle: { color: '#b42318', type: 'dotted', width: 1 },
    label: { show: true, position: 'insideStartTop', color: '#b42318', fontSize: 11, formatter: text },
  })
  const marks = (labelled: boolean, extra: MarkLineComponentOption['data'] = []): MarkLineComponentOption => ({
    silent: true,
    symbol: 'none',
    data: [...(instant(labelled) ?? []), ...(recovery(labelled) ?? []), ...extra],
  })

  const tol = edge.tolerance
  const latencyLimit = tol?.p99Ms != null ? [threshold(tol.p99Ms, `p99 tolerance ${round(tol.p99Ms, 1)} ms`)] : []
  const errorLimit = tol ? [threshold(round(tol.errorRate * 100, 3), `tolerance ${round(tol.errorRate * 100, 2)}%`)] : []

  // The latency panel keeps its top 30% for two rows of labels (the shades', then the one-shot faults') and the
  // tolerance line's own label; the error-rate panel only needs room for that last one.
  const latencyAxis = axisScale(edge.points.flatMap((p) => [p.p50Ms, p.p95Ms, p.p99Ms]), tol?.p99Ms ?? null, 4, 1.4)
  const errorAxis = axisScale(edge.points.map((p) => (p.errorRate === null ? null : p.errorRate * 100)), tol ? tol.errorRate * 100 : null, 2, 1.25)
  const scales = [latencyAxis, errorAxis, null]

  const titles = ['Latency (ms)', 'Error rate (%)', 'Throughput (requests/s)']
  const units = ['ms', '%', 'rps']
  const option: EChartsOption = {
    animation: false,
    useUTC: true,
    backgroundColor: '#ffffff',
    textStyle: { fontFamily: FONT, color: INK },
    title: L.panels.map((p, i) => ({
      text: titles[i],
      left: L.left - 6,
      top: p.top - 30,
      textStyle: { fontSize: 13, fontWeight: 600, color: INK, fontFamily: FONT },
    })),
    legend: {
      top: L.panels[0].top - 30,
      right: L.right,
      itemWidth: 18,
      itemHeight: 3,
      icon: 'rect',
      textStyle: { fontSize: 12, color: MUTED },
      data: ['p50', 'p95', 'p99'],
    },
    grid: L.panels.map((p) => ({ left: L.left, right: L.right, top: p.top, height: p.height, outerBoundsMode: 'none' as const })),
    xAxis: L.panels.map((_, i) => ({
      type: 'time' as const,
      gridIndex: i,
      min: from,
      max: to,
      axisLine: { lineStyle: { color: '#8c959f' } },
      axisTick: { show: i === L.panels.length - 1 },
      splitLine: { show: true, lineStyle: { color: RULE } },
      axisLabel: { show: i === L.panels.length - 1, color: MUTED, fontSize: 11, formatter: '{HH}:{mm}:{ss}', hideOverlap: true, alignMinLabel: 'left', alignMaxLabel: 'right' },
      ...(i === L.panels.length - 1 ? { name: 'time (UTC)', nameLocation: 'middle' as const, nameGap: 26, nameTextStyle: { color: MUTED, fontSize: 11 } } : {}),
    })),
    yAxis: L.panels.map((_, i) => ({
      type: 'value' as const,
      gridIndex: i,
      min: 0,
      ...(scales[i] ?? { splitNumber: 2 }),
      axisLabel: { color: MUTED, fontSize: 11, formatter: `{value} ${units[i]}` },
      splitLine: { lineStyle: { color: RULE } },
    })),
    series: [
      { name: 'p50', type: 'line', xAxisIndex: 0, yAxisIndex: 0, showSymbol: false, color: '#8fb8e8', lineStyle: { width: 1.5 }, data: line(edge, (p) => p.p50Ms), markArea: shade(true) },
      { name: 'p95', type: 'line', xAxisIndex: 0, yAxisIndex: 0, showSymbol: false, color: '#3a7bd5', lineStyle: { width: 1.5 }, data: line(edge, (p) => p.p95Ms) },
      { name: 'p99', type: 'line', xAxisIndex: 0, yAxisIndex: 0, showSymbol: false, color: '#0b2e6b', lineStyle: { width: 2 }, data: line(edge, (p) => p.p99Ms), markLine: marks(true, latencyLimit) },
      {
        name: 'error rate', type: 'line', xAxisIndex: 1, yAxisIndex: 1, showSymbol: false, color: '#c62828', lineStyle: { width: 1.5 },
        areaStyle: { opacity: 0.08 }, data: line(edge, (p) => (p.errorRate === null ? null : round(p.errorRate * 100, 3))),
        markArea: shade(false), markLine: marks(false, errorLimit),
      },
      {
        name: 'throughput', type: 'line', xAxisIndex: 2, yAxisIndex: 2, showSymbol: false, color: '#2e7d32', lineStyle: { width: 1.5 },
        areaStyle: { opacity: 0.08 }, data: line(edge, (p) => round(p.rps, 3)), markArea: shade(false), markLine: marks(false),
      },
    ],
  }
  return { option, from, to, plotLeft: L.left, plotWidth, windows }
}

const VERDICT_COLOURS: Record<string, string> = {
  passed: '#1e8e3e',
  deviated: '#d97706',
  'deviated-during': '#d97706',
  failed: '#c62828',
  aborted: '#6b7280',
  interrupted: '#6b7280',
  'not-tested': '#9ca3af',
}
export const verdictColour = (v: string): string => VERDICT_COLOURS[v] ?? '#6b7280'

/** The score of each run of one experiment, a bar per run coloured by its verdict, with the mean as a line. */
export function historyChartOption(h: ScoreHistory): EChartsOption {
  return {
    animation: false,
    useUTC: true,
    backgroundColor: '#ffffff',
    textStyle: { fontFamily: FONT, color: INK },
    grid: { left: 48, right: 96, top: 16, bottom: 32, outerBoundsMode: 'none' },
    xAxis: {
      type: 'category',
      data: h.runs.map((r) => r.at.slice(5, 16).replace('T', ' ')),
      axisLabel: { color: MUTED, fontSize: 11, hideOverlap: true },
      axisLine: { lineStyle: { color: '#8c959f' } },
    },
    yAxis: { type: 'value', min: 0, max: 100, interval: 25, axisLabel: { color: MUTED, fontSize: 11 }, splitLine: { lineStyle: { color: RULE } } },
    series: [
      {
        type: 'bar',
        barMaxWidth: 36,
        data: h.runs.map((r) => ({ value: r.score, itemStyle: { color: verdictColour(r.verdict) } })),
        label: { show: true, position: 'top', color: INK, fontSize: 11 },
        markLine: {
          silent: true,
          symbol: 'none',
          data: [{ yAxis: round(h.mean, 1), lineStyle: { color: MUTED, type: 'dashed' }, label: { position: 'end', color: MUTED, fontSize: 11, formatter: `mean ${round(h.mean, 1)}` } }],
        },
      },
    ],
  }
}
