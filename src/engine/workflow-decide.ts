/**
 * @module engine/workflow-decide: the pure decisions of Workflow and WorkflowNode, as Chaos Mesh's workflow
 * controllers make them (pkg/workflow/controllers: entry, serial, parallel, task, chaos, statuscheck, deadline,
 * abort), folded into one pass per object: given what is stored (spec, status), what the children are and now,
 * what to write and what to do. No I/O, no clock: the reconcilers in engine/workflow.ts carry it out.
 *
 *   node ─ deadline reached? ─▶ DeadlineExceed (NodeDeadlineExceed, or NodeDeadlineOmitted when accomplished)
 *        ─ finished? ─────────▶ remove its chaos / Schedule / StatusCheck; pass DeadlineExceed / Aborted to active children
 *        ─ else by type ──────▶ Serial: next child once none is active   Parallel: every child at once
 *                               Task: run, then evaluate conditionalBranches, spawn the chosen targets
 *                               chaos, Schedule, StatusCheck: one object; Suspend: waits its deadline
 */
import { EMBED_KEY_OF_KIND } from '../manifest/kinds/embed.js'

export const LABEL_CONTROLLED_BY = 'chaos-mesh.org/controlled-by'
export const LABEL_WORKFLOW = 'chaos-mesh.org/workflow'
export const ABORT_ANNOTATION = 'workflow.chaos-mesh.org/abort'

export type ConditionStatus = 'True' | 'False' | 'Unknown'
export type NodeConditionType = 'Accomplished' | 'DeadlineExceed' | 'ChaosInjected' | 'Aborted'
export interface NodeCondition {
  type: NodeConditionType
  status: ConditionStatus
  reason: string
}
export interface WorkflowCondition {
  type: 'Accomplished' | 'Scheduled'
  status: ConditionStatus
  reason: string
}

/** Chaos Mesh's reasons (api/v1alpha1/workflownode_types.go). */
export const REASONS = {
  EntryCreated: 'EntryCreated',
  InvalidEntry: 'InvalidEntry',
  WorkflowAccomplished: 'WorkflowAccomplished',
  NodeAccomplished: 'NodeAccomplished',
  NodesCreated: 'NodesCreated',
  NodeDeadlineExceed: 'NodeDeadlineExceed',
  NodeDeadlineNotExceed: 'NodeDeadlineNotExceed',
  NodeDeadlineOmitted: 'NodeDeadlineOmitted',
  ParentNodeDeadlineExceed: 'ParentNodeDeadlineExceed',
  ChaosCRCreated: 'ChaosCRCreated',
  ChaosCRCreateFailed: 'ChaosCRCreateFailed',
  ChaosCRDeleted: 'ChaosCRDeleted',
  ChaosCRNotExists: 'ChaosCRNotExists',
  TaskPodSpawned: 'TaskPodSpawned',
  TaskPodSpawnFailed: 'TaskPodSpawnFailed',
  TaskPodPodCompleted: 'TaskPodPodCompleted',
  ConditionalBranchesSelected: 'ConditionalBranchesSelected',
  StatusCheckCreated: 'StatusCheckCreated',
  StatusCheckCreatedFailed: 'StatusCheckCreatedFailed',
  StatusCheckDeleted: 'StatusCheckDeleted',
  StatusCheckCompleted: 'StatusCheckCompleted',
  StatusCheckNotExceedSuccessThreshold: 'StatusCheckNotExceedSuccessThreshold',
  ParentNodeAborted: 'ParentNodeAborted',
  WorkflowAborted: 'WorkflowAborted',
} as const

/** The node types that are not a chaos kind. */
export const FLOW_TYPES = new Set(['Serial', 'Parallel', 'Suspend', 'Task', 'Schedule', 'StatusCheck'])

/** True for a template type that is one chaos kind (NetworkChaos, PodChaos, …): the node spawns that object. */
export function isChaosType(type: string): boolean {
  return !FLOW_TYPES.has(type) && Object.hasOwn(EMBED_KEY_OF_KIND, type)
}

