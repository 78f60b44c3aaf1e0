/**
 * The experiment lifecycle on real pods: a LocalRuntime with two small HTTP pods (node -e servers) and the
 * registry's real injectors (a NetworkChaos delay is a latency fault on each selected pod's ingress sidecar).
 * Apply, duration end, pause and resume, delete, and a controller stopped and reopened on the same database.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { effectId } from '../faults/injector.js'
import { InProcessRuntimeClient } from '../runtime/client.js'
import { LocalRuntime } from '../runtime/local-runtime.js'
import type { AppSpec } from '../manifest/kinds/app.js'
import { Controller } from './controller.js'
import { delayYaml, resource } from '../../test/doubles/chaos-yaml.js'

const WEB = `require('node:http').createServer((q, s) => s.end('ok ' + process.pid)).listen(Number(process.env.PORT), '127.0.0.1'); process.on('SIGTERM', () => process.exit(0))`

let dir: string
let rt: LocalRuntime
const controllers: Controller[] = []

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'chaoscope-engine-'))
  const file = join(dir, 'app.yaml')
  writeFileSync(file, '# the App is built in the test\n')
  const app = resource(
    [
      'apiVersion: chaoscope.dev/v1alpha1',
      'kind: App',
      'metadata: {name: engine}',
      'spec:',
      '  services:',
      '    - name: web',
      `      command: [node, -e, ${JSON.stringify(WEB)}]`,
      '      port: 8080',
      '      protocol: http',
      '      replicas: 2',
      '      labels: {app: web}',
      '      readinessProbe: {httpGet: {path: /}, periodSeconds: 1}',
      '      terminationGracePeriodSeconds: 1',
      '',
    ].join('\n'),
  )
  rt = await LocalRuntime.start(app.spec as unknown as AppSpec, { appFile: file, hostPorts: 'ephemeral' })
  await rt.waitReady(30_000)
}, 60_000)

afterAll(async () => {
  await rt?.stop()
  rmSync(dir, { recursive: true, force: true })
})

afterEach(async () => {
  for (const c of controllers.splice(0)) await c.stop()
  // nothing an experiment added may outlive its test
  for (const e of await rt.effects()) await rt.removeEffect(e.id)
})

function open(dbName: string) {
  const ctl = Controller.open({ dbPath: join(dir, dbName), runtime: new InProcessRuntimeClient(rt) })
  controllers.push(ctl)
  return { ctl }
}

/** Faults on the runtime that experiment `uid` owns. */
async function faultsOf(uid: string): Promise<string[]> {
  return (await rt.effects({ owner: uid })).map((e) => e.id)
}

async function timeGet(address: string): Promise<number> {
  const t0 = performance.now()
  const res = await fetch(`http://${address}/`, { signal: AbortSignal.timeout(5000) })
  await res.text()
  return performance.now() - t0
}

const conditions = (ctl: Controller, name: string) =>
  ctl.get('NetworkChaos', 'default', name)!.status.conditions.filter((c) => c.status === 'True').map((c) => c.type)

