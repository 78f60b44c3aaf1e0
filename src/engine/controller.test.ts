/**
 * The controller's steps with the REAL injectors (src/faults/registry.ts) against an in-memory runtime boundary
 * (test/doubles/fake-runtime.ts) and a manual clock: what apply refuses (before anything changes), all or nothing
 * over several documents, dry-run, immutability, retry with back-off, the duration's end by a timer, failed
 * recoveries logged and retried, evidence kept after the fact, targets that are all gone, crash recovery's sweep.
 * The lifecycle on real pods is in controller.runtime.test.ts.
 */
import Database from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ChaosError } from '../errors.js'
import { effectId } from '../faults/injector.js'
import type { Resource } from '../manifest/validate.js'
import { Store } from '../store/store.js'
import { AdmissionError, Controller } from './controller.js'
import type { Change, ChaosObject } from './controller.js'
import { INJECTED, INJECTING, NOT_INJECTED } from './decide.js'
import { fakePod, FakeRuntime } from '../../test/doubles/fake-runtime.js'
import { delayYaml, podChaosYaml, resource, resources } from '../../test/doubles/chaos-yaml.js'
import { ManualClock } from '../../test/doubles/manual-clock.js'
import { engineSetup, PODS, stopControllers } from '../../test/doubles/engine-setup.js'

