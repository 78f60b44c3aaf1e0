/** The Workflow and WorkflowNode decisions (pure), on literal timestamps: Chaos Mesh's conditions, reasons and events. */
import { describe, expect, it } from 'vitest'
import { decideNode, decideWorkflow, generateName, nodeFinished, nodePhase, setCondition } from './workflow-decide.js'
import type { ChildNode, ChildObject, NodeCondition, NodeFacts, NodeSpec, NodeStatus } from './workflow-decide.js'

const T0 = '2024-05-01T10:00:00.000Z'
const at = (iso: string) => Date.parse(iso)
const spec = (type: string, more: Partial<NodeSpec> = {}): NodeSpec => ({ templateName: 't', workflowName: 'wf', type, startTime: T0, ...more })
const facts = (s: NodeSpec, more: Partial<NodeFacts> = {}): NodeFacts => ({ spec: s, status: {}, children: [], objects: [], now: at('2024-05-01T10:00:05.000Z'), ...more })
const c = (type: NodeCondition['type'], status: NodeCondition['status'], reason = ''): NodeCondition => ({ type, status, reason })
const child = (name: string, finished: boolean): ChildNode => ({ name, template: name.replace(/-\w{5}$/, ''), finished })
const obj = (name: string, deleting = false, kind = 'NetworkChaos'): ChildObject => ({ kind, name, deleting })
const evaluate = (e: string, env: { exitCode: number; stdout: string }) => {
  // the tiny subset the table uses: "exitCode == N", "stdout == \"x\"", joined by &&
  return e.split('&&').every((part) => {
    const m = /^\s*(exitCode|stdout)\s*(==|!=)\s*(.+?)\s*$/.exec(part)
    if (!m) throw new Error(`cannot parse ${part}`)
    const left = m[1] === 'exitCode' ? env.exitCode : env.stdout
    const right = m[1] === 'exitCode' ? Number(m[3]) : JSON.parse(m[3]!)
    return m[2] === '==' ? left === right : left !== right
  })
}

describe('deadline', () => {
  const suspend = spec('Suspend', { deadline: '2024-05-01T10:00:10.000Z' })
  it.each([
    ['before it: NotExceed, wake at the deadline', '2024-05-01T10:00:09.999Z', c('DeadlineExceed', 'False', 'NodeDeadlineNotExceed'), false, at('2024-05-01T10:00:10.000Z')],
    ['at it: NodeDeadlineExceed, finished', '2024-05-01T10:00:10.000Z', c('DeadlineExceed', 'True', 'NodeDeadlineExceed'), true, undefined],
    ['after it (a restarted controller): the same', '2024-05-01T10:05:00.000Z', c('DeadlineExceed', 'True', 'NodeDeadlineExceed'), true, undefined],
  ])('%s', (_, now, want, finished, wakeAt) => {
    const d = decideNode(facts(suspend, { now: at(now) }))
    expect(d.status.conditions).toEqual([want])
    expect(d.finished).toBe(finished)
    expect(d.wakeAt).toBe(wakeAt)
    expect(d.events.map((e) => e.message)).toEqual(finished ? ['deadline exceed'] : [])
  })

  it('an accomplished node past its deadline: NodeDeadlineOmitted, no event', () => {
    const d = decideNode(facts(spec('Serial', { children: ['a'], deadline: '2024-05-01T10:00:01.000Z' }), { children: [child('a-bcdfg', true)], status: { conditions: [c('Accomplished', 'True')] } }))
    expect(d.status.conditions).toEqual([c('Accomplished', 'True'), c('DeadlineExceed', 'True', 'NodeDeadlineOmitted')])
    expect(d.events).toEqual([])
  })

  it('a node whose parent passed its deadline keeps ParentNodeDeadlineExceed before its own deadline', () => {
    const status: NodeStatus = { conditions: [c('DeadlineExceed', 'True', 'ParentNodeDeadlineExceed')] }
    const d = decideNode(facts(spec('NetworkChaos', { deadline: '2024-05-01T10:01:00.000Z', networkChaos: {} }), { status, objects: [obj('n-1')] }))
    expect(d.finished).toBe(true)
    expect(d.removeObjects).toEqual([obj('n-1')])
    expect(d.wakeAt).toBeUndefined()
  })

  it('a stored deadline is absolute: a node reconciled again later keeps the remaining time', () => {
    const s = spec('Suspend', { startTime: T0, deadline: '2024-05-01T10:00:30.000Z' })
    expect(decideNode(facts(s, { now: at('2024-05-01T10:00:20.000Z') })).wakeAt).toBe(at('2024-05-01T10:00:30.000Z'))
  })

  it('a Serial past its deadline passes it to its active children and spawns nothing more', () => {
    const d = decideNode(facts(spec('Serial', { children: ['a', 'b'], deadline: '2024-05-01T10:00:01.000Z' }), { children: [child('a-bcdfg', false)] }))
    expect(d.spawnNodes).toEqual([])
    expect(d.propagate.map((p) => p.condition)).toEqual([c('DeadlineExceed', 'True', 'ParentNodeDeadlineExceed')])
    expect(d.status.activeChildren).toEqual([{ name: 'a-bcdfg' }])
  })
})

