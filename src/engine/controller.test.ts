/**
 * The controller's steps against an in-memory runtime: what apply refuses (before anything changes), dry-run,
 * immutability, retry with back-off, finishing a half-done inject after a crash, and crash recovery's sweep.
 * The lifecycle on real pods is in controller.runtime.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ChaosError } from '../errors.js'
import { faultId } from '../faults/injector.js'
import type { Resource } from '../manifest/validate.js'
import { Store } from '../store/store.js'
import { Controller } from './controller.js'
import type { Change } from './controller.js'
import { INJECTED, INJECTING, NOT_INJECTED } from './decide.js'
import { fakePod, FakeRuntime } from '../../test/doubles/fake-runtime.js'
import { delayInjector, delayYaml, podInjector, resource } from '../../test/doubles/test-injectors.js'

const open: Controller[] = []
afterEach(async () => {
  for (const c of open.splice(0)) await c.stop()
})

function setup(opts: { store?: Store; random?: () => number } = {}) {
  const runtime = new FakeRuntime([fakePod('web-aaaaa', { app: 'web' }), fakePod('web-bbbbb', { app: 'web' }), fakePod('db-ccccc', { app: 'db' })])
  const delay = delayInjector()
  const ctl = Controller.open({
    store: opts.store ?? Store.open(':memory:'),
    runtime,
    injectors: { NetworkChaos: delay, PodChaos: podInjector() },
    backoff: { baseMs: 20, capMs: 100 },
    ...(opts.random ? { random: opts.random } : {}),
  })
  open.push(ctl)
  return { runtime, delay, ctl }
}

const bare = (kind: string, spec: Record<string, unknown> = {}): Resource => ({ apiVersion: 'chaos-mesh.org/v1alpha1', kind, metadata: { name: 'x', namespace: 'default' }, spec, source: { file: 't', index: 0, line: 1 } })

async function refusal(p: Promise<unknown>): Promise<ChaosError> {
  const e = await p.then(() => undefined, (x: unknown) => x)
  expect(e).toBeInstanceOf(ChaosError)
  return e as ChaosError
}

describe('apply refuses, before anything changes', () => {
  it.each([
    ['KernelChaos', 'KernelChaos needs a cluster: run with --target kubernetes'],
    ['AWSChaos', 'AWSChaos needs a cluster: run with --target kubernetes'],
    ['JVMChaos', 'JVMChaos needs a cluster: run with --target kubernetes'],
    ['Workflow', 'Workflow is not yet run by the local controller'],
    ['Schedule', 'Schedule is not yet run by the local controller'],
    ['StressChaos', 'StressChaos is not run by the local runtime yet: run with --target kubernetes'],
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
    const yaml = delayYaml('loss').replace('action: delay', 'action: loss').replace('  delay: {latency: "300ms"}', '  loss: {loss: "50"}')
    const e = await refusal(ctl.apply(resource(yaml)))
    expect([e.code, e.message]).toEqual(['SPEC_LOCAL_UNSUPPORTED', 'the test injector does only delay, not loss'])
    expect(ctl.list()).toEqual([])
  })

  it('remoteCluster', async () => {
    const { ctl } = setup()
    const e = await refusal(ctl.apply(bare('NetworkChaos', { action: 'delay', remoteCluster: 'east' })))
    expect(e.message).toBe('spec.remoteCluster "east" needs a cluster: run with --target kubernetes')
  })

  it('a selector matching no pod, naming the selector and the pods', async () => {
    const { ctl, runtime } = setup()
    const e = await refusal(ctl.apply(resource(delayYaml('d', { app: 'nope' }))))
    expect(e.code).toBe('CONTROLLER_NO_TARGETS')
    expect(e.message).toBe(
      'spec.selector {namespaces: [default], labelSelectors: {app: nope}} matches no pod; pods that exist: default/web-aaaaa (app=web; Running); default/web-bbbbb (app=web; Running); default/db-ccccc (app=db; Running)',
    )
    expect(ctl.list()).toEqual([])
    expect(runtime.faultMap.size).toBe(0)
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
    expect(runtime.faultMap.size).toBe(0)
  })

  it('created, then unchanged, configured on a label change, refused on a spec change', async () => {
    const { ctl } = setup()
    await ctl.start()
    const first = await ctl.apply(resource(delayYaml('d')))
    expect(first.action).toBe('created')
    expect(first.object.metadata).toMatchObject({ name: 'd', namespace: 'default', generation: 1, uid: expect.any(String), creationTimestamp: expect.any(String) })
    expect((await ctl.apply(resource(delayYaml('d')))).action).toBe('unchanged')
    const relabelled = await ctl.apply(resource(delayYaml('d', { labels: { team: 'a' } })))
    expect(relabelled.action).toBe('configured')
    expect(relabelled.object.metadata.uid).toBe(first.object.metadata.uid)
    expect(ctl.list({ labelSelector: 'team=a' }).map((o) => o.metadata.name)).toEqual(['d'])
    const e = await refusal(ctl.apply(resource(delayYaml('d', { labels: { team: 'a' }, latency: '1s' }))))
    expect([e.code, e.message]).toEqual(['CONTROLLER_IMMUTABLE', 'the spec of NetworkChaos default/d cannot change once created (changed: spec.delay)'])
  })

  it('selects, records, injects: Selected and AllInjected, records like Chaos Mesh', async () => {
    const { ctl, runtime } = setup()
    await ctl.start()
    await ctl.apply(resource(delayYaml('d')))
    await ctl.waitIdle()
    const o = ctl.get('NetworkChaos', 'default', 'd')!
    expect(o.status.conditions.map((c) => `${c.type}=${c.status}`)).toEqual(['Selected=True', 'AllInjected=True', 'AllRecovered=False', 'Paused=False'])
    expect(o.status.experiment.desiredPhase).toBe('Run')
    expect(o.status.experiment.records).toMatchObject([
      { id: 'default/web-aaaaa', selectorKey: '.', phase: 'Injected', injectedCount: 1, recoveredCount: 0, evidence: { faults: 1 } },
      { id: 'default/web-bbbbb', selectorKey: '.', phase: 'Injected', injectedCount: 1, recoveredCount: 0 },
    ])
    expect([...runtime.faultMap.keys()].sort()).toEqual([`web-aaaaa||${faultId(o.metadata.uid, 'web-aaaaa', 'delay')}`, `web-bbbbb||${faultId(o.metadata.uid, 'web-bbbbb', 'delay')}`])
    expect(ctl.events({ name: 'd' }).map((e) => e.reason)).toEqual(['Selected', 'Started', 'Applied', 'Applied'])
    expect(ctl.phase('NetworkChaos', 'default', 'd')).toBe('running')
  })

  it('a burst of applies: each resolves with its faults on the runtime, and the pods are listed once for all', async () => {
    const runtime = new FakeRuntime([fakePod('web-aaaaa', { app: 'web' }), fakePod('web-bbbbb', { app: 'web' }), fakePod('db-ccccc', { app: 'db' })])
    const add = runtime.addFault.bind(runtime)
    runtime.addFault = async (...a) => {
      await new Promise((r) => setTimeout(r, 20)) // a sidecar that takes its time
      return add(...a)
    }
    const ctl = Controller.open({ store: Store.open(':memory:'), runtime, injectors: { NetworkChaos: delayInjector() }, podCacheMs: 60_000 })
    open.push(ctl)
    await ctl.start()
    const before = runtime.calls.filter((c) => c === 'pods').length
    const applied = await Promise.all(Array.from({ length: 12 }, async (_, i) => {
      const r = await ctl.apply(resource(delayYaml(`d${i}`)))
      return [...runtime.faultMap.values()].filter((f) => f.spec.id.includes(r.object.metadata.uid)).length
    }))
    expect(applied).toEqual(Array(12).fill(2))
    expect(runtime.calls.filter((c) => c === 'pods').length - before).toBe(1)
  })

  it('publishes changes and events to listeners', async () => {
    const { ctl } = setup()
    const seen: string[] = []
    ctl.on('change', (c: Change) => seen.push(c.type === 'EVENT' ? `event:${c.event.reason}` : `${c.type}`))
    await ctl.start()
    await ctl.apply(resource(delayYaml('d', { mode: 'one' })))
    await ctl.waitIdle()
    expect(seen.slice(0, 2)).toEqual(['event:Selected', 'ADDED'])
    expect(seen).toContain('event:Applied')
  })

  it('random-max-percent drawing 0 % selects nothing: Selected stays False, with a warning', async () => {
    const { ctl, delay } = setup({ random: () => 0 })
    await ctl.start()
    await ctl.apply(resource(delayYaml('d', { mode: 'random-max-percent', value: '50' })))
    await ctl.waitIdle()
    const o = ctl.get('NetworkChaos', 'default', 'd')!
    expect(o.status.conditions[0]).toMatchObject({ type: 'Selected', status: 'False' })
    expect(ctl.events({ name: 'd' })[0]).toMatchObject({ type: 'Warning', reason: 'Failed', message: 'select targets: the selector mode picked no pod' })
    expect(delay.injects).toBe(0)
  })
})

describe('the loop', () => {
  it('retries a failed inject with back-off, recording each failure', async () => {
    const { ctl, delay } = setup()
    delay.failNext = 2
    await ctl.start()
    await ctl.apply(resource(delayYaml('d', { mode: 'fixed', value: '1' })))
    const t0 = Date.now()
    await expect.poll(() => ctl.get('NetworkChaos', 'default', 'd')!.status.experiment.records[0]!.phase, { timeout: 3000, interval: 10 }).toBe(INJECTED)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(20 + 40 - 5) // two back-offs: 20 ms, then 40 ms
    const failures = ctl.events({ name: 'd' }).filter((e) => e.reason === 'Failed')
    expect(failures).toHaveLength(2)
    expect(failures[0]).toMatchObject({ type: 'Warning', message: expect.stringMatching(/^inject into default\/web-\w+: the sidecar did not answer \(test\)$/) })
    const rec = ctl.get('NetworkChaos', 'default', 'd')!.status.experiment.records[0]!
    expect(rec).toMatchObject({ injectedCount: 1 })
    expect(rec.lastError).toBeUndefined()
    expect(rec.events!.map((e) => `${e.operation}:${e.type}`)).toEqual(['Apply:Failed', 'Apply:Failed', 'Apply:Succeeded'])
  })

  it('wakes at the end of the duration by a timer, not by polling', async () => {
    const { ctl, runtime, delay } = setup()
    await ctl.start()
    const { object } = await ctl.apply(resource(delayYaml('d', { duration: '300ms', mode: 'one' })))
    await ctl.waitIdle()
    const callsWhileRunning = runtime.calls.length
    const end = Date.parse(object.metadata.creationTimestamp) + 300
    await expect.poll(() => runtime.faultMap.size, { timeout: 2000, interval: 5 }).toBe(0)
    expect(Date.now() - end).toBeGreaterThanOrEqual(-5)
    expect(Date.now() - end).toBeLessThan(200)
    expect(delay.recovers).toBe(1)
    // between inject and the end nothing touched the runtime: one timer, no polling
    expect(runtime.calls.slice(callsWhileRunning, callsWhileRunning + 1)).toEqual(['removeFault'])
    await ctl.waitIdle()
    expect(ctl.events({ name: 'd' }).map((e) => e.reason)).toEqual(['Selected', 'Started', 'Applied', 'TimeUp', 'Recovered', 'Finished'])
    expect(ctl.phase('NetworkChaos', 'default', 'd')).toBe('finished')
  })
})

describe('crash safety', () => {
  it('a record caught mid-inject when the experiment must stop is injected, then recovered', async () => {
    const store = Store.open(':memory:')
    const a = setup({ store })
    // apply without starting: the record is written, nothing injected yet
    const { object } = await a.ctl.apply(resource(delayYaml('d', { mode: 'fixed', value: '1' })))
    const uid = object.metadata.uid
    const rec = store.records(uid)[0]!
    expect(rec.phase).toBe(NOT_INJECTED)
    // as if the process died after marking the inject and adding the fault, before storing the Injection
    store.upsertRecord({ ...rec, phase: INJECTING })
    await a.runtime.addFault({ pod: rec.pod }, { id: faultId(uid, rec.key, 'delay'), type: 'latency', direction: 'downstream', latencyMs: 300 })
    store.updateResource(uid, { deletingAt: new Date().toISOString() })
    await a.ctl.stop()

    const b = setup({ store })
    b.runtime.faultMap.clear()
    for (const [k, v] of a.runtime.faultMap) b.runtime.faultMap.set(k, v)
    await b.ctl.start()
    await b.ctl.waitIdle()
    expect(b.runtime.faultMap.size).toBe(0)
    expect(b.delay.injects).toBe(1) // finished the inject to learn what to recover
    expect(b.delay.recovers).toBe(1)
    expect(b.ctl.get('NetworkChaos', 'default', 'd')).toBeUndefined()
    expect(store.getArchived(uid)!.records[0]).toMatchObject({ phase: NOT_INJECTED, injectedCount: 1, recoveredCount: 1 })
  })

  it('start() removes faults no live experiment owns, stray faults of live ones, and releases held pods', async () => {
    const store = Store.open(':memory:')
    const a = setup({ store })
    const { object } = await a.ctl.apply(resource(delayYaml('live', { mode: 'fixed', value: '1' })))
    const uid = object.metadata.uid
    const rec = store.records(uid)[0]!
    const other = rec.pod === 'web-aaaaa' ? 'web-bbbbb' : 'web-aaaaa'
    await a.ctl.stop()

    const b = setup({ store })
    const add = (pod: string, id: string) => b.runtime.addFault({ pod }, { id, type: 'latency', direction: 'downstream', latencyMs: 1 })
    await add('db-ccccc', faultId('dead-experiment', 'db-ccccc', 'delay')) // owner gone
    await add(other, faultId(uid, other, 'delay')) // live owner, but not one of its targets
    await add('db-ccccc', 'someone-elses-fault') // not chaoscope's: left alone
    b.runtime.failed.add('db-ccccc') // held by a pod-failure nobody owns
    await b.ctl.start()
    await b.ctl.waitIdle()
    expect([...b.runtime.faultMap.values()].map((f) => f.spec.id).sort()).toEqual([faultId(uid, rec.key, 'delay'), 'someone-elses-fault'].sort())
    expect(b.runtime.failed.size).toBe(0)
    const orphan = b.ctl.events({ uid: 'dead-experiment' })
    expect(orphan).toMatchObject([{ reason: 'OrphanRecovered', message: 'removed fault chaoscope:dead-experiment:db-ccccc:delay from db-ccccc: no live experiment owns it' }])
    expect(await b.ctl.metrics.text()).toMatch(/chaoscope_recoveries_total\{kind="Unknown",result="orphan"\} 1/)
  })

  it('a pod held by a live pod-failure stays held; deleting the experiment releases it', async () => {
    const { ctl, runtime } = setup()
    await ctl.start()
    const yaml = ['apiVersion: chaos-mesh.org/v1alpha1', 'kind: PodChaos', 'metadata: {name: pf}', 'spec:', '  action: pod-failure', '  mode: all', '  selector: {labelSelectors: {app: db}}', ''].join('\n')
    await ctl.apply(resource(yaml))
    await ctl.waitIdle()
    expect([...runtime.failed]).toEqual(['db-ccccc'])
    const { gone, object } = await ctl.delete('PodChaos', 'default', 'pf')
    expect(gone).toBe(true)
    expect(object.status.experiment.records).toMatchObject([{ phase: NOT_INJECTED, injectedCount: 1, recoveredCount: 1 }])
    expect(runtime.failed.size).toBe(0)
  })
})

describe('one-shot actions', () => {
  it('pod-kill acts once and is finished; delete archives it without acting again', async () => {
    const { ctl, runtime } = setup()
    await ctl.start()
    const yaml = ['apiVersion: chaos-mesh.org/v1alpha1', 'kind: PodChaos', 'metadata: {name: kill}', 'spec:', '  action: pod-kill', '  mode: one', '  duration: "1ms"', '  selector: {labelSelectors: {app: db}}', ''].join('\n')
    await ctl.apply(resource(yaml))
    await ctl.waitIdle()
    expect(runtime.calls.filter((c) => c === 'deletePod')).toHaveLength(1)
    expect(ctl.phase('PodChaos', 'default', 'kill')).toBe('finished')
    expect(ctl.events({ name: 'kill' }).map((e) => e.reason)).toEqual(['Selected', 'Started', 'Applied', 'Finished'])
    await ctl.delete('PodChaos', 'default', 'kill')
    expect(runtime.calls.filter((c) => c === 'deletePod')).toHaveLength(1)
    expect(ctl.archived({ name: 'kill' })).toHaveLength(1)
  })
})

describe('errors', () => {
  it('delete, pause and resume of a missing experiment: CONTROLLER_NOT_FOUND', async () => {
    const { ctl } = setup()
    for (const p of [ctl.delete('NetworkChaos', 'default', 'nope'), ctl.pause('NetworkChaos', 'default', 'nope'), ctl.resume('NetworkChaos', 'default', 'nope')]) {
      expect((await refusal(p)).code).toBe('CONTROLLER_NOT_FOUND')
    }
  })

  it('metrics carry the Chaos Mesh names', async () => {
    const { ctl } = setup()
    await ctl.start()
    await ctl.apply(resource(delayYaml('d')))
    await ctl.waitIdle()
    const text = await ctl.metrics.text()
    expect(text).toContain('chaos_controller_manager_chaos_experiments{namespace="default",kind="NetworkChaos",phase="running"} 1')
    expect(text).toContain('chaos_controller_manager_emitted_event_total{type="Normal",reason="Applied",namespace="default"} 2')
    expect(text).toContain('chaoscope_injections_total{kind="NetworkChaos",action="delay",result="success"} 2')
    expect(text).toMatch(/chaoscope_reconcile_duration_seconds_count\{result="success"\} \d+/)
    expect(text).toContain('# TYPE chaos_controller_manager_chaos_schedules gauge')
    expect(text).toContain('# TYPE chaos_controller_manager_chaos_workflows gauge')
  })
})
