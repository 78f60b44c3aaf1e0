/**
 * Runs and reports over the API, in-process against the real Controller on an in-memory store: a journal is
 * kept and listed, a bad one refused with its code; the report of a range holds the fault window the records of
 * a real (then deleted, so archived) experiment give, the signals the recorder wrote, and the run with its score.
 */
import http from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { afterEach, describe, expect, it } from 'vitest'
import { apiApp } from './app.js'
import { Controller } from '../engine/controller.js'
import { Store } from '../store/store.js'
import { hashToken, newToken } from './auth.js'
import { runExperiment } from '../verdict/runner.js'
import { openApiDocument } from './openapi.js'
import type { SignalRow } from '../store/store.js'
import { fakePod, FakeRuntime } from '../../test/doubles/fake-runtime.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by the assertions
type Json = any

const controllers: Controller[] = []
afterEach(async () => {
  for (const c of controllers.splice(0)) await c.stop()
})

/** `ahead`: how far the reports' clock runs ahead of the real one (a report leaves out the second going on). */
function setup(ahead = 5000) {
  const runtime = new FakeRuntime([fakePod('back-aaaaa', { app: 'back' }, { protocol: 'http', containerPort: 8080 })])
  const store = Store.open(':memory:')
  const controller = Controller.open({ store, runtime, podCacheMs: 0 })
  controllers.push(controller)
  void controller.start()
  const app = apiApp({ controller, runtime, reports: store, now: () => Date.now() + ahead })
  return { app, store, controller }
}

const journal = (title: string, met: boolean) => ({
  'chaoslib-version': '1.44.0', platform: 'linux', node: 'n',
  experiment: { title, 'steady-state-hypothesis': { title: 'ok', probes: [{ name: 'front-ok' }] }, method: [] },
  start: new Date(Date.now() - 2000).toISOString().replace('Z', ''), end: new Date().toISOString().replace('Z', ''), status: 'completed', deviated: !met,
  steady_states: {
    before: { steady_state_met: true, probes: [{ activity: { type: 'probe', name: 'front-ok' }, status: 'succeeded', tolerance_met: true, output: 200, start: '' }] },
    during: [],
    after: { steady_state_met: met, probes: [{ activity: { type: 'probe', name: 'front-ok' }, status: 'succeeded', tolerance_met: met, output: met ? 200 : 503, start: '' }] },
  },
  run: [], rollbacks: [],
})

/** What is wrong with `value` as the OpenAPI document's schema `name` says it (JSON Schema 2020-12, as OpenAPI 3.1). */
function nonConformance(name: string, value: unknown): string[] {
  const { default: Ajv2020 } = createRequire(import.meta.url)('ajv/dist/2020') as { default: new (o: object) => { addFormat(n: string, f: (s: string) => boolean): void; compile(s: object): ((v: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] } } }
  const ajv = new Ajv2020({ strict: false, allErrors: true })
  ajv.addFormat('date-time', (t) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i.test(t) && !Number.isNaN(Date.parse(t)))
  const check = ajv.compile({ $ref: `#/components/schemas/${name}`, components: (openApiDocument() as { components: object }).components })
  return check(value) ? [] : (check.errors ?? []).map((e) => `${e.instancePath} ${e.message}`)
}

const post = (app: ReturnType<typeof setup>['app'], body: unknown) =>
  app.request('/api/v1/runs', { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } })

async function until<T>(f: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = await f()
    if (v !== undefined) return v
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('POST and GET /api/v1/runs', () => {
  it('keeps journals, lists them without their journals, and refuses what is not a journal', async () => {
    const { app } = setup()
    const a = await post(app, journal('front survives', true))
    expect(a.status).toBe(201)
    const kept = (await a.json()) as Json
    expect(kept).toMatchObject({ id: 1, experiment: 'front survives', status: 'completed', deviated: false })
    await post(app, journal('front survives', false))
    const list = (await (await app.request('/api/v1/runs?experiment=front%20survives')).json()) as Json
    expect(list.items.map((r: Json) => [r.id, r.deviated, r.journal])).toEqual([[1, false, undefined], [2, true, undefined]])

    const bad = await post(app, { title: 'no journal' })
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as Json).code).toBe('REPORT_INVALID_JOURNAL')
    expect(((await (await post(app, '{"experiment":')).json()) as Json).code).toBe('REPORT_INVALID_JOURNAL')
    const wrongType = await app.request('/api/v1/runs', { method: 'POST', body: '{}', headers: { 'content-type': 'text/plain' } })
    expect(wrongType.status).toBe(415)
  })
})

