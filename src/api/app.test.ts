/**
 * The controller API in-process (app.request) against the real Controller on an in-memory store, with the real
 * injectors on an in-memory runtime boundary: apply all-or-nothing, errors with codes and statuses, queries, SSE,
 * OpenAPI, and the status of a stored experiment checked against Chaos Mesh's CRD status schema.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { apiApp, MAX_BODY_BYTES } from './app.js'
import { hashToken } from './auth.js'
import { openApiDocument } from './openapi.js'
import { Controller } from '../engine/controller.js'
import { Store } from '../store/store.js'
import { fakePod, FakeRuntime } from '../../test/doubles/fake-runtime.js'
import { loadCrds } from '../../test/conformance.js'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import type { ServerType } from '@hono/node-server'
import { validateText } from '../manifest/validate.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by the assertions
type Json = any

const delay = (name: string, extra = '') => `apiVersion: chaos-mesh.org/v1alpha1
kind: NetworkChaos
metadata:
  name: ${name}
  labels: {team: a}${extra}
spec:
  action: delay
  mode: all
  selector:
    labelSelectors: {app: back}
  delay:
    latency: 100ms
`

const controllers: Controller[] = []
afterEach(async () => {
  for (const c of controllers.splice(0)) await c.stop()
})

function setup() {
  const runtime = new FakeRuntime([fakePod('back-aaaaa', { app: 'back' }, { protocol: 'http', containerPort: 8080 }), fakePod('front-bbbbb', { app: 'front' })])
  const controller = Controller.open({ store: Store.open(':memory:'), runtime, podCacheMs: 0 })
  controllers.push(controller)
  void controller.start()
  const app = apiApp({ controller, runtime, metrics: () => controller.metrics.text(), heartbeatMs: 50 })
  const post = (body: string, q = '') => app.request(`/api/v1/resources${q}`, { method: 'POST', body, headers: { 'content-type': 'application/yaml' } })
  return { controller, runtime, app, post }
}

describe('POST /api/v1/resources', () => {
  it('creates, then reports unchanged, then configured when only labels change', async () => {
    const { post } = setup()
    const first = await post(delay('d1'))
    expect(first.status).toBe(201)
    expect(((await first.json()) as Json).items.map((i: { action: string }) => i.action)).toEqual(['created'])
    const again = await post(delay('d1'))
    expect(again.status).toBe(200)
    expect(((await again.json()) as Json).items[0].action).toBe('unchanged')
    const relabel = await post(delay('d1').replace('team: a', 'team: b'))
    expect(((await relabel.json()) as Json).items[0].action).toBe('configured')
  })

  it('accepts JSON as well as YAML', async () => {
    const { post } = setup()
    const body = JSON.stringify({ apiVersion: 'chaos-mesh.org/v1alpha1', kind: 'PodChaos', metadata: { name: 'kill' }, spec: { action: 'pod-kill', mode: 'one', selector: { namespaces: ['default'] } } })
    const res = await post(body)
    expect(res.status).toBe(201)
    expect(((await res.json()) as Json).items[0].object.metadata).toMatchObject({ name: 'kill', namespace: 'default' })
  })

  it('refuses every document when one is invalid, returning every issue with its position (422)', async () => {
    const { post, controller } = setup()
    const bad = delay('ok') + '---\n' + delay('Bad_Name').replace('latency: 100ms', 'latency: fast')
    const res = await post(bad, '?file=two.yaml')
    expect(res.status).toBe(422)
    const body = (await res.json()) as Json
    expect(body.code).toMatch(/^SPEC_/)
    expect(body.message).toContain('nothing was applied')
    expect(body.issues.map((i: { file: string; line: number; path: string; code: string }) => `${i.file}:${i.line} ${i.path} [${i.code}]`)).toEqual([
      'two.yaml:17 metadata.name [SPEC_INVALID_NAME]',
      'two.yaml:25 spec.delay.latency [SPEC_INVALID_DURATION]',
    ])
    expect(controller.list({})).toEqual([])
  })

  it('answers 400 for a body that is not YAML, and for an empty body', async () => {
    const { post } = setup()
    const res = await post('kind: [unclosed')
    expect(res.status).toBe(400)
    expect(((await res.json()) as Json).code).toBe('SPEC_YAML_SYNTAX')
    const empty = await post('')
    expect(empty.status).toBe(400)
    expect(((await empty.json()) as Json).code).toBe('SPEC_NO_INPUT')
  })

  it('refuses all when the controller refuses one (a kind the runtime cannot run), naming it by position', async () => {
    const { post, controller } = setup()
    const kernel = `apiVersion: chaos-mesh.org/v1alpha1
kind: KernelChaos
metadata: {name: k}
spec:
  mode: one
  selector: {namespaces: [default]}
  failKernRequest:
    callchain: [{funcname: __x64_sys_mount}]
    failtype: 0
`
    const res = await post(`${delay('d1')}---\n${kernel}`)
    expect(res.status).toBe(422)
    const body = (await res.json()) as Json
    expect(body.issues).toEqual([
      expect.objectContaining({ code: 'SPEC_LOCAL_UNSUPPORTED', line: 14, message: 'KernelChaos default/k: KernelChaos needs a cluster: run it against a cluster with Chaos Mesh' }),
    ])
    expect(controller.list({})).toEqual([])
  })

  it('refuses all when the controller refuses a later one (a selector matching no pod): none of the others is created or injected', async () => {
    const { post, controller, runtime } = setup()
    const res = await post(`${delay('d1')}---
${delay('d2')}---
${delay('d3').replace('{app: back}', '{app: nothing}')}`, '?file=three.yaml')
    expect(res.status).toBe(422)
    const body = (await res.json()) as Json
    expect(body.message).toBe('1 problem(s) in the 3 resources; nothing was applied')
    expect(body.issues.map((i: Json) => `${i.file}:${i.line} [${i.code}] ${i.message}`)).toEqual([
      'three.yaml:27 [CONTROLLER_NO_TARGETS] NetworkChaos default/d3: spec.selector {namespaces: [default], labelSelectors: {app: nothing}} matches no pod; pods that exist: default/back-aaaaa (app=back; Running); default/front-bbbbb (app=front; Running)',
    ])
    expect(controller.list({})).toEqual([])
    expect(controller.events({})).toEqual([])
    expect(runtime.held.size).toBe(0)
  })

  it('refuses Chaos Toolkit experiments, Apps and duplicates in one request', async () => {
    const { post } = setup()
    const res = await post(`${delay('d1')}---\n${delay('d1')}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n`)
    expect(res.status).toBe(422)
    const codes = ((await res.json()) as Json).issues.map((i: { code: string }) => i.code)
    expect(codes).toEqual(['SPEC_DUPLICATE_NAME', 'SPEC_UNRECOGNIZED_DOCUMENT'])
  })

  it('dryRun changes nothing and returns the plan', async () => {
    const { post, controller } = setup()
    const res = await post(delay('d1'), '?dryRun=true')
    expect(res.status).toBe(200)
    const body = (await res.json()) as Json
    expect(body).toMatchObject({ dryRun: true, items: [{ action: 'created', plan: { kind: 'NetworkChaos', action: 'delay', targets: [{ id: 'default/back-aaaaa', pod: 'back-aaaaa' }] } }] })
    expect(controller.list({})).toEqual([])
    expect((await post(delay('d1'), '?dryRun=maybe')).status).toBe(400)
  })

  it('refuses a body over 1 MiB with 413', async () => {
    const { post } = setup()
    const res = await post(`# ${'x'.repeat(MAX_BODY_BYTES)}\n${delay('d1')}`)
    expect(res.status).toBe(413)
    expect(((await res.json()) as Json).code).toBe('API_BODY_TOO_LARGE')
  })
})

describe('reading and changing resources', () => {
  it('lists by kind (any of its names), namespace and label selector', async () => {
    const { app, post } = setup()
    await post(delay('d1') + '---\n' + delay('d2').replace('team: a', 'team: b'))
    const names = async (q: string) => (((await (await app.request(`/api/v1/resources?${q}`)).json()) as Json).items as { metadata: { name: string } }[]).map((o) => o.metadata.name)
    expect(await names('')).toEqual(['d1', 'd2'])
    expect(await names('kind=nc')).toEqual(['d1', 'd2'])
    expect(await names('kind=networkchaos&labelSelector=team%3Db')).toEqual(['d2'])
    expect(await names('kind=podchaos')).toEqual([])
    expect(await names('namespace=other')).toEqual([])
    const bad = await app.request('/api/v1/resources?kind=netwrokchaos')
    expect(bad.status).toBe(422)
    expect(await bad.json()).toMatchObject({ code: 'SPEC_UNKNOWN_KIND', hint: 'did you mean "networkchaos"?' })
    const badSel = await app.request('/api/v1/resources?labelSelector=a%3D%3D%3Db')
    expect(badSel.status).toBe(400)
    expect(((await badSel.json()) as Json).code).toBe('API_INVALID_QUERY')
  })

  it('gets, pauses, resumes, lists events of, and deletes one resource; 404 with a code when it is not there', async () => {
    const { app, post } = setup()
    await post(delay('d1'))
    const base = '/api/v1/namespaces/default/networkchaos/d1'
    expect(((await (await app.request(base)).json()) as Json).metadata.name).toBe('d1')
    const paused = (await (await app.request(`${base}/pause`, { method: 'POST' })).json()) as Json
    expect(paused.metadata.annotations['experiment.chaos-mesh.org/pause']).toBe('true')
    // pause answers after its reconcile: the fault is already off
    expect(paused.status.chaoscope).toMatchObject({ phase: 'paused', records: [{ active: false }] })
    const resumed = (await (await app.request(`${base}/resume`, { method: 'POST' })).json()) as Json
    expect(resumed.metadata.annotations?.['experiment.chaos-mesh.org/pause']).toBeUndefined()
    expect(resumed.status.chaoscope).toMatchObject({ phase: 'running', records: [{ active: true }] })
    const events = ((await (await app.request(`${base}/events`)).json()) as Json).items as { reason: string; id: number }[]
    expect(events.map((e) => e.reason)).toEqual(['Selected', 'Started', 'Applied', 'Paused', 'Recovered', 'Started', 'Applied'])
    const since = ((await (await app.request(`/api/v1/events?kind=NetworkChaos&sinceId=${events[4]!.id}`)).json()) as Json).items
    expect(since.map((e: Json) => e.reason)).toEqual(['Started', 'Applied'])
    expect((await app.request(base, { method: 'DELETE' })).status).toBe(200)
    const gone = await app.request(base)
    expect(gone.status).toBe(404)
    expect(await gone.json()).toMatchObject({ code: 'CONTROLLER_NOT_FOUND', message: 'NetworkChaos default/d1 not found' })
    expect((await app.request(base, { method: 'DELETE' })).status).toBe(404)
    expect((await app.request('/api/v1/nope')).status).toBe(404)
    // a path that exists, asked with a method it does not take: 405 with the ones it takes
    const wrong = await app.request('/api/v1/events', { method: 'DELETE' })
    expect([wrong.status, wrong.headers.get('allow')]).toEqual([405, 'GET, HEAD'])
    expect(await wrong.json()).toMatchObject({ code: 'API_METHOD_NOT_ALLOWED' })
    expect((await app.request(base, { method: 'PUT' })).headers.get('allow')).toBe('DELETE, GET, HEAD')
  })

  it('lists pods from the runtime, filtered by label selector', async () => {
    const { app } = setup()
    const items = ((await (await app.request('/api/v1/pods?labelSelector=app%3Dback')).json()) as Json).items as { name: string }[]
    expect(items.map((p) => p.name)).toEqual(['back-aaaaa'])
  })

  it('serves /metrics in Prometheus text', async () => {
    const res = await setup().app.request('/metrics')
    expect(res.headers.get('content-type')).toContain('text/plain')
    expect(await res.text()).toContain('# TYPE chaos_controller_manager_chaos_experiments gauge')
  })
})

/** A server-sent event stream read as text: `until` reads on until the text so far matches. */
function eventStream(res: Response): { until(re: RegExp): Promise<void>; text(): string; cancel(): Promise<void> } {
  const reader = res.body!.getReader()
  const decoder = new TextDecoder()
  let text = ''
  return {
    async until(re) {
      while (!re.test(text)) {
        const { value, done } = await reader.read()
        if (done) throw new Error(`stream ended: ${text}`)
        text += decoder.decode(value)
      }
    },
    text: () => text,
    cancel: () => reader.cancel().catch(() => {}),
  }
}

