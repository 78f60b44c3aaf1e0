/**
 * @module dashboard/pages/schedules: the Schedules (`#/schedules`) and one of them (`#/schedules/NS/NAME`): its cron,
 * type, concurrency policy, history limit, last and next run, whether it is paused, and what it spawned: the
 * objects that name it as their owner (live) and those archived since (GET /api/v1/archive, matched by owner).
 *
 * The next run is the controller's (`status.chaoscope.nextRun`) when it says one; else it is computed here with the
 * engine's own `next()` in this browser's zone, which is the controller's zone only when both run in the same one
 * (a schedule can name its zone with CRON_TZ=).
 */
import { useEffect, useState } from 'react'
import { errorText } from '../api.js'
import { href } from '../router.js'
import { useSession } from '../session.js'
import { useLive } from '../live.js'
import type { ChaosObject } from '../types.js'
import { Badge, phaseOf } from '../components/status.js'
import { utcTime } from '../components/pod-time.js'
import type { ArchivedItem } from './archive.js'
import { next, processZone } from '../../../src/engine/schedule-decide.js'
import { parseCron } from '../../../src/manifest/cron.js'

const PAUSE_ANNOTATION = 'experiment.chaos-mesh.org/pause'

interface ScheduleStatus {
  time?: string
  active?: { kind: string; name: string }[]
  chaoscope?: { phase?: string; nextRun?: string; lastError?: string }
}

interface ScheduleSpec {
  schedule?: string
  type?: string
  concurrencyPolicy?: string
  historyLimit?: number
  startingDeadlineSeconds?: number
}

const specOf = (o: ChaosObject) => o.spec as ScheduleSpec
const statusOf = (o: ChaosObject) => (o.status ?? {}) as ScheduleStatus
const isPaused = (o: ChaosObject) => o.metadata.annotations?.[PAUSE_ANNOTATION] === 'true'

/** When the schedule runs next: the controller's word, or the engine's next() here, with the zone it used. */
function nextRun(o: ChaosObject, now: number): { at?: string; how: string } {
  const s = statusOf(o)
  if (s.chaoscope?.nextRun) return { at: s.chaoscope.nextRun, how: 'as the controller computed it' }
  if (isPaused(o)) return { how: 'none while paused' }
  const cron = parseCron(specOf(o).schedule ?? '')
  if (!cron.ok) return { how: `the schedule does not parse: ${cron.error}` }
  const last = s.time ? Date.parse(s.time) : 0
  const at = next(cron.schedule, Math.max(now, last), processZone())
  return at === undefined ? { how: 'never' } : { at: new Date(at).toISOString(), how: `computed here in ${processZone()}` }
}