const open: Controller[] = []
const dirs: string[] = []
afterEach(async () => {
  await stopControllers()
  for (const c of open.splice(0)) await c.stop()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

const setup = engineSetup

const bare = (kind: string, spec: Record<string, unknown> = {}): Resource => ({ apiVersion: 'chaos-mesh.org/v1alpha1', kind, metadata: { name: 'x', namespace: 'default' }, spec, source: { file: 't', index: 0, line: 1 } })

async function refusal(p: Promise<unknown>): Promise<ChaosError> {
  const e = await p.then(() => undefined, (x: unknown) => x)
  expect(e).toBeInstanceOf(ChaosError)
  return e as ChaosError
}

/** The id of the delay effect the real NetworkChaos injector puts on a pod's ingress sidecar. */
const delayId = (uid: string, pod: string) => effectId(uid, pod, 'delay', pod)

const get = (ctl: Controller, name: string, kind = 'NetworkChaos'): ChaosObject => ctl.get(kind, 'default', name)!

describe('apply refuses, before anything changes', () => {
  it.each([
    ['KernelChaos', 'KernelChaos needs a cluster: run it against a cluster with Chaos Mesh'],
    ['AWSChaos', 'AWSChaos needs a cluster: run it against a cluster with Chaos Mesh'],
    ['JVMChaos', 'JVMChaos needs a cluster: run it against a cluster with Chaos Mesh'],
  ])('%s', async (kind, message) => {
    const { ctl, runtime } = setup()
    const e = await refusal(ctl.apply(bare(kind)))
    expect([e.code, e.message]).toEqual(['SPEC_LOCAL_UNSUPPORTED', message])
    expect(ctl.list()).toEqual([])
    expect(ctl.events()).toEqual([])
    expect(runtime.calls).toEqual([])
  })

  it('a spec the injector rejects', async () => {
    const { ctl } = setup()
    const e = await refusal(ctl.apply(resource(delayYaml('d').replace('spec:\n', 'spec:\n  device: eth1\n'))))
    expect([e.code, e.message]).toEqual(['SPEC_LOCAL_UNSUPPORTED', 'spec.device "eth1": local pods have one network path (their sidecars), not devices; faults act on every connection'])
    expect(ctl.list()).toEqual([])
  })

  it('remoteCluster', async () => {
    const { ctl } = setup()
    const e = await refusal(ctl.apply(bare('NetworkChaos', { action: 'delay', remoteCluster: 'east' })))
    expect(e.message).toBe('spec.remoteCluster "east" needs a cluster: the local runtime has no remote clusters')
  })

  it('a selector matching no pod, naming the selector and the pods', async () => {
    const { ctl, runtime } = setup()
    const e = await refusal(ctl.apply(resource(delayYaml('d', { app: 'nope' }))))
    expect(e.code).toBe('CONTROLLER_NO_TARGETS')
    expect(e.message).toBe(
      'spec.selector {namespaces: [default], labelSelectors: {app: nope}} matches no pod; pods that exist: default/web-aaaaa (app=web; Running); default/web-bbbbb (app=web; Running); default/db-ccccc (app=db; Running)',
    )
    expect(ctl.list()).toEqual([])
    expect(runtime.held.size).toBe(0)
  })
})

describe('applyAll: every document or none', () => {
  it('a refusal of the last document leaves none of the others created; every refusal is listed', async () => {
    const { ctl, runtime } = setup()
    await ctl.start()
    const seen: Change[] = []
    ctl.on('change', (c) => seen.push(c))
    const docs = resources([delayYaml('a'), podChaosYaml('b', 'pod-failure'), delayYaml('c', { app: 'nope' })].join('---\n'))
    const e = await refusal(ctl.applyAll(docs))
    expect(e).toBeInstanceOf(AdmissionError)
    expect((e as AdmissionError).refusals.map((r) => [r.index, r.error.code])).toEqual([[2, 'CONTROLLER_NO_TARGETS']])
    expect(e.message).toMatch(/^1 of 3 resources refused; nothing was applied \(first: spec\.selector /)
    expect(ctl.list()).toEqual([])
    expect(ctl.events()).toEqual([])
    expect(seen).toEqual([])
    expect(runtime.held.size).toBe(0)
  })

  it('a write the store refuses late (the third of three) rolls back the first two, and nothing is published', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chaoscope-applyall-'))
    dirs.push(dir)
    const file = join(dir, 'state.db')
    const store = Store.open(file)
    // a real refusal by SQLite inside the transaction, after two documents were written
    const db = new Database(file)
    db.exec("CREATE TRIGGER refuse_late BEFORE INSERT ON resources WHEN NEW.name = 'late' BEGIN SELECT RAISE(ABORT, 'disk says no'); END")
    db.close()
    const { ctl, runtime } = setup({ store })
    await ctl.start()
    const seen: Change[] = []
    ctl.on('change', (c) => seen.push(c))
    const e = await refusal(ctl.applyAll(resources([delayYaml('a'), delayYaml('b', { app: 'db' }), delayYaml('late')].join('---\n'))))
    expect([e.code, e.message]).toEqual(['STORE_WRITE_FAILED', 'nothing was applied: the state database refused the write: disk says no'])
    expect(ctl.list()).toEqual([])
    expect(ctl.events()).toEqual([])
    expect(seen).toEqual([])
    await ctl.waitIdle()
    expect(runtime.held.size).toBe(0)
    store.close()
  })

  it('the same name twice in one apply is refused', async () => {
    const { ctl } = setup()
    const e = await refusal(ctl.applyAll([resource(delayYaml('a')), resource(delayYaml('a', { app: 'db' }))]))
    expect((e as AdmissionError).refusals.map((r) => [r.index, r.error.code, r.error.message])).toEqual([[1, 'SPEC_DUPLICATE_NAME', 'NetworkChaos default/a appears twice in one apply (first as resource 1)']])
    expect(ctl.list()).toEqual([])
  })

  it('all accepted: created in one go, each resolved with its faults on the runtime', async () => {
    const { ctl, runtime } = setup()
    await ctl.start()
    const done = await ctl.applyAll(resources([delayYaml('a', { app: 'db' }), podChaosYaml('b', 'pod-failure', { app: 'web', mode: 'one' })].join('---\n')))
    expect(done.map((d) => [d.object.metadata.name, d.action])).toEqual([['a', 'created'], ['b', 'created']])
    expect([...runtime.held.values()].map((e) => e.type).sort()).toEqual(['pod-failure', 'sidecar-fault'])
  })
})

describe('apply', () => {
  it('dry-run shows the plan and changes nothing', async () => {
    const { ctl, runtime } = setup()
    await ctl.start()
    const r = await ctl.apply(resource(delayYaml('d', { mode: 'one' })), { dryRun: true })
    expect(r.action).toBe('created')
    expect(r.plan).toMatchObject({ kind: 'NetworkChaos', action: 'delay', targets: [{ id: expect.stringMatching(/^default\/web-/) }] })
    await ctl.waitIdle()
    expect(ctl.list()).toEqual([])
    expect(ctl.events()).toEqual([])
    expect(runtime.held.size).toBe(0)
  })

  it('created, then unchanged, configured on a label change, refused on a spec change', async () => {
    const { ctl } = setup()
    await ctl.start()
    const first = await ctl.apply(resource(delayYaml('d')))
    expect(first.action).toBe('created')
    expect(first.object.metadata).toMatchObject({ name: 'd', namespace: 'default', generation: 1, uid: expect.any(String), creationTimestamp: '2024-05-01T10:00:00.000Z' })
    expect((await ctl.apply(resource(delayYaml('d')))).action).toBe('unchanged')
    const relabelled = await ctl.apply(resource(delayYaml('d', { labels: { team: 'a' } })))
    expect(relabelled.action).toBe('configured')
    expect(relabelled.object.metadata.uid).toBe(first.object.metadata.uid)
    expect(ctl.list({ labelSelector: 'team=a' }).map((o) => o.metadata.name)).toEqual(['d'])
    const e = await refusal(ctl.apply(resource(delayYaml('d', { labels: { team: 'a' }, latency: '1s' }))))
    expect([e.code, e.message]).toEqual(['CONTROLLER_IMMUTABLE', 'the spec of NetworkChaos default/d cannot change once created (changed: spec.delay)'])
  })

  it('selects, records, injects with the real NetworkChaos injector: Selected and AllInjected, records like Chaos Mesh', async () => {
    const { ctl, runtime } = setup()
    await ctl.start()
    const { object } = await ctl.apply(resource(delayYaml('d')))
    const uid = object.metadata.uid
    // apply resolves after the first reconcile: the faults are on the runtime
    expect(runtime.faultIds()).toEqual([delayId(uid, 'web-aaaaa'), delayId(uid, 'web-bbbbb')])
    expect([...runtime.held.values()].map((e) => e.owner)).toEqual([
      { experiment: uid, record: 'web-aaaaa', controller: ctl.id },
      { experiment: uid, record: 'web-bbbbb', controller: ctl.id },
    ])
    const o = get(ctl, 'd')
    expect(o.status.conditions.map((c) => `${c.type}=${c.status}`)).toEqual(['Selected=True', 'AllInjected=True', 'AllRecovered=False', 'Paused=False'])
    expect(o.status.experiment.desiredPhase).toBe('Run')
    expect(o.status.experiment.containerRecords).toEqual([
      { id: 'default/web-aaaaa', selectorKey: '.', phase: 'Injected', injectedCount: 1, recoveredCount: 0, events: [{ type: 'Succeeded', operation: 'Apply', timestamp: '2024-05-01T10:00:00.000Z' }] },
      { id: 'default/web-bbbbb', selectorKey: '.', phase: 'Injected', injectedCount: 1, recoveredCount: 0, events: [{ type: 'Succeeded', operation: 'Apply', timestamp: '2024-05-01T10:00:00.000Z' }] },
    ])
    expect(o.status.chaoscope).toMatchObject({ phase: 'running', action: 'delay', records: [{ id: 'default/web-aaaaa', active: true, pod: { name: 'web-aaaaa', ready: true } }, { id: 'default/web-bbbbb', active: true }] })
    expect(ctl.events({ name: 'd' }).map((e) => e.reason)).toEqual(['Selected', 'Started', 'Applied', 'Applied'])
    expect(ctl.phase('NetworkChaos', 'default', 'd')).toBe('running')
  })

  it('a burst of applies: each resolves with its faults on the runtime, and the pods are listed once for all', async () => {
    const clock = new ManualClock()
    const runtime = new FakeRuntime(PODS(), () => clock.now())
    const apply = runtime.apply.bind(runtime)
    runtime.apply = async (e) => {
      await new Promise((r) => setImmediate(r)) // a sidecar that takes its time
      return apply(e)
    }
    const ctl = Controller.open({ store: Store.open(':memory:'), runtime, clock, podCacheMs: 60_000 })
    open.push(ctl)
    await ctl.start()
    const before = runtime.calls.filter((c) => c === 'pods').length
    const applied = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const r = await ctl.apply(resource(delayYaml(`d${i}`)))
        return runtime.faultIds().filter((id) => id.includes(r.object.metadata.uid)).length
      }),
    )
    expect(applied).toEqual(Array(12).fill(2))
    expect(runtime.calls.filter((c) => c === 'pods').length - before).toBe(1)
  })

  it('publishes changes and events to listeners, after they are stored', async () => {
    const { ctl } = setup()
    const seen: string[] = []
    ctl.on('change', (c: Change) => seen.push(c.type === 'EVENT' ? `event:${c.event.reason}` : `${c.type}`))
    await ctl.start()
    await ctl.apply(resource(delayYaml('d', { mode: 'one' })))
    expect(seen.slice(0, 2)).toEqual(['event:Selected', 'ADDED'])
    expect(seen).toContain('event:Applied')
  })

  it('random-max-percent drawing 0 % selects nothing: Selected stays False, with a warning', async () => {
    const { ctl, runtime } = setup({ random: () => 0 })
    await ctl.start()
    await ctl.apply(resource(delayYaml('d', { mode: 'random-max-percent', value: '50' })))
    const o = get(ctl, 'd')
    expect(o.status.conditions[0]).toMatchObject({ type: 'Selected', status: 'False' })
    expect(ctl.events({ name: 'd' })[0]).toMatchObject({ type: 'Warning', reason: 'Failed', message: 'select targets: the selector mode picked no pod' })
    expect(runtime.calls.filter((c) => c === 'apply')).toEqual([])
  })
})

