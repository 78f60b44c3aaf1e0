/**
 * @module dashboard/components/chart: an ECharts chart in the page, from an option (src/report/charts.ts builds the
 * same edge charts the HTML report draws as SVG). Redrawn in place when the option changes, resized with its box.
 * Only the parts of ECharts those charts use are bundled (lines, bars, marks, the canvas renderer).
 */
import { useEffect, useRef } from 'react'
import * as echarts from 'echarts/core'
import { BarChart, LineChart } from 'echarts/charts'
import { GridComponent, LegendComponent, MarkAreaComponent, MarkLineComponent, TitleComponent, TooltipComponent } from 'echarts/components'
import { CanvasRenderer } from 'echarts/renderers'
import type { EChartsOption } from 'echarts'

echarts.use([LineChart, BarChart, GridComponent, LegendComponent, MarkAreaComponent, MarkLineComponent, TitleComponent, TooltipComponent, CanvasRenderer])

export function EChart({ option, height, label }: { option: EChartsOption; height: number; label: string }) {
  const box = useRef<HTMLDivElement>(null)
  const chart = useRef<echarts.ECharts | undefined>(undefined)
  useEffect(() => {
    const el = box.current!
    const c = echarts.init(el, undefined, { renderer: 'canvas' })
    chart.current = c
    const resize = new ResizeObserver(() => c.resize())
    resize.observe(el)
    return () => {
      resize.disconnect()
      c.dispose()
      chart.current = undefined
    }
  }, [])
  useEffect(() => {
    chart.current?.setOption({ ...option, tooltip: option.tooltip ?? { trigger: 'axis' } }, { notMerge: true })
  }, [option])
  return <div ref={box} className="chart" style={{ height }} role="img" aria-label={label} />
}
