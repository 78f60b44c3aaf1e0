/**
 * @module dashboard/components/workflow-graph: a Workflow's templates laid out as a graph, each template joined to
 * the WorkflowNode that ran it. Serial children go left to right, Parallel children are stacked, a Task's branches
 * stack after it; every other template (a chaos kind, Suspend, Schedule, StatusCheck) is one box.
 * Pure: the layout is data (boxes, frames, edges in pixels) that workflow-view.tsx draws as SVG.
 */
import type { ChaosObject } from '../types.js'

export const LABEL_WORKFLOW = 'chaos-mesh.org/workflow'

export interface Template {
  name: string
  templateType: string
  deadline?: string
  children?: string[]
  conditionalBranches?: { target: string; expression?: string }[]
}

/** A template's node as the graph shows it: its template, and the WorkflowNode that ran it (once spawned). */
export interface GraphNode {
  template: Template
  node?: ChaosObject
  /** Running, Accomplished, DeadlineExceed, Aborted; Pending before the node is spawned. */
  phase: string
}

export interface Box extends GraphNode { x: number; y: number; w: number; h: number; group: boolean }
export interface Edge { x1: number; y1: number; x2: number; y2: number }
export interface Layout { boxes: Box[]; edges: Edge[]; width: number; height: number }

export const BOX_W = 190
export const BOX_H = 64
const GAP = 36
const PAD = 14
/** Room a group's frame leaves above its children for its name. */
const HEAD = 30

/** The WorkflowNode's phase as its conditions say (Chaos Mesh's node conditions), Pending before it exists. */
export function nodePhaseOf(node: ChaosObject | undefined): string {
  if (!node) return 'Pending'
  const s = node.status as { chaoscope?: { phase?: string }; conditions?: { type: string; status: string }[] } | undefined
  if (s?.chaoscope?.phase) return s.chaoscope.phase
  const is = (t: string) => s?.conditions?.some((c) => c.type === t && c.status === 'True')
  return is('Aborted') ? 'Aborted' : is('Accomplished') ? 'Accomplished' : is('DeadlineExceed') ? 'DeadlineExceed' : 'Running'
}

/** The WorkflowNodes of `workflow` (by its label, in its namespace), by template name; the newest run of each. */
export function nodesByTemplate(workflow: ChaosObject, objects: Iterable<ChaosObject>): Map<string, ChaosObject> {
  const out = new Map<string, ChaosObject>()
  for (const o of objects) {
    if (o.kind !== 'WorkflowNode' || o.metadata.namespace !== workflow.metadata.namespace) continue
    if (o.metadata.labels?.[LABEL_WORKFLOW] !== workflow.metadata.name) continue
    const t = String(o.spec.templateName ?? '')
    const had = out.get(t)
    if (!had || String(o.spec.startTime ?? '') > String(had.spec.startTime ?? '')) out.set(t, o)
  }
  return out
}

interface Sized { w: number; h: number; place: (x: number, y: number, out: Layout) => { inX: number; inY: number; outX: number; outY: number } }

/** The layout of the workflow's templates from its entry. A template met again below itself is drawn once as a box. */
export function layoutWorkflow(workflow: ChaosObject, nodes: Map<string, ChaosObject>): Layout {
  const spec = workflow.spec as { entry?: string; templates?: Template[] }
  const templates = new Map((spec.templates ?? []).map((t) => [t.name, t]))
  const out: Layout = { boxes: [], edges: [], width: 0, height: 0 }
  const entry = templates.get(spec.entry ?? '')
  if (!entry) return out
  const root = size(entry, templates, nodes, new Set())
  root.place(0, 0, out)
  out.width = root.w
  out.height = root.h
  return out
}

function graphNode(t: Template, nodes: Map<string, ChaosObject>): GraphNode {
  const node = nodes.get(t.name)
  return { template: t, ...(node ? { node } : {}), phase: nodePhaseOf(node) }
}