describe('pause and resume', () => {
  it('return after their reconcile: the faults are off when pause returns, and on again when resume returns', async () => {
    const { ctl, runtime } = setup()
    await ctl.start()
    const { object } = await ctl.apply(resource(delayYaml('p', { mode: 'fixed', value: '1' })))
    const id = runtime.faultIds()[0]!
    runtime.touch(id, { connections: 2, requests: 7 })
    const paused = await ctl.pause('NetworkChaos', 'default', 'p')
    expect(runtime.faultIds()).toEqual([])
    expect(paused.status.conditions.filter((c) => c.status === 'True').map((c) => c.type)).toEqual(['Selected', 'AllRecovered', 'Paused'])
    expect(paused.status.chaoscope.phase).toBe('paused')
    // a paused experiment says nothing is active, and keeps what its fault did
    expect(paused.status.chaoscope.records).toEqual([expect.objectContaining({ active: false, evidence: expect.objectContaining({ active: 0, connections: 2, requests: 7 }) })])
    const resumed = await ctl.resume('NetworkChaos', 'default', 'p')
    expect(runtime.faultIds()).toEqual([id])
    expect(resumed.status.chaoscope.records[0]!.active).toBe(true)
    expect(resumed.status.experiment.containerRecords).toMatchObject([{ phase: 'Injected', injectedCount: 2, recoveredCount: 1 }])
    expect(ctl.events({ uid: object.metadata.uid }).map((e) => e.reason)).toEqual(['Selected', 'Started', 'Applied', 'Paused', 'Recovered', 'Started', 'Applied'])
  })
})