describe('GET /api/v1/report', () => {
  it('holds the fault window of a real experiment, the recorded signals and the run with its score', async () => {
    const { app, store, controller } = setup()
    const started = Date.now()
    await controller.apply({
      apiVersion: 'chaos-mesh.org/v1alpha1', kind: 'NetworkChaos', metadata: { name: 'slow-back', namespace: 'default' },
      spec: { action: 'delay', mode: 'all', selector: { labelSelectors: { app: 'back' } }, delay: { latency: '100ms' } },
    } as never)
    await until(async () => ((await controller.get('NetworkChaos', 'default', 'slow-back'))?.status as Json)?.conditions?.find((c: Json) => c.type === 'AllInjected' && c.status === 'True'))
    await controller.delete('NetworkChaos', 'default', 'slow-back', { wait: true })
    await post(app, journal('front survives', true))
    // what the recorder would have written: a second of traffic to back
    const row: SignalRow = { sidecar: 'back-ingress', t: started, stepMs: 1000, source: 'ingress', destination: 'back', requests: { '2xx': 9, '5xx': 1 }, bounds: [10, 100], counts: [5, 5, 0], sumMs: 300 }
    store.appendSignals([row])

    const res = await app.request('/api/v1/report?since=5m')
    expect(res.status).toBe(200)
    const data = (await res.json()) as Json
    expect(data.schema).toBe('chaoscope.report/v1')
    expect(data.faults).toHaveLength(1)
    expect(data.faults[0]).toMatchObject({ experiment: { kind: 'NetworkChaos', namespace: 'default', name: 'slow-back' }, action: 'delay', targets: ['back-aaaaa'], services: ['back'] })
    expect(Date.parse(data.faults[0].end)).toBeGreaterThanOrEqual(Date.parse(data.faults[0].start))
    expect(data.edges.map((e: Json) => e.id)).toEqual(['ingress→back'])
    expect(data.services[0]).toMatchObject({ service: 'back', requests: 10, affected: true })
    expect(data.runs).toHaveLength(1)
    expect(data.runs[0]).toMatchObject({ title: 'front survives', verdict: 'passed', score: { value: 100 } })

    const html = await app.request('/api/v1/report?since=5m&format=html')
    expect(html.headers.get('content-type')).toMatch(/^text\/html/)
    expect(await html.text()).toMatch(/<svg/)
    const md = await (await app.request('/api/v1/report?since=5m&format=md')).text()
    expect(md).toMatch(/slow-back/)
    const one = (await (await app.request('/api/v1/report?run=1')).json()) as Json
    expect(one.runs.map((r: Json) => r.title)).toEqual(['front survives'])
  })

  it('ends a range asked up to now at the last whole second the recorder wrote: no false drop to 0 at the end', async () => {
    const { app, store } = setup(0)
    const sec = Math.floor(Date.now() / 1000) * 1000
    const row = (t: number): SignalRow => ({ sidecar: 'a-ingress', t, stepMs: 1000, source: 'ingress', destination: 'a', requests: { '2xx': 10 }, bounds: [10, 100], counts: [10, 0, 0], sumMs: 50 })
    store.appendSignals([row(sec - 4000), row(sec - 3000), row(sec - 2000)])
    const data = (await (await app.request('/api/v1/report?since=20s')).json()) as Json
    expect(Date.parse(data.range.to)).toBeLessThanOrEqual(sec)
    expect(data.edges[0].points.at(-1).rps).toBe(10)
  })

  it('refuses a bad range, format or run with a code', async () => {
    const { app } = setup()
    const codeOf = async (q: string) => {
      const r = await app.request(`/api/v1/report${q}`)
      return [r.status, ((await r.json()) as Json).code]
    }
    expect(await codeOf('')).toEqual([400, 'REPORT_INVALID_RANGE'])
    expect(await codeOf('?since=soon')).toEqual([400, 'REPORT_INVALID_RANGE'])
    expect(await codeOf('?since=5m&format=pdf')).toEqual([400, 'API_INVALID_QUERY'])
    expect(await codeOf('?run=99')).toEqual([404, 'REPORT_RUN_NOT_FOUND'])
  })
})

