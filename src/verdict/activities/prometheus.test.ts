/**
 * chaosprometheus.probes.query and query_interval: times read as chaosprometheus reads them (dateparser's forms,
 * others refused), the requests a Prometheus gets (path, query, time, start, end, step) from a tiny server that
 * answers as /api/v1/query does, Prometheus' JSON returned as it came, errors as ActivityFailed; and, where
 * /usr/bin/prometheus is installed, the same against a real Prometheus scraping a real exporter.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { createServer } from 'node:http'
import type { IncomingMessage, Server } from 'node:http'
import { createServer as netServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ActivityContext } from '../types.js'
import { ActivityFailed } from '../types.js'
import { PROMETHEUS_ACTIVITIES, parseTime } from './prometheus.js'

const NOW = Date.UTC(2024, 4, 1, 12, 0, 0)

describe('parseTime', () => {
  it('reads now and relative times as dateparser does (a bare amount is in the past)', () => {
    expect(parseTime('now', NOW)).toBe(NOW)
    expect(parseTime('5 minutes ago', NOW)).toBe(NOW - 300_000)
    expect(parseTime('30 seconds ago', NOW)).toBe(NOW - 30_000)
    expect(parseTime('25s', NOW)).toBe(NOW - 25_000)
    expect(parseTime('10 minutes', NOW)).toBe(NOW - 600_000)
    expect(parseTime('1d', NOW)).toBe(NOW - 86_400_000)
    expect(parseTime('an hour ago', NOW)).toBe(NOW - 3_600_000)
    expect(parseTime('1.5 hours ago', NOW)).toBe(NOW - 5_400_000)
    expect(parseTime('1m30s', NOW)).toBe(NOW - 90_000)
    expect(parseTime('5 minutes, 3 seconds ago', NOW)).toBe(NOW - 303_000)
    expect(parseTime('2 minutes and 10 seconds ago', NOW)).toBe(NOW - 130_000)
    expect(parseTime('  5 MINS ago ', NOW)).toBe(NOW - 300_000)
    expect(parseTime('in 5 minutes', NOW)).toBe(NOW + 300_000)
    expect(parseTime('10 minutes from now', NOW)).toBe(NOW + 600_000)
    expect(parseTime('yesterday', NOW)).toBe(NOW - 86_400_000)
    expect(parseTime('1 week ago', NOW)).toBe(NOW - 604_800_000)
    expect(new Date(parseTime('1 month ago', NOW)!).getMonth()).toBe(new Date(NOW).getMonth() - 1)
  })

  it('reads RFC 3339 dates (with an offset, Z, or none: local time) and Unix seconds', () => {
    expect(parseTime('2024-05-01T10:00:00Z', NOW)).toBe(Date.UTC(2024, 4, 1, 10))
    expect(parseTime('2024-05-01T10:00:00.250Z', NOW)).toBe(Date.UTC(2024, 4, 1, 10) + 250)
    expect(parseTime('2024-05-01T12:00:00+02:00', NOW)).toBe(Date.UTC(2024, 4, 1, 10))
    expect(parseTime('2024-05-01T05:30:00-04:30', NOW)).toBe(Date.UTC(2024, 4, 1, 10))
    expect(parseTime('2024-05-01 10:00:00', NOW)).toBe(new Date(2024, 4, 1, 10).getTime())
    expect(parseTime('2024-05-01', NOW)).toBe(new Date(2024, 4, 1).getTime())
    expect(parseTime('1714557600', NOW)).toBe(1_714_557_600_000)
  })

  it('refuses what is none of those forms', () => {
    for (const bad of ['foo', '5', 'five minutes ago', '5 parsecs ago', '2024-13-01T00:00:00Z', 'minutes ago', '5 minutes banana', '']) expect(parseTime(bad, NOW), bad).toBeUndefined()
  })
})

function ctxOf(configuration: Record<string, unknown>): ActivityContext {
  return {
    values: { configuration, secrets: {} },
    signal: new AbortController().signal,
    allowExec: false,
    cwd: process.cwd(),
    verifyTls: true,
    log: () => undefined,
    runProbe: () => Promise.reject(new Error('no probes here')),
    checkTolerance: () => Promise.reject(new Error('no tolerances here')),
    results: new Map(),
  }
}

const query = PROMETHEUS_ACTIVITIES['chaosprometheus.probes.query']!
const queryInterval = PROMETHEUS_ACTIVITIES['chaosprometheus.probes.query_interval']!

describe('query and query_interval against a server that answers like Prometheus', () => {
  let server: Server
  let base: string
  const seen: URL[] = []
  let status = 200

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      const url = new URL(req.url!, 'http://x')
      seen.push(url)
      if (status !== 200) return res.writeHead(status, { 'content-type': 'application/json' }).end('{"status":"error","errorType":"bad_data","error":"parse error"}')
      const range = url.pathname === '/api/v1/query_range'
      const data = range
        ? { resultType: 'matrix', result: [{ metric: { __name__: 'failed_call_total', to: 'middle' }, values: [[1714557600, '0'], [1714557603, '2']] }] }
        : { resultType: 'vector', result: [{ metric: { __name__: 'up' }, value: [1714557600, '1'] }] }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'success', data }))
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise((r) => server.close(r)))

  it('query sends query and time to /api/v1/query and returns the answer as it came', async () => {
    seen.length = 0
    const before = Date.now()
    const out = await query({ query: 'up', when: '5 minutes ago' }, ctxOf({ prometheus_base_url: `${base}/` }))
    expect(out).toEqual({ status: 'success', data: { resultType: 'vector', result: [{ metric: { __name__: 'up' }, value: [1714557600, '1'] }] } })
    expect(seen[0]!.pathname).toBe('/api/v1/query')
    expect(seen[0]!.searchParams.get('query')).toBe('up')
    const t = Date.parse(seen[0]!.searchParams.get('time')!)
    expect(t).toBeGreaterThanOrEqual(before - 300_000 - 1000)
    expect(t).toBeLessThanOrEqual(Date.now() - 300_000 + 1000)
    // without when: no time (Prometheus' now)
    await query({ query: 'up' }, ctxOf({ prometheus_base_url: base }))
    expect(seen[1]!.searchParams.has('time')).toBe(false)
  })

  it("query_interval sends start, end and step to /api/v1/query_range, as the chain demo's experiment asks", async () => {
    seen.length = 0
    const out = (await queryInterval({ query: "failed_call_total{to='middle'}", start: '30 seconds ago', end: 'now', step: 3 }, ctxOf({ prometheus_base_url: base }))) as { data: { result: { values: unknown[] }[] } }
    expect(out.data.result[0]!.values).toHaveLength(2)
    const q = seen[0]!
    expect(q.pathname).toBe('/api/v1/query_range')
    expect(q.searchParams.get('query')).toBe("failed_call_total{to='middle'}")
    expect(q.searchParams.get('step')).toBe('3')
    expect(Date.parse(q.searchParams.get('end')!) - Date.parse(q.searchParams.get('start')!)).toBe(30_000)
  })

  it('an answer other than 200, an unreadable time and an unreachable Prometheus fail the activity', async () => {
    status = 400
    try {
      await expect(query({ query: 'up(' }, ctxOf({ prometheus_base_url: base }))).rejects.toThrow(/Prometheus query .* failed \(400\): .*parse error/)
    } finally {
      status = 200
    }
    const bad = query({ query: 'up', when: 'sometime' }, ctxOf({ prometheus_base_url: base }))
    await expect(bad).rejects.toBeInstanceOf(ActivityFailed)
    await expect(bad).rejects.toThrow(/failed to parse when 'sometime'/)
    await expect(queryInterval({ query: 'up', start: 'then', end: 'now' }, ctxOf({ prometheus_base_url: base }))).rejects.toThrow(/failed to parse start 'then'/)
    await expect(query({ query: 'up' }, ctxOf({ prometheus_base_url: 'http://127.0.0.1:1' }))).rejects.toThrow(/does not answer/)
  })
})

const PROMETHEUS = '/usr/bin/prometheus'

describe.skipIf(!existsSync(PROMETHEUS))('against a real Prometheus', () => {
  let dir: string
  let exporter: Server
  let prom: ChildProcess
  let base: string

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'chaoscope-prom-'))
    exporter = createServer((_, res) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end('# TYPE failed_call_total counter\nfailed_call_total{to="middle"} 3\n'))
    await new Promise<void>((r) => exporter.listen(0, '127.0.0.1', r))
    const target = `127.0.0.1:${(exporter.address() as AddressInfo).port}`
    writeFileSync(join(dir, 'prometheus.yml'), `global: {scrape_interval: 1s, evaluation_interval: 1s}\nscrape_configs:\n  - job_name: demo\n    static_configs: [{targets: ['${target}']}]\n`)
    const port = await new Promise<number>((r) => {
      const s = netServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port
        s.close(() => r(p))
      })
    })
    base = `http://127.0.0.1:${port}`
    prom = spawn(PROMETHEUS, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' })
    // ready once it has scraped the exporter
    const deadline = Date.now() + 30_000
    for (;;) {
      const r = (await query({ query: 'failed_call_total' }, ctxOf({ prometheus_base_url: base })).catch(() => null)) as { data?: { result?: unknown[] } } | null
      if (r?.data?.result?.length === 1) break
      if (Date.now() > deadline) throw new Error(`Prometheus at ${base} did not scrape the exporter within 30 s`)
      await new Promise((res) => setTimeout(res, 250))
    }
  }, 60_000)

  afterAll(async () => {
    prom?.kill('SIGTERM')
    await new Promise((r) => (prom && prom.exitCode === null ? prom.once('exit', r) : r(null)))
    await new Promise((r) => exporter?.close(r))
    rmSync(dir, { recursive: true, force: true })
  })

  it('query and query_interval return what Prometheus answers', async () => {
    const instant = (await query({ query: 'failed_call_total', when: 'now' }, ctxOf({ prometheus_base_url: base }))) as { status: string; data: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] } }
    expect(instant.status).toBe('success')
    expect(instant.data.resultType).toBe('vector')
    expect(instant.data.result[0]!.metric.to).toBe('middle')
    expect(instant.data.result[0]!.value[1]).toBe('3')
    const range = (await queryInterval({ query: "failed_call_total{to='middle'}", start: '30 seconds ago', end: 'now', step: 1 }, ctxOf({ prometheus_base_url: base }))) as { data: { resultType: string; result: { values: [number, string][] }[] } }
    expect(range.data.resultType).toBe('matrix')
    expect(range.data.result[0]!.values.length).toBeGreaterThan(0)
    expect(range.data.result[0]!.values.every(([, v]) => v === '3')).toBe(true)
  })
})
