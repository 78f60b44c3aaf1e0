/**
 * `chaoscope load` as a user runs it, from the built binary: JSON and text reports, the shop's flows through the
 * real engine, Ctrl-C, and a coded error (exit 2, no stack trace) for every mistake, before anything is sent.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RuntimeServer } from '../../src/runtime/server.js'
import { startDemo } from '../demo.js'
import { launch, signalAndWait, waitOutput } from '../doubles/cli-process.js'

const ROOT = join(import.meta.dirname, '../..')
const BIN = join(ROOT, 'bin/chaoscope.js')
const NO_STACK = /^\s+at .*:\d+:\d+\)?$/m

/** Runs the CLI without blocking this process's event loop (the target server lives here). */
function chaoscope(args: string[], input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, CI: 'true' } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('close', (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(input)
  })
}

let server: Server
let url: string
const bodies: string[] = []
beforeAll(async () => {
  server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      if (req.method === 'POST') bodies.push(`${req.headers['x-token']} ${body}`)
      res.end('ok\n')
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((r) => server.close(r))
})

describe('chaoscope load', () => {
  it('-o json: the fields the issue promises, at the rate asked', async () => {
    const r = await chaoscope(['load', url, '--rate', '100', '--duration', '1s', '-o', 'json'])
    expect(r.code).toBe(0)
    const j = JSON.parse(r.stdout)
    for (const k of ['requests', 'achievedRate', 'errors', 'statusCodes', 'latency', 'perSecond', 'serviceTime', 'late', 'dropped']) expect(j).toHaveProperty(k)
    expect(Object.keys(j.latency)).toEqual(expect.arrayContaining(['p50', 'p90', 'p99', 'p999', 'max']))
    expect(j.requests).toBeGreaterThanOrEqual(99)
    expect(j.requests).toBeLessThanOrEqual(101)
    expect(j.statusCodes).toEqual({ '200': j.requests })
    expect(j.perSecond[0]).toMatchObject({ t: 0, statusClasses: { '2xx': expect.any(Number) } })
  })

  it('sends the method, headers and body given, and prints a summary', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chaoscope-load-'))
    writeFileSync(join(dir, 'body.json'), '{"hello":"world"}')
    const r = await chaoscope(['load', url, '-c', '2', '-n', '10', '--body', join(dir, 'body.json'), '-H', 'X-Token: abc', '-H', 'content-type: application/json'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^Requests +\[total, rate, throughput\] +10, /m)
    expect(r.stdout).toMatch(/^Latencies +\[min, mean, 50, 90, 99, 99\.9, max\] /m)
    expect(r.stdout).toMatch(/^Status Codes +\[code:count\] +200:10$/m)
    expect(r.stdout).toMatch(/^Success +\[ratio\] +100\.00%$/m)
    expect(bodies.filter((b) => b === 'abc {"hello":"world"}')).toHaveLength(10)
  })

  it('exits 1 when no request succeeds, naming why', async () => {
    const r = await chaoscope(['load', 'http://127.0.0.1:1/', '-n', '3', '-c', '1'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('no request succeeded (refused: 3)')
    expect(r.stdout).toMatch(/^refused: 3$/m)
  })

  it('Ctrl-C ends the run early and still prints what was measured', async () => {
    const p = launch(['load', url, '--rate', '50', '--duration', '1m', '--metrics-addr', '127.0.0.1:0'], { ...process.env, CI: 'true' })
    const [, metricsUrl] = await waitOutput(p, /metrics: (http:\S+)/, 15_000)
    // wait until requests were answered (read from its own metrics), then interrupt
    const deadline = Date.now() + 10_000
    while (Date.now() < deadline) {
      const text = await (await fetch(metricsUrl!)).text()
      if (/chaoscope_load_requests_total\{status_class="2xx"\} [1-9]/.test(text)) break
      await new Promise((r) => setTimeout(r, 100))
    }
    await signalAndWait(p.child, 'SIGINT')
    expect(p.child.exitCode).toBe(0)
    expect(p.out()).toMatch(/stopped by SIGINT after [\d.]+s/)
    expect(p.out()).toMatch(/^Requests +\[total, rate, throughput\] +[1-9]/m)
  }, 30_000)
})

describe('mistakes: a coded error, exit 2, nothing sent', () => {
  it.each([
    [['load'], /load needs a URL .*\[CLI_USAGE\]/],
    [['load', 'ftp://127.0.0.1/'], /only http:\/\/ URLs are supported, got ftp:\/\/ +\[CLI_USAGE\]/],
    [['load', 'http://192.0.2.1/'], /192\.0\.2\.1 is not this machine.*\[LOAD_TARGET_REFUSED\]\n +hint: .*--allow-remote/],
    [['load', 'http://127.0.0.1:1/', '--rate', 'fast'], /--rate expects requests per second.*"fast".*\[CLI_USAGE\]/],
    [['load', 'http://127.0.0.1:1/', '--rate', '10', '--stages', 'x.yaml'], /--rate and --stages both set the arrival rate/],
    [['load', 'http://127.0.0.1:1/', '-H', 'nocolon'], /-H expects "Name: value", got "nocolon"/],
    [['load', 'http://127.0.0.1:1/', '--duration', '0s'], /--duration expects a duration above zero/],
    [['load', 'http://127.0.0.1:1/', '-c', '0'], /--connections expects a whole number above 0/],
    [['load', 'http://127.0.0.1:1/', '--metrics-addr', 'nowhere'], /--metrics-addr expects host:port/],
  ])('chaoscope %j', async (args, message) => {
    const r = await chaoscope(args)
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(message)
    expect(r.stderr).not.toMatch(NO_STACK)
  })

  it('an invalid LoadProfile: every problem with file:line:col and field path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chaoscope-load-'))
    const file = join(dir, 'bad.yaml')
    writeFileSync(file, `apiVersion: chaoscope.dev/v1alpha1
kind: LoadProfile
metadata: {name: bad}
spec:
  target: http://127.0.0.1:1
  flows:
    - name: a
      steps:
        - get: /product/{{prodcut}}
          think: 3s-1s
  vars:
    product: [x]
`)
    const r = await chaoscope(['load', '-f', file])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`${file}:9:`)
    expect(r.stderr).toMatch(/prodcut/)
    expect(r.stderr).toMatch(/product/)
    expect(r.stderr).not.toMatch(NO_STACK)
  })
})

