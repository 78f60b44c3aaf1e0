/**
 * @module engine/workflow: the Workflow and WorkflowNode kinds on the local controller, with Chaos Mesh's design
 * (pkg/workflow/controllers): a Workflow spawns its entry WorkflowNode; each node spawns its child nodes (Serial
 * one after another, Parallel all at once, a Task the targets its conditionalBranches chose after running its
 * container as a local process), or one object (a chaos kind: the embedded spec without duration, deleted at the
 * node's deadline; a Schedule; a StatusCheck). Decisions are engine/workflow-decide.ts; this carries them out.
 *
 *   Workflow ──▶ WorkflowNode the-entry-xxxxx (owner: the Workflow, labels chaos-mesh.org/{workflow,controlled-by})
 *                 └─▶ WorkflowNode child-yyyyy (owner: its parent node) ──▶ NetworkChaos child-yyyyy-zzzzz
 *
 * Every node's deadline is stored in its spec (startTime + the template's deadline), so a restarted controller
 * continues each node with what remains of it. A node's status change wakes its parent (an owner is woken by its
 * children) and the workflow, whose `status.chaoscope.nodes` is the tree `describe` shows.
 */
import { isDeepStrictEqual } from 'node:util'
import { ChaosError } from '../errors.js'
import { parseDuration } from '../manifest/duration.js'
import { EMBED_KEY_OF_KIND } from '../manifest/kinds/embed.js'
import { templateAnnotations } from '../manifest/kinds/workflow.js'
import type { Resource } from '../manifest/validate.js'
import type { ResourceRow, Store } from '../store/store.js'
import { injectorFor } from './admission.js'
import type { EngineContext } from './context.js'
import type { Family, KindAdmission, KindModule, KindReconciler } from './family.js'
import { ownerUid } from './owners.js'
import { abortsWorkflow, statusCheckOutcome } from './status-check.js'
import {
  ABORT_ANNOTATION, LABEL_CONTROLLED_BY, LABEL_WORKFLOW, REASONS, conditionIs, decideNode, decideWorkflow, generateName, isChaosType,
  nodeFinished, nodePhase, objectKindOf, propagationMessage, setCondition,
} from './workflow-decide.js'
import type { NodeSpec, NodeStatus, NodeTree, StatusCheckOutcome, TaskResult, WorkflowStatus } from './workflow-decide.js'

const API_VERSION = 'chaos-mesh.org/v1alpha1'

/**
 * What Tasks and branch expressions run on: engine/task.ts's `runTask` and engine/expression.ts's `parseExpression`
 * and `evaluate`, handed in by the wiring (engine/kinds.ts), so this module does not import them.
 */
export interface WorkflowTools {
  /** Runs a Task's container as a local process; throws CONTROLLER_EXEC_REFUSED when exec is not allowed. */
  runTask(container: Record<string, unknown>, opts: { allowExec: boolean; timeoutMs: number; signal?: AbortSignal; cwd?: string }): Promise<{ exitCode: number; stdout: string; stderr: string; timedOut: boolean; log?: string }>
  /** Parses a branch expression; throws when it does not parse. */
  parseExpression(text: string): unknown
  /** Evaluates a parsed expression on a Task's result. */
  evaluate(expr: never, env: { exitCode: number; stdout: string }): boolean
}

/** A Task without a deadline may run this long before it is stopped (its exit code is then the timeout's). */
export const DEFAULT_TASK_TIMEOUT_MS = 10 * 60_000
/** What of a Task's output is kept in its node's status. */
const OUTPUT_LIMIT = 32 * 1024

interface Template {
  name: string
  templateType: string
  deadline?: string
  task?: NodeSpec['task']
  children?: string[]
  conditionalBranches?: { target: string; expression?: string }[]
  schedule?: Record<string, unknown>
  statusCheck?: Record<string, unknown>
  abortWithStatusCheck?: boolean
  [embed: string]: unknown
}
interface WorkflowSpec {
  entry: string
  templates: Template[]
}

const templatesOf = (row: Pick<ResourceRow, 'spec'>): Template[] => ((row.spec as unknown as WorkflowSpec).templates ?? [])
const nodeSpec = (row: Pick<ResourceRow, 'spec'>) => row.spec as unknown as NodeSpec
const nodeStatus = (row: Pick<ResourceRow, 'status'>) => (row.status ?? {}) as NodeStatus