export function SchedulesPage({ namespace, name }: { namespace?: string | undefined; name?: string | undefined }) {
  const { live } = useSession()
  const state = useLive(live)
  if (!state.loaded) return <p className="loading">Loading…</p>
  if (namespace && name) {
    const s = state.objects.get(`Schedule/${namespace}/${name}`)
    if (!s) return <p>No Schedule {namespace}/{name} (it may have been deleted). <a href={href('schedules')}>All schedules</a>.</p>
    return <SchedulePage schedule={s} objects={state.objects} />
  }
  const schedules = [...state.objects.values()].filter((o) => o.kind === 'Schedule')
  const now = Date.now()
  return (
    <section aria-labelledby="sch-title">
      <h1 id="sch-title">Schedules</h1>
      <p className="help">Times are in UTC.</p>
      {schedules.length === 0 ? <p className="muted">No schedule. Apply one (see examples/shop-kill-every-5m.yaml) to see it here.</p> : (
        <div className="table-wrap">
          <table aria-label="Schedules">
            <thead><tr><th>Namespace</th><th>Name</th><th>Schedule</th><th>Type</th><th>Concurrency</th><th>History limit</th><th>Last run</th><th>Next run</th><th>State</th></tr></thead>
            <tbody>
              {schedules.map((o) => {
                const n = nextRun(o, now)
                return (
                  <tr key={o.metadata.uid ?? o.metadata.name}>
                    <td>{o.metadata.namespace}</td>
                    <td><a href={href('schedules', o.metadata.namespace, o.metadata.name)}>{o.metadata.name}</a></td>
                    <td><code>{specOf(o).schedule}</code></td>
                    <td>{specOf(o).type}</td>
                    <td>{specOf(o).concurrencyPolicy ?? 'Forbid'}</td>
                    <td>{specOf(o).historyLimit ?? '—'}</td>
                    <td>{utcTime(statusOf(o).time)}</td>
                    <td title={n.how}>{n.at ? utcTime(n.at) : n.how}</td>
                    <td><Badge text={isPaused(o) ? 'Paused' : statusOf(o).chaoscope?.phase ?? 'Running'} /></td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}

function SchedulePage({ schedule, objects }: { schedule: ChaosObject; objects: ReadonlyMap<string, ChaosObject> }) {
  const spec = specOf(schedule)
  const st = statusOf(schedule)
  const n = nextRun(schedule, Date.now())
  const uid = schedule.metadata.uid
  const spawned = [...objects.values()]
    .filter((o) => o.metadata.ownerReferences?.some((r) => r.uid === uid))
    .sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''))
  return (
    <section aria-labelledby="sch-title">
      <p><a href={href('schedules')}>← Schedules</a></p>
      <h1 id="sch-title">Schedule {schedule.metadata.namespace}/{schedule.metadata.name} <Badge text={isPaused(schedule) ? 'Paused' : st.chaoscope?.phase ?? 'Running'} /></h1>
      <dl className="facts">
        <dt>Schedule</dt><dd><code>{spec.schedule}</code></dd>
        <dt>Type</dt><dd>{spec.type}</dd>
        <dt>Concurrency policy</dt><dd>{spec.concurrencyPolicy ?? 'Forbid'}</dd>
        <dt>History limit</dt><dd>{spec.historyLimit ?? '—'}</dd>
        {spec.startingDeadlineSeconds !== undefined ? <><dt>Starting deadline</dt><dd>{spec.startingDeadlineSeconds} s</dd></> : null}
        <dt>Last run</dt><dd>{st.time ? utcTime(st.time) : 'not yet'}</dd>
        <dt>Next run</dt><dd>{n.at ? `${utcTime(n.at)} (${n.how})` : n.how}</dd>
        <dt>Paused</dt><dd>{isPaused(schedule) ? 'yes' : 'no'}</dd>
        {st.chaoscope?.lastError ? <><dt>Error</dt><dd className="error">{st.chaoscope.lastError}</dd></> : null}
      </dl>
      <p className="help">Times are in UTC; the controller reads a cron in its own zone unless the schedule names one (CRON_TZ=).</p>
      <h2>Spawned, still there ({spawned.length})</h2>
      {spawned.length ? (
        <ul className="history">
          {spawned.map((o) => (
            <li key={o.metadata.uid ?? o.metadata.name}>
              <a href={o.kind === 'Workflow' ? href('workflows', o.metadata.namespace, o.metadata.name) : href('experiments', o.kind, o.metadata.namespace, o.metadata.name)}>{o.kind} {o.metadata.name}</a>{' '}
              <Badge text={phaseOf(o)} /> <span className="muted">created {utcTime(o.metadata.creationTimestamp)}</span>
            </li>
          ))}
        </ul>
      ) : <p className="muted">None now.</p>}
      <ArchivedRuns schedule={schedule} />
    </section>
  )
}

/** The archived experiments this schedule spawned, newest first (the archive's own order). */
function ArchivedRuns({ schedule }: { schedule: ChaosObject }) {
  const { api } = useSession()
  const [items, setItems] = useState<ArchivedItem[] | undefined>()
  const [error, setError] = useState<string | undefined>()
  const kind = specOf(schedule).type ?? ''
  // read again when the schedule ran (its last run changed), not on every change of its status
  const lastRun = (schedule.status as { time?: string } | undefined)?.time
  useEffect(() => {
    let stopped = false
    const q = new URLSearchParams({ namespace: schedule.metadata.namespace, limit: '1000', ...(kind && kind !== 'Workflow' ? { kind } : {}) })
    api.get<{ items: ArchivedItem[] }>(`/api/v1/archive?${q}`).then(
      (a) => { if (!stopped) setItems(a.items.filter((i) => i.object.metadata.ownerReferences?.some((r) => r.uid === schedule.metadata.uid))) },
      (e) => { if (!stopped) setError(errorText(e, { hint: false })) },
    )
    return () => { stopped = true }
  }, [api, schedule.metadata.uid, lastRun])
  return (
    <>
      <h2>Archived{items ? ` (${items.length})` : ''}</h2>
      {error ? <p className="error">The archive cannot be read: {error}</p> : !items ? <p className="muted">Reading the archive…</p> : items.length === 0 ? <p className="muted">None archived.</p> : (
        <ul className="history">
          {items.map((i) => (
            <li key={i.uid}><a href={href('archive', i.uid)}>{i.kind} {i.name}</a> <span className="muted">created {utcTime(i.createdAt)}, finished {utcTime(i.finishedAt)}</span></li>
          ))}
        </ul>
      )}
    </>
  )
}