describe('GET /api/v1/watch', () => {
  it('streams each change as a server-sent event, filtered by kind', async () => {
    const { app, post } = setup()
    const abort = new AbortController()
    const res = await app.request('/api/v1/watch?kind=networkchaos', { signal: abort.signal })
    expect(res.headers.get('content-type')).toContain('text/event-stream')
    const stream = eventStream(res)
    const until = stream.until
    await until(/event: ready/)
    await post(delay('d1'))
    await post('apiVersion: chaos-mesh.org/v1alpha1\nkind: PodChaos\nmetadata: {name: p}\nspec: {action: pod-kill, mode: one, selector: {namespaces: [default]}}\n')
    await until(/event: change\ndata: .*"name":"d1".*\nid: 1\n/)
    await until(/: keep-alive/)
    expect(stream.text()).not.toContain('"name":"p"')
    abort.abort()
    await stream.cancel()
  })
  it('a watch opened with a token that is then revoked gets no more changes and ends with `dropped` (Unauthorized)', async () => {
    const runtime = new FakeRuntime([fakePod('back-aaaaa', { app: 'back' }, { protocol: 'http', containerPort: 8080 })])
    const controller = Controller.open({ store: Store.open(':memory:'), runtime, podCacheMs: 0 })
    controllers.push(controller)
    void controller.start()
    const app = apiApp({ controller, runtime, heartbeatMs: 50, security: { auth: 'token', store: controller.store, http: { listen: ['127.0.0.1:0'] } } })
    const admin = 'chs_admin-of-this-test'
    controller.store.insertToken({ name: 'root', hash: hashToken(admin), role: 'admin', namespaces: [], createdAt: new Date().toISOString() })
    const as = (token: string, init: RequestInit = {}) => ({ ...init, headers: { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${token}` } })
    const made = (await (await app.request('/api/v1/tokens', as(admin, { method: 'POST', body: JSON.stringify({ name: 'watcher', role: 'viewer' }), headers: { 'content-type': 'application/json' } }))).json()) as { token: string }
    const res = await app.request('/api/v1/watch', as(made.token))
    const stream = eventStream(res)
    const until = stream.until
    await until(/event: ready/)
    expect((await app.request('/api/v1/tokens/watcher', as(admin, { method: 'DELETE' }))).status).toBe(200)
    await new Promise((r) => setTimeout(r, 1100)) // the watch reads the token's state at most once a second
    await app.request('/api/v1/resources', as(admin, { method: 'POST', body: delay('after-revoke'), headers: { 'content-type': 'application/yaml' } }))
    await until(/event: dropped\ndata: .*"reason":"Unauthorized"/)
    expect(stream.text()).not.toContain('after-revoke')
    await stream.cancel()
  })
})

describe('the OpenAPI document', () => {
  it('describes every route the app serves, the token, audit, run and report routes of a secured one too', () => {
    const controller = Controller.open({ store: Store.open(':memory:'), runtime: new FakeRuntime([]), podCacheMs: 0 })
    controllers.push(controller)
    const app = apiApp({ controller, reports: controller.store, archive: controller.store, security: { auth: 'token', store: controller.store, http: { listen: ['127.0.0.1:0'] } } })
    const doc = openApiDocument() as { openapi: string; paths: Record<string, Record<string, unknown>> }
    expect(doc.openapi).toMatch(/^3\./)
    const served = app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`)
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).filter((m) => m !== 'parameters').map((m) => `${m.toUpperCase()} ${path}`))
    expect([...new Set(served)].sort()).toEqual(documented.sort())
  })
})