// ───────────────────────────── admission ─────────────────────────────

/** Re-throws `e` (a ChaosError) with the template it came from in its message. */
function inTemplate(t: Template, e: unknown): never {
  if (!(e instanceof ChaosError)) throw e
  throw new ChaosError(e.code, `template "${t.name}" (${t.templateType}): ${e.message}`, { ...(e.hint ? { hint: e.hint } : {}), cause: e })
}

/**
 * What apply refuses of a Workflow: a Task template when the server may not run processes (--allow-exec), a
 * template of a chaos kind the local runtime cannot run (also inside a Schedule template), an embedded spec its
 * injector's check() rejects, a branch expression that does not parse.
 */
export async function admitWorkflow(resource: Pick<Resource, 'spec'> & Partial<Pick<Resource, 'apiVersion' | 'metadata' | 'source'>>, input: Pick<KindAdmission, 'injectors' | 'allowExec'> & Partial<Pick<KindAdmission, 'admitNested'>>, tools?: Pick<WorkflowTools, 'parseExpression'>): Promise<void> {
  for (const t of templatesOf(resource)) {
    const type = t.templateType
    if (type === 'Task' && !input.allowExec) {
      throw new ChaosError('CONTROLLER_EXEC_REFUSED', `template "${t.name}" is a Task: it runs its container's command as a local process, which this server does not allow`, {
        hint: 'start the server with --allow-exec to run Workflow Tasks, or remove the Task template',
      })
    }
    try {
      if (isChaosType(type)) {
        const spec = (t[EMBED_KEY_OF_KIND[type]!] ?? {}) as Record<string, unknown>
        injectorFor(input.injectors, type, spec).check?.(spec)
      } else if (type === 'Schedule' && t.schedule && input.admitNested) {
        // the Schedule the node will make, admitted as a Schedule is (its kind, its item, an @every that never runs)
        await input.admitNested({ apiVersion: resource.apiVersion ?? 'chaos-mesh.org/v1alpha1', kind: 'Schedule', metadata: { name: t.name, namespace: resource.metadata?.namespace ?? 'default' }, spec: t.schedule as unknown as Record<string, unknown>, source: resource.source ?? { file: '<workflow>', index: 0, line: 1 } })
      } else if (type === 'Schedule' && t.schedule) {
        const inner = String(t.schedule.type ?? '')
        const key = EMBED_KEY_OF_KIND[inner]
        const spec = (key ? t.schedule[key] : undefined) as Record<string, unknown> | undefined
        if (key) injectorFor(input.injectors, inner, spec ?? {}).check?.(spec ?? {})
      }
    } catch (e) {
      inTemplate(t, e)
    }
    for (const [j, b] of (t.conditionalBranches ?? []).entries()) {
      if (b.expression === undefined || b.expression.trim() === '' || !tools) continue
      try {
        tools.parseExpression(b.expression)
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e)
        throw new ChaosError(e instanceof ChaosError ? e.code : 'SPEC_INVALID_VALUE', `template "${t.name}": conditionalBranches[${j}].expression ${JSON.stringify(b.expression)} does not parse: ${message}`, {
          hint: (e instanceof ChaosError && e.hint) || 'write a condition on exitCode and stdout, e.g. exitCode == 0 && stdout == "ok"',
          cause: e,
        })
      }
    }
  }
}

// ───────────────────────────── rendering ─────────────────────────────