describe('the loop, on the injected clock', () => {
  it('retries a failed inject with back-off (20 ms, then 40 ms), recording and logging each failure', async () => {
    const { ctl, runtime, clock, logs } = setup()
    runtime.failNext = 2
    await ctl.start()
    await ctl.apply(resource(delayYaml('d', { mode: 'fixed', value: '1' })))
    const rec = () => get(ctl, 'd').status.experiment.containerRecords[0]!
    expect(rec().phase).toBe(INJECTING)
    expect(clock.nextAt()).toBe(clock.now() + 20)
    clock.advance(19)
    await ctl.waitIdle()
    expect(runtime.failNext).toBe(1)
    clock.advance(1)
    await ctl.waitIdle()
    expect(runtime.failNext).toBe(0)
    expect(clock.nextAt()).toBe(clock.now() + 40)
    clock.advance(40)
    await ctl.waitIdle()
    expect(rec()).toMatchObject({ phase: INJECTED, injectedCount: 1 })
    expect(rec().events!.map((e) => `${e.operation}:${e.type}`)).toEqual(['Apply:Failed', 'Apply:Failed', 'Apply:Succeeded'])
    expect(get(ctl, 'd').status.chaoscope.records[0]!.lastError).toBeUndefined()
    const failures = ctl.events({ name: 'd' }).filter((e) => e.reason === 'Failed')
    // the same Warning twice in a row is written once (the record's history has both attempts)
    expect(failures.map((f) => f.message)).toEqual([`inject into ${rec().id}: the runtime did not answer (test)`])
    expect(logs.filter((l) => l.message.startsWith('NetworkChaos default/d: injecting into'))).toEqual(
      Array(2).fill({ level: 'warn', message: `NetworkChaos default/d: injecting into ${rec().id} failed; retried with back-off: the runtime did not answer (test)`, fields: expect.objectContaining({ experiment: 'default/d', target: rec().id }) }),
    )
  })

  it('wakes at the end of the duration by a timer, not by polling', async () => {
    const { ctl, runtime, clock } = setup()
    await ctl.start()
    const { object } = await ctl.apply(resource(delayYaml('d', { duration: '30s', mode: 'one' })))
    expect(runtime.faultIds()).toHaveLength(1)
    expect(clock.nextAt()).toBe(Date.parse(object.metadata.creationTimestamp) + 30_000)
    const calls = runtime.calls.length
    clock.advance(29_999)
    await ctl.waitIdle()
    expect(runtime.calls.length).toBe(calls) // nothing touched the runtime while it ran
    clock.advance(1)
    await ctl.waitIdle()
    expect(runtime.faultIds()).toEqual([])
    expect(ctl.events({ name: 'd' }).map((e) => e.reason)).toEqual(['Selected', 'Started', 'Applied', 'TimeUp', 'Recovered', 'Finished'])
    expect(get(ctl, 'd').status.chaoscope.phase).toBe('finished')
    expect(clock.timers).toBe(0)
  })

  it('a failed recovery is logged with the experiment and the target, and retried with back-off until it works', async () => {
    const { ctl, runtime, clock, logs } = setup()
    await ctl.start()
    await ctl.apply(resource(delayYaml('d', { mode: 'fixed', value: '1' })))
    const target = get(ctl, 'd').status.experiment.containerRecords[0]!.id
    runtime.broken.add('remove')
    const del = ctl.delete('NetworkChaos', 'default', 'd')
    await new Promise((r) => setImmediate(r))
    await ctl.waitIdle()
    expect(runtime.faultIds()).toHaveLength(1)
    expect(get(ctl, 'd').status.experiment.containerRecords[0]).toMatchObject({ phase: INJECTED })
    expect(get(ctl, 'd').status.chaoscope.records[0]!.lastError).toBe('fake runtime: remove is broken')
    expect(logs).toContainEqual({ level: 'warn', message: `NetworkChaos default/d: recovering ${target} failed; retried with back-off: fake runtime: remove is broken`, fields: expect.objectContaining({ experiment: 'default/d', target }) })
    clock.advance(20)
    await ctl.waitIdle()
    expect(logs.filter((l) => l.message.startsWith('NetworkChaos default/d: recovering'))).toHaveLength(2)
    runtime.broken.delete('remove')
    clock.advance(40)
    const { gone } = await del
    expect(gone).toBe(true)
    expect(runtime.faultIds()).toEqual([])
    // two failed attempts (logged twice), one Warning: a repeat of the latest event is not written again
    expect(ctl.archived({ name: 'd' })[0]!.events.map((e) => e.reason)).toEqual(['Selected', 'Started', 'Applied', 'Deleted', 'Failed', 'Recovered', 'Archived'])
  })
})

