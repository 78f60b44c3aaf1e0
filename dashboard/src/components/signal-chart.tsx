/**
 * @module dashboard/components/signal-chart: golden-signal charts drawn live from the report API's data. A compact
 * chart per service for the overview (p99 latency and error rate), and an edge's full chart for an experiment's
 * page (the HTML report's own, from edgeChartOption). Each chart's box carries the fault windows it shades as
 * `data-windows="startMs-endMs,..."` (and its time axis as data-from, data-to), so a browser test can check them.
 */
import { useEffect, useMemo, useState } from 'react'
import type { EChartsOption, MarkAreaComponentOption } from 'echarts'
import { chartWindows, edgeChartOption, FONT } from '../../../src/report/charts.js'
import type { ChartWindow } from '../../../src/report/charts.js'
import { EChart } from './chart.js'
import type { EdgeSeries, ReportData } from '../types.js'

/** The sources of the sidecars that see every request a service serves (its own ingress), as the report counts them. */
const OWN_SOURCES = ['ingress', 'proxy']

/** `startMs-endMs,...`: the windows as the chart's data attribute. */
export function windowsAttr(windows: readonly ChartWindow[]): string {
  return windows.map((w) => `${w.start}-${w.end}`).join(',')
}

/**
 * The fault windows as bands for a compact chart: overlapping ones merged into one (fifty experiments at once are
 * one band, not fifty shades drawn over each other), one-shot faults kept apart as lines.
 */
export function mergedWindows(windows: readonly ChartWindow[]): ChartWindow[] {
  const spans = windows.filter((w) => !w.instant).sort((a, b) => a.start - b.start)
  const merged: ChartWindow[] = []
  for (const w of spans) {
    const last = merged[merged.length - 1]
    if (last && w.start <= last.end) merged[merged.length - 1] = { ...last, end: Math.max(last.end, w.end), name: `${last.name}, …` }
    else merged.push({ ...w })
  }
  return [...merged, ...windows.filter((w) => w.instant)]
}

/** The edge that stands for a service on the overview: its own ingress when it has one, else its first inbound edge. */
export function serviceEdge(data: ReportData, service: string): EdgeSeries | undefined {
  const inbound = data.edges.filter((e) => e.destination === service)
  return inbound.find((e) => OWN_SOURCES.includes(e.source)) ?? inbound[0]
}

/** The services the report saw traffic to, those with a fault still active first, then in the report's order of impact. */
export function servicesByFault(data: ReportData): { service: string; faulted: boolean }[] {
  const active = new Set(data.faults.filter((f) => f.end === null).flatMap((f) => f.services))
  const seen = new Set(data.edges.map((e) => e.destination))
  const ordered = [...data.services.map((s) => s.service), ...[...seen].sort()].filter((s, i, all) => seen.has(s) && all.indexOf(s) === i)
  return ordered.map((service) => ({ service, faulted: active.has(service) })).sort((a, b) => Number(b.faulted) - Number(a.faulted))
}

/**
 * The time the compact chart spans: the report's range from its first traffic or fault window on (the series is
 * zero-filled before), at least a minute, so a shop up for a minute fills the chart instead of a sliver at its right edge.
 */
function dataSpan(data: ReportData, edge: EdgeSeries, windows: readonly ChartWindow[]): { from: number; to: number } {
  const from = Date.parse(data.range.from)
  const to = Date.parse(data.range.to)
  const firstTraffic = edge.points.find((p) => p.rps > 0)?.t ?? to
  const first = Math.min(firstTraffic, ...windows.map((w) => w.start))
  return { from: Math.max(from, Math.min(first, to - 60_000)), to }
}

/** The error-rate axis' top: 1, 2, 5, 10, 20, 50 or 100 %, the first at or above the highest rate. */
function niceTop(max: number): number {
  return [1, 2, 5, 10, 20, 50, 100].find((n) => n >= max) ?? 100
}

