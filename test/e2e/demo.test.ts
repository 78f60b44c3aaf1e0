/**
 * `chaoscope demo --once --fast`, as the README's quick check runs it: the shop starts with its dashboard, the
 * four scenarios run as the steps of one workflow under the shop's user flow with the hypothesis checked all along,
 * each step gets a verdict and a time to recover, the report holds the four fault windows, the run and a traced
 * request, the exit code is the verdicts', and nothing is left running: no process the demo started (pods,
 * sidecars, stress workers), no state file. Meanwhile headless Chromium logs in to the dashboard it printed and
 * sees the workflow's step running; the README's screenshots of the demo (the workflow, the overview's charts, the
 * report) are these (test-artifacts/demo-*.png). Needs `npm run build`.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { launch, signalAndWait, waitOutput } from '../doubles/cli-process.js'
import { ARTIFACTS, hasChromium, logIn, openBrowser } from '../doubles/dashboard-browser.js'
import type { BrowserSession } from '../doubles/dashboard-browser.js'
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

/**
 * What a newcomer does while the demo runs: open the dashboard it printed, log in with its token, watch the
 * workflow reach the catalog's step, and look at the overview's live charts.
 */
async function watchInTheDashboard(demo: ReturnType<typeof launch>): Promise<void> {
  const url = /^dashboard: (\S+)\/$/m.exec(demo.out())![1]!
  const token = /^login token: (\S+)$/m.exec(demo.out())![1]!
  let b: BrowserSession | undefined
  try {
    b = await openBrowser(`${url}/`)
    await logIn(b.page, token)
    await waitOutput(demo, /step 2\/4: catalog-latency \(NetworkChaos\) started/, 90_000)
    await b.page.goto(`${url}/#/workflows/default/shop-four-scenarios`)
    const node = (t: string) => b!.page.locator(`[data-template="${t}"]`)
    await expect.poll(() => node('checkout-pod-kill').getAttribute('data-phase'), { timeout: 15_000 }).toBe('DeadlineExceed')
    expect(await node('catalog-latency').getAttribute('data-phase')).toBe('Running')
    await b.shot('demo-workflow')
    await b.page.goto(`${url}/#/`)
    await b.page.locator('main[data-live="ready"]').waitFor({ timeout: 15_000 })
    await b.page.locator('.service-charts').waitFor({ timeout: 15_000 })
    // the catalog's fault window is on the frontend's chart once the chart has drawn its second with errors
    await expect.poll(() => b!.page.getByText('catalog-latency', { exact: false }).count(), { timeout: 15_000 }).toBeGreaterThan(0)
    await b.shot('demo-overview')
    expect(b.consoleErrors).toEqual([])
  } finally {
    await b?.close()
  }
}