describe('evidence stays true after the fact', () => {
  it('a deleted (archived) experiment keeps what its fault touched, and says nothing is active', async () => {
    const { ctl, runtime } = setup()
    await ctl.start()
    const { object } = await ctl.apply(resource(delayYaml('d', { app: 'db' })))
    const id = delayId(object.metadata.uid, 'db-ccccc')
    runtime.touch(id, { connections: 3, requests: 12, bytes: 4096 })
    const refreshed = await ctl.refreshEvidence('NetworkChaos', 'default', 'd')
    expect(refreshed.status.chaoscope.records[0]!.evidence).toMatchObject({ active: 1, connections: 3, requests: 12, bytes: 4096 })
    runtime.touch(id, { requests: 1 })
    const { object: last } = await ctl.delete('NetworkChaos', 'default', 'd')
    // read once more just before it was removed: the last request counts
    expect(last.status.chaoscope.records).toEqual([
      expect.objectContaining({ id: 'default/db-ccccc', active: false, evidence: expect.objectContaining({ active: 0, connections: 3, requests: 13, faults: [expect.objectContaining({ id, sidecar: 'db-ccccc', requests: 13 })] }) }),
    ])
    expect(ctl.archived({ name: 'd' })[0]!.object).toEqual(last)
  })

  it('a finished experiment whose faults the runtime removed at their end a moment earlier keeps the evidence seen last', async () => {
    const { ctl, runtime, clock } = setup()
    await ctl.start()
    const { object } = await ctl.apply(resource(delayYaml('d', { app: 'db', duration: '30s' })))
    const id = delayId(object.metadata.uid, 'db-ccccc')
    runtime.touch(id, { connections: 1, requests: 5 })
    await ctl.refreshEvidence('NetworkChaos', 'default', 'd')
    await runtime.remove(id) // the runtime's own expiry, just before the controller's timer
    clock.advance(30_000)
    await ctl.waitIdle()
    const o = get(ctl, 'd')
    expect(o.status.chaoscope.phase).toBe('finished')
    expect(o.status.chaoscope.records[0]).toMatchObject({ active: false, evidence: { active: 0, connections: 1, requests: 5 } })
  })

  it('a recovered pod-failure shows the pod ready again; while it holds, the pod is shown down', async () => {
    const { ctl, runtime } = setup()
    await ctl.start()
    await ctl.apply(resource(podChaosYaml('pf', 'pod-failure')))
    expect((await runtime.pods()).find((p) => p.name === 'db-ccccc')).toMatchObject({ ready: false, reason: 'PodFailure' })
    const held = await ctl.refreshEvidence('PodChaos', 'default', 'pf')
    expect(held.status.chaoscope.records[0]).toMatchObject({ active: true, pod: { name: 'db-ccccc', ready: false, reason: 'PodFailure' } })
    const { gone, object } = await ctl.delete('PodChaos', 'default', 'pf')
    expect(gone).toBe(true)
    expect(object.status.experiment.containerRecords).toMatchObject([{ phase: NOT_INJECTED, injectedCount: 1, recoveredCount: 1 }])
    expect(object.status.chaoscope.records[0]).toMatchObject({ active: false, pod: { name: 'db-ccccc', ready: true, phase: 'Running' } })
    expect(object.status.chaoscope.records[0]!.pod!.reason).toBeUndefined()
  })
})

