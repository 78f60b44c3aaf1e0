/**
 * Status never lies: the controller's records checked against the runtime's effects (level-based, on a period and
 * at every start), with the real injectors against the in-memory runtime boundary and a manual clock. A fault that
 * vanished behind the controller's back is injected again; one the runtime ended by itself is recovered at the
 * time it ended; a delete or a duration always completes, whatever happened at injection; events carry the time
 * things happened, not the time a restarted controller noticed.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { effectId } from '../faults/injector.js'
import { Store } from '../store/store.js'
import type { RecordRow } from '../store/store.js'
import { Controller } from './controller.js'
import { INJECTED, NOT_INJECTED } from './decide.js'
import { needsLook, realityOf } from './reality.js'
import { FakeRuntime } from '../../test/doubles/fake-runtime.js'
import { delayYaml, podChaosYaml, resource } from '../../test/doubles/chaos-yaml.js'
import { ManualClock } from '../../test/doubles/manual-clock.js'
import { engineSetup, PODS, stopControllers } from '../../test/doubles/engine-setup.js'

afterEach(stopControllers)

const setup = engineSetup

const delayId = (uid: string, pod: string) => effectId(uid, pod, 'delay', pod)
const events = (ctl: Controller, name: string) => ctl.events({ name }).map((e) => e.reason)

describe('realityOf and needsLook', () => {
  const rec = (ids: string[], more: Partial<RecordRow> = {}) =>
    ({ pod: 'web-a', phase: INJECTED, target: {}, injection: { data: { effects: ids.map((id) => ({ id })) } }, ...more }) as unknown as RecordRow
  const held = (id: string, more: Record<string, unknown> = {}) => ({ id, type: 'sidecar-fault', target: { pod: 'web-a' }, body: {}, appliedAt: 1, owner: { experiment: 'u', record: 'web-a', controller: 'me' }, ...more })

  it('names what is missing, why and when the last of it ended; another controller\'s effect under the same id does not count', () => {
    expect(realityOf(rec(['a', 'b']), [held('a'), held('b')], 'me')).toEqual({ missing: [], all: false, reasons: [] })
    expect(realityOf(rec(['a', 'b']), [held('a'), held('b', { ended: { at: 50, reason: 'removed' } })], 'me')).toEqual({ missing: ['b'], all: false, reasons: ['removed'], endedAt: 50 })
    expect(realityOf(rec(['a', 'b']), [held('a', { ended: { at: 70, reason: 'expired' } }), held('b', { ended: { at: 60, reason: 'expired' } })], 'me')).toEqual({ missing: ['a', 'b'], all: true, reasons: ['expired'], endedAt: 70 })
    expect(realityOf(rec(['a']), [held('a', { owner: { experiment: 'u', record: 'web-a', controller: 'other' } })], 'me')).toEqual({ missing: ['a'], all: true, reasons: ['unknown'] })
    expect(realityOf(rec([]), [], 'me')).toEqual({ missing: [], all: false, reasons: [] })
  })

  it('asks for a look when a target pod is gone or an Injected record\'s effect is not held, not for gone or not-injected records', () => {
    const pods = new Set(['web-a'])
    expect(needsLook([rec(['a'])], pods, new Set(['a']))).toBe(false)
    expect(needsLook([rec(['a'])], pods, new Set())).toBe(true)
    expect(needsLook([rec(['a'], { phase: NOT_INJECTED })], pods, new Set())).toBe(false)
    expect(needsLook([rec(['a'], { pod: 'web-gone' })], pods, new Set(['a']))).toBe(true)
    expect(needsLook([rec(['a'], { pod: 'web-gone', target: { goneAt: 'x' } })], pods, new Set())).toBe(false)
    // an effect on a peer pod that went is not looked for again
    const onPeer = { pod: 'web-a', phase: INJECTED, target: {}, injection: { data: { effects: [{ id: 'p', target: { pod: 'peer-gone' } }] } } } as unknown as RecordRow
    expect(needsLook([onPeer], pods, new Set())).toBe(false)
  })
})

describe('the records checked against the runtime', () => {
  it('a fault removed behind the controller\'s back is seen by the periodic look and injected again, with an event', async () => {
    const { ctl, runtime, clock, store } = setup({ podWatchMs: 1000 })
    await ctl.start()
    const { object } = await ctl.apply(resource(delayYaml('d', { mode: 'fixed', value: '1' })))
    const uid = object.metadata.uid
    const pod = store.records(uid)[0]!.pod
    expect(runtime.faultIds()).toEqual([delayId(uid, pod)])
    clock.advance(200)
    runtime.end(delayId(uid, pod), 'removed') // someone else's DELETE /runtime/v1/effects/:id
    const removedAt = clock.now()
    clock.advance(1000) // the periodic look
    await expect.poll(() => runtime.faultIds(), { timeout: 2000, interval: 5 }).toEqual([delayId(uid, pod)])
    await ctl.waitIdle()
    expect(events(ctl, 'd')).toEqual(['Selected', 'Started', 'Applied', 'EffectLost', 'Applied'])
    const lost = ctl.events({ name: 'd' }).find((e) => e.reason === 'EffectLost')!
    expect(lost).toMatchObject({ type: 'Warning', time: new Date(removedAt).toISOString() })
    expect(lost.message).toBe(`the runtime no longer holds 1 of the faults on default/${pod}: they were removed by someone other than this experiment; injecting again`)
    expect(store.records(uid)[0]).toMatchObject({ phase: INJECTED, injectedCount: 2 })
    expect(store.records(uid)[0]!.lastError).toBeUndefined()
  })

  it('when it cannot be injected again, the record says why (not Injected) and it is retried', async () => {
    const { ctl, runtime, clock, store } = setup({ podWatchMs: 1000 })
    await ctl.start()
    const { object } = await ctl.apply(resource(delayYaml('d', { mode: 'fixed', value: '1' })))
    const uid = object.metadata.uid
    const pod = store.records(uid)[0]!.pod
    runtime.end(delayId(uid, pod), 'removed')
    runtime.broken.add('apply')
    clock.advance(1000)
    await expect.poll(() => store.records(uid)[0]!.lastError, { timeout: 2000, interval: 5 }).toBe('fake runtime: apply is broken')
    const o = ctl.get('NetworkChaos', 'default', 'd')!
    expect(o.status.experiment.containerRecords[0]!.phase).not.toBe(INJECTED)
    expect(o.status.conditions.find((c) => c.type === 'AllInjected')!.status).toBe('False')
    runtime.broken.delete('apply')
    clock.advance(200) // back-off
    await expect.poll(() => store.records(uid)[0]!.phase, { timeout: 2000, interval: 5 }).toBe(INJECTED)
  })

  it('after a restart, the end of a duration the runtime kept by itself is told at its time: TimeUp, Recovered and Finished', async () => {
    const store = Store.open(':memory:')
    const clock = new ManualClock()
    const runtime = new FakeRuntime(PODS(), () => clock.now())
    const a = setup({ store, runtime, clock })
    await a.ctl.start()
    const { object } = await a.ctl.apply(resource(delayYaml('short', { duration: '10s', mode: 'fixed', value: '1' })))
    await a.ctl.stop() // the controller dies; the runtime ends the fault at the experiment's end by itself
    const end = Date.parse(object.metadata.creationTimestamp) + 10_000
    clock.advance(60_000)
    runtime.expire(clock.now())
    expect(runtime.faultIds()).toEqual([])

    const b = setup({ store, runtime, clock })
    await b.ctl.start()
    await b.ctl.waitIdle()
    const told = b.ctl.events({ name: 'short' }).map((e) => [e.reason, e.time])
    const at = new Date(end).toISOString()
    expect(told.slice(3)).toEqual([['TimeUp', at], ['Recovered', at], ['Finished', at]])
    expect(b.ctl.events({ name: 'short' }).find((e) => e.reason === 'Recovered')!.message).toMatch(/the runtime had removed its faults at the experiment's end/)
    expect(store.records(object.metadata.uid)[0]).toMatchObject({ phase: NOT_INJECTED, recoveredCount: 1 })
  })

  it('an experiment paused before its end is Finished at its end, not at the pause', async () => {
    const { ctl, clock } = setup()
    await ctl.start()
    const { object } = await ctl.apply(resource(delayYaml('p', { duration: '10s', mode: 'fixed', value: '1' })))
    clock.advance(2000)
    await ctl.pause('NetworkChaos', 'default', 'p')
    clock.advance(20_000)
    await ctl.waitIdle()
    const finished = ctl.events({ name: 'p' }).find((e) => e.reason === 'Finished')!
    expect(finished.time).toBe(new Date(Date.parse(object.metadata.creationTimestamp) + 10_000).toISOString())
  })

  it('a target whose pod went while no controller ran is gone at the time the runtime saw it go, and no record says Injected', async () => {
    const store = Store.open(':memory:')
    const clock = new ManualClock()
    const runtime = new FakeRuntime(PODS(), () => clock.now())
    const a = setup({ store, runtime, clock })
    await a.ctl.start()
    const { object } = await a.ctl.apply(resource(delayYaml('d', { mode: 'all' })))
    await a.ctl.stop()
    clock.advance(5000)
    const wentAt = clock.now()
    runtime.deletePod('web-aaaaa')
    clock.advance(30_000)

    const b = setup({ store, runtime, clock })
    await b.ctl.start()
    await b.ctl.waitIdle()
    const o = b.ctl.get('NetworkChaos', 'default', 'd')!
    expect(o.status.experiment.containerRecords.map((r) => [r.id, r.phase])).toEqual([['default/web-aaaaa', NOT_INJECTED], ['default/web-bbbbb', INJECTED]])
    const gone = b.ctl.events({ name: 'd' }).find((e) => e.reason === 'TargetGone')!
    expect(gone.time).toBe(new Date(wentAt).toISOString())
    expect(store.records(object.metadata.uid).find((r) => r.pod === 'web-aaaaa')!.target).toMatchObject({ goneAt: new Date(wentAt).toISOString() })
  })
})

describe('a delete or a duration always completes, whatever happened at injection', () => {
  it('an experiment whose injection never succeeded is deleted and archived: its record counts as recovered', async () => {
    const { ctl, runtime, clock, store } = setup()
    await ctl.start()
    runtime.broken.add('apply')
    const { object } = await ctl.apply(resource(delayYaml('never', { mode: 'fixed', value: '1' })))
    const uid = object.metadata.uid
    expect(store.records(uid)[0]!.lastError).toBe('fake runtime: apply is broken')
    const deleted = ctl.delete('NetworkChaos', 'default', 'never')
    clock.advance(200)
    const { gone } = await deleted
    expect(gone).toBe(true)
    expect(ctl.get('NetworkChaos', 'default', 'never')).toBeUndefined()
    expect(store.getArchived(uid)!.records[0]).toMatchObject({ phase: NOT_INJECTED, injectedCount: 0 })
    const told = store.getArchived(uid)!.events.map((e) => e.reason)
    expect(told.slice(0, 3)).toEqual(['Selected', 'Started', 'Failed'])
    expect(told).toContain('Deleted')
    expect(told.slice(-2)).toEqual(['Recovered', 'Archived'])
  })

  it('a duration ends for an experiment whose injection kept failing: Finished, nothing left', async () => {
    const { ctl, runtime, clock } = setup()
    await ctl.start()
    runtime.broken.add('apply')
    await ctl.apply(resource(podChaosYaml('pf', 'pod-failure', { duration: '2s', mode: 'one' })))
    for (let i = 0; i < 25; i++) {
      clock.advance(100)
      await ctl.waitIdle()
    }
    expect(ctl.phase('PodChaos', 'default', 'pf')).toBe('finished')
    expect(events(ctl, 'pf')).toContain('Finished')
    expect(runtime.held.size).toBe(0)
  })
})
