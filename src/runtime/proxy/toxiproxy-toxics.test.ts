/** Toxiproxy's toxics on the data plane: slicer, limitData, timeout, reset with timeout, slowClose, serialized bandwidth; real sockets on port 0. */

import net from 'node:net'
import type { Socket } from 'node:net'
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { ChaosError } from '../../errors.js'
import { Client, addr, withClient, withEcho, withProxy, withTcpServer } from '../../../test/sockets.js'
import type { Proxy } from './proxy.js'
import { DataPlane } from './data-plane.js'
import { checkFault } from './toxic.js'
import type { FaultSpec } from './toxic.js'
import { sliceEnds } from './toxics/slicer.js'

/** What one socket saw: every read with its time, the end (FIN), an error, the close. */
class Seen {
  readonly reads: { at: number; n: number }[] = []
  private parts: Buffer[] = []
  endedAt: number | undefined
  closedAt: number | undefined
  error: NodeJS.ErrnoException | undefined
  private waiters: (() => void)[] = []

  constructor(readonly socket: Socket) {
    socket.on('data', (b: Buffer) => {
      this.reads.push({ at: performance.now(), n: b.length })
      this.parts.push(b)
      this.wake()
    })
    socket.on('end', () => {
      this.endedAt = performance.now()
      this.wake()
    })
    socket.on('error', (e) => {
      this.error = e
      this.wake()
    })
    socket.on('close', () => {
      this.closedAt = performance.now()
      this.wake()
    })
  }

  private wake(): void {
    const w = this.waiters
    this.waiters = []
    for (const f of w) f()
  }

  get bytes(): Buffer {
    return Buffer.concat(this.parts)
  }

  get size(): number {
    return this.reads.reduce((a, r) => a + r.n, 0)
  }

  /** Waits for cond (re-checked on every event of the socket); false after timeoutMs. */
  async until(cond: () => boolean, timeoutMs = 5000): Promise<boolean> {
    const deadline = performance.now() + timeoutMs
    while (!cond()) {
      const left = deadline - performance.now()
      if (left <= 0) return false
      await new Promise<void>((r) => {
        const t = setTimeout(r, left)
        this.waiters.push(() => {
          clearTimeout(t)
          r()
        })
      })
    }
    return true
  }
}

/** An upstream server whose accepted sockets are recorded; `onConn` may write to them. */
async function withServer<T>(onConn: (s: Seen) => void, fn: (port: number, conns: Seen[]) => Promise<T>): Promise<T> {
  const conns: Seen[] = []
  return withTcpServer(
    (s) => {
      const seen = new Seen(s)
      conns.push(seen)
      onConn(seen)

    },
    (port) => fn(port, conns),
  )
}

function connect(port: number): Promise<Seen> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true, noDelay: true })
    const seen = new Seen(s)
    s.once('connect', () => resolve(seen))
    s.once('close', () => resolve(seen))
  })
}

/** Waits (re-checking every few ms) until cond holds; throws after timeoutMs. */
async function eventually(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 2))
  }
}

/** The connection's server side, once accepted. */
async function serverSide(conns: Seen[], i = 0): Promise<Seen> {
  await eventually(() => conns.length > i, 'the upstream to accept')
  return conns[i]!
}

const tcp = <T>(up: number, fn: (p: Proxy) => Promise<T>): Promise<T> => withProxy({ mode: 'tcp', upstreams: [addr(up)] }, fn)

