// Dashboard benchmark: the time from opening the dashboard (a tab that has its token) to a usable overview (the
// first list in, the watch open, the overview's counts and its list of running experiments drawn), in headless
// Chromium, on a controller holding 1000 archived experiments and 50 running ones. Baseline, same run: the same page
// on a controller with nothing in it. Both controllers are `chaoscope server`'s wiring, started the same way in this
// process over the same shop runtime; runs interleave A B B A, each in a fresh browser context (nothing cached).
//
// Usage: npm run build && node bench/dashboard.mjs [--quick]
import { mkdtempSync } from 'node:fs'
import { randomUUID } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { loadApp, startRuntimeServer, startServer } from '../dist/src/index.js'
import { Store } from '../dist/src/store/store.js'

const QUICK = process.argv.includes('--quick')
const ROUNDS = QUICK ? 3 : 10
const ARCHIVED = 1000
const RUNNING = 50
const ROOT = join(import.meta.dirname, '..')
const APP = join(ROOT, 'demo/shop/app.yaml')
const home = mkdtempSync(join(tmpdir(), 'chaoscope-bench-dashboard-'))
process.env.CHAOSCOPE_HOME = home
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]

/** Archives `n` finished pod-kill experiments as the controller does when one is deleted (object, events). */
function seedArchive(db, n) {
  const store = Store.open(db)
  const t0 = Date.now() - 3 * 86400_000
  for (let i = 0; i < n; i++) {
    const uid = randomUUID()
    const createdAt = new Date(t0 + i * 60_000).toISOString()
    const finishedAt = new Date(t0 + i * 60_000 + 30_000).toISOString()
    const metadata = { name: `archived-${i}`, namespace: 'default', uid, labels: { bench: 'archive' } }
    const spec = { action: 'pod-kill', mode: 'one', selector: { labelSelectors: { app: 'cart' } } }
    const status = { conditions: [{ type: 'AllRecovered', status: 'True' }], experiment: { desiredPhase: 'Stop', containerRecords: [{ id: `default/cart-${i}`, phase: 'Recovered', injectedCount: 1, recoveredCount: 1 }] }, chaoscope: { phase: 'finished', action: 'pod-kill', records: [] } }
    store.insertResource({ uid, apiVersion: 'chaos-mesh.org/v1alpha1', kind: 'PodChaos', namespace: 'default', name: metadata.name, generation: 1, metadata, spec, status, createdAt, finalizers: [] })
    store.addEvent({ uid, kind: 'PodChaos', namespace: 'default', name: metadata.name, type: 'Normal', reason: 'Applied', message: 'pod-kill on 1 pod', time: createdAt })
    store.archive(uid, { apiVersion: 'chaos-mesh.org/v1alpha1', kind: 'PodChaos', metadata: { ...metadata, creationTimestamp: createdAt }, spec, status }, finishedAt)
  }
  store.close()
}

/** `RUNNING` network delays that stay in place (no duration), spread over the shop's services. */
function runningExperiments() {
  const apps = ['frontend', 'cart', 'product-catalog', 'currency', 'recommendation', 'shipping', 'checkout', 'payment', 'email', 'ad']
  return Array.from({ length: RUNNING }, (_, i) => `apiVersion: chaos-mesh.org/v1alpha1
kind: NetworkChaos
metadata: {name: bench-delay-${i}, namespace: default}
spec:
  action: delay
  mode: all
  selector: {namespaces: [default], labelSelectors: {app: ${apps[i % apps.length]}}}
  delay: {latency: 1ms}
`).join('---\n')
}

async function apply(url, token, yaml) {
  const res = await fetch(`${url}/api/v1/resources`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/yaml' }, body: yaml })
  if (!res.ok) throw new Error(`apply: ${res.status} ${await res.text()}`)
}

/** Opens the dashboard in a fresh context with the token already in the tab; ms until the overview is usable. */
async function timeOverview(browser, server, running) {
  const context = await browser.newContext({ viewport: { width: 1366, height: 850 } })
  await context.addInitScript((t) => sessionStorage.setItem('chaoscope.token', t), server.adminToken)
  const page = await context.newPage()
  const errors = []
  page.on('pageerror', (e) => errors.push(e.message))
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()))
  const t0 = performance.now()
  await page.goto(server.state.url)
  // usable: the first list is in, the watch open, the count of running experiments and their list drawn
  await page.waitForFunction((n) => {
    if (document.querySelector('main[data-live="ready"]') === null) return false
    const count = [...document.querySelectorAll('a.card.count')].some((a) => new RegExp(`^${n}\\s*experiments running`).test(a.textContent ?? ''))
    return count && document.querySelectorAll('table[aria-labelledby="active-title"] tbody tr').length === Math.min(n, 50)
  }, running, { polling: 'raf', timeout: 30_000 }).catch(async (e) => {
    const seen = await page.evaluate(() => ({ live: document.querySelector('main')?.dataset.live, cards: [...document.querySelectorAll('a.card.count')].map((a) => a.textContent), rows: document.querySelectorAll('table[aria-labelledby="active-title"] tbody tr').length }))
    throw new Error(`${e.message}\nthe page showed: ${JSON.stringify(seen)}`)
  })
  const ms = performance.now() - t0
  await context.close()
  if (errors.length) throw new Error(`console errors: ${errors.join('; ')}`)
  return ms
}

const app = await loadApp(APP)
if ('issues' in app) throw new Error(JSON.stringify(app.issues))
const rt = await startRuntimeServer(app.resource, APP, { hostPorts: 'ephemeral' })
await rt.runtime.waitReady(60_000)
const loadedDb = join(home, 'loaded.db')
const s0 = performance.now()
seedArchive(loadedDb, ARCHIVED)
console.log(`seeded ${ARCHIVED} archived experiments in ${Math.round(performance.now() - s0)} ms`)
const common = { runtimeUrl: rt.state.url, runtimeToken: rt.state.token, stateless: true, port: 0 }
const loaded = await startServer({ ...common, db: loadedDb })
const empty = await startServer({ ...common, db: join(home, 'empty.db') })
await apply(loaded.state.url, loaded.adminToken, runningExperiments())
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] })
try {
  // one warm-up each (Chromium's first page, the servers' first answers), not counted
  await timeOverview(browser, loaded, RUNNING)
  await timeOverview(browser, empty, 0)
  const a = []
  const b = []
  for (let r = 0; r < ROUNDS; r++) {
    // A B B A
    if (r % 2 === 0) {
      a.push(await timeOverview(browser, loaded, RUNNING))
      b.push(await timeOverview(browser, empty, 0))
    } else {
      b.push(await timeOverview(browser, empty, 0))
      a.push(await timeOverview(browser, loaded, RUNNING))
    }
  }
  const ratio = median(a) / median(b)
  console.log(`overview with ${ARCHIVED} archived + ${RUNNING} running: median ${median(a).toFixed(0)} ms, p90 ${pct(a, 90).toFixed(0)} ms (${ROUNDS} runs)`)
  console.log(`overview of an empty controller (baseline): median ${median(b).toFixed(0)} ms, p90 ${pct(b, 90).toFixed(0)} ms`)
  console.log(`ratio loaded/empty: ${ratio.toFixed(2)}x; goal: under 1000 ms loaded -> ${median(a) < 1000 ? 'met' : 'NOT met'}`)
} finally {
  await browser.close()
  await loaded.close()
  await empty.close()
  await rt.close()
}
