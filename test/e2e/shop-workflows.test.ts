/**
 * The shop under a Workflow and a Schedule of examples/, applied through the controller API as a user would,
 * watched with `chaoscope get` and `describe` (the CLI's main() in process) and measured as a shopper notices it
 * through the frontend's hostPort. examples/shop-resilience-plan.yaml runs with its deadlines shortened (the only
 * change, besides its status check's URL pointing at this test's frontend port): the catalog is slowed for its
 * node's deadline, then a recommendation pod is killed, while the status check watches the frontend; the workflow
 * is accomplished and leaves no fault. Needs `npm run build` (the shop's pods run from dist/).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ControllerClient } from '../../src/api/client.js'
import { main } from '../../src/cli/main.js'
import { loadApp, startRuntimeServer, startUpController } from '../../src/index.js'
import type { ControllerServer, RuntimeServer } from '../../src/index.js'
import { bearer } from '../doubles/auth.js'

const ROOT = join(import.meta.dirname, '../..')
const APP_FILE = join(ROOT, 'demo/shop/app.yaml')
const example = (file: string) => readFileSync(join(ROOT, 'examples', file), 'utf8')

async function ms(url: string): Promise<number> {
  const t0 = performance.now()
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000), headers: { connection: 'close' } })
  await res.text()
  return performance.now() - t0
}

async function median(url: string, n = 5): Promise<number> {
  const all: number[] = []
  for (let i = 0; i < n; i++) all.push(await ms(url))
  return all.sort((a, b) => a - b)[Math.floor(n / 2)]!
}

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s) })
  return { code, out, err }
}

describe('the shop under a workflow and a schedule of examples/', () => {
  let rt: RuntimeServer
  let ctl: ControllerServer
  let api: ControllerClient
  let home: string
  let front = ''
  const previousHome = process.env.CHAOSCOPE_HOME

  beforeAll(async () => {
    const app = await loadApp(APP_FILE)
    if ('issues' in app) throw new Error(JSON.stringify(app.issues))
    rt = await startRuntimeServer(app.resource, APP_FILE, { stateless: true, hostPorts: 'ephemeral' })
    await rt.runtime.waitReady(60_000)
    home = mkdtempSync(join(tmpdir(), 'chaoscope-shop-wf-'))
    // as `chaoscope up` does: controller.json and the local admin token in the home, where the CLI finds them
    process.env.CHAOSCOPE_HOME = home
    ctl = await startUpController(rt, { db: join(home, 'shop.db') })
    api = new ControllerClient(rt.state.url, ctl.adminToken)
    front = `http://${rt.runtime.hostPortAddress('frontend')!}`
    for (let t0 = Date.now(); (await fetch(`${front}/`).catch(() => undefined))?.status !== 200; ) {
      if (Date.now() - t0 > 30_000) throw new Error('the shop frontend did not answer 200 within 30 s')
      await new Promise((r) => setTimeout(r, 200))
    }
  }, 90_000)

  afterAll(async () => {
    await ctl?.close()
    await rt?.close()
    if (previousHome === undefined) delete process.env.CHAOSCOPE_HOME
    else process.env.CHAOSCOPE_HOME = previousHome
    if (home) rmSync(home, { recursive: true, force: true })
  }, 30_000)

  it('shop-resilience-plan.yaml: the catalog is slow for its node, a recommendation pod is killed, the check holds; accomplished, nothing left', async () => {
    const before = await median(`${front}/`)
    const recommendationBefore = rt.runtime.pods('app=recommendation').map((p) => p.name)
    const text = example('shop-resilience-plan.yaml')
      .replace('http://127.0.0.1:30090/healthz', `${front}/healthz`)
      .replace(/deadline: 2m/g, 'deadline: 15s')
      .replace('deadline: 30s', 'deadline: 4s')
      .replace('deadline: 10s', 'deadline: 3s')
      .replace('intervalSeconds: 2', 'intervalSeconds: 1')
    const applied = await api.apply(text, { file: 'shop-resilience-plan.yaml' })
    expect(applied.items.map((i) => [i.object.kind, i.object.metadata.name, i.action])).toEqual([['Workflow', 'shop-resilience-plan', 'created']])

    // the catalog's node: its NetworkChaos is made, owned by the node, and the home page (which lists the catalog) slows
    await expect.poll(async () => (await api.list({ kind: 'NetworkChaos' })).filter((o) => o.status?.experiment?.containerRecords?.some((r) => r.phase === 'Injected')).length, { timeout: 10_000, interval: 100 }).toBe(1)
    const [delay] = await api.list({ kind: 'NetworkChaos' })
    expect(delay!.metadata.name).toMatch(/^slow-catalog-[a-z0-9]{5}-[a-z0-9]{5}$/)
    expect(delay!.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'WorkflowNode', name: expect.stringMatching(/^slow-catalog-/) })
    expect(delay!.spec.duration).toBeUndefined() // it lasts until its node's deadline
    const during = await median(`${front}/`)
    expect(during - before).toBeGreaterThan(150)

    // `get wf` and `describe workflow` while it runs: the node tree
    const got = await cli('get', 'wf')
    expect(got.code).toBe(0)
    expect(got.out).toMatch(/^NAME\s+ENTRY\s+PHASE\s+NODES\s+AGE\n/)
    expect(got.out).toMatch(/shop-resilience-plan\s+plan\s+Running\s+\d+\/\d+/)
    const described = await cli('describe', 'workflow', 'shop-resilience-plan')
    expect(described.code).toBe(0)
    expect(described.out).toMatch(/Nodes:\n\s+Node\s+Type\s+Phase\s+Started\s+Ended\s+Deadline\n\s+plan-[a-z0-9]{5}\s+Parallel\s+Running/)
    expect(described.out).toMatch(/[├└]─ steps-[a-z0-9]{5}\s+Serial\s+Running/)
    expect(described.out).toMatch(/slow-catalog-[a-z0-9]{5}\s+NetworkChaos\s+Running/)
    expect(described.out).toMatch(/frontend-healthy-[a-z0-9]{5}\s+StatusCheck\s+Running/)

    // then the pod kill: a recommendation pod replaced; the delay is gone once its node's deadline passed
    await expect.poll(() => rt.runtime.pods('app=recommendation').map((p) => p.name).some((n) => !recommendationBefore.includes(n)), { timeout: 15_000, interval: 200 }).toBe(true)
    expect((await api.list({ kind: 'NetworkChaos' })).length).toBe(0)
    expect(await rt.runtime.effects({ owner: delay!.metadata.uid! })).toEqual([])

    // the whole plan: accomplished, not aborted (the frontend stayed healthy), every fault recovered
    await expect.poll(async () => (await api.get('Workflow', 'default', 'shop-resilience-plan')).status?.chaoscope?.phase as string | undefined, { timeout: 30_000, interval: 250 }).toBe('Accomplished')
    const events = (await api.objectEvents('Workflow', 'default', 'shop-resilience-plan')).map((e) => e.reason)
    expect(events).toContain('WorkflowAccomplished')
    expect(events).not.toContain('WorkflowAborted')
    const faults = (await rt.runtime.effects()).filter((e) => e.type === 'sidecar-fault')
    expect(faults).toEqual([])
    expect((await cli('get', 'wf')).out).toMatch(/shop-resilience-plan\s+plan\s+Accomplished\s+(\d+)\/\1\s/)

    await api.delete('Workflow', 'default', 'shop-resilience-plan')
    expect((await api.list({})).length).toBe(0)
  }, 90_000)

  it('shop-kill-every-5m.yaml: `get schedules` shows when it runs next; pause and delete', async () => {
    await api.apply(example('shop-kill-every-5m.yaml'), { file: 'shop-kill-every-5m.yaml' })
    const got = await cli('get', 'sc')
    expect(got.code).toBe(0)
    expect(got.out).toMatch(/^NAME\s+TYPE\s+SCHEDULE\s+POLICY\s+ACTIVE\s+LAST RUN\s+NEXT RUN\s+PHASE\s+AGE\n/)
    expect(got.out).toMatch(/frontend-kill-every-5m\s+PodChaos\s+\*\/5 \* \* \* \*\s+Forbid\s+0\s+<none>\s+in \d+(m\d+s|s|m)\s+Running/)
    expect((await cli('pause', 'schedule', 'frontend-kill-every-5m')).code).toBe(0)
    expect((await cli('get', 'schedules')).out).toMatch(/frontend-kill-every-5m\s+.*Paused/)
    const metrics = await (await fetch(`${rt.state.url}/metrics`, { headers: bearer(rt.state.token!) })).text()
    expect(metrics).toContain('chaos_controller_manager_chaos_schedules{namespace="default"} 1')
    expect((await cli('delete', 'schedule', 'frontend-kill-every-5m')).code).toBe(0)
    expect((await cli('get', 'sc')).err).toMatch(/No resources found/)
  }, 30_000)
})
