/**
 * @module dashboard/pages/experiments: `#/experiments`. Every experiment (the chaos kinds; Schedules and Workflows
 * have their own pages) as a live table, filtered by kind, namespace, phase and a Kubernetes label selector. The
 * filters live in the hash's query (`#/experiments?kind=PodChaos&phase=Paused&labelSelector=team%3Dshop`), so a
 * filtered list can be bookmarked, shared, and reached from the overview's counts.
 */
import { useMemo, useState } from 'react'
import { useLive } from '../live.js'
import { useRoute } from '../router.js'
import { useSession } from '../session.js'
import { matchesSelector, parseSelector } from '../../../src/selector.js'
import { Badge, injectedOf, phaseOf } from '../components/status.js'
import { age, isChaosKind, Labels, objectHref, useNow } from '../components/experiment-parts.js'
import type { ChaosObject } from '../types.js'

/** Rows drawn at first, and added by each "Show more": a long list stays quick to draw. */
const PAGE_ROWS = 100

/** The phase filter's choices: a value is a comma-separated set of phases. */
const PHASES: { value: string; label: string }[] = [
  { value: '', label: 'any phase' },
  { value: 'Injecting,Running', label: 'Injecting or Running' },
  { value: 'Injecting', label: 'Injecting' },
  { value: 'Running', label: 'Running' },
  { value: 'Paused', label: 'Paused' },
  { value: 'Finished', label: 'Finished' },
  { value: 'Deleting', label: 'Deleting' },
]

interface Filters {
  kind: string
  namespace: string
  phase: string
  labelSelector: string
}

const FILTER_NAMES = ['kind', 'namespace', 'phase', 'labelSelector'] as const

/** Writes the filters into the hash's query in place (no history entry per keystroke) and tells the router. */
function setFilters(f: Filters): void {
  const q = new URLSearchParams()
  for (const name of FILTER_NAMES) if (f[name]) q.set(name, f[name])
  history.replaceState(null, '', `#/experiments${q.size ? `?${q}` : ''}`)
  window.dispatchEvent(new HashChangeEvent('hashchange'))
}

/** The experiments the filters keep, newest first; a selector that cannot be read is an error, not a match. */
function filterExperiments(objects: Iterable<ChaosObject>, f: Filters): { rows: ChaosObject[]; selectorError?: string } {
  let selectorError: string | undefined
  if (f.labelSelector.trim()) {
    try {
      parseSelector(f.labelSelector)
    } catch (e) {
      selectorError = e instanceof Error ? e.message : String(e)
    }
  }
  if (selectorError) return { rows: [], selectorError }
  const phases = f.phase ? f.phase.split(',') : []
  const rows: ChaosObject[] = []
  for (const o of objects) {
    if (!isChaosKind(o.kind)) continue
    if (f.kind && o.kind !== f.kind) continue
    if (f.namespace && o.metadata.namespace !== f.namespace) continue
    if (phases.length && !phases.includes(phaseOf(o))) continue
    if (f.labelSelector.trim() && !matchesSelector(o.metadata.labels ?? {}, f.labelSelector)) continue
    rows.push(o)
  }
  rows.sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '') || a.metadata.name.localeCompare(b.metadata.name))
  return { rows }
}

