/**
 * Workflows through the Controller on the chain demo (front → middle → back, a real LocalRuntime): Chaos Mesh's
 * workflow examples (serial, parallel, status-check, custom-task), read in place with their selectors pointed at the
 * demo services (hello-kubernetes → middle, back, front as each test says) and their deadlines shortened to a few
 * seconds (so a test takes seconds, not minutes); a Serial's nodes in order with their deadlines; abortWithStatusCheck
 * and the manual abort recovering the faults; a controller stopped mid-workflow and reopened on the same database
 * continuing the node it was in with its remaining deadline.
 */
import { readFileSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { InProcessRuntimeClient } from '../runtime/client.js'
import type { RuntimeServer } from '../runtime/server.js'
import { Controller } from './controller.js'
import type { KindModule } from './family.js'
import { kindModules } from './kinds.js'
import type { NodeTree, WorkflowStatus } from './workflow-decide.js'
import { startDemo } from '../../test/demo.js'
import { resource } from '../../test/doubles/chaos-yaml.js'

const EXAMPLES = '/work/shared/conformance/chaos-mesh/examples/workflow'

let dir: string
let chain: RuntimeServer
let web: Server
let webStatus = 200
let webUrl: string
const controllers: Controller[] = []

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'chaoscope-workflow-'))
  chain = await startDemo('chain')
  web = createServer((_, res) => res.writeHead(webStatus).end(String(webStatus)))
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r))
  webUrl = `http://127.0.0.1:${(web.address() as AddressInfo).port}/`
}, 60_000)

afterAll(async () => {
  await chain?.close()
  await new Promise((r) => web?.close(r))
  rmSync(dir, { recursive: true, force: true })
})

afterEach(async () => {
  for (const c of controllers.splice(0)) await c.stop()
  for (const e of await chain.runtime.effects()) await chain.runtime.removeEffect(e.id)
  webStatus = 200
})

/** The controller's own kind modules: Tasks run by engine/task.ts, branches evaluated by engine/expression.ts. */
const modules = (allowExec: boolean): KindModule[] => kindModules({ allowExec })

function open(db: string, allowExec = false): Controller {
  const ctl = Controller.open({ dbPath: join(dir, db), runtime: new InProcessRuntimeClient(chain.runtime), modules: modules(allowExec), allowExec })
  controllers.push(ctl)
  return ctl
}

/** An example's text with `hello-kubernetes` pointed at demo services (by template) and deadlines replaced. */
function example(file: string, edits: { apps?: Record<string, string>; deadlines?: Record<string, string>; text?: [string | RegExp, string][] } = {}) {
  let text = readFileSync(join(EXAMPLES, file), 'utf8')
  // each template is a "    - name: <t>" block; edit inside the block of the named template
  const blocks = text.split(/(?=^ {4}- name: )/m)
  text = blocks
    .map((b) => {
      const name = /^ {4}- name: (\S+)/.exec(b)?.[1]
      if (!name) return b
      if (edits.apps?.[name]) b = b.replace('"app": "hello-kubernetes"', `"app": "${edits.apps[name]}"`)
      if (edits.deadlines?.[name]) b = b.replace(/deadline: \S+/, `deadline: ${edits.deadlines[name]}`)
      return b
    })
    .join('')
  for (const [from, to] of edits.text ?? []) text = text.replace(from, to)
  return resource(text)
}

const wfStatus = (ctl: Controller, name: string) => ctl.get('Workflow', 'default', name)?.status as unknown as WorkflowStatus | undefined
const accomplished = (ctl: Controller, name: string) => wfStatus(ctl, name)?.conditions?.find((c) => c.type === 'Accomplished')?.status
const tree = (ctl: Controller, name: string): NodeTree[] => wfStatus(ctl, name)?.chaoscope?.nodes ?? []
const ms = (iso: string | undefined) => Date.parse(iso!)
const effects = () => chain.runtime.effects()
const reasons = (ctl: Controller, kind: string, name: string) => ctl.events({ kind, namespace: 'default', name }).map((e) => e.reason)

