/**
 * Retention on the controller's clock (a manual one): the pruner runs at start and every period, deletes in
 * bounded batches one timer apart, and never touches the events of an experiment that still exists.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { Store } from '../store/store.js'
import { Controller } from './controller.js'
import { Pruner } from './retention.js'
import { fakePod, FakeRuntime } from '../../test/doubles/fake-runtime.js'
import { delayYaml, resource } from '../../test/doubles/chaos-yaml.js'
import { ManualClock } from '../../test/doubles/manual-clock.js'

const DAY = 86_400_000
const open: Controller[] = []
afterEach(async () => {
  for (const c of open.splice(0)) await c.stop()
})

function eventsOf(store: Store, n: number, clock: ManualClock, uid = 'gone'): void {
  store.transaction(() => {
    for (let i = 0; i < n; i++) store.addEvent({ uid: `${uid}${i}`, kind: 'NetworkChaos', namespace: 'default', name: `${uid}${i}`, type: 'Normal', reason: 'Archived', message: 'm', time: new Date(clock.now()).toISOString() })
  })
}

describe('Pruner', () => {
  it('prunes at start and every period, a full batch followed by the next one on its own timer', () => {
    const clock = new ManualClock()
    const store = Store.open(':memory:')
    eventsOf(store, 25, clock)
    const logs: string[] = []
    const pruner = new Pruner(store, clock, { maxEvents: 4, everyMs: 60_000, batch: 10 }, (_l, m) => logs.push(m))
    pruner.start()
    expect(store.countEvents()).toBe(25) // nothing runs inside start(): the first batch is on a timer
    clock.advance(0)
    expect(store.countEvents()).toBe(4) // three batches of at most 10, each on a 0 ms timer after the one before
    expect(logs).toEqual(['retention: pruned 10 event(s) and 0 archived experiment(s)', 'retention: pruned 10 event(s) and 0 archived experiment(s)', 'retention: pruned 1 event(s) and 0 archived experiment(s)'])
    eventsOf(store, 3, clock, 'later')
    clock.advance(59_999)
    expect(store.countEvents()).toBe(7)
    clock.advance(1)
    expect(store.countEvents()).toBe(4)
    pruner.stop()
    eventsOf(store, 3, clock, 'after-stop')
    clock.advance(10 * 60_000)
    expect(store.countEvents()).toBe(7)
    expect(clock.timers).toBe(0)
    store.close()
  })

  it('logs a failed prune and tries again at the next period', () => {
    const clock = new ManualClock()
    const store = Store.open(':memory:')
    const logs: string[] = []
    const pruner = new Pruner(store, clock, { maxEvents: 1, everyMs: 1000 }, (level, m) => logs.push(`${level} ${m}`))
    const prune = store.prune.bind(store)
    let fail = true
    store.prune = (...args) => {
      if (fail) throw new Error('disk I/O error')
      return prune(...args)
    }
    eventsOf(store, 3, clock)
    pruner.start()
    clock.advance(0)
    expect(logs).toEqual(['warn retention: pruning failed (tried again in 1000 ms): disk I/O error'])
    fail = false
    clock.advance(1000)
    expect(store.countEvents()).toBe(1)
    pruner.stop()
    store.close()
  })
})

describe('Controller with retention', () => {
  it('drops the events and the archive of deleted experiments once past their age; a live experiment keeps its events', async () => {
    const clock = new ManualClock()
    const runtime = new FakeRuntime([fakePod('web-aaaaa', { app: 'web' })], () => clock.now())
    const store = Store.open(':memory:')
    const ctl = Controller.open({ store, runtime, clock, podCacheMs: 0, podWatchMs: 0, retention: { eventTtlMs: 7 * DAY, archiveTtlMs: 14 * DAY, everyMs: 3_600_000 } })
    open.push(ctl)
    await ctl.start()
    await ctl.apply(resource(delayYaml('live')))
    await ctl.apply(resource(delayYaml('old')))
    const oldUid = ctl.get('NetworkChaos', 'default', 'old')!.metadata.uid!
    const liveUid = ctl.get('NetworkChaos', 'default', 'live')!.metadata.uid!
    const del = ctl.delete('NetworkChaos', 'default', 'old')
    await ctl.waitIdle()
    expect((await del).gone).toBe(true)
    const liveEvents = ctl.events({ uid: liveUid }).length
    expect(liveEvents).toBeGreaterThan(0)
    expect(ctl.events({ uid: oldUid }).length).toBeGreaterThan(0)
    expect(store.getArchived(oldUid)).toBeDefined()

    clock.advance(7 * DAY + 3_600_000)
    expect(ctl.events({ uid: oldUid })).toEqual([])
    expect(ctl.events({ uid: liveUid })).toHaveLength(liveEvents)
    expect(store.getArchived(oldUid)).toBeDefined() // the archive keeps its own copy of the events
    expect(store.getArchived(oldUid)!.events.length).toBeGreaterThan(0)
    clock.advance(7 * DAY)
    expect(store.getArchived(oldUid)).toBeUndefined()
    expect(ctl.get('NetworkChaos', 'default', 'live')).toBeDefined()
    expect(ctl.events({ uid: liveUid })).toHaveLength(liveEvents)
  })
})