/** The report as a reader opens it: its top (verdicts, runs) in the browser. */
async function shootReport(file: string): Promise<void> {
  const b = await openBrowser(`file://${file}`, { width: 1366, height: 1400 })
  try {
    await b.page.getByRole('heading', { name: 'Time to recover' }).waitFor()
    await b.page.screenshot({ path: join(ARTIFACTS, 'demo-report.png') })
    // what shoppers saw: the frontend's chart, with the four fault windows shaded
    await b.page.locator('[data-edge="ingress→frontend"]').screenshot({ path: join(ARTIFACTS, 'demo-report-frontend.png') })
    expect(b.consoleErrors).toEqual([])
  } finally {
    await b.close()
  }
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
      await waitOutput(demo, /^login token: \S{20,}$/m, 60_000)
      expect(demo.out()).toMatch(/^dashboard: http:\/\/127\.0\.0\.1:\d+\/$/m)
      await waitOutput(demo, /^\S+ ready: 11 pod\(s\)/m, 60_000)
      expect(existsSync(join(home, 'runtime.json'))).toBe(true)
      if (hasChromium()) await watchInTheDashboard(demo)
      const code = await exit
      const out = demo.out()
      // progress as each step starts and ends, then one verdict and one time to recover per step
      const steps = ['checkout-pod-kill (PodChaos)', 'catalog-latency (NetworkChaos)', 'recommendation-cpu (StressChaos)', 'ad-errors (HTTPChaos)']
      for (const [i, step] of steps.entries()) expect(out).toMatch(new RegExp(`step ${i + 1}/4: ${step.replace(/[()]/g, '\\$&')} started\n[^]*step ${i + 1}/4: ${step.replace(/[()]/g, '\\$&')} ended`))
      const verdicts = [...out.matchAll(/^ {2}(\d)\. (.+): (held|DEVIATED|not tested|not run|not checked|interrupted)[^;]*; time to recover: (.+)$/gm)]
      expect(verdicts.map((m) => m[2]), out).toEqual(steps)
      for (const m of verdicts) expect(m[3], out).toMatch(/^(held|DEVIATED)$/)
      // the catalog's 1000 ms are the frontend's own timeout: its shoppers see errors, and the report says so
      expect(verdicts[1]![3], out).toBe('DEVIATED')
      expect(out).toMatch(/^ {7}frontend error rate <= 1%: observed /m)
      for (const m of verdicts) expect(m[4], out).toMatch(/^\d+(\.\d)? s$|^nothing to recover/)
      expect(code, out).toBe(verdicts.every((m) => m[3] === 'held') ? 0 : 1)
      expect(out).toContain(`report: ${report}`)
      const html = readFileSync(report, 'utf8')
      expect(html.match(/<tr[^>]* data-fault-id="/g) ?? [], 'one fault window per step').toHaveLength(4)
      for (const template of ['checkout-pod-kill', 'catalog-latency', 'recommendation-cpu', 'ad-errors']) expect(html).toMatch(new RegExp(`${template}-[a-z0-9]{5}-[a-z0-9]{5}`))
      expect(html).toContain('the shop serves its shoppers through four faults')
      expect(html).toContain('deviated during the method')
      expect(html).toMatch(/<h2>Trace of one request<\/h2>[^]*Trace <code>[0-9a-f]{32}/)
      // nothing left: every process it started has ended, and no state file is left
      expect(seen.size).toBeGreaterThanOrEqual(11)
      const deadline = Date.now() + 5000
      while ([...seen].some(pidAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
      expect([...seen].filter(pidAlive)).toEqual([])
      expect(['runtime.json', 'controller.json'].filter((f) => existsSync(join(home, f)))).toEqual([])
      expect(out).toMatch(/stopped: no pod, no load, no state file left\n$/)
      if (hasChromium()) await shootReport(report)
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
      await waitOutput(demo, /step 2\/4: catalog-latency \(NetworkChaos\) started/, 120_000)
      demo.child.kill('SIGINT')
      expect(await exit, demo.out()).toBe(1)
      const out = demo.out()
      // the rollback deletes the workflow, and with it the catalog's delay
      expect(out).toMatch(/^\S+ {3}done {4}action delete Workflow shop-four-scenarios/m)
      expect(out).toMatch(/^ {2}2\. catalog-latency \(NetworkChaos\): (interrupted|DEVIATED)[^;]*; time to recover: /m)
      expect(out).toMatch(/^ {2}3\. recommendation-cpu \(StressChaos\): not run \(interrupted\); time to recover: none/m)
      const data = JSON.parse(readFileSync(report, 'utf8')) as { faults: { experiment: { name: string }; end: string | null }[]; runs: { verdict: string }[] }
      expect(data.faults.map((f) => [f.experiment.name.replace(/-[a-z0-9]{5}-[a-z0-9]{5}$/, ''), f.end !== null])).toEqual([['checkout-pod-kill', true], ['catalog-latency', true]])
      expect(data.runs.map((r) => r.verdict)).toEqual(['interrupted'])
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
