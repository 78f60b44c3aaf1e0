/**
 * @module dashboard/pages/overview: `#/`. What is going on now: counts (each a link to its list), the experiments
 * running or paused, every service's golden signals over the last 15 minutes with the fault windows shaded
 * (services with an active fault first), and the newest events. Built from the live state and one report read
 * every 5 s; the archive's items are never fetched here (one item, for its count), and no list holds more than
 * {@link MAX_ROWS} rows, so the page stays quick with thousands of experiments.
 */
import { useMemo } from 'react'
import { useLive } from '../live.js'
import { href } from '../router.js'
import { useSession } from '../session.js'
import { useSignals } from '../signals.js'
import { Badge, injectedOf, phaseOf } from '../components/status.js'
import { age, isChaosKind, objectHref, phaseGroup, useNow } from '../components/experiment-parts.js'
import { countObjects, GROUP_PHASES, OverviewCounts, useArchiveCount } from '../components/overview-counts.js'
import { servicesByFault, ServiceChart } from '../components/signal-chart.js'
import { EventList } from '../components/events.js'
import type { ChaosObject, ReportData } from '../types.js'

/** The most rows a list of the overview shows; the full lists are a link away. */
const MAX_ROWS = 50
/** How many of the newest events the overview shows. */
const RECENT = 20

export function OverviewPage() {
  const { api, live, who } = useSession()
  const state = useLive(live)
  const archived = useArchiveCount(api, who.namespaces, state.objects.size)
  const signals = useSignals(api, { since: '15m' }, 5000)
  const counts = useMemo(() => countObjects(state.objects.values()), [state.objects])
  const active = useMemo(() => inProgress(state.objects.values()), [state.objects])
  const recent = useMemo(() => state.events.slice(-RECENT), [state.events])
  if (!state.loaded) return <p className="loading">Loading…</p>
  return (
    <div className="overview">
      <h1>Overview</h1>
      <OverviewCounts counts={counts} archived={archived} />
      <InProgress objects={active} />
      <Signals data={signals.data} error={signals.error} />
      <section aria-labelledby="events-title">
        <h2 id="events-title">Recent events</h2>
        <EventList events={recent} linked label="recent events, newest first" />
      </section>
    </div>
  )
}

/** The experiments running or paused, newest first. */
function inProgress(objects: Iterable<ChaosObject>): ChaosObject[] {
  const out: ChaosObject[] = []
  for (const o of objects) {
    const g = phaseGroup(phaseOf(o))
    if (isChaosKind(o.kind) && (g === 'running' || g === 'paused')) out.push(o)
  }
  return out.sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''))
}

function InProgress({ objects }: { objects: ChaosObject[] }) {
  const now = useNow(1000)
  return (
    <section aria-labelledby="active-title">
      <h2 id="active-title">Running and paused experiments</h2>
      {objects.length === 0 ? <p className="muted">None: no experiment is running or paused.</p> : (
        <div className="table-wrap">
          <table aria-labelledby="active-title">
            <thead><tr><th scope="col">Experiment</th><th scope="col">Namespace</th><th scope="col">Action</th><th scope="col">Phase</th><th scope="col">Injected</th><th scope="col">Age</th></tr></thead>
            <tbody>
              {objects.slice(0, MAX_ROWS).map((o) => (
                <tr key={`${o.kind}/${o.metadata.namespace}/${o.metadata.name}`}>
                  <td><a href={objectHref(o)}>{o.kind}/{o.metadata.name}</a></td>
                  <td>{o.metadata.namespace}</td>
                  <td>{o.status?.chaoscope?.action ?? ''}</td>
                  <td><Badge text={phaseOf(o)} /></td>
                  <td>{injectedOf(o)}</td>
                  <td>{age(o.metadata.creationTimestamp, now)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {objects.length > MAX_ROWS ? <p className="muted">{MAX_ROWS} of {objects.length} shown: <a href={`${href('experiments')}?phase=${GROUP_PHASES.running},Paused`}>see them all</a>.</p> : null}
    </section>
  )
}

function Signals({ data, error }: { data: ReportData | undefined; error: string | undefined }) {
  const services = useMemo(() => (data ? servicesByFault(data) : []), [data])
  return (
    <section aria-labelledby="signals-title">
      <h2 id="signals-title">Golden signals, last 15 minutes <span className="muted">(UTC)</span></h2>
      {!data && error?.includes('REPORT_INVALID_RANGE') ? <p className="muted">No traffic recorded yet: send requests to a service and its signals show here.</p> : null}
      {!data && error && !error.includes('REPORT_INVALID_RANGE') ? <p role="alert" className="error">Cannot read the signals: {error}</p> : null}
      {!data && !error ? <p className="loading">Reading the signals…</p> : null}
      {data && services.length === 0 ? <p className="muted">No traffic recorded in the last 15 minutes.</p> : null}
      {data ? (
        <div className="grid service-charts">
          {services.slice(0, MAX_ROWS).map((s) => <ServiceChart key={s.service} data={data} service={s.service} faulted={s.faulted} />)}
        </div>
      ) : null}
    </section>
  )
}