/** Chaos Mesh's renderNodesByTemplates for one template: the node's spec, labels and name; owner set by spawn. */
export function renderNode(workflow: ResourceRow, parentName: string, t: Template, now: number, random: () => number): Resource {
  const startTime = new Date(now).toISOString()
  const deadlineMs = t.deadline ? parseDuration(t.deadline) : undefined
  const spec: NodeSpec = {
    templateName: t.name,
    workflowName: workflow.name,
    type: t.templateType,
    startTime,
    ...(deadlineMs !== undefined ? { deadline: new Date(now + deadlineMs).toISOString() } : {}),
    ...(t.children ? { children: [...t.children] } : {}),
    ...(t.task ? { task: structuredClone(t.task) } : {}),
    ...(t.conditionalBranches ? { conditionalBranches: structuredClone(t.conditionalBranches) } : {}),
    ...(t.schedule ? { schedule: scheduleOf(t.schedule) } : {}),
    ...(t.statusCheck ? { statusCheck: structuredClone(t.statusCheck) } : {}),
    ...(t.abortWithStatusCheck ? { abortWithStatusCheck: true } : {}),
  }
  if (isChaosType(t.templateType)) {
    const key = EMBED_KEY_OF_KIND[t.templateType]!
    if (t[key] !== undefined) spec[key] = structuredClone(t[key])
  }
  return {
    apiVersion: API_VERSION,
    kind: 'WorkflowNode',
    metadata: { name: generateName(t.name, random), namespace: workflow.namespace, labels: { [LABEL_CONTROLLED_BY]: parentName, [LABEL_WORKFLOW]: workflow.name } },
    spec: spec as unknown as Record<string, unknown>,
    source: { file: `Workflow ${workflow.namespace}/${workflow.name}`, index: 0, line: 0 },
  }
}

/** Chaos Mesh's conversionSchedule: a template's schedule as a Schedule's spec (the Schedule's default concurrencyPolicy Forbid). */
function scheduleOf(s: Record<string, unknown>): Record<string, unknown> {
  const out = structuredClone(s)
  out.concurrencyPolicy ??= 'Forbid'
  return out
}

/**
 * The object a chaos, Schedule or StatusCheck node spawns: `<node>-xxxxx`, labelled as Chaos Mesh labels it. A chaos
 * gets the annotations its Workflow (`workflowAnnotations`) gives its template (`chaoscope.dev/<template>.percent`).
 */
export function renderObject(node: ResourceRow, random: () => number, workflowAnnotations?: Record<string, string>): Resource | undefined {
  const spec = nodeSpec(node)
  const kind = objectKindOf(spec.type)
  if (!kind) return undefined
  let body: unknown
  if (kind === 'Schedule') body = spec.schedule
  else if (kind === 'StatusCheck') body = spec.statusCheck
  else body = spec[EMBED_KEY_OF_KIND[kind]!]
  if (body === undefined) return undefined
  const objSpec = structuredClone(body) as Record<string, unknown>
  const isChaos = kind !== 'Schedule' && kind !== 'StatusCheck'
  if (isChaos) delete objSpec.duration // it lasts until the node's deadline
  const annotations = isChaos ? templateAnnotations(workflowAnnotations, spec.templateName) : {}
  return {
    apiVersion: API_VERSION,
    kind,
    metadata: {
      name: generateName(node.name, random),
      namespace: node.namespace,
      labels: { [LABEL_CONTROLLED_BY]: node.name, [LABEL_WORKFLOW]: spec.workflowName },
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    },
    spec: objSpec,
    source: { file: `WorkflowNode ${node.namespace}/${node.name}`, index: 0, line: 0 },
  }
}

// ───────────────────────────── the tree ─────────────────────────────

/** The workflow's nodes as a tree, from its entry node down (each node's children oldest first). */
export function nodeTree(store: Store, workflowUid: string): NodeTree[] {
  const byOwner = new Map<string, ResourceRow[]>()
  for (const r of store.listResources({ kind: 'WorkflowNode' })) {
    const o = ownerUid(r.metadata)
    if (!o) continue
    const list = byOwner.get(o) ?? []
    list.push(r)
    byOwner.set(o, list)
  }
  const build = (uid: string, depth: number): NodeTree[] =>
    depth > 64
      ? []
      : (byOwner.get(uid) ?? [])
          .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name))
          .map((r) => {
            const spec = nodeSpec(r)
            const status = nodeStatus(r)
            const res = status.chaosResource
            return {
              name: r.name,
              template: spec.templateName,
              type: spec.type,
              phase: nodePhase(status),
              startTime: spec.startTime,
              ...(status.chaoscope?.endTime ? { endTime: status.chaoscope.endTime } : {}),
              ...(spec.deadline ? { deadline: spec.deadline } : {}),
              conditions: status.conditions ?? [],
              ...(res ? { chaosResource: { kind: res.kind, name: res.name } } : {}),
              children: build(r.uid, depth + 1),
            }
          })
  return build(workflowUid, 0)
}

