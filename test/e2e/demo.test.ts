/**
 * `chaoscope demo --once --fast`, as the README's quick check runs it: the shop starts with its dashboard, the
 * four scenarios run under the shop's user flow, each gets a verdict and a time to recover, the report holds the
 * four fault windows and the four runs, the exit code is the verdict's, and nothing is left running: no process
 * the demo started (pods, sidecars, stress workers), no state file. Needs `npm run build`.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { launch, signalAndWait, waitOutput } from '../doubles/cli-process.js'
import { pidAlive } from '../../src/store/state-files.js'

/** Every process below `root` now, by the parent pids in /proc. */
function descendants(root: number): number[] {
  const parent = new Map<number, number>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      // the command may hold spaces and parentheses: the fields after its last ')' are fixed
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]))
    } catch {
      // it ended meanwhile
    }
  }
  const found: number[] = []
  const walk = (pid: number) => {
    for (const [child, ppid] of parent) if (ppid === pid) found.push(child), walk(child)
  }
  walk(root)
  return found
}

describe('chaoscope demo --once --fast', () => {
  it('runs the four scenarios, writes the report, exits with the verdict and leaves nothing running', async () => {
    const home = mkdtempSync(join(tmpdir(), 'chaoscope-demo-test-'))
    const work = mkdtempSync(join(tmpdir(), 'chaoscope-demo-report-'))
    const report = join(work, 'demo.html')
    const cleanUp = () => [home, work].forEach((d) => rmSync(d, { recursive: true, force: true }))
    const demo = launch(['demo', '--once', '--fast', '--host-ports', 'ephemeral', '--report', report], { ...process.env, CHAOSCOPE_HOME: home })
    const seen = new Set<number>()
    const sample = setInterval(() => descendants(demo.child.pid!).forEach((p) => seen.add(p)), 200)
    const exit = new Promise<number>((r) => demo.child.once('exit', (code) => r(code ?? -1)))
    try {
      await waitOutput(demo, /^dashboard: http:\/\/127\.0\.0\.1:\d+\/$/m, 60_000)
      expect(demo.out()).toMatch(/^login token: \S{20,}$/m)
      await waitOutput(demo, /^\S+ ready: 11 pod\(s\)/m, 60_000)
      expect(existsSync(join(home, 'runtime.json'))).toBe(true)
      const code = await exit
      const out = demo.out()
      // one verdict and one time to recover per scenario, and the exit code they give
      const verdicts = [...out.matchAll(/^ {2}(\d)\. (.+): (held|DEVIATED|not tested[^;]*|\w+); time to recover: (.+)$/gm)]
      expect(verdicts.map((m) => m[1]), out).toEqual(['1', '2', '3', '4'])
      expect(code, out).toBe(verdicts.every((m) => m[3] === 'held') ? 0 : 1)
      expect(out).toContain(`report: ${report}`)
      const html = readFileSync(report, 'utf8')
      expect(html.match(/<tr[^>]* data-fault-id="/g) ?? [], 'one fault window per scenario').toHaveLength(4)
      for (const name of ['kill-checkout', 'frontend-to-catalog-1000ms', 'recommendation-cpu', 'ad-slow-500']) expect(html).toContain(name)
      for (const m of verdicts) expect(html).toContain(m[2])
      // nothing left: every process it started has ended, and no state file is left
      expect(seen.size).toBeGreaterThanOrEqual(11)
      const deadline = Date.now() + 5000
      while ([...seen].some(pidAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
      expect([...seen].filter(pidAlive)).toEqual([])
      expect(['runtime.json', 'controller.json'].filter((f) => existsSync(join(home, f)))).toEqual([])
      expect(out).toMatch(/stopped: no pod, no load, no state file left\n$/)
    } finally {
      clearInterval(sample)
      await signalAndWait(demo.child, 'SIGKILL')
      cleanUp()
    }
  }, 240_000)

  it('Ctrl-C in the middle of a scenario removes its fault, writes the report of what ran, and stops everything', async () => {
    const home = mkdtempSync(join(tmpdir(), 'chaoscope-demo-test-'))
    const work = mkdtempSync(join(tmpdir(), 'chaoscope-demo-report-'))
    const report = join(work, 'demo.json')
    const cleanUp = () => [home, work].forEach((d) => rmSync(d, { recursive: true, force: true }))
    const demo = launch(['demo', '--fast', '--host-ports', 'ephemeral', '--report', report], { ...process.env, CHAOSCOPE_HOME: home })
    const seen = new Set<number>()
    const sample = setInterval(() => descendants(demo.child.pid!).forEach((p) => seen.add(p)), 200)
    const exit = new Promise<number>((r) => demo.child.once('exit', (code) => r(code ?? -1)))
    try {
      await waitOutput(demo, /^\S+ scenario 2\/4: /m, 120_000)
      await waitOutput(demo, /apply NetworkChaos frontend-to-catalog-1000ms/, 30_000)
      demo.child.kill('SIGINT')
      expect(await exit, demo.out()).toBe(1)
      const out = demo.out()
      expect(out).toMatch(/^\S+ {3}done {4}action delete NetworkChaos frontend-to-catalog-1000ms/m)
      expect(out).toMatch(/^ {2}2\. .*: interrupted; time to recover: /m)
      const data = JSON.parse(readFileSync(report, 'utf8')) as { faults: { experiment: { name: string }; end: string | null }[]; runs: unknown[] }
      expect(data.faults.map((f) => [f.experiment.name, f.end !== null])).toEqual([['kill-checkout', true], ['frontend-to-catalog-1000ms', true]])
      expect(data.runs).toHaveLength(2)
      const deadline = Date.now() + 5000
      while ([...seen].some(pidAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
      expect([...seen].filter(pidAlive)).toEqual([])
      expect(['runtime.json', 'controller.json'].filter((f) => existsSync(join(home, f)))).toEqual([])
    } finally {
      clearInterval(sample)
      await signalAndWait(demo.child, 'SIGKILL')
      cleanUp()
    }
  }, 240_000)
})
