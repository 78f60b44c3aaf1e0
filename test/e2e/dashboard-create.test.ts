/**
 * The dashboard's create, workflow and pods pages as a user drives them, in headless Chromium on the shop demo:
 * the form shows the pods it picks before submitting and its experiment runs and ends; the YAML editor marks a bad
 * field at its line and keeps Apply disabled; a Workflow's graph shows its nodes' phases and a node's details;
 * Kill on a pod replaces it and Fail for N seconds restarts it; a viewer gets none of the writers' buttons. No console
 * error along the way. Screenshots go to test-artifacts/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { hasChromium, logIn, openBrowser, startDashboardServer } from '../doubles/dashboard-browser.js'
import type { BrowserSession, DashboardServer } from '../doubles/dashboard-browser.js'

interface PodRow { name: string; labels: Record<string, string>; restartCount: number }

describe.skipIf(!hasChromium())('dashboard: create, workflows, pods (headless Chromium on the shop)', () => {
  let server: DashboardServer
  let b: BrowserSession
  let page: Page

  const api = async <T>(path: string, init: { method?: string; body?: string; type?: string } = {}): Promise<T> => {
    const res = await fetch(`${server.url}${path}`, {
      method: init.method ?? 'GET',
      headers: { Authorization: `Bearer ${server.adminToken}`, ...(init.type ? { 'Content-Type': init.type } : {}) },
      ...(init.body ? { body: init.body } : {}),
    })
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`)
    return (await res.json()) as T
  }
  /** Replaces the editor's text as a paste does (CodeMirror reads the paste event's data). */
  const replaceText = async (text: string) => {
    await page.locator('.cm-content').click()
    await page.keyboard.press('ControlOrMeta+a')
    // runs in the page; the test's own types have no DOM, so the page's constructors are typed here
    await page.locator('.cm-content').evaluate((el, t) => {
      const w = globalThis as unknown as { DataTransfer: new () => { setData(type: string, text: string): void }; ClipboardEvent: new (type: string, init: object) => Event }
      const data = new w.DataTransfer()
      data.setData('text/plain', t)
      el.dispatchEvent(new w.ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }))
    }, text)
  }
  const pods = async () => (await api<{ items: PodRow[] }>('/api/v1/pods')).items

  beforeAll(async () => {
    server = await startDashboardServer('shop')
    b = await openBrowser(server.url)
    page = b.page
    await logIn(page, server.adminToken)
  }, 120_000)

  afterAll(async () => {
    await b?.close()
    await server?.close()
  })

  it('the form shows the picked pods before submitting, and its HTTP abort runs, then finishes', async () => {
    const catalog = (await pods()).filter((p) => p.labels['app.kubernetes.io/component'] === 'product-catalog').map((p) => p.name)
    expect(catalog.length).toBeGreaterThan(0)
    await page.goto(`${server.url}/#/new`)
    await page.getByLabel('Fault').selectOption('http-abort')
    await page.getByLabel('Name', { exact: true }).fill('catalog-abort-10s')
    await page.getByLabel('Pods with the label').selectOption('app.kubernetes.io/component=product-catalog')
    await page.getByLabel('Mode').selectOption('all')
    await page.getByLabel('Duration').fill('10s')
    const picked = page.getByRole('list', { name: 'Picked pods' })
    await expect.poll(async () => (await picked.isVisible()) ? (await picked.innerText()).split('\n').sort() : [], { timeout: 10_000 }).toEqual([...catalog].sort())
    const apply = page.getByRole('button', { name: 'Apply' })
    await expect.poll(() => apply.isEnabled()).toBe(true)
    await b.shot('dashboard-create-form')

    // the form's YAML is what the YAML tab holds
    await page.getByRole('tab', { name: 'YAML' }).click()
    const yaml = await page.locator('.cm-content').innerText()
    expect(yaml).toMatch(/kind: HTTPChaos/)
    expect(yaml).toMatch(/duration: 10s/)

    await apply.click()
    await page.waitForURL(/#\/experiments\/HTTPChaos\/default\/catalog-abort-10s$/)
    const phase = page.locator('main .badge').first()
    await expect.poll(() => phase.innerText(), { timeout: 15_000 }).toBe('Running')
    await expect.poll(() => phase.innerText(), { timeout: 30_000, interval: 500 }).toBe('Finished')
  }, 60_000)

  it('the editor marks a bad field at its line, lists it, and keeps Apply disabled', async () => {
    await page.goto(`${server.url}/#/new`)
    // the tabs by keyboard: the arrow keys move to the other tab and choose it
    await page.getByRole('tab', { name: 'Form' }).focus()
    await page.keyboard.press('ArrowRight')
    expect(await page.getByRole('tab', { name: 'YAML' }).getAttribute('aria-selected')).toBe('true')
    await page.keyboard.press('ArrowLeft')
    expect(await page.getByRole('tab', { name: 'Form' }).getAttribute('aria-selected')).toBe('true')
    await page.getByRole('tab', { name: 'YAML' }).click()
    const doc = [
      'apiVersion: chaos-mesh.org/v1alpha1',
      'kind: PodChaos',
      'metadata:',
      '  name: bad-mode',
      'spec:',
      '  action: pod-kill',
      '  mode: sometimes',
      '  selector:',
      '    labelSelectors:',
      '      app: cart',
    ].join('\n')
    await replaceText(doc)
    const underline = page.locator('.cm-lintRange-error')
    await underline.first().waitFor({ timeout: 10_000 })
    // the underline is on line 7, the line of `mode: sometimes`
    const line = await underline.first().evaluate((el) => el.closest('.cm-line')?.textContent ?? '')
    expect(line).toBe('  mode: sometimes')
    expect(await page.locator('.cm-lint-marker-error').count()).toBeGreaterThan(0)
    const problems = page.getByRole('list', { name: 'Problems' })
    await expect.poll(() => problems.innerText()).toMatch(/^7:\d+ SPEC_\w+ spec\.mode/)
    expect(await page.getByRole('button', { name: 'Apply' }).isDisabled()).toBe(true)
    // choosing the problem puts the cursor on its line
    await page.locator('.cm-content').press('ControlOrMeta+Home')
    await problems.getByRole('button').first().click()
    await expect.poll(() => page.locator('.cm-activeLine').innerText()).toBe('  mode: sometimes')
    await b.shot('dashboard-editor-error')

    // fixed, it is valid again and Apply can be used
    await replaceText(doc.replace('sometimes', 'one'))
    await expect.poll(() => page.getByRole('button', { name: 'Apply' }).isEnabled(), { timeout: 10_000 }).toBe(true)
    expect(await underline.count()).toBe(0)
  }, 60_000)

  it("a Workflow's graph shows each node's phase, and a node's details on click", async () => {
    const workflow = [
      'apiVersion: chaos-mesh.org/v1alpha1',
      'kind: Workflow',
      'metadata:',
      '  name: two-delays',
      'spec:',
      '  entry: both',
      '  templates:',
      '    - name: both',
      '      templateType: Serial',
      '      children: [slow-payment, slow-cart]',
      '    - name: slow-payment',
      '      templateType: NetworkChaos',
      '      deadline: 3s',
      '      networkChaos:',
      '        action: delay',
      '        mode: all',
      '        selector: {labelSelectors: {app.kubernetes.io/component: payment}}',
      '        delay: {latency: 50ms}',
      '    - name: slow-cart',
      '      templateType: NetworkChaos',
      '      deadline: 3s',
      '      networkChaos:',
      '        action: delay',
      '        mode: all',
      '        selector: {labelSelectors: {app.kubernetes.io/component: cart}}',
      '        delay: {latency: 50ms}',
    ].join('\n')
    await api('/api/v1/resources', { method: 'POST', body: workflow, type: 'application/yaml' })
    await page.goto(`${server.url}/#/workflows`)
    await page.getByRole('link', { name: 'two-delays' }).click()
    await page.waitForURL(/#\/workflows\/default\/two-delays$/)
    const node = (t: string) => page.locator(`[data-template="${t}"]`)
    await expect.poll(() => node('slow-payment').getAttribute('data-phase'), { timeout: 10_000 }).not.toBe('Pending')
    // both chaos nodes end at their deadline, one after the other
    await expect.poll(() => node('slow-cart').getAttribute('data-phase'), { timeout: 20_000, interval: 500 }).toBe('DeadlineExceed')
    expect(await node('slow-payment').getAttribute('data-phase')).toBe('DeadlineExceed')
    await expect.poll(() => node('both').getAttribute('data-phase'), { timeout: 10_000 }).toBe('Accomplished')

    // keyboard: focus the node and press Enter
    await node('slow-payment').focus()
    await page.keyboard.press('Enter')
    const details = page.locator('.wf-details')
    await details.waitFor()
    expect(await details.innerText()).toMatch(/slow-payment/)
    expect(await details.innerText()).toMatch(/NetworkChaos/)
    const chaosLink = details.getByRole('link', { name: /^NetworkChaos slow-payment-/ })
    // the node ended, so its chaos object was deleted and archived: the link goes to the archive
    expect(await chaosLink.getAttribute('href')).toMatch(/^#\/archive\/[0-9a-f-]{36}$/)
    await expect.poll(() => details.locator('.events').innerText()).toMatch(/NodeDeadlineExceed/)
    expect(await details.locator('.events').innerText()).toMatch(/Recovered recovered default\/payment-/)
    await b.shot('dashboard-workflow')

    await chaosLink.click()
    await page.getByRole('heading', { name: /^NetworkChaos default\/slow-payment-/ }).waitFor()
    expect(await page.getByRole('table', { name: 'Records' }).innerText()).toMatch(/default\/payment-/)
  }, 60_000)

  it("the pods page lists the shop's pods; Kill replaces one, Fail for N seconds restarts one", async () => {
    const before = await pods()
    await page.goto(`${server.url}/#/pods`)
    const table = page.getByRole('table', { name: 'Pods' })
    await table.waitFor()
    for (const p of before) await table.locator(`tr[data-pod="${p.name}"]`).waitFor()
    const cart = before.find((p) => p.labels['app.kubernetes.io/component'] === 'cart')!
    await table.locator(`tr[data-pod="${cart.name}"]`).getByRole('button', { name: `Kill ${cart.name}` }).click()
    const made = page.getByRole('list', { name: 'Experiments created here' })
    await expect.poll(() => made.getByRole('link').first().getAttribute('href')).toMatch(/^#\/experiments\/PodChaos\/default\/kill-cart-[a-z0-9]{6}$/)
    // pod-kill deletes the pod: the runtime starts a new one of another name in its place
    await table.locator(`tr[data-pod="${cart.name}"]`).waitFor({ state: 'detached', timeout: 20_000 })
    const replacement = table.locator('tr[data-pod^="cart-"]:not([data-pod^="cart-store"])')
    await expect.poll(async () => (await replacement.count()) === 1 ? (await replacement.locator('td').nth(4).innerText()) : 'none', { timeout: 20_000 }).toBe('yes')
    await b.shot('dashboard-pods')

    // pod-failure stops its container for the duration: the same pod restarts, its count goes up
    const payment = before.find((p) => p.labels['app.kubernetes.io/component'] === 'payment')!
    await table.getByRole('link', { name: payment.name }).click()
    await page.getByRole('heading', { name: `Pod default/${payment.name}` }).waitFor()
    const restarts = page.locator('dl.facts dt:text-is("Restarts") + dd')
    expect(Number(await restarts.innerText())).toBe(payment.restartCount)
    await page.getByLabel('Seconds of failure').fill('2')
    await page.getByRole('button', { name: 'Fail for' }).click()
    await expect.poll(() => made.getByRole('link').first().innerText()).toMatch(/^PodChaos fail-payment-[a-z0-9]{6}$/)
    await expect.poll(async () => Number(await restarts.innerText()), { timeout: 20_000, interval: 500 }).toBeGreaterThan(payment.restartCount)
    await expect.poll(() => page.getByLabel(`Logs of ${payment.name}`).innerText(), { timeout: 10_000 }).toMatch(/listening/)
  }, 60_000)

  it('a viewer sees the pods and the archive, but no Kill, Fail or Re-run, and no New experiment', async () => {
    const viewer = await openBrowser(server.url)
    try {
      await logIn(viewer.page, await server.token('ui-viewer', 'viewer'))
      expect(await viewer.page.getByRole('link', { name: 'New experiment' }).count()).toBe(0)
      await viewer.page.goto(`${server.url}/#/pods`)
      const table = viewer.page.getByRole('table', { name: 'Pods' })
      await table.locator('tbody tr').first().waitFor()
      expect(await table.getByRole('button').count()).toBe(0)
      const archived = (await api<{ items: { uid: string }[] }>('/api/v1/archive?limit=1')).items[0]!
      await viewer.page.goto(`${server.url}/#/archive/${archived.uid}`)
      await viewer.page.getByRole('table', { name: 'Records' }).waitFor()
      expect(await viewer.page.getByRole('button', { name: 'Re-run' }).count()).toBe(0)
      expect(viewer.consoleErrors).toEqual([])
    } finally {
      await viewer.close()
    }
  }, 30_000)

  it('logged no console error and failed no request: the checks of the bad document are answers, not errors', () => {
    expect(b.failedRequests).toEqual([])
    expect(b.consoleErrors).toEqual([])
  })
})
