/** The data plane's fast paths: direct writes with no fault, batched HTTP output, shared read buffer, released timers. */

import net from 'node:net'
import { createHash, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { addr, sleep, withClient, withEcho, withHttpServer, withProxy, withTcpServer, echoHandler } from '../../../test/sockets.js'
import { HttpParser } from '../../wire/http-parser.js'
import type { Head } from '../../wire/http-parser.js'

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex')

/** Raw bytes sent on one connection, and everything that came back, split into responses. */
async function rawExchange(port: number, bytes: Buffer, responses: number): Promise<{ heads: Head[]; bodies: string[] }> {
  const sock = net.connect({ port, host: '127.0.0.1' })
  const heads: Head[] = []
  const bodies: string[] = []
  let body: Buffer[] = []
  const parser = new HttpParser('response', {
    head: (h) => heads.push(h),
    body: (b) => body.push(Buffer.from(b)),
    end: () => {
      bodies.push(Buffer.concat(body).toString())
      body = []
    },
    error: (m) => sock.destroy(new Error(m)),
  })
  try {
    await new Promise<void>((resolve, reject) => {
      sock.on('data', (b: Buffer) => {
        parser.feed(b)
        if (bodies.length >= responses) resolve()
      })
      sock.on('error', reject)
      sock.on('close', () => reject(new Error(`closed after ${bodies.length} responses`)))
      sock.write(bytes)
    })
  } finally {
    sock.destroy()
  }
  return { heads, bodies }
}

describe('data plane fast paths', () => {
  it('a fault added while bytes stream on the no-fault path acts within milliseconds; nothing is lost or reordered', async () => {
    await withEcho(async (up) =>
      withProxy({ mode: 'tcp', upstreams: [addr(up)] }, async (p) =>
        withClient(p.port, async (c) => {
          // Stream numbered records through the direct path while the fault comes and goes.
          const sent: string[] = []
          let i = 0
          const writeSome = (n: number): void => {
            for (let k = 0; k < n; k++, i++) {
              const rec = `<${i}>`
              sent.push(rec)
              c.write(rec)
            }
          }
          writeSome(200)
          await sleep(5)
          const t0 = performance.now()
          p.addFault({ id: 'lat', type: 'latency', direction: 'downstream', latencyMs: 40 })
          writeSome(1)
          const marker = sent.join('')
          await c.read(marker.length, 5000)
          const took = performance.now() - t0
          // The record written right after the add was held: the fault took effect at once.
          expect(took).toBeGreaterThanOrEqual(39)
          expect(took).toBeLessThan(40 + 60)
          writeSome(300)
          await sleep(10)
          expect(p.removeFault('lat')).toBe(true)
          writeSome(300)
          const rest = sent.join('').slice(marker.length)
          expect((await c.read(rest.length, 5000)).toString()).toBe(rest)
          const s = p.stats()
          expect(s.bytes.upstream).toBe(sent.join('').length)
          expect(s.bytes.downstream).toBe(sent.join('').length)
        }),
      ),
    )
  })

  it('moves 4 MiB each way byte-exact through a slow reader (pause and resume on the shared read buffer)', async () => {
    // An upstream that reads slowly, so the proxy's writes back up and it must pause its reads.
    const data = randomBytes(4 * 1024 * 1024)
    await withTcpServer(
      (s) => {
        const got: Buffer[] = []
        let size = 0
        s.pause()
        const tick = setInterval(() => {
          let b: Buffer | null
          while ((b = s.read() as Buffer | null) !== null) {
            got.push(b)
            size += b.length
          }
          if (size >= data.length) {
            clearInterval(tick)
            s.end(Buffer.concat(got))
          }
        }, 5)
        s.on('close', () => clearInterval(tick))
      },
      async (up) =>
        withProxy({ mode: 'tcp', upstreams: [addr(up)] }, async (p) =>
          withClient(p.port, async (c) => {
            c.write(data)
            const back = await c.read(data.length, 30_000)
            expect(sha(back)).toBe(sha(data))
          }),
        ),
    )
  })

  it('pipelined requests read together come back whole and in order; a request head and body leave together', async () => {
    await withHttpServer(echoHandler, async (up) =>
      withProxy({ mode: 'http', upstreams: [addr(up)] }, async (p) => {
        const reqs: string[] = []
        for (let i = 0; i < 5; i++) {
          const body = `body-${i}`
          reqs.push(`POST /r/${i} HTTP/1.1\r\nhost: x\r\ncontent-length: ${body.length}\r\n\r\n${body}`)
        }
        const { heads, bodies } = await rawExchange(p.port, Buffer.from(reqs.join('')), 5)
        expect(heads.map((h) => h.status)).toEqual([200, 200, 200, 200, 200])
        const echoes = bodies.map((b) => JSON.parse(b) as { url: string; body: string; headers: Record<string, string> })
        expect(echoes.map((e) => e.url)).toEqual(['/r/0', '/r/1', '/r/2', '/r/3', '/r/4'])
        expect(echoes.map((e) => e.body)).toEqual(['body-0', 'body-1', 'body-2', 'body-3', 'body-4'])
        for (const e of echoes) expect(e.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
        const s = p.stats()
        expect(s.requests['2xx']).toBe(5)
        expect(s.latency.count).toBe(5)
      }),
    )
  })

  it('a traceparent of a new length and one of the same length are both rewritten in place', async () => {
    await withHttpServer(echoHandler, async (up) =>
      withProxy({ mode: 'http', upstreams: [addr(up)] }, async (p) => {
        const trace = '0af7651916cd43dd8448eb211c80319c'
        const valid = `00-${trace}-b7ad6b7169203331-01`
        const odd = 'garbage'
        const req = (tp: string, path: string): string =>
          `GET ${path} HTTP/1.1\r\nhost: x\r\ntraceparent: ${tp}\r\nx-after: kept\r\n\r\n`
        const { bodies } = await rawExchange(p.port, Buffer.from(req(valid, '/a') + req(odd, '/b')), 2)
        const [a, b] = bodies.map((x) => JSON.parse(x) as { headers: Record<string, string> })
        expect(a!.headers.traceparent).toMatch(new RegExp(`^00-${trace}-[0-9a-f]{16}-01$`))
        expect(a!.headers.traceparent).not.toBe(valid)
        expect(a!.headers['x-after']).toBe('kept')
        expect(b!.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
        expect(b!.headers['x-after']).toBe('kept')
      }),
    )
  })

  it('a closed proxy frees its port at once even with connections open (accepted sockets are re-wrapped)', async () => {
    await withEcho(async (up) => {
      let port = 0
      await withProxy({ mode: 'tcp', upstreams: [addr(up)] }, async (p) => {
        port = p.port
        await withClient(p.port, async (c) => {
          c.write('hi')
          expect((await c.read(2)).toString()).toBe('hi')
          const t = performance.now()
          await p.close()
          expect(performance.now() - t).toBeLessThan(500)
          expect(await c.until(() => c.closed, 2000)).toBe(true)
        })
      })
      // The port can be bound again: the listener is gone.
      const s = net.createServer()
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject)
        s.listen(port, '127.0.0.1', () => resolve())
      })
      await new Promise((r) => s.close(r))
    })
  })
})
