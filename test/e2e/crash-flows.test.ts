/**
 * Crash safety of workflows and schedules, end to end (real processes and sockets, loopback only; needs
 * `npm run build`): `chaoscope server` SIGKILLed while a Serial workflow is in its first chaos node and a
 * `@every 2s` Forbid schedule is running, then started again on the same database, against a chain demo that
 * lives on.
 *
 * - the workflow continues from the node it was in (the same node object, no second one for its template), which
 *   ends at its stored deadline, not a fresh one; the nodes after it run; nothing is left on the runtime;
 * - the schedule's runs are neither doubled nor lost beyond what its startingDeadlineSeconds allows: its children
 *   never overlap, and their count matches the time it ran.
 */
import type { CliProcess } from '../doubles/cli-process.js'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminToken } from '../doubles/auth.js'
import { launch, signalAndWait, waitOutput } from '../doubles/cli-process.js'
import { startDemo } from '../demo.js'
import { ControllerClient } from '../../src/api/client.js'
import type { ChaosObject, RuntimeServer } from '../../src/index.js'
import { HttpRuntimeClient } from '../../src/runtime/client.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const WORKFLOW = `apiVersion: chaos-mesh.org/v1alpha1
kind: Workflow
metadata: {name: plan}
spec:
  entry: steps
  templates:
    - name: steps
      templateType: Serial
      deadline: 60s
      children: [slow-back, rest, slow-middle]
    - name: slow-back
      templateType: NetworkChaos
      deadline: 6s
      networkChaos:
        action: delay
        mode: all
        selector: {labelSelectors: {app: back}}
        delay: {latency: 20ms}
    - name: rest
      templateType: Suspend
      deadline: 1s
    - name: slow-middle
      templateType: NetworkChaos
      deadline: 2s
      networkChaos:
        action: delay
        mode: all
        selector: {labelSelectors: {app: middle}}
        delay: {latency: 20ms}
`

const SCHEDULE = `apiVersion: chaos-mesh.org/v1alpha1
kind: Schedule
metadata: {name: every-2s}
spec:
  schedule: '@every 2s'
  type: NetworkChaos
  historyLimit: 100
  concurrencyPolicy: Forbid
  startingDeadlineSeconds: 3
  networkChaos:
    action: delay
    mode: all
    selector: {labelSelectors: {app: front}}
    delay: {latency: 5ms}
    duration: 1s
