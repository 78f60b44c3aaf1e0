/**
 * @module dashboard/components/experiment-parts: small pieces the overview and the experiment pages share: which
 * kinds are experiments, how old something is (kubectl's AGE), a clock that ticks, labels, links to a detail.
 */
import { useEffect, useState } from 'react'
import { href } from '../router.js'
import type { ChaosObject } from '../types.js'

/**
 * Whether a kind is an experiment (PodChaos, NetworkChaos, HTTPChaos...): every user-facing chaos kind ends in
 * "Chaos"; Schedule, Workflow, WorkflowNode, StatusCheck, PhysicalMachine and RemoteCluster do not.
 */
export function isChaosKind(kind: string): boolean {
  return kind.endsWith('Chaos')
}

/** What a phase counts as on the overview: in progress, paused, done, or being deleted. */
export type PhaseGroup = 'running' | 'paused' | 'finished' | 'deleting'

/** The group of a phase word as {@link phaseOf} and the Workflow and Schedule summaries give it. */
export function phaseGroup(phase: string): PhaseGroup {
  switch (phase) {
    case 'Paused': return 'paused'
    case 'Finished': case 'Succeeded': case 'Failed': case 'Accomplished': case 'Aborted': case 'DeadlineExceed': return 'finished'
    case 'Deleting': return 'deleting'
    default: return 'running'
  }
}

/** The current time, re-rendering every `everyMs`, so ages on the page move on. */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(Date.now())
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs)
    return () => clearInterval(t)
  }, [everyMs])
  return now
}

/** An age as kubectl prints it: 42s, 5m10s, 3h20m, 4d; '' without a time. */
export function age(since: string | undefined, now: number): string {
  if (!since) return ''
  const s = Math.max(0, Math.floor((now - Date.parse(since)) / 1000))
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ''}`
  if (s < 86400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`
  return `${Math.floor(s / 86400)}d`
}

/** The link to an object's page: a Workflow's and a Schedule's are theirs, every other kind's the experiment page. */
export function experimentHref(o: { kind: string; namespace: string; name: string }): string {
  if (o.kind === 'Workflow') return href('workflows', o.namespace, o.name)
  if (o.kind === 'Schedule') return href('schedules', o.namespace, o.name)
  return href('experiments', o.kind, o.namespace, o.name)
}

/** The same, from a stored object. */
export function objectHref(o: ChaosObject): string {
  return experimentHref({ kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name })
}

/** Labels as `key=value` chips; nothing when there are none. */
export function Labels({ labels }: { labels: Record<string, string> | undefined }) {
  const entries = Object.entries(labels ?? {})
  if (entries.length === 0) return null
  return (
    <ul className="labels" aria-label="labels">
      {entries.map(([k, v]) => <li key={k}><code>{k}={v}</code></li>)}
    </ul>
  )
}