describe('Chaos Mesh workflow examples on the chain demo', () => {
  it('serial.yaml (deadlines 20s,10s,20s,5s,40s → 2s,1s,2s,1s,3s): each node after the one before, each for its deadline; faults only while their node runs; accomplished', async () => {
    const ctl = open('serial.db')
    await ctl.start()
    const wf = example('serial.yaml', {
      apps: { 'workflow-stress-chaos': 'front', 'workflow-network-chaos': 'middle', 'workflow-pod-chaos': 'back' },
      deadlines: { 'the-entry': '60s', 'workflow-stress-chaos': '2s', 'prefix-suspending': '1s', 'workflow-network-chaos': '2s', 'suffix-suspending': '1s', 'workflow-pod-chaos': '3s' },
    })
    // the network node's fault is on the runtime while (and only while) that node runs
    const seen = new Set<string>()
    const runningNode = () => tree(ctl, 'try-workflow-serial')[0]?.children.find((c) => c.phase === 'Running')?.template
    const watch = setInterval(() => {
      // the node is read before and after the effects: a reading that spans a node's change proves nothing
      const before = runningNode()
      void effects().then((es) => {
        const running = runningNode()
        if (running && running === before) for (const e of es) seen.add(`${running}:${e.type}`)
      })
    }, 100)
    try {
      await ctl.apply(wf)
      await expect.poll(() => accomplished(ctl, 'try-workflow-serial'), { timeout: 30_000, interval: 200 }).toBe('True')
    } finally {
      clearInterval(watch)
    }
    const [entry] = tree(ctl, 'try-workflow-serial')
    expect(entry).toMatchObject({ template: 'the-entry', type: 'Serial', phase: 'Accomplished' })
    const kids = entry!.children
    expect(kids.map((k) => [k.template, k.type, k.phase])).toEqual([
      ['workflow-stress-chaos', 'StressChaos', 'DeadlineExceed'],
      ['prefix-suspending', 'Suspend', 'DeadlineExceed'],
      ['workflow-network-chaos', 'NetworkChaos', 'DeadlineExceed'],
      ['suffix-suspending', 'Suspend', 'DeadlineExceed'],
      ['workflow-pod-chaos', 'Schedule', 'DeadlineExceed'],
    ])
    const deadlines = [2000, 1000, 2000, 1000, 3000]
    kids.forEach((k, i) => {
      expect(ms(k.deadline) - ms(k.startTime)).toBe(deadlines[i])
      const ran = ms(k.endTime) - ms(k.startTime)
      expect(ran).toBeGreaterThanOrEqual(deadlines[i]!)
      expect(ran).toBeLessThan(deadlines[i]! + 1500)
      if (i > 0) expect(ms(k.startTime)).toBeGreaterThanOrEqual(ms(kids[i - 1]!.endTime))
      expect(k.name).toMatch(new RegExp(`^${k.template}-[bcdfghjklmnpqrstvwxz2456789]{5}$`))
    })
    // every chaos the nodes made is gone, and so are its faults
    await expect.poll(() => ctl.list().filter((o) => !['Workflow', 'WorkflowNode'].includes(o.kind)).length, { timeout: 10_000 }).toBe(0)
    await expect.poll(async () => (await effects()).length, { timeout: 10_000 }).toBe(0)
    expect(seen.has('workflow-network-chaos:latency') || [...seen].some((s) => s.startsWith('workflow-network-chaos:'))).toBe(true)
    expect([...seen].filter((s) => s.startsWith('prefix-suspending:') || s.startsWith('suffix-suspending:'))).toEqual([])
    // Chaos Mesh's labels, owners and events
    const node = ctl.get('WorkflowNode', 'default', kids[2]!.name)!
    expect(node.metadata.labels).toEqual({ 'chaos-mesh.org/controlled-by': entry!.name, 'chaos-mesh.org/workflow': 'try-workflow-serial' })
    expect(node.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'WorkflowNode', name: entry!.name })
    expect(reasons(ctl, 'WorkflowNode', kids[2]!.name)).toEqual(expect.arrayContaining(['ChaosCRCreated', 'NodeDeadlineExceed', 'ChaosCRDeleted']))
    expect(reasons(ctl, 'WorkflowNode', entry!.name)).toEqual(expect.arrayContaining(['NodesCreated', 'NodeAccomplished']))
    expect(reasons(ctl, 'Workflow', 'try-workflow-serial')).toEqual(expect.arrayContaining(['EntryCreated', 'WorkflowAccomplished']))
    expect(ctl.phase('Workflow', 'default', 'try-workflow-serial')).toBe('Accomplished')
    const archivedChaos = ctl.archived({ kind: 'NetworkChaos' })
    expect(archivedChaos).toHaveLength(1)
    expect(archivedChaos[0]!.object).toMatchObject({ metadata: { labels: { 'chaos-mesh.org/controlled-by': kids[2]!.name, 'chaos-mesh.org/workflow': 'try-workflow-serial' } } })
    expect((archivedChaos[0]!.object as { spec: { duration?: string } }).spec.duration).toBeUndefined()
    expect(archivedChaos[0]!.events.map((e) => e.reason)).toEqual(expect.arrayContaining(['Applied', 'Recovered']))
    expect(ctl.archived({ kind: 'StressChaos' })).toHaveLength(1)
    // the Schedule node's Schedule (every 2 s, for 3 s) made pod kills, and went with its node
    expect(ctl.archived({ kind: 'Schedule' })).toHaveLength(1)
    expect(ctl.archived({ kind: 'PodChaos' }).length).toBeGreaterThanOrEqual(1)
    // delete cascades: nodes and the workflow archived
    const { gone } = await ctl.delete('Workflow', 'default', 'try-workflow-serial', { wait: true, timeoutMs: 10_000 })
    expect(gone).toBe(true)
    expect(ctl.list()).toEqual([])
  }, 60_000)

  it('parallel.yaml (20s,40s,20s → 3s): every child at once; the entry accomplished once all three are past their deadline', async () => {
    const ctl = open('parallel.db')
    await ctl.start()
    await ctl.apply(example('parallel.yaml', {
      apps: { 'workflow-stress-chaos': 'front', 'workflow-network-chaos': 'middle', 'workflow-pod-chaos': 'back' },
      deadlines: { 'the-entry': '60s', 'workflow-stress-chaos': '3s', 'workflow-network-chaos': '3s', 'workflow-pod-chaos': '3s' },
    }))
    await expect.poll(async () => (await effects()).length, { timeout: 10_000 }).toBeGreaterThan(0)
    await expect.poll(() => accomplished(ctl, 'try-workflow-parallel'), { timeout: 30_000, interval: 200 }).toBe('True')
    const kids = tree(ctl, 'try-workflow-parallel')[0]!.children
    expect(kids.map((k) => k.template).sort()).toEqual(['workflow-network-chaos', 'workflow-pod-chaos', 'workflow-stress-chaos'])
    const starts = kids.map((k) => ms(k.startTime))
    expect(Math.max(...starts) - Math.min(...starts)).toBeLessThan(1000)
    for (const k of kids) expect(k.phase).toBe('DeadlineExceed')
    await expect.poll(async () => (await effects()).length, { timeout: 10_000 }).toBe(0)
  }, 60_000)

  it('chaoscope.dev/<template>.percent on the workflow limits that template\'s chaos, and only its, to that share', async () => {
    const ctl = open('template-percent.db')
    await ctl.start()
    await ctl.apply(resource(`apiVersion: chaos-mesh.org/v1alpha1
kind: Workflow
metadata:
  name: shares
  namespace: default
  annotations: { chaoscope.dev/slow-some.percent: "30" }
spec:
  entry: both
  templates:
    - { name: both, templateType: Parallel, deadline: 20s, children: [slow-some, slow-all] }
    - name: slow-some
      templateType: NetworkChaos
      deadline: 20s
      networkChaos: { action: delay, mode: all, selector: { labelSelectors: { app: middle } }, delay: { latency: 50ms } }
    - name: slow-all
      templateType: NetworkChaos
      deadline: 20s
      networkChaos: { action: delay, mode: all, selector: { labelSelectors: { app: back } }, delay: { latency: 50ms } }
`))
    await expect.poll(() => ctl.list({ kind: 'NetworkChaos' }).length, { timeout: 10_000 }).toBe(2)
    const chaos = ctl.list({ kind: 'NetworkChaos' })
    const some = chaos.find((c) => c.metadata.name.startsWith('slow-some-'))!
    const all = chaos.find((c) => c.metadata.name.startsWith('slow-all-'))!
    expect(some.metadata.annotations).toEqual({ 'chaoscope.dev/percent': '30' })
    expect(all.metadata.annotations ?? {}).toEqual({})
    await expect.poll(async () => (await effects()).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2)
    const held = await effects()
    const faultsOf = (uid: string) => held.filter((e) => JSON.stringify(e.owner ?? {}).includes(uid)).map((e) => JSON.stringify(e))
    expect(faultsOf(some.metadata.uid!).length).toBeGreaterThan(0)
    for (const e of faultsOf(some.metadata.uid!)) expect(e).toContain('"percent":30')
    for (const e of faultsOf(all.metadata.uid!)) expect(e).not.toContain('"percent"')
  }, 60_000)

  it('status-check.yaml (url → a local server answering 200; deadlines 2s): the check runs beside the chaos; nothing aborts', async () => {
    const ctl = open('status-check.db')
    await ctl.start()
    await ctl.apply(example('status-check.yaml', {
      apps: { 'workflow-network-chaos': 'middle' },
      deadlines: { 'the-entry': '60s', 'workflow-status-check': '2s', 'workflow-network-chaos': '2s' },
      text: [['http://123.123.123.123', webUrl]],
    }))
    await expect.poll(() => accomplished(ctl, 'try-workflow-status-check'), { timeout: 20_000, interval: 200 }).toBe('True')
    const kids = tree(ctl, 'try-workflow-status-check')[0]!.children
    const check = kids.find((k) => k.type === 'StatusCheck')!
    expect(check.conditions).toContainEqual({ type: 'Aborted', status: 'False', reason: '' })
    expect(reasons(ctl, 'WorkflowNode', check.name)).toEqual(expect.arrayContaining(['StatusCheckCreated', 'StatusCheckDeleted']))
    expect(wfStatus(ctl, 'try-workflow-status-check')?.chaoscope?.phase).toBe('Accomplished')
    await expect.poll(async () => (await effects()).length, { timeout: 10_000 }).toBe(0)
  }, 60_000)

  it('custom-task.yaml (--allow-exec): `echo branch-b` exits 0 → the network chaos branch, and only it', async () => {
    const ctl = open('custom-task.db', true)
    await ctl.start()
    await ctl.apply(example('custom-task.yaml', { apps: { 'workflow-network-chaos': 'middle', 'workflow-stress-chaos': 'front' }, deadlines: { 'workflow-network-chaos': '2s' } }))
    await expect.poll(() => accomplished(ctl, 'try-workflow-custom-task'), { timeout: 20_000, interval: 200 }).toBe('True')
    const [entry] = tree(ctl, 'try-workflow-custom-task')
    expect(entry).toMatchObject({ type: 'Task', phase: 'Accomplished' })
    expect(entry!.children.map((c) => c.template)).toEqual(['workflow-network-chaos'])
    const node = ctl.get('WorkflowNode', 'default', entry!.name)!.status as unknown as { conditionalBranchesStatus: unknown; chaoscope: { task: { exitCode: number; stdout: string } } }
    expect(node.conditionalBranchesStatus).toEqual({
      branches: [
        { target: 'workflow-stress-chaos', evaluationResult: 'False' },
        { target: 'workflow-network-chaos', evaluationResult: 'True' },
        { target: 'on-failed', evaluationResult: 'False' },
      ],
      context: ['{"exitCode":0,"stdout":"branch-b"}'],
    })
    expect(node.chaoscope.task).toMatchObject({ exitCode: 0, stdout: 'branch-b\n' })
    expect(reasons(ctl, 'WorkflowNode', entry!.name)).toEqual(expect.arrayContaining(['TaskPodSpawned', 'TaskPodPodCompleted', 'ConditionalBranchesSelected', 'NodesCreated', 'NodeAccomplished']))
    await expect.poll(async () => (await effects()).length, { timeout: 10_000 }).toBe(0)
  }, 60_000)
})

