/** Backpressure on the no-fault path: a reader that stops reading stops the proxy reading, each way; nothing is lost. */

import net from 'node:net'
import type { Socket } from 'node:net'
import { createHash, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { addr, sleep, withProxy, withTcpServer } from '../../../test/sockets.js'
import type { Proxy } from './proxy.js'

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex')

/** 32 MiB: far more than the kernel buffers of a stalled loopback connection hold (a few MiB). */
const DATA = randomBytes(32 * 1024 * 1024)

/**
 * What the proxy read from that side once it stops growing (unchanged for 500 ms). With backpressure it stops at
 * what the kernel buffers past the proxy take; without, it would read all 32 MiB into its own memory.
 */
async function settled(read: () => number): Promise<number> {
  let last = -1
  let since = performance.now()
  const t0 = performance.now()
  while (performance.now() - t0 < 15_000) {
    const v = read()
    if (v !== last) {
      last = v
      since = performance.now()
    } else if (performance.now() - since >= 500) return v
    await sleep(50)
  }
  return last
}

/** Writes `data` respecting the socket's own backpressure (the writer is well behaved; the proxy must be too). */
function writeAll(s: Socket, data: Buffer): void {
  let off = 0
  const more = (): void => {
    while (off < data.length) {
      const piece = data.subarray(off, off + 256 * 1024)
      off += piece.length
      if (!s.write(piece)) return void s.once('drain', more)
    }
    s.end()
  }
  more()
}

/** Reads everything a socket sends until it ends. */
function readAll(s: Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const got: Buffer[] = []
    s.on('data', (b: Buffer) => got.push(b))
    s.on('end', () => resolve(Buffer.concat(got)))
    s.on('error', reject)
  })
}

const BOUND = 16 * 1024 * 1024

/**
 * A client writing DATA through a tcp proxy to a server that does not read: runs `fn` once the proxy has stopped
 * reading from the client, with what it read by then, and the server's socket (still paused).
 */
async function throughStalledServer(fn: (p: Proxy, read: number, server: Socket) => Promise<void>): Promise<void> {
  let server: Socket | undefined
  await withTcpServer(
    (s) => {
      s.pause()
      server = s
    },
    async (up) =>
      withProxy({ mode: 'tcp', upstreams: [addr(up)] }, async (p: Proxy) => {
        const c = net.connect({ port: p.port, host: '127.0.0.1' })
        c.on('error', () => {})
        try {
          await new Promise<void>((r) => c.once('connect', () => r()))
          writeAll(c, DATA)
          const read = await settled(() => p.stats().received.upstream)
          expect(server).toBeDefined()
          await fn(p, read, server!)
        } finally {
          c.destroy()
        }
      }),
  )
}

describe('no-fault path backpressure', () => {
  it('a server that stops reading stops the proxy reading from the client; resumed, it gets every byte in order', async () => {
    await throughStalledServer(async (p, read, server) => {
      expect(read).toBeGreaterThan(0)
      expect(read).toBeLessThan(BOUND)
      const received = readAll(server)
      server.resume()
      const back = await received
      expect(back.length).toBe(DATA.length)
      expect(sha(back)).toBe(sha(DATA))
      expect(p.stats().bytes.upstream).toBe(DATA.length)
    })
  })

  it('a client that stops reading stops the proxy reading from the server; resumed, it gets every byte in order', async () => {
    await withTcpServer(
      (s) => writeAll(s, DATA),
      async (up) =>
        withProxy({ mode: 'tcp', upstreams: [addr(up)] }, async (p: Proxy) => {
          const c = net.connect({ port: p.port, host: '127.0.0.1' })
          c.pause()
          c.on('error', () => {})
          try {
            const read = await settled(() => p.stats().received.downstream)
            expect(read).toBeGreaterThan(0)
            expect(read).toBeLessThan(BOUND)
            const got = readAll(c)
            c.resume()
            const back = await got
            expect(back.length).toBe(DATA.length)
            expect(sha(back)).toBe(sha(DATA))
            expect(p.stats().bytes.downstream).toBe(DATA.length)
          } finally {
            c.destroy()
          }
        }),
    )
  })

  it('a fault added while written bytes wait in the socket, and removed again, keeps every byte in order', async () => {
    await throughStalledServer(async (p, _read, server) => {
      // Writes wait in the upstream socket now; the fault's stage goes in front of them, its output behind them.
      p.addFault({ id: 'lat', type: 'latency', direction: 'upstream', latencyMs: 5, jitterMs: 5 })
      const received = readAll(server)
      server.resume()
      for (let i = 0; i < 300 && p.stats().bytes.upstream < DATA.length / 2; i++) await sleep(50)
      expect(p.removeFault('lat')).toBe(true)
      const back = await received
      expect(back.length).toBe(DATA.length)
      expect(sha(back)).toBe(sha(DATA))
    })
  })
})
