/**
 * chaoscope under a real Prometheus: the generated scrape configuration and deploy/prometheus pass promtool; the
 * chain runs under `chaoscope up` with bounded `chaoscope load`, Prometheus scrapes it with the admin token
 * every second, a 200 ms NetworkChaos delay on middle→back shows in that edge's latency read back through PromQL
 * and goes away after, every query of the Grafana dashboard runs without error, and its per-service rate counts
 * each request once (at the service's ingress sidecars, though it also passes the hostport one). `chaoscope
 * prometheus-config` finds the runtime and says its default token is the admin one. Needs `npm run build` and
 * Debian's prometheus (scripts/setup.sh); skips, saying so, when promtool or prometheus is missing.
 */
import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { prometheusConfig } from '../../src/observe/prometheus-config.js'
import { edgeDelayYaml } from '../doubles/chaos-yaml.js'
import { launch, signalAndWait, waitOutput } from '../doubles/cli-process.js'
import type { CliProcess } from '../doubles/cli-process.js'

const ROOT = join(import.meta.dirname, '../..')
const BIN = join(ROOT, 'bin/chaoscope.js')
const RULES = join(ROOT, 'deploy/prometheus')
const DASHBOARD = join(ROOT, 'deploy/grafana/dashboards/chaoscope.json')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const missingTool = ['promtool', 'prometheus'].find((t) => spawnSync(t, ['--version'], { encoding: 'utf8' }).error !== undefined)
const skipReason = missingTool ? ` (skipped: ${missingTool} is not installed; scripts/setup.sh installs Debian's prometheus)` : ''

const promtool = (...args: string[]) => spawnSync('promtool', args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000 })

interface Dashboard {
  uid: string
  schemaVersion: number
  templating: { list: { name: string; type: string; query: unknown; datasource?: unknown }[] }
  annotations: { list: { name: string; datasource: unknown; expr: string }[] }
  panels: { type: string; title: string; datasource?: unknown; targets?: { expr: string; datasource: unknown }[] }[]
}
const dashboard = (): Dashboard => JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard
const VIA_VARIABLE = { type: 'prometheus', uid: '${datasource}' }

/** Every query the dashboard sends, with Grafana's variables as Grafana would fill them in here. */
function dashboardQueries(rateInterval = '5s'): { what: string; title?: string; expr: string }[] {
  const d = dashboard()
  const fill = (e: string) => e.replaceAll('$__rate_interval', rateInterval).replaceAll('$service', '.*')
  return [
    ...d.panels.flatMap((p) => (p.targets ?? []).map((t, i) => ({ what: `panel "${p.title}" query ${i + 1}`, title: p.title, expr: fill(t.expr) }))),
    ...d.annotations.list.map((a) => ({ what: `annotation "${a.name}"`, expr: fill(a.expr) })),
  ]
}

