/**
 * The Schedule kind through the Controller on real pods (a LocalRuntime with two small HTTP pods and the
 * registry's injectors): Forbid never overlaps its runs, Allow does, historyLimit keeps N, pause pauses the
 * children and spawns nothing, a refused spawn is retried at the next run, apply refuses what cannot run, and a
 * controller reopened on the same database after a stop catches up at most once (ManualClock: the gap is exact).
 * Then Chaos Mesh's schedule-podchaos.yaml and web-show/pod-kill.yaml on the chain demo, retargeted to its pods.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { InProcessRuntimeClient } from '../runtime/client.js'
import { LocalRuntime } from '../runtime/local-runtime.js'
import type { RuntimeServer } from '../runtime/server.js'
import type { AppSpec } from '../manifest/kinds/app.js'
import { validatePaths } from '../manifest/validate.js'
import type { Resource } from '../manifest/validate.js'
import type { Clock } from './context.js'
import { Controller } from './controller.js'
import { MANAGED_BY, scheduleSummary } from './schedule.js'
import type { ScheduleStatus } from './schedule.js'
import { resource } from '../../test/doubles/chaos-yaml.js'
import { ManualClock } from '../../test/doubles/manual-clock.js'
import { kindModules } from './kinds.js'
import { startDemo } from '../../test/demo.js'

const WEB = `require('node:http').createServer((q, s) => s.end('ok')).listen(Number(process.env.PORT), '127.0.0.1'); process.on('SIGTERM', () => process.exit(0))`
const CM = '/work/shared/conformance/chaos-mesh/examples'
/** Runs of the Forbid test (3 s each): 20, a minute, as the issue asks; SCHEDULE_FORBID_RUNS=8 for a quicker run. */
const FORBID_RUNS = Number(process.env.SCHEDULE_FORBID_RUNS ?? 20)

let dir: string
let rt: LocalRuntime
const controllers: Controller[] = []

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'chaoscope-schedule-'))
  const file = join(dir, 'app.yaml')
  writeFileSync(file, '# built in the test\n')
  const app = resource(['apiVersion: chaoscope.dev/v1alpha1', 'kind: App', 'metadata: {name: sched}', 'spec:', '  services:', '    - name: web', `      command: [node, -e, ${JSON.stringify(WEB)}]`, '      port: 8080', '      replicas: 2', '      labels: {app: web}', '      terminationGracePeriodSeconds: 1', ''].join('\n'))
  rt = await LocalRuntime.start(app.spec as unknown as AppSpec, { appFile: file, hostPorts: 'ephemeral' })
  await rt.waitReady(30_000)
}, 60_000)

afterAll(async () => {
  await rt?.stop()
  rmSync(dir, { recursive: true, force: true })
})

afterEach(async () => {
  for (const c of controllers.splice(0)) await c.stop()
  for (const e of await rt.effects()) await rt.removeEffect(e.id)
})

function open(db: string, opts: { clock?: Clock; log?: string[]; runtime?: LocalRuntime } = {}) {
  const ctl = Controller.open({
    dbPath: join(dir, db),
    runtime: new InProcessRuntimeClient(opts.runtime ?? rt),
    modules: kindModules({ allowExec: false }),
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.log ? { log: (level, message) => void opts.log!.push(`${level} ${message}`) } : {}),
  })
  controllers.push(ctl)
  return ctl
}

interface ScheduleOpts {
  schedule?: string
  policy?: 'Forbid' | 'Allow'
  historyLimit?: number
  deadline?: number
  duration?: string
  app?: string
}

/** A Schedule of NetworkChaos delays (10 ms) on every pod labelled app=`app` (default web). */
function scheduleOf(name: string, o: ScheduleOpts = {}): Resource {
  return resource(
    [
      'apiVersion: chaos-mesh.org/v1alpha1',
      'kind: Schedule',
      `metadata: {name: ${name}}`,
      'spec:',
      `  schedule: "${o.schedule ?? '@every 2s'}"`,
      ...(o.policy ? [`  concurrencyPolicy: ${o.policy}`] : []),
      ...(o.historyLimit !== undefined ? [`  historyLimit: ${o.historyLimit}`] : []),
      ...(o.deadline !== undefined ? [`  startingDeadlineSeconds: ${o.deadline}`] : []),
      '  type: NetworkChaos',
      '  networkChaos:',
      '    action: delay',
      '    mode: all',
      `    selector: {labelSelectors: {app: ${o.app ?? 'web'}}}`,
      '    delay: {latency: 10ms}',
      ...(o.duration ? [`    duration: ${o.duration}`] : []),
      '',
    ].join('\n'),
  )
}