describe('the answers, as the OpenAPI document says them', () => {
  it('a run, the list of runs and a report with a fault window, traffic before, during and after it, and a run', async () => {
    const { app, store, controller } = setup(200_000)
    await controller.apply({
      apiVersion: 'chaos-mesh.org/v1alpha1', kind: 'NetworkChaos', metadata: { name: 'slow-back', namespace: 'default' },
      spec: { action: 'delay', mode: 'all', selector: { labelSelectors: { app: 'back' } }, delay: { latency: '100ms' } },
    } as never)
    await until(async () => ((await controller.get('NetworkChaos', 'default', 'slow-back'))?.status as Json)?.conditions?.find((c: Json) => c.type === 'AllInjected' && c.status === 'True'))
    await controller.delete('NetworkChaos', 'default', 'slow-back', { wait: true })
    const kept = (await (await post(app, journal('front survives', false))).json()) as Json
    expect(nonConformance('RunRecord', kept)).toEqual([])
    const t = Date.now()
    const row = (at: number, ok: number, bad: number): SignalRow => ({ sidecar: 'back-ingress', t: at, stepMs: 1000, source: 'ingress', destination: 'back', requests: { '2xx': ok, '5xx': bad }, bounds: [10, 100], counts: [ok, bad, 0], sumMs: 20 * ok + 200 * bad })
    store.appendSignals([row(t - 120_000, 10, 0), row(t - 1000, 5, 5), row(t + 60_000, 10, 0)])
    for (const q of ['', '?journal=true']) expect(nonConformance('RunList', await (await app.request(`/api/v1/runs${q}`)).json())).toEqual([])
    const data = (await (await app.request(`/api/v1/report?from=${new Date(t - 180_000).toISOString()}&to=${new Date(t + 120_000).toISOString()}`)).json()) as Json
    expect(data.faults).toHaveLength(1)
    expect(data.edges[0].recovery).toHaveLength(1)
    expect(data.runs).toHaveLength(1)
    expect(nonConformance('Report', data)).toEqual([])
    // and the schema is not one anything meets
    expect(nonConformance('Report', { ...data, edges: [{ ...data.edges[0], recovery: [{}] }] })).not.toEqual([])
  })
})