describe('slicer', () => {
  it("cuts as Toxiproxy's halving does: every piece 1..average+variation bytes, all bytes covered", () => {
    expect(sliceEnds(800, 100, 0)).toEqual([100, 200, 300, 400, 500, 600, 700, 800])
    expect(sliceEnds(100, 100, 0)).toEqual([100])
    for (const [size, avg, v] of [
      [10_000, 100, 20],
      [4097, 7, 3],
      [1000, 10, 10],
      [1000, 5, 50],
    ] as const) {
      const ends = sliceEnds(size, avg, v)
      expect(ends.at(-1)).toBe(size)
      let start = 0
      for (const e of ends) {
        expect(e - start).toBeGreaterThanOrEqual(1)
        expect(e - start).toBeLessThanOrEqual(avg + v)
        start = e
      }
    }
  })

  it('delivers every byte in pieces of the asked size, delayUs apart', async () => {
    const data = randomBytes(800)
    await withServer(
      (s) => s.socket.on('data', () => s.socket.write(data)),
      (up) =>
        tcp(up, async (p) => {
          p.addFault({ id: 's', type: 'slicer', direction: 'downstream', averageSize: 100, sizeVariation: 0, delayUs: 10_000 })
          const c = await connect(p.port)
          c.socket.write('go')
          expect(await c.until(() => c.size >= 800)).toBe(true)
          expect(c.bytes.equals(data)).toBe(true)
          // Pieces of 100 bytes, written 10 ms apart: the client sees them as separate reads (a late timer may
          // merge two, never cut one), and the last comes ~70 ms after the first.
          expect(c.reads.length).toBeGreaterThanOrEqual(6)
          for (const r of c.reads) expect(r.n % 100).toBe(0)
          expect(c.reads.at(-1)!.at - c.reads[0]!.at).toBeGreaterThanOrEqual(60)
          c.socket.destroy()
        }),
    )
  })
})

describe('limitData', () => {
  it('downstream: exactly N bytes reach the client, then both sides are closed with a FIN', async () => {
    const data = randomBytes(1000)
    await withServer(
      (s) => s.socket.write(data),
      (up, conns) =>
        tcp(up, async (p) => {
          p.addFault({ id: 'l', type: 'limitData', direction: 'downstream', bytes: 300 })
          const c = await connect(p.port)
          expect(await c.until(() => c.endedAt !== undefined)).toBe(true)
          expect(c.bytes.equals(data.subarray(0, 300))).toBe(true)
          expect(c.error).toBeUndefined()
          const s = await serverSide(conns)
          expect(await s.until(() => s.endedAt !== undefined || s.closedAt !== undefined)).toBe(true)
          await eventually(() => p.stats().connections.active === 0, 'the connection to go')
          c.socket.destroy()
        }),
    )
  })

  it('upstream: the server gets exactly N bytes and a FIN; the client gets a FIN too', async () => {
    const data = randomBytes(5000)
    await withServer(
      () => {},
      (up, conns) =>
        tcp(up, async (p) => {
          p.addFault({ id: 'l', type: 'limitData', direction: 'upstream', bytes: 1234 })
          const c = await connect(p.port)
          c.socket.write(data)
          const s = await serverSide(conns)
          expect(await s.until(() => s.endedAt !== undefined)).toBe(true)
          expect(s.bytes.equals(data.subarray(0, 1234))).toBe(true)
          expect(await c.until(() => c.endedAt !== undefined)).toBe(true)
          c.socket.destroy()
        }),
    )
  })

  it('added to an existing connection, counts from then on', async () => {
    await withServer(
      (s) => s.socket.on('data', (b: Buffer) => s.socket.write(b.toString() === 'big' ? Buffer.alloc(500, 7) : b)),
      (up) =>
        tcp(up, async (p) => {
          const c = await connect(p.port)
          c.socket.write('x'.repeat(50))
          expect(await c.until(() => c.size >= 50)).toBe(true)
          p.addFault({ id: 'l', type: 'limitData', direction: 'downstream', bytes: 100 })
          c.socket.write('big')
          expect(await c.until(() => c.endedAt !== undefined)).toBe(true)
          expect(c.size).toBe(150)
          c.socket.destroy()
        }),
    )
  })

  it('percent draws once per connection: 0 leaves every connection alone, 100 takes every one', async () => {
    const data = randomBytes(1000)
    await withServer(
      (s) => {
        s.socket.write(data)
        s.socket.on('end', () => s.socket.end())
      },
      (up) =>
        tcp(up, async (p) => {
          p.addFault({ id: 'none', type: 'limitData', direction: 'downstream', bytes: 10, percent: 0 })
          for (let i = 0; i < 3; i++) {
            const c = await connect(p.port)
            expect(await c.until(() => c.size >= 1000)).toBe(true)
            expect(c.endedAt).toBeUndefined()
            c.socket.end()
          }
          p.removeFault('none')
          await eventually(() => p.stats().connections.active === 0, 'the first connections to go')
          p.addFault({ id: 'all', type: 'limitData', direction: 'downstream', bytes: 10, percent: 100 })
          for (let i = 0; i < 3; i++) {
            const c = await connect(p.port)
            expect(await c.until(() => c.endedAt !== undefined)).toBe(true)
            expect(c.size).toBe(10)
            c.socket.destroy()
          }
          expect(p.faultStats()[0]!.touched.connections).toBe(3)
        }),
    )
  })
})

