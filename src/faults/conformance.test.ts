/**
 * Chaos Mesh's own NetworkChaos, PodChaos and HTTPChaos examples (../shared/conformance, read in place) run
 * through their injectors against the demo pods, with their effect measured. Where an example's labels match no
 * demo pod, its selector is pointed at a demo service (named in each test); the ecen5033 tutorial's experiments
 * run unchanged on the movies demo. Examples naming external targets or moving bulk data run on the injector
 * test App, which has an external service and a bulk-data server. The selection here is a minimal stand-in for
 * the engine's (namespaces, labelSelectors; modes one and all).
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ChaosError } from '../errors.js'
import { InProcessRuntimeClient } from '../runtime/client.js'
import type { RuntimePod } from '../runtime/local-runtime.js'
import type { RuntimeServer } from '../runtime/server.js'
import { validatePaths } from '../manifest/validate.js'
import type { FaultInjector, Injection } from './injector.js'
import { injectors } from './registry.js'
import { LineClient, egress, medianPing, podsOf, startFaultApp, testContext, withLine } from '../../test/doubles/test-app.js'
import type { FaultApp } from '../../test/doubles/test-app.js'
import { startDemo } from '../../test/demo.js'

const CM = '/work/shared/conformance/chaos-mesh/examples'
const ECEN = '/work/shared/conformance/ecen5033/chaos-tests'

interface Selector {
  namespaces?: string[]
  labelSelectors?: Record<string, string>
}
type AnySpec = Record<string, unknown> & { selector: Selector; mode: string; target?: { selector: Selector; mode: string } }

/** The example's kind and spec (validated, defaults applied); a Schedule yields the experiment it creates. */
function example(file: string): { kind: 'PodChaos' | 'NetworkChaos' | 'HTTPChaos'; spec: AnySpec } {
  const r = validatePaths([file])
  if (r.issues.length > 0) throw new Error(JSON.stringify(r.issues))
  const res = r.resources[0]!
  if (res.kind === 'Schedule') {
    const type = res.spec.type as 'PodChaos' | 'NetworkChaos'
    const key = `${type[0]!.toLowerCase()}${type.slice(1)}`
    return { kind: type, spec: structuredClone(res.spec[key]) as AnySpec }
  }
  return { kind: res.kind as 'PodChaos' | 'NetworkChaos' | 'HTTPChaos', spec: structuredClone(res.spec) as AnySpec }
}

function select(pods: readonly RuntimePod[], sel: Selector, mode: string): RuntimePod[] {
  const hit = pods.filter(
    (p) => (!sel.namespaces?.length || sel.namespaces.includes(p.namespace)) && Object.entries(sel.labelSelectors ?? {}).every(([k, v]) => p.labels[k] === v),
  )
  return mode === 'one' ? hit.slice(0, 1) : hit
}

/** Points a selector that matches no pod at the demo service `app` (namespace default), and says so. */
function retarget(pods: readonly RuntimePod[], sel: Selector, mode: string, app: string): RuntimePod[] {
  if (select(pods, sel, mode).length > 0) return select(pods, sel, mode)
  sel.namespaces = ['default']
  sel.labelSelectors = { app }
  return select(pods, sel, mode)
}

interface Running {
  injections: Injection[]
  evidence(): Promise<Record<string, unknown>[]>
  recover(): Promise<void>
}

async function run(server: RuntimeServer | FaultApp, kind: keyof typeof injectors, spec: AnySpec, targets: RuntimePod[], peers?: RuntimePod[]): Promise<Running> {
  const rt = 'runtime' in server ? server.runtime : server.rt
  const ctx = testContext(new InProcessRuntimeClient(rt))
  const inj = injectors[kind] as unknown as FaultInjector<AnySpec>
  inj.check?.(spec)
  const injections: Injection[] = []
  for (const t of targets) injections.push(await inj.inject(ctx, { key: t.name, pod: t, ...(peers ? { peers } : {}) }, spec))
  return {
    injections,
    evidence: async () => Promise.all(injections.map(async (i) => (await inj.evidence?.(ctx, i)) ?? {})),
    recover: async () => {
      for (const i of injections) await inj.recover(ctx, i)
    },
  }
}


async function get(url: string, timeoutMs = 5000): Promise<{ status: number; body: string; ms: number }> {
  const t0 = performance.now()
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { connection: 'close' } })
    return { status: res.status, body: await res.text(), ms: performance.now() - t0 }
  } catch {
    return { status: 0, body: '', ms: performance.now() - t0 }
  }
}

async function medianMs(url: string, n = 9): Promise<number> {
  const all: number[] = []
  for (let i = 0; i < n; i++) all.push((await get(url)).ms)
  return all.sort((a, b) => a - b)[Math.floor(n / 2)]!
}

