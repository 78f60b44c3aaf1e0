/**
 * @module dashboard/pages/pods: the local runtime's pods (`#/pods`), read again every 2 s while shown, and one pod
 * (`#/pods/NAME`) with its last log lines. Writers get quick faults on a pod (components/pod-actions.tsx).
 * A controller without a local runtime (the Kubernetes target) answers RUNTIME_NOT_RUNNING: shown as it says.
 */
import { useEffect, useState } from 'react'
import { ApiError, errorText } from '../api.js'
import { href } from '../router.js'
import { podsFor, useSession } from '../session.js'
import type { ChaosObject, Pod } from '../types.js'
import { Badge } from '../components/status.js'
import { MadeList, PodActions } from '../components/pod-actions.js'
import { ageOf, utcTime } from '../components/pod-time.js'

/** How often the list is read again while the page shows. */
const REFRESH_MS = 2000
/** How many log lines a pod's page shows. */
const LOG_TAIL = 200


/** The pods, read every {@link REFRESH_MS}; the last error stays until a read succeeds. */
function usePodList(): { pods?: Pod[]; error?: string; at: number } {
  const session = useSession()
  const { api } = session
  const [state, setState] = useState<{ pods?: Pod[]; error?: string; at: number }>({ at: Date.now() })
  useEffect(() => {
    let stopped = false
    let timer: ReturnType<typeof setTimeout> | undefined
    const read = async () => {
      try {
        const pods = await podsFor(session)
        if (!stopped) setState({ pods, at: Date.now() })
      } catch (e) {
        if (!stopped) setState((s) => ({ ...s, error: errorText(e), at: Date.now() }))
      }
      if (!stopped) timer = setTimeout(read, REFRESH_MS)
    }
    void read()
    return () => {
      stopped = true
      clearTimeout(timer)
    }
  }, [api])
  return state
}

/** A pod's phase, or its waiting reason when it has one (CrashLoopBackOff says more than Pending). */
function phaseText(p: Pod): string {
  return p.reason ?? p.phase
}

/** A container's last exit in words: why, its code or signal, when. */
function exitText(e: NonNullable<Pod['lastExit']>): string {
  const how = e.signal ? `signal ${e.signal}` : `exit code ${e.exitCode}`
  return `${e.reason ?? 'exited'} (${how})${e.finishedAt ? ` at ${utcTime(e.finishedAt)}` : ''}`
}

export function PodsPage({ name }: { name?: string | undefined }) {
  const list = usePodList()
  // kept here, not in a row: a killed pod's row goes away with it
  const [made, setMade] = useState<ChaosObject[]>([])
  const onMade = (o: ChaosObject) => setMade((m) => [o, ...m])
  if (!list.pods) {
    return (
      <section aria-labelledby="pods-title">
        <h1 id="pods-title">Pods</h1>
        {list.error ? <p role="alert" className="error">{list.error}</p> : <p className="loading">Reading the pods…</p>}
      </section>
    )
  }
  if (name) return <PodPage pods={list.pods} name={name} at={list.at} made={made} onMade={onMade} />
  return <PodList pods={list.pods} at={list.at} error={list.error} made={made} onMade={onMade} />
}

interface Made {
  made: readonly ChaosObject[]
  onMade: (o: ChaosObject) => void
}