// ───────────────────────────── Workflow ─────────────────────────────

class WorkflowReconciler implements KindReconciler {
  constructor(
    private readonly ctx: EngineContext,
    private readonly family: Family,
  ) {}

  async reconcile(wf: ResourceRow): Promise<void> {
    const { ctx, family } = this
    const entry = family.children(wf.uid).find((c) => c.kind === 'WorkflowNode')
    const d = decideWorkflow({ status: wf.status as WorkflowStatus, annotations: wf.metadata.annotations, ...(entry ? { entry: { name: entry.name, status: nodeStatus(entry) } } : {}), now: ctx.clock.now() })

    if (d.abortEntry && entry) {
      ctx.commit(entry.uid, (emit) => {
        const cur = ctx.store.getResource(entry.uid)
        if (!cur || conditionIs(nodeStatus(cur), 'Aborted')) return
        const s = nodeStatus(cur)
        ctx.store.updateResource(entry.uid, { status: { ...s, conditions: setCondition(s.conditions, { type: 'Aborted', status: 'True', reason: REASONS.WorkflowAborted }) } as Record<string, unknown> })
        emit('Normal', REASONS.WorkflowAborted, `abort the node because workflow ${wf.name} aborted`)
      })
      family.enqueue(entry.uid)
    }

    if (d.spawnEntry) {
      const spec = wf.spec as unknown as WorkflowSpec
      const t = templatesOf(wf).find((x) => x.name === spec.entry)
      if (!t) {
        this.write(wf, d.status, [{ type: 'Warning', reason: REASONS.InvalidEntry, message: `failed to spawn new entry node of workflow, entry: ${spec.entry}` }])
        return
      }
      const node = renderNode(wf, wf.name, t, ctx.clock.now(), ctx.random)
      const status: WorkflowStatus = { ...d.status, entryNode: node.metadata.name }
      await family.spawn(wf, node, () => this.write(wf, status, [...d.events, { type: 'Normal', reason: REASONS.EntryCreated, message: `entry node created, entry node ${node.metadata.name}` }]))
      return // the entry's change wakes this again
    }
    const status: WorkflowStatus = { ...d.status, chaoscope: { ...d.status.chaoscope, nodes: nodeTree(ctx.store, wf.uid) } }
    if (d.events.length > 0 || !isDeepStrictEqual(status, wf.status)) this.write(wf, status, d.events)
  }

  private write(wf: ResourceRow, status: WorkflowStatus, events: { type: 'Normal' | 'Warning'; reason: string; message: string }[]): void {
    this.ctx.commit(wf.uid, (emit) => {
      this.ctx.store.updateResource(wf.uid, { status: status as unknown as Record<string, unknown> })
      for (const e of events) emit(e.type, e.reason, e.message)
    })
  }
}

/**
 * The Workflow kind: its entry node, its conditions, the node tree in `status.chaoscope`, and its admission
 * (branch expressions are checked with `tools.parseExpression` when given).
 */
export function workflowModule(tools?: Pick<WorkflowTools, 'parseExpression'>): KindModule {
  return {
    kind: 'Workflow',
    admit: (resource, input) => admitWorkflow(resource, input, tools),
    reconciler: (ctx, family) => new WorkflowReconciler(ctx, family),
    phase: (row) => (row.deletingAt ? 'Deleting' : ((row.status as WorkflowStatus).chaoscope?.phase ?? 'Pending')),
    finished: (row) => ((row.status as WorkflowStatus).conditions ?? []).some((c) => c.type === 'Accomplished' && c.status === 'True'),
  }
}

// ───────────────────────────── WorkflowNode ─────────────────────────────

export interface WorkflowNodeOptions {
  /** Task templates may run their container's command as a local process (`chaoscope server --allow-exec`). */
  allowExec: boolean
  /** Where a Task's process runs (default: task.ts's). */
  cwd?: string
  /** A Task without deadline is stopped after this long (default {@link DEFAULT_TASK_TIMEOUT_MS}). */
  taskTimeoutMs?: number
  /** runTask and the expression evaluator; without them a Task fails (TaskPodSpawnFailed) and its branches are Unknown. */
  tools?: WorkflowTools
}