describe('Serial and Parallel', () => {
  const serial = spec('Serial', { children: ['a', 'b', 'c'] })
  it.each([
    ['nothing yet: the first', [], ['a'], 'False'],
    ['a running: nothing', [child('a-11111', false)], [], 'False'],
    ['a done: b', [child('a-11111', true)], ['b'], 'False'],
    ['a, b done: c', [child('a-11111', true), child('b-22222', true)], ['c'], 'False'],
    ['all done: accomplished', [child('a-11111', true), child('b-22222', true), child('c-33333', true)], [], 'True'],
  ] as [string, ChildNode[], string[], string][])('Serial, %s', (_, children, spawn, accomplished) => {
    const d = decideNode(facts(serial, { children }))
    expect(d.spawnNodes).toEqual(spawn)
    expect(d.status.conditions).toEqual([c('Accomplished', accomplished as 'True' | 'False')])
    expect(d.events.map((e) => e.reason)).toEqual(accomplished === 'True' ? ['NodeAccomplished'] : [])
    expect(d.status.finishedChildren).toEqual(children.filter((x) => x.finished).map((x) => ({ name: x.name })))
  })

  it('NodeAccomplished is told once', () => {
    const d = decideNode(facts(serial, { children: ['a-1', 'b-2', 'c-3'].map((n) => child(n, true)), status: { conditions: [c('Accomplished', 'True')] } }))
    expect(d.events).toEqual([])
  })

  it.each([
    ['nothing yet: all at once', [], ['a', 'b'], 'False'],
    ['some running: nothing', [child('a-11111', true), child('b-22222', false)], [], 'False'],
    ['one spawned before a failure: the others', [child('a-11111', false)], ['b'], 'False'],
    ['all finished (by deadline too): accomplished', [child('a-11111', true), child('b-22222', true)], [], 'True'],
  ] as [string, ChildNode[], string[], string][])('Parallel, %s', (_, children, spawn, accomplished) => {
    const d = decideNode(facts(spec('Parallel', { children: ['a', 'b'] }), { children }))
    expect(d.spawnNodes).toEqual(spawn)
    expect(d.status.conditions).toEqual([c('Accomplished', accomplished as 'True' | 'False')])
  })

  it('an aborted Serial spawns nothing and passes ParentNodeAborted on', () => {
    const d = decideNode(facts(serial, { children: [child('a-1', true)], status: { conditions: [c('Aborted', 'True', 'WorkflowAborted')] } }))
    expect(d.spawnNodes).toEqual([])
    expect(d.propagate.map((p) => p.condition)).toEqual([c('Aborted', 'True', 'ParentNodeAborted')])
    expect(d.finished).toBe(true)
    expect(nodePhase(d.status)).toBe('Aborted')
  })
})