`

type Node = { name: string; template?: string; phase?: string; startTime?: string; endTime?: string; children?: Node[] }
const flat = (nodes: Node[]): Node[] => nodes.flatMap((n) => [n, ...flat(n.children ?? [])])
const nodesOf = (wf: ChaosObject): Node[] => flat(((wf.status as unknown as { chaoscope?: { nodes?: Node[] } }).chaoscope?.nodes ?? []) as Node[])

describe('crash safety: chaoscope server SIGKILLed mid-workflow and mid-schedule', () => {
  let demo: RuntimeServer
  beforeAll(async () => {
    demo = await startDemo('chain')
  }, 60_000)
  afterAll(() => demo?.close())

  it('the workflow continues in its node with the remaining deadline; the schedule runs are neither doubled nor lost; no fault is left', async () => {
    const home = mkdtempSync(join(tmpdir(), 'chaoscope-crash-flows-'))
    const db = join(home, 'flows.db')
    // the server calls the demo's runtime with its token, as a controller in another process does
    const env = { ...process.env, CHAOSCOPE_HOME: home, CHAOSCOPE_RUNTIME_TOKEN: demo.state.token }
    const rt = new HttpRuntimeClient(demo.state.url, demo.state.token)
    let server: CliProcess | undefined
    const start = async (): Promise<ControllerClient> => {
      server = launch(['server', '--runtime', demo.state.url, '--db', db, '--port', '0'], env)
      return new ControllerClient((await waitOutput(server, /API (http:\/\/127\.0\.0\.1:\d+)\/api\/v1/, 20_000))[1]!, adminToken(home))
    }

    // the schedule's children must never overlap: sample which schedule children hold effects
    let sampling = true
    let most = 0
    const sampler = (async () => {
      while (sampling) {
        const owners = new Set((await rt.effects().catch(() => [])).filter((e) => e.owner?.experiment).map((e) => e.owner!.experiment))
        const scheduled = [...owners].filter((uid) => scheduleChildren.has(uid))
        most = Math.max(most, scheduled.length)
        await sleep(50)
      }
    })()
    const scheduleChildren = new Set<string>()
    const noteChildren = async (api: ControllerClient) => {
      for (const o of await api.list({ kind: 'NetworkChaos' })) if (o.metadata.labels?.['managed-by'] === 'every-2s') scheduleChildren.add(o.metadata.uid!)
    }

    let api = await start()
    try {
      const scheduleStart = Date.now()
      await api.apply(SCHEDULE, { file: 'schedule.yaml' })
      await api.apply(WORKFLOW, { file: 'workflow.yaml' })
      // in the first chaos node, its fault on the runtime
      let first: Node | undefined
      await expect.poll(async () => {
        await noteChildren(api)
        first = nodesOf(await api.get('Workflow', 'default', 'plan')).find((n) => n.template === 'slow-back' && n.phase === 'Running')
        return first !== undefined && (await api.list({ kind: 'NetworkChaos' })).some((o) => o.metadata.ownerReferences?.[0]?.name === first!.name && o.status?.experiment?.containerRecords?.[0]?.phase === 'Injected')
      }, { timeout: 10_000, interval: 100 }).toBe(true)
      await sleep(1500)
      await signalAndWait(server?.child, 'SIGKILL')
      const killedAt = Date.now()
      await sleep(1500) // down for a run of the schedule and part of the node
      api = await start()
      const restartedAt = Date.now()

      // the same node goes on and ends at its stored deadline (started + 6 s), not 6 s after the restart
      const deadline = Date.parse(first!.startTime!) + 6000
      await expect.poll(async () => nodesOf(await api.get('Workflow', 'default', 'plan')).find((n) => n.name === first!.name)?.endTime, { timeout: 10_000, interval: 100 }).toBeDefined()
      const wf = await api.get('Workflow', 'default', 'plan')
      const ended = Date.parse(nodesOf(wf).find((n) => n.name === first!.name)!.endTime!)
      expect(ended - deadline).toBeGreaterThan(-1000)
      expect(ended - deadline).toBeLessThan(1500)
      expect(ended).toBeLessThan(restartedAt + 6000 - 1000)
      expect(nodesOf(wf).filter((n) => n.template === 'slow-back')).toHaveLength(1)
      // then the rest of the plan, and the workflow is accomplished
      await expect.poll(async () => ((await api.get('Workflow', 'default', 'plan')).status as unknown as { chaoscope?: { phase?: string } }).chaoscope?.phase, { timeout: 15_000, interval: 200 }).toBe('Accomplished')
      expect(nodesOf(await api.get('Workflow', 'default', 'plan')).map((n) => n.template).sort()).toEqual(['rest', 'slow-back', 'slow-middle', 'steps'])

      // the schedule: runs every 2 s (each child 1 s); the one due while the server was down is caught up at most
      // once (its starting deadline is 1 s); never two children at once
      await noteChildren(api)
      const ranFor = Date.now() - scheduleStart
      const scheduleEvents = await api.objectEvents('Schedule', 'default', 'every-2s')
      const spawned = scheduleEvents.filter((e) => e.reason === 'Spawned')
      const names = spawned.map((e) => e.message.replace('Create new object: ', ''))
      expect(new Set(names).size).toBe(names.length)
      // @every counts from the last run rounded down to the second (robfig), so the first run may come 1–2 s after
      // the apply: one more slot than ranFor / 2 s, never more
      const due = Math.floor(ranFor / 2000)
      expect(spawned.length).toBeLessThanOrEqual(due + 1)
      expect(spawned.length).toBeGreaterThanOrEqual(due - 1) // one at the edges (the stored time is whole seconds)
      expect(scheduleEvents.filter((e) => e.reason === 'MissSchedule')).toEqual([])
      // no two runs for one slot: consecutive spawns at least ~2 s apart (the time stored is whole seconds)
      const at = spawned.map((e) => Date.parse(e.time)).sort((a, b) => a - b)
      for (let i = 1; i < at.length; i++) expect(at[i]! - at[i - 1]!).toBeGreaterThanOrEqual(1000)
      expect(killedAt).toBeLessThan(restartedAt)

      await api.delete('Schedule', 'default', 'every-2s')
      await api.delete('Workflow', 'default', 'plan')
      expect(await api.list({})).toEqual([])
      expect(await rt.effects()).toEqual([])
    } finally {
      sampling = false
      await sampler
      await signalAndWait(server?.child, 'SIGTERM')
    }
    expect(most).toBeLessThanOrEqual(1)
  }, 90_000)
})