describe('targets that are all gone', () => {
  it('end the experiment, recorded as gone with an event, and archive it; new pods of the service are not selected', async () => {
    const clock = new ManualClock()
    const store = Store.open(':memory:')
    const runtime = new FakeRuntime(PODS(), () => clock.now())
    const a = setup({ store, runtime, clock })
    await a.ctl.start()
    await a.ctl.apply(resource(delayYaml('d')))
    const ids = runtime.faultIds()
    runtime.touch(ids[0]!, { requests: 4 })
    await a.ctl.refreshEvidence('NetworkChaos', 'default', 'd')
    await a.ctl.stop()
    // the app is taken down and started again: the web pods are new ones
    runtime.deletePod('web-aaaaa')
    runtime.deletePod('web-bbbbb')
    runtime.podList.push(fakePod('web-zzzzz', { app: 'web' }))

    const b = setup({ store, runtime, clock })
    await b.ctl.start()
    await b.ctl.waitIdle()
    expect(b.ctl.get('NetworkChaos', 'default', 'd')).toBeUndefined()
    expect(runtime.held.size).toBe(0)
    const [archived] = b.ctl.archived({ name: 'd' })
    expect(archived!.events.map((e) => e.reason)).toEqual(['Selected', 'Started', 'Applied', 'Applied', 'TargetGone', 'TargetGone', 'TargetsGone', 'Archived'])
    expect(archived!.events.find((e) => e.reason === 'TargetsGone')!.message).toBe(
      'every selected pod is gone (default/web-aaaaa, default/web-bbbbb): the experiment ends; new pods of the same services are not selected (selection is fixed at creation, as in Chaos Mesh)',
    )
    const o = archived!.object as unknown as ChaosObject
    expect(o.status.chaoscope.records).toEqual([
      expect.objectContaining({ id: 'default/web-aaaaa', active: false, gone: '2024-05-01T10:00:00.000Z', pod: { name: 'web-aaaaa', gone: true }, evidence: expect.objectContaining({ active: 0, requests: 4 }) }),
      expect.objectContaining({ id: 'default/web-bbbbb', active: false, gone: '2024-05-01T10:00:00.000Z' }),
    ])
    expect(o.status.experiment.containerRecords.map((r) => r.phase)).toEqual([NOT_INJECTED, NOT_INJECTED])
  })

  it('while the controller runs, pods going away are noticed by its pod watch (on the clock), not only at start', async () => {
    const { ctl, runtime, clock } = setup({ podWatchMs: 5000 })
    await ctl.start()
    await ctl.apply(resource(delayYaml('d')))
    const calls = runtime.calls.length
    clock.advance(5000)
    await expect.poll(() => runtime.calls.slice(calls), { timeout: 2000, interval: 5 }).toEqual(['pods', 'effects']) // one look, nothing gone
    await ctl.waitIdle()
    expect(runtime.calls.slice(calls)).toEqual(['pods', 'effects']) // and nothing else
    runtime.deletePod('web-aaaaa')
    runtime.deletePod('web-bbbbb')
    clock.advance(5000)
    await expect.poll(() => ctl.get('NetworkChaos', 'default', 'd'), { timeout: 2000, interval: 5 }).toBeUndefined()
    expect(ctl.archived({ name: 'd' })[0]!.events.map((e) => e.reason).slice(-2)).toEqual(['TargetsGone', 'Archived'])
  })

  it('one of two gone: its record is gone, the other stays injected and the experiment runs on', async () => {
    const { ctl, runtime } = setup()
    await ctl.start()
    await ctl.apply(resource(delayYaml('d')))
    runtime.deletePod('web-aaaaa')
    await ctl.pause('NetworkChaos', 'default', 'd')
    const o = await ctl.resume('NetworkChaos', 'default', 'd')
    expect(o.status.experiment.containerRecords.map((r) => [r.id, r.phase])).toEqual([['default/web-aaaaa', NOT_INJECTED], ['default/web-bbbbb', INJECTED]])
    expect(o.status.chaoscope.records[0]).toMatchObject({ active: false, gone: expect.any(String) })
    expect(runtime.faultIds()).toHaveLength(1)
  })
})