describe('chaos, Schedule and Suspend nodes', () => {
  const chaos = spec('NetworkChaos', { deadline: '2024-05-01T10:00:20.000Z', networkChaos: { action: 'delay' } })
  it('no object: spawn it; ChaosInjected False (ChaosCRNotExists)', () => {
    const d = decideNode(facts(chaos))
    expect(d.spawnObject).toBe(true)
    expect(d.status.conditions).toEqual([c('DeadlineExceed', 'False', 'NodeDeadlineNotExceed'), c('ChaosInjected', 'False', 'ChaosCRNotExists')])
  })
  it('its object exists: ChaosInjected True (ChaosCRCreated), chaosResource names it, nothing to do', () => {
    const d = decideNode(facts(chaos, { objects: [obj('wnc-abcde-fghjk')] }))
    expect(d.spawnObject).toBe(false)
    expect(d.status.chaosResource).toEqual({ apiGroup: 'chaos-mesh.org', kind: 'NetworkChaos', name: 'wnc-abcde-fghjk' })
    expect(d.status.conditions).toContainEqual(c('ChaosInjected', 'True', 'ChaosCRCreated'))
    expect(d.finished).toBe(false)
  })
  it('deadline: the object is removed (once), never spawned again', () => {
    const d = decideNode(facts(chaos, { now: at('2024-05-01T10:00:20.000Z'), objects: [obj('x')] }))
    expect(d.removeObjects).toEqual([obj('x')])
    expect(d.spawnObject).toBe(false)
    const again = decideNode(facts(chaos, { now: at('2024-05-01T10:00:21.000Z'), status: d.status, objects: [obj('x', true)] }))
    expect(again.removeObjects).toEqual([])
    expect(again.events).toEqual([])
    const gone = decideNode(facts(chaos, { now: at('2024-05-01T10:00:22.000Z'), status: again.status }))
    expect(gone.spawnObject).toBe(false)
    expect(gone.status.conditions).toContainEqual(c('ChaosInjected', 'False', 'ChaosCRNotExists'))
    expect(gone.status.chaosResource).toBeUndefined()
    expect(gone.status.chaoscope?.endTime).toBe('2024-05-01T10:00:20.000Z')
  })
  it('a Schedule node is the same with its Schedule object', () => {
    const d = decideNode(facts(spec('Schedule', { deadline: '2024-05-01T10:00:40.000Z', schedule: { schedule: '@every 2s' } })))
    expect(d.spawnObject).toBe(true)
    const running = decideNode(facts(spec('Schedule', { deadline: '2024-05-01T10:00:40.000Z' }), { objects: [obj('s-1', false, 'Schedule')] }))
    expect(running.status.chaosResource?.kind).toBe('Schedule')
  })
  it('Suspend: only its deadline; never Accomplished', () => {
    const d = decideNode(facts(spec('Suspend', { deadline: '2024-05-01T10:00:10.000Z' })))
    expect(d.status.conditions).toEqual([c('DeadlineExceed', 'False', 'NodeDeadlineNotExceed')])
    expect(d.spawnObject || d.spawnNodes.length > 0).toBe(false)
  })
})

describe('StatusCheck node', () => {
  const sc = (abort: boolean) => spec('StatusCheck', { deadline: '2024-05-01T10:00:20.000Z', statusCheck: { mode: 'Continuous' }, abortWithStatusCheck: abort })
  it.each([
    ['running', false, 'running', [c('DeadlineExceed', 'False', 'NodeDeadlineNotExceed'), c('Accomplished', 'False'), c('Aborted', 'False')], false, false],
    ['succeeded', false, 'succeeded', [c('DeadlineExceed', 'False', 'NodeDeadlineNotExceed'), c('Accomplished', 'True', 'StatusCheckCompleted'), c('Aborted', 'False')], true, false],
    ['failed, no abortWithStatusCheck', false, 'failed', [c('DeadlineExceed', 'False', 'NodeDeadlineNotExceed'), c('Accomplished', 'True', 'StatusCheckCompleted'), c('Aborted', 'False')], true, false],
    ['failed, abortWithStatusCheck: aborts the workflow', true, 'failed', [c('DeadlineExceed', 'False', 'NodeDeadlineNotExceed'), c('Accomplished', 'True', 'StatusCheckCompleted'), c('Aborted', 'True', 'StatusCheckNotExceedSuccessThreshold')], true, true],
  ] as const)('%s', (_, abort, outcome, conditions, finished, abortWorkflow) => {
    const d = decideNode(facts(sc(abort), { objects: [obj('chk-1', false, 'StatusCheck')], statusCheck: outcome }))
    expect(d.status.conditions).toEqual(conditions)
    expect(d.finished).toBe(finished)
    expect(d.abortWorkflow).toBe(abortWorkflow)
    expect(d.removeObjects.map((o) => o.name)).toEqual(finished ? ['chk-1'] : [])
    expect(d.status.conditions?.some((x) => x.type === 'ChaosInjected')).toBe(false)
  })
  it('no check yet: spawn it', () => {
    expect(decideNode(facts(sc(true))).spawnObject).toBe(true)
  })
  it('the abort is asked once; an Aborted set by the workflow is not cleared', () => {
    const aborted: NodeStatus = { conditions: [c('Aborted', 'True', 'StatusCheckNotExceedSuccessThreshold')] }
    expect(decideNode(facts(sc(true), { status: aborted, objects: [obj('chk-1', true, 'StatusCheck')], statusCheck: 'failed' })).abortWorkflow).toBe(false)
    const byParent: NodeStatus = { conditions: [c('Aborted', 'True', 'ParentNodeAborted')] }
    const d = decideNode(facts(sc(false), { status: byParent, objects: [obj('chk-1', false, 'StatusCheck')], statusCheck: 'running' }))
    expect(d.status.conditions).toContainEqual(c('Aborted', 'True', 'ParentNodeAborted'))
    expect(d.removeObjects.map((o) => o.name)).toEqual(['chk-1'])
  })
})

