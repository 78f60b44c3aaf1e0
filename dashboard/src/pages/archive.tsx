/**
 * @module dashboard/pages/archive: the finished experiments (`#/archive`), as the controller archived them when
 * they were deleted: newest first, filtered by kind and namespace, a page at a time ("Load more" follows
 * metadata.continue); and one of them (`#/archive/UID`): its spec, last status, records and events. A writer may
 * re-run it: the same apiVersion, kind, name, namespace, labels, annotations and spec, applied anew.
 */
import { useEffect, useRef, useState } from 'react'
import type { FormEvent } from 'react'
import { stringify } from 'yaml'
import { errorText } from '../api.js'
import { href, navigate } from '../router.js'
import { useSession } from '../session.js'
import type { ChaosEvent, ChaosObject } from '../types.js'
import { Badge, phaseOf } from '../components/status.js'
import { utcTime } from '../components/pod-time.js'

/** One archived experiment as GET /api/v1/archive lists it. */
export interface ArchivedItem {
  uid: string
  kind: string
  namespace: string
  name: string
  createdAt: string
  finishedAt: string
  object: ChaosObject
}

/** GET /api/v1/archive/UID: the item with its records and events. */
interface ArchivedDetail extends ArchivedItem {
  records: { id: string; pod: string; phase: string; injectedCount: number; recoveredCount: number; lastError?: string }[]
  events: ChaosEvent[]
}

const PAGE = 50

type ApplyAnswer = { items: { action: string; object: ChaosObject }[] }


export function ArchivePage({ uid }: { uid?: string | undefined }) {
  return uid ? <ArchivedOne uid={uid} /> : <ArchiveList />
}