describe.skipIf(missingTool !== undefined)(`Prometheus and Grafana files${skipReason}`, () => {
  it('the generated configuration passes promtool check config, rules included', () => {
    const dir = mkdtempSync(join(tmpdir(), 'chaoscope-promcfg-'))
    writeFileSync(join(dir, 'token'), 'secret\n', { mode: 0o600 })
    writeFileSync(join(dir, 'runtime-token'), 'other\n', { mode: 0o600 })
    const file = join(dir, 'prometheus.yml')
    writeFileSync(file, prometheusConfig({
      targets: { controller: 'http://127.0.0.1:4000', runtime: 'http://127.0.0.1:4100', loads: ['127.0.0.1:9464', 'http://127.0.0.1:9465/metrics'] },
      tokenFile: join(dir, 'token'),
      runtimeTokenFile: join(dir, 'runtime-token'),
      ruleFiles: [join(RULES, 'chaoscope-rules.yml')],
    }))
    const r = promtool('check', 'config', file)
    expect(r.status, r.stdout + r.stderr).toBe(0)
    expect(r.stdout).toMatch(/SUCCESS: 1 rule files found/)
  })

  it('the rules pass promtool check rules and their unit tests', () => {
    const check = promtool('check', 'rules', join(RULES, 'chaoscope-rules.yml'))
    expect(check.status, check.stdout + check.stderr).toBe(0)
    const test = promtool('test', 'rules', join(RULES, 'chaoscope-rules.test.yml'))
    expect(test.status, test.stdout + test.stderr).toBe(0)
  })

  it('the dashboard has a uid, a schema version, a Prometheus data-source variable every panel and annotation queries through', () => {
    const d = dashboard()
    expect(d.uid).toBe('chaoscope')
    expect(d.schemaVersion).toBeGreaterThanOrEqual(36)
    expect(d.templating.list).toContainEqual(expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }))
    for (const v of d.templating.list.filter((x) => x.type === 'query')) expect(v.datasource, v.name).toEqual(VIA_VARIABLE)
    const queried = d.panels.filter((p) => p.type !== 'row')
    expect(queried.length).toBeGreaterThanOrEqual(12)
    for (const p of queried) {
      expect(p.datasource, p.title).toEqual(VIA_VARIABLE)
      expect(p.targets?.length, p.title).toBeGreaterThan(0)
      for (const t of p.targets!) expect(t.datasource, p.title).toEqual(VIA_VARIABLE)
    }
    expect(d.annotations.list.length).toBeGreaterThan(0)
    for (const a of d.annotations.list) expect(a.datasource, a.name).toEqual(VIA_VARIABLE)
    const exprs = dashboardQueries().map((q) => q.expr).join('\n')
    for (const m of ['chaos_controller_manager_chaos_experiments', 'chaoscope_injections_total', 'chaoscope_recoveries_total', 'histogram_quantile(0.99, sum by (source, destination, le)', 'chaoscope_sidecar_faults_active']) expect(exprs).toContain(m)
  })

  it('the provisioning files point Grafana at the data source and the dashboards directory', () => {
    const ds = parse(readFileSync(join(ROOT, 'deploy/grafana/provisioning/datasources/chaoscope.yaml'), 'utf8'))
    expect(ds).toMatchObject({ apiVersion: 1, datasources: [{ type: 'prometheus', access: 'proxy', url: '${CHAOSCOPE_PROMETHEUS_URL}' }] })
    const dash = parse(readFileSync(join(ROOT, 'deploy/grafana/provisioning/dashboards/chaoscope.yaml'), 'utf8'))
    expect(dash).toMatchObject({ apiVersion: 1, providers: [{ type: 'file', options: { path: '${CHAOSCOPE_GRAFANA_DASHBOARDS}' } }] })
  })
})

async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()))
  const { port } = s.address() as AddressInfo
  await new Promise((r) => s.close(r))
  return port
}

interface PromResponse<T> {
  status: string
  error?: string
  data: T
}
type Vector = { resultType: 'vector'; result: { metric: Record<string, string>; value: [number, string] }[] }
type Matrix = { resultType: 'matrix'; result: { metric: Record<string, string>; values: [number, string][] }[] }

