/**
 * @module dashboard/components/create-check: what the dry run of the create page's YAML said: its issues as a list
 * (each a button that moves the editor's cursor there), or the plan (what each resource would select).
 */
import type { ChaosObject, Issue } from '../types.js'

/** A dry run's plan of one resource (src/engine/admission.ts ApplyPlan). */
export interface Plan {
  kind: string
  action?: string
  duration?: string
  targets: { id: string; pod: string; peers?: string[] }[]
}

export interface DryRunItem {
  action: string
  object: ChaosObject
  plan?: Plan
}

/** The state of the check of one text. */
export type Check =
  | { state: 'empty' }
  | { state: 'checking'; text: string }
  | { state: 'valid'; text: string; items: DryRunItem[] }
  | { state: 'invalid'; text: string; message: string; issues: Issue[] }
  | { state: 'refused'; text: string; message: string; hint?: string | undefined }

export function IssueList({ issues, onPick }: { issues: readonly Issue[]; onPick: (issue: Issue) => void }) {
  return (
    <ul className="issue-list" aria-label="Problems">
      {issues.map((i, n) => (
        <li key={n}>
          <button type="button" className="issue" onClick={() => onPick(i)}>
            <span className="mono">{i.line}:{i.col}</span> <code>{i.code}</code> {i.path ? <code>{i.path}</code> : null} {i.message}
          </button>
          {i.hint ? <div className="help">{i.hint}</div> : null}
        </li>
      ))}
    </ul>
  )
}

/** What each resource would do: its action (created, configured, unchanged) and the pods it would select. */
export function PlanView({ items }: { items: readonly DryRunItem[] }) {
  return (
    <div className="plan" aria-label="Dry run plan">
      {items.map((item, n) => (
        <div key={n}>
          <p>
            <strong>{item.object.kind} {item.object.metadata.namespace}/{item.object.metadata.name}</strong> would be {item.action}
            {item.plan?.action ? <>, action <code>{item.plan.action}</code></> : null}
            {item.plan?.duration ? <>, for {item.plan.duration}</> : null}.
          </p>
          {item.plan ? <Targets plan={item.plan} /> : <p className="muted">No selection: this kind acts through the objects it makes.</p>}
        </div>
      ))}
    </div>
  )
}

function Targets({ plan }: { plan: Plan }) {
  if (plan.targets.length === 0) return <p className="error">It selects no pod now: the selector matches none.</p>
  return (
    <>
      <p>It would act on {plan.targets.length === 1 ? 'this pod' : `these ${plan.targets.length} pods`}:</p>
      <ul className="picked" aria-label="Picked pods">
        {plan.targets.map((t) => (
          <li key={t.id}><code>{t.pod}</code>{t.peers?.length ? <span className="muted"> → {t.peers.join(', ')}</span> : null}</li>
        ))}
      </ul>
    </>
  )
}
