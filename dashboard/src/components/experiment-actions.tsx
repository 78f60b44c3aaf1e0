/**
 * @module dashboard/components/experiment-actions: what a writer may do to an experiment: Pause or Resume (not a
 * Workflow: Chaos Mesh cannot pause one), and Delete after a confirmation. A viewer sees none of them.
 */
import { useState } from 'react'
import { errorText } from '../api.js'
import type { Api } from '../api.js'
import { navigate, href } from '../router.js'
import { phaseOf } from './status.js'
import { phaseGroup } from './experiment-parts.js'
import type { ChaosObject } from '../types.js'

/** The API path of one object: /api/v1/namespaces/NS/KIND/NAME. */
export function objectPath(o: { kind: string; namespace: string; name: string }): string {
  return `/api/v1/namespaces/${encodeURIComponent(o.namespace)}/${encodeURIComponent(o.kind)}/${encodeURIComponent(o.name)}`
}


export function ExperimentActions({ api, object, canWrite }: { api: Api; object: ChaosObject; canWrite: boolean }) {
  const [busy, setBusy] = useState<string | undefined>()
  const [error, setError] = useState<string | undefined>()
  const [confirming, setConfirming] = useState(false)
  if (!canWrite) return null
  const group = phaseGroup(phaseOf(object))
  const path = objectPath({ kind: object.kind, namespace: object.metadata.namespace, name: object.metadata.name })
  const pausable = object.kind !== 'Workflow' && object.kind !== 'WorkflowNode'
  const act = async (what: string, call: () => Promise<unknown>, then?: () => void) => {
    setBusy(what)
    setError(undefined)
    try {
      await call()
      then?.()
    } catch (e) {
      setError(`${what} failed: ${errorText(e)}`)
    } finally {
      setBusy(undefined)
    }
  }
  return (
    <div>
      <div className="actions" role="group" aria-label="Actions">
        {pausable && group === 'running' ? <button type="button" disabled={busy !== undefined} onClick={() => act('Pause', () => api.post(`${path}/pause`))}>{busy === 'Pause' ? 'Pausing…' : 'Pause'}</button> : null}
        {pausable && group === 'paused' ? <button type="button" className="primary" disabled={busy !== undefined} onClick={() => act('Resume', () => api.post(`${path}/resume`))}>{busy === 'Resume' ? 'Resuming…' : 'Resume'}</button> : null}
        {group !== 'deleting' && !confirming ? <button type="button" className="danger" disabled={busy !== undefined} onClick={() => setConfirming(true)}>Delete</button> : null}
      </div>
      {confirming ? (
        <div className="confirm panel" role="alertdialog" aria-labelledby="confirm-delete">
          <p id="confirm-delete">Delete {object.kind} <strong>{object.metadata.namespace}/{object.metadata.name}</strong>? Its targets are recovered first; it then moves to the archive.</p>
          <div className="actions">
            <button type="button" className="danger" autoFocus disabled={busy !== undefined}
              onClick={() => act('Delete', () => api.delete(path), () => navigate(href('experiments')))}>{busy === 'Delete' ? 'Deleting… (recovering its targets)' : 'Yes, delete it'}</button>
            <button type="button" disabled={busy !== undefined} onClick={() => setConfirming(false)}>Cancel</button>
          </div>
        </div>
      ) : null}
      {error ? <p role="alert" className="error">{error}</p> : null}
    </div>
  )
}