describe('crash safety', () => {
  it('a record caught mid-inject when the experiment must stop: what the runtime holds for it is removed, and it counts as recovered', async () => {
    const store = Store.open(':memory:')
    const clock = new ManualClock()
    const runtime = new FakeRuntime(PODS(), () => clock.now())
    const a = setup({ store, runtime, clock })
    // apply without starting: the record is written, nothing injected yet
    const { object } = await a.ctl.apply(resource(delayYaml('d', { mode: 'fixed', value: '1' })))
    const uid = object.metadata.uid
    const rec = store.records(uid)[0]!
    expect(rec.phase).toBe(NOT_INJECTED)
    // as if the process died after marking the inject and adding the fault, before storing the Injection
    store.upsertRecord({ ...rec, phase: INJECTING })
    await runtime.apply({ id: delayId(uid, rec.pod), type: 'sidecar-fault', target: { pod: rec.pod }, owner: { experiment: uid, record: rec.key, controller: a.ctl.id }, body: { fault: { type: 'latency', direction: 'downstream', latencyMs: 300, jitterMs: 0, correlation: 0 } } })
    store.updateResource(uid, { deletingAt: new Date(clock.now()).toISOString() })
    await a.ctl.stop()
    const applies = () => runtime.calls.filter((c) => c === 'apply').length
    const before = applies()

    const b = setup({ store, runtime, clock })
    await b.ctl.start()
    await b.ctl.waitIdle()
    expect(runtime.faultIds()).toEqual([])
    expect(b.ctl.get('NetworkChaos', 'default', 'd')).toBeUndefined()
    // nothing was injected only to be undone
    expect(applies()).toBe(before)
    expect(store.getArchived(uid)!.records[0]).toMatchObject({ phase: NOT_INJECTED, injectedCount: 0, recoveredCount: 0 })
    expect(store.getArchived(uid)!.events.map((e) => e.message)).toContain(`recovered default/${rec.pod}: its injection never completed; removed the 1 effect it had left`)
  })

  it('start() removes the effects of any kind it made that no live experiment owns, and leaves others\' alone', async () => {
    const store = Store.open(':memory:')
    const clock = new ManualClock()
    const runtime = new FakeRuntime(PODS(), () => clock.now())
    const a = setup({ store, runtime, clock })
    await a.ctl.start()
    const { object } = await a.ctl.apply(resource(delayYaml('live', { mode: 'fixed', value: '1' })))
    const uid = object.metadata.uid
    const rec = store.records(uid)[0]!
    const other = rec.pod === 'web-aaaaa' ? 'web-bbbbb' : 'web-aaaaa'
    await a.ctl.stop()

    const me = a.ctl.id
    const fault = { fault: { type: 'latency', direction: 'downstream', latencyMs: 1 } }
    await runtime.apply({ id: 'chaoscope:dead:db-ccccc:delay', type: 'sidecar-fault', target: { pod: 'db-ccccc' }, owner: { experiment: 'dead', record: 'db-ccccc', controller: me }, body: fault })
    await runtime.apply({ id: 'chaoscope:dead:db-ccccc:pod-failure', type: 'pod-failure', target: { pod: 'db-ccccc' }, owner: { experiment: 'dead', record: 'db-ccccc', controller: me }, body: {} })
    await runtime.apply({ id: `chaoscope:${uid}:${other}:delay`, type: 'sidecar-fault', target: { pod: other }, owner: { experiment: uid, record: other, controller: me }, body: fault })
    await runtime.apply({ id: 'another-controllers', type: 'sidecar-fault', target: { pod: 'db-ccccc' }, owner: { experiment: 'dead', record: 'db-ccccc', controller: 'someone-else' }, body: fault })
    await runtime.apply({ id: 'by-hand', type: 'sidecar-fault', target: { pod: 'db-ccccc' }, body: fault })

    const b = setup({ store, runtime, clock })
    await b.ctl.start()
    await b.ctl.waitIdle()
    expect([...runtime.held.keys()].sort()).toEqual(['another-controllers', 'by-hand', delayId(uid, rec.pod)].sort())
    expect((await runtime.pods()).find((p) => p.name === 'db-ccccc')!.ready).toBe(true)
    expect(b.ctl.events({ uid: 'dead' }).map((e) => e.message)).toEqual([
      'removed sidecar-fault chaoscope:dead:db-ccccc:delay from db-ccccc: no live experiment owns it',
      'removed pod-failure chaoscope:dead:db-ccccc:pod-failure from db-ccccc: no live experiment owns it',
    ])
    expect(b.ctl.events({ uid }).filter((e) => e.reason === 'OrphanRecovered').map((e) => e.message)).toEqual([`removed sidecar-fault chaoscope:${uid}:${other}:delay from ${other}: its target is not injected`])
    expect(await b.ctl.metrics.text()).toMatch(/chaoscope_recoveries_total\{kind="Unknown",result="orphan"\} 2/)
  })

  it('when the runtime does not answer at start, the sweep is retried by the loop', async () => {
    const { ctl, runtime, clock, logs } = setup()
    await runtime.apply({ id: 'x', type: 'sidecar-fault', target: { pod: 'db-ccccc' }, owner: { experiment: 'dead', record: 'db-ccccc', controller: ctl.id }, body: {} })
    runtime.broken.add('effects')
    await ctl.start()
    expect(logs.map((l) => l.message)).toEqual(['crash recovery could not reach the runtime; retrying: fake runtime: effects is broken'])
    runtime.broken.delete('effects')
    clock.advance(1000)
    await ctl.waitIdle()
    expect(runtime.held.size).toBe(0)
  })
})

