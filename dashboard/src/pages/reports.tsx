/**
 * @module dashboard/pages/reports: the runs of `chaoscope run` (`#/reports`, GET /api/v1/runs) and a run's report
 * (`#/reports/RUNID`), or the report of the last 15 minutes (`#/reports?since=15m`). "Download HTML" fetches the
 * HTML report with the token in its header and saves it from a Blob: the token is never in a URL.
 */
import { useEffect, useState } from 'react'
import { errorText } from '../api.js'
import { href, useRoute } from '../router.js'
import { useSession } from '../session.js'
import { useSignals } from '../signals.js'
import { Badge } from '../components/status.js'
import { ReportView } from '../components/report-view.js'
import { utcTime } from '../components/pod-time.js'
import type { RunRow } from '../../../src/store/store.js'

/** A run as GET /api/v1/runs lists it (the RunRecord schema): the store's row without its journal. */
type RunRecord = Pick<RunRow, 'id' | 'experiment' | 'title' | 'startedAt' | 'endedAt' | 'status' | 'deviated'>

export function ReportsPage({ run }: { run?: string | undefined }) {
  const { query } = useRoute()
  const since = query.get('since')
  if (run) return <Report query={{ run }} title={`Report of run ${run}`} file={`chaoscope-run-${run}.html`} />
  if (since) return <Report query={{ since }} title={`Report of the last ${since}`} file={`chaoscope-last-${since}.html`} />
  return <RunList />
}

function RunList() {
  const { api } = useSession()
  const [runs, setRuns] = useState<RunRecord[] | undefined>()
  const [error, setError] = useState<string | undefined>()
  useEffect(() => {
    api.get<{ items: RunRecord[] }>('/api/v1/runs').then((a) => setRuns(a.items), (e) => setError(errorText(e, { hint: false })))
  }, [api])
  return (
    <section aria-labelledby="rep-title">
      <h1 id="rep-title">Reports</h1>
      <p><a href={`${href('reports')}?since=15m`}>Report of the last 15 minutes</a></p>
      <h2>Runs of <code>chaoscope run</code></h2>
      {error ? <p role="alert" className="error">{error}</p> : !runs ? <p className="loading">Reading the runs…</p> : runs.length === 0 ? <p className="muted">No run kept yet: <code>chaoscope run experiment.json</code> keeps one.</p> : (
        <div className="table-wrap">
          <table aria-label="Runs">
            <thead><tr><th>Title</th><th>Status</th><th>Deviated</th><th>Started</th><th>Ended</th></tr></thead>
            <tbody>
              {[...runs].reverse().map((r) => (
                <tr key={r.id}>
                  <td><a href={href('reports', String(r.id))}>{r.title}</a></td>
                  <td><Badge text={r.status} /></td>
                  <td>{r.deviated ? 'yes' : 'no'}</td>
                  <td>{utcTime(r.startedAt)}</td>
                  <td>{utcTime(r.endedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}

function Report({ query, title, file }: { query: Record<string, string>; title: string; file: string }) {
  const { api } = useSession()
  const signals = useSignals(api, query, query.since ? 10_000 : 0)
  const [download, setDownload] = useState<string | undefined>()
  const save = async () => {
    setDownload('Fetching…')
    try {
      const html = await api.text(`/api/v1/report?${new URLSearchParams({ ...query, format: 'html' })}`)
      const url = URL.createObjectURL(new Blob([html], { type: 'text/html' }))
      const a = document.createElement('a')
      a.href = url
      a.download = file
      a.click()
      setTimeout(() => URL.revokeObjectURL(url), 1000)
      setDownload(undefined)
    } catch (e) {
      setDownload(errorText(e, { hint: false }))
    }
  }
  const noData = signals.error?.includes('REPORT_INVALID_RANGE')
  return (
    <section aria-labelledby="rep-title">
      <p><a href={href('reports')}>← Reports</a></p>
      <h1 id="rep-title">{title}</h1>
      <div className="actions">
        <button type="button" onClick={save}>Download HTML</button>
        {download ? <span role="status" className="muted">{download}</span> : null}
      </div>
      {signals.data ? <ReportView data={signals.data} /> : noData ? <p className="muted">No traffic recorded yet in this range.</p> : signals.error ? <p role="alert" className="error">{signals.error}</p> : <p className="loading">Reading the report…</p>}
    </section>
  )
}
