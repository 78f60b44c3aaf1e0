/**
 * @module dashboard/components/experiment-signals: the signals of the services an experiment acted on, around its
 * fault windows: from a minute before it was created to now while it runs (read again every 5 s), or to a minute
 * after its last recovery once it is finished. Each inbound edge of those services gets the report's edge chart.
 */
import { useMemo } from 'react'
import type { Api } from '../api.js'
import { useSignals } from '../signals.js'
import { chartWindows } from '../../../src/report/charts.js'
import { EdgeChart, windowsAttr } from './signal-chart.js'
import { phaseGroup } from './experiment-parts.js'
import { phaseOf } from './status.js'
import type { ChaosObject, EdgeSeries, FaultWindow, ReportData } from '../types.js'

const MINUTE = 60_000
/** The most edge charts drawn for one experiment (a service with many callers has many inbound edges). */
const MAX_CHARTS = 6
/** The most fault windows shaded on its charts. */
const MAX_WINDOWS = 12

/** The last time a target of the experiment was recovered (its records' Recover operations), or undefined. */
function lastRecovery(o: ChaosObject): number | undefined {
  const times = (o.status?.experiment?.containerRecords ?? []).flatMap((r) => (r.events ?? []).filter((e) => e.operation === 'Recover').map((e) => Date.parse(e.timestamp)))
  return times.length ? Math.max(...times) : undefined
}

/**
 * The report query for the experiment. While it can still act, `since` whole minutes back to a minute before its
 * creation, so the query (and the read) changes once a minute, not on every render; once it is finished and a
 * minute has passed since its last recovery, the fixed range around it, read once.
 */
export function signalQuery(o: ChaosObject, now: number): { query: Record<string, string>; everyMs: number } {
  const from = Date.parse(o.metadata.creationTimestamp ?? new Date(now).toISOString()) - MINUTE
  const recovered = lastRecovery(o)
  if (phaseGroup(phaseOf(o)) === 'finished' && recovered !== undefined && recovered + MINUTE < now) {
    return { query: { from: new Date(from).toISOString(), to: new Date(recovered + MINUTE).toISOString() }, everyMs: 0 }
  }
  return { query: { since: `${Math.max(1, Math.ceil((now - from) / MINUTE))}m` }, everyMs: 5000 }
}

/** The fault windows of this experiment in a report (by uid when both have one: a re-created name is another experiment). */
export function faultsOf(data: ReportData, o: ChaosObject): FaultWindow[] {
  return data.faults.filter((f) =>
    f.experiment.kind === o.kind && f.experiment.namespace === o.metadata.namespace && f.experiment.name === o.metadata.name &&
    (!f.experiment.uid || !o.metadata.uid || f.experiment.uid === o.metadata.uid))
}

/** The edges into the services of `faults`, each service's own ingress first. */
export function affectedEdges(data: ReportData, faults: readonly FaultWindow[]): EdgeSeries[] {
  const services = new Set(faults.flatMap((f) => f.services))
  const own = (e: EdgeSeries) => (e.source === 'ingress' || e.source === 'proxy' ? 0 : 1)
  return data.edges.filter((e) => services.has(e.destination)).sort((a, b) => a.destination.localeCompare(b.destination) || own(a) - own(b) || a.source.localeCompare(b.source))
}

/**
 * The report with the fault windows its charts shade: this experiment's, then others on the same services, at most
 * {@link MAX_WINDOWS} in all (a thousand other faults in the range would bury its own and take seconds to draw).
 */
function withFaults(data: ReportData, mine: readonly FaultWindow[]): ReportData {
  const services = new Set(mine.flatMap((f) => f.services))
  const ids = new Set(mine.map((f) => f.id))
  const others = data.faults.filter((f) => !ids.has(f.id) && f.services.some((s) => services.has(s)))
  const kept = new Set([...mine, ...others].slice(0, MAX_WINDOWS).map((f) => f.id))
  return { ...data, faults: data.faults.filter((f) => kept.has(f.id)) }
}

export function ExperimentSignals({ api, object, now }: { api: Api; object: ChaosObject; now: number }) {
  const { query, everyMs } = signalQuery(object, now)
  const signals = useSignals(api, query, everyMs)
  const data = signals.data
  const faults = useMemo(() => (data ? faultsOf(data, object) : []), [data, object])
  const edges = useMemo(() => (data ? affectedEdges(data, faults) : []), [data, faults])
  const shaded = useMemo(() => (data ? withFaults(data, faults) : undefined), [data, faults])
  const ids = new Set(faults.map((f) => f.id))
  const windows = data ? chartWindows(data).filter((w) => ids.has(w.faultId)) : []
  const services = [...new Set(faults.flatMap((f) => f.services))]
  return (
    <section aria-labelledby="signals-title" className="experiment-signals" data-windows={windowsAttr(windows)}>
      <h2 id="signals-title">Affected services{services.length ? `: ${services.join(', ')}` : ''}</h2>
      {!data && signals.error?.includes('REPORT_INVALID_RANGE') ? <p className="muted">No traffic recorded yet around this experiment.</p> : null}
      {!data && signals.error && !signals.error.includes('REPORT_INVALID_RANGE') ? <p role="alert" className="error">Cannot read the signals: {signals.error}</p> : null}
      {!data && !signals.error ? <p className="loading">Reading the signals…</p> : null}
      {data && faults.length === 0 ? <p className="muted">No fault window of this experiment in the signals yet (it has not injected anything, or the recorder has not seen it).</p> : null}
      {data && faults.length > 0 && edges.length === 0 ? <p className="muted">No traffic reached {services.join(', ') || 'its services'} in this range.</p> : null}
      {shaded ? edges.slice(0, MAX_CHARTS).map((e) => <EdgeChart key={e.id} data={shaded} edge={e} />) : null}
      {edges.length > MAX_CHARTS ? <p className="muted">{MAX_CHARTS} of {edges.length} edges shown; the report (Reports) has them all.</p> : null}
    </section>
  )
}