const reasons = (ctl: Controller, name: string) => ctl.events({ kind: 'Schedule', name }).map((e) => e.reason)
const eventsOf = (ctl: Controller, name: string, reason: string) => ctl.events({ kind: 'Schedule', name }).filter((e) => e.reason === reason)
const children = (ctl: Controller, name: string, kind = 'NetworkChaos') => ctl.list({ kind }).filter((o) => o.metadata.labels?.[MANAGED_BY] === name)
const live = (ctl: Controller, name: string, kind = 'NetworkChaos') => children(ctl, name, kind).filter((o) => !o.metadata.deletionTimestamp)

/** Samples the runtime's effects every 100 ms until stopped: the most distinct experiments seen holding effects at once. */
function overlapSampler() {
  let most = 0
  let samples = 0
  let running = true
  const loop = (async () => {
    while (running) {
      const owners = new Set((await rt.effects()).map((e) => e.owner?.experiment).filter(Boolean))
      most = Math.max(most, owners.size)
      samples++
      await new Promise((r) => setTimeout(r, 100))
    }
  })()
  return {
    stop: async () => {
      running = false
      await loop
      return { most, samples }
    },
  }
}

describe('Schedule on the local controller', () => {
  it('Forbid: a chaos longer than the interval never overlaps the next one; Forbid events name the running one', async () => {
    const ctl = open('forbid.db')
    await ctl.start()
    const sampler = overlapSampler()
    await ctl.apply(scheduleOf('forbid', { schedule: '@every 2s', policy: 'Forbid', duration: '3s', historyLimit: 2 }))
    // a minute: twenty runs of 3 s each, every one delayed by the one before
    await expect.poll(() => eventsOf(ctl, 'forbid', 'Spawned').length, { timeout: FORBID_RUNS * 3000 + 15_000, interval: 200 }).toBeGreaterThanOrEqual(FORBID_RUNS)
    const { most, samples } = await sampler.stop()
    expect(samples).toBeGreaterThan(50)
    expect(most).toBe(1)
    const forbids = eventsOf(ctl, 'forbid', 'Forbid')
    expect(forbids.length).toBeGreaterThanOrEqual(FORBID_RUNS - 3)
    expect(forbids[0]!.message).toMatch(/^Forbid spawning new job because: forbid-[bcdfghjklmnpqrstvwxz2456789]{5} is still running$/)
    expect(eventsOf(ctl, 'forbid', 'Spawned')[0]!.message).toMatch(/^Create new object: forbid-[bcdfghjklmnpqrstvwxz2456789]{5}$/)
    expect(eventsOf(ctl, 'forbid', 'Updated')[0]!.message).toBe('Successfully update lastScheduleTime of resource')
    // each run started once the one before had finished: its Spawned comes after the previous child's Finished
    const spawnedAt = eventsOf(ctl, 'forbid', 'Spawned').map((e) => Date.parse(e.time))
    for (let i = 1; i < spawnedAt.length; i++) expect(spawnedAt[i]! - spawnedAt[i - 1]!).toBeGreaterThanOrEqual(2900)
    // status: Chaos Mesh's active references and time, ours in chaoscope
    const s = ctl.get('Schedule', 'default', 'forbid')!
    const status = s.status as unknown as ScheduleStatus
    expect(status.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    expect(status.active!.length).toBeGreaterThanOrEqual(1)
    expect(status.active![0]).toMatchObject({ apiVersion: 'chaos-mesh.org/v1alpha1', kind: 'NetworkChaos', namespace: 'default', name: expect.stringMatching(/^forbid-/), uid: expect.any(String) })
    expect(status.chaoscope).toMatchObject({ phase: 'Running', nextRun: expect.any(String) })
    expect(scheduleSummary(s)).toMatchObject({ type: 'NetworkChaos', schedule: '@every 2s', phase: 'Running', lastRun: status.time, nextRun: status.chaoscope!.nextRun })
    expect(ctl.phase('Schedule', 'default', 'forbid')).toBe('Running')
    // a child is labelled and owned
    const child = children(ctl, 'forbid')[0]!
    expect(child.metadata.labels).toEqual({ [MANAGED_BY]: 'forbid' })
    expect(child.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Schedule', name: 'forbid', uid: s.metadata.uid, controller: true })])
    expect(child.spec).toMatchObject({ action: 'delay', mode: 'all', duration: '3s', delay: { latency: '10ms' } })
  }, FORBID_RUNS * 3000 + 30_000)

  it('Allow: runs overlap', async () => {
    const ctl = open('allow.db')
    await ctl.start()
    const sampler = overlapSampler()
    await ctl.apply(scheduleOf('allow', { schedule: '@every 1s', policy: 'Allow', duration: '3s', historyLimit: 5 }))
    await expect.poll(() => eventsOf(ctl, 'allow', 'Spawned').length, { timeout: 15_000, interval: 200 }).toBeGreaterThanOrEqual(4)
    const { most } = await sampler.stop()
    expect(most).toBeGreaterThanOrEqual(2)
    expect(reasons(ctl, 'allow')).not.toContain('Forbid')
  }, 30_000)

  it('what a run makes carries the schedule\'s chaoscope.dev/ annotations (a share), and no others', async () => {
    const ctl = open('annotations.db')
    await ctl.start()
    await ctl.apply(resource(`apiVersion: chaos-mesh.org/v1alpha1
kind: Schedule
metadata:
  name: shared
  namespace: default
  annotations: { chaoscope.dev/percent: "30", team: shop }
spec:
  schedule: "@every 1s"
  type: NetworkChaos
  historyLimit: 2
  concurrencyPolicy: Forbid
  networkChaos: { action: delay, mode: all, selector: { labelSelectors: { app: web } }, delay: { latency: 10ms }, duration: 30s }
`))
    await expect.poll(() => ctl.list({ kind: 'NetworkChaos' }).length, { timeout: 10_000 }).toBeGreaterThan(0)
    expect(ctl.list({ kind: 'NetworkChaos' })[0]!.metadata.annotations).toEqual({ 'chaoscope.dev/percent': '30' })
    await expect.poll(async () => JSON.stringify(await rt.effects()), { timeout: 10_000 }).toContain('"percent":30')
  }, 30_000)

  it('historyLimit keeps the newest N; the older finished ones are deleted and archived', async () => {
    const ctl = open('history.db')
    await ctl.start()
    await ctl.apply(scheduleOf('hist', { schedule: '@every 1s', policy: 'Allow', duration: '300ms', historyLimit: 2 }))
    await expect.poll(() => ctl.archived({ kind: 'NetworkChaos' }).length, { timeout: 20_000, interval: 200 }).toBeGreaterThanOrEqual(3)
    await expect.poll(() => live(ctl, 'hist').length, { timeout: 5000 }).toBeLessThanOrEqual(2)
    const spawned = eventsOf(ctl, 'hist', 'Spawned').map((e) => e.message.replace('Create new object: ', ''))
    await ctl.pause('Schedule', 'default', 'hist')
    // once quiet, the kept ones are the newest spawned
    await expect.poll(() => live(ctl, 'hist').length, { timeout: 5000 }).toBeLessThanOrEqual(2)
    const all = eventsOf(ctl, 'hist', 'Spawned').map((e) => e.message.replace('Create new object: ', ''))
    const kept = live(ctl, 'hist').map((o) => o.metadata.name)
    for (const k of kept) expect(all.slice(-3)).toContain(k)
    expect(spawned.length).toBeGreaterThanOrEqual(4)
    expect(ctl.archived({ name: spawned[0]! })[0]!.events.map((e) => e.reason)).toEqual(expect.arrayContaining(['Deleted', 'Archived']))
  }, 40_000)

  it('pause pauses every child (its faults removed) and spawns nothing; resume resumes them and runs again', async () => {
    const ctl = open('pause.db')
    await ctl.start()
    await ctl.apply(scheduleOf('paused', { schedule: '@every 1s', policy: 'Allow', historyLimit: 10 }))
    await expect.poll(() => eventsOf(ctl, 'paused', 'Spawned').length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2)
    await ctl.pause('Schedule', 'default', 'paused')
    const before = eventsOf(ctl, 'paused', 'Spawned').length
    await expect.poll(() => children(ctl, 'paused').every((c) => c.metadata.annotations?.['experiment.chaos-mesh.org/pause'] === 'true'), { timeout: 5000 }).toBe(true)
    await expect.poll(async () => (await rt.effects()).length, { timeout: 5000 }).toBe(0)
    expect(ctl.phase('Schedule', 'default', 'paused')).toBe('Paused')
    expect((ctl.get('Schedule', 'default', 'paused')!.status as unknown as ScheduleStatus).chaoscope).toEqual({ phase: 'Paused' })
    await new Promise((r) => setTimeout(r, 3000))
    expect(eventsOf(ctl, 'paused', 'Spawned').length).toBe(before)
    expect(await rt.effects()).toEqual([])
    await ctl.resume('Schedule', 'default', 'paused')
    await expect.poll(() => children(ctl, 'paused').some((c) => c.metadata.annotations?.['experiment.chaos-mesh.org/pause'] === 'true'), { timeout: 5000 }).toBe(false)
    await expect.poll(async () => new Set((await rt.effects()).map((e) => e.owner?.experiment)).size, { timeout: 5000 }).toBeGreaterThanOrEqual(before)
    // the runs missed while paused: caught up once (the most recent), then on time
    await expect.poll(() => eventsOf(ctl, 'paused', 'Spawned').length, { timeout: 5000 }).toBeGreaterThan(before)
    expect(eventsOf(ctl, 'paused', 'Spawned').length).toBeLessThanOrEqual(before + 2)
    // one child paused by itself stays paused while the schedule goes on (its pause is synced only when it changes)
    const one = children(ctl, 'paused')[0]!
    await ctl.pause('NetworkChaos', 'default', one.metadata.name)
    const spawned = eventsOf(ctl, 'paused', 'Spawned').length
    await expect.poll(() => eventsOf(ctl, 'paused', 'Spawned').length, { timeout: 5000 }).toBeGreaterThan(spawned)
    expect(ctl.get('NetworkChaos', 'default', one.metadata.name)!.metadata.annotations?.['experiment.chaos-mesh.org/pause']).toBe('true')
  }, 30_000)

  it('a spawn refused (no pod matches): Warning Failed, tried again at the next run, not in a loop', async () => {
    const log: string[] = []
    const ctl = open('refused.db', { log })
    await ctl.start()
    await ctl.apply(scheduleOf('nomatch', { schedule: '@every 1s', app: 'nothing' }))
    await new Promise((r) => setTimeout(r, 3500))
    const tries = log.filter((l) => l.startsWith('warn Schedule default/nomatch: the run of')).length
    expect(tries).toBeGreaterThanOrEqual(2)
    expect(tries).toBeLessThanOrEqual(5)
    const failed = eventsOf(ctl, 'nomatch', 'Failed')
    expect(failed.length).toBeGreaterThanOrEqual(1)
    expect(failed[0]!.message).toMatch(/^Failed to create new object: /)
    expect(ctl.list({ kind: 'NetworkChaos' })).toEqual([])
    expect(ctl.phase('Schedule', 'default', 'nomatch')).toBe('Running')
  }, 15_000)

  it('apply refuses a schedule whose kind or item the local runtime cannot run; accepts type Workflow', async () => {
    const ctl = open('admit.db')
    await ctl.start()
    const remote = scheduleOf('remote')
    ;(remote.spec.networkChaos as Record<string, unknown>).remoteCluster = 'elsewhere'
    await expect(ctl.apply(remote)).rejects.toMatchObject({ code: 'SPEC_LOCAL_UNSUPPORTED', message: expect.stringContaining('Schedule remote: spec.networkChaos: spec.remoteCluster'), hint: expect.stringContaining('remove remoteCluster') })
    const aws = resource(['apiVersion: chaos-mesh.org/v1alpha1', 'kind: Schedule', 'metadata: {name: aws}', 'spec:', '  schedule: "@hourly"', '  type: AWSChaos', '  awsChaos: {action: ec2-stop, secretName: s, awsRegion: us-east-1, ec2Instance: i-1}', ''].join('\n'))
    await expect(ctl.apply(aws)).rejects.toMatchObject({ code: 'SPEC_LOCAL_UNSUPPORTED', message: expect.stringContaining('Schedule aws: spec.awsChaos: ') })
    // @every counted from the start of a starting-deadline window shorter than it: it would never run
    await expect(ctl.apply(scheduleOf('never', { schedule: '@every 2s', deadline: 1 }))).rejects.toMatchObject({ code: 'SPEC_INVALID_VALUE', message: expect.stringContaining('would never run'), hint: expect.stringContaining('at least 2') })
    expect(ctl.list()).toEqual([])
    expect((await ctl.apply(scheduleOf('enough', { schedule: '@every 2s', deadline: 2 }))).action).toBe('created')
    await ctl.delete('Schedule', 'default', 'enough')
    const wf = resource(['apiVersion: chaos-mesh.org/v1alpha1', 'kind: Schedule', 'metadata: {name: wf}', 'spec:', '  schedule: "@hourly"', '  type: Workflow', '  workflow:', '    entry: e', '    templates:', '      - {name: e, templateType: Suspend, deadline: 1s}', ''].join('\n'))
    // what each run would make is admitted at apply: a Task needs --allow-exec
    const task = resource(['apiVersion: chaos-mesh.org/v1alpha1', 'kind: Schedule', 'metadata: {name: wftask}', 'spec:', '  schedule: "@hourly"', '  type: Workflow', '  workflow:', '    entry: t', '    templates:', '      - {name: t, templateType: Task, task: {container: {name: c, image: busybox, command: [echo, hi]}}}', ''].join('\n'))
    await expect(ctl.apply(task)).rejects.toMatchObject({ code: 'CONTROLLER_EXEC_REFUSED' })
    expect(ctl.list()).toEqual([])
    const { object } = await ctl.apply(wf)
    expect(object.kind).toBe('Schedule')
    await ctl.pause('Schedule', 'default', 'wf')
    expect(eventsOf(ctl, 'wf', 'NotSupported').map((e) => e.message)).toEqual(['pausing a workflow schedule is not supported'])
  })

  it('a controller reopened on the database after a stop catches up once; the runs older than the deadline are MissSchedule', async () => {
    const clock = new ManualClock('2024-05-01T10:00:00.000Z')
    const a = open('crash.db', { clock })
    await a.start()
    await a.apply(scheduleOf('crash', { schedule: '@every 2s', policy: 'Allow', deadline: 3, historyLimit: 10 }))
    clock.advance(2000)
    await expect.poll(() => eventsOf(a, 'crash', 'Spawned').length).toBe(1)
    await expect.poll(() => (a.get('Schedule', 'default', 'crash')!.status as unknown as ScheduleStatus).time).toBe('2024-05-01T10:00:02Z')
    await a.stop() // what a SIGKILL leaves: the store as the last transaction left it

    // 20.5 s later: runs at :04 … :18 are older than the 3 s deadline; :21 (the window starts at :19.5) is the catch-up
    const later = new ManualClock('2024-05-01T10:00:22.500Z')
    const b = open('crash.db', { clock: later })
    await b.start()
    await expect.poll(() => eventsOf(b, 'crash', 'Spawned').length).toBe(2)
    const missed = eventsOf(b, 'crash', 'MissSchedule')
    expect(missed).toHaveLength(1)
    expect(missed[0]!.type).toBe('Warning')
    expect(missed[0]!.message).toMatch(/^Missed scheduled time to start a job: \w{3}, \d\d \w{3} 2024 \d\d:\d\d:18 [+-]\d{4}$/)
    await new Promise((r) => setTimeout(r, 300))
    expect(eventsOf(b, 'crash', 'Spawned')).toHaveLength(2)
    const status = b.get('Schedule', 'default', 'crash')!.status as unknown as ScheduleStatus
    expect(status.time).toBe('2024-05-01T10:00:22Z')
    expect(status.chaoscope?.nextRun).toBe('2024-05-01T10:00:24.000Z')
    expect(status.active).toHaveLength(2)
    // and on from there, on time, without another MissSchedule
    later.advance(1500)
    await expect.poll(() => eventsOf(b, 'crash', 'Spawned').length).toBe(3)
    expect(eventsOf(b, 'crash', 'MissSchedule')).toHaveLength(1)
  })
})

describe("Chaos Mesh's schedule examples on the chain demo", () => {
  let chain: RuntimeServer
  beforeAll(async () => {
    chain = await startDemo('chain')
  }, 60_000)
  afterAll(() => chain?.close())

  /** The example, its selector pointed at the demo service `app` (its labels match no demo pod). */
  function example(file: string, app: string): Resource {
    const r = validatePaths([file])
    if (r.issues.length > 0) throw new Error(JSON.stringify(r.issues))
    const res = r.resources[0]!
    ;(res.spec.podChaos as Record<string, unknown>).selector = { namespaces: ['default'], labelSelectors: { app } }
    return res
  }

  const pidOf = (app: string) => chain.runtime.pods().find((p) => p.service === app && p.ready)?.pid

  it('schedule-podchaos.yaml (@every 5s, Forbid, historyLimit 5; → back): a back pod killed every 5 s, replaced each time', async () => {
    const ctl = open('cm-schedule-podchaos.db', { runtime: chain.runtime })
    await ctl.start()
    const first = pidOf('back')
    await ctl.apply(example(join(CM, 'schedule-podchaos.yaml'), 'back'))
    await expect.poll(() => eventsOf(ctl, 'schedule-pod-kill-example', 'Spawned').length, { timeout: 20_000, interval: 250 }).toBeGreaterThanOrEqual(2)
    const kills = children(ctl, 'schedule-pod-kill-example', 'PodChaos')
    expect(kills.length).toBeGreaterThanOrEqual(1)
    await expect.poll(() => kills.some((k) => ctl.phase('PodChaos', 'default', k.metadata.name) === 'finished'), { timeout: 5000 }).toBe(true)
    await chain.runtime.waitReady(20_000)
    expect(pidOf('back')).not.toBe(first)
    const at = eventsOf(ctl, 'schedule-pod-kill-example', 'Spawned').map((e) => Date.parse(e.time))
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(4000)
    expect(at[1]! - at[0]!).toBeLessThan(8000)
  }, 40_000)

  it('web-show/pod-kill.yaml (@every 1m; → front): one minute on, the front pod is killed and replaced', async () => {
    const clock = new ManualClock()
    const ctl = open('cm-web-show.db', { runtime: chain.runtime, clock })
    await ctl.start()
    await chain.runtime.waitReady(20_000)
    const first = pidOf('front')
    await ctl.apply(example(join(CM, 'web-show/pod-kill.yaml'), 'front'))
    clock.advance(59_000)
    await new Promise((r) => setTimeout(r, 200))
    expect(eventsOf(ctl, 'web-show-pod-kill', 'Spawned')).toHaveLength(0)
    clock.advance(1000)
    await expect.poll(() => eventsOf(ctl, 'web-show-pod-kill', 'Spawned').length).toBe(1)
    const [kill] = children(ctl, 'web-show-pod-kill', 'PodChaos')
    await expect.poll(() => ctl.phase('PodChaos', 'default', kill!.metadata.name), { timeout: 10_000 }).toBe('finished')
    await chain.runtime.waitReady(20_000)
    expect(pidOf('front')).not.toBe(first)
    expect((ctl.get('Schedule', 'default', 'web-show-pod-kill')!.status as unknown as ScheduleStatus).chaoscope?.nextRun).toBe('2024-05-01T10:02:00.000Z')
  }, 40_000)
})