export interface ConditionalBranch {
  target: string
  expression?: string
}
export interface BranchStatus {
  target: string
  evaluationResult: ConditionStatus
}

/** Chaos Mesh's WorkflowNodeSpec: what the node was rendered from its template with, at its creation. */
export interface NodeSpec {
  templateName: string
  workflowName: string
  type: string
  /** ISO; the deadline counts from here. */
  startTime: string
  /** ISO: startTime + the template's deadline. */
  deadline?: string
  children?: string[]
  task?: { container?: Record<string, unknown>; volumes?: unknown[]; labels?: Record<string, string> }
  conditionalBranches?: ConditionalBranch[]
  schedule?: Record<string, unknown>
  statusCheck?: Record<string, unknown>
  abortWithStatusCheck?: boolean
  /** The embedded chaos (`networkChaos`, `podChaos`, …) for a chaos node. */
  [embed: string]: unknown
}

/** What a Task's process left (its exit code and output), stored once it ended. */
export interface TaskResult {
  exitCode: number
  stdout: string
  stderr?: string
  timedOut?: boolean
  startedAt?: string
  finishedAt?: string
  /** The process could not be started (exec refused, no such command): no exit code to branch on. */
  error?: string
}

/** Chaos Mesh's WorkflowNodeStatus, plus ours under `chaoscope`. */
export interface NodeStatus {
  chaosResource?: { apiGroup: string; kind: string; name: string }
  conditionalBranchesStatus?: { branches: BranchStatus[]; context?: string[] }
  activeChildren?: { name: string }[]
  finishedChildren?: { name: string }[]
  conditions?: NodeCondition[]
  chaoscope?: {
    phase?: NodePhase
    /** ISO: when the node first finished. */
    endTime?: string
    task?: TaskResult
  }
}

export type NodePhase = 'Running' | 'Accomplished' | 'DeadlineExceed' | 'Aborted'

/** A child WorkflowNode as its parent sees it. */
export interface ChildNode {
  name: string
  template: string
  finished: boolean
}

/** The object a chaos / Schedule / StatusCheck node spawned. */
export interface ChildObject {
  kind: string
  name: string
  deleting: boolean
}

export type StatusCheckOutcome = 'running' | 'succeeded' | 'failed'

export interface NodeFacts {
  spec: NodeSpec
  status: NodeStatus
  /** Child WorkflowNodes, oldest first. */
  children: readonly ChildNode[]
  /** The chaos / Schedule / StatusCheck objects it spawned (live, deleting ones included). */
  objects: readonly ChildObject[]
  /** For a StatusCheck node whose check exists: how it stands. */
  statusCheck?: StatusCheckOutcome
  /** A Task's process is running now (in this controller). */
  taskRunning?: boolean
  now: number
  /** Evaluates a branch expression on a Task's result (engine/expression.ts); a throw counts as Unknown. */
  evaluate?: (expression: string, env: { exitCode: number; stdout: string }) => boolean
}

export interface Event {
  type: 'Normal' | 'Warning'
  reason: string
  message: string
}

/** A condition the parent sets on each of its active children (Chaos Mesh's propagation). */
export interface Propagation {
  condition: NodeCondition
  event: Event
}

export interface NodeDecision {
  /** The status to store (unchanged fields kept). */
  status: NodeStatus
  events: Event[]
  /** Template names to render as child nodes now. */
  spawnNodes: string[]
  /** Spawn this node's object (the chaos, the Schedule, the StatusCheck). */
  spawnObject: boolean
  /** Objects to delete (finished node), by name; each gets its ChaosCRDeleted / StatusCheckDeleted event. */
  removeObjects: ChildObject[]
  /** Conditions to set on every unfinished child node. */
  propagate: Propagation[]
  /** Start the Task's process. */
  runTask: boolean
  /** Stop the Task's process (the node finished while it ran). */
  stopTask: boolean
  /** Set the abort annotation on the workflow (a StatusCheck with abortWithStatusCheck failed). */
  abortWorkflow: boolean
  finished: boolean
  /** Look again at this time (ms): the deadline. */
  wakeAt?: number
}