interface RunningTask {
  abort: AbortController
}

class WorkflowNodeReconciler implements KindReconciler {
  private readonly tasks = new Map<string, RunningTask>()
  /** Consecutive failures to spawn a node's object, for the wait before the next try. */
  private readonly spawnFailures = new Map<string, number>()
  private stopped = false

  constructor(
    private readonly ctx: EngineContext,
    private readonly family: Family,
    private readonly opts: WorkflowNodeOptions,
  ) {}

  /** The node's owners up to its workflow (parent first); undefined when one is gone. */
  private ancestors(row: ResourceRow): ResourceRow[] | undefined {
    const chain: ResourceRow[] = []
    let cur: ResourceRow | undefined = row
    for (let i = 0; i < 64 && cur; i++) {
      const o = this.family.owner(cur)
      if (!o) return undefined
      chain.push(o)
      if (o.kind === 'Workflow') return chain
      cur = o
    }
    return undefined
  }

  /** Finished, and nothing it spawned but its child nodes is left (a removed chaos is gone once it has recovered). */
  private settled(row: ResourceRow): boolean {
    return nodeFinished(nodeStatus(row)) && !this.family.children(row.uid).some((k) => k.kind !== 'WorkflowNode')
  }

  async reconcile(row: ResourceRow): Promise<{ requeueAfterMs?: number } | void> {
    const { ctx, family } = this
    const chain = this.ancestors(row)
    // an owner being deleted (the cascade reaches this node next): spawn nothing more
    if (!chain || chain.some((r) => r.deletingAt)) return this.stopTask(row.uid)
    const wf = chain[chain.length - 1]!
    const spec = nodeSpec(row)
    const kids = family.children(row.uid)
    const nodes = kids.filter((k) => k.kind === 'WorkflowNode')
    const objects = kids.filter((k) => k.kind !== 'WorkflowNode')
    const check = objects.find((o) => o.kind === 'StatusCheck' && !o.deletingAt)
    const outcome: StatusCheckOutcome | undefined = check ? (abortsWorkflow(check) ? 'failed' : statusCheckOutcome(check)) : undefined
    const now = ctx.clock.now()
    const d = decideNode({
      spec,
      status: nodeStatus(row),
      // a child counts as finished once its faults are recovered too (its chaos, Schedule or StatusCheck gone), so
      // a Serial's next node never overlaps the one before, and a parent ends with no fault of its subtree left
      children: nodes.map((n) => ({ name: n.name, template: nodeSpec(n).templateName, finished: this.settled(n) })),
      objects: objects.map((o) => ({ kind: o.kind, name: o.name, deleting: o.deletingAt !== undefined })),
      ...(outcome ? { statusCheck: outcome } : {}),
      taskRunning: this.tasks.has(row.uid),
      now,
      ...(this.opts.tools ? { evaluate: (expression: string, env: { exitCode: number; stdout: string }) => this.opts.tools!.evaluate(this.opts.tools!.parseExpression(expression) as never, env) } : {}),
    })

    // 1. its own status and events, unless something else wrote it since it was read (then look again)
    if (d.events.length > 0 || !isDeepStrictEqual(d.status, row.status)) {
      let conflict = false
      ctx.commit(row.uid, (emit) => {
        const cur = ctx.store.getResource(row.uid)
        if (!cur || !isDeepStrictEqual(cur.status, row.status)) {
          conflict = true
          return
        }
        ctx.store.updateResource(row.uid, { status: d.status as unknown as Record<string, unknown> })
        for (const e of d.events) emit(e.type, e.reason, e.message)
      })
      if (conflict) return void family.enqueue(row.uid)
      family.enqueue(wf.uid) // its tree
    }

    // 2. its end passed on to its active children
    for (const p of d.propagate) {
      for (const n of nodes) {
        if (nodeFinished(nodeStatus(n))) continue
        ctx.commit(n.uid, (emit) => {
          const cur = ctx.store.getResource(n.uid)
          if (!cur || nodeFinished(nodeStatus(cur))) return
          const s = nodeStatus(cur)
          ctx.store.updateResource(n.uid, { status: { ...s, conditions: setCondition(s.conditions, p.condition) } as Record<string, unknown> })
          emit(p.event.type, p.event.reason, propagationMessage(p, row.name))
        })
        family.enqueue(n.uid)
      }
    }

    // 3. what a finished node spawned goes (its faults recovered by the object's own deletion)
    for (const o of d.removeObjects) {
      const obj = objects.find((x) => x.name === o.name && x.kind === o.kind)
      if (!obj) continue
      family.remove(obj.uid, `its WorkflowNode ${row.name} is finished (${nodePhase(d.status)})`)
      ctx.commit(row.uid, (emit) =>
        o.kind === 'StatusCheck' ? emit('Normal', REASONS.StatusCheckDeleted, `status check ${o.name} deleted`) : emit('Normal', REASONS.ChaosCRDeleted, `chaos CR ${o.name} deleted`),
      )
    }
    if (d.stopTask) this.stopTask(row.uid)

    // 4. a failed status check with abortWithStatusCheck aborts the workflow
    if (d.abortWorkflow) {
      ctx.commit(wf.uid, () => {
        const cur = ctx.store.getResource(wf.uid)
        if (!cur || cur.metadata.annotations?.[ABORT_ANNOTATION] === 'true') return
        ctx.store.updateResource(wf.uid, { metadata: { ...cur.metadata, annotations: { ...(cur.metadata.annotations ?? {}), [ABORT_ANNOTATION]: 'true' } } })
      })
      family.enqueue(wf.uid)
    }

    // 5. children
    if (d.spawnNodes.length > 0) {
      const templates = templatesOf(wf)
      const names: string[] = []
      for (const name of d.spawnNodes) {
        const t = templates.find((x) => x.name === name)
        if (!t) throw new ChaosError('SPEC_UNKNOWN_TEMPLATE', `workflow ${wf.name} does not contain a template called ${name}`)
        const child = await family.spawn(row, renderNode(wf, row.name, t, ctx.clock.now(), ctx.random))
        names.push(child.name)
      }
      ctx.commit(row.uid, (emit) => emit('Normal', REASONS.NodesCreated, `child nodes created, ${names.join(',')}`))
    }
    let retryMs: number | undefined
    if (d.spawnObject) retryMs = await this.spawnObject(row)
    if (d.runTask) this.startTask(row)

    // a finished node whose last object just went (it wakes its owner) may let its parent move on
    if (d.finished && objects.length === 0 && d.removeObjects.length === 0) family.enqueue(chain[0]!.uid)

    const wakes = [d.wakeAt !== undefined ? d.wakeAt - now : undefined, retryMs].filter((x): x is number => x !== undefined)
    if (wakes.length > 0) return { requeueAfterMs: Math.max(0, Math.min(...wakes)) }
  }