const SERIAL = (name: string, extra = '') => `apiVersion: chaos-mesh.org/v1alpha1
kind: Workflow
metadata: {name: ${name}, namespace: default${extra}}
spec:
  entry: the-entry
  templates:
    - name: the-entry
      templateType: Serial
      children: [wait, delay, after]
    - name: wait
      templateType: Suspend
      deadline: 1s
    - name: delay
      templateType: NetworkChaos
      deadline: 4s
      networkChaos:
        action: delay
        mode: all
        selector: {labelSelectors: {app: middle}}
        delay: {latency: 50ms}
    - name: after
      templateType: Suspend
      deadline: 1s
`

describe('aborts and restarts', () => {
  it('abortWithStatusCheck: a failing check aborts the workflow; every fault it injected is recovered within one interval', async () => {
    const ctl = open('abort-check.db')
    await ctl.start()
    webStatus = 500
    await ctl.apply(resource(`apiVersion: chaos-mesh.org/v1alpha1
kind: Workflow
metadata: {name: guarded, namespace: default}
spec:
  entry: the-entry
  templates:
    - name: the-entry
      templateType: Parallel
      children: [check, delay]
    - name: check
      templateType: StatusCheck
      deadline: 60s
      abortWithStatusCheck: true
      statusCheck:
        mode: Continuous
        type: HTTP
        intervalSeconds: 1
        failureThreshold: 2
        http: {url: "${webUrl}", criteria: {statusCode: "200"}}
    - name: delay
      templateType: NetworkChaos
      deadline: 60s
      networkChaos:
        action: delay
        mode: all
        selector: {labelSelectors: {app: middle}}
        delay: {latency: 50ms}
`))
    await expect.poll(async () => (await effects()).length, { timeout: 10_000 }).toBeGreaterThan(0)
    await expect.poll(() => ctl.get('Workflow', 'default', 'guarded')?.metadata.annotations?.['workflow.chaos-mesh.org/abort'], { timeout: 10_000, interval: 50 }).toBe('true')
    const abortedAt = Date.now()
    await expect.poll(async () => (await effects()).length, { timeout: 2000, interval: 50 }).toBe(0)
    expect(Date.now() - abortedAt).toBeLessThan(1000) // within one interval (1 s)
    await expect.poll(() => accomplished(ctl, 'guarded'), { timeout: 5000 }).toBe('True')
    const [entry] = tree(ctl, 'guarded')
    // by the store's clock: the fault's Recovered less than one interval after the check's FailureThresholdExceed
    const failedAt = ms(ctl.archived({ kind: 'StatusCheck' })[0]!.events.find((e) => e.reason === 'StatusCheckFailureThresholdExceed')!.time)
    const recoveredAt = ms(ctl.archived({ kind: 'NetworkChaos' })[0]!.events.find((e) => e.reason === 'Recovered')!.time)
    expect(recoveredAt - failedAt).toBeGreaterThanOrEqual(0)
    expect(recoveredAt - failedAt).toBeLessThan(1000)
    expect(entry!.conditions).toContainEqual({ type: 'Aborted', status: 'True', reason: 'WorkflowAborted' })
    const check = entry!.children.find((c) => c.template === 'check')!
    const delay = entry!.children.find((c) => c.template === 'delay')!
    expect(check.conditions).toContainEqual({ type: 'Aborted', status: 'True', reason: 'StatusCheckNotExceedSuccessThreshold' })
    expect(delay.conditions).toContainEqual({ type: 'Aborted', status: 'True', reason: 'ParentNodeAborted' })
    expect(reasons(ctl, 'WorkflowNode', delay.name)).toEqual(expect.arrayContaining(['ParentNodeAborted', 'ChaosCRDeleted']))
    expect(wfStatus(ctl, 'guarded')?.chaoscope?.phase).toBe('Aborted')
    expect(ctl.phase('Workflow', 'default', 'guarded')).toBe('Aborted')
  }, 30_000)

  it('manual abort (the annotation applied): every node Aborted, every chaos deleted, its faults recovered', async () => {
    const ctl = open('abort-manual.db')
    await ctl.start()
    await ctl.apply(resource(SERIAL('manual')))
    await expect.poll(async () => (await effects()).length, { timeout: 10_000 }).toBeGreaterThan(0)
    const r = await ctl.apply(resource(SERIAL('manual', ', annotations: {workflow.chaos-mesh.org/abort: "true"}')))
    expect(r.action).toBe('configured')
    await expect.poll(async () => (await effects()).length, { timeout: 3000, interval: 50 }).toBe(0)
    await expect.poll(() => accomplished(ctl, 'manual'), { timeout: 5000 }).toBe('True')
    const [entry] = tree(ctl, 'manual')
    expect(entry!.phase).toBe('Aborted')
    expect(entry!.children.map((c) => [c.template, c.phase])).toEqual([['wait', 'DeadlineExceed'], ['delay', 'Aborted']])
    expect(reasons(ctl, 'WorkflowNode', entry!.name)).toContain('WorkflowAborted')
    expect(reasons(ctl, 'Workflow', 'manual')).toContain('WorkflowAborted')
    await expect.poll(() => ctl.list({ kind: 'NetworkChaos' }).length, { timeout: 5000 }).toBe(0)
    // nothing more is spawned once aborted
    await new Promise((r) => setTimeout(r, 1500))
    expect(tree(ctl, 'manual')[0]!.children).toHaveLength(2)
  }, 30_000)

  it('a new Controller on the same db after stop() mid-node continues that node with its remaining deadline and leaves no fault', async () => {
    const db = 'restart.db'
    const first = open(db)
    await first.start()
    await first.apply(resource(SERIAL('restarted')))
    await expect.poll(() => tree(first, 'restarted')[0]?.children.find((c) => c.template === 'delay')?.phase, { timeout: 10_000 }).toBe('Running')
    await expect.poll(async () => (await effects()).length, { timeout: 10_000 }).toBeGreaterThan(0)
    const delay = tree(first, 'restarted')[0]!.children.find((c) => c.template === 'delay')!
    await first.stop()
    controllers.splice(controllers.indexOf(first), 1)
    await new Promise((r) => setTimeout(r, 2000)) // down for two seconds: the fault stays on the runtime meanwhile
    expect((await effects()).length).toBeGreaterThan(0)
    const second = open(db)
    await second.start()
    await expect.poll(() => tree(second, 'restarted')[0]?.children.find((c) => c.template === 'delay')?.phase, { timeout: 10_000, interval: 100 }).toBe('DeadlineExceed')
    const after = tree(second, 'restarted')[0]!.children.find((c) => c.template === 'delay')!
    expect(after.name).toBe(delay.name) // the same node, not a new one
    expect(after.deadline).toBe(delay.deadline)
    // it ended at its stored deadline (startTime + 4 s), not 4 s after the restart (which would be 6 s or more)
    expect(ms(after.endTime) - ms(after.startTime)).toBeGreaterThanOrEqual(4000)
    expect(ms(after.endTime) - ms(after.startTime)).toBeLessThan(4000 + 1000)
    await expect.poll(async () => (await effects()).length, { timeout: 5000 }).toBe(0)
    await expect.poll(() => accomplished(second, 'restarted'), { timeout: 10_000 }).toBe('True')
    expect(tree(second, 'restarted')[0]!.children.map((c) => c.template)).toEqual(['wait', 'delay', 'after'])
    expect(await effects()).toEqual([])
  }, 40_000)
})