describe('timeout', () => {
  it('drops the direction and closes the connection timeoutMs after the last byte arrived', async () => {
    await withServer(
      () => {},
      (up, conns) =>
        tcp(up, async (p) => {
          p.addFault({ id: 't', type: 'timeout', direction: 'upstream', timeoutMs: 200 })
          const c = await connect(p.port)
          c.socket.write('dropped')
          const t0 = performance.now()
          expect(await c.until(() => c.endedAt !== undefined, 3000)).toBe(true)
          const took = c.endedAt! - t0
          expect(took).toBeGreaterThanOrEqual(180)
          expect(took).toBeLessThan(1500)
          const s = await serverSide(conns)
          expect(await s.until(() => s.endedAt !== undefined)).toBe(true)
          expect(s.size).toBe(0)
          expect(p.stats().received.upstream).toBe(7)
          expect(p.stats().bytes.upstream).toBe(0)
          c.socket.destroy()
        }),
    )
  })

  it('0 never closes by time; removing it closes the connection (both sides see EOF), as in Toxiproxy', async () => {
    await withEcho((up) =>
      tcp(up, async (p) => {
        const c = await connect(p.port)
        c.socket.write('a')
        expect(await c.until(() => c.size === 1)).toBe(true)
        p.addFault({ id: 't', type: 'timeout', direction: 'upstream', timeoutMs: 0 })
        c.socket.write('bcd')
        // Nothing comes back and the connection stays open while the fault lasts.
        expect(await c.until(() => c.size > 1 || c.endedAt !== undefined, 300)).toBe(false)
        expect(p.stats().received.upstream).toBe(4)
        p.removeFault('t')
        expect(await c.until(() => c.endedAt !== undefined)).toBe(true)
        expect(c.size).toBe(1)
        await eventually(() => p.stats().connections.active === 0, 'the connection to go')
        c.socket.destroy()
      }),
    )
  })

  it('removing it closes connections percent left alone too (Toxiproxy cleans up every stub)', async () => {
    await withEcho((up) =>
      tcp(up, async (p) => {
        p.addFault({ id: 't', type: 'timeout', direction: 'downstream', timeoutMs: 0, percent: 0 })
        const c = await connect(p.port)
        c.socket.write('abc')
        expect(await c.until(() => c.size === 3)).toBe(true)
        p.removeFault('t')
        expect(await c.until(() => c.endedAt !== undefined)).toBe(true)
        c.socket.destroy()
      }),
    )
  })
})