/** A compact chart of one service: p99 latency above, error rate below, every fault window of the range shaded. */
export function serviceChartOption(data: ReportData, edge: EdgeSeries, windows: readonly ChartWindow[]): EChartsOption {
  const { from, to } = dataSpan(data, edge, windows)
  const errorTop = niceTop(edge.points.reduce((m, p) => Math.max(m, (p.errorRate ?? 0) * 100), 0))
  // a one-shot fault (pod-kill) is a one-second band, strong enough to see at this size
  const shade: MarkAreaComponentOption = {
    silent: true,
    data: windows.map((w) => [{ xAxis: w.start, itemStyle: { color: w.colour, opacity: w.instant ? 0.9 : 0.18 } }, { xAxis: w.instant ? w.start + 1000 : w.end }]),
  }
  const grid = [{ left: 58, right: 12, top: 22, height: 70 }, { left: 58, right: 12, top: 122, height: 40 }]
  return {
    animation: false,
    useUTC: true,
    textStyle: { fontFamily: FONT },
    tooltip: { trigger: 'axis' },
    title: [
      { text: 'p99 latency', left: 52, top: 0, textStyle: { fontSize: 12, fontWeight: 600 } },
      { text: 'error rate', left: 52, top: 100, textStyle: { fontSize: 12, fontWeight: 600 } },
    ],
    grid,
    xAxis: grid.map((_, i) => ({
      type: 'time' as const, gridIndex: i, min: from, max: to,
      // seconds on the ticks while the span is short, else every tick of a minute would read the same
      axisLabel: { show: i === 1, fontSize: 10, formatter: to - from < 10 * 60_000 ? '{HH}:{mm}:{ss}' : '{HH}:{mm}', hideOverlap: true },
      splitLine: { show: false },
    })),
    yAxis: [
      { type: 'value' as const, gridIndex: 0, min: 0, splitNumber: 2, axisLabel: { fontSize: 10, formatter: '{value} ms' } },
      { type: 'value' as const, gridIndex: 1, min: 0, max: errorTop, interval: errorTop, axisLabel: { fontSize: 10, formatter: '{value}%' } },
    ],
    series: [
      { name: 'p99 (ms)', type: 'line', xAxisIndex: 0, yAxisIndex: 0, showSymbol: false, color: '#0b2e6b', lineStyle: { width: 1.5 }, data: edge.points.map((p) => [p.t, p.p99Ms]), markArea: shade },
      {
        name: 'errors (%)', type: 'line', xAxisIndex: 1, yAxisIndex: 1, showSymbol: false, color: '#c62828', lineStyle: { width: 1.5 }, areaStyle: { opacity: 0.1 },
        data: edge.points.map((p) => [p.t, p.errorRate === null ? null : Number((p.errorRate * 100).toFixed(2))]), markArea: shade,
      },
    ],
  }
}

/**
 * Whether a chart may be drawn yet: not in the render that first shows a page, so the text (counts, tables)
 * appears before the charts take the main thread, one animation frame later.
 */
function useAfterFirstPaint(): boolean {
  const [ready, setReady] = useState(false)
  useEffect(() => {
    const frame = requestAnimationFrame(() => setTimeout(() => setReady(true), 0))
    return () => cancelAnimationFrame(frame)
  }, [])
  return ready
}

/** The overview's chart of one service. */
export function ServiceChart({ data, service, faulted }: { data: ReportData; service: string; faulted: boolean }) {
  const ready = useAfterFirstPaint()
  const edge = serviceEdge(data, service)
  const windows = useMemo(() => mergedWindows(chartWindows(data)), [data])
  const option = useMemo(() => (edge ? serviceChartOption(data, edge, windows) : undefined), [data, edge, windows])
  if (!edge || !option) return null
  const last = [...edge.points].reverse().find((p) => p.p99Ms !== null)
  return (
    <figure className="service-chart panel" data-service={service} data-windows={windowsAttr(windows)} data-from={Date.parse(data.range.from)} data-to={Date.parse(data.range.to)}>
      <figcaption>
        <strong>{service}</strong>
        {faulted ? <span className="badge warning">fault active</span> : null}
        <span className="muted">{last ? `p99 ${last.p99Ms} ms · ${((last.errorRate ?? 0) * 100).toFixed(1)}% errors · ${last.rps.toFixed(1)} rps` : 'no requests lately'}</span>
      </figcaption>
      {ready ? <EChart option={option} height={190} label={`${service}: p99 latency and error rate lately (up to 15 minutes), fault windows shaded, times in UTC`} /> : <div className="chart" style={{ height: 190 }} />}
    </figure>
  )
}

/** An edge's full chart (latency p50/p95/p99, error rate, throughput; fault windows shaded, recoveries marked). */
export function EdgeChart({ data, edge }: { data: ReportData; edge: EdgeSeries }) {
  const chart = useMemo(() => edgeChartOption(data, edge), [data, edge])
  return (
    <figure className="edge-chart panel" data-edge={edge.id} data-windows={windowsAttr(chart.windows)} data-from={chart.from} data-to={chart.to}>
      <figcaption><strong>{edge.source} → {edge.destination}</strong></figcaption>
      <EChart option={chart.option} height={480} label={`${edge.id}: latency, error rate and throughput with the fault windows shaded, times in UTC`} />
    </figure>
  )
}
