/**
 * A load run against real servers on 127.0.0.1 (port 0), from worker threads, as `chaoscope load` runs it:
 * what it counts, what it reports for a stalled server, timeouts, refusals, dropped sends, flows, metrics, stop.
 */
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { serveLoadMetrics } from '../index.js'
import { runLoad, startLoad } from './run.js'
import type { FlowSet, LoadPlan } from './types.js'

const servers: Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => {
    s.closeAllConnections()
    s.close(() => r())
  })))
})

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const s = createServer(handler)
  servers.push(s)
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()))
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`
}

const ok = (_req: IncomingMessage, res: ServerResponse): void => {
  res.end('ok\n')
}

function plan(url: string, p: Partial<LoadPlan>): LoadPlan {
  return { url, method: 'GET', headers: {}, connections: 10, timeoutMs: 5000, workers: 1, lateAfterMs: 10, ...p }
}

describe('closed model', () => {
  it('sends exactly --requests, every one answered, the per-second series adding up to the total', async () => {
    const url = await serve(ok)
    const r = await runLoad(plan(url, { requests: 3000, connections: 8, workers: 2 }))
    expect(r.model).toBe('closed')
    expect(r.requests).toBe(3000)
    expect(r.statusCodes).toEqual({ '200': 3000 })
    expect(r.success).toBe(1)
    expect(r.errors).toBe(0)
    expect(r.perSecond.reduce((n, s) => n + s.requests, 0)).toBe(3000)
    expect(r.perSecond.reduce((n, s) => n + s.sent, 0)).toBe(3000)
    expect(r.latency.p50).toBeGreaterThan(0)
    expect(r.latency.max).toBeGreaterThanOrEqual(r.latency.p99)
    // closed loop: each request is sent when the previous one ends, so latency is the service time
    expect(r.latency.p50).toBeCloseTo(r.serviceTime.p50, 1)
    expect(r.targetRate).toBeNull()
  })

  it('counts status codes as they are, and only 2xx/3xx as success', async () => {
    let n = 0
    const url = await serve((_req, res) => {
      res.statusCode = n++ % 4 === 0 ? 503 : 200
      res.end()
    })
    const r = await runLoad(plan(url, { requests: 400, connections: 1 }))
    expect(r.statusCodes).toEqual({ '200': 300, '503': 100 })
    expect(r.success).toBe(0.75)
    expect(r.errors).toBe(0)
  })

  it('reads chunked bodies, HEAD responses and servers that close after each response', async () => {
    const url = await serve((req, res) => {
      if (req.url === '/close') res.setHeader('connection', 'close')
      if (req.url === '/chunked') {
        res.write('a'.repeat(1000))
        setImmediate(() => res.end('b'.repeat(1000)))
      } else res.end('hello')
    })
    for (const [path, method] of [['/chunked', 'GET'], ['/close', 'GET'], ['/head', 'HEAD']] as const) {
      const r = await runLoad(plan(`${url}${path}`, { requests: 200, connections: 4, method }))
      expect([path, r.statusCodes, r.errors]).toEqual([path, { '200': 200 }, 0])
    }
  })
})

describe('open model', () => {
  it('sends at the target rate for the duration, on time', async () => {
    const url = await serve(ok)
    const r = await runLoad(plan(url, { stages: [{ durationMs: 0, from: 400, to: 400 }], durationMs: 2000, connections: 50 }))
    expect(r.model).toBe('open')
    expect(r.targetRate).toBe(400)
    expect(r.requests).toBeGreaterThanOrEqual(798)
    expect(r.requests).toBeLessThanOrEqual(801)
    expect(r.achievedRate / 400).toBeGreaterThan(0.98)
    expect(r.achievedRate / 400).toBeLessThan(1.02)
    expect(r.dropped).toBe(0)
    expect(r.late).toBeLessThan(r.requests * 0.2)
    expect(r.duration.send).toBeCloseTo(2, 1)
  })

  it('a one-second stall shows in the latency from the intended time, where a closed loop hides it', async () => {
    // the server holds every request for one second, once, 0.5 s after the first one arrives
    const stallServer = async (): Promise<string> => {
      let first = 0
      let held: ServerResponse[] | undefined
      let done = false
      return serve((_req, res) => {
        const t = performance.now()
        if (first === 0) first = t
        if (!done && held === undefined && t - first >= 500) {
          held = []
          setTimeout(() => {
            done = true
            for (const h of held!) h.end('late\n')
            held = undefined
          }, 1000)
        }
        if (held) held.push(res)
        else res.end('ok\n')
      })
    }
    const open = await runLoad(plan(await stallServer(), { stages: [{ durationMs: 0, from: 200, to: 200 }], durationMs: 3000, connections: 10 }))
    const closed = await runLoad(plan(await stallServer(), { durationMs: 3000, connections: 10 }))
    // about 200 of 600 requests (1 s of 3) waited between 0 and 1 s: p90 lands inside the stall, p99 near its end
    expect(open.latency.p99).toBeGreaterThan(800)
    expect(open.latency.p99).toBeLessThan(1500)
    expect(open.latency.p90).toBeGreaterThan(300)
    expect(open.latency.max).toBeGreaterThan(900)
    // requests that waited for a free connection were written late: their service time is short
    expect(open.late).toBeGreaterThan(100)
    expect(open.serviceTime.p90).toBeLessThan(open.latency.p90)
    // the closed loop sent nothing while its 10 connections waited: only those 10 saw the stall
    expect(closed.latency.max).toBeGreaterThan(900)
    expect(closed.latency.p99).toBeLessThan(open.latency.p99 / 2)
  })

  it('a request that finds no free connection before the timeout is dropped, not sent', async () => {
    const url = await serve((_req, res) => {
      setTimeout(() => res.end('slow\n'), 150)
    })
    const r = await runLoad(plan(url, { stages: [{ durationMs: 0, from: 50, to: 50 }], durationMs: 1000, connections: 1, timeoutMs: 300 }))
    // one connection serves about 6 requests a second; 50 were due
    expect(r.dropped).toBeGreaterThan(20)
    expect(r.requests + r.dropped).toBeGreaterThanOrEqual(49)
    expect(r.requests + r.dropped).toBeLessThanOrEqual(51)
    expect(r.statusCodes['200']).toBe(r.requests)
    // the dropped ones were due and got nothing: they count against success, and their wait is in the latency
    expect(r.success).toBeLessThan(0.5)
    expect(r.latency.p90).toBeGreaterThanOrEqual(290)
  })

  it('far more arrivals than connections can carry: the run still ends on time, dropping what could not be sent', async () => {
    // 5 ms an answer: two connections carry at most 400 of the 50 000 a second, however fast the machine
    const url = await serve((_req, res) => {
      setTimeout(() => res.end('ok\n'), 5)
    })
    const t0 = Date.now()
    const r = await runLoad(plan(url, { stages: [{ durationMs: 0, from: 50_000, to: 50_000 }], durationMs: 1000, connections: 2, timeoutMs: 300 }))
    expect(Date.now() - t0).toBeLessThan(8000)
    expect(r.requests + r.dropped).toBeGreaterThan(40_000)
    expect(r.dropped).toBeGreaterThan(r.requests)
    expect(r.statusCodes['200']).toBe(r.requests)
    expect(r.success).toBeLessThan(0.5)
  })

  it('with --requests, the rate is over the schedule of those requests, not up to the last send', async () => {
    const url = await serve(ok)
    const r = await runLoad(plan(url, { stages: [{ durationMs: 0, from: 50, to: 50 }], requests: 25 }))
    expect(r.requests).toBe(25)
    expect(r.achievedRate).toBeGreaterThan(47)
    expect(r.achievedRate).toBeLessThan(52)
    expect(r.targetRate).toBe(50)
  })

  it('two workers share the connection limit: --connections 1 is one connection in all', async () => {
    let open = 0
    let most = 0
    const url = await serve((_req, res) => {
      setTimeout(() => res.end('ok\n'), 100)
    })
    servers[servers.length - 1]!.on('connection', (sock) => {
      most = Math.max(most, ++open)
      sock.on('close', () => open--)
    })
    const r = await runLoad(plan(url, { stages: [{ durationMs: 0, from: 20, to: 20 }], durationMs: 1000, connections: 1, workers: 2 }))
    expect(most).toBe(1)
    expect(r.statusCodes['200']).toBeGreaterThan(5)
  })
})

describe('keep-alive', () => {
  it('a connection the server closed while idle opens again on its next request, with no error', async () => {
    const url = await serve(ok)
    servers[servers.length - 1]!.keepAliveTimeout = 50
    // one connection, a request every 200 ms: the server has closed it before each next request
    const r = await runLoad(plan(url, { stages: [{ durationMs: 0, from: 5, to: 5 }], durationMs: 1000, connections: 1 }))
    expect(r.requests).toBe(5)
    expect(r.errors).toBe(0)
    expect(r.statusCodes).toEqual({ '200': 5 })
  })

  it('a server that closes each connection just after answering (no Connection: close): requests are not lost', async () => {
    const url = await serve((req, res) => {
      res.end('ok\n', () => setImmediate(() => req.socket.end()))
    })
    const r = await runLoad(plan(url, { requests: 200, connections: 1 }))
    expect(r.errorKinds).toEqual({})
    expect(r.statusCodes).toEqual({ '200': 200 })
  })
})

describe('errors', () => {
  it('a server that never answers: every request is a timeout after --timeout', async () => {
    const url = await serve(() => {})
    const r = await runLoad(plan(url, { stages: [{ durationMs: 0, from: 20, to: 20 }], durationMs: 500, timeoutMs: 300 }))
    expect(r.requests).toBe(10)
    expect(r.errors).toBe(10)
    expect(r.errorKinds).toEqual({ timeout: 10 })
    expect(r.success).toBe(0)
    expect(r.latency.p50).toBeGreaterThanOrEqual(290)
    expect(r.latency.p50).toBeLessThan(600)
  })

  it('a port nobody listens on: connection refused, counted by kind', async () => {
    // port 1 (tcpmux): nothing listens there on this machine
    const r = await runLoad(plan('http://127.0.0.1:1/', { requests: 20, connections: 2 }))
    expect(r.requests).toBe(20)
    expect(r.errorKinds).toEqual({ refused: 20 })
  })

  it('a server that closes the connection without answering: closed', async () => {
    const url = await serve((req) => req.socket.destroy())
    const r = await runLoad(plan(url, { requests: 10, connections: 1 }))
    expect(Object.keys(r.errorKinds)).toEqual([expect.stringMatching(/^(closed|reset)$/)])
    expect(r.errors).toBe(10)
  })
})

describe('flows', () => {
  it('runs the steps in order with a cookie jar and vars drawn once per iteration', async () => {
    const seen: { path: string; cookie: string | undefined; body: string }[] = []
    let session = 0
    const url = await serve((req, res) => {
      let body = ''
      req.on('data', (c: Buffer) => (body += c.toString()))
      req.on('end', () => {
        seen.push({ path: req.url!, cookie: req.headers.cookie, body })
        if (req.url === '/') res.setHeader('set-cookie', `sid=s${++session}; Path=/; HttpOnly`)
        res.statusCode = req.url === '/cart' ? 302 : 200
        res.end()
      })
    })
    const flows: FlowSet = {
      vars: { product: ['lamp', 'scarf', 'jar'] },
      defaults: { headers: { 'x-run': 'test' } },
      flows: [{
        name: 'buy',
        weight: 1,
        steps: [
          { name: 'home', method: 'GET', path: '/', headers: {} },
          { name: 'product', method: 'GET', path: '/product/{{product}}', headers: {}, think: { minMs: 20, maxMs: 40 } },
          { name: 'add', method: 'POST', path: '/cart', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'productId={{product}}&n={{iteration}}', expect: [302] },
        ],
      }],
    }
    const r = await runLoad(plan(url, { flows, stages: [{ durationMs: 0, from: 20, to: 20 }], durationMs: 1000 }))
    expect(r.iterations).toEqual({ started: 20, completed: 20 })
    expect(r.requests).toBe(60)
    // with flows the rate is of iterations, whatever the steps after the send phase
    expect(r.targetRate).toBe(20)
    expect(r.achievedRate).toBeGreaterThan(19)
    expect(r.achievedRate).toBeLessThan(21)
    expect(r.success).toBe(1)
    expect(r.steps.map((s) => [s.flow, s.name, s.requests, s.failed])).toEqual([['buy', 'home', 20, 0], ['buy', 'product', 20, 0], ['buy', 'add', 20, 0]])
    // each iteration carries its own session cookie from its first response to its later requests
    const adds = seen.filter((s) => s.path === '/cart')
    expect(new Set(adds.map((a) => a.cookie)).size).toBe(20)
    for (const a of adds) {
      expect(a.cookie).toMatch(/^sid=s\d+$/)
      const product = /productId=(\w+)/.exec(a.body)![1]
      // the product added is the product viewed in the same session
      const views = seen.filter((s) => s.cookie === a.cookie && s.path.startsWith('/product/'))
      expect(views.map((v) => v.path)).toEqual([`/product/${product}`])
    }
    expect(seen.filter((s) => s.path === '/').every((s) => s.cookie === undefined)).toBe(true)
  })

  it('with --requests, every iteration started runs all its steps, think times included', async () => {
    const url = await serve(ok)
    const flows: FlowSet = {
      vars: {},
      defaults: {},
      flows: [{ name: 'f', weight: 1, steps: [
        { name: 'one', method: 'GET', path: '/1', headers: {}, think: { minMs: 100, maxMs: 100 } },
        { name: 'two', method: 'GET', path: '/2', headers: {} },
      ] }],
    }
    const r = await runLoad(plan(url, { flows, stages: [{ durationMs: 0, from: 10, to: 10 }], requests: 5 }))
    expect(r.iterations).toEqual({ started: 5, completed: 5 })
    expect(r.steps.map((s) => s.requests)).toEqual([5, 5])
  })

  it('outside a flow file, {{…}} in the URL or a header is sent as written', async () => {
    const seen: string[] = []
    const url = await serve((req, res) => {
      seen.push(`${req.url} ${req.headers['x-a']}`)
      res.end()
    })
    const r = await runLoad(plan(`${url}/x/{{y}}`, { requests: 2, connections: 1, headers: { 'x-a': '{{iteration}}' } }))
    expect(r.errors).toBe(0)
    expect(seen).toEqual(['/x/%7B%7By%7D%7D {{iteration}}', '/x/%7B%7By%7D%7D {{iteration}}'])
  })

  it('weights share the iterations among flows; in the closed model each user loops', async () => {
    const url = await serve(ok)
    const flows: FlowSet = {
      vars: {},
      defaults: {},
      flows: [
        { name: 'a', weight: 3, steps: [{ name: 'a', method: 'GET', path: '/a', headers: {} }] },
        { name: 'b', weight: 1, steps: [{ name: 'b', method: 'GET', path: '/b', headers: {} }] },
      ],
    }
    const r = await runLoad(plan(url, { flows, requests: 2000, connections: 4 }))
    expect(r.iterations.completed).toBe(2000)
    const a = r.steps.find((s) => s.flow === 'a')!.requests
    expect(a / 2000).toBeGreaterThan(0.7)
    expect(a / 2000).toBeLessThan(0.8)
  })
})

describe('while it runs', () => {
  it('serves Prometheus metrics that count what it sent, and stop() ends it early with what was measured', async () => {
    const url = await serve(ok)
    const run = startLoad(plan(url, { stages: [{ durationMs: 0, from: 100, to: 100 }], durationMs: 30_000 }))
    const metrics = await serveLoadMetrics(run, '127.0.0.1', 0)
    try {
      let text = ''
      const until = Date.now() + 5000
      while (Date.now() < until) {
        text = await (await fetch(metrics.url)).text()
        // a while into the run (over 50 sent), so that stop() below ends a run that was really going
        const sent = Number(/^chaoscope_load_sent_total (\d+)/m.exec(text)?.[1] ?? 0)
        if (/chaoscope_load_requests_total\{status_class="2xx"\} [1-9]/.test(text) && sent > 50) break
        await new Promise((r) => setTimeout(r, 100))
      }
      expect(text).toMatch(/chaoscope_load_requests_total\{status_class="2xx"\} [1-9]\d*/)
      expect(text).toMatch(/chaoscope_load_latency_seconds_bucket\{le="\+Inf"\} [1-9]/)
      expect(text).toMatch(/chaoscope_load_target_rate 100/)
      expect(text).toMatch(/chaoscope_load_sent_total [1-9]/)
    } finally {
      await metrics.close()
    }
    const stoppedAt = Date.now()
    run.stop()
    const r = await run.result
    expect(Date.now() - stoppedAt).toBeLessThan(3000)
    expect(r.duration.send).toBeLessThan(10)
    expect(r.requests).toBeGreaterThan(50)
    expect(r.statusCodes['200']).toBe(r.requests)
  })

  it('refuses a plan with no end or a target that is not http://, before starting anything', () => {
    expect(() => startLoad(plan('http://127.0.0.1:1/', { stages: [{ durationMs: 0, from: 10, to: 10 }] }))).toThrow(/no end/)
    expect(() => startLoad(plan('https://127.0.0.1:1/', { requests: 1 }))).toThrow(/only http/)
  })
})