describe.skipIf(missingTool !== undefined)(`chaoscope up scraped by a real Prometheus${skipReason}`, () => {
  const home = mkdtempSync(join(tmpdir(), 'chaoscope-prom-'))
  const env = { ...process.env, CHAOSCOPE_HOME: home, CI: 'true' }
  let up: CliProcess
  let load: CliProcess
  let prom: ChildProcess
  let promLog = ''
  let promUrl = ''

  const query = async <T>(path: string, params: Record<string, string>): Promise<PromResponse<T>> => {
    const res = await fetch(`${promUrl}${path}?${new URLSearchParams(params)}`)
    return (await res.json()) as PromResponse<T>
  }
  const instant = (expr: string) => query<Vector>('/api/v1/query', { query: expr })
  /** The faulted edge's median latency over the last few scrapes, in seconds (undefined: no traffic yet). */
  const EDGE_P50 = 'histogram_quantile(0.5, sum by (le) (rate(chaoscope_sidecar_request_duration_seconds_bucket{source="middle",destination="back"}[3s])))'
  const edgeP50 = async (): Promise<number | undefined> => {
    const r = await instant(EDGE_P50)
    const v = r.data.result[0]?.value[1]
    return v === undefined || v === 'NaN' ? undefined : Number(v)
  }
  const waitFor = async (what: string, ok: () => Promise<boolean>, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs
    while (!(await ok())) {
      if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms\nprometheus:\n${promLog.slice(-3000)}`)
      await sleep(250)
    }
  }

  beforeAll(async () => {
    up = launch(['up', '-f', 'demo/chain/app.yaml', '--host-ports', 'ephemeral', '--timeout', '30'], env)
    const front = (await waitOutput(up, /^service front: (http:\S+)$/m, 40_000))[1]!
    // bounded in time and in count; it ends by itself if the test does not stop it
    load = launch(['load', front, '--rate', '20', '--duration', '150s', '--requests', '3000', '--metrics-addr', '127.0.0.1:0', '-q'], env)
    const loadMetrics = (await waitOutput(load, /^metrics: (http:\S+)$/m, 20_000))[1]!
    const state = JSON.parse(readFileSync(join(home, 'runtime.json'), 'utf8')) as { url: string }
    const controller = JSON.parse(readFileSync(join(home, 'controller.json'), 'utf8')) as { url: string }
    const config = join(home, 'prometheus.yml')
    writeFileSync(config, prometheusConfig({ targets: { controller: controller.url, runtime: state.url, loads: [loadMetrics] }, tokenFile: join(home, 'token'), scrapeInterval: '1s', ruleFiles: [join(RULES, 'chaoscope-rules.yml')] }))
    const port = await freePort()
    promUrl = `http://127.0.0.1:${port}`
    prom = spawn('prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${join(home, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] })
    prom.stdout!.on('data', (d: Buffer) => (promLog += d.toString()))
    prom.stderr!.on('data', (d: Buffer) => (promLog += d.toString()))
    await waitFor('prometheus ready', async () => (await fetch(`${promUrl}/-/ready`).catch(() => undefined))?.ok === true, 30_000)
  }, 120_000)

  afterAll(async () => {
    await signalAndWait(prom, 'SIGTERM')
    await signalAndWait(load?.child, 'SIGINT')
    await signalAndWait(up?.child, 'SIGTERM')
  })

  it('scrapes the runtime (controller metrics included) with the admin token, and the load generator', async () => {
    await waitFor('every target up', async () => {
      const r = await query<{ activeTargets: { labels: { job: string }; health: string }[] }>('/api/v1/targets', {})
      const t = r.data.activeTargets
      return t.length === 2 && t.every((x) => x.health === 'up')
    }, 30_000)
    const jobs = await instant('count by (job) (up == 1)')
    expect(jobs.data.result.map((r) => r.metric.job).sort()).toEqual(['chaoscope-load', 'chaoscope-runtime'])
    await waitFor('sidecar and controller series', async () => (await instant('chaoscope_sidecar_requests_total{source="middle",destination="back"}')).data.result.length > 0 && (await instant('chaos_controller_manager_chaos_experiments')).status === 'success', 20_000)
  }, 60_000)

  it('a 200 ms delay on middle→back raises that edge\'s latency in Prometheus while it lasts, and it comes back after', async () => {
    await waitFor('a baseline of the edge\'s latency', async () => ((await edgeP50()) ?? 1) < 0.1, 30_000)
    const start = Date.now() / 1000
    const f = join(home, 'delay.yaml')
    writeFileSync(f, edgeDelayYaml('middle-back', { latency: '200ms' }))
    const applied = spawnSync(process.execPath, [BIN, 'apply', '-f', f], { cwd: ROOT, env, encoding: 'utf8', timeout: 30_000 })
    expect(applied.status, applied.stderr).toBe(0)
    const applyAt = Date.now() / 1000
    await waitFor('the edge\'s latency rising', async () => ((await edgeP50()) ?? 0) > 0.15, 20_000)
    // the fault window: about 10 s of the delay in the series
    const rose = Date.now()
    await waitFor('a fault window of 10 s', async () => Date.now() - rose > 10_000 && ((await edgeP50()) ?? 0) > 0.15, 30_000)
    const deleted = spawnSync(process.execPath, [BIN, 'delete', 'networkchaos', 'middle-back'], { cwd: ROOT, env, encoding: 'utf8', timeout: 30_000 })
    expect(deleted.status, deleted.stderr).toBe(0)
    const deleteAt = Date.now() / 1000
    await waitFor('the edge\'s latency back down for 5 s', async () => Date.now() / 1000 - deleteAt > 5 && ((await edgeP50()) ?? 1) < 0.1, 30_000)
    const end = Date.now() / 1000

    const r = await query<Matrix>('/api/v1/query_range', { query: EDGE_P50, start: String(start - 5), end: String(end), step: '1s' })
    expect(r.status, r.error).toBe('success')
    const points = (r.data.result[0]?.values ?? []).map(([t, v]) => [t, Number(v)] as const).filter(([, v]) => Number.isFinite(v))
    const before = points.filter(([t]) => t < applyAt)
    const during = points.filter(([t]) => t > applyAt + 4 && t < deleteAt)
    const after = points.filter(([t]) => t > deleteAt + 4)
    expect(after.length).toBeGreaterThan(0)
    expect(before.length).toBeGreaterThan(0)
    expect(Math.max(...before.map(([, v]) => v))).toBeLessThan(0.1)
    // median above 150 ms through most of the window (200 ms injected; rate windows straddle its edges)
    expect(during.filter(([, v]) => v > 0.15).length).toBeGreaterThan(during.length * 0.6)
    expect(after.at(-1)![1]).toBeLessThan(0.1)

    // the controller's side of the same window
    const injected = await instant('sum(chaoscope_injections_total{kind="NetworkChaos",action="delay",result="success"})')
    expect(Number(injected.data.result[0]?.value[1])).toBeGreaterThanOrEqual(1)
    const faults = await query<Matrix>('/api/v1/query_range', { query: 'sum(chaoscope_sidecar_faults_active{source="middle",destination="back"})', start: String(applyAt), end: String(deleteAt), step: '1s' })
    expect(faults.data.result[0]?.values.some(([, v]) => Number(v) >= 1)).toBe(true)
  }, 120_000)

  it('runs every query of the Grafana dashboard without error, and the golden-signal panels have data', async () => {
    for (const q of dashboardQueries()) {
      const r = await instant(q.expr)
      expect(r.status, `${q.what}: ${q.expr}: ${r.error}`).toBe('success')
    }
    // what the run above made: traffic on every service and edge, an injection and a recovery
    const withData = ['Request rate', 'Latency p50 / p99', 'Request rate per edge', 'Latency p50 / p99 per edge', 'Injections by result', 'Recoveries by result', 'Load: responses and errors']
    for (const q of dashboardQueries().filter((x) => withData.includes(x.title ?? '') && x.what.endsWith('query 1'))) {
      const r = await instant(q.expr)
      expect(r.data.result.length, q.what).toBeGreaterThan(0)
    }
    const perService = await instant(dashboardQueries().find((q) => q.title === 'Request rate')!.expr)
    expect(perService.data.result.map((x) => x.metric.destination).sort()).toEqual(expect.arrayContaining(['back', 'front', 'middle']))

    // each request the load sends front passes front's hostport sidecar and one of its ingress sidecars: the
    // per-service rate counts it once, as the load generator does (summing every sidecar gave twice as many)
    const frontRate = Number((await instant(dashboardQueries('20s').find((q) => q.title === 'Request rate')!.expr)).data.result.find((x) => x.metric.destination === 'front')?.value[1])
    const sentRate = Number((await instant('sum(rate(chaoscope_load_requests_total[20s]))')).data.result[0]?.value[1])
    expect(sentRate).toBeGreaterThan(5)
    expect(frontRate / sentRate).toBeGreaterThan(0.8)
    expect(frontRate / sentRate).toBeLessThan(1.25)
  }, 60_000)

  it('chaoscope prometheus-config finds the runtime, sends it the admin token by default and says so', () => {
    const r = spawnSync(process.execPath, [BIN, 'prometheus-config'], { cwd: ROOT, env, encoding: 'utf8', timeout: 30_000 })
    expect(r.status, r.stderr).toBe(0)
    const state = JSON.parse(readFileSync(join(home, 'runtime.json'), 'utf8')) as { url: string }
    const jobs = (parse(r.stdout) as { scrape_configs: { job_name: string; static_configs: { targets: string[] }[]; authorization?: { credentials_file: string } }[] }).scrape_configs
    const runtime = jobs.find((j) => j.job_name === 'chaoscope-runtime')
    expect(runtime?.static_configs[0]?.targets).toEqual([new URL(state.url).host])
    expect(runtime?.authorization?.credentials_file).toBe(join(home, 'token'))
    expect(r.stderr).toContain('the local admin token')
    expect(r.stderr).toContain('chaoscope token create prom --role viewer')

    const own = spawnSync(process.execPath, [BIN, 'prometheus-config', '--token-file', join(home, 'prom.token'), '--runtime-token-file', join(home, 'runtime.token')], { cwd: ROOT, env, encoding: 'utf8', timeout: 30_000 })
    expect(own.status, own.stderr).toBe(0)
    const ownJobs = (parse(own.stdout) as { scrape_configs: { job_name: string; authorization?: { credentials_file: string } }[] }).scrape_configs
    expect(ownJobs.find((j) => j.job_name === 'chaoscope-runtime')?.authorization?.credentials_file).toBe(join(home, 'runtime.token'))
    expect(own.stderr).not.toContain('admin token')
    expect(own.stderr).toContain(`${join(home, 'runtime.token')} does not exist yet`)
  }, 60_000)
})