const cond = (status: NodeStatus | undefined, type: NodeConditionType) => status?.conditions?.find((c) => c.type === type)
export const conditionIs = (status: NodeStatus | undefined, type: NodeConditionType, want: ConditionStatus = 'True'): boolean => cond(status, type)?.status === want

/** Chaos Mesh's WorkflowNodeFinished: Accomplished, DeadlineExceed or Aborted is True. */
export function nodeFinished(status: NodeStatus | undefined): boolean {
  return conditionIs(status, 'Accomplished') || conditionIs(status, 'DeadlineExceed') || conditionIs(status, 'Aborted')
}

/** The phase shown for a node: Aborted, else Accomplished, else DeadlineExceed, else Running. */
export function nodePhase(status: NodeStatus | undefined): NodePhase {
  if (conditionIs(status, 'Aborted')) return 'Aborted'
  if (conditionIs(status, 'Accomplished')) return 'Accomplished'
  if (conditionIs(status, 'DeadlineExceed')) return 'DeadlineExceed'
  return 'Running'
}

/** Chaos Mesh's SetCondition: replaces the condition of that type (kept in place when status and reason are the same). */
export function setCondition<C extends { type: string; status: string; reason: string }>(conditions: readonly C[] | undefined, c: C): C[] {
  const list = [...(conditions ?? [])]
  const at = list.findIndex((x) => x.type === c.type)
  if (at >= 0 && list[at]!.status === c.status && list[at]!.reason === c.reason) return list
  if (at >= 0) list.splice(at, 1)
  list.push(c)
  return list
}

/** The branches a Task chose: those evaluated True. */
export function selectedBranches(status: NodeStatus): string[] {
  return (status.conditionalBranchesStatus?.branches ?? []).filter((b) => b.evaluationResult === 'True').map((b) => b.target)
}

/** A Task's branches are evaluated once its result is stored and each branch has a result (Unknown: the expression failed). */
export function branchesEvaluated(spec: NodeSpec, status: NodeStatus): boolean {
  const b = status.conditionalBranchesStatus
  return status.chaoscope?.task !== undefined && b?.context !== undefined && b.branches.length === (spec.conditionalBranches ?? []).length
}

/** Go's fmt of a []string, as Chaos Mesh's messages print one: `[a b]`. */
const goList = (xs: readonly string[]) => `[${xs.join(' ')}]`

/** The kind of object a node spawns (its chaos kind, Schedule or StatusCheck); undefined for flow nodes. */
export function objectKindOf(type: string): string | undefined {
  if (type === 'Schedule' || type === 'StatusCheck') return type
  return isChaosType(type) ? type : undefined
}

/**
 * One node's next step. Chaos Mesh's reconcilers each do part of it on their own watch; here they run in this
 * order on one snapshot: the deadline, then the work of the node's type (skipped once it is finished, except
 * removing what it spawned and passing its end on to its active children).
 *
 * @example decideNode({ spec: { type: 'Suspend', deadline: '2024-05-01T10:00:10Z', … }, status: {}, children: [], objects: [], now: Date.parse('2024-05-01T10:00:10Z') })
 *   // DeadlineExceed True (NodeDeadlineExceed), event "deadline exceed", finished
 */
