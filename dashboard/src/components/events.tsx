/**
 * @module dashboard/components/events: a list of events, newest first, as `chaoscope events` prints them: time,
 * type (Warning ones marked), reason, message, and (on the overview) the experiment each is about, as a link.
 */
import { useEffect, useMemo, useState } from 'react'
import type { Api } from '../api.js'
import { experimentHref } from './experiment-parts.js'
import type { ChaosEvent } from '../types.js'

/** `events` newest first; `linked`: each names its object with a link to its page. */
export function EventList({ events, linked = false, label }: { events: readonly ChaosEvent[]; linked?: boolean; label: string }) {
  if (events.length === 0) return <p className="muted">No events yet.</p>
  return (
    <div className="table-wrap">
      <table className="events" aria-label={label}>
        <thead>
          <tr><th scope="col">Time</th><th scope="col">Type</th><th scope="col">Reason</th>{linked ? <th scope="col">Object</th> : null}<th scope="col">Message</th></tr>
        </thead>
        <tbody>
          {[...events].reverse().map((e) => (
            <tr key={e.id} className={e.type === 'Warning' ? 'warning' : undefined}>
              <td><time dateTime={e.time} title={e.time}>{clock(e.time)}</time></td>
              <td>{e.type === 'Warning' ? <span className="badge warning">Warning</span> : e.type}</td>
              <td>{e.reason}</td>
              {linked ? <td><a href={experimentHref(e)}>{e.kind}/{e.name}</a>{e.namespace !== 'default' ? <span className="muted"> ({e.namespace})</span> : null}</td> : null}
              <td className="message">{e.message}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

/** The time of day of an ISO time (UTC, as the charts), with the date when it is not today. */
function clock(iso: string): string {
  const today = new Date().toISOString().slice(0, 10)
  return iso.slice(0, 10) === today ? `${iso.slice(11, 19)}` : `${iso.slice(0, 10)} ${iso.slice(11, 19)}`
}

/** Pages of an object's events read at most (the newest are the live ones anyway). */
const MAX_PAGES = 5

/**
 * An object's events: its own list (GET .../events), then the new ones from the live stream, oldest first.
 * Matched by uid when both sides have one (a re-created name's events are another object's).
 */
export function useObjectEvents(api: Api, path: string, live: readonly ChaosEvent[], o: { kind: string; namespace: string; name: string; uid?: string | undefined }): { events: ChaosEvent[]; error?: string } {
  const [listed, setListed] = useState<{ events: ChaosEvent[]; error?: string }>({ events: [] })
  useEffect(() => {
    let stopped = false
    const read = async () => {
      let all: ChaosEvent[] = []
      let cont: string | undefined
      let pages = 0
      do {
        const page: { items: ChaosEvent[]; metadata: { continue?: string } } = await api.get(`${path}/events?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`)
        all = [...all, ...page.items]
        cont = page.metadata.continue
      } while (cont && ++pages < MAX_PAGES)
      return all
    }
    read().then((events) => { if (!stopped) setListed({ events }) }, (e) => { if (!stopped) setListed({ events: [], error: e instanceof Error ? e.message : String(e) }) })
    return () => { stopped = true }
  }, [api, path])
  return useMemo(() => {
    const last = listed.events.reduce((m, e) => Math.max(m, e.id), 0)
    const mine = (e: ChaosEvent) => e.kind === o.kind && e.namespace === o.namespace && e.name === o.name && (!e.uid || !o.uid || e.uid === o.uid)
    const added = live.filter((e) => e.id > last && mine(e))
    return { events: [...listed.events, ...added], ...(listed.error ? { error: listed.error } : {}) }
  }, [listed, live, o.kind, o.namespace, o.name, o.uid])
}
