/**
 * @module test/doubles/injector-contract: the contract every injector passes (run by each injector's test with real pods):
 * inject twice = once; recover without inject; recover after the target died; recover after a controller
 * restart (a fresh RuntimeClient and only the stored, JSON round-tripped Injection).
 */
import { expect, it } from 'vitest'
import type { RuntimeClient } from '../../src/runtime/client.js'
import type { FaultContext, FaultInjector, Injection, Target } from '../../src/faults/injector.js'
import { ownedFaults, testContext } from './test-app.js'
import type { FaultApp } from './test-app.js'

export interface ContractCase<S> {
  injector: FaultInjector<S>
  spec: S
  annotations?: Record<string, string>
  /** A target picked now (pods change between tests: a killed target is replaced). */
  target(app: FaultApp): Promise<Target>
  /**
   * What the fault changed, measured on the running app after it settled: equal snapshots mean equal effect
   * (e.g. the faults on the sidecars, the pods of a service and their pids).
   */
  snapshot(app: FaultApp, target: Target, ctx: FaultContext): Promise<unknown>
  /** Whether the fault acts on the target now (measured through real sockets or pod state). */
  acting?(app: FaultApp, target: Target): Promise<boolean>
}

/** A client that reads the real runtime and changes nothing: injecting through it yields an Injection with no effect. */
function dryRun(real: RuntimeClient): RuntimeClient {
  return {
    pods: () => real.pods(),
    effects: (filter) => real.effects(filter),
    apply: async () => ({ held: false, result: {} }),
    remove: async () => false,
  }
}

const roundTrip = (i: Injection): Injection => JSON.parse(JSON.stringify(i)) as Injection

/** Registers the contract tests in the calling describe block. `app()` returns the started test App. */
export function injectorContract<S>(app: () => FaultApp, make: () => ContractCase<S>): void {
  it('contract: inject twice is inject once, and its Injection is plain JSON', async () => {
    const a = app()
    const c = make()
    const ctx = testContext(a.client, c.annotations)
    const target = await c.target(a)
    const first = await c.injector.inject(ctx, target, c.spec)
    try {
      expect(roundTrip(first)).toEqual(first)
      const once = await c.snapshot(a, target, ctx)
      if (c.acting) expect(await c.acting(a, target)).toBe(true)
      const second = await c.injector.inject(ctx, target, c.spec)
      expect(second).toMatchObject({ kind: first.kind, action: first.action, targetKey: first.targetKey, pod: first.pod, data: first.data })
      expect(await c.snapshot(a, target, ctx)).toEqual(once)
    } finally {
      await c.injector.recover(ctx, first)
    }
    expect(await ownedFaults(a.client, ctx.experiment.uid)).toEqual([])
    if (c.acting && !c.injector.oneShot?.(c.spec)) expect(await c.acting(a, target)).toBe(false)
  })

  it('contract: recover without inject changes nothing and does not throw', async () => {
    const a = app()
    const c = make()
    const target = await c.target(a)
    const dry = testContext(dryRun(a.client), c.annotations)
    const injection = roundTrip(await c.injector.inject(dry, target, c.spec))
    const ctx: FaultContext = { ...dry, runtime: a.client }
    const before = await c.snapshot(a, target, ctx)
    await c.injector.recover(ctx, injection)
    await c.injector.recover(ctx, injection)
    expect(await c.snapshot(a, target, ctx)).toEqual(before)
    expect(await ownedFaults(a.client, ctx.experiment.uid)).toEqual([])
  })

  it('contract: recover after the target pod died counts as recovered', async () => {
    const a = app()
    const c = make()
    const ctx = testContext(a.client, c.annotations)
    const target = await c.target(a)
    const injection = roundTrip(await c.injector.inject(ctx, target, c.spec))
    if (a.rt.pods().some((p) => p.name === target.pod.name)) await a.rt.supervisor.stopPod(target.pod.name, { replace: true, gracePeriodMs: 0 })
    await c.injector.recover(ctx, injection)
    await c.injector.recover(ctx, injection)
    expect(await ownedFaults(a.client, ctx.experiment.uid)).toEqual([])
    await a.rt.waitReady(20_000)
  })

  it('contract: recover after a controller restart needs only the stored Injection', async () => {
    const a = app()
    const c = make()
    const ctx = testContext(a.client, c.annotations)
    const target = await c.target(a)
    const stored = JSON.stringify(await c.injector.inject(ctx, target, c.spec))
    // The controller is gone: a new process, a new client through the control API, the Injection from the store.
    const restarted: FaultContext = { ...testContext(a.freshClient()), experiment: ctx.experiment }
    await c.injector.recover(restarted, JSON.parse(stored) as Injection)
    expect(await ownedFaults(a.client, ctx.experiment.uid)).toEqual([])
    if (c.acting && !c.injector.oneShot?.(c.spec)) expect(await c.acting(a, target)).toBe(false)
    await a.rt.waitReady(20_000)
  })
}
