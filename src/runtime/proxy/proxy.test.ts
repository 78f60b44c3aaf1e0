/** TCP mode: real sockets on port 0; byte-exactness, half-close, upstream switching, and each network toxic. */

import { createHash, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { ChaosError } from '../../errors.js'
import { Client, addr, sleep, withClient, withEcho, withProxy, withTcpServer } from '../../../test/sockets.js'
import { CorrelatedRandom } from './toxics/latency.js'

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex')

/** Round trip of one small message through an echo upstream, in ms. */
async function rtt(c: Client, tag = 'x'): Promise<number> {
  const t = performance.now()
  c.write(tag)
  await c.read(tag.length, 5000)
  return performance.now() - t
}

describe('tcp proxy', () => {
  it('passes 8 MiB each way byte-exact and reports the bound port', async () => {
    await withEcho(async (up) =>
      withProxy({ mode: 'tcp', upstreams: [addr(up)] }, async (p) => {
        expect(p.port).toBeGreaterThan(0)
        await withClient(p.port, async (c) => {
          const data = randomBytes(8 * 1024 * 1024)
          c.write(data)
          const back = await c.read(data.length, 20_000)
          expect(sha(back)).toBe(sha(data))
        })
        const s = p.stats()
        expect(s.bytes.upstream).toBe(8 * 1024 * 1024)
        expect(s.bytes.downstream).toBe(8 * 1024 * 1024)
      }),
    )
  })

  it('propagates a half-close: the client ends, the server still answers, then ends', async () => {
    const server = (s: import('node:net').Socket): void => {
      const got: Buffer[] = []
      s.on('data', (b: Buffer) => got.push(b))
      s.on('end', () => s.end(`got ${Buffer.concat(got).toString()}`))
    }
    await withTcpServer(server, async (up) =>
      withProxy({ mode: 'tcp', upstreams: [addr(up)] }, async (p) =>
        withClient(p.port, async (c) => {
          c.socket.end('hello')
          expect(await c.until(() => c.ended, 3000)).toBe(true)
          expect(c.take().toString()).toBe('got hello')
        }),
      ),
    )
  })

  it('switches upstreams for new connections, keeps existing ones, and resets when there is none', async () => {
    const named = (name: string) => (s: import('node:net').Socket) => s.on('data', () => s.write(name))
    await withTcpServer(named('A'), async (a) =>
      withTcpServer(named('B'), async (b) =>
        withProxy({ mode: 'tcp', upstreams: [addr(a)] }, async (p) => {
          const c1 = await Client.connect(p.port)
          c1.write('?')
          expect((await c1.read(1)).toString()).toBe('A')
          p.setUpstreams([addr(b)])
          await withClient(p.port, async (c2) => {
            c2.write('?')
            expect((await c2.read(1)).toString()).toBe('B')
          })
          c1.write('?')
          expect((await c1.read(1)).toString()).toBe('A')
          c1.close()
          p.setUpstreams([addr(a), addr(b)])
          const seen: string[] = []
          for (let i = 0; i < 4; i++) {
            await withClient(p.port, async (c) => {
              c.write('?')
              seen.push((await c.read(1)).toString())
            })
          }
          expect(seen).toEqual(['A', 'B', 'A', 'B'])
          p.setUpstreams([])
          await withClient(p.port, async (c) => {
            expect(await c.until(() => c.closed, 2000)).toBe(true)
            expect(c.available).toBe(0)
          })
          expect(() => p.setUpstreams(['nonsense'])).toThrow(ChaosError)
        }),
      ),
    )
  })

  it('latency adds the delay within tolerance, keeps order, and removal restores the normal round trip', async () => {
    await withEcho(async (up) =>
      withProxy({ mode: 'tcp', upstreams: [addr(up)] }, async (p) =>
        withClient(p.port, async (c) => {
          const base = Math.min(await rtt(c), await rtt(c), await rtt(c))
          // The fault lands on this existing connection.
          p.addFault({ id: 'lat', type: 'latency', direction: 'downstream', latencyMs: 100 })
          const slow = await rtt(c)
          expect(slow - base).toBeGreaterThan(95)
          expect(slow - base).toBeLessThan(180)
          // Order: 200 writes with a jittered delay each come back in order.
          p.removeFault('lat')
          p.addFault({ id: 'jit', type: 'latency', direction: 'upstream', latencyMs: 20, jitterMs: 19 })
          const parts: string[] = []
          for (let i = 0; i < 200; i++) {
            parts.push(`<${i}>`)
            c.write(`<${i}>`)
            if (i % 20 === 0) await sleep(1)
          }
          const want = parts.join('')
          expect((await c.read(want.length, 5000)).toString()).toBe(want)
          // A held chunk is released at once when the fault goes away.
          p.removeFault('jit')
          p.addFault({ id: 'long', type: 'latency', direction: 'upstream', latencyMs: 5000 })
          const t = performance.now()
          c.write('held')
          await sleep(50)
          expect(c.available).toBe(0)
          p.removeFault('long')
          await c.read(4, 1000)
          expect(performance.now() - t).toBeLessThan(1000)
          expect(await rtt(c)).toBeLessThan(base + 50)
          expect(p.stats().faults).toEqual([])
        }),
      ),
    )
  })

  it('jitter spreads the delays around the latency', async () => {
    await withEcho(async (up) =>
      withProxy({ mode: 'tcp', upstreams: [addr(up)] }, async (p) =>
        withClient(p.port, async (c) => {
          p.addFault({ id: 'j', type: 'latency', direction: 'downstream', latencyMs: 60, jitterMs: 40 })
          const xs: number[] = []
          for (let i = 0; i < 30; i++) xs.push(await rtt(c))
          const min = Math.min(...xs)
          const max = Math.max(...xs)
          expect(min).toBeGreaterThan(15)
          expect(max).toBeLessThan(140)
          expect(max - min).toBeGreaterThan(30)
        }),
      ),
    )
  })

  it('correlation makes consecutive draws lean on each other, as netem does', () => {
    const lag1 = (rho: number): number => {
      const r = new CorrelatedRandom(rho)
      const xs = Array.from({ length: 5000 }, () => r.next())
      const m = xs.reduce((a, b) => a + b) / xs.length
      let num = 0
      let den = 0
      for (let i = 0; i < xs.length; i++) {
        den += (xs[i]! - m) ** 2
        if (i > 0) num += (xs[i]! - m) * (xs[i - 1]! - m)
      }
      return num / den
    }
    expect(Math.abs(lag1(0))).toBeLessThan(0.1)
    expect(lag1(0.9)).toBeGreaterThan(0.7)
  })

  it('bandwidth holds the rate within tolerance', async () => {
    await withEcho(async (up) =>
      withProxy({ mode: 'tcp', upstreams: [addr(up)] }, async (p) =>
        withClient(p.port, async (c) => {
          p.addFault({ id: 'bw', type: 'bandwidth', direction: 'downstream', rate: 400_000, buffer: 4_000 })
          const data = randomBytes(400_000)
          const t = performance.now()
          c.write(data)
          const back = await c.read(data.length, 10_000)
          const s = (performance.now() - t) / 1000
          expect(sha(back)).toBe(sha(data))
          expect(s).toBeGreaterThan(0.85)
          expect(s).toBeLessThan(1.6)
          expect(p.stats().faults[0]!.touched.bytes).toBe(400_000)
        }),
      ),
    )
  })

  it('stall holds about the given share of chunks for the RTO', async () => {
    await withEcho(async (up) =>
      withProxy({ mode: 'tcp', upstreams: [addr(up)] }, async (p) =>
        withClient(p.port, async (c) => {
          p.addFault({ id: 's', type: 'stall', direction: 'upstream', probability: 50, rtoMs: 60 })
          let stalled = 0
          for (let i = 0; i < 40; i++) if ((await rtt(c)) > 50) stalled++
          expect(stalled).toBeGreaterThanOrEqual(8)
          expect(stalled).toBeLessThanOrEqual(32)
          expect(p.stats().faults[0]!.touched.chunks).toBe(stalled)
        }),
      ),
    )
  })

  it('blackhole swallows one direction while the other flows, and heals in order', async () => {
    const server = (s: import('node:net').Socket): void => {
      s.on('data', (b: Buffer) => s.write(`srv:${b.toString()}`))
      const t = setInterval(() => s.write('.'), 20)
      s.on('close', () => clearInterval(t))
    }
    await withTcpServer(server, async (up) =>
      withProxy({ mode: 'tcp', upstreams: [addr(up)] }, async (p) =>
        withClient(p.port, async (c) => {
          await c.read(1)
          p.addFault({ id: 'bh', type: 'blackhole', direction: 'upstream' })
          c.take()
          c.write('ping')
          await sleep(200)
          const seen = c.take().toString()
          expect(seen).toMatch(/^\.+$/) // downstream still flows, the ping never arrived
          p.removeFault('bh')
          expect(await c.until(() => c.available >= 8, 2000)).toBe(true)
          expect(c.take().toString().replace(/\./g, '')).toBe('srv:ping')
          p.addFault({ id: 'bh2', type: 'blackhole', direction: 'downstream' })
          await sleep(30)
          c.take()
          await sleep(150)
          expect(c.available).toBe(0)
          p.removeFault('bh2')
          expect(await c.until(() => c.available > 0, 1000)).toBe(true)
        }),
      ),
    )
  })

  it('reset kills existing connections at once and refuses new ones, until removed', async () => {
    await withEcho(async (up) =>
      withProxy({ mode: 'tcp', upstreams: [addr(up)] }, async (p) => {
        const c = await Client.connect(p.port)
        await rtt(c)
        p.addFault({ id: 'rst', type: 'reset', direction: 'both' })
        expect(await c.until(() => c.closed, 1000)).toBe(true)
        expect(c.error?.code).toBe('ECONNRESET')
        await withClient(p.port, async (c2) => {
          expect(await c2.until(() => c2.closed, 1000)).toBe(true)
        })
        expect(p.stats().faults[0]!.touched.connections).toBe(2)
        p.removeFault('rst')
        await withClient(p.port, async (c3) => expect(await rtt(c3)).toBeLessThan(500))
      }),
    )
  })

  it('percent selects about that share of connections', async () => {
    await withEcho(async (up) =>
      withProxy({ mode: 'tcp', upstreams: [addr(up)] }, async (p) => {
        p.addFault({ id: 'half', type: 'latency', direction: 'downstream', latencyMs: 200, percent: 50 })
        const times = await Promise.all(
          Array.from({ length: 40 }, () => withClient(p.port, (c) => rtt(c))),
        )
        const slow = times.filter((t) => t > 150).length
        expect(slow).toBeGreaterThanOrEqual(8)
        expect(slow).toBeLessThanOrEqual(32)
        expect(p.stats().faults[0]!.touched.connections).toBe(slow)
      }),
    )
  })

  it('rejects malformed faults and duplicate ids with coded errors', async () => {
    await withProxy({ mode: 'tcp', upstreams: ['127.0.0.1:9'] }, async (p) => {
      expect(() => p.addFault({ id: 'x', type: 'latency', direction: 'upstream', latencyMs: -1 })).toThrow(/latencyMs/)
      expect(() =>
        p.addFault({ id: 'h', type: 'http', direction: 'upstream', target: 'Request', action: 'abort' }),
      ).toThrow(/http mode/)
      p.addFault({ id: 'x', type: 'blackhole', direction: 'both' })
      try {
        p.addFault({ id: 'x', type: 'blackhole', direction: 'both' })
        expect.unreachable()
      } catch (e) {
        expect((e as ChaosError).code).toBe('PROXY_FAULT_EXISTS')
      }
      expect(p.removeFault('x')).toBe(true)
      expect(p.removeFault('x')).toBe(false)
    })
  })
})
