/**
 * The run loop in-process, on real sockets and processes: what the oracle test (test/e2e/ctk-oracle.test.ts) cannot
 * compare with Chaos Toolkit because it depends on timing or on chaoscope's own additions: interrupts, safeguards,
 * observed/expected values, ordering of background activities, JUnit.
 */
import { execFileSync } from 'node:child_process'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { junitXml } from './junit.js'
import { runExperiment } from './runner.js'
import type { ChaosToolkitExperiment, ChaosToolkitTolerance, RunEvent, RunOptions } from './types.js'

let server: http.Server
let base = ''
let broken = false

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/break') broken = true
    if (req.url === '/fix') broken = false
    res.writeHead(req.url === '/health' && broken ? 503 : 200, { 'content-type': 'application/json' })
    res.end(JSON.stringify(req.url === '/health' && broken ? { error: 'down' } : { ok: true }))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((r) => server.close(() => r())))

const OPTS: RunOptions = { hypothesisStrategy: 'default', hypothesisFrequency: 1, failFast: false, rollbackStrategy: 'default', allowExec: true, verifyTls: true, cwd: tmpdir() }
const values = { configuration: {}, secrets: {} }
const probe = (name: string, tolerance: ChaosToolkitTolerance = 200) => ({ type: 'probe' as const, name, tolerance, provider: { type: 'http' as const, url: `${base}/health` } })
const call = (name: string, path: string, extra: object = {}) => ({ type: 'action' as const, name, provider: { type: 'http' as const, url: `${base}${path}` }, ...extra })
const exp = (e: Partial<ChaosToolkitExperiment>): ChaosToolkitExperiment => ({ title: 't', description: 'd', 'steady-state-hypothesis': { title: 'h', probes: [probe('health')] }, method: [], ...e }) as ChaosToolkitExperiment

/** Process ids of `sleep 37` processes (the marker of the interrupt test). */
const sleepers = () => {
  try {
    return execFileSync('pgrep', ['-f', 'sleep 37'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean)
  } catch {
    return []
  }
}

describe('runExperiment', () => {
  it('an interrupt in the middle of a process activity kills it, sets interrupted and plays rollbacks only under always', async () => {
    for (const strategy of ['default', 'always'] as const) {
      broken = false
      const interrupt = new AbortController()
      const events: RunEvent[] = []
      const running = runExperiment(
        exp({ method: [{ type: 'action', name: 'long', provider: { type: 'process', path: 'sleep', arguments: ['37'] } }], rollbacks: [call('fix', '/fix')] }),
        { ...OPTS, rollbackStrategy: strategy },
        { values, interrupt: interrupt.signal, onEvent: (e) => events.push(e) },
      )
      await expect.poll(() => sleepers().length, { timeout: 5000 }).toBeGreaterThan(0)
      interrupt.abort()
      const j = await running
      expect(j.status).toBe('interrupted')
      expect(j.chaoscope?.reason).toMatch(/interrupted/)
      expect(j.run.map((r) => [r.activity.name, r.status])).toEqual([['long', 'failed']])
      expect(j.steady_states.after).toBeNull()
      expect(j.rollbacks.map((r) => r.activity.name)).toEqual(strategy === 'always' ? ['fix'] : [])
      await expect.poll(() => sleepers(), { timeout: 5000 }).toEqual([])
    }
  })

  it('a safeguard that stops holding interrupts the run; the reason names it', async () => {
    broken = false
    const j = await runExperiment(
      exp({
        controls: [{ name: 'safeguard', provider: { type: 'python', module: 'chaosaddons.controls.safeguards', arguments: { probes: [{ ...probe('service-up'), frequency: 0.2 }] } } }],
        method: [call('break', '/break', { pauses: { after: 10 } }), call('never-reached', '/noop')],
        rollbacks: [call('fix', '/fix')],
      }),
      { ...OPTS, rollbackStrategy: 'always' },
      { values },
    )
    expect(j.status).toBe('interrupted')
    expect(j.chaoscope?.reason).toBe('interrupted by the safeguard service-up')
    expect(j.run.map((r) => r.activity.name)).toEqual(['break'])
    expect(j.duration).toBeLessThan(8) // the 10 s pause was cut short
    expect(j.rollbacks.map((r) => [r.activity.name, r.status])).toEqual([['fix', 'succeeded']])
  })

  it('a failed tolerance keeps the observed and the expected value, in the journal and in JUnit', async () => {
    broken = false
    const j = await runExperiment(exp({ method: [call('break', '/break')], rollbacks: [call('fix', '/fix')] }), OPTS, { values })
    expect(j.deviated).toBe(true)
    const p = j.steady_states.after!.probes[0]!
    expect(p.tolerance_met).toBe(false)
    expect(p.chaoscope?.observed).toMatch(/503/)
    expect(p.chaoscope?.expected).toMatch(/200/)
    const xml = junitXml(j)
    expect(xml).toMatch(/<testsuite name="t: steady state before the method" tests="1" failures="0" errors="0" skipped="0"/)
    expect(xml).toMatch(/<testsuite name="t: steady state after the method" tests="1" failures="1"/)
    expect(xml).toMatch(/<failure message="observed [^"]*503[^"]*, expected [^"]*200[^"]*" type="ToleranceNotMet">/)
    expect(xml).toMatch(/^<testsuites name="t \(deviated\)" tests="4" failures="1" errors="0"/m) // before, after, the method and the rollbacks
  })

  it('the hypothesis stops at its first probe that is not met; JUnit marks the rest skipped', async () => {
    broken = true
    const j = await runExperiment(exp({ 'steady-state-hypothesis': { title: 'h', probes: [probe('first'), probe('second')] }, method: [call('x', '/noop')] }), OPTS, { values })
    broken = false
    expect(j.status).toBe('completed')
    expect(j.deviated).toBe(false)
    expect(j.steady_states.before!.probes.map((r) => r.activity.name)).toEqual(['first'])
    expect(j.run).toEqual([])
    expect(j.chaoscope?.reason).toMatch(/not met before the method \(probe first\)/)
    expect(junitXml(j)).toMatch(/<testcase classname="steady-state.before" name="second" time="0.000">\n\s+<skipped/)
  })

  it('a background activity starts first and ends last; the method waits for it', async () => {
    const j = await runExperiment(
      exp({ method: [{ type: 'action', name: 'bg', background: true, provider: { type: 'process', path: 'sh', arguments: '-c "sleep 0.6"' } }, call('fg', '/fg')] }),
      OPTS,
      { values },
    )
    expect(j.run.map((r) => r.activity.name)).toEqual(['bg', 'fg'])
    expect(Date.parse(j.run[0]!.end!)).toBeGreaterThan(Date.parse(j.run[1]!.end!))
    expect(Date.parse(j.steady_states.after!.probes[0]!.start)).toBeGreaterThanOrEqual(Date.parse(j.run[0]!.end!))
  })
})