export function decideNode(f: NodeFacts): NodeDecision {
  const { spec, now } = f
  const before = f.status
  const wasFinished = nodeFinished(before)
  let conditions = [...(before.conditions ?? [])]
  const events: Event[] = []
  const status: NodeStatus = { ...before }
  const out: NodeDecision = { status, events, spawnNodes: [], spawnObject: false, removeObjects: [], propagate: [], runTask: false, stopTask: false, abortWorkflow: false, finished: false }
  const set = (c: NodeCondition) => (conditions = setCondition(conditions, c))
  const current = (): NodeStatus => ({ ...status, conditions })

  // 1. the deadline (DeadlineReconciler)
  const deadline = spec.deadline !== undefined ? Date.parse(spec.deadline) : undefined
  if (deadline !== undefined && !Number.isNaN(deadline)) {
    if (now >= deadline) {
      if (!conditionIs(current(), 'DeadlineExceed')) {
        const omitted = conditionIs(current(), 'Accomplished')
        set({ type: 'DeadlineExceed', status: 'True', reason: omitted ? REASONS.NodeDeadlineOmitted : REASONS.NodeDeadlineExceed })
        if (!omitted) events.push({ type: 'Normal', reason: REASONS.NodeDeadlineExceed, message: 'deadline exceed' })
      }
    } else {
      const dc = cond(current(), 'DeadlineExceed')
      if (!(dc?.status === 'True' && dc.reason === REASONS.ParentNodeDeadlineExceed)) set({ type: 'DeadlineExceed', status: 'False', reason: REASONS.NodeDeadlineNotExceed })
      out.wakeAt = deadline
    }
  }

  const kind = objectKindOf(spec.type)
  const finishedNow = () => nodeFinished(current())

  // 2. the work of its type
  switch (spec.type) {
    case 'Serial':
    case 'Parallel': {
      const want = spec.children ?? []
      if (!finishedNow() && want.length > 0) {
        const active = f.children.filter((c) => !c.finished)
        const done = f.children.filter((c) => c.finished)
        if (spec.type === 'Serial' && active.length === 0 && done.length < want.length) out.spawnNodes = [want[done.length]!]
        if (spec.type === 'Parallel') out.spawnNodes = missing(want, f.children)
      }
      accomplishWhen(f.children.filter((c) => c.finished).length === want.length)
      break
    }
    case 'Task': {
      const task = before.chaoscope?.task
      const branches = spec.conditionalBranches ?? []
      if (task === undefined) {
        if (!finishedNow() && !f.taskRunning) out.runTask = true
        status.conditionalBranchesStatus = { ...(before.conditionalBranchesStatus ?? {}), branches: branches.map((b) => ({ target: b.target, evaluationResult: 'Unknown' })) }
      } else if (!branchesEvaluated(spec, before)) {
        const env = { exitCode: task.exitCode, stdout: task.stdout.trim() }
        const evaluated: BranchStatus[] = branches.map((b) => ({ target: b.target, evaluationResult: task.error !== undefined ? 'Unknown' : evaluateBranch(b, env, f.evaluate) }))
        status.conditionalBranchesStatus = { branches: evaluated, context: [JSON.stringify(env)] }
        events.push({ type: 'Normal', reason: REASONS.TaskPodPodCompleted, message: task.error !== undefined ? `the task's process did not run: ${task.error}` : `the task's process exited with code ${task.exitCode}${task.timedOut ? ' (timed out)' : ''}` })
        events.push({ type: 'Normal', reason: REASONS.ConditionalBranchesSelected, message: `selected branches: ${goList(selectedBranches(status))}` })
      }
      const evaluated = branchesEvaluated(spec, status)
      const targets = evaluated ? selectedBranches(status) : []
      if (evaluated && !finishedNow()) out.spawnNodes = missing(targets, f.children)
      accomplishWhen(evaluated && f.children.filter((c) => c.finished).length === targets.length)
      if (f.taskRunning && finishedNow()) out.stopTask = true
      break
    }
    case 'StatusCheck': {
      if (f.statusCheck !== undefined && f.objects.some((o) => !o.deleting)) {
        if (f.statusCheck === 'running') set({ type: 'Accomplished', status: 'False', reason: '' })
        else {
          if (!conditionIs(current(), 'Accomplished') && !finishedNow()) events.push({ type: 'Normal', reason: REASONS.NodeAccomplished, message: 'node accomplished' })
          set({ type: 'Accomplished', status: 'True', reason: REASONS.StatusCheckCompleted })
        }
        if (spec.abortWithStatusCheck && f.statusCheck === 'failed') {
          if (!conditionIs(current(), 'Aborted')) out.abortWorkflow = true
          set({ type: 'Aborted', status: 'True', reason: REASONS.StatusCheckNotExceedSuccessThreshold })
        } else if (!conditionIs(current(), 'Aborted')) set({ type: 'Aborted', status: 'False', reason: '' })
      }
      break
    }
    default:
      break // Suspend waits for its deadline; a chaos or Schedule node lasts until it (or an abort)
  }

  // 3. the object of a chaos, Schedule or StatusCheck node: one while it runs, none once it is finished
  if (kind !== undefined) {
    if (finishedNow()) out.removeObjects = f.objects.filter((o) => !o.deleting)
    else if (f.objects.length === 0) out.spawnObject = true
    if (kind !== 'StatusCheck') {
      const live = f.objects[0]
      set(live ? { type: 'ChaosInjected', status: 'True', reason: REASONS.ChaosCRCreated } : { type: 'ChaosInjected', status: 'False', reason: REASONS.ChaosCRNotExists })
    }
    const live = f.objects[0]
    if (live) status.chaosResource = { apiGroup: 'chaos-mesh.org', kind: live.kind, name: live.name }
    else delete status.chaosResource
  }

  // 4. a finished node passes its end to its active children (DeadlineReconciler, AbortNodeReconciler)
  const fin = current()
  if (spec.type === 'Serial' || spec.type === 'Parallel' || spec.type === 'Task') {
    if (conditionIs(fin, 'DeadlineExceed')) {
      out.propagate.push({ condition: { type: 'DeadlineExceed', status: 'True', reason: REASONS.ParentNodeDeadlineExceed }, event: { type: 'Normal', reason: REASONS.ParentNodeDeadlineExceed, message: '' } })
    }
    if (conditionIs(fin, 'Aborted')) {
      out.propagate.push({ condition: { type: 'Aborted', status: 'True', reason: REASONS.ParentNodeAborted }, event: { type: 'Normal', reason: REASONS.ParentNodeAborted, message: '' } })
    }
  }

  if (spec.type === 'Serial' || spec.type === 'Parallel' || spec.type === 'Task') {
    status.activeChildren = f.children.filter((c) => !c.finished).map((c) => ({ name: c.name }))
    status.finishedChildren = f.children.filter((c) => c.finished).map((c) => ({ name: c.name }))
  }
  status.conditions = conditions
  out.finished = nodeFinished(status)
  const phase = nodePhase(status)
  const endTime = before.chaoscope?.endTime ?? (out.finished ? new Date(now).toISOString() : undefined)
  status.chaoscope = { ...(before.chaoscope ?? {}), phase, ...(endTime ? { endTime } : {}) }
  if (out.finished) delete out.wakeAt
  return out

  function accomplishWhen(done: boolean): void {
    if (done) {
      if (!wasFinished && !nodeFinished(current())) events.push({ type: 'Normal', reason: REASONS.NodeAccomplished, message: 'node accomplished' })
      set({ type: 'Accomplished', status: 'True', reason: '' })
    } else set({ type: 'Accomplished', status: 'False', reason: '' })
  }
}

