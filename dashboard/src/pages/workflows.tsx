/**
 * @module dashboard/pages/workflows: the Workflows (`#/workflows`) and one of them as a graph
 * (`#/workflows/NS/NAME`): its templates from the entry, each coloured by the phase of the WorkflowNode that ran
 * it (the live objects the workflow labels as its own). Choosing a node shows its conditions, times, the chaos
 * object it made (live, or in the archive once it finished) and their events.
 */
import { useEffect, useState } from 'react'
import { href } from '../router.js'
import { useSession } from '../session.js'
import { useLive } from '../live.js'
import type { ChaosEvent, ChaosObject } from '../types.js'
import { Badge } from '../components/status.js'
import { layoutWorkflow, nodesByTemplate } from '../components/workflow-graph.js'
import type { GraphNode, Template } from '../components/workflow-graph.js'
import { WorkflowView } from '../components/workflow-view.js'
import { utcTime } from '../components/pod-time.js'
import type { ArchivedItem } from './archive.js'

interface WorkflowStatus {
  startTime?: string
  endTime?: string
  entryNode?: string
  chaoscope?: { phase?: string }
}

const statusOf = (o: ChaosObject) => (o.status ?? {}) as WorkflowStatus

export function WorkflowsPage({ namespace, name }: { namespace?: string | undefined; name?: string | undefined }) {
  const { live } = useSession()
  const state = useLive(live)
  if (!state.loaded) return <p className="loading">Loading…</p>
  if (namespace && name) {
    const wf = state.objects.get(`Workflow/${namespace}/${name}`)
    if (!wf) return <p>No Workflow {namespace}/{name} (it may have been deleted). <a href={href('workflows')}>All workflows</a>.</p>
    return <WorkflowPage workflow={wf} objects={state.objects} events={state.events} />
  }
  const workflows = [...state.objects.values()].filter((o) => o.kind === 'Workflow')
  return (
    <section aria-labelledby="wf-title">
      <h1 id="wf-title">Workflows</h1>
      {workflows.length === 0 ? <p className="muted">No workflow. Apply one (see examples/shop-game-day.yaml) to see it here.</p> : (
        <div className="table-wrap">
          <table aria-label="Workflows">
            <thead><tr><th>Namespace</th><th>Name</th><th>Phase</th><th>Entry</th><th>Templates</th><th>Started</th><th>Ended</th></tr></thead>
            <tbody>
              {workflows.map((w) => {
                const s = statusOf(w)
                return (
                  <tr key={w.metadata.uid ?? w.metadata.name}>
                    <td>{w.metadata.namespace}</td>
                    <td><a href={href('workflows', w.metadata.namespace, w.metadata.name)}>{w.metadata.name}</a></td>
                    <td><Badge text={s.chaoscope?.phase ?? 'Pending'} /></td>
                    <td>{String(w.spec.entry ?? '')}</td>
                    <td>{((w.spec.templates as unknown[]) ?? []).length}</td>
                    <td>{utcTime(s.startTime)}</td>
                    <td>{utcTime(s.endTime)}</td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}

function WorkflowPage({ workflow, objects, events }: { workflow: ChaosObject; objects: ReadonlyMap<string, ChaosObject>; events: readonly ChaosEvent[] }) {
  const [selected, setSelected] = useState<string | undefined>()
  const nodes = nodesByTemplate(workflow, objects.values())
  const layout = layoutWorkflow(workflow, nodes)
  const s = statusOf(workflow)
  const chosen = layout.boxes.find((b) => b.template.name === selected)
  const own = events.filter((e) => e.kind === 'Workflow' && e.namespace === workflow.metadata.namespace && e.name === workflow.metadata.name)
  return (
    <section aria-labelledby="wf-title">
      <p><a href={href('workflows')}>← Workflows</a></p>
      <h1 id="wf-title">Workflow {workflow.metadata.namespace}/{workflow.metadata.name} <Badge text={s.chaoscope?.phase ?? 'Pending'} /></h1>
      <p className="muted">Started {utcTime(s.startTime)}{s.endTime ? `, ended ${utcTime(s.endTime)}` : ''}. Choose a node to see its status.</p>
      <Legend />
      {layout.boxes.length ? (
        <WorkflowView layout={layout} selected={selected} onSelect={setSelected} label={`Graph of workflow ${workflow.metadata.name}`} />
      ) : <p className="error">The entry template {JSON.stringify(workflow.spec.entry)} is not among the templates.</p>}
      {chosen ? <NodeDetails graph={chosen} namespace={workflow.metadata.namespace} objects={objects} events={events} /> : null}
      <h2>Events of the workflow</h2>
      <EventList events={own} />
    </section>
  )
}

function Legend() {
  return (
    <ul className="wf-legend" aria-label="Colours">
      {['Pending', 'Running', 'Accomplished', 'DeadlineExceed', 'Aborted'].map((p) => <li key={p}><span className={`swatch wf-${p.toLowerCase()}`} aria-hidden="true" />{p}</li>)}
    </ul>
  )
}

interface NodeStatus {
  conditions?: { type: string; status: string; reason?: string }[]
  chaosResource?: { kind: string; name: string }
  chaoscope?: { endTime?: string; task?: { exitCode: number; stdout: string } }
  activeChildren?: { name: string }[]
  finishedChildren?: { name: string }[]
}

/** The chaos object a node made: live while it runs (status.chaosResource, or owned by the node), else archived. */
type NodeChaos = { kind: string; name: string; link: string; where: 'live' | 'archived' }

function useNodeChaos(node: ChaosObject | undefined, objects: ReadonlyMap<string, ChaosObject>): NodeChaos | undefined {
  const { api } = useSession()
  const [archived, setArchived] = useState<NodeChaos | undefined>()
  const ns = node?.metadata.namespace ?? ''
  const st = (node?.status ?? {}) as NodeStatus
  const owned = node ? [...objects.values()].find((o) => o.metadata.ownerReferences?.some((r) => r.uid === node.metadata.uid)) : undefined
  const live = st.chaosResource ?? (owned ? { kind: owned.kind, name: owned.metadata.name } : undefined)
  const type = String(node?.spec.type ?? '')
  useEffect(() => {
    setArchived(undefined)
    if (!node || live || !type || ['Serial', 'Parallel', 'Task', 'Suspend'].includes(type)) return
    let stopped = false
    api.get<{ items: ArchivedItem[] }>(`/api/v1/archive?${new URLSearchParams({ kind: type, namespace: ns, limit: '1000' })}`).then(
      (a) => {
        const mine = a.items.find((i) => i.object.metadata.ownerReferences?.some((r) => r.uid === node.metadata.uid))
        if (!stopped && mine) setArchived({ kind: mine.kind, name: mine.name, link: href('archive', mine.uid), where: 'archived' })
      },
      () => {},
    )
    return () => { stopped = true }
  }, [api, node?.metadata.uid, live?.name, type])
  if (live) return { ...live, link: href('experiments', live.kind, ns, live.name), where: 'live' }
  return archived
}

function NodeDetails({ graph, namespace, objects, events }: { graph: GraphNode; namespace: string; objects: ReadonlyMap<string, ChaosObject>; events: readonly ChaosEvent[] }) {
  const t: Template = graph.template
  const node = graph.node
  const st = (node?.status ?? {}) as NodeStatus
  const chaos = useNodeChaos(node, objects)
  const mine = node ? events.filter((e) => e.namespace === namespace && ((e.kind === 'WorkflowNode' && e.name === node.metadata.name) || (chaos && e.kind === chaos.kind && e.name === chaos.name))) : []
  return (
    <div className="panel wf-details" aria-live="polite" aria-labelledby="wf-node-title">
      <h2 id="wf-node-title">{t.name} <Badge text={graph.phase} /></h2>
      <dl className="facts">
        <dt>Template type</dt><dd>{t.templateType}</dd>
        <dt>Node</dt><dd className="mono">{node?.metadata.name ?? 'not started yet'}</dd>
        <dt>Started</dt><dd>{utcTime(node?.spec.startTime as string | undefined)}</dd>
        <dt>Ended</dt><dd>{utcTime(st.chaoscope?.endTime)}</dd>
        {t.deadline ? <><dt>Deadline</dt><dd>{t.deadline}{node?.spec.deadline ? ` (at ${utcTime(String(node.spec.deadline))})` : ''}</dd></> : null}
        <dt>Chaos object</dt>
        <dd>{chaos ? <><a href={chaos.link}>{chaos.kind} {chaos.name}</a>{chaos.where === 'archived' ? <span className="muted"> (finished: in the archive)</span> : null}</> : '—'}</dd>
        <dt>Conditions</dt>
        <dd>{st.conditions?.length ? st.conditions.map((c) => `${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ''}`).join(', ') : '—'}</dd>
        {st.chaoscope?.task ? <><dt>Task exit code</dt><dd>{st.chaoscope.task.exitCode}</dd></> : null}
      </dl>
      <h3>Events</h3>
      <EventList events={mine} />
    </div>
  )
}

function EventList({ events }: { events: readonly ChaosEvent[] }) {
  if (events.length === 0) return <p className="muted">No events kept for it.</p>
  return (
    <ul className="events">
      {[...events].reverse().slice(0, 50).map((e) => (
        <li key={e.id} className={e.type}><span className="muted">{utcTime(e.time)}</span> {e.kind} {e.name}: <strong>{e.reason}</strong> {e.message}</li>
      ))}
    </ul>
  )
}
