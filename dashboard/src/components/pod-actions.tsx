/**
 * @module dashboard/components/pod-actions: a writer's quick faults on one pod: Kill (a PodChaos pod-kill that
 * selects only that pod) and "Fail for N seconds" (a PodChaos pod-failure with that duration). Each is an
 * ordinary experiment, applied as YAML, and linked once created so its progress can be followed.
 */
import { useState } from 'react'
import { stringify } from 'yaml'
import { errorText } from '../api.js'
import { href } from '../router.js'
import { useSession } from '../session.js'
import type { ChaosObject, Pod } from '../types.js'
import { generatedName } from './create-form.js'

/** The PodChaos of a quick action: `selector.pods` names the one pod, mode one. */
export function podChaosYaml(pod: Pick<Pod, 'namespace' | 'name' | 'service'>, action: 'pod-kill' | 'pod-failure', seconds?: number): string {
  const prefix = `${action === 'pod-kill' ? 'kill' : 'fail'}-${pod.service}`.slice(0, 40)
  return stringify({
    apiVersion: 'chaos-mesh.org/v1alpha1',
    kind: 'PodChaos',
    metadata: { name: generatedName(prefix), namespace: pod.namespace },
    spec: { action, mode: 'one', selector: { pods: { [pod.namespace]: [pod.name] } }, ...(seconds !== undefined ? { duration: `${seconds}s` } : {}) },
  })
}

/**
 * The quick faults' buttons. What they create is handed to `onMade`: the page lists it, since a killed pod's row
 * goes away (the runtime replaces the pod with a new one of another name).
 */
export function PodActions({ pod, withFailure = true, onMade }: { pod: Pod; withFailure?: boolean; onMade: (o: ChaosObject) => void }) {
  const { api } = useSession()
  const [seconds, setSeconds] = useState('10')
  const [error, setError] = useState<string | undefined>()
  const [busy, setBusy] = useState(false)

  const run = async (yaml: string) => {
    setBusy(true)
    setError(undefined)
    try {
      const answer = await api.apply<{ items: { object: ChaosObject }[] }>(yaml, { file: 'quick-action.yaml' })
      for (const i of answer.items) onMade(i.object)
    } catch (e) {
      setError(errorText(e, { hint: false }))
    } finally {
      setBusy(false)
    }
  }
  const n = Number(seconds)
  const validSeconds = Number.isInteger(n) && n > 0
  return (
    <div className="pod-actions">
      <div className="actions">
        <button type="button" className="danger" disabled={busy} aria-label={`Kill ${pod.name}`} onClick={() => run(podChaosYaml(pod, 'pod-kill'))}>Kill</button>
        {withFailure ? (
          <span className="inline-field">
            <button type="button" className="danger" disabled={busy || !validSeconds} onClick={() => run(podChaosYaml(pod, 'pod-failure', n))}>Fail for</button>
            <label htmlFor={`fail-${pod.name}`} className="sr-only">Seconds of failure</label>
            <input id={`fail-${pod.name}`} type="number" min={1} step={1} value={seconds} onChange={(e) => setSeconds(e.target.value)} className="seconds" />
            <span>seconds</span>
          </span>
        ) : null}
      </div>
      {error ? <p role="alert" className="error">{error}</p> : null}
    </div>
  )
}

/** The experiments the quick faults created, newest first, each a link to its page. */
export function MadeList({ made }: { made: readonly ChaosObject[] }) {
  if (made.length === 0) return null
  return (
    <div className="notice made" role="status">
      Created:
      <ul aria-label="Experiments created here">
        {made.map((o) => (
          <li key={o.metadata.uid ?? o.metadata.name}>
            <a href={href('experiments', o.kind, o.metadata.namespace, o.metadata.name)}>{o.kind} {o.metadata.name}</a> ({String(o.spec.action)}{o.spec.duration ? ` for ${String(o.spec.duration)}` : ''})
          </li>
        ))}
      </ul>
    </div>
  )
}