/** The templates of `want` that no child was rendered from yet (each counted: a template named twice runs twice). */
function missing(want: readonly string[], children: readonly ChildNode[]): string[] {
  const have = new Map<string, number>()
  for (const c of children) have.set(c.template, (have.get(c.template) ?? 0) + 1)
  return want.filter((t) => {
    const n = have.get(t) ?? 0
    if (n > 0) have.set(t, n - 1)
    return n === 0
  })
}

function evaluateBranch(b: ConditionalBranch, env: { exitCode: number; stdout: string }, evaluate: NodeFacts['evaluate']): ConditionStatus {
  if (b.expression === undefined || b.expression.trim() === '') return 'True' // Chaos Mesh: an empty expression is always taken
  if (!evaluate) return 'Unknown'
  try {
    return evaluate(b.expression, env) ? 'True' : 'False'
  } catch {
    return 'Unknown'
  }
}

/** The messages of propagated events, which name the parent (Chaos Mesh's texts). */
export function propagationMessage(p: Propagation, parent: string): string {
  return p.condition.type === 'DeadlineExceed' ? `deadline exceed because parent node ${parent} deadline exceed` : `abort the node because parent node ${parent} aborted`
}

// ───────────────────────────── Workflow ─────────────────────────────

export interface WorkflowStatus {
  entryNode?: string
  startTime?: string
  endTime?: string
  conditions?: WorkflowCondition[]
  chaoscope?: { phase?: WorkflowPhase; abortedAt?: string; nodes?: NodeTree[] }
}

