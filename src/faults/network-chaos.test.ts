/**
 * NetworkChaos on real pods: the effect measured through the sidecars (round trips, bytes that flow or not),
 * every direction, targets, externals, percent; plus the pure planning functions and the contract suite.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ChaosError } from '../errors.js'
import type { RuntimePod } from '../runtime/local-runtime.js'
import type { NetworkChaosSpec } from '../manifest/kinds/network-chaos.js'
import type { SidecarFaultBody } from '../runtime/effects/sidecar-fault.js'
import { injectorContract } from '../../test/doubles/injector-contract.js'
import { checkFault } from '../runtime/proxy/toxic.js'
import { externalMatches, networkChaos, parseRate, planLegs } from './network-chaos.js'
import { SIDECAR_MAX_DELAY_MS } from './sidecar.js'
import { LineClient, egress, medianPing, ownedFaults, podsOf, specOf, startFaultApp, testContext, withLine } from '../../test/doubles/test-app.js'
import type { FaultApp } from '../../test/doubles/test-app.js'

const net = (body: string): NetworkChaosSpec =>
  specOf<NetworkChaosSpec>(`apiVersion: chaos-mesh.org/v1alpha1\nkind: NetworkChaos\nmetadata: {name: t}\nspec:\n  mode: all\n  selector: {labelSelectors: {role: client}}\n${body.replace(/^/gm, '  ')}\n`)

const pod = (name: string, service: string, address: string, dependencies: string[] = []): RuntimePod =>
  ({ name, service, address, dependencies, namespace: 'default', uid: name, labels: {}, annotations: {}, phase: 'Running', ready: true, restartCount: 0, startTime: '', port: 1 }) as RuntimePod

describe('planning (pure)', () => {
  it('reads rates as Chaos Mesh does: bps in 1024s of bytes, bit in 1000s of bits', () => {
    expect(parseRate('1mbps')).toBe(1_048_576)
    expect(parseRate('100kbps')).toBe(102_400)
    expect(parseRate(' 8 KBit ')).toBe(1000)
    expect(parseRate('1gbit')).toBe(125_000_000)
    expect(parseRate('fast')).toBeUndefined()
  })

  it('matches external targets by host, host:port and IPv4 CIDR', () => {
    expect(externalMatches('127.0.0.1', '127.0.0.1:6379')).toBe(true)
    expect(externalMatches('127.0.0.1:6379', '127.0.0.1:6379')).toBe(true)
    expect(externalMatches('127.0.0.1:80', '127.0.0.1:6379')).toBe(false)
    expect(externalMatches('127.0.0.0/8', '127.0.0.1:6379')).toBe(true)
    expect(externalMatches('10.0.0.0/8:22', '127.0.0.1:22')).toBe(false)
    expect(externalMatches('8.8.8.8', '127.0.0.1:53')).toBe(false)
  })

  const a = pod('a-1', 'a', '127.0.0.1:1001', ['b', 'c'])
  const b1 = pod('b-1', 'b', '127.0.0.1:2001')
  const b2 = pod('b-2', 'b', '127.0.0.1:2002')
  const d = pod('d-1', 'd', '127.0.0.1:4001', ['a'])
  const x = pod('x-1', 'x', '127.0.0.1:9001')
  it.each([
    ['to, no target: every egress upstream, ingress downstream', 'to', a, undefined, [
      { pod: 'a-1', edge: 'b', direction: 'upstream' }, { pod: 'a-1', edge: 'c', direction: 'upstream' }, { pod: 'a-1', direction: 'downstream' }]],
    ['from, no target: the reverse', 'from', a, undefined, [
      { pod: 'a-1', edge: 'b', direction: 'downstream' }, { pod: 'a-1', edge: 'c', direction: 'downstream' }, { pod: 'a-1', direction: 'upstream' }]],
    ['to one pod of b: the egress limited to its address', 'to', a, [b1], [{ pod: 'a-1', edge: 'b', direction: 'upstream', upstreams: ['127.0.0.1:2001'] }]],
    ['both, b-1 and b-2', 'both', a, [b2, b1], [{ pod: 'a-1', edge: 'b', direction: 'both', upstreams: ['127.0.0.1:2001', '127.0.0.1:2002'] }]],
    ['to a pod that calls a: its egress downstream (replies), limited to a', 'to', a, [d], [{ pod: 'd-1', edge: 'a', direction: 'downstream', upstreams: ['127.0.0.1:1001'] }]],
    ['from a pod that calls a: its egress upstream', 'from', a, [d], [{ pod: 'd-1', edge: 'a', direction: 'upstream', upstreams: ['127.0.0.1:1001'] }]],
    ['a pod with no path', 'to', a, [x], []],
  ] as const)('%s', (_name, direction, source, peers, legs) => {
    expect(planLegs(direction, source, peers as RuntimePod[] | undefined).legs).toEqual(legs)
  })

  it('refuses what the local runtime cannot do, saying why', () => {
    const refused = (body: string): string => {
      try {
        networkChaos.check!(net(body))
      } catch (e) {
        return `${(e as ChaosError).code}: ${(e as Error).message}`
      }
      return 'accepted'
    }
    expect(refused('action: delay\ndelay: {latency: 10ms}\ndevice: eth1')).toMatch(/^SPEC_LOCAL_UNSUPPORTED: spec.device "eth1": local pods have one network path/)
    expect(refused('action: delay\ndelay: {latency: 10ms}\ndirection: from\ntarget: {mode: all, selector: {labelSelectors: {a: b}}}\ntargetDevice: ens5')).toMatch(/^SPEC_LOCAL_UNSUPPORTED: spec.targetDevice "ens5"/)
    expect(refused('action: delay\ndelay: {latency: 10ms}\nremoteCluster: east')).toMatch(/^SPEC_LOCAL_UNSUPPORTED: spec.remoteCluster "east": the local runtime has no remote clusters/)
    expect(refused('action: delay\ndelay: {latency: 10ms}\ndevice: eth0')).toBe('accepted')
  })

  it('refuses a latency or jitter longer than a sidecar holds (1h), naming the field; 1h is held', () => {
    const refused = (body: string): string => {
      try {
        networkChaos.check!(net(body))
      } catch (e) {
        return `${(e as ChaosError).code}: ${(e as Error).message} (${(e as ChaosError).hint})`
      }
      return 'accepted'
    }
    expect(refused('action: delay\ndelay: {latency: 600h}')).toBe('SPEC_LOCAL_UNSUPPORTED: spec.delay.latency "600h": the local sidecars hold a delay of at most 1h (write latency: 1h or less to run it on the local runtime, or run it against a cluster with Chaos Mesh)')
    expect(refused('action: netem\ndelay: {latency: 10ms, jitter: 3600000001us}')).toMatch(/^SPEC_LOCAL_UNSUPPORTED: spec.delay.jitter "3600000001us": the local sidecars hold a delay of at most 1h \(write jitter: 1h/)
    expect(refused('action: delay\ndelay: {latency: 1h, jitter: 60m}')).toBe('accepted')
    expect(refused('action: partition\ndelay: {latency: 2h}')).toBe('accepted') // partition reads no delay block
  })

  it('1h (SIDECAR_MAX_DELAY_MS) is the runtime\'s own limit: a sidecar takes a latency, jitter and http delay of 1h, not 1 ms more', () => {
    expect(SIDECAR_MAX_DELAY_MS).toBe(3_600_000)
    const ok = (f: Record<string, unknown>, mode: 'tcp' | 'http') => {
      try {
        checkFault({ id: 'f', ...f }, mode)
        return true
      } catch {
        return false
      }
    }
    const faults = (ms: number) => [
      [{ type: 'latency', direction: 'upstream', latencyMs: ms }, 'tcp'],
      [{ type: 'latency', direction: 'upstream', latencyMs: 0, jitterMs: ms }, 'tcp'],
      [{ type: 'http', target: 'Request', direction: 'upstream', action: 'delay', delayMs: ms }, 'http'],
    ] as const
    expect(faults(SIDECAR_MAX_DELAY_MS).map(([f, mode]) => ok(f, mode))).toEqual([true, true, true])
    expect(faults(SIDECAR_MAX_DELAY_MS + 1).map(([f, mode]) => ok(f, mode))).toEqual([false, false, false])
  })
})

describe('NetworkChaos on real pods', () => {
  let app: FaultApp
  beforeAll(async () => {
    app = await startFaultApp()
  }, 60_000)
  afterAll(() => app?.close())

  const client = (): RuntimePod => podsOf(app, 'client')[0]!
  const tgt = (p: RuntimePod, peers?: RuntimePod[]) => ({ key: p.name, pod: p, ...(peers ? { peers } : {}) })

  /** A connection through client>echo that landed on the given echo pod (round robin: a few tries). */
  async function connectTo(echoPod: RuntimePod): Promise<LineClient> {
    const port = await egress(app, client().name, 'echo')
    for (let i = 0; i < 6; i++) {
      const c = await LineClient.connect(port)
      const r = await c.ping()
      if (r?.who === String(echoPod.pid)) return c
      c.close()
    }
    throw new Error(`no connection reached ${echoPod.name}`)
  }

  it('delay (to, no target) adds the latency to what the pod sends, and goes away on recover', async () => {
    const port = await egress(app, client().name, 'echo')
    const before = await medianPing(port)
    const ctx = testContext(app.client)
    const inj = await networkChaos.inject(ctx, tgt(client()), net('action: delay\ndelay: {latency: 100ms}'))
    const during = await medianPing(port)
    const ev = await networkChaos.evidence!(ctx, inj)
    await networkChaos.recover(ctx, inj)
    const after = await medianPing(port)
    expect(during - before).toBeGreaterThan(90)
    expect(during - before).toBeLessThan(250)
    expect(after).toBeLessThan(before + 40)
    expect(ev).toMatchObject({ active: inj.data.effects && (inj.data.effects as unknown[]).length })
    expect((ev as { connections: number }).connections).toBeGreaterThan(0)
  })

  it('delay with a target acts only on connections to the targeted pod of a balanced service', async () => {
    const [e1, e2] = podsOf(app, 'echo')
    const ctx = testContext(app.client)
    const inj = await networkChaos.inject(ctx, tgt(client(), [e1!]), net('action: delay\ndelay: {latency: 120ms}\ndirection: to\ntarget: {mode: one, selector: {labelSelectors: {app: echo}}}'))
    try {
      const slow = await connectTo(e1!).catch(() => undefined)
      const fast = await connectTo(e2!)
      // the probe ping of the slow connection was itself delayed; measure a fresh one on each
      expect((await slow?.ping())!.ms).toBeGreaterThan(110)
      expect((await fast.ping())!.ms).toBeLessThan(60)
      slow?.close()
      fast.close()
    } finally {
      await networkChaos.recover(ctx, inj)
    }
  })

  it('to a pod that calls the selected one: its replies are what the selected pod sends (peer egress, downstream)', async () => {
    const [e1, e2] = podsOf(app, 'echo')
    const web = podsOf(app, 'web')[0]!
    const ctx = testContext(app.client)
    const inj = await networkChaos.inject(ctx, tgt(e1!, [web]), net('action: delay\ndelay: {latency: 120ms}\ndirection: to\ntarget: {mode: one, selector: {labelSelectors: {app: web}}}'))
    try {
      expect(inj.data.effects).toEqual([expect.objectContaining({ type: 'sidecar-fault', target: { pod: web.name, edge: 'echo' }, body: { fault: expect.objectContaining({ direction: 'downstream', upstreams: [e1!.address] }) } })])
      const port = await egress(app, web.name, 'echo')
      const by = new Map<string, number>()
      for (let i = 0; i < 4; i++) await withLine(port, async (c) => { const r = (await c.ping())!; by.set(r.who, Math.min(by.get(r.who) ?? Infinity, r.ms)) })
      expect(by.get(String(e1!.pid))).toBeGreaterThan(110)
      expect(by.get(String(e2!.pid))).toBeLessThan(60)
    } finally {
      await networkChaos.recover(ctx, inj)
    }
  })

  /** Bytes the client's egress sidecar toward echo has delivered to echo pods so far. */
  const sentUp = async (): Promise<number> => (await app.rt.stats()).find((s) => s.name === `${client().name}>echo`)!.bytes.upstream

  for (const [direction, ticks, up] of [['to', true, false], ['from', false, true], ['both', false, false]] as const) {
    it(`partition direction ${direction} cuts exactly ${direction === 'to' ? 'client→echo' : direction === 'from' ? 'echo→client' : 'both ways'}`, async () => {
      const e1 = podsOf(app, 'echo')[0]!
      const c = await connectTo(e1)
      try {
        c.socket.write('ticks\n')
        expect(await c.waitLine(/^tick /, 2000)).toBeDefined()
        const ctx = testContext(app.client)
        const inj = await networkChaos.inject(ctx, tgt(client(), [e1]), net(`action: partition\ndirection: ${direction}\ntarget: {mode: one, selector: {labelSelectors: {app: echo}}}`))
        await new Promise((r) => setTimeout(r, 100))
        c.lines.length = 0
        const up0 = await sentUp()
        c.socket.write('ping 99\n')
        // over 500 ms: do server-sent ticks still arrive, does the client's ping reach the server?
        await new Promise((r) => setTimeout(r, 500))
        const sawTicks = c.lines.some((l) => l.startsWith('tick '))
        const pingDelivered = (await sentUp()) > up0
        const sawPong = c.lines.some((l) => l.startsWith('pong 99 '))
        await networkChaos.recover(ctx, inj)
        expect({ ticks: sawTicks, up: pingDelivered, pong: sawPong }).toEqual({ ticks, up, pong: false })
        // healed: what was held is delivered in order, and the round trip completes
        expect(await c.waitLine(/^pong 99 /, 2000)).toBeDefined()
      } finally {
        c.close()
      }
    })
  }

  it('externalTargets act on the calls to the matching external service only', async () => {
    const ctx = testContext(app.client)
    const inj = await networkChaos.inject(ctx, tgt(client()), net(`action: delay\ndelay: {latency: 100ms}\ndirection: to\nexternalTargets: ["${app.extAddress}", "8.8.8.8"]`))
    try {
      expect(inj.data).toMatchObject({ unmatchedExternalTargets: ['8.8.8.8'] })
      expect(await medianPing(await egress(app, client().name, 'ext'), 3)).toBeGreaterThan(90)
      expect(await medianPing(await egress(app, client().name, 'echo'), 3)).toBeLessThan(50)
    } finally {
      await networkChaos.recover(ctx, inj)
    }
    const err = await networkChaos.inject(testContext(app.client), tgt(client()), net('action: partition\ndirection: to\nexternalTargets: ["8.8.8.8"]')).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ChaosError)
    expect((err as ChaosError).code).toBe('RUNTIME_UNKNOWN_EDGE')
    expect((err as Error).message).toMatch(/exchanges no traffic with external target 8\.8\.8\.8/)
  })

  it('loss stalls about the given share of round trips for an RTO', async () => {
    const ctx = testContext(app.client)
    const inj = await networkChaos.inject(ctx, tgt(client()), net('action: loss\nloss: {loss: "50"}'))
    let stalled = 0
    try {
      await withLine(await egress(app, client().name, 'echo'), async (c) => {
        for (let i = 0; i < 24; i++) if ((await c.ping())!.ms > 150) stalled++
      })
      const ev = (await networkChaos.evidence!(ctx, inj)) as { chunks: number }
      expect(ev.chunks).toBeGreaterThan(0)
    } finally {
      await networkChaos.recover(ctx, inj)
    }
    // each round trip crosses two stalled legs (client's egress up, its ingress is unused here): p ≈ 0.5
    expect(stalled).toBeGreaterThanOrEqual(4)
    expect(stalled).toBeLessThanOrEqual(20)
  })

  it('corrupt and duplicate at 100% stall every round trip', async () => {
    for (const body of ['action: corrupt\ncorrupt: {corrupt: "100"}', 'action: duplicate\nduplicate: {duplicate: "100"}']) {
      const ctx = testContext(app.client)
      const inj = await networkChaos.inject(ctx, tgt(client()), net(body))
      try {
        expect(await medianPing(await egress(app, client().name, 'echo'), 3)).toBeGreaterThan(190)
      } finally {
        await networkChaos.recover(ctx, inj)
      }
    }
  })

  it('netem combines its blocks: delay and loss at once', async () => {
    const ctx = testContext(app.client)
    const inj = await networkChaos.inject(ctx, tgt(client()), net('action: netem\ndelay: {latency: 50ms}\nloss: {loss: "100"}'))
    try {
      const parts = new Set((inj.data.effects as { body: { fault: { type: string } } }[]).map((f) => f.body.fault.type))
      expect(parts).toEqual(new Set(['latency', 'stall']))
      expect(await medianPing(await egress(app, client().name, 'echo'), 3)).toBeGreaterThan(240)
    } finally {
      await networkChaos.recover(ctx, inj)
    }
  })

  it('bandwidth limits the bytes the selected pods send to the rate', async () => {
    const echoes = podsOf(app, 'echo')
    const ctx = testContext(app.client)
    const spec = net('action: bandwidth\nbandwidth: {rate: 20kbps, limit: 20000, buffer: 1000}')
    const injs = await Promise.all(echoes.map((e) => networkChaos.inject(ctx, tgt(e), spec)))
    const blob = async (): Promise<number> =>
      withLine(await egress(app, client().name, 'echo'), async (c) => {
        const t0 = performance.now()
        let got = 0
        c.socket.removeAllListeners('data')
        const done = new Promise<void>((r) => c.socket.on('data', (d: Buffer) => { got += d.length; if (got >= 20480) r() }))
        c.socket.write('blob 20480\n')
        await done
        return performance.now() - t0
      })
    try {
      const ms = await blob()
      expect(ms).toBeGreaterThan(700) // (20480 − 1000 burst) / 20480 B/s ≈ 950 ms
      expect(ms).toBeLessThan(2500)
    } finally {
      for (const inj of injs) await networkChaos.recover(ctx, inj)
    }
    expect(await blob()).toBeLessThan(300)
  })

  it('chaoscope.dev/percent limits the fault to about that share of connections', async () => {
    const ctx = testContext(app.client, { 'chaoscope.dev/percent': '50' })
    const inj = await networkChaos.inject(ctx, tgt(client()), net('action: delay\ndelay: {latency: 150ms}'))
    let slow = 0
    const n = 40
    try {
      const port = await egress(app, client().name, 'echo')
      for (let i = 0; i < n; i++) await withLine(port, async (c) => { if ((await c.ping())!.ms > 140) slow++ })
    } finally {
      await networkChaos.recover(ctx, inj)
    }
    expect(slow).toBeGreaterThanOrEqual(8)
    expect(slow).toBeLessThanOrEqual(32)
    const bad = await networkChaos.inject(testContext(app.client, { 'chaoscope.dev/percent': 'half' }), tgt(client()), net('action: delay\ndelay: {latency: 1ms}')).catch((e: unknown) => e)
    expect((bad as ChaosError).code).toBe('SPEC_INVALID_VALUE')
  })

  injectorContract(() => app, () => ({
    injector: networkChaos,
    spec: net('action: delay\ndelay: {latency: 100ms}'),
    target: async () => tgt(client()),
    snapshot: async (a, _t, ctx) => (await ownedFaults(a.client, ctx.experiment.uid)).map((f) => `${f.observed?.sidecar} ${f.id} ${(f.body as SidecarFaultBody).fault.direction}`).sort(),
    acting: async (a) => (await medianPing(await egress(a, client().name, 'echo'), 3)) > 80,
  }))
})