describe('deadlines', () => {
  it("a Serial's deadline ends its active child (ParentNodeDeadlineExceed), whose chaos is deleted and its fault recovered; nothing after it runs", async () => {
    const ctl = open('parent-deadline.db')
    await ctl.start()
    await ctl.apply(resource(SERIAL('short').replace('      templateType: Serial\n', '      templateType: Serial\n      deadline: 2500ms\n')))
    await expect.poll(() => accomplished(ctl, 'short'), { timeout: 10_000, interval: 100 }).toBe('True')
    const [entry] = tree(ctl, 'short')
    expect(entry!.conditions).toContainEqual({ type: 'DeadlineExceed', status: 'True', reason: 'NodeDeadlineExceed' })
    expect(ms(entry!.endTime) - ms(entry!.startTime)).toBeLessThan(2500 + 1000)
    expect(entry!.children.map((c) => [c.template, c.conditions.find((x) => x.type === 'DeadlineExceed')?.reason])).toEqual([
      ['wait', 'NodeDeadlineExceed'],
      ['delay', 'ParentNodeDeadlineExceed'],
    ])
    const delay = entry!.children[1]!
    expect(ctl.events({ kind: 'WorkflowNode', name: delay.name }).map((e) => e.message)).toContain(`deadline exceed because parent node ${entry!.name} deadline exceed`)
    await expect.poll(async () => (await effects()).length, { timeout: 5000 }).toBe(0)
  }, 20_000)
})