  /** Spawns the node's object; a refusal is told (ChaosCRCreateFailed) and tried again later. Returns when. */
  private async spawnObject(row: ResourceRow): Promise<number | undefined> {
    const { ctx, family } = this
    const workflow = ctx.store.findResource('Workflow', row.namespace, nodeSpec(row).workflowName)
    const obj = renderObject(row, ctx.random, workflow?.metadata.annotations)
    if (!obj) return undefined
    const isCheck = obj.kind === 'StatusCheck'
    try {
      await family.spawn(row, obj, () =>
        ctx.commit(row.uid, (emit) => {
          const cur = ctx.store.getResource(row.uid)
          if (!cur) return
          const s = nodeStatus(cur)
          const next: NodeStatus = { ...s, chaosResource: { apiGroup: 'chaos-mesh.org', kind: obj.kind, name: obj.metadata.name } }
          if (!isCheck) next.conditions = setCondition(s.conditions, { type: 'ChaosInjected', status: 'True', reason: REASONS.ChaosCRCreated })
          ctx.store.updateResource(row.uid, { status: next as unknown as Record<string, unknown> })
          if (isCheck) emit('Normal', REASONS.StatusCheckCreated, `status check ${obj.metadata.name} created`)
          else emit('Normal', REASONS.ChaosCRCreated, `chaos CR ${obj.metadata.name} created`)
        }),
      )
      this.spawnFailures.delete(row.uid)
      return undefined
    } catch (e) {
      if (!(e instanceof ChaosError)) throw e
      const n = (this.spawnFailures.get(row.uid) ?? 0) + 1
      this.spawnFailures.set(row.uid, n)
      ctx.commit(row.uid, (emit) =>
        isCheck
          ? emit('Warning', REASONS.StatusCheckCreatedFailed, `status check ${obj.metadata.name} create failed: ${e.message}`)
          : emit('Warning', REASONS.ChaosCRCreateFailed, `failed to create chaos CR: ${e.message}`),
      )
      return Math.min(30_000, 500 * 2 ** (n - 1))
    }
  }