describe('one-shot actions', () => {
  it('pod-kill acts once (the pod is replaced) and is finished; delete archives it without acting again', async () => {
    const { ctl, runtime } = setup()
    await ctl.start()
    await ctl.apply(resource(podChaosYaml('kill', 'pod-kill', { mode: 'one' })))
    const kills = () => runtime.calls.filter((c) => c === 'apply').length
    expect(kills()).toBe(1)
    expect((await runtime.pods()).map((p) => p.name)).toEqual(['web-aaaaa', 'web-bbbbb', 'db-r1'])
    const o = get(ctl, 'kill', 'PodChaos')
    expect(o.status.chaoscope).toMatchObject({ phase: 'finished', action: 'pod-kill', records: [{ evidence: { killedPod: 'db-ccccc', replacementPod: 'db-r1' } }] })
    expect(ctl.events({ name: 'kill' }).map((e) => e.reason)).toEqual(['Selected', 'Started', 'Applied', 'Finished'])
    await ctl.delete('PodChaos', 'default', 'kill')
    expect(kills()).toBe(1)
    expect(ctl.archived({ name: 'kill' })).toHaveLength(1)
  })
})

describe('errors and metrics', () => {
  it('delete, pause and resume of a missing experiment: CONTROLLER_NOT_FOUND', async () => {
    const { ctl } = setup()
    for (const p of [ctl.delete('NetworkChaos', 'default', 'nope'), ctl.pause('NetworkChaos', 'default', 'nope'), ctl.resume('NetworkChaos', 'default', 'nope')]) {
      expect((await refusal(p)).code).toBe('CONTROLLER_NOT_FOUND')
    }
  })

  it('metrics carry the Chaos Mesh names; no schedule or workflow is counted while none exists', async () => {
    const { ctl } = setup()
    await ctl.start()
    await ctl.apply(resource(delayYaml('d')))
    const text = await ctl.metrics.text()
    expect(text).toContain('chaos_controller_manager_chaos_experiments{namespace="default",kind="NetworkChaos",phase="running"} 1')
    expect(text).toContain('chaos_controller_manager_emitted_event_total{type="Normal",reason="Applied",namespace="default"} 2')
    expect(text).toContain('chaoscope_injections_total{kind="NetworkChaos",action="delay",result="success"} 2')
    expect(text).toMatch(/chaoscope_reconcile_duration_seconds_count\{result="success"\} \d+/)
    expect(text).not.toMatch(/chaos_controller_manager_chaos_(schedules|workflows)\{/)
  })
})