/** The fastest of n requests: a delay without jitter adds to every request, while load only ever slows some. */
async function minMs(url: string, n = 9): Promise<number> {
  let best = Infinity
  for (let i = 0; i < n; i++) best = Math.min(best, (await get(url)).ms)
  return best
}

describe('Chaos Mesh examples on the chain demo', () => {
  let chain: RuntimeServer
  let front: string
  beforeAll(async () => {
    chain = await startDemo('chain')
    front = `http://${chain.runtime.hostPortAddress('front')}/`
    await medianMs(front, 5) // warm: first requests pay for connections and JIT
  }, 60_000)
  afterAll(() => chain?.close())
  const pods = (): RuntimePod[] => chain.runtime.pods()

  for (const file of ['network-delay-example.yaml', 'network-netem-example.yaml']) {
    it(`${file} (tikv → middle): front's answers take about twice the latency longer (requests to back, replies to front)`, async () => {
      const { kind, spec } = example(join(CM, file))
      const targets = retarget(pods(), spec.selector, spec.mode, 'middle')
      const before = await medianMs(front)
      const r = await run(chain, kind, spec, targets)
      const during = await medianMs(front)
      const ev = await r.evidence()
      await r.recover()
      // 90 ms ± 90 ms jitter on each of two legs: about +180 ms on average (loss stalls add more for netem)
      expect(during - before).toBeGreaterThan(100)
      expect(ev[0]).toMatchObject({ connections: expect.any(Number) })
      expect((ev[0] as { chunks: number }).chunks).toBeGreaterThan(0)
      expect(await medianMs(front)).toBeLessThan(before + 50)
    })
  }

  for (const file of ['network-delay-with-target-example.yaml', 'network-netem-with-target-example.yaml']) {
    it(`${file} (→ front, target middle): only front's requests to middle are slowed`, async () => {
      const { kind, spec } = example(join(CM, file))
      const targets = retarget(pods(), spec.selector, spec.mode, 'front')
      const peers = retarget(pods(), spec.target!.selector, spec.target!.mode, 'middle')
      const before = await medianMs(front)
      const r = await run(chain, kind, spec, targets, peers)
      // 21 requests: the median of 9 fell under 40 ms about once in 30 runs (a jitter of up to 90 ms either way)
      const during = await medianMs(front, 21)
      await r.recover()
      expect(r.injections[0]!.data.effects).toEqual(expect.arrayContaining([expect.objectContaining({ target: { pod: targets[0]!.name, edge: 'middle' }, body: { fault: expect.objectContaining({ direction: 'upstream' }) } })]))
      expect(during - before).toBeGreaterThan(40) // one leg, 90 ± 90 ms
    })
  }

  for (const [file, pct] of [['network-loss-example.yaml', 25], ['network-corrupt-example.yaml', 40], ['network-duplicate-example.yaml', 40]] as const) {
    it(`${file} (tikv → middle): about ${pct}% of segments stall for an RTO`, async () => {
      const { kind, spec } = example(join(CM, file))
      const r = await run(chain, kind, spec, retarget(pods(), spec.selector, spec.mode, 'middle'))
      let slow = 0
      for (let i = 0; i < 10; i++) if ((await get(front)).ms > 180) slow++
      const ev = (await r.evidence())[0] as { chunks: number }
      await r.recover()
      expect(slow).toBeGreaterThanOrEqual(1)
      expect(ev.chunks).toBeGreaterThan(0)
    })
  }

  it('network-partition-example.yaml (tikv → middle, target back, to): middle cannot reach back; front serves a stale value', async () => {
    const { kind, spec } = example(join(CM, 'network-partition-example.yaml'))
    await get(front)
    const targets = retarget(pods(), spec.selector, spec.mode, 'middle')
    const peers = retarget(pods(), spec.target!.selector, spec.target!.mode, 'back')
    const r = await run(chain, kind, spec, targets, peers)
    const during = await get(front, 5000)
    await r.recover()
    expect(during.status).toBe(200)
    expect(JSON.parse(during.body)).toMatchObject({ stale: true })
    expect(JSON.parse((await get(front)).body)).toMatchObject({ stale: false })
  })

  it('pod-kill-example.yaml and web-show/pod-kill.yaml (→ back, → front): replaced by a new pod with a new pid', async () => {
    for (const [file, app] of [[join(CM, 'pod-kill-example.yaml'), 'back'], [join(CM, 'web-show/pod-kill.yaml'), 'front']] as const) {
      await chain.runtime.waitReady(20_000)
      const { kind, spec } = example(file)
      const [victim] = retarget(pods(), spec.selector, spec.mode, app)
      const r = await run(chain, kind, spec, [victim!])
      expect(r.injections[0]!.evidence).toMatchObject({ killedPod: victim!.name, killedPid: victim!.pid })
      await chain.runtime.waitReady(20_000)
      const next = pods().find((p) => p.service === app)!
      expect(next.name).not.toBe(victim!.name)
      expect(next.pid).not.toBe(victim!.pid)
    }
    front = `http://${chain.runtime.hostPortAddress('front')}/`
    expect((await get(front)).status).toBe(200)
  })

  it('pod-failure-example.yaml and web-show/pod-failure.yaml (→ back, → front): held down, then back with a new pid', async () => {
    for (const [file, app] of [[join(CM, 'pod-failure-example.yaml'), 'back'], [join(CM, 'web-show/pod-failure.yaml'), 'front']] as const) {
      await chain.runtime.waitReady(20_000)
      const { kind, spec } = example(file)
      const [victim] = retarget(pods(), spec.selector, spec.mode, app)
      const r = await run(chain, kind, spec, [victim!])
      await new Promise((res) => setTimeout(res, 300))
      expect(chain.runtime.pod(victim!.name)).toMatchObject({ ready: false, reason: 'PodFailure' })
      if (app === 'back') expect(JSON.parse((await get(front)).body)).toMatchObject({ stale: true })
      await r.recover()
      const up = await chain.runtime.supervisor.waitFor(victim!.name, (p) => p.ready, 20_000)
      expect(up.pid).not.toBe(victim!.pid)
    }
  })

  it('container-kill-example.yaml (monitor/prometheus → middle/middle): restarted with a new pid; the original container name is refused', async () => {
    await chain.runtime.waitReady(20_000)
    const { kind, spec } = example(join(CM, 'container-kill-example.yaml'))
    const [victim] = retarget(pods(), spec.selector, spec.mode, 'middle')
    const refused = await run(chain, kind, spec, [victim!]).catch((e: unknown) => e)
    expect((refused as ChaosError).message).toBe(`pod ${victim!.name} has one container, "middle"; spec.containerNames names "prometheus"`)
    spec.containerNames = ['middle']
    await run(chain, kind, spec, [victim!])
    const back = await chain.runtime.supervisor.waitFor(victim!.name, (p) => p.ready && p.restartCount === victim!.restartCount + 1, 20_000)
    expect(back.pid).not.toBe(victim!.pid)
  })

  it('web-show/network-delay.yaml (web-show → front, 10 ms): front answers about 20 ms slower', async () => {
    const { kind, spec } = example(join(CM, 'web-show/network-delay.yaml'))
    await chain.runtime.waitReady(20_000)
    await medianMs(front, 3) // warm
    const before = await minMs(front, 15)
    const r = await run(chain, kind, spec, retarget(pods(), spec.selector, spec.mode, 'front'))
    const during = await minMs(front, 15)
    await r.recover()
    // two legs of 10 ms (front's requests to middle, its replies): even the fastest request carries both; the
    // baseline's minimum can itself be inflated by load, so the lower bound is on the delayed time alone
    expect(during).toBeGreaterThanOrEqual(18.5)
    expect(during - before).toBeLessThan(80)
  })
})