describe('an experiment on real pods', () => {
  it('apply → Selected, AllInjected, and every request through the pod is slower', async () => {
    const { ctl } = open('apply.db')
    await ctl.start()
    const pod = rt.pods({ app: 'web' })[0]!
    await timeGet(pod.address!) // warm up
    const before = await timeGet(pod.address!)
    const { object } = await ctl.apply(resource(delayYaml('slow', { latency: '300ms' })))
    await ctl.waitIdle()
    expect(conditions(ctl, 'slow')).toEqual(['Selected', 'AllInjected'])
    expect((await faultsOf(object.metadata.uid)).sort()).toEqual(rt.pods({ app: 'web' }).map((p) => effectId(object.metadata.uid, p.name, 'delay', p.name)).sort())
    const during = await timeGet(pod.address!)
    expect(during).toBeGreaterThanOrEqual(295)
    expect(during - before).toBeGreaterThan(250)
    expect(ctl.events({ name: 'slow' }).map((e) => e.reason)).toEqual(['Selected', 'Started', 'Applied', 'Applied'])
  })

  it('duration end → AllRecovered, Finished, and the fault is gone within a second of the end', async () => {
    const { ctl } = open('duration.db')
    await ctl.start()
    const { object } = await ctl.apply(resource(delayYaml('short', { duration: '1500ms', mode: 'one' })))
    await ctl.waitIdle()
    expect(await faultsOf(object.metadata.uid)).toHaveLength(1)
    const end = Date.parse(object.metadata.creationTimestamp) + 1500
    await expect.poll(async () => (await faultsOf(object.metadata.uid)).length, { timeout: 4000, interval: 10 }).toBe(0)
    const late = Date.now() - end
    expect(late).toBeGreaterThanOrEqual(-10)
    expect(late).toBeLessThan(1000)
    // the runtime removes the fault at the deadline by itself; the controller's timer for it may fire a little later
    await expect
      .poll(() => ctl.events({ name: 'short' }).map((e) => e.reason), { timeout: 3000, interval: 20 })
      .toEqual(['Selected', 'Started', 'Applied', 'TimeUp', 'Recovered', 'Finished'])
    await ctl.waitIdle()
    expect(conditions(ctl, 'short')).toEqual(['Selected', 'AllRecovered'])
    expect(ctl.get('NetworkChaos', 'default', 'short')!.status.experiment.desiredPhase).toBe('Stop')
  })

  it('pause → recovered and Paused; resume → injected again', async () => {
    const { ctl } = open('pause.db')
    await ctl.start()
    const { object } = await ctl.apply(resource(delayYaml('p', { mode: 'one' })))
    const uid = object.metadata.uid
    await ctl.waitIdle()
    expect(await faultsOf(uid)).toHaveLength(1)

    await ctl.pause('NetworkChaos', 'default', 'p')
    await ctl.waitIdle()
    expect(await faultsOf(uid)).toEqual([])
    expect(conditions(ctl, 'p')).toEqual(['Selected', 'AllRecovered', 'Paused'])
    expect(ctl.get('NetworkChaos', 'default', 'p')!.metadata.annotations).toEqual({ 'experiment.chaos-mesh.org/pause': 'true' })
    expect(ctl.phase('NetworkChaos', 'default', 'p')).toBe('paused')

    await ctl.resume('NetworkChaos', 'default', 'p')
    await ctl.waitIdle()
    expect(await faultsOf(uid)).toHaveLength(1)
    expect(conditions(ctl, 'p')).toEqual(['Selected', 'AllInjected'])
    expect(ctl.get('NetworkChaos', 'default', 'p')!.status.experiment.containerRecords).toMatchObject([{ phase: 'Injected', injectedCount: 2, recoveredCount: 1 }])
    expect(ctl.events({ name: 'p' }).map((e) => e.reason)).toEqual(['Selected', 'Started', 'Applied', 'Paused', 'Recovered', 'Started', 'Applied'])
  })

  it('pause and resume by applying the annotation, as kubectl annotate does', async () => {
    const { ctl } = open('annotate.db')
    await ctl.start()
    const { object } = await ctl.apply(resource(delayYaml('a', { mode: 'one' })))
    await ctl.waitIdle()
    const paused = await ctl.apply(resource(delayYaml('a', { mode: 'one', annotations: { 'experiment.chaos-mesh.org/pause': 'true' } })))
    expect(paused.action).toBe('configured')
    await ctl.waitIdle()
    expect(await faultsOf(object.metadata.uid)).toEqual([])
    expect((await ctl.apply(resource(delayYaml('a', { mode: 'one' })))).action).toBe('configured')
    await ctl.waitIdle()
    expect(await faultsOf(object.metadata.uid)).toHaveLength(1)
  })

  it('delete → every target recovered, then gone and archived with its records and events', async () => {
    const { ctl } = open('delete.db')
    await ctl.start()
    const { object } = await ctl.apply(resource(delayYaml('d')))
    const uid = object.metadata.uid
    await ctl.waitIdle()
    expect(await faultsOf(uid)).toHaveLength(2)
    const { gone } = await ctl.delete('NetworkChaos', 'default', 'd')
    expect(gone).toBe(true)
    expect(await faultsOf(uid)).toEqual([])
    expect(ctl.get('NetworkChaos', 'default', 'd')).toBeUndefined()
    expect(ctl.list()).toEqual([])
    const [archived] = ctl.archived({ name: 'd' })
    expect(archived!.records.map((r) => [r.phase, r.injectedCount, r.recoveredCount])).toEqual([
      ['Not Injected', 1, 1],
      ['Not Injected', 1, 1],
    ])
    expect(archived!.events.map((e) => e.reason)).toEqual(['Selected', 'Started', 'Applied', 'Applied', 'Deleted', 'Recovered', 'Recovered', 'Archived'])
    expect(archived!.object).toMatchObject({ metadata: { name: 'd', deletionTimestamp: expect.any(String) } })
    // the name is free again
    expect((await ctl.apply(resource(delayYaml('d', { mode: 'one' })))).action).toBe('created')
  })

  it('a new controller on the same database continues: remaining duration kept, expired recovered, orphans removed', async () => {
    const first = open('restart.db')
    await first.ctl.start()
    const long = (await first.ctl.apply(resource(delayYaml('long', { duration: '4s', mode: 'one' })))).object
    const short = (await first.ctl.apply(resource(delayYaml('short', { duration: '1s', mode: 'one' })))).object
    await first.ctl.waitIdle()
    await first.ctl.stop() // no recovery: a stopped controller is not a deleted experiment
    expect(await faultsOf(long.metadata.uid)).toHaveLength(1)
    expect(await faultsOf(short.metadata.uid)).toHaveLength(1)
    const longApplied = (await rt.effects({ owner: long.metadata.uid }))[0]!.appliedAt
    const pod = rt.pods({ app: 'web' })[0]!.name
    await rt.applyEffect({ id: `chaoscope:no-such-experiment:${pod}:delay`, type: 'sidecar-fault', target: { pod }, owner: { experiment: 'no-such-experiment', record: pod, controller: first.ctl.id }, body: { fault: { type: 'latency', direction: 'downstream', latencyMs: 50 } } })
    // short's duration ends while no controller runs: the runtime removes its fault by itself
    await expect.poll(async () => (await faultsOf(short.metadata.uid)).length, { timeout: 4000, interval: 20 }).toBe(0)

    const second = open('restart.db')
    const restartedAt = Date.now()
    await second.ctl.start()
    await second.ctl.waitIdle()
    expect(await faultsOf('no-such-experiment')).toEqual([])
    expect(await faultsOf(short.metadata.uid)).toEqual([])
    expect(await faultsOf(long.metadata.uid)).toHaveLength(1)
    // long continues as it was: not injected again
    expect((await rt.effects({ owner: long.metadata.uid })).map((e) => e.appliedAt)).toEqual([longApplied])
    expect(second.ctl.events({ uid: 'no-such-experiment' }).map((e) => e.reason)).toEqual(['OrphanRecovered'])

    const end = Date.parse(long.metadata.creationTimestamp) + 4000
    await expect.poll(async () => (await faultsOf(long.metadata.uid)).length, { timeout: 6000, interval: 20 }).toBe(0)
    expect(Date.now() - end).toBeLessThan(1000)
    expect(Date.now()).toBeLessThan(restartedAt + 4000) // counted from creation, not from the restart
    // the runtime removes the fault at the deadline by itself; the controller's own timer for the same deadline may
    // fire a little later (a loaded machine), so its events are waited for, not read at once
    await expect
      .poll(() => second.ctl.events({ name: 'long' }).map((e) => e.reason), { timeout: 3000, interval: 20 })
      .toEqual(['Selected', 'Started', 'Applied', 'TimeUp', 'Recovered', 'Finished'])
  }, 15_000)
})