export function ExperimentsPage() {
  const { live } = useSession()
  const state = useLive(live)
  const { query } = useRoute()
  const filters: Filters = { kind: query.get('kind') ?? '', namespace: query.get('namespace') ?? '', phase: query.get('phase') ?? '', labelSelector: query.get('labelSelector') ?? '' }
  const [shown, setShown] = useState(PAGE_ROWS)
  const choices = useMemo(() => kindsAndNamespaces(state.objects.values()), [state.objects])
  const key = JSON.stringify(filters)
  const { rows, selectorError } = useMemo(() => filterExperiments(state.objects.values(), filters), [state.objects, key])
  const set = (patch: Partial<Filters>) => setFilters({ ...filters, ...patch })
  return (
    <div>
      <h1>Experiments</h1>
      <form className="filters" role="search" aria-label="Filter the experiments" onSubmit={(e) => e.preventDefault()}>
        <div>
          <label htmlFor="f-kind">Kind</label>
          <select id="f-kind" value={filters.kind} onChange={(e) => set({ kind: e.target.value })}>
            <option value="">any kind</option>
            {withCurrent(choices.kinds, filters.kind).map((k) => <option key={k} value={k}>{k}</option>)}
          </select>
        </div>
        <div>
          <label htmlFor="f-ns">Namespace</label>
          <select id="f-ns" value={filters.namespace} onChange={(e) => set({ namespace: e.target.value })}>
            <option value="">any namespace</option>
            {withCurrent(choices.namespaces, filters.namespace).map((n) => <option key={n} value={n}>{n}</option>)}
          </select>
        </div>
        <div>
          <label htmlFor="f-phase">Phase</label>
          <select id="f-phase" value={filters.phase} onChange={(e) => set({ phase: e.target.value })}>
            {withCurrentPhase(filters.phase).map((p) => <option key={p.value} value={p.value}>{p.label}</option>)}
          </select>
        </div>
        <div className="selector">
          <label htmlFor="f-labels">Label selector</label>
          <input id="f-labels" type="text" spellCheck={false} placeholder="team=shop,tier!=db" value={filters.labelSelector}
            aria-invalid={selectorError ? true : undefined} aria-describedby={selectorError ? 'f-labels-error' : undefined}
            onChange={(e) => set({ labelSelector: e.target.value })} />
        </div>
        {key !== JSON.stringify({ kind: '', namespace: '', phase: '', labelSelector: '' }) ? (
          <button type="button" onClick={() => setFilters({ kind: '', namespace: '', phase: '', labelSelector: '' })}>Clear filters</button>
        ) : null}
      </form>
      {selectorError ? <p id="f-labels-error" role="alert" className="error">Label selector: {selectorError}</p> : null}
      {!state.loaded ? <p className="loading">Loading…</p> : selectorError ? null : (
        <ExperimentTable rows={rows.slice(0, shown)} total={rows.length} onMore={() => setShown(shown + PAGE_ROWS)} />
      )}
    </div>
  )
}

/** The kinds and namespaces of the experiments there are, sorted, for the filters' choices. */
function kindsAndNamespaces(objects: Iterable<ChaosObject>): { kinds: string[]; namespaces: string[] } {
  const kinds = new Set<string>()
  const namespaces = new Set<string>()
  for (const o of objects) {
    if (!isChaosKind(o.kind)) continue
    kinds.add(o.kind)
    namespaces.add(o.metadata.namespace)
  }
  return { kinds: [...kinds].sort(), namespaces: [...namespaces].sort() }
}

/** The choices, with the one the URL asks for even when nothing has it now (the select must show what filters). */
function withCurrent(choices: string[], current: string): string[] {
  return current && !choices.includes(current) ? [...choices, current].sort() : choices
}

function withCurrentPhase(current: string): { value: string; label: string }[] {
  return current && !PHASES.some((p) => p.value === current) ? [...PHASES, { value: current, label: current.split(',').join(' or ') }] : PHASES
}

function ExperimentTable({ rows, total, onMore }: { rows: ChaosObject[]; total: number; onMore: () => void }) {
  const now = useNow(1000)
  if (total === 0) return <p className="muted">No experiment matches.</p>
  return (
    <>
      <p className="muted" role="status">{total === 1 ? '1 experiment' : `${total} experiments`}{rows.length < total ? `, ${rows.length} shown` : ''}</p>
      <div className="table-wrap">
        <table className="experiments" aria-label="experiments">
          <thead>
            <tr><th scope="col">Kind</th><th scope="col">Namespace</th><th scope="col">Name</th><th scope="col">Action</th><th scope="col">Phase</th><th scope="col">Injected</th><th scope="col">Age</th><th scope="col">Labels</th></tr>
          </thead>
          <tbody>
            {rows.map((o) => (
              <tr key={`${o.kind}/${o.metadata.namespace}/${o.metadata.name}`}>
                <td>{o.kind}</td>
                <td>{o.metadata.namespace}</td>
                <td><a href={objectHref(o)}>{o.metadata.name}</a></td>
                <td>{o.status?.chaoscope?.action ?? ''}</td>
                <td><Badge text={phaseOf(o)} /></td>
                <td>{injectedOf(o)}</td>
                <td>{age(o.metadata.creationTimestamp, now)}</td>
                <td><Labels labels={o.metadata.labels} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {rows.length < total ? <div className="actions"><button type="button" onClick={onMore}>Show {Math.min(PAGE_ROWS, total - rows.length)} more</button></div> : null}
    </>
  )
}