function PodList({ pods, at, error, made, onMade }: { pods: Pod[]; at: number; error: string | undefined } & Made) {
  const { canWrite } = useSession()
  const sorted = [...pods].sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name))
  return (
    <section aria-labelledby="pods-title">
      <h1 id="pods-title">Pods</h1>
      <p className="help">The local runtime's pods, read every {REFRESH_MS / 1000} s.{canWrite ? ' Kill applies a PodChaos pod-kill of that one pod: the runtime replaces it with a new pod.' : ''}</p>
      {error ? <p role="alert" className="error">{error}</p> : null}
      <MadeList made={made} />
      <div className="table-wrap">
        <table aria-label="Pods">
          <thead>
            <tr><th>Namespace</th><th>Name</th><th>Service</th><th>Phase</th><th>Ready</th><th>Restarts</th><th>Age</th>{canWrite ? <th>Actions</th> : null}</tr>
          </thead>
          <tbody>
            {sorted.map((p) => (
              <tr key={p.uid} data-pod={p.name}>
                <td>{p.namespace}</td>
                <td><a href={href('pods', p.name)}>{p.name}</a></td>
                <td>{p.service}</td>
                <td><Badge text={phaseText(p)} /></td>
                <td>{p.ready ? 'yes' : 'no'}</td>
                <td className="restarts">{p.restartCount}</td>
                <td>{ageOf(p.startTime, at)}</td>
                {canWrite ? <td><PodActions pod={p} withFailure={false} onMade={onMade} /></td> : null}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {sorted.length === 0 ? <p className="muted">The runtime has no pods.</p> : null}
    </section>
  )
}

function PodPage({ pods, name, at, made, onMade }: { pods: Pod[]; name: string; at: number } & Made) {
  const { canWrite } = useSession()
  const pod = pods.find((p) => p.name === name)
  if (!pod) return <section><MadeList made={made} /><p>No pod named <code>{name}</code> now (a killed pod is replaced by a new one of another name). <a href={href('pods')}>All pods</a>.</p></section>
  return (
    <section aria-labelledby="pod-title">
      <p><a href={href('pods')}>← Pods</a></p>
      <h1 id="pod-title">Pod {pod.namespace}/{pod.name}</h1>
      <dl className="facts">
        <dt>Service</dt><dd>{pod.service}</dd>
        <dt>Phase</dt><dd><Badge text={phaseText(pod)} />{pod.message ? <span className="muted"> {pod.message}</span> : null}</dd>
        <dt>Ready</dt><dd>{pod.ready ? 'yes' : 'no'}</dd>
        <dt>Restarts</dt><dd>{pod.restartCount}</dd>
        <dt>Age</dt><dd>{ageOf(pod.startTime, at)}</dd>
        <dt>Address</dt><dd className="mono">{pod.podIP ?? '—'}:{pod.port}</dd>
        <dt>Labels</dt><dd className="mono">{Object.entries(pod.labels).map(([k, v]) => `${k}=${v}`).join(', ') || '—'}</dd>
        {pod.lastExit ? <><dt>Last exit</dt><dd>{exitText(pod.lastExit)}</dd></> : null}
      </dl>
      {canWrite ? <><h2>Quick faults</h2><PodActions pod={pod} onMade={onMade} /><MadeList made={made} /></> : null}
      <PodLogs name={pod.name} restarts={pod.restartCount} />
    </section>
  )
}

/** The pod's last {@link LOG_TAIL} log lines, read again when it restarts and on demand. */
function PodLogs({ name, restarts }: { name: string; restarts: number }) {
  const { api } = useSession()
  const [text, setText] = useState<string | undefined>()
  const [error, setError] = useState<string | undefined>()
  const [reads, setReads] = useState(0)
  useEffect(() => {
    let stopped = false
    api.text(`/api/v1/pods/${encodeURIComponent(name)}/logs?tail=${LOG_TAIL}`).then(
      (t) => { if (!stopped) { setText(t); setError(undefined) } },
      (e) => { if (!stopped) setError(e instanceof ApiError && e.status === 404 && e.code === 'HTTP_404' ? 'This server has no pod-log endpoint (GET /api/v1/pods/NAME/logs answers 404).' : errorText(e)) },
    )
    return () => { stopped = true }
  }, [api, name, restarts, reads])
  return (
    <>
      <h2>Logs <span className="muted">(last {LOG_TAIL} lines)</span></h2>
      <div className="actions"><button type="button" onClick={() => setReads((n) => n + 1)}>Read again</button></div>
      {error ? <p role="alert" className="error">{error}</p> : text === undefined ? <p className="muted">Reading…</p> : <pre className="block logs" tabIndex={0} aria-label={`Logs of ${name}`}>{text || '(no output yet)'}</pre>}
    </>
  )
}