  private startTask(row: ResourceRow): void {
    const { ctx, family } = this
    const spec = nodeSpec(row)
    const container = (spec.task?.container ?? {}) as Record<string, unknown>
    const abort = new AbortController()
    this.tasks.set(row.uid, { abort })
    const now = ctx.clock.now()
    const untilDeadline = spec.deadline ? Date.parse(spec.deadline) - now : undefined
    const timeoutMs = Math.max(1, untilDeadline ?? this.opts.taskTimeoutMs ?? DEFAULT_TASK_TIMEOUT_MS)
    const command = [...((container.command as string[] | undefined) ?? []), ...((container.args as string[] | undefined) ?? [])].join(' ')
    const startedAt = ctx.iso(now)
    ctx.commit(row.uid, (emit) => emit('Normal', REASONS.TaskPodSpawned, `process for task started: ${command}`))
    const done = (result: TaskResult, failed?: string) => {
      if (this.tasks.get(row.uid)?.abort !== abort) return
      this.tasks.delete(row.uid)
      if (abort.signal.aborted || this.stopped || !ctx.store.open) return
      ctx.commit(row.uid, (emit) => {
        const cur = ctx.store.getResource(row.uid)
        if (!cur || cur.deletingAt) return
        const s = nodeStatus(cur)
        ctx.store.updateResource(row.uid, { status: { ...s, chaoscope: { ...(s.chaoscope ?? {}), task: result } } as unknown as Record<string, unknown> })
        if (failed) emit('Warning', REASONS.TaskPodSpawnFailed, `failed to run the process for task: ${failed}`)
      })
      family.enqueue(row.uid)
    }
    void (async () => {
      try {
        const tools = this.opts.tools
        if (!tools) throw new Error('this controller has no task runner (engine/task.ts) wired in')
        const r = await tools.runTask(container, { allowExec: this.opts.allowExec, timeoutMs, signal: abort.signal, ...(this.opts.cwd ? { cwd: this.opts.cwd } : {}) })
        // Chaos Mesh's branch `stdout` is the Task pod's log: both streams, in the order written (engine/task.ts's log)
        done({ exitCode: r.exitCode, stdout: (r.log ?? r.stdout).slice(0, OUTPUT_LIMIT), stderr: r.stderr.slice(0, OUTPUT_LIMIT), timedOut: r.timedOut, startedAt, finishedAt: ctx.iso() })
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e)
        done({ exitCode: -1, stdout: '', error: message, startedAt, finishedAt: ctx.iso() }, message)
      }
    })()
  }

  private stopTask(uid: string): void {
    const t = this.tasks.get(uid)
    if (!t) return
    this.tasks.delete(uid)
    t.abort.abort()
  }

  deleting(row: ResourceRow): void {
    this.stopTask(row.uid)
    this.spawnFailures.delete(row.uid)
  }

  stop(): void {
    this.stopped = true
    for (const uid of [...this.tasks.keys()]) this.stopTask(uid)
  }
}

/**
 * The WorkflowNode kind. `allowExec` comes from the controller's wiring (engine/kinds.ts: `kindModules({ allowExec })`):
 * without it a Task's process is refused (CONTROLLER_EXEC_REFUSED), as the Workflow's admission refuses it first.
 */
export function workflowNodeModule(opts: WorkflowNodeOptions): KindModule {
  return {
    kind: 'WorkflowNode',
    reconciler: (ctx, family) => new WorkflowNodeReconciler(ctx, family, opts),
    phase: (row) => (row.deletingAt ? 'Deleting' : nodePhase(nodeStatus(row))),
    finished: (row) => nodeFinished(nodeStatus(row)),
  }
}