describe('with the real Controller: the records, the phase and refusals', () => {
  it('applies, shows records and phase, refuses a selector matching no pod with the pods that exist, and a spec change; deletes', async () => {
    const { post, app, runtime } = setup()
    expect((await post(delay('d1'))).status).toBe(201)
    const obj = (await (await app.request('/api/v1/namespaces/default/networkchaos/d1')).json()) as Json
    expect(obj.status.chaoscope).toMatchObject({ phase: 'running', action: 'delay' })
    expect(obj.status.experiment.containerRecords).toEqual([expect.objectContaining({ id: 'default/back-aaaaa', phase: 'Injected', injectedCount: 1 })])
    expect(obj.status.conditions).toContainEqual({ type: 'AllInjected', status: 'True', reason: '' })
    const none = await post(delay('d2').replace('{app: back}', '{app: nothing}'))
    expect(none.status).toBe(422)
    const refusal = ((await none.json()) as Json).issues[0]
    expect(refusal.code).toBe('CONTROLLER_NO_TARGETS')
    expect(refusal.message).toContain('app: nothing')
    expect(refusal.message).toContain('default/back-aaaaa (app=back; Running)')
    const changed = await post(delay('d1').replace('100ms', '200ms'))
    expect(changed.status).toBe(422)
    expect(((await changed.json()) as Json).issues[0].message).toBe('NetworkChaos default/d1: the spec of NetworkChaos default/d1 cannot change once created (changed: spec.delay)')
    const del = (await (await app.request('/api/v1/namespaces/default/networkchaos/d1', { method: 'DELETE' })).json()) as Json
    expect(del).toMatchObject({ deleted: true, gone: true, object: null })
    expect(runtime.held.size).toBe(0)
  })

  it('HTTPChaos shows the faults it sets as its action', async () => {
    const { post, app } = setup()
    const http = 'apiVersion: chaos-mesh.org/v1alpha1\nkind: HTTPChaos\nmetadata: {name: h}\nspec:\n  mode: all\n  selector: {labelSelectors: {app: back}}\n  target: Response\n  port: 8080\n  delay: 1s\n  replace: {code: 503}\n'
    expect((await post(http)).status).toBe(201)
    const obj = (await (await app.request('/api/v1/namespaces/default/httpchaos/h')).json()) as Json
    expect(obj.status.chaoscope).toMatchObject({ phase: 'running', action: 'delay,replace' })
  })
})

