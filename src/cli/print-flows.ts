/**
 * @module cli/print-flows: how `get` and `describe` show the kinds that make other objects — Schedule, Workflow,
 * WorkflowNode, StatusCheck — from the status their reconcilers write (Chaos Mesh's status plus
 * `status.chaoscope`). Pure functions of the objects the verbs fetched.
 */
import type { ChaosObject } from '../index.js'
import { age, NONE, table } from './format.js'

/** The kinds shown here rather than as experiments. */
export const FLOW_KINDS: ReadonlySet<string> = new Set(['Schedule', 'Workflow', 'WorkflowNode', 'StatusCheck'])

type Status = Record<string, unknown> & { chaoscope?: Record<string, unknown>; conditions?: { type: string; status: string; reason?: string }[] }

const statusOf = (o: ChaosObject): Status => (o.status ?? {}) as unknown as Status
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)

/** `status.chaoscope.phase` as a capitalised word. */
export function flowPhase(o: ChaosObject): string {
  const p = str(statusOf(o).chaoscope?.phase)
  return p ? p.charAt(0).toUpperCase() + p.slice(1) : 'Unknown'
}

/** `12s ago` / `in 3s` from an ISO time, or <none>. */
function when(iso: unknown, now: number): string {
  const t = str(iso)
  if (!t) return NONE
  const ms = Date.parse(t)
  if (Number.isNaN(ms)) return NONE
  return ms <= now ? `${age(t, now)} ago` : `in ${age(new Date(now - (ms - now)).toISOString(), now)}`
}

/** One node of the tree a Workflow's status carries (`status.chaoscope.nodes`). */
export interface FlowNode {
  name: string
  template?: string
  type?: string
  phase?: string
  startTime?: string
  endTime?: string
  deadline?: string
  conditions?: { type: string; status: string; reason?: string }[]
  children?: FlowNode[]
}

function nodes(o: ChaosObject): FlowNode[] {
  const n = statusOf(o).chaoscope?.nodes
  if (Array.isArray(n)) return n as FlowNode[]
  return n && typeof n === 'object' ? [n as FlowNode] : []
}

function countNodes(list: FlowNode[]): { all: number; done: number } {
  let all = 0
  let done = 0
  const walk = (n: FlowNode) => {
    all++
    if (n.endTime) done++
    for (const c of n.children ?? []) walk(c)
  }
  list.forEach(walk)
  return { all, done }
}

/** One table row's cells for a flow kind (after NAMESPACE/NAME), and the header for them. */
export function flowColumns(kind: string): string[] {
  switch (kind) {
    case 'Schedule':
      return ['TYPE', 'SCHEDULE', 'POLICY', 'ACTIVE', 'LAST RUN', 'NEXT RUN', 'PHASE', 'AGE']
    case 'Workflow':
      return ['ENTRY', 'PHASE', 'NODES', 'AGE']
    case 'WorkflowNode':
      return ['WORKFLOW', 'TEMPLATE', 'TYPE', 'PHASE', 'DEADLINE', 'AGE']
    default:
      return ['TYPE', 'MODE', 'PHASE', 'PROBES', 'AGE']
  }
}

export function flowCells(o: ChaosObject, now: number): string[] {
  const s = statusOf(o)
  const spec = o.spec as Record<string, unknown>
  const created = o.metadata.creationTimestamp ? age(o.metadata.creationTimestamp, now) : '<unknown>'
  switch (o.kind) {
    case 'Schedule':
      return [
        str(spec.type) ?? NONE,
        str(spec.schedule) ?? NONE,
        str(spec.concurrencyPolicy) ?? 'Forbid',
        String(Array.isArray(s.active) ? s.active.length : 0),
        when(s.time, now),
        when(s.chaoscope?.nextRun, now),
        flowPhase(o),
        created,
      ]
    case 'Workflow': {
      const c = countNodes(nodes(o))
      return [str(spec.entry) ?? NONE, flowPhase(o), `${c.done}/${c.all}`, created]
    }
    case 'WorkflowNode':
      return [str(spec.workflowName) ?? NONE, str(spec.templateName) ?? NONE, str(spec.type) ?? NONE, flowPhase(o), str(spec.deadline) ?? NONE, created]
    default: {
      const records = Array.isArray(s.records) ? (s.records as { outcome?: string }[]) : []
      const ok = records.filter((r) => r.outcome === 'Success').length
      return [str(spec.type) ?? 'HTTP', str(spec.mode) ?? 'Synchronous', flowPhase(o), `${ok}/${records.length} ok`, created]
    }
  }
}

