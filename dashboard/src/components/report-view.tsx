/**
 * @module dashboard/components/report-view: a report (GET /api/v1/report?format=json) in the page: each run's
 * verdict, its hypothesis checks per phase with their probes and its score; the faults; the services' impact; and
 * every edge's chart, the HTML report's own (src/report/charts.ts edgeChartOption), live with tooltips.
 * The fault windows a chart shades are also on its container (data-windows="startMs-endMs,…") for tests.
 */
import { useMemo } from 'react'
import { EDGE_LAYOUT, edgeChartOption } from '../../../src/report/charts.js'
import type { EdgeSeries, ReportData, RunSummary } from '../types.js'
import { EChart } from './chart.js'
import { Badge } from './status.js'
import { utcTime } from './pod-time.js'

const pct = (r: number | null) => (r === null ? '—' : `${(r * 100).toFixed(1)}%`)
const ms = (v: number | null) => (v === null ? '—' : `${Math.round(v)} ms`)

export function ReportView({ data }: { data: ReportData }) {
  return (
    <div className="report">
      <p className="muted">{utcTime(data.range.from)} to {utcTime(data.range.to)}, {data.stepSeconds} s a point. Generated {utcTime(data.generatedAt)}.</p>
      {data.notes.length ? <ul className="notes">{data.notes.map((n, i) => <li key={i}>{n}</li>)}</ul> : null}
      {data.runs.map((r, i) => <RunView key={i} run={r} />)}
      <Faults data={data} />
      <Services data={data} />
      <h2>Edges ({data.edges.length})</h2>
      {data.edges.length === 0 ? <p className="muted">No traffic recorded in this range.</p> : (
        <div className="report-edges">
          {data.edges.map((e) => <EdgeChartBox key={e.id} data={data} edge={e} />)}
        </div>
      )}
    </div>
  )
}

function RunView({ run }: { run: RunSummary }) {
  return (
    <div className="panel run">
      <h2>{run.title} <Badge text={run.verdict === 'deviated-during' ? 'deviated during the method' : run.verdict} /></h2>
      <p>Status <strong>{run.status}</strong>{run.deviated ? ', deviated' : ''}; {utcTime(run.startedAt)} to {utcTime(run.endedAt)}. Score <strong>{run.score.value}</strong>/100 <span className="help">({run.score.formula})</span></p>
      {run.hypothesis.length === 0 ? <p className="muted">No steady-state hypothesis was checked.</p> : (
        <div className="table-wrap">
          <table aria-label={`Hypothesis checks of ${run.title}`}>
            <thead><tr><th>Phase</th><th>At</th><th>Probe</th><th>Met</th><th>Observed</th><th>Expected</th></tr></thead>
            <tbody>
              {run.hypothesis.flatMap((h, i) => (h.probes.length ? h.probes : [undefined]).map((p, j) => (
                <tr key={`${i}-${j}`}>
                  <td>{j === 0 ? <>{h.phase} <Badge text={h.met ? 'met' : 'not met'} /></> : null}</td>
                  <td>{j === 0 ? utcTime(h.at) : null}</td>
                  <td>{p?.name ?? '—'}</td>
                  <td>{p ? (p.ran ? (p.met ? 'yes' : 'no') : 'errored') : '—'}</td>
                  <td className="mono">{p?.observed ?? ''}</td>
                  <td className="mono">{p?.expected ?? ''}</td>
                </tr>
              )))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  )
}

function Faults({ data }: { data: ReportData }) {
  return (
    <>
      <h2>Faults ({data.faults.length})</h2>
      {data.faults.length === 0 ? <p className="muted">No fault was active in this range.</p> : (
        <div className="table-wrap">
          <table aria-label="Faults">
            <thead><tr><th>Experiment</th><th>Action</th><th>Targets</th><th>Start</th><th>End</th></tr></thead>
            <tbody>
              {data.faults.map((f) => (
                <tr key={f.id}>
                  <td>{f.experiment.kind} {f.experiment.namespace}/{f.experiment.name}</td>
                  <td>{f.action ?? '—'}</td>
                  <td className="mono">{f.targets.join(', ')}</td>
                  <td>{utcTime(f.start)}</td>
                  <td>{f.end ? utcTime(f.end) : 'still active'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  )
}

function Services({ data }: { data: ReportData }) {
  if (data.services.length === 0) return null
  return (
    <>
      <h2>Services</h2>
      <div className="table-wrap">
        <table aria-label="Services">
          <thead><tr><th>Service</th><th>Requests</th><th>Errors before / during / after</th><th>p99 before / during / after</th><th>Recovered in</th></tr></thead>
          <tbody>
            {data.services.map((s) => (
              <tr key={s.service}>
                <td>{s.service}{s.affected ? <> <Badge text="affected" /></> : null}</td>
                <td>{s.requests}</td>
                <td>{pct(s.before.errorRate)} / {pct(s.during.errorRate)} / {pct(s.after.errorRate)}</td>
                <td>{ms(s.before.p99Ms)} / {ms(s.during.p99Ms)} / {ms(s.after.p99Ms)}</td>
                <td>{s.recoveryUnknown ? 'unknown (no traffic after)' : s.secondsToRecover === null ? '—' : `${s.secondsToRecover} s`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  )
}

function EdgeChartBox({ data, edge }: { data: ReportData; edge: EdgeSeries }) {
  const chart = useMemo(() => edgeChartOption(data, edge), [data, edge])
  const windows = chart.windows.map((w) => `${w.start}-${w.end}`).join(',')
  return (
    <div className="panel edge" data-edge={edge.id} data-windows={windows}>
      <h3>{edge.source} → {edge.destination}{edge.affected ? <> <Badge text="affected" /></> : null}</h3>
      <EChart option={chart.option} height={EDGE_LAYOUT.height} label={`Latency, error rate and throughput of ${edge.id}, with ${chart.windows.length} fault window(s)`} />
    </div>
  )
}