function childrenOf(t: Template, templates: Map<string, Template>, seen: Set<string>): Template[] {
  const names = t.templateType === 'Task' ? (t.conditionalBranches ?? []).map((b) => b.target) : (t.children ?? [])
  return names.map((n) => templates.get(n)).filter((c): c is Template => c !== undefined && !seen.has(c.name))
}

function size(t: Template, templates: Map<string, Template>, nodes: Map<string, ChaosObject>, seen: Set<string>): Sized {
  const inner = new Set([...seen, t.name])
  const kids = childrenOf(t, templates, inner).map((c) => size(c, templates, nodes, inner))
  const me = graphNode(t, nodes)
  if ((t.templateType === 'Serial' || t.templateType === 'Parallel') && kids.length) return group(me, kids, t.templateType === 'Serial')
  if (t.templateType === 'Task' && kids.length) return taskWithBranches(me, kids)
  return leaf(me)
}

function leaf(n: GraphNode): Sized {
  return {
    w: BOX_W, h: BOX_H,
    place: (x, y, out) => {
      out.boxes.push({ ...n, x, y, w: BOX_W, h: BOX_H, group: false })
      return { inX: x, inY: y + BOX_H / 2, outX: x + BOX_W, outY: y + BOX_H / 2 }
    },
  }
}

/** A Serial (children in a row, joined one to the next) or Parallel (children in a column) frame. */
function group(n: GraphNode, kids: Sized[], serial: boolean): Sized {
  const innerW = serial ? kids.reduce((s, k) => s + k.w, 0) + GAP * (kids.length - 1) : Math.max(...kids.map((k) => k.w))
  const innerH = serial ? Math.max(...kids.map((k) => k.h)) : kids.reduce((s, k) => s + k.h, 0) + (GAP / 2) * (kids.length - 1)
  const w = Math.max(innerW + 2 * PAD, BOX_W)
  const h = innerH + HEAD + PAD
  return {
    w, h,
    place: (x, y, out) => {
      out.boxes.push({ ...n, x, y, w, h, group: true })
      let cx = x + PAD
      let cy = y + HEAD
      let prev: { outX: number; outY: number } | undefined
      for (const k of kids) {
        const ports = k.place(cx, serial ? y + HEAD + (innerH - k.h) / 2 : cy, out)
        if (serial && prev) out.edges.push({ x1: prev.outX, y1: prev.outY, x2: ports.inX, y2: ports.inY })
        if (!serial) {
          out.edges.push({ x1: x, y1: y + h / 2, x2: ports.inX, y2: ports.inY })
          out.edges.push({ x1: ports.outX, y1: ports.outY, x2: x + w, y2: y + h / 2 })
        }
        prev = ports
        if (serial) cx += k.w + GAP
        else cy += k.h + GAP / 2
      }
      return { inX: x, inY: y + h / 2, outX: x + w, outY: y + h / 2 }
    },
  }
}

/** A Task's box, then the templates its branches may choose, stacked to its right. */
function taskWithBranches(n: GraphNode, kids: Sized[]): Sized {
  const colW = Math.max(...kids.map((k) => k.w))
  const colH = kids.reduce((s, k) => s + k.h, 0) + (GAP / 2) * (kids.length - 1)
  const h = Math.max(BOX_H, colH)
  return {
    w: BOX_W + GAP + colW, h,
    place: (x, y, out) => {
      const task = leaf(n).place(x, y + (h - BOX_H) / 2, out)
      let cy = y + (h - colH) / 2
      for (const k of kids) {
        const ports = k.place(x + BOX_W + GAP, cy, out)
        out.edges.push({ x1: task.outX, y1: task.outY, x2: ports.inX, y2: ports.inY })
        cy += k.h + GAP / 2
      }
      return { inX: task.inX, inY: task.inY, outX: x + BOX_W + GAP + colW, outY: y + h / 2 }
    },
  }
}