function ArchiveList() {
  const { api, who } = useSession()
  // a token limited to namespaces may list only one of its own at a time (the API refuses it every namespace)
  const [filter, setFilter] = useState({ kind: '', namespace: who.namespaces[0] ?? '' })
  const [draft, setDraft] = useState(filter)
  const [items, setItems] = useState<ArchivedItem[]>([])
  const [more, setMore] = useState<string | undefined>()
  const [error, setError] = useState<string | undefined>()
  const [loading, setLoading] = useState(true)
  // the filter each answer was asked for: one that comes after the filter changed is dropped
  const asked = useRef(filter)

  const read = async (cont: string | undefined) => {
    const forFilter = filter
    setLoading(true)
    try {
      const q = new URLSearchParams({ limit: String(PAGE), ...(filter.kind ? { kind: filter.kind } : {}), ...(filter.namespace ? { namespace: filter.namespace } : {}), ...(cont ? { continue: cont } : {}) })
      const a = await api.get<{ items: ArchivedItem[]; metadata: { continue?: string } }>(`/api/v1/archive?${q}`)
      if (asked.current !== forFilter) return
      setItems((had) => (cont ? [...had, ...a.items] : a.items))
      setMore(a.metadata.continue)
      setError(undefined)
    } catch (e) {
      if (asked.current === forFilter) setError(errorText(e))
    } finally {
      if (asked.current === forFilter) setLoading(false)
    }
  }
  useEffect(() => {
    asked.current = filter
    setItems([])
    setMore(undefined)
    void read(undefined)
  }, [api, filter])

  const submit = (e: FormEvent) => {
    e.preventDefault()
    setFilter({ kind: draft.kind.trim(), namespace: draft.namespace.trim() })
  }
  return (
    <section aria-labelledby="arch-title">
      <h1 id="arch-title">Archive</h1>
      <p className="help">Experiments kept after they were deleted, newest finished first.</p>
      <form className="filters" onSubmit={submit} aria-label="Filters">
        <div><label htmlFor="arch-kind">Kind</label><input id="arch-kind" value={draft.kind} placeholder="any" onChange={(e) => setDraft({ ...draft, kind: e.target.value })} /></div>
        <div><label htmlFor="arch-ns">Namespace</label>{who.namespaces.length ? (
          <select id="arch-ns" value={draft.namespace} onChange={(e) => setDraft({ ...draft, namespace: e.target.value })}>{who.namespaces.map((n) => <option key={n}>{n}</option>)}</select>
        ) : <input id="arch-ns" value={draft.namespace} placeholder="any" onChange={(e) => setDraft({ ...draft, namespace: e.target.value })} />}</div>
        <button type="submit">Filter</button>
      </form>
      {error ? <p role="alert" className="error">{error}</p> : null}
      <div className="table-wrap">
        <table aria-label="Archived experiments">
          <thead><tr><th>Kind</th><th>Namespace</th><th>Name</th><th>Action</th><th>Created</th><th>Finished</th></tr></thead>
          <tbody>
            {items.map((i) => (
              <tr key={i.uid}>
                <td>{i.kind}</td>
                <td>{i.namespace}</td>
                <td><a href={href('archive', i.uid)}>{i.name}</a></td>
                <td>{String(i.object.spec.action ?? i.object.status?.chaoscope?.action ?? '—')}</td>
                <td>{utcTime(i.createdAt)}</td>
                <td>{utcTime(i.finishedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {!loading && items.length === 0 && !error ? <p className="muted">Nothing archived{filter.kind || filter.namespace ? ' matches the filters' : ' yet'}.</p> : null}
      <div className="actions">
        {more ? <button type="button" disabled={loading} onClick={() => read(more)}>{loading ? 'Loading…' : 'Load more'}</button> : null}
      </div>
    </section>
  )
}

/** What a re-run applies: the archived object's identity and spec, nothing of its status or server-set metadata. */
export function rerunYaml(o: ChaosObject): string {
  const m = o.metadata
  const metadata = { name: m.name, namespace: m.namespace, ...(m.labels ? { labels: m.labels } : {}), ...(m.annotations ? { annotations: m.annotations } : {}) }
  return stringify({ apiVersion: o.apiVersion, kind: o.kind, metadata, spec: o.spec })
}

function ArchivedOne({ uid }: { uid: string }) {
  const { api, canWrite } = useSession()
  const [item, setItem] = useState<ArchivedDetail | undefined>()
  const [error, setError] = useState<string | undefined>()
  const [rerun, setRerun] = useState<{ busy: boolean; error?: string }>({ busy: false })
  useEffect(() => {
    api.get<ArchivedDetail>(`/api/v1/archive/${encodeURIComponent(uid)}`).then(setItem, (e) => setError(errorText(e)))
  }, [api, uid])
  if (error) return <section><p><a href={href('archive')}>← Archive</a></p><p role="alert" className="error">{error}</p></section>
  if (!item) return <p className="loading">Reading the archive…</p>
  const o = item.object

  const again = async () => {
    setRerun({ busy: true })
    try {
      const yaml = rerunYaml(o)
      // apply of a name that exists would change (or leave) that one: a dry run first says whether it would create
      const plan = (await api.apply<ApplyAnswer>(yaml, { dryRun: true, file: 'rerun.yaml' })).items[0]
      if (plan && plan.action !== 'created') {
        return setRerun({ busy: false, error: `A ${plan.object.kind} named ${plan.object.metadata.name} exists already in ${plan.object.metadata.namespace} (apply would leave it "${plan.action}"): nothing was applied. Delete it first to run this one again.` })
      }
      const made = (await api.apply<ApplyAnswer>(yaml, { file: 'rerun.yaml' })).items[0]?.object
      if (made) navigate(href('experiments', made.kind, made.metadata.namespace, made.metadata.name))
    } catch (e) {
      setRerun({ busy: false, error: errorText(e) })
    }
  }
  return (
    <section aria-labelledby="arch-title">
      <p><a href={href('archive')}>← Archive</a></p>
      <h1 id="arch-title">{item.kind} {item.namespace}/{item.name} <Badge text={phaseOf(o)} /></h1>
      <p className="muted">Created {utcTime(item.createdAt)}, finished {utcTime(item.finishedAt)}. uid <code>{item.uid}</code></p>
      {canWrite ? (
        <div className="actions">
          <button type="button" className="primary" disabled={rerun.busy} onClick={again}>{rerun.busy ? 'Applying…' : 'Re-run'}</button>
          <span className="help">Applies the same spec as a new {item.kind} named {item.name}.</span>
        </div>
      ) : null}
      {rerun.error ? <p role="alert" className="error">{rerun.error}</p> : null}
      <div className="grid">
        <div><h2>Spec</h2><pre className="block" tabIndex={0} aria-label="Spec">{stringify(o.spec)}</pre></div>
        <div><h2>Last status</h2><pre className="block" tabIndex={0} aria-label="Last status">{o.status ? stringify(o.status) : '(none)'}</pre></div>
      </div>
      <h2>Records ({item.records.length})</h2>
      {item.records.length ? (
        <div className="table-wrap">
          <table aria-label="Records">
            <thead><tr><th>Target</th><th>Phase</th><th>Injected</th><th>Recovered</th><th>Last error</th></tr></thead>
            <tbody>
              {item.records.map((r) => (
                <tr key={r.id}><td className="mono">{r.id}</td><td><Badge text={r.phase} /></td><td>{r.injectedCount}</td><td>{r.recoveredCount}</td><td className="error">{r.lastError ?? ''}</td></tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : <p className="muted">No records.</p>}
      <h2>Events ({item.events.length})</h2>
      {item.events.length ? (
        <ul className="events">
          {item.events.map((e) => <li key={e.id} className={e.type}><span className="muted">{utcTime(e.time)}</span> <strong>{e.reason}</strong> {e.message}</li>)}
        </ul>
      ) : <p className="muted">No events kept.</p>}
    </section>
  )
}
