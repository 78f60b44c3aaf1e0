/**
 * The dashboard as a user sees it in headless Chromium, on the shop demo with its controller: logging in (a wrong
 * token is refused), the overview's live charts once traffic flows, an experiment applied through the API showing in
 * the list and on its page (targets Injected, then Recovered once its duration ends, its fault window on the chart),
 * Pause, Resume and Delete through the buttons, and a viewer who sees the pages but none of the writers' buttons.
 * No console error and no failed request but the ones a step expects. Screenshots go to test-artifacts/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { hasChromium, logIn, openBrowser, startDashboardServer } from '../doubles/dashboard-browser.js'
import type { BrowserSession, DashboardServer } from '../doubles/dashboard-browser.js'

/** Steady traffic to the shop's frontend: sequential plain GETs, at most `max` of them and for at most `ms`. */
function driveTraffic(address: string, max = 6000, ms = 240_000): { stop: () => Promise<number> } {
  let stopped = false
  const deadline = Date.now() + ms
  const done = (async () => {
    let sent = 0
    while (!stopped && sent < max && Date.now() < deadline) {
      sent++
      await fetch(`http://${address}/`, { signal: AbortSignal.timeout(5000) }).then((r) => r.arrayBuffer(), () => undefined)
      await new Promise((r) => setTimeout(r, 40))
    }
    return sent
  })()
  return { stop: () => { stopped = true; return done } }
}

