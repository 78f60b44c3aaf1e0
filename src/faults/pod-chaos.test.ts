/** PodChaos on real pods: killed pids, replacement pods, pods held down and released. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ChaosError } from '../errors.js'
import type { RuntimePod } from '../runtime/local-runtime.js'
import { injectorContract } from '../../test/doubles/injector-contract.js'
import { podChaos } from './pod-chaos.js'
import type { PodChaosSpec } from './pod-chaos.js'
import { podsOf, specOf, startFaultApp, testContext } from '../../test/doubles/test-app.js'
import type { FaultApp } from '../../test/doubles/test-app.js'

const pc = (body: string): PodChaosSpec =>
  specOf<PodChaosSpec>(`apiVersion: chaos-mesh.org/v1alpha1\nkind: PodChaos\nmetadata: {name: t}\nspec:\n  mode: one\n  selector: {labelSelectors: {app: echo}}\n${body.replace(/^/gm, '  ')}\n`)

const pidAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('PodChaos on real pods', () => {
  let app: FaultApp
  beforeAll(async () => {
    app = await startFaultApp()
  }, 60_000)
  afterAll(() => app?.close())

  const echo = (): RuntimePod => podsOf(app, 'echo')[0]!
  const tgt = (p: RuntimePod) => ({ key: p.name, pod: p })

  it('pod-kill deletes the pod; its service replaces it with a new pod (new name, new pid)', async () => {
    await app.rt.waitReady(20_000)
    const victim = echo()
    const inj = await podChaos.inject(testContext(app.client), tgt(victim), pc('action: pod-kill'))
    expect(podChaos.oneShot!(pc('action: pod-kill'))).toBe(true)
    expect(inj.evidence).toMatchObject({ killedPod: victim.name, killedPid: victim.pid, replacementPod: expect.any(String) })
    expect(inj.evidence!.replacementPod).not.toBe(victim.name)
    expect(pidAlive(victim.pid!)).toBe(false)
    await app.rt.waitReady(20_000)
    const names = podsOf(app, 'echo').map((p) => p.name)
    expect(names).toHaveLength(2)
    expect(names).not.toContain(victim.name)
    expect(names).toContain(inj.evidence!.replacementPod)
    const ev = await podChaos.evidence!(testContext(app.client), inj)
    expect(ev).toMatchObject({ replacementReady: true, replacementPid: expect.any(Number) })
    expect(ev!.replacementPid).not.toBe(victim.pid)
  })

  it('pod-kill with gracePeriod deletes gracefully (the pod exits on SIGTERM well within the grace period)', async () => {
    await app.rt.waitReady(20_000)
    const victim = echo()
    const t0 = Date.now()
    const inj = await podChaos.inject(testContext(app.client), tgt(victim), pc('action: pod-kill\ngracePeriod: 5'))
    expect(inj.data).toEqual({ gracePeriodMs: 5000 })
    expect(Date.now() - t0).toBeLessThan(4000)
    expect(app.rt.supervisor.list().find((p) => p.name === victim.name)).toBeUndefined()
    await app.rt.waitReady(20_000)
  })

  it('container-kill kills the container; the pod restarts with a new pid and restartCount + 1', async () => {
    await app.rt.waitReady(20_000)
    const victim = echo()
    const inj = await podChaos.inject(testContext(app.client), tgt(victim), pc('action: container-kill\ncontainerNames: [echo]'))
    expect(inj.evidence).toMatchObject({ killedPid: victim.pid, killed: true })
    const back = await app.rt.supervisor.waitFor(victim.name, (p) => p.ready && p.restartCount === victim.restartCount + 1, 20_000)
    expect(back.pid).not.toBe(victim.pid)
    expect(await podChaos.evidence!(testContext(app.client), inj)).toMatchObject({ restartedPid: back.pid, restartCount: victim.restartCount + 1 })
  })

  it('container-kill refuses container names a local pod does not have', async () => {
    const e = (await podChaos.inject(testContext(app.client), tgt(echo()), pc('action: container-kill\ncontainerNames: [prometheus]')).catch((x: unknown) => x)) as ChaosError
    expect(e.code).toBe('SPEC_INVALID_VALUE')
    expect(e.message).toBe(`pod ${echo().name} has one container, "echo"; spec.containerNames names "prometheus"`)
    expect(e.hint).toBe('a local pod\'s container is named after its service: containerNames: ["echo"]')
  })

  it('pod-failure holds the pod down until recover, then it runs again with a new pid', async () => {
    await app.rt.waitReady(20_000)
    const victim = echo()
    const ctx = testContext(app.client)
    const inj = await podChaos.inject(ctx, tgt(victim), pc('action: pod-failure\nduration: 30s'))
    expect(podChaos.oneShot!(pc('action: pod-failure\nduration: 30s'))).toBe(false)
    expect(inj.evidence).toMatchObject({ stoppedPid: victim.pid })
    await new Promise((r) => setTimeout(r, 300))
    const down = app.rt.pod(victim.name)
    expect(down).toMatchObject({ ready: false, reason: 'PodFailure' })
    expect(down.pid === undefined || !pidAlive(victim.pid!)).toBe(true)
    await podChaos.recover(ctx, inj)
    const up = await app.rt.supervisor.waitFor(victim.name, (p) => p.ready, 20_000)
    expect(up.pid).not.toBe(victim.pid)
  })

  it('refuses pods of external services', async () => {
    const ext = app.rt.pods().find((p) => p.external !== undefined)!
    const e = (await podChaos.inject(testContext(app.client), tgt(ext), pc('action: pod-kill')).catch((x: unknown) => x)) as ChaosError
    expect(e.code).toBe('SPEC_LOCAL_UNSUPPORTED')
    expect(e.message).toMatch(/fronts the external service ext/)
  })

  describe('pod-failure', () => {
    injectorContract(() => app, () => ({
      injector: podChaos,
      spec: pc('action: pod-failure\nduration: 30s'),
      target: async () => tgt(echo()),
      snapshot: async (a, t) => {
        await new Promise((r) => setTimeout(r, 150))
        const p = a.rt.pods().find((x) => x.name === t.pod.name)
        return p && { reason: p.reason ?? null, restartCount: p.restartCount }
      },
      acting: async (a, t) => {
        const p = await a.rt.supervisor.waitFor(t.pod.name, () => true, 1000).catch(() => undefined)
        if (!p) return false
        await new Promise((r) => setTimeout(r, 150))
        return a.rt.pods().find((x) => x.name === t.pod.name)?.reason === 'PodFailure'
      },
    }))
  })

  describe('pod-kill', () => {
    injectorContract(() => app, () => ({
      injector: podChaos,
      spec: pc('action: pod-kill'),
      target: async () => {
        await app.rt.waitReady(20_000)
        return tgt(echo())
      },
      snapshot: async (a) => {
        await a.rt.waitReady(20_000)
        return podsOf(a, 'echo').map((p) => `${p.name} ${p.pid}`).sort()
      },
    }))
  })

  describe('container-kill', () => {
    injectorContract(() => app, () => ({
      injector: podChaos,
      spec: pc('action: container-kill\ncontainerNames: [echo]'),
      target: async () => {
        await app.rt.waitReady(20_000)
        return tgt(echo())
      },
      snapshot: async (a, t) => {
        await a.rt.supervisor.waitFor(t.pod.name, (p) => p.ready, 20_000).catch(() => undefined)
        return podsOf(a, 'echo').map((p) => `${p.name} ${p.pid} ${p.restartCount}`).sort()
      },
    }))
  })
})