describe('Task node', () => {
  const task = spec('Task', {
    task: { container: { name: 'main', command: ['echo', 'branch-b'] } },
    conditionalBranches: [
      { target: 'workflow-stress-chaos', expression: 'exitCode == 0 && stdout == "branch-a"' },
      { target: 'workflow-network-chaos', expression: 'exitCode == 0 && stdout == "branch-b"' },
      { target: 'on-failed', expression: 'exitCode != 0' },
    ],
  })
  const unknown = [
    { target: 'workflow-stress-chaos', evaluationResult: 'Unknown' },
    { target: 'workflow-network-chaos', evaluationResult: 'Unknown' },
    { target: 'on-failed', evaluationResult: 'Unknown' },
  ]
  it('not run yet: run it; branches Unknown', () => {
    const d = decideNode(facts(task, { evaluate }))
    expect(d.runTask).toBe(true)
    expect(d.status.conditionalBranchesStatus?.branches).toEqual(unknown)
    expect(d.status.conditions).toEqual([c('Accomplished', 'False')])
  })
  it('running: not started twice', () => {
    expect(decideNode(facts(task, { evaluate, taskRunning: true })).runTask).toBe(false)
  })
  it.each([
    ['stdout "branch-b\\n", exit 0: the network chaos', { exitCode: 0, stdout: 'branch-b\n' }, ['workflow-network-chaos'], '{"exitCode":0,"stdout":"branch-b"}'],
    ['exit 1: on-failed', { exitCode: 1, stdout: '' }, ['on-failed'], '{"exitCode":1,"stdout":""}'],
    ['stdout matches none, exit 0: nothing, accomplished', { exitCode: 0, stdout: 'branch-c' }, [], '{"exitCode":0,"stdout":"branch-c"}'],
  ])('ended, %s', (_, result, targets, context) => {
    const d = decideNode(facts(task, { evaluate, status: { conditionalBranchesStatus: { branches: unknown as never }, chaoscope: { task: result } } }))
    expect(d.runTask).toBe(false)
    expect(d.spawnNodes).toEqual(targets)
    expect(d.status.conditionalBranchesStatus?.context).toEqual([context])
    expect(d.status.conditionalBranchesStatus?.branches.filter((b) => b.evaluationResult === 'True').map((b) => b.target)).toEqual(targets)
    expect(d.events.map((e) => [e.reason, e.message])).toEqual([
      ['TaskPodPodCompleted', `the task's process exited with code ${result.exitCode}`],
      ['ConditionalBranchesSelected', `selected branches: [${targets.join(' ')}]`],
      ...(targets.length === 0 ? [['NodeAccomplished', 'node accomplished']] : []),
    ])
    expect(d.finished).toBe(targets.length === 0)
  })
  it('evaluated, the chosen child finished: accomplished', () => {
    const status: NodeStatus = { conditionalBranchesStatus: { branches: [{ target: 'a', evaluationResult: 'True' }, { target: 'b', evaluationResult: 'False' }], context: ['{}'] }, chaoscope: { task: { exitCode: 0, stdout: '' } } }
    const two = spec('Task', { conditionalBranches: [{ target: 'a', expression: 'x' }, { target: 'b', expression: 'y' }] })
    expect(decideNode(facts(two, { status, children: [child('a-11111', false)] })).spawnNodes).toEqual([])
    const d = decideNode(facts(two, { status, children: [child('a-11111', true)] }))
    expect(d.status.conditions).toEqual([c('Accomplished', 'True')])
    expect(d.events.map((e) => e.reason)).toEqual(['NodeAccomplished'])
  })
  it('an expression that fails to evaluate is Unknown and not taken', () => {
    const bad = spec('Task', { conditionalBranches: [{ target: 'a', expression: 'nonsense' }] })
    const d = decideNode(facts(bad, { evaluate, status: { chaoscope: { task: { exitCode: 0, stdout: '' } } } }))
    expect(d.status.conditionalBranchesStatus?.branches).toEqual([{ target: 'a', evaluationResult: 'Unknown' }])
    expect(d.spawnNodes).toEqual([])
    expect(d.finished).toBe(true)
  })
  it('a task past its deadline while its process runs: stop it', () => {
    const d = decideNode(facts(spec('Task', { deadline: '2024-05-01T10:00:01.000Z', conditionalBranches: [] }), { taskRunning: true }))
    expect(d.stopTask).toBe(true)
    expect(d.runTask).toBe(false)
  })
})