describe('reset with timeoutMs (reset_peer)', () => {
  it('the first byte in the direction starts the wait; after timeoutMs the client gets ECONNRESET', async () => {
    await withEcho((up) =>
      tcp(up, async (p) => {
        p.addFault({ id: 'r', type: 'reset', direction: 'downstream', timeoutMs: 150 })
        const c = await connect(p.port)
        // Not reset at accept: the connection is up until a byte comes back.
        expect(c.closedAt).toBeUndefined()
        const t0 = performance.now()
        c.socket.write('ping')
        expect(await c.until(() => c.error !== undefined, 3000)).toBe(true)
        expect(c.error!.code).toBe('ECONNRESET')
        const took = performance.now() - t0
        expect(took).toBeGreaterThanOrEqual(140)
        expect(took).toBeLessThan(1500)
        expect(c.size).toBe(0)
      }),
    )
  })

  it('0 resets as soon as the first byte arrives; the server gets nothing; existing connections too', async () => {
    await withServer(
      () => {},
      (up, conns) =>
        tcp(up, async (p) => {
          const old = await connect(p.port)
          await serverSide(conns, 0)
          p.addFault({ id: 'r', type: 'reset', direction: 'upstream', timeoutMs: 0 })
          const c = await connect(p.port)
          const s = await serverSide(conns, 1)
          for (const k of [c, old]) {
            k.socket.write('hello')
            expect(await k.until(() => k.error !== undefined, 3000)).toBe(true)
            expect(k.error!.code).toBe('ECONNRESET')
          }
          expect(await s.until(() => s.closedAt !== undefined)).toBe(true)
          expect(s.size).toBe(0)
        }),
    )
  })

  it('finOnExisting: connections open before the fault end with a FIN, new ones with a reset (Toxiproxy)', async () => {
    await withEcho((up) =>
      tcp(up, async (p) => {
        const old = await connect(p.port)
        old.socket.write('a')
        expect(await old.until(() => old.size === 1)).toBe(true)
        p.addFault({ id: 'r', type: 'reset', direction: 'downstream', timeoutMs: 0, finOnExisting: true })
        const fresh = await connect(p.port)
        for (const k of [old, fresh]) k.socket.write('hi')
        expect(await old.until(() => old.endedAt !== undefined || old.error !== undefined)).toBe(true)
        expect(old.error).toBeUndefined()
        expect(old.size).toBe(1)
        expect(await fresh.until(() => fresh.error !== undefined)).toBe(true)
        expect(fresh.error!.code).toBe('ECONNRESET')
        old.socket.destroy()
      }),
    )
  })

  it('removed before any byte, it leaves the connection alone', async () => {
    await withEcho((up) =>
      tcp(up, async (p) =>
        withClient(p.port, async (c: Client) => {
          p.addFault({ id: 'r', type: 'reset', direction: 'both', timeoutMs: 0 })
          p.removeFault('r')
          c.write('still here')
          expect((await c.read(10)).toString()).toBe('still here')
        }),
      ),
    )
  })
})

describe('slowClose', () => {
  it('holds the FIN of the direction delayMs; the data before it is not held', async () => {
    await withServer(
      (s) => s.socket.on('data', () => s.socket.end('bye')),
      (up) =>
        tcp(up, async (p) => {
          p.addFault({ id: 'sc', type: 'slowClose', direction: 'downstream', delayMs: 250 })
          const c = await connect(p.port)
          const t0 = performance.now()
          c.socket.write('?')
          expect(await c.until(() => c.endedAt !== undefined, 3000)).toBe(true)
          expect(c.bytes.toString()).toBe('bye')
          expect(c.reads[0]!.at - t0).toBeLessThan(150)
          expect(c.endedAt! - c.reads[0]!.at).toBeGreaterThanOrEqual(230)
          c.socket.destroy()
        }),
    )
  })

  it('removing it lets a held FIN go at once', async () => {
    await withServer(
      (s) => s.socket.on('data', () => s.socket.end('bye')),
      (up) =>
        tcp(up, async (p) => {
          p.addFault({ id: 'sc', type: 'slowClose', direction: 'downstream', delayMs: 60_000 })
          const c = await connect(p.port)
          c.socket.write('?')
          expect(await c.until(() => c.size === 3)).toBe(true)
          await eventually(() => p.stats().bytes.downstream === 3, 'the data to pass')
          p.removeFault('sc')
          expect(await c.until(() => c.endedAt !== undefined, 1000)).toBe(true)
          c.socket.destroy()
        }),
    )
  })
})

describe('bandwidth shape serialize', () => {
  it("holds each piece for its own transmission time, as Toxiproxy's rate does (no burst)", async () => {
    const data = randomBytes(3000)
    await withServer(
      (s) => s.socket.on('data', () => s.socket.write(data)),
      (up) =>
        tcp(up, async (p) => {
          // 10 000 bytes/s (Toxiproxy rate 10): pieces of 1000 bytes, one per 100 ms, the first after 100 ms.
          p.addFault({ id: 'bw', type: 'bandwidth', direction: 'downstream', rate: 10_000, shape: 'serialize' })
          const c = await connect(p.port)
          const t0 = performance.now()
          c.socket.write('?')
          expect(await c.until(() => c.size >= 3000)).toBe(true)
          expect(c.bytes.equals(data)).toBe(true)
          expect(c.reads[0]!.at - t0).toBeGreaterThanOrEqual(90)
          expect(c.reads.at(-1)!.at - t0).toBeGreaterThanOrEqual(285)
          expect(c.reads.at(-1)!.at - t0).toBeLessThan(1000)
          c.socket.destroy()
        }),
    )
  })
})