/** The node tree, one line per node, indented by depth: name, type, phase, start, end or deadline. */
export function nodeTreeText(list: FlowNode[], now: number): string {
  if (list.length === 0) return `  ${NONE}\n`
  const rows: string[][] = [['Node', 'Type', 'Phase', 'Started', 'Ended', 'Deadline']]
  const walk = (n: FlowNode, prefix: string, last: boolean, root: boolean) => {
    const lead = root ? '' : `${prefix}${last ? '└─ ' : '├─ '}`
    rows.push([`${lead}${n.name}`, n.type ?? NONE, n.phase ?? NONE, when(n.startTime, now), when(n.endTime, now), n.deadline ?? NONE])
    const kids = n.children ?? []
    const next = root ? '' : `${prefix}${last ? '   ' : '│  '}`
    kids.forEach((k, i) => walk(k, next, i === kids.length - 1, false))
  }
  list.forEach((n) => walk(n, '', true, true))
  return table(rows)
    .split('\n')
    .map((l) => (l ? `  ${l}` : l))
    .join('\n')
}

/** The kind-specific part of `describe` for a flow kind (after the metadata and spec, before the events). */
export function flowStatusText(o: ChaosObject, now: number = Date.now()): string {
  const s = statusOf(o)
  const lines: string[] = ['Status:', `  Phase:          ${flowPhase(o)}`]
  const conds = s.conditions ?? []
  if (o.kind !== 'Schedule') {
    lines.push('  Conditions:')
    if (conds.length === 0) lines.push(`    ${NONE}`)
    else lines.push(...table([['Type', 'Status', 'Reason'], ...conds.map((c) => [c.type, c.status, c.reason ?? ''])]).trimEnd().split('\n').map((l) => `    ${l}`))
  }
  switch (o.kind) {
    case 'Schedule': {
      lines.push(`  Last Run:       ${when(s.time, now)}${str(s.time) ? ` (${String(s.time)})` : ''}`)
      lines.push(`  Next Run:       ${when(s.chaoscope?.nextRun, now)}${str(s.chaoscope?.nextRun) ? ` (${String(s.chaoscope?.nextRun)})` : ''}`)
      const active = Array.isArray(s.active) ? (s.active as { kind?: string; name?: string }[]) : []
      lines.push(`  Active:         ${active.length === 0 ? NONE : active.map((a) => `${(a.kind ?? '').toLowerCase()}/${a.name}`).join(', ')}`)
      break
    }
    case 'Workflow':
      lines.push(`  Started:        ${when(s.startTime, now)}`, `  Ended:          ${when(s.endTime, now)}`, 'Nodes:')
      return `${lines.join('\n')}\n${nodeTreeText(nodes(o), now)}`
    case 'StatusCheck': {
      lines.push(`  Started:        ${when(s.startTime, now)}`, `  Completed:      ${when(s.completionTime, now)}`, `  Probes:         ${typeof s.count === 'number' ? s.count : 0}`)
      const records = Array.isArray(s.records) ? (s.records as { startTime?: string; outcome?: string }[]) : []
      lines.push('  Last Probes:')
      if (records.length === 0) lines.push(`    ${NONE}`)
      for (const r of records.slice(-10)) lines.push(`    ${r.startTime ?? NONE}  ${r.outcome ?? NONE}`)
      break
    }
    default:
      break
  }
  return `${lines.join('\n')}\n`
}
