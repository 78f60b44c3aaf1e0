/**
 * chaoscope's own activities on the chain demo (a real runtime and controller, the Target over their HTTP APIs):
 * apply (inline and from a file) and delete of HTTPChaos on back while load runs through front; golden_signals
 * sees back's aborted requests and 5xx answers while front, which degrades gracefully, stays clean; latency,
 * error_rate and throughput as plain numbers; load and load_result; pause and resume; wait_for; and the
 * refusals a user can cause.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ControllerClient } from '../../api/client.js'
import { HttpRuntimeClient } from '../../runtime/client.js'
import type { RuntimeServer } from '../../runtime/server.js'
import { targetOver } from '../../run-target.js'
import { startUpController } from '../../wiring.js'
import type { ControllerServer } from '../../wiring.js'
import { startDemo } from '../../../test/demo.js'
import { ActivityFailed } from '../types.js'
import type { ActivityContext, ActivityRun, ChaosToolkitActivityDefinition, Target } from '../types.js'
import { CHAOSCOPE_ACTIVITIES, stopSampler } from './chaoscope.js'
import type { LoadSummary } from './chaoscope.js'
import type { GoldenSignals } from './signals.js'

const act = (name: string) => CHAOSCOPE_ACTIVITIES[`chaoscope.${name}`]!

function ctxOf(target: Target | undefined, extra: Partial<ActivityContext> = {}): ActivityContext {
  return {
    values: { configuration: {}, secrets: {} },
    ...(target ? { target } : {}),
    signal: new AbortController().signal,
    allowExec: false,
    cwd: process.cwd(),
    verifyTls: true,
    log: () => undefined,
    runProbe: () => Promise.reject(new Error('no probes here')),
    checkTolerance: () => Promise.reject(new Error('no tolerances here')),
    results: new Map(),
    ...extra,
  }
}

const httpChaos = (name: string, action: string) => `apiVersion: chaos-mesh.org/v1alpha1
kind: HTTPChaos
metadata: {name: ${name}, namespace: default}
spec:
  mode: all
  selector: {labelSelectors: {app: back}}
  target: ${action === 'abort' ? 'Request' : 'Response'}
  port: 8002
  path: '*'
  ${action === 'abort' ? 'abort: true' : 'replace: {code: 500}'}
  duration: 60s
`

describe('without a runtime', () => {
  it('refuses what a user can get wrong, by name, before anything runs', async () => {
    const ctx = ctxOf(undefined)
    await expect(act('actions.apply')({ manifest: 'x: 1' }, ctx)).rejects.toMatchObject({ code: 'RUN_NO_TARGET' })
    await expect(act('probes.golden_signals')({ service: 'back' }, ctx)).rejects.toMatchObject({ code: 'RUN_NO_TARGET' })
    const fake = {} as Target
    await expect(act('actions.apply')({}, ctxOf(fake))).rejects.toThrow(/give manifest .* or path/)
    await expect(act('probes.golden_signals')({}, ctxOf(fake))).rejects.toThrow(/give service .* or edge/)
    await expect(act('probes.golden_signals')({ edge: 'front' }, ctxOf(fake))).rejects.toThrow(/edge must read "source->destination"/)
    await expect(act('probes.latency')({ service: 'x', quantile: 7000 }, ctxOf(fake))).rejects.toThrow(/quantile must be between 0 and 1/)
    await expect(act('actions.load')({ url: 'http://10.1.2.3/' }, ctx)).rejects.toMatchObject({ code: 'LOAD_TARGET_REFUSED' })
    await expect(act('actions.load')({ url: 'http://127.0.0.1:1/', rate: 'fast' }, ctx)).rejects.toMatchObject({ code: 'LOAD_INVALID_PLAN' })
    await expect(act('probes.load_result')({ name: 'traffic' }, ctx)).rejects.toThrow(/no action named "traffic" has run/)
  })

  it('wait_for runs its probe until the tolerance holds (true), or gives up after within (false)', async () => {
    let n = 0
    const runs: string[] = []
    const ctx = ctxOf(undefined, {
      runProbe: async (probe: ChaosToolkitActivityDefinition): Promise<ActivityRun> => {
        runs.push(probe.name)
        return { activity: probe, output: ++n, start: new Date().toISOString(), status: 'succeeded' }
      },
      checkTolerance: async (tolerance, value) => ({ met: (value as number) >= (tolerance as number), observed: String(value), expected: `>= ${String(tolerance)}` }),
    })
    const probe = { type: 'probe', name: 'count', provider: { type: 'python', module: 'x', func: 'y' } }
    expect(await act('probes.wait_for')({ probe, tolerance: 3, within: '5s', interval: '10ms' }, ctx)).toBe(true)
    expect(runs).toEqual(['count', 'count', 'count'])
    const t0 = Date.now()
    expect(await act('probes.wait_for')({ probe, tolerance: 1e9, within: 0.3, interval: 0.05 }, ctx)).toBe(false)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290)
    await expect(act('probes.wait_for')({ tolerance: 1 }, ctx)).rejects.toThrow(/probe must be an activity/)
  })
})

describe('on the chain demo', () => {
  let dir: string
  let chain: RuntimeServer
  let ctl: ControllerServer
  let target: Target
  let front: string

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'chaoscope-acts-'))
    chain = await startDemo('chain')
    ctl = await startUpController(chain, { db: join(dir, 'chaoscope.db'), stateless: true, backoff: { baseMs: 50, capMs: 500 } })
    target = targetOver(new ControllerClient(chain.state.url, ctl.adminToken), new HttpRuntimeClient(chain.state.url, chain.state.token))
    front = `http://${chain.hostPorts().find(([s]) => s === 'front')![1]}/`
  }, 60_000)

  afterAll(async () => {
    await ctl?.close()
    await chain?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it("golden_signals sees back's aborted requests and 5xx answers while load runs through front, which stays clean", async () => {
    const ctx = ctxOf(target, { cwd: dir })
    try {
      // load until the checks are done: its signal stops it early, and it still returns what it measured
      const stopLoad = new AbortController()
      const traffic = act('actions.load')({ url: front, rate: 20, duration: '60s' }, { ...ctx, signal: stopLoad.signal })
      ctx.results.set('traffic', traffic)
      const signals = async (args: Record<string, unknown>) => (await act('probes.golden_signals')(args, ctx)) as GoldenSignals
      // the load's workers take a moment to start
      await expect.poll(async () => (await signals({ service: 'front', window: '1s' })).requests, { timeout: 10_000 }).toBeGreaterThan(5)
      const applied = await act('actions.apply')({ manifest: httpChaos('back-abort', 'abort') }, ctx)
      expect(applied).toEqual([{ kind: 'HTTPChaos', namespace: 'default', name: 'back-abort', action: 'created' }])
      // once a whole window is of the abort: every request into back got no answer
      await expect.poll(async () => (await signals({ service: 'back', window: '2s' })).error_rate, { timeout: 15_000 }).toBe(1)
      const aborted = await signals({ service: 'back', window: '2s' })
      expect(aborted.requests).toBeGreaterThan(0)
      expect(aborted.status_classes.error).toBe(aborted.requests)
      expect(aborted.errors).toBe(aborted.requests)
      expect(aborted.latency_ms.p99).toBeGreaterThanOrEqual(0)
      expect(aborted.window_s).toBeGreaterThanOrEqual(1.5)
      // front answers 200 with its stale value: its own traffic has no errors
      const fr = await signals({ service: 'front', window: '2s' })
      expect(fr.requests).toBeGreaterThan(0)
      expect(fr.errors).toBe(0)
      expect(fr.throughput).toBeCloseTo(fr.requests / fr.window_s, 1)
      expect(await act('probes.error_rate')({ service: 'front', window: '2s' }, ctx)).toBe(0)
      expect(typeof (await act('probes.latency')({ service: 'front', quantile: 'p99', window: '2s' }, ctx))).toBe('number')
      expect(await act('probes.throughput')({ service: 'front', window: '2s' }, ctx)).toBeGreaterThan(0)

      // the same back answering 500: the 5xx count toward the error rate
      expect(await act('actions.delete')({ kind: 'HTTPChaos', name: 'back-abort' }, ctx)).toEqual({ kind: 'HTTPChaos', namespace: 'default', name: 'back-abort', deleted: true })
      writeFileSync(join(dir, 'back-500.yaml'), httpChaos('back-500', 'replace'))
      await act('actions.apply')({ path: 'back-500.yaml' }, ctx)
      await expect.poll(async () => (await signals({ service: 'back', window: '1s' })).status_classes['5xx'], { timeout: 10_000 }).toBeGreaterThan(0)
      const e500 = await signals({ edge: 'middle->back', window: '1s' })
      expect(e500.errors).toBeGreaterThan(0)
      expect(await act('probes.error_rate')({ edge: 'middle->back', window: '1s' }, ctx)).toBeGreaterThan(0)
      await act('actions.delete')({ kind: 'httpchaos', name: 'back-500' }, ctx)
      expect(await chain.runtime.effects()).toEqual([])

      stopLoad.abort()
      const summary = (await traffic) as LoadSummary
      // an open model at 20/s: as many requests as its time allowed, give or take a second's worth
      expect(summary.requests).toBeGreaterThan(10)
      expect(Math.abs(summary.requests - 20 * summary.duration_s)).toBeLessThanOrEqual(20)
      expect(summary.duration_s).toBeLessThan(55)
      expect(summary.error_rate).toBe(0)
      expect(await act('probes.load_result')({ name: 'traffic', signal: 'requests' }, ctx)).toBe(summary.requests)
      expect(await act('probes.load_result')({ name: 'traffic', signal: 'p99' }, ctx)).toBe(summary.latency_ms.p99)
      expect(await act('probes.load_result')({ name: 'traffic', signal: 'error_rate' }, ctx)).toBe(0)
      await expect(act('probes.load_result')({ name: 'traffic', signal: 'p42' }, ctx)).rejects.toThrow(/signal must be one of/)
      await expect(act('probes.golden_signals')({ service: 'nosuch', window: '2s' }, ctx)).rejects.toThrow(/no sidecar carries the traffic of service nosuch; services: back, front, middle/)
    } finally {
      stopSampler(ctx.results)
      for (const o of await target.list()) await target.delete(o.kind, o.metadata.namespace, o.metadata.name)
    }
  }, 60_000)

  it('pause and resume a NetworkChaos: middle is fast while it is paused, slow again once resumed', async () => {
    const ctx = ctxOf(target)
    const ask = async () => ((await (await fetch(front, { signal: AbortSignal.timeout(5000) })).json()) as { error?: string }).error
    try {
      await act('actions.apply')({ manifest: { apiVersion: 'chaos-mesh.org/v1alpha1', kind: 'NetworkChaos', metadata: { name: 'slow-middle', namespace: 'default' }, spec: { action: 'delay', mode: 'all', selector: { labelSelectors: { app: 'middle' } }, delay: { latency: '1500ms' } } } }, ctx)
      await expect.poll(ask, { timeout: 10_000 }).toMatch(/middle did not answer/)
      expect(await act('actions.pause')({ kind: 'NetworkChaos', name: 'slow-middle' }, ctx)).toMatchObject({ paused: true })
      await expect.poll(ask, { timeout: 10_000 }).toBeUndefined()
      expect(await act('actions.resume')({ kind: 'networkchaos', name: 'slow-middle', ns: 'default' }, ctx)).toMatchObject({ paused: false })
      await expect.poll(ask, { timeout: 10_000 }).toMatch(/middle did not answer/)
      expect(await act('actions.delete')({ kind: 'NetworkChaos', name: 'slow-middle' }, ctx)).toMatchObject({ deleted: true })
      expect(await act('actions.delete')({ kind: 'NetworkChaos', name: 'slow-middle' }, ctx)).toMatchObject({ deleted: false })
      await expect.poll(ask, { timeout: 10_000 }).toBeUndefined()
    } finally {
      for (const o of await target.list()) await target.delete(o.kind, o.metadata.namespace, o.metadata.name)
    }
  }, 60_000)

  it("apply refuses an invalid manifest with the controller's positioned issues", async () => {
    const e = await act('actions.apply')({ manifest: 'apiVersion: chaos-mesh.org/v1alpha1\nkind: NetworkChaos\nmetadata: {name: bad}\nspec: {action: delay, mode: al, selector: {}}\n' }, ctxOf(target)).catch((x: unknown) => x)
    expect(e).toBeInstanceOf(ActivityFailed)
    expect((e as ActivityFailed).message).toMatch(/spec.mode: expected one of/)
    expect(await target.list()).toEqual([])
  })
})