describe('the shop example through the real engine', () => {
  let shop: RuntimeServer | undefined
  beforeAll(async () => {
    shop = await startDemo('shop')
  }, 60_000)
  afterAll(async () => {
    await shop?.close()
  })

  it('every step of both flows succeeds, checkout included, each iteration its own shopper', async () => {
    const frontend = shop!.hostPorts().find(([name]) => name === 'frontend')![1]
    // the example as written, with think times cut to 10 ms and the two flows equally likely, so a short run holds both
    const text = readFileSync(join(ROOT, 'examples/load/shop.yaml'), 'utf8').replace(/think: .*/g, 'think: 10ms').replace(/weight: 3/, 'weight: 1')
    const dir = mkdtempSync(join(tmpdir(), 'chaoscope-load-'))
    writeFileSync(join(dir, 'shop.yaml'), text)
    const r = await chaoscope(['load', `http://${frontend}`, '-f', join(dir, 'shop.yaml'), '--rate', '10', '--duration', '2s', '-o', 'json'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const j = JSON.parse(r.stdout)
    expect(j.success).toBe(1)
    expect(j.iterations.completed).toBeGreaterThan(10)
    const steps = Object.fromEntries(j.steps.map((s: { flow: string; name: string; requests: number; failed: number }) => [`${s.flow} ${s.name}`, s]))
    expect(Object.keys(steps).sort()).toEqual(['browse GET /', 'browse GET /api/products', 'browse GET /product/{{product}}', 'buy GET /cart', 'buy GET /product/{{product}}', 'buy POST /cart', 'buy checkout'])
    for (const s of Object.values(steps) as { failed: number }[]) expect(s.failed).toBe(0)
    expect(steps['buy checkout'].requests).toBeGreaterThan(0)
    expect(j.statusCodes['303']).toBe(steps['buy POST /cart'].requests)
  }, 60_000)
})
