/** The hostPort path (a `handoff` proxy) and partitions refused at connect time, over real sockets. */

import net from 'node:net'
import { describe, expect, it } from 'vitest'
import { ChaosError } from '../../errors.js'
import { Client, RawHttp, addr, echoHandler, withEcho, withHttpServer } from '../../../test/sockets.js'
import { DataPlane } from './data-plane.js'
import { Proxy } from './proxy.js'
import type { ProxyStats } from './proxy.js'

async function withDataPlane<T>(fn: (dp: DataPlane) => Promise<T>): Promise<T> {
  const dp = await DataPlane.start()
  try {
    return await fn(dp)
  } finally {
    await dp.close()
  }
}

/** Resolves with how a connect to the port ended: `connected`, or the error code (ECONNREFUSED...). */
function connectOutcome(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' })
    s.once('connect', () => {
      s.destroy()
      resolve('connected')
    })
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message))
  })
}

/** One echoed round trip of `msg`, timed. */
async function echo(c: Client, msg: string, timeoutMs = 5000): Promise<number> {
  const t = performance.now()
  c.write(msg)
  expect((await c.read(msg.length, timeoutMs)).toString()).toBe(msg)
  return performance.now() - t
}

/** Waits for a condition, polling (throws after 5 s). */
async function until(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s')
    await new Promise((r) => setTimeout(r, 10))
  }
}

const byName = (ss: ProxyStats[], name: string): ProxyStats => ss.find((s) => s.name === name)!

/** An ingress sidecar in front of `upstream` and a hostPort proxy that hands to it, in one data plane. */
async function hostPath(dp: DataPlane, mode: 'tcp' | 'http', upstream: number): Promise<{ ingress: number; hostport: number }> {
  const ing = await dp.createProxy({ name: 'ingress:a-1', mode, upstreams: [addr(upstream)], labels: { source: 'ingress' } })
  const hp = await dp.createProxy({ name: 'hostport:a', mode, upstreams: [addr(ing.port)], labels: { source: 'hostport' }, handoff: true })
  return { ingress: ing.port, hostport: hp.port }
}

describe('hostPort path: one hop with the ingress sidecar', () => {
  it('hands the connection to the sidecar instead of connecting to it', async () => {
    await withEcho(async (up) => {
      const ingress = await Proxy.start({ name: 'ingress', mode: 'tcp', upstreams: [addr(up)] })
      // the hostPort proxy's upstream is an address nothing listens at: only a handoff can reach the pod
      const dead = { host: '127.0.0.1', port: 1 }
      const hp = await Proxy.start({ name: 'hostport', mode: 'tcp', upstreams: [`${dead.host}:${dead.port}`], handoff: true }, {
        sidecarAt: (host, port) => (host === dead.host && port === dead.port ? ingress : undefined),
      })
      try {
        const c = await Client.connect(hp.port)
        await echo(c, 'hello')
        expect(ingress.stats().connections.active).toBe(1)
        expect(hp.stats().connections.active).toBe(1)
        c.close()
        await until(() => ingress.stats().connections.active === 0 && hp.stats().connections.active === 0)
        expect(ingress.stats().bytes).toEqual({ upstream: 5, downstream: 5 })
        expect(hp.stats().bytes).toEqual({ upstream: 5, downstream: 5 })
        expect(ingress.stats().connections.total).toBe(1)
      } finally {
        await hp.close()
        await ingress.close()
      }
    })
  })

  it('takes no faults of its own', async () => {
    const hp = await Proxy.start({ name: 'hostport', mode: 'tcp', upstreams: [], handoff: true })
    try {
      expect(() => hp.addFault({ id: 'x', type: 'latency', direction: 'upstream', latencyMs: 1 })).toThrow(ChaosError)
    } finally {
      await hp.close()
    }
  })

  it("the pod's ingress network faults act on hostPort traffic, new and existing connections", async () => {
    await withEcho((up) =>
      withDataPlane(async (dp) => {
        const { hostport } = await hostPath(dp, 'tcp', up)
        const c = await Client.connect(hostport)
        try {
          expect(await echo(c, 'a')).toBeLessThan(100)
          await dp.addFault('ingress:a-1', { id: 'slow', type: 'latency', direction: 'upstream', latencyMs: 150 })
          expect(await echo(c, 'b')).toBeGreaterThan(140) // existing connection
          const d = await Client.connect(hostport)
          expect(await echo(d, 'c')).toBeGreaterThan(140) // new connection
          d.close()
          await dp.removeFault('ingress:a-1', 'slow')

          await dp.addFault('ingress:a-1', { id: 'thin', type: 'bandwidth', direction: 'downstream', rate: 20_000, shape: 'serialize' })
          expect(await echo(c, 'x'.repeat(10_000))).toBeGreaterThan(350) // 10 kB at 20 kB/s: about 500 ms
          await dp.removeFault('ingress:a-1', 'thin')

          await dp.addFault('ingress:a-1', { id: 'loss', type: 'stall', direction: 'upstream', probability: 100, rtoMs: 200 })
          expect(await echo(c, 'l')).toBeGreaterThan(190)
          await dp.removeFault('ingress:a-1', 'loss')

          await dp.addFault('ingress:a-1', { id: 'cut', type: 'blackhole', direction: 'upstream' })
          c.write('held')
          expect(await c.until(() => c.available > 0, 300)).toBe(false)
          await dp.removeFault('ingress:a-1', 'cut')
          expect((await c.read(4)).toString()).toBe('held') // delivered in order once healed

          const ss = await dp.stats()
          expect(byName(ss, 'ingress:a-1').connections.total).toBe(2)
          expect(byName(ss, 'hostport:a').connections.total).toBe(2)
          expect(byName(ss, 'ingress:a-1').bytes).toEqual(byName(ss, 'hostport:a').bytes)
        } finally {
          c.close()
        }
      }),
    )
  })

  it("the pod's ingress http faults act on hostPort requests, and both sidecars count them", async () => {
    await withHttpServer(echoHandler, (up) =>
      withDataPlane(async (dp) => {
        const { hostport } = await hostPath(dp, 'http', up)
        const c = await RawHttp.connect(hostport)
        try {
          expect((await c.request('GET', '/ok')).status).toBe(200)
          await dp.addFault('ingress:a-1', { id: 'unavailable', type: 'http', direction: 'downstream', target: 'Response', action: 'replace', replace: { code: 503 }, match: { path: '/x' } })
          expect((await c.request('GET', '/x')).status).toBe(503)
          await dp.addFault('ingress:a-1', { id: 'late', type: 'http', direction: 'downstream', target: 'Response', action: 'delay', delayMs: 150 })
          const t = performance.now()
          expect((await c.request('GET', '/ok')).status).toBe(200)
          expect(performance.now() - t).toBeGreaterThan(140)
          await dp.addFault('ingress:a-1', { id: 'gone', type: 'http', direction: 'upstream', target: 'Request', action: 'abort', match: { path: '/gone' } })
          await expect(c.request('GET', '/gone')).rejects.toThrow(/closed/)
          const ss = await dp.stats()
          for (const name of ['ingress:a-1', 'hostport:a']) {
            expect(byName(ss, name).requests, name).toMatchObject({ '2xx': 2, '5xx': 1, error: 1 })
          }
          const touched = Object.fromEntries(byName(ss, 'ingress:a-1').faults.map((f) => [f.spec.id, f.touched.requests]))
          expect(touched).toMatchObject({ unavailable: 1, late: 1, gone: 1 })
        } finally {
          c.close()
        }
      }),
    )
  })
})

