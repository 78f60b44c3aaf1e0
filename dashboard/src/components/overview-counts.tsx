/**
 * @module dashboard/components/overview-counts: the overview's counts (experiments running, paused and finished;
 * workflows; schedules; the archive), each a link to its list filtered to what it counts.
 */
import { useEffect, useState } from 'react'
import type { Api } from '../api.js'
import { href } from '../router.js'
import { namespaceScopes } from '../session.js'
import { phaseOf } from './status.js'
import { isChaosKind, phaseGroup } from './experiment-parts.js'
import type { PhaseGroup } from './experiment-parts.js'
import type { ChaosObject } from '../types.js'

/** What the experiments list's phase filter takes for each group (a comma-separated set of phases). */
export const GROUP_PHASES: Record<Exclude<PhaseGroup, 'deleting'>, string> = {
  running: 'Injecting,Running',
  paused: 'Paused',
  finished: 'Finished',
}

export interface Counts {
  experiments: Record<PhaseGroup, number>
  workflows: Record<PhaseGroup, number>
  schedules: Record<PhaseGroup, number>
}

/** Counts the live objects by kind and phase group (one pass: the overview stays quick with thousands of objects). */
export function countObjects(objects: Iterable<ChaosObject>): Counts {
  const zero = (): Record<PhaseGroup, number> => ({ running: 0, paused: 0, finished: 0, deleting: 0 })
  const c: Counts = { experiments: zero(), workflows: zero(), schedules: zero() }
  for (const o of objects) {
    const bucket = o.kind === 'Workflow' ? c.workflows : o.kind === 'Schedule' ? c.schedules : isChaosKind(o.kind) ? c.experiments : undefined
    if (bucket) bucket[phaseGroup(phaseOf(o))]++
  }
  return c
}

/**
 * How many experiments the archive holds, from one item's page (`remainingItemCount`; per namespace for a token
 * limited to namespaces); undefined while unknown or when the server does not say (then the card is left out
 * rather than showing a guess). Read again whenever `changed` changes (the page passes how many experiments it
 * holds: one deleted is archived).
 */
export function useArchiveCount(api: Api, namespaces: readonly string[], changed: number): number | undefined {
  const [count, setCount] = useState<number | undefined>()
  useEffect(() => {
    let stopped = false
    const countOf = async (scope: Record<string, string>) => {
      const page = await api.get<{ items: unknown[]; metadata: { continue?: string; remainingItemCount?: number } }>(`/api/v1/archive?${new URLSearchParams({ ...scope, limit: '1' })}`)
      return !page.metadata.continue ? page.items.length : page.metadata.remainingItemCount === undefined ? undefined : page.items.length + page.metadata.remainingItemCount
    }
    // a moment after the last change: a burst of deletes is one read
    const t = setTimeout(() => {
      Promise.all(namespaceScopes(namespaces).map(countOf))
        .then((counts) => {
          if (!stopped) setCount(counts.some((c) => c === undefined) ? undefined : counts.reduce<number>((a, c) => a + c!, 0))
        })
        .catch(() => {})
    }, 500)
    return () => {
      stopped = true
      clearTimeout(t)
    }
  }, [api, namespaces.join(','), changed])
  return count
}

function Card({ n, label, to }: { n: number; label: string; to: string }) {
  return (
    <a className="card count" href={to}>
      <span className="n">{n}</span>
      <span className="l">{label}</span>
    </a>
  )
}

export function OverviewCounts({ counts, archived }: { counts: Counts; archived: number | undefined }) {
  const e = counts.experiments
  return (
    <section aria-labelledby="counts-title">
      <h2 id="counts-title" className="visually-hidden">Counts</h2>
      <div className="cards">
        <Card n={e.running} label="experiments running" to={`${href('experiments')}?phase=${GROUP_PHASES.running}`} />
        <Card n={e.paused} label="experiments paused" to={`${href('experiments')}?phase=${GROUP_PHASES.paused}`} />
        <Card n={e.finished} label="experiments finished" to={`${href('experiments')}?phase=${GROUP_PHASES.finished}`} />
        <Card n={counts.workflows.running + counts.workflows.paused} label="workflows running" to={href('workflows')} />
        <Card n={counts.workflows.finished} label="workflows finished" to={href('workflows')} />
        <Card n={counts.schedules.running + counts.schedules.paused + counts.schedules.finished} label={`schedules${counts.schedules.paused ? ` (${counts.schedules.paused} paused)` : ''}`} to={href('schedules')} />
        {archived !== undefined ? <Card n={archived} label="archived" to={href('archive')} /> : null}
      </div>
    </section>
  )
}
