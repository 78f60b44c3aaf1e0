/** Fault fields added for the fault injectors: `upstreams` (act on connections to some upstreams only) and latency `reorder`. */

import { describe, expect, it } from 'vitest'
import { ChaosError } from '../../errors.js'
import { Client, addr, withClient, withProxy, withTcpServer } from '../../../test/sockets.js'
import { checkFault } from './toxic.js'

/** One round trip of one byte; the server answers with its name. */
async function ask(c: Client): Promise<{ who: string; ms: number }> {
  const t = performance.now()
  c.write('?')
  const who = (await c.read(1, 5000)).toString()
  return { who, ms: performance.now() - t }
}

const named = (name: string) => (s: import('node:net').Socket) => s.on('data', () => s.write(name))

describe('fault scope', () => {
  it('a fault with upstreams acts only on connections to those upstreams, new and existing', async () => {
    await withTcpServer(named('A'), async (a) =>
      withTcpServer(named('B'), async (b) =>
        withProxy({ mode: 'tcp', upstreams: [addr(a), addr(b)] }, async (p) => {
          const c1 = await Client.connect(p.port) // → A (round robin)
          try {
            expect((await ask(c1)).who).toBe('A')
            p.addFault({ id: 'slow-a', type: 'latency', direction: 'upstream', latencyMs: 150, upstreams: [addr(a)] })
            const existing = await ask(c1)
            expect(existing.ms).toBeGreaterThan(140)
            const seen: Record<string, number> = {}
            for (let i = 0; i < 4; i++) {
              await withClient(p.port, async (c) => {
                const r = await ask(c)
                seen[r.who] = Math.max(seen[r.who] ?? 0, r.ms)
              })
            }
            expect(seen.A).toBeGreaterThan(140)
            expect(seen.B).toBeLessThan(60)
            expect(p.stats().faults[0]!.touched.connections).toBe(3) // c1 and two new connections to A
          } finally {
            c1.close()
          }
        }),
      ),
    )
  })

  it('reorder lets the given share of chunks skip the delay', async () => {
    await withTcpServer(named('A'), async (a) =>
      withProxy({ mode: 'tcp', upstreams: [addr(a)] }, async (p) =>
        withClient(p.port, async (c) => {
          p.addFault({ id: 'all', type: 'latency', direction: 'upstream', latencyMs: 120, reorder: 100 })
          expect((await ask(c)).ms).toBeLessThan(60)
          p.removeFault('all')
          p.addFault({ id: 'none', type: 'latency', direction: 'upstream', latencyMs: 120, reorder: 0 })
          expect((await ask(c)).ms).toBeGreaterThan(110)
          p.removeFault('none')
          p.addFault({ id: 'gap', type: 'latency', direction: 'upstream', latencyMs: 120, reorder: 100, reorderGap: 3 })
          const times = [await ask(c), await ask(c), await ask(c), await ask(c), await ask(c), await ask(c)].map((r) => r.ms < 60)
          expect(times).toEqual([false, false, true, false, false, true]) // every third chunk skips the delay
        }),
      ),
    )
  })

  it('checks the new fields', () => {
    expect(() => checkFault({ id: 'x', type: 'latency', direction: 'upstream', latencyMs: 1, upstreams: '127.0.0.1:1' }, 'tcp')).toThrow(ChaosError)
    expect(() => checkFault({ id: 'x', type: 'latency', direction: 'upstream', latencyMs: 1, reorder: 120 }, 'tcp')).toThrow(/reorder must be a number from 0 to 100/)
  })
})
