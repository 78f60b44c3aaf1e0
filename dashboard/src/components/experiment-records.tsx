/**
 * @module dashboard/components/experiment-records: an experiment's conditions, and one row per target: Chaos
 * Mesh's container record (phase, injected and recovered counts) joined by id with what chaoscope adds (the pod
 * as last seen, the evidence that the fault acted, the last error).
 */
import { href } from '../router.js'
import { Badge } from './status.js'
import type { ChaoscopeRecord, ChaosObject } from '../types.js'

export function Conditions({ object }: { object: ChaosObject }) {
  const conditions = object.status?.conditions ?? []
  if (conditions.length === 0) return <p className="muted">No conditions yet.</p>
  return (
    <div className="table-wrap">
      <table className="conditions" aria-label="conditions">
        <thead><tr><th scope="col">Type</th><th scope="col">Status</th><th scope="col">Reason</th></tr></thead>
        <tbody>
          {conditions.map((c) => (
            <tr key={c.type}><td>{c.type}</td><td>{c.status}</td><td>{c.reason ?? ''}</td></tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

/** A value of the evidence as text: lists joined, objects as `key: value` pairs. */
function show(v: unknown): string {
  if (Array.isArray(v)) return v.map(show).join(', ')
  if (v !== null && typeof v === 'object') return Object.entries(v).map(([k, x]) => `${k}: ${show(x)}`).join('; ')
  return String(v)
}

/** `requestsDelayed` → "requests delayed": the evidence's keys read as words. */
function words(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase()
}

function Evidence({ evidence }: { evidence: Record<string, unknown> | undefined }) {
  const entries = Object.entries(evidence ?? {})
  if (entries.length === 0) return <span className="muted">none yet</span>
  return (
    <dl className="evidence">
      {entries.map(([k, v]) => (
        <div key={k}>
          <dt>{words(k)}</dt>
          {Array.isArray(v) && v.some((x) => x !== null && typeof x === 'object')
            ? <dd><ul>{v.map((x, i) => <li key={i}>{show(x)}</li>)}</ul></dd>
            : <dd>{show(v)}</dd>}
        </div>
      ))}
    </dl>
  )
}

function Pod({ record }: { record: ChaoscopeRecord | undefined }) {
  const pod = record?.pod
  if (!pod) return <span className="muted">not seen</span>
  const state = pod.gone || record?.gone ? 'gone' : [pod.phase, pod.ready === undefined ? undefined : pod.ready ? 'ready' : 'not ready'].filter(Boolean).join(', ')
  return (
    <span>
      <a href={href('pods', pod.name)}>{pod.name}</a>
      <span className="muted"> {state}{pod.restartCount ? `, ${pod.restartCount} restarts` : ''}</span>
    </span>
  )
}

/**
 * A record's state in words: Chaos Mesh's phase ("Not Injected", "Injected", "Not Injected/Injecting",
 * "Injected/Recovering"), read with its counts, so that a target put back says Recovered, not "Not Injected".
 */
export function recordState(phase: string, recoveredCount: number, gone: boolean): string {
  if (gone) return 'Gone'
  if (phase === 'Injected') return 'Injected'
  if (phase.startsWith('Not Injected/')) return 'Injecting'
  if (phase.startsWith('Injected/')) return 'Recovering'
  if (phase === 'Not Injected') return recoveredCount > 0 ? 'Recovered' : 'Not injected'
  return phase
}

export function Records({ object }: { object: ChaosObject }) {
  const records = object.status?.experiment?.containerRecords ?? []
  const ours = new Map((object.status?.chaoscope?.records ?? []).map((r) => [r.id, r]))
  if (records.length === 0) return <p className="muted">No target selected yet.</p>
  return (
    <div className="table-wrap">
      <table className="records" aria-label="targets">
        <thead>
          <tr><th scope="col">Target</th><th scope="col">State</th><th scope="col">Injected</th><th scope="col">Recovered</th><th scope="col">Pod</th><th scope="col">Evidence</th><th scope="col">Last error</th></tr>
        </thead>
        <tbody>
          {records.map((r) => {
            const mine = ours.get(r.id)
            return (
              <tr key={r.id} data-record={r.id}>
                <td><code>{r.id}</code></td>
                <td title={`Chaos Mesh phase: ${r.phase}`}><Badge text={recordState(r.phase, r.recoveredCount, Boolean(mine?.gone ?? mine?.pod?.gone))} /></td>
                <td>{r.injectedCount}</td>
                <td>{r.recoveredCount}</td>
                <td><Pod record={mine} /></td>
                <td><Evidence evidence={mine?.evidence} /></td>
                <td className={mine?.lastError ? 'error' : undefined}>{mine?.lastError ?? ''}</td>
              </tr>
            )
          })}
        </tbody>
      </table>
    </div>
  )
}