/** Waits until `check` holds (polling), failing with `what` after `ms`. */
async function until(what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

const HTTP_ABORT = (name: string) => `apiVersion: chaos-mesh.org/v1alpha1
kind: HTTPChaos
metadata:
  name: ${name}
  labels: {team: shop, fault: abort}
  annotations: {chaoscope.dev/percent: "50"}
spec:
  mode: all
  selector:
    labelSelectors: {app.kubernetes.io/component: product-catalog}
  target: Request
  port: 8080
  path: "*"
  abort: true
  duration: 15s
`

const NETWORK_DELAY = (name: string) => `apiVersion: chaos-mesh.org/v1alpha1
kind: NetworkChaos
metadata:
  name: ${name}
  labels: {team: shop, fault: delay}
spec:
  action: delay
  mode: all
  selector:
    labelSelectors: {app.kubernetes.io/component: frontend}
  direction: to
  target:
    mode: all
    selector:
      labelSelectors: {app.kubernetes.io/component: ad}
  delay: {latency: 50ms}
`

describe.skipIf(!hasChromium())('dashboard in headless Chromium (the shop up with its controller)', () => {
  let srv: DashboardServer
  let traffic: { stop: () => Promise<number> }
  const sessions: BrowserSession[] = []

  const api = async (method: string, path: string, body?: string, token = srv.adminToken): Promise<Response> =>
    fetch(`${srv.url}${path}`, { method, headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/yaml' } : {}) }, ...(body ? { body } : {}) })
  const open = async (viewport?: { width: number; height: number }) => {
    const s = await openBrowser(srv.url, viewport)
    sessions.push(s)
    return s
  }
  const go = async (page: Page, hash: string) => {
    // scripts for the page are strings: this project's types are Node's, without the DOM's
    await page.evaluate(`location.hash = ${JSON.stringify(hash)}`)
  }
  const badge = (page: Page, text: string) => page.locator('.experiment-head .badge', { hasText: new RegExp(`^${text}$`) })

  beforeAll(async () => {
    srv = await startDashboardServer('shop')
    traffic = driveTraffic(srv.rt.runtime.hostPortAddress('frontend')!)
    // the overview's first read of the signals finds traffic (no "no traffic recorded yet" 400 to allow for)
    await until('traffic in the report', async () => (await api('GET', '/api/v1/report?since=15m&format=json')).status === 200, 60_000)
  }, 120_000)

  afterAll(async () => {
    for (const s of sessions) await s.close().catch(() => {})
    const sent = await traffic?.stop()
    expect(sent).toBeGreaterThan(0)
    await srv?.close()
  }, 60_000)

  it('refuses a wrong token with an error and shows no places', async () => {
    const { page, consoleErrors, failedRequests } = await open()
    await page.getByLabel('Token').fill('not-a-token')
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.getByRole('alert').waitFor()
    expect(await page.getByRole('alert').textContent()).toMatch(/AUTH_INVALID_TOKEN/)
    expect(await page.getByRole('navigation', { name: 'Places' }).count()).toBe(0)
    expect(failedRequests).toEqual(['GET /api/v1/whoami 401'])
    // the browser logs a refused fetch as a console error of its own: that one is the 401 above
    expect(consoleErrors.filter((e) => !/401/.test(e))).toEqual([])
  }, 30_000)

  it('shows the counts, the services\' live charts and the experiments it runs; Pause, Resume and Delete act on them', async () => {
    const s = await open()
    const { page } = s
    await logIn(page, srv.adminToken)
    await page.locator('figure.service-chart[data-service="frontend"] canvas').waitFor({ timeout: 30_000 })
    expect(await page.locator('figure.service-chart').count()).toBeGreaterThanOrEqual(4)
    expect(await page.getByRole('link', { name: /experiments running/ }).textContent()).toMatch(/^0/)
    await s.shot('dashboard-overview-empty')

    // an HTTP fault on the product catalog, 15 s long, applied through the API
    const applied = await api('POST', '/api/v1/resources', HTTP_ABORT('catalog-aborts'))
    expect(applied.status).toBe(201)
    await page.getByRole('link', { name: /^1\s*experiments running/ }).waitFor()
    await page.locator('figure.service-chart').first().locator('.badge', { hasText: 'fault active' }).waitFor({ timeout: 20_000 })
    expect(await page.locator('figure.service-chart').first().getAttribute('data-service')).toBe('product-catalog')
    await page.getByRole('table', { name: 'Running and paused experiments' }).getByRole('link', { name: 'HTTPChaos/catalog-aborts' }).waitFor()
    await page.getByRole('table', { name: 'recent events, newest first' }).getByRole('link', { name: 'HTTPChaos/catalog-aborts' }).first().waitFor()
    await s.shot('dashboard-overview')

    // the list shows it; its filters are in the hash; a bad selector says why
    await page.getByRole('navigation', { name: 'Places' }).getByRole('link', { name: 'Experiments' }).click()
    const table = page.getByRole('table', { name: 'experiments' })
    await table.getByRole('link', { name: 'catalog-aborts' }).waitFor()
    await page.getByLabel('Label selector').fill('fault=delay')
    await page.getByText('No experiment matches.').waitFor()
    expect(await page.evaluate('location.hash')).toBe('#/experiments?labelSelector=fault%3Ddelay')
    await page.getByLabel('Label selector').fill('team in (shop')
    await page.getByRole('alert').filter({ hasText: 'Label selector' }).waitFor()
    await page.getByLabel('Label selector').fill('team=shop,fault in (abort)')
    await page.getByLabel('Kind').selectOption('HTTPChaos')
    await table.getByRole('link', { name: 'catalog-aborts' }).click()

    // its page: the target Injected, then Recovered once the 15 s are over, and its fault window on the chart
    await page.getByRole('heading', { name: /HTTPChaos default\/catalog-aborts/ }).waitFor()
    const records = page.getByRole('table', { name: 'targets' })
    await records.locator('.badge', { hasText: /^Injected$/ }).waitFor({ timeout: 15_000 })
    await page.locator('section.experiment-signals figure.edge-chart canvas').first().waitFor({ timeout: 20_000 })
    await page.getByRole('table', { name: 'conditions' }).getByRole('row', { name: /AllRecovered\s+True/ }).waitFor({ timeout: 40_000 })
    await records.locator('.badge', { hasText: /^Recovered$/ }).waitFor()
    await badge(page, 'Finished').waitFor({ timeout: 10_000 })
    const obj = (await (await api('GET', '/api/v1/namespaces/default/HTTPChaos/catalog-aborts')).json()) as { status: { experiment: { containerRecords: { events: { operation: string; timestamp: string }[] }[] } } }
    const ops = obj.status.experiment.containerRecords[0]!.events
    const injectedAt = Date.parse(ops.find((e) => e.operation === 'Apply')!.timestamp)
    const recoveredAt = Date.parse(ops.find((e) => e.operation === 'Recover')!.timestamp)
    await until('the window closed on the chart', async () => {
      const w = await page.locator('section.experiment-signals').getAttribute('data-windows')
      const m = /^(\d+)-(\d+)$/.exec(w ?? '')
      return m !== null && Math.abs(Number(m[1]) - injectedAt) < 2000 && Math.abs(Number(m[2]) - recoveredAt) < 2000
    }, 20_000)
    const chart = page.locator('section.experiment-signals figure.edge-chart').first()
    expect(await chart.getAttribute('data-edge')).toMatch(/→product-catalog$/)
    expect(await chart.getAttribute('data-windows')).toContain('-')
    await page.getByRole('table', { name: 'its events, newest first' }).getByText('Recovered', { exact: false }).first().waitFor()
    expect(await page.locator('pre.block').textContent()).toContain('abort: true')
    await s.shot('dashboard-experiment')

    // a second one, without a duration: Pause and Resume change its phase, Delete asks first and goes back to the list
    expect((await api('POST', '/api/v1/resources', NETWORK_DELAY('frontend-to-ad-delay'))).status).toBe(201)
    await go(page, '#/experiments/NetworkChaos/default/frontend-to-ad-delay')
    await badge(page, 'Running').waitFor({ timeout: 15_000 })
    await page.getByRole('button', { name: 'Pause' }).click()
    await badge(page, 'Paused').waitFor()
    expect(await page.getByRole('button', { name: 'Pause' }).count()).toBe(0)
    await page.getByRole('button', { name: 'Resume' }).click()
    await badge(page, 'Running').waitFor({ timeout: 15_000 })
    await page.getByRole('button', { name: 'Delete' }).click()
    await page.getByRole('button', { name: 'Cancel' }).click()
    expect(await page.getByRole('button', { name: 'Yes, delete it' }).count()).toBe(0)
    await page.getByRole('button', { name: 'Delete' }).click()
    await page.getByRole('button', { name: 'Yes, delete it' }).click()
    await page.getByRole('heading', { name: 'Experiments', exact: true }).waitFor({ timeout: 20_000 })
    expect((await api('GET', '/api/v1/namespaces/default/NetworkChaos/frontend-to-ad-delay')).status).toBe(404)
    await page.getByRole('table', { name: 'experiments' }).getByRole('link', { name: 'catalog-aborts' }).waitFor()
    expect(await page.getByRole('link', { name: 'frontend-to-ad-delay' }).count()).toBe(0)

    // its page, opened again, says it is gone and where to find it
    await go(page, '#/experiments/NetworkChaos/default/frontend-to-ad-delay')
    await page.getByText('There is no such experiment now').waitFor()
    await page.getByRole('main').getByRole('link', { name: 'archive' }).waitFor()

    expect(s.consoleErrors).toEqual([])
    expect(s.failedRequests).toEqual([])
  }, 180_000)

  it('lays the overview out on a wide screen', async () => {
    const s = await open({ width: 1920, height: 1080 })
    await logIn(s.page, srv.adminToken)
    await s.page.locator('figure.service-chart canvas').first().waitFor({ timeout: 20_000 })
    await s.page.getByRole('table', { name: 'recent events, newest first' }).waitFor()
    await s.shot('dashboard-overview-wide')
    expect(s.consoleErrors).toEqual([])
    expect(s.failedRequests).toEqual([])
  }, 60_000)

  it('with 1000 archived experiments and 50 running, the overview counts them and lists the 50 (bench/dashboard.mjs times it)', async () => {
    // a 1 ms delay on the email service, which the traffic never reaches: cheap to inject and recover
    const idle = (name: string) => `apiVersion: chaos-mesh.org/v1alpha1
kind: NetworkChaos
metadata: {name: ${name}, labels: {load: "yes"}}
spec:
  action: delay
  mode: all
  selector: {labelSelectors: {app.kubernetes.io/component: email}}
  delay: {latency: 1ms}
`
    const names = Array.from({ length: 1050 }, (_, i) => `idle-${String(i).padStart(4, '0')}`)
    for (let i = 0; i < names.length; i += 150) {
      const res = await api('POST', '/api/v1/resources', names.slice(i, i + 150).map(idle).join('---\n'))
      expect(res.status).toBe(201)
    }
    for (let i = 0; i < 1000; i += 25) {
      await Promise.all(names.slice(i, i + 25).map(async (n) => expect((await api('DELETE', `/api/v1/namespaces/default/NetworkChaos/${n}`)).status).toBe(200)))
    }
    let archived = 0
    for (let cont = ''; ;) {
      const page = (await (await api('GET', `/api/v1/archive?limit=1000${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`)).json()) as { items: unknown[]; metadata: { continue?: string } }
      archived += page.items.length
      if (!page.metadata.continue) break
      cont = page.metadata.continue
    }
    expect(archived).toBeGreaterThanOrEqual(1000)
    const s = await open()
    const { page } = s
    await page.getByLabel('Token').fill(srv.adminToken)
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.getByRole('link', { name: /^50\s*experiments running/ }).waitFor()
    await page.getByRole('link', { name: new RegExp(`^${archived}\\s*archived`) }).waitFor()
    await page.getByRole('table', { name: 'Running and paused experiments' }).waitFor()
    expect(await page.getByRole('table', { name: 'Running and paused experiments' }).locator('tbody tr').count()).toBe(50)
    await page.locator('figure.service-chart canvas').first().waitFor()
    await s.shot('dashboard-overview-busy')
    // the charts follow; the list filtered by label finds the 50
    await go(page, '#/experiments?labelSelector=load%3Dyes')
    await page.getByText('50 experiments').waitFor()
    expect(s.consoleErrors).toEqual([])
    expect(s.failedRequests).toEqual([])
  }, 180_000)

  it('shows a viewer the pages but no button it may not use', async () => {
    // a running experiment, whose page shows an operator Pause and Delete
    expect((await api('POST', '/api/v1/resources', NETWORK_DELAY('for-the-viewer'))).status).toBe(201)
    const viewer = await srv.token('dash-viewer', 'viewer')
    const s = await open()
    const { page } = s
    await logIn(page, viewer)
    const places = page.getByRole('navigation', { name: 'Places' })
    expect(await places.getByRole('link', { name: 'Overview' }).count()).toBe(1)
    expect(await places.getByRole('link', { name: 'New experiment' }).count()).toBe(0)
    await page.locator('figure.service-chart canvas').first().waitFor({ timeout: 20_000 })
    await places.getByRole('link', { name: 'Experiments' }).click()
    await page.getByRole('table', { name: 'experiments' }).getByRole('link', { name: 'for-the-viewer' }).click()
    await page.getByRole('table', { name: 'targets' }).waitFor()
    await badge(page, 'Running').waitFor()
    for (const name of ['Pause', 'Resume', 'Delete']) expect(await page.getByRole('button', { name }).count()).toBe(0)
    await s.shot('dashboard-viewer')
    expect(s.consoleErrors).toEqual([])
    expect(s.failedRequests).toEqual([])
    expect((await api('DELETE', '/api/v1/namespaces/default/NetworkChaos/for-the-viewer')).status).toBe(200)
  }, 60_000)

  it('serves a token limited to a namespace: lists and watches that namespace, says why it has no charts', async () => {
    const limited = await srv.token('dash-default-only', 'viewer', ['default'])
    const s = await open()
    const { page } = s
    await logIn(page, limited)
    await page.locator('main[data-live="ready"]').waitFor()
    await page.getByText('a token limited to namespaces cannot read them').waitFor()
    // live: an experiment applied now shows up without a reload
    expect((await api('POST', '/api/v1/resources', NETWORK_DELAY('for-the-limited'))).status).toBe(201)
    await go(page, '#/experiments')
    await page.getByRole('table', { name: 'experiments' }).getByRole('link', { name: 'for-the-limited' }).waitFor()
    await go(page, '#/pods')
    await page.getByRole('link', { name: /^frontend-/ }).first().waitFor()
    await go(page, '#/archive')
    await page.getByRole('table', { name: 'Archived experiments' }).waitFor()
    expect(s.consoleErrors).toEqual([])
    expect(s.failedRequests).toEqual([])
    expect((await api('DELETE', '/api/v1/namespaces/default/NetworkChaos/for-the-limited')).status).toBe(200)
  }, 60_000)
})