describe('Workflow', () => {
  const now = at('2024-05-01T10:00:00.000Z')
  it('no entry: spawn it, Scheduled False, startTime set, Pending', () => {
    const d = decideWorkflow({ status: {}, now })
    expect(d.spawnEntry).toBe(true)
    expect(d.status).toMatchObject({ startTime: T0, conditions: [{ type: 'Scheduled', status: 'False', reason: '' }, { type: 'Accomplished', status: 'False', reason: '' }], chaoscope: { phase: 'Pending' } })
  })
  it('entry running: Scheduled True, entryNode, Running', () => {
    const d = decideWorkflow({ status: { startTime: T0 }, entry: { name: 'the-entry-abcde', status: {} }, now: now + 5000 })
    expect(d.spawnEntry).toBe(false)
    expect(d.status).toMatchObject({ entryNode: 'the-entry-abcde', startTime: T0, conditions: [{ type: 'Scheduled', status: 'True' }, { type: 'Accomplished', status: 'False' }], chaoscope: { phase: 'Running' } })
  })
  it('entry finished: Accomplished, endTime, WorkflowAccomplished once', () => {
    const d = decideWorkflow({ status: { startTime: T0 }, entry: { name: 'e', status: { conditions: [c('DeadlineExceed', 'True', 'NodeDeadlineExceed')] } }, now: now + 60_000 })
    expect(d.status.endTime).toBe('2024-05-01T10:01:00.000Z')
    expect(d.status.chaoscope?.phase).toBe('Accomplished')
    expect(d.events.map((e) => [e.reason, e.message])).toEqual([['WorkflowAccomplished', 'workflow accomplished']])
    expect(decideWorkflow({ status: d.status, entry: { name: 'e', status: { conditions: [c('Accomplished', 'True')] } }, now: now + 70_000 }).events).toEqual([])
  })
  it('the abort annotation: abort the entry (once), phase Aborted', () => {
    const annotations = { 'workflow.chaos-mesh.org/abort': 'true' }
    const d = decideWorkflow({ status: { startTime: T0 }, annotations, entry: { name: 'e', status: {} }, now })
    expect(d.abortEntry).toBe(true)
    expect(d.status.chaoscope?.phase).toBe('Aborted')
    expect(d.events.map((e) => e.reason)).toEqual(['WorkflowAborted'])
    const after = decideWorkflow({ status: d.status, annotations, entry: { name: 'e', status: { conditions: [c('Aborted', 'True', 'WorkflowAborted')] } }, now: now + 1 })
    expect(after.abortEntry).toBe(false)
    expect(after.events.map((e) => e.reason)).toEqual(['WorkflowAccomplished'])
    expect(after.status.conditions).toContainEqual({ type: 'Accomplished', status: 'True', reason: '' })
  })
})

describe('helpers', () => {
  it('setCondition keeps an unchanged condition in place and moves a changed one last (Chaos Mesh)', () => {
    const list = [c('Accomplished', 'False'), c('DeadlineExceed', 'False', 'NodeDeadlineNotExceed')]
    expect(setCondition(list, c('Accomplished', 'False'))).toEqual(list)
    expect(setCondition(list, c('Accomplished', 'True'))).toEqual([c('DeadlineExceed', 'False', 'NodeDeadlineNotExceed'), c('Accomplished', 'True')])
  })
  it('nodeFinished: any of Accomplished, DeadlineExceed, Aborted', () => {
    expect(nodeFinished({ conditions: [c('ChaosInjected', 'True', 'ChaosCRCreated')] })).toBe(false)
    expect(nodeFinished({ conditions: [c('Aborted', 'True', 'x')] })).toBe(true)
  })
  it("generateName: Kubernetes' 5 characters after '<prefix>-', the prefix cut to 58", () => {
    expect(generateName('the-entry', () => 0)).toBe('the-entry-bbbbb')
    expect(generateName('x'.repeat(80), () => 0.999)).toBe('x'.repeat(58) + '99999')
    expect(generateName('x'.repeat(80), () => 0.999)).toHaveLength(63)
  })
})