describe('the ecen5033 tutorial and the nginx example on the movies demo', () => {
  let movies: RuntimeServer
  let base: string
  beforeAll(async () => {
    movies = await startDemo('movies')
    base = `http://${movies.runtime.pods().find((p) => p.service === 'server-app')!.address}`
    await get(`${base}/movies`)
  }, 60_000)
  afterAll(() => movies?.close())
  const pods = (): RuntimePod[] => movies.runtime.pods()
  const sel = (spec: AnySpec) => select(pods(), spec.selector, spec.mode)

  for (const [file, added] of [['network-delay-example.yml', 150], ['network-delay-example-2.yml', 300]] as const) {
    it(`${file} (unchanged): GET /movies is about ${added} ms slower`, async () => {
      const { kind, spec } = example(join(ECEN, file))
      expect(sel(spec)).toHaveLength(1)
      const before = await minMs(`${base}/movies`, 5)
      const r = await run(movies, kind, spec, sel(spec))
      const during = await minMs(`${base}/movies`, 5)
      await r.recover()
      // the fastest delayed request carries the whole delay; a lower bound on the difference would also depend on
      // how much load inflated the baseline's minimum
      expect(during).toBeGreaterThanOrEqual(added - 2)
      expect(during - before).toBeLessThan(added + 150)
    })
  }

  it('partition-example.yml (unchanged, server-app → mongo): GET /movies fails with 503, then recovers', async () => {
    const { kind, spec } = example(join(ECEN, 'partition-example.yml'))
    const r = await run(movies, kind, spec, sel(spec), select(pods(), spec.target!.selector, spec.target!.mode))
    const during = await get(`${base}/movies`)
    await r.recover()
    expect(during.status).toBe(503)
    expect((await get(`${base}/movies`)).status).toBe(200)
  })

  it('pod-failure-example.yml (unchanged, mongo): GET /movies fails while mongo is down, works after recover', async () => {
    const { kind, spec } = example(join(ECEN, 'pod-failure-example.yml'))
    const r = await run(movies, kind, spec, sel(spec))
    await new Promise((res) => setTimeout(res, 500))
    const during = await get(`${base}/movies`)
    await r.recover()
    await movies.runtime.waitReady(20_000)
    expect(during.status).toBe(503)
    expect((await get(`${base}/movies`)).status).toBe(200)
  })

  it('nginx/http-patch-response.yaml (nginx → server-app, port 80 → 8080): response bodies are patched', async () => {
    const { kind, spec } = example(join(CM, 'nginx/http-patch-response.yaml'))
    const targets = retarget(pods(), spec.selector, spec.mode, 'server-app')
    const wrongPort = await run(movies, kind, spec, targets).catch((e: unknown) => e)
    expect((wrongPort as ChaosError).message).toMatch(/spec.port 80 is not a port of pod server-app-\w+: service server-app serves HTTP on port 8080/)
    spec.port = 8080
    const r = await run(movies, kind, spec, targets)
    const during = await get(`${base}/`)
    const ev = (await r.evidence())[0] as { requests: number }
    await r.recover()
    expect(JSON.parse(during.body)).toMatchObject({ message: expect.any(String), status: 'Failed', reason: 'hacked by Chaos Mesh' })
    expect(ev.requests).toBe(1)
    expect(JSON.parse((await get(`${base}/`)).body)).not.toHaveProperty('reason')
  })
})