describe('a partition refuses new connections at connect time', () => {
  it('closes the sidecar port (and a hostPort whose every pod is cut) while it lasts; established ones stay held', async () => {
    await withEcho((up) =>
      withDataPlane(async (dp) => {
        const { ingress, hostport } = await hostPath(dp, 'tcp', up)
        const held = await Client.connect(hostport)
        try {
          await echo(held, 'a')
          await dp.addFault('ingress:a-1', { id: 'part', type: 'blackhole', direction: 'both' })
          expect(await connectOutcome(ingress)).toBe('ECONNREFUSED')
          expect(await connectOutcome(hostport)).toBe('ECONNREFUSED')
          held.write('b')
          expect(await held.until(() => held.available > 0, 300)).toBe(false)
          expect(held.closed).toBe(false)

          await dp.removeFault('ingress:a-1', 'part')
          expect((await held.read(1)).toString()).toBe('b')
          for (const port of [ingress, hostport]) {
            const c = await Client.connect(port) // the same ports again
            await echo(c, 'again')
            c.close()
          }
        } finally {
          held.close()
        }
      }),
    )
  })

  it('keeps accepting (and holding) when the partition does not cover every new connection', async () => {
    await withEcho((up) =>
      withDataPlane(async (dp) => {
        const { ingress } = await hostPath(dp, 'tcp', up)
        const other = await dp.createProxy({ name: 'ingress:a-2', mode: 'tcp', upstreams: [addr(up)] })
        const hp2 = await dp.createProxy({ name: 'hostport:b', mode: 'tcp', upstreams: [addr(ingress), addr(other.port)], handoff: true })
        await dp.addFault('ingress:a-1', { id: 'one-way', type: 'blackhole', direction: 'upstream' })
        expect(await connectOutcome(ingress)).toBe('connected')
        await dp.removeFault('ingress:a-1', 'one-way')
        await dp.addFault('ingress:a-1', { id: 'half', type: 'blackhole', direction: 'both', percent: 50 })
        expect(await connectOutcome(ingress)).toBe('connected')
        await dp.removeFault('ingress:a-1', 'half')
        await dp.addFault('ingress:a-1', { id: 'elsewhere', type: 'blackhole', direction: 'both', upstreams: ['127.0.0.1:1'] })
        expect(await connectOutcome(ingress)).toBe('connected')
        await dp.removeFault('ingress:a-1', 'elsewhere')

        // one of the two pods behind hostport:b is cut: the hostPort still accepts
        await dp.addFault('ingress:a-1', { id: 'part', type: 'blackhole', direction: 'both' })
        expect(await connectOutcome(ingress)).toBe('ECONNREFUSED')
        expect(await connectOutcome(hp2.port)).toBe('connected')
        await dp.addFault('ingress:a-2', { id: 'part', type: 'blackhole', direction: 'both' })
        expect(await connectOutcome(hp2.port)).toBe('ECONNREFUSED')
        await dp.removeFault('ingress:a-2', 'part')
        expect(await connectOutcome(hp2.port)).toBe('connected')
      }),
    )
  })
})
