/**
 * @module dashboard/components/overview-counts: the overview's counts (experiments running, paused and finished;
 * workflows; schedules; the archive), each a link to its list filtered to what it counts.
 */
import { useEffect, useState } from 'react'
import type { Api } from '../api.js'
import { href } from '../router.js'
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
 * How many experiments the archive holds, from one item's page (`remainingItemCount`); undefined while unknown or
 * when the server does not say (then the card is left out rather than showing a guess).
 */
export function useArchiveCount(api: Api): number | undefined {
  const [count, setCount] = useState<number | undefined>()
  useEffect(() => {
    let stopped = false
    api.get<{ items: unknown[]; metadata: { continue?: string; remainingItemCount?: number } }>('/api/v1/archive?limit=1')
      .then((page) => {
        const known = !page.metadata.continue ? page.items.length : page.metadata.remainingItemCount === undefined ? undefined : page.items.length + page.metadata.remainingItemCount
        if (!stopped) setCount(known)
      })
      .catch(() => {})
    return () => { stopped = true }
  }, [api])
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
        <Card n={counts.workflows.running + counts.workflows.paused} label="workflows running" to={`${href('workflows')}?phase=Running`} />
        <Card n={counts.workflows.finished} label="workflows finished" to={`${href('workflows')}?phase=Finished`} />
        <Card n={counts.schedules.running + counts.schedules.paused + counts.schedules.finished} label={`schedules${counts.schedules.paused ? ` (${counts.schedules.paused} paused)` : ''}`} to={href('schedules')} />
        {archived !== undefined ? <Card n={archived} label="archived" to={href('archive')} /> : null}
      </div>
    </section>
  )
}
