/**
 * Fault windows from the records of real experiments (the real Controller on an in-memory store, the runtime
 * boundary faked): a fault still in place is open-ended, a one-shot pod-kill is an instant, a deleted
 * experiment's window ends at its recovery and comes from the archive.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { Controller } from '../engine/controller.js'
import { Store } from '../store/store.js'
import { fakePod, FakeRuntime } from '../../test/doubles/fake-runtime.js'
import { faultWindows } from './source.js'

const controllers: Controller[] = []
afterEach(async () => {
  for (const c of controllers.splice(0)) await c.stop()
})

async function until(f: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!(await f())) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('faultWindows', () => {
  it('open-ended while injected, an instant for a pod-kill, closed by a delete (from the archive)', async () => {
    const runtime = new FakeRuntime([fakePod('back-aaaaa', { app: 'back' }, { protocol: 'http', containerPort: 8080 }), fakePod('web-bbbbb', { app: 'web' })])
    const store = Store.open(':memory:')
    const controller = Controller.open({ store, runtime, podCacheMs: 0 })
    controllers.push(controller)
    void controller.start()
    const from = Date.now() - 1000
    const chaos = (kind: string, name: string, spec: Record<string, unknown>) => controller.apply({ apiVersion: 'chaos-mesh.org/v1alpha1', kind, metadata: { name, namespace: 'default' }, spec } as never)
    await chaos('NetworkChaos', 'slow-back', { action: 'delay', mode: 'all', selector: { labelSelectors: { app: 'back' } }, delay: { latency: '100ms' } })
    await chaos('PodChaos', 'kill-web', { action: 'pod-kill', mode: 'one', selector: { labelSelectors: { app: 'web' } } })
    const injected = (name: string) => store.listResources().some((r) => r.name === name && store.records(r.uid).some((rec) => rec.history.some((h) => h.operation === 'Apply' && h.type === 'Succeeded')))
    await until(() => injected('slow-back') && injected('kill-web') && store.listResources().some((r) => r.name === 'kill-web' && store.hasEvent(r.uid, 'Finished')))

    const live = faultWindows(store, from, Date.now() + 1000)
    const slow = live.find((w) => w.experiment.name === 'slow-back')!
    expect(slow).toMatchObject({ id: 'NetworkChaos/default/slow-back#1', action: 'delay', targets: ['back-aaaaa'], services: ['back'], end: null })
    const kill = live.find((w) => w.experiment.name === 'kill-web')!
    expect(kill.action).toBe('pod-kill')
    expect(kill.end).toBe(kill.start)

    await controller.delete('NetworkChaos', 'default', 'slow-back', { wait: true })
    expect(store.listResources().some((r) => r.name === 'slow-back')).toBe(false)
    const after = faultWindows(store, from, Date.now() + 1000).find((w) => w.experiment.name === 'slow-back')!
    expect(after.end).not.toBeNull()
    expect(Date.parse(after.end!)).toBeGreaterThanOrEqual(Date.parse(after.start))
    // a range that ends before the fault began holds none of it
    expect(faultWindows(store, from - 60_000, from - 30_000)).toEqual([])
  })
})
