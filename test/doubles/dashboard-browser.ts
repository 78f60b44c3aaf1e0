/**
 * @module test/doubles/dashboard-browser: the dashboard as a user reaches it, for browser tests: the shop demo on
 * an in-process runtime with its controller (`chaoscope up`'s wiring, stateless, ephemeral host ports), the page at
 * the runtime's address, and headless Chromium (Debian's /usr/bin/chromium through playwright-core) with every
 * console error and failed request collected. Screenshots go to test-artifacts/. Needs `npm run build` (the pods
 * and the dashboard run from dist/).
 */
import { mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import type { Browser, Page } from 'playwright-core'
import { loadApp } from '../../src/app-file.js'
import { startRuntimeServer } from '../../src/runtime/server.js'
import type { RuntimeServer } from '../../src/runtime/server.js'
import { startUpController } from '../../src/index.js'
import type { ControllerServer } from '../../src/index.js'
import { CHROMIUM } from '../report-check.js'

export { CHROMIUM, hasChromium } from '../report-check.js'
export const ARTIFACTS = join(import.meta.dirname, '../../test-artifacts')
const ROOT = join(import.meta.dirname, '../..')

export interface DashboardServer {
  rt: RuntimeServer
  ctl: ControllerServer
  /** Where the page is: the runtime's listener (`chaoscope up` serves the dashboard there). */
  url: string
  adminToken: string
  /** A new token of `role` (and namespaces) made through the API, as `chaoscope token create` does. */
  token(name: string, role: 'viewer' | 'operator' | 'admin', namespaces?: string[]): Promise<string>
  close(): Promise<void>
}

/** The demo app `name` (demo/<name>/app.yaml) up with its controller; resolves once every pod is ready. */
export async function startDashboardServer(name = 'shop'): Promise<DashboardServer> {
  const file = join(ROOT, 'demo', name, 'app.yaml')
  const app = loadApp(file)
  if ('issues' in app) throw new Error(JSON.stringify(app.issues))
  const rt = await startRuntimeServer(app.resource, file, { hostPorts: 'ephemeral', supervisor: { backoff: { baseMs: 100, capMs: 1000 } } })
  try {
    await rt.runtime.waitReady(60_000)
    const home = mkdtempSync(join(tmpdir(), 'chaoscope-dashboard-'))
    const ctl = await startUpController(rt, { stateless: true, db: join(home, 'state.db') })
    const url = rt.state.url
    const adminToken = ctl.adminToken!
    return {
      rt,
      ctl,
      url,
      adminToken,
      async token(tokenName, role, namespaces = []) {
        const res = await fetch(`${url}/api/v1/tokens`, { method: 'POST', headers: { Authorization: `Bearer ${adminToken}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ name: tokenName, role, namespaces }) })
        if (res.status !== 201) throw new Error(`token create ${tokenName}: ${res.status} ${await res.text()}`)
        return ((await res.json()) as { token: string }).token
      },
      async close() {
        await ctl.close()
        await rt.close()
      },
    }
  } catch (e) {
    await rt.close()
    throw e
  }
}

export interface BrowserSession {
  browser: Browser
  page: Page
  /** Console errors and uncaught exceptions of the page, in order. */
  consoleErrors: string[]
  /** Requests that failed or were answered 4xx/5xx, as `METHOD path status`; a test that expects some filters them. */
  failedRequests: string[]
  /** A full-page screenshot to test-artifacts/<name>.png. */
  shot(name: string): Promise<string>
  close(): Promise<void>
}

/** Chromium on the page at `url`, at a laptop's size unless `viewport` says otherwise. */
export async function openBrowser(url: string, viewport = { width: 1366, height: 850 }): Promise<BrowserSession> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
  const context = await browser.newContext({ viewport })
  const page = await context.newPage()
  const consoleErrors: string[] = []
  const failedRequests: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text())
  })
  page.on('pageerror', (e) => consoleErrors.push(`uncaught: ${e.message}`))
  page.on('requestfailed', (r) => {
    // a watch stream cut when the page navigates or closes is not a failure the user sees
    if (!new URL(r.url()).pathname.startsWith('/api/v1/watch')) failedRequests.push(`${r.method()} ${new URL(r.url()).pathname} ${r.failure()?.errorText ?? 'failed'}`)
  })
  page.on('response', (r) => {
    if (r.status() >= 400) failedRequests.push(`${r.request().method()} ${new URL(r.url()).pathname} ${r.status()}`)
  })
  await page.goto(url)
  return {
    browser,
    page,
    consoleErrors,
    failedRequests,
    async shot(name) {
      mkdirSync(ARTIFACTS, { recursive: true })
      const path = join(ARTIFACTS, `${name}.png`)
      await page.screenshot({ path, fullPage: true })
      return path
    },
    close: () => browser.close(),
  }
}

/** Logs in with `token` on the login screen, and waits for the places to show. */
export async function logIn(page: Page, token: string): Promise<void> {
  await page.getByLabel('Token').fill(token)
  await page.getByRole('button', { name: 'Log in' }).click()
  await page.getByRole('navigation', { name: 'Places' }).waitFor()
}