describe('what the runs and reports refuse', () => {
  it('keeps the journal chaoscope\'s own runner writes, probes checked before, during and after the method', async () => {
    const server = http.createServer((_req, res) => res.end('ok'))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
      const written = await runExperiment(
        { title: 'up', description: 'd', 'steady-state-hypothesis': { title: 'h', probes: [{ type: 'probe', name: 'up', tolerance: 200, provider: { type: 'http', url } }] }, method: [{ type: 'action', name: 'poke', provider: { type: 'http', url } }] },
        { hypothesisStrategy: 'continuously', hypothesisFrequency: 1, failFast: false, rollbackStrategy: 'default', allowExec: false, verifyTls: true, cwd: tmpdir() },
        { values: { configuration: {}, secrets: {} } },
      )
      const { app } = setup()
      const res = await post(app, written)
      expect(res.status, await res.clone().text()).toBe(201)
      const { id } = (await res.json()) as Json
      const one = (await (await app.request(`/api/v1/report?run=${id}`)).json()) as Json
      expect(one.runs[0]).toMatchObject({ title: 'up', verdict: 'passed' })
      expect(one.runs[0].hypothesis.map((h: Json) => h.phase)[0]).toBe('before')
    } finally {
      server.close()
    }
  })

  it('refuses a journal the report could not read, and keeps none of it: every report of its range would break', async () => {
    const { app, store } = setup()
    const good = journal('front survives', true)
    const broken = [
      { ...good, steady_states: { ...good.steady_states, during: [1] } },
      { ...good, steady_states: { ...good.steady_states, before: {} } },
      { ...good, steady_states: { ...good.steady_states, after: { probes: [null] } } },
      { ...good, experiment: { ...good.experiment, 'steady-state-hypothesis': { probes: 'front-ok' } } },
      { ...good, end: 'later' },
      { ...good, start: '+010000-01-01T00:00:00' },
      { ...good, deviated: 'no' },
    ]
    for (const j of broken) {
      const res = await post(app, j)
      expect([res.status, ((await res.json()) as Json).code], JSON.stringify(j).slice(0, 300)).toEqual([400, 'REPORT_INVALID_JOURNAL'])
    }
    expect(store.runs()).toEqual([])
    // extensions that are not a list name no experiment: the title does
    const odd = (await (await post(app, { ...good, experiment: { ...good.experiment, extensions: { find: 0 } } })).json()) as Json
    expect(odd.experiment).toBe('front survives')
    // a zone is read as written; without one, UTC
    const zoned = (await (await post(app, { ...good, start: '2026-12-04T10:00:00+01:00', end: '2026-12-04T10:01:00' })).json()) as Json
    expect([zoned.startedAt, zoned.endedAt]).toEqual(['2026-12-04T09:00:00.000Z', '2026-12-04T10:01:00.000Z'])
  })

  it('reports a run from a clock ahead of this one over its own window, and a range beyond the year 9999 is refused', async () => {
    const { app } = setup()
    const ahead = { ...journal('from the future', true), start: '2099-01-01T00:00:00', end: '2099-01-01T00:01:00' }
    const { id } = (await (await post(app, ahead)).json()) as Json
    const res = await app.request(`/api/v1/report?run=${id}`)
    expect(res.status).toBe(200)
    const data = (await res.json()) as Json
    expect(Date.parse(data.range.from)).toBeLessThan(Date.parse(data.range.to))
    expect(data.runs.map((r: Json) => r.title)).toEqual(['from the future'])
    const far = await app.request('/api/v1/report?to=-271821-04-20T00:00:00Z&since=1h')
    expect([far.status, ((await far.json()) as Json).code]).toEqual([400, 'REPORT_INVALID_RANGE'])
  })

  it('lists journals with journal=true or 1, and refuses a journal flag that is neither true nor false', async () => {
    const { app } = setup()
    await post(app, journal('front survives', true))
    for (const v of ['true', '1']) expect(((await (await app.request(`/api/v1/runs?journal=${v}`)).json()) as Json).items[0].journal.experiment.title).toBe('front survives')
    expect(((await (await app.request('/api/v1/runs?journal=0')).json()) as Json).items[0].journal).toBeUndefined()
    const bad = await app.request('/api/v1/runs?journal=yes')
    expect([bad.status, ((await bad.json()) as Json).code]).toEqual([400, 'API_INVALID_QUERY'])
  })

  it('keeps a journal without the values of its secrets', async () => {
    const { app } = setup()
    const j = journal('with secrets', true) as Record<string, unknown>
    ;(j.experiment as Record<string, unknown>).secrets = { db: { password: 'hunter2', user: { type: 'env', key: 'DB_USER' } } }
    expect((await post(app, j)).status).toBe(201)
    const kept = ((await (await app.request('/api/v1/runs?journal=true')).json()) as Json).items[0].journal
    expect(kept.experiment.secrets).toEqual({ db: { password: '(not kept)', user: '(not kept)' } })
    expect(JSON.stringify(kept)).not.toMatch(/hunter2/)
  })

  it('refuses a viewer that posts a run, and a token limited to a namespace, which spans none of them', async () => {
    const store = Store.open(':memory:')
    const runtime = new FakeRuntime([])
    const controller = Controller.open({ store, runtime, podCacheMs: 0 })
    controllers.push(controller)
    const token = (name: string, role: 'viewer' | 'operator', namespaces: string[]) => {
      const t = newToken()
      store.insertToken({ name, hash: hashToken(t), role, namespaces, createdAt: new Date().toISOString() })
      return { authorization: `Bearer ${t}` }
    }
    const app = apiApp({ controller, runtime, reports: store, rateLimit: false, security: { auth: 'token', store, http: { listen: ['127.0.0.1:0'] } } })
    const viewer = token('viewer', 'viewer', [])
    const limited = token('team-a', 'operator', ['team-a'])
    const codeOf = async (path: string, headers: Record<string, string>, body?: unknown) => {
      const r = await app.request(path, body === undefined ? { headers } : { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) })
      return [r.status, ((await r.json()) as Json).code]
    }
    expect(await codeOf('/api/v1/runs', viewer, journal('x', true))).toEqual([403, 'AUTH_FORBIDDEN'])
    expect(await codeOf('/api/v1/runs', limited, journal('x', true))).toEqual([403, 'AUTH_NAMESPACE_FORBIDDEN'])
    expect(await codeOf('/api/v1/runs', limited)).toEqual([403, 'AUTH_NAMESPACE_FORBIDDEN'])
    expect(await codeOf('/api/v1/report?since=5m', limited)).toEqual([403, 'AUTH_NAMESPACE_FORBIDDEN'])
    expect((await app.request('/api/v1/runs', { headers: viewer })).status).toBe(200)
    // the journals themselves (what the probes returned) are for those who may run experiments
    expect(await codeOf('/api/v1/runs?journal=true', viewer)).toEqual([403, 'AUTH_FORBIDDEN'])
    // refused ones are audited too
    expect(store.audit().map((a) => [a.actor, a.action, a.status])).toEqual([['viewer', 'run record', 403], ['team-a', 'run record', 403]])
  })
})