describe('checks', () => {
  const bad = (f: Record<string, unknown>, mode: 'tcp' | 'http', field: string): void => {
    try {
      checkFault({ id: 'f', direction: 'upstream', ...f }, mode)
      expect.unreachable(`accepted ${JSON.stringify(f)}`)
    } catch (e) {
      expect(e).toBeInstanceOf(ChaosError)
      expect((e as ChaosError).code).toBe('PROXY_INVALID_FAULT')
      expect((e as ChaosError).message).toContain(field)
    }
  }

  it('rejects bad fields of the new types with PROXY_INVALID_FAULT naming the field', () => {
    bad({ type: 'slicer' }, 'tcp', 'averageSize')
    bad({ type: 'slicer', averageSize: 0 }, 'tcp', 'averageSize')
    bad({ type: 'slicer', averageSize: 10.5 }, 'tcp', 'averageSize')
    bad({ type: 'slicer', averageSize: 10, sizeVariation: -1 }, 'tcp', 'sizeVariation')
    bad({ type: 'slicer', averageSize: 10, delayUs: -1 }, 'tcp', 'delayUs')
    bad({ type: 'limitData' }, 'tcp', 'bytes')
    bad({ type: 'limitData', bytes: 10 }, 'http', 'tcp mode')
    bad({ type: 'timeout' }, 'tcp', 'timeoutMs')
    bad({ type: 'timeout', timeoutMs: 3e9 }, 'tcp', 'timeoutMs')
    bad({ type: 'reset', timeoutMs: -5 }, 'tcp', 'timeoutMs')
    bad({ type: 'reset', timeoutMs: 5 }, 'http', 'tcp mode')
    bad({ type: 'slowClose' }, 'tcp', 'delayMs')
    bad({ type: 'bandwidth', rate: 100, shape: 'fast' }, 'tcp', 'shape')
    const ok: FaultSpec[] = [
      { id: 'a', direction: 'both', type: 'slicer', averageSize: 1 },
      { id: 'b', direction: 'upstream', type: 'limitData', bytes: 0 },
      { id: 'c', direction: 'upstream', type: 'timeout', timeoutMs: 0 },
      { id: 'd', direction: 'upstream', type: 'reset', timeoutMs: 0 },
      { id: 'e', direction: 'downstream', type: 'slowClose', delayMs: 0 },
    ]
    for (const f of ok) expect(checkFault(f, 'tcp')).toBe(f)
    expect(checkFault({ id: 'r', direction: 'both', type: 'reset' }, 'http').type).toBe('reset')
  })
})

describe('through the data plane worker', () => {
  it('takes the new types and reports bytes received before the faults beside bytes delivered', async () => {
    const data = randomBytes(1000)
    await withServer(
      (s) => s.socket.on('data', () => s.socket.write(data)),
      async (up) => {
        const dp = await DataPlane.start()
        try {
          const { port } = await dp.createProxy({ name: 'tp', mode: 'tcp', upstreams: [addr(up)] })
          await dp.addFault('tp', { id: 'l', type: 'limitData', direction: 'downstream', bytes: 400 })
          await dp.addFault('tp', { id: 's', type: 'slicer', direction: 'downstream', averageSize: 64 })
          await expect(dp.addFault('tp', { id: 'x', type: 'slicer', direction: 'downstream' } as unknown as FaultSpec)).rejects.toMatchObject({
            code: 'PROXY_INVALID_FAULT',
          })
          const c = await connect(port)
          c.socket.write('?')
          expect(await c.until(() => c.endedAt !== undefined)).toBe(true)
          expect(c.bytes.equals(data.subarray(0, 400))).toBe(true)
          let st = (await dp.stats())[0]!
          const deadline = Date.now() + 5000
          while (st.received.downstream < 1000 && Date.now() < deadline) st = (await dp.stats())[0]!
          expect(st.received).toEqual({ upstream: 1, downstream: 1000 })
          expect(st.bytes).toEqual({ upstream: 1, downstream: 400 })
          c.socket.destroy()
        } finally {
          await dp.close()
        }
      },
    )
  })
})
