/**
 * @module dashboard/pages/experiment: `#/experiments/KIND/NS/NAME`. One experiment, live: its phase and the actions a
 * writer may take, its targets (records with their evidence), its conditions, the signals of the services it acted
 * on with its fault windows shaded, its events, and its spec as YAML. Deleted meanwhile, it says so and points to
 * the archive, where it now is.
 */
import { useMemo, useRef } from 'react'
import type { ReactNode } from 'react'
import type { Api } from '../api.js'
import { stringify } from 'yaml'
import { useLive } from '../live.js'
import { href } from '../router.js'
import { useSession } from '../session.js'
import { Badge, injectedOf, phaseOf } from '../components/status.js'
import { age, Labels, useNow } from '../components/experiment-parts.js'
import { ExperimentActions, objectPath } from '../components/experiment-actions.js'
import { Conditions, Records } from '../components/experiment-records.js'
import { ExperimentSignals } from '../components/experiment-signals.js'
import { EventList, useObjectEvents } from '../components/events.js'
import type { ChaosEvent, ChaosObject } from '../types.js'

/** The object as one would apply it again: identity, labels, annotations and spec (no status, no server fields). */
function manifest(o: ChaosObject): string {
  const { name, namespace, labels, annotations } = o.metadata
  return stringify({ apiVersion: o.apiVersion, kind: o.kind, metadata: { name, namespace, ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) }, spec: o.spec })
}

export function ExperimentPage({ kind, namespace, name }: { kind: string; namespace: string; name: string }) {
  const { api, live, canWrite } = useSession()
  const state = useLive(live)
  const key = `${kind}/${namespace}/${name}`
  const object = state.objects.get(key)
  // the last version seen, to name what was deleted and link to its archived copy
  const seen = useRef<{ key: string; object: ChaosObject } | undefined>(undefined)
  if (object) seen.current = { key, object }
  const last = seen.current?.key === key ? seen.current.object : undefined
  const title = <h1>{kind} <span className="muted">{namespace}/</span>{name}</h1>
  if (!state.loaded) return <>{title}<p className="loading">Loading…</p></>
  if (!object) {
    const uid = last?.metadata.uid
    return (
      <>
        {title}
        <p role="status" className="notice">
          {last ? 'This experiment was deleted while you were looking at it.' : 'There is no such experiment now: it may have been deleted.'}{' '}
          Deleted experiments are kept in the <a href={uid ? href('archive', uid) : href('archive')}>archive</a>.
        </p>
        <p><a href={href('experiments')}>Back to the experiments</a></p>
      </>
    )
  }
  // a page of its own per experiment: no confirmation or error of another one carried over
  return <Experiment key={key} object={object} title={title} api={api} canWrite={canWrite} liveEvents={state.events} />
}

function Experiment({ object, title, api, canWrite, liveEvents }: { object: ChaosObject; title: ReactNode; api: Api; canWrite: boolean; liveEvents: readonly ChaosEvent[] }) {
  const now = useNow(5000)
  const ref = { kind: object.kind, namespace: object.metadata.namespace, name: object.metadata.name, uid: object.metadata.uid }
  const path = objectPath(ref)
  const events = useObjectEvents(api, path, liveEvents, ref)
  const yaml = useMemo(() => manifest(object), [object.spec, object.metadata])
  const phase = phaseOf(object)
  return (
    <div className="experiment">
      <div className="experiment-head">
        {title}
        <Badge text={phase} />
      </div>
      <p className="facts">
        <span>action <strong>{object.status?.chaoscope?.action || '—'}</strong></span>
        <span>injected <strong>{injectedOf(object)}</strong></span>
        <span>created <time dateTime={object.metadata.creationTimestamp}>{age(object.metadata.creationTimestamp, now)} ago</time></span>
        {typeof object.spec.duration === 'string' ? <span>duration <strong>{object.spec.duration}</strong></span> : null}
        <Labels labels={object.metadata.labels} />
      </p>
      <ExperimentActions api={api} object={object} canWrite={canWrite} />
      <section aria-labelledby="targets-title">
        <h2 id="targets-title">Targets</h2>
        <Records object={object} />
      </section>
      <section aria-labelledby="conditions-title">
        <h2 id="conditions-title">Conditions</h2>
        <Conditions object={object} />
      </section>
      <ExperimentSignals api={api} object={object} now={now} />
      <section aria-labelledby="ev-title">
        <h2 id="ev-title">Events</h2>
        {events.error ? <p role="alert" className="error">Cannot read its events: {events.error}</p> : null}
        <EventList events={events.events} label="its events, newest first" />
      </section>
      <section aria-labelledby="spec-title">
        <h2 id="spec-title">Spec</h2>
        <pre className="block" aria-label="the experiment as YAML" tabIndex={0}>{yaml}</pre>
      </section>
    </div>
  )
}