export type WorkflowPhase = 'Pending' | 'Running' | 'Accomplished' | 'Aborted'

export interface WorkflowFacts {
  status: WorkflowStatus
  annotations?: Record<string, string>
  /** The entry node, once spawned. */
  entry?: { name: string; status: NodeStatus }
  now: number
}

export interface WorkflowDecision {
  status: WorkflowStatus
  events: Event[]
  spawnEntry: boolean
  /** Set Aborted (WorkflowAborted) on the entry node. */
  abortEntry: boolean
}

export const workflowAborted = (annotations: Record<string, string> | undefined): boolean => annotations?.[ABORT_ANNOTATION] === 'true'

/**
 * The workflow's step (WorkflowEntryReconciler, AbortWorkflowReconciler): spawn the entry node once; Scheduled
 * once it exists; Accomplished (with endTime and WorkflowAccomplished) once the entry node is finished, whether
 * accomplished, past its deadline or aborted; the abort annotation aborts the entry node.
 */
export function decideWorkflow(f: WorkflowFacts): WorkflowDecision {
  const before = f.status
  let conditions = [...(before.conditions ?? [])]
  const set = (c: WorkflowCondition) => (conditions = setCondition(conditions, c))
  const events: Event[] = []
  const status: WorkflowStatus = { ...before, startTime: before.startTime ?? new Date(f.now).toISOString() }
  const aborted = workflowAborted(f.annotations)
  const out: WorkflowDecision = { status, events, spawnEntry: false, abortEntry: false }
  if (!f.entry) {
    out.spawnEntry = true
    set({ type: 'Scheduled', status: 'False', reason: '' })
    set({ type: 'Accomplished', status: 'False', reason: '' })
    delete status.endTime
  } else {
    status.entryNode = f.entry.name
    set({ type: 'Scheduled', status: 'True', reason: '' })
    if (aborted && !conditionIs(f.entry.status, 'Aborted') && !nodeFinished(f.entry.status)) out.abortEntry = true
    if (nodeFinished(f.entry.status)) {
      set({ type: 'Accomplished', status: 'True', reason: '' })
      if (status.endTime === undefined) {
        status.endTime = new Date(f.now).toISOString()
        events.push({ type: 'Normal', reason: REASONS.WorkflowAccomplished, message: 'workflow accomplished' })
      }
    } else {
      set({ type: 'Accomplished', status: 'False', reason: '' })
      delete status.endTime
    }
  }
  status.conditions = conditions
  const cc = { ...(before.chaoscope ?? {}) }
  if (aborted && cc.abortedAt === undefined) {
    cc.abortedAt = new Date(f.now).toISOString()
    events.push({ type: 'Normal', reason: REASONS.WorkflowAborted, message: 'workflow aborted: every node is aborted and every chaos it made is deleted' })
  }
  cc.phase = aborted ? 'Aborted' : !f.entry ? 'Pending' : status.endTime !== undefined ? 'Accomplished' : 'Running'
  status.chaoscope = cc
  return out
}

/** One node of `status.chaoscope.nodes`: the workflow's tree for describe. */
export interface NodeTree {
  name: string
  template: string
  type: string
  phase: NodePhase
  startTime: string
  endTime?: string
  deadline?: string
  conditions: NodeCondition[]
  chaosResource?: { kind: string; name: string }
  children: NodeTree[]
}

const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789'

/** Kubernetes' generateName: `<prefix>-` cut to 58 characters, then 5 random characters of its alphabet. */
export function generateName(prefix: string, random: () => number): string {
  let s = ''
  for (let i = 0; i < 5; i++) s += GENERATE_ALPHABET[Math.floor(random() * GENERATE_ALPHABET.length) % GENERATE_ALPHABET.length]
  return `${prefix}-`.slice(0, 58) + s
}