describe('examples with external targets and bulk data, on the injector test App', () => {
  let app: FaultApp
  beforeAll(async () => {
    app = await startFaultApp()
  }, 60_000)
  afterAll(() => app?.close())
  const client = (): RuntimePod => podsOf(app, 'client')[0]!

  it('network-delay-with-external-target-example.yaml (→ client; the App external added to its targets): calls to it slowed', async () => {
    const { kind, spec } = example(join(CM, 'network-delay-with-external-target-example.yaml'))
    ;(spec.externalTargets as string[]).push(app.extAddress)
    const r = await run(app, kind, spec, retarget(app.rt.pods(), spec.selector, spec.mode, 'client'))
    const ext = await medianPing(await egress(app, client().name, 'ext'), 7)
    const echo = await medianPing(await egress(app, client().name, 'echo'), 3)
    await r.recover()
    expect(r.injections[0]!.data.unmatchedExternalTargets).toEqual(['8.8.8.8', 'www.google.com', '8.8.0.0/16', '1.1.1.1:80', 'example.com:443', '10.0.0.0/8:22'])
    expect(ext).toBeGreaterThan(40) // 90 ± 90 ms
    expect(echo).toBeLessThan(30)
  })

  it('network-partition-with-external-targets-example.yaml (→ client; the App external added): its calls hang until healed', async () => {
    const { kind, spec } = example(join(CM, 'network-partition-with-external-targets-example.yaml'))
    ;(spec.externalTargets as string[]).push(app.extAddress)
    const c = await LineClient.connect(await egress(app, client().name, 'ext'))
    try {
      const r = await run(app, kind, spec, retarget(app.rt.pods(), spec.selector, spec.mode, 'client'))
      expect(await c.ping(500)).toBeUndefined()
      expect(await withLine(await egress(app, client().name, 'echo'), (e) => e.ping(500))).toBeDefined()
      await r.recover()
      expect(await c.waitLine(/^pong 1 /, 2000)).toBeDefined()
    } finally {
      c.close()
    }
  })

  it('network-bandwidth-example.yaml (tikv → echo, 100kbps): 150 kB take about 1.4 s', async () => {
    const { kind, spec } = example(join(CM, 'network-bandwidth-example.yaml'))
    const r = await run(app, kind, spec, retarget(app.rt.pods(), spec.selector, 'all', 'echo'))
    const took = await withLine(await egress(app, client().name, 'echo'), async (c) => {
      const t0 = performance.now()
      let got = 0
      c.socket.removeAllListeners('data')
      const done = new Promise<void>((res) => c.socket.on('data', (d: Buffer) => { got += d.length; if (got >= 150_000) res() }))
      c.socket.write('blob 150000\n')
      await done
      return performance.now() - t0
    })
    await r.recover()
    // 102400 B/s with a 10000-byte burst: (150000 − 10000) / 102400 ≈ 1.37 s
    expect(took).toBeGreaterThan(1100)
    expect(took).toBeLessThan(3000)
  })
})