describe('admission', () => {
  it('refuses a Task template without --allow-exec, an unsupported kind, a spec its injector rejects, a bad expression; writes nothing', async () => {
    const ctl = open('admit.db')
    await ctl.start()
    await expect(ctl.apply(example('custom-task.yaml', { apps: { 'workflow-network-chaos': 'middle', 'workflow-stress-chaos': 'front' } }))).rejects.toMatchObject({ code: 'CONTROLLER_EXEC_REFUSED' })
    const one = (tpl: string) => resource(`apiVersion: chaos-mesh.org/v1alpha1\nkind: Workflow\nmetadata: {name: w, namespace: default}\nspec:\n  entry: a\n  templates:\n${tpl}`)
    await expect(ctl.apply(one(`    - name: a\n      templateType: AWSChaos\n      deadline: 10s\n      awsChaos: {action: ec2-stop, awsRegion: us-east-1, ec2Instance: i-1}\n`))).rejects.toMatchObject({ code: 'SPEC_LOCAL_UNSUPPORTED', message: expect.stringContaining('template "a" (AWSChaos)') })
    await expect(ctl.apply(one(`    - name: a\n      templateType: NetworkChaos\n      deadline: 10s\n      networkChaos: {action: delay, mode: all, device: eth1, selector: {labelSelectors: {app: middle}}, delay: {latency: 10ms}}\n`))).rejects.toMatchObject({ code: 'SPEC_LOCAL_UNSUPPORTED', message: expect.stringContaining('device') })
    const exec = open('admit-exec.db', true)
    await exec.start()
    await expect(exec.apply(one(`    - name: a\n      templateType: Task\n      task: {container: {name: m, image: busybox, command: [echo, x]}}\n      conditionalBranches: [{target: a, expression: 'exitCode == = 0'}]\n`))).rejects.toThrow(/expression/)
    expect(ctl.list()).toEqual([])
    expect(exec.list()).toEqual([])
  })
})