/** A JSON schema node of a CRD (the parts the status uses). */
interface SchemaNode {
  type?: string
  properties?: Record<string, SchemaNode>
  items?: SchemaNode
  required?: string[]
  enum?: unknown[]
  format?: string
  additionalProperties?: SchemaNode | boolean
}

/**
 * Where `value` disagrees with `schema`: a field typed otherwise, a required field missing, a value outside an
 * enum, or a field the schema does not declare. `ours` lists the paths that are chaoscope's own (not claimed by
 * the schema, so not checked).
 */
function disagreements(value: unknown, schema: SchemaNode, path: string, ours: readonly string[]): string[] {
  if (ours.includes(path)) return []
  const out: string[] = []
  const kind = Array.isArray(value) ? 'array' : value === null ? 'null' : Number.isInteger(value) ? 'integer' : typeof value
  const want = schema.type
  if (want && !(want === kind || (want === 'number' && kind === 'integer'))) return [`${path}: ${want} in the CRD, ${kind} here`]
  if (schema.enum && !schema.enum.includes(value)) out.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`)
  if (schema.format === 'date-time' && typeof value === 'string' && Number.isNaN(Date.parse(value))) out.push(`${path}: not a date-time`)
  if (kind === 'array') (value as unknown[]).forEach((v, i) => out.push(...disagreements(v, schema.items ?? {}, `${path}[${i}]`, ours.map((o) => o.replace('[]', `[${i}]`)))))
  if (kind === 'object') {
    const o = value as Record<string, unknown>
    for (const r of schema.required ?? []) if (!(r in o)) out.push(`${path}.${r}: required by the CRD, missing`)
    for (const [k, v] of Object.entries(o)) {
      const sub = schema.properties?.[k] ?? (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined)
      if (sub) out.push(...disagreements(v, sub, `${path}.${k}`, ours))
      else if (!ours.includes(`${path}.${k}`)) out.push(`${path}.${k}: not in the CRD`)
    }
  }
  return out
}

describe('the status follows Chaos Mesh\'s CRD status schema', () => {
  const crds = loadCrds()
  const statusSchema = (kind: string) => (crds.get(kind)!.schema as { properties: { status: SchemaNode } }).properties.status

  it.each([
    ['NetworkChaos', delay('n')],
    ['PodChaos', 'apiVersion: chaos-mesh.org/v1alpha1\nkind: PodChaos\nmetadata: {name: p}\nspec: {action: pod-failure, mode: all, duration: 1h, selector: {labelSelectors: {app: front}}}\n'],
    ['HTTPChaos', 'apiVersion: chaos-mesh.org/v1alpha1\nkind: HTTPChaos\nmetadata: {name: h}\nspec: {mode: all, selector: {labelSelectors: {app: back}}, target: Request, port: 8080, abort: true}\n'],
  ])('%s: live, paused, and archived after delete, nothing the CRD types otherwise; ours only in status.chaoscope', async (kind, yaml) => {
    const { post, app, controller, runtime } = setup()
    expect((await post(yaml)).status).toBe(201)
    const [obj] = ((await (await app.request(`/api/v1/resources?kind=${kind}`)).json()) as Json).items
    const base = `/api/v1/namespaces/default/${kind.toLowerCase()}/${obj.metadata.name}`
    for (const id of runtime.faultIds()) runtime.touch(id, { requests: 2 })
    const live = (await (await app.request(`${base}?refresh=true`)).json()) as Json
    const paused = (await (await app.request(`${base}/pause`, { method: 'POST' })).json()) as Json
    await app.request(base, { method: 'DELETE' })
    const archived = controller.archived({ name: obj.metadata.name })[0]!.object as Json
    for (const o of [live, paused, archived]) {
      expect(o.status.experiment.containerRecords.length).toBeGreaterThan(0)
      expect(o.status.experiment.containerRecords[0].events.length).toBeGreaterThan(0)
      expect(o.status.chaoscope.records.length).toBe(o.status.experiment.containerRecords.length)
      expect(disagreements(o.status, statusSchema(kind), 'status', ['status.chaoscope'])).toEqual([])
    }
    // the check can fail: a field typed otherwise, or one the CRD does not have
    expect(disagreements({ ...live.status, experiment: { ...live.status.experiment, records: [] } }, statusSchema(kind), 'status', ['status.chaoscope'])).toEqual(['status.experiment.records: not in the CRD'])
    expect(disagreements({ ...live.status, conditions: [{ type: 'Selected', status: true }] }, statusSchema(kind), 'status', ['status.chaoscope'])).toEqual(['status.conditions[0].status: string in the CRD, boolean here'])
  })
})

/** One HTTP call on its own connection: status, body, and how long it took. */
function call(port: number, method: string, path: string, body?: string, type = 'application/yaml', token?: string): Promise<{ status: number; body: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    const headers = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': type, 'content-length': String(Buffer.byteLength(body)) }) }
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => (text += d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, ms: performance.now() - t0 }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** The app on a real socket (port 0), served as src/wiring.ts serves it. */
async function listening(app: { fetch: (req: Request, env?: unknown) => Response | Promise<Response> }): Promise<{ port: number; close(): Promise<void> }> {
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s))
  })
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  }
}

/** About `bytes` of valid NetworkChaos resources, one document each. */
function manyResources(bytes: number, tag: string): string {
  const docs: string[] = []
  for (let i = 0, size = 0; size < bytes; i++) {
    const d = delay(`${tag}-${i}`)
    docs.push(d)
    size += d.length + 4
  }
  return docs.join('---\n')
}

describe('large and deeply nested bodies stall nothing', () => {
  it('while four ~200 KB bodies are validated, /healthz on the same socket answers within 250 ms each time', async () => {
    const { app } = setup()
    const server = await listening(app)
    try {
      const bodies = [0, 1, 2, 3].map((k) => manyResources(200 * 1024, `b${k}`))
      // the tolerance: 250 ms past the slowest answer of an idle API on this machine now (other tests share its CPUs)
      let idle = 0
      for (let i = 0; i < 200; i++) idle = Math.max(idle, (await call(server.port, 'GET', '/healthz')).ms)
      let done = false
      const posts = Promise.all(bodies.map((b) => call(server.port, 'POST', '/api/v1/resources?dryRun=true', b))).finally(() => (done = true))
      let worst = 0
      let probes = 0
      const deadline = Date.now() + 60_000
      while (!done && Date.now() < deadline) {
        worst = Math.max(worst, (await call(server.port, 'GET', '/healthz')).ms)
        probes++
      }
      const answers = await posts
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200])
      expect(answers.map((a) => (JSON.parse(a.body) as Json).items.length)).toEqual(bodies.map((b) => b.split('---\n').length))
      expect(probes).toBeGreaterThan(3)
      expect(worst).toBeLessThan(250 + idle)
    } finally {
      await server.close()
    }
  }, 90_000)

  it('refuses a 1 MiB deeply nested body at once, with the nesting code, before parsing it', async () => {
    const { post } = setup()
    for (const body of ['['.repeat(MAX_BODY_BYTES - 10), `${'- '.repeat(MAX_BODY_BYTES / 2 - 10)}x`, `spec:\n  a: ${'{b: '.repeat(MAX_BODY_BYTES / 4 - 10)}`]) {
      const t0 = performance.now()
      const res = await post(body)
      expect(res.status).toBe(400)
      expect(((await res.json()) as Json).code).toBe('API_BODY_TOO_DEEP')
      expect(performance.now() - t0).toBeLessThan(500)
    }
  })

  it('validates a large body off the event loop with the same result as in-process: every issue, at its position', async () => {
    const { post } = setup()
    const body = `${manyResources(40 * 1024, 'w')}---\n${delay('Bad_Name').replace('latency: 100ms', 'latency: fast')}`
    const res = await post(body, '?file=big.yaml')
    expect(res.status).toBe(422)
    const expected = validateText(body, 'big.yaml').issues.map((i) => `${i.file}:${i.line}:${i.col} ${i.path} [${i.code}]`)
    expect(expected.length).toBe(2)
    expect(((await res.json()) as Json).issues.map((i: Json) => `${i.file}:${i.line}:${i.col} ${i.path} [${i.code}]`)).toEqual(expected)
  })
})

describe('POST /api/v1/resources content types', () => {
  it('reads YAML, JSON and an undeclared body; refuses any other type (text/plain and form types too) with 415 and a code', async () => {
    const { app } = setup()
    const send = (type: string | undefined, body: string | Uint8Array, name: string) =>
      app.request(`/api/v1/resources?dryRun=true&n=${name}`, { method: 'POST', body, ...(type ? { headers: { 'content-type': type } } : {}) })
    for (const type of ['application/yaml', 'application/x-yaml', 'text/yaml', 'application/json; charset=utf-8', 'Application/YAML']) {
      expect([type, (await send(type, delay('t'), 't')).status]).toEqual([type, 200])
    }
    expect((await send(undefined, new TextEncoder().encode(delay('none')), 'none')).status).toBe(200)
    for (const type of ['application/xml', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', 'text/plain;charset=UTF-8', 'image/png']) {
      const res = await send(type, delay('t'), 't')
      expect([type, res.status]).toEqual([type, 415])
      expect(await res.json()).toMatchObject({ code: 'API_UNSUPPORTED_MEDIA_TYPE', hint: expect.stringContaining('application/yaml') })
    }
  })
})

describe('the controller API\'s limits', () => {
  it('limits requests per client address with 429, Retry-After and a code', async () => {
    const controller = Controller.open({ store: Store.open(':memory:'), runtime: new FakeRuntime([]), podCacheMs: 0 })
    controllers.push(controller)
    const app = apiApp({ controller, rateLimit: { perSecond: 0.5, burst: 1 } })
    const from = (address: string) => app.request('/healthz', {}, { incoming: { socket: { remoteAddress: address } } })
    expect((await from('10.0.0.1')).status).toBe(200)
    const limited = await from('10.0.0.1')
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '2'])
    expect(((await limited.json()) as Json).code).toBe('API_RATE_LIMITED')
    expect((await from('10.0.0.2')).status).toBe(200)
  })

  it('refuses a body that declares more than 1 MiB before reading it, on a real socket', async () => {
    const { app } = setup()
    const server = await listening(app)
    try {
      const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port: server.port, method: 'POST', path: '/api/v1/resources', agent: false, headers: { 'content-type': 'application/yaml', 'content-length': String(300 * 1024 * 1024) } }, (r) => {
          let text = ''
          r.on('data', (d: Buffer) => (text += String(d)))
          r.on('end', () => {
            resolve({ status: r.statusCode ?? 0, body: text })
            req.destroy()
          })
        })
        req.on('error', reject)
        req.write('kind: NetworkChaos\n') // and nothing more: the answer must not wait for the rest
      })
      expect(res.status).toBe(413)
      expect((JSON.parse(res.body) as Json).code).toBe('API_BODY_TOO_LARGE')
    } finally {
      await server.close()
    }
  })
})

describe('the built CLI (`chaoscope server`)', () => {
  const ROOT = join(import.meta.dirname, '..', '..')
  it('validates a large body on its worker thread from dist/', async () => {
    expect(existsSync(join(ROOT, 'dist/src/api/validate-worker.js')), 'run `npm run build` first').toBe(true)
    // a runtime with one pod and no effects: all the controller asks of it here
    const pod = fakePod('back-aaaaa', { app: 'back' })
    const runtime = createServer((req, res) => {
      res.setHeader('content-type', 'application/json')
      if (req.url?.startsWith('/runtime/v1/pods')) return res.end(JSON.stringify({ items: [pod] }))
      if (req.url?.startsWith('/runtime/v1/effects') && req.method === 'GET') return res.end(JSON.stringify({ items: [] }))
      res.statusCode = 404
      res.end(JSON.stringify({ code: 'API_NOT_FOUND', message: 'not here' }))
    })
    await new Promise<void>((r) => runtime.listen(0, '127.0.0.1', r))
    const home = mkdtempSync(join(tmpdir(), 'chaoscope-api-'))
    const cli = spawn(process.execPath, [join(ROOT, 'bin/chaoscope.js'), 'server', '--runtime', `http://127.0.0.1:${(runtime.address() as AddressInfo).port}`, '--db', join(home, 'c.db'), '--port', '0'], {
      env: { ...process.env, CHAOSCOPE_HOME: home },
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    cli.stderr.on('data', (d: Buffer) => (stderr += String(d)))
    try {
      const state = join(home, 'controller.json')
      const deadline = Date.now() + 30_000
      while (!existsSync(state) && cli.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
      expect(existsSync(state), stderr).toBe(true)
      const port = Number(new URL((JSON.parse(readFileSync(state, 'utf8')) as { url: string }).url).port)
      const body = manyResources(100 * 1024, 'cli')
      const token = readFileSync(join(home, 'token'), 'utf8').trim() // the local admin token the server wrote
      const res = await call(port, 'POST', '/api/v1/resources?dryRun=true', body, 'application/yaml', token)
      expect([res.status, stderr]).toEqual([200, ''])
      expect((JSON.parse(res.body) as Json).items.length).toBe(body.split('---\n').length)
      const bad = await call(port, 'POST', '/api/v1/resources', `${body}---\n${delay('x').replace('100ms', 'fast')}`, 'application/yaml', token)
      expect(bad.status).toBe(422)
      expect((JSON.parse(bad.body) as Json).issues[0].code).toBe('SPEC_INVALID_DURATION')
    } finally {
      cli.kill('SIGTERM')
      await new Promise((r) => (cli.exitCode !== null ? r(undefined) : cli.once('exit', r)))
      runtime.close()
      rmSync(home, { recursive: true, force: true })
    }
  }, 60_000)
})
